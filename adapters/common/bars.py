"""Bar types a venue serves as candles: LAST-EXTERNAL time bars of the venue's own intervals."""

from __future__ import annotations

from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AggregationSource
from nautilus_trader.model.enums import BarAggregation
from nautilus_trader.model.enums import PriceType
from nautilus_trader.model.enums import bar_aggregation_to_str

from adapters.common.errors import ConfigurationError

TIME_AGGREGATIONS = (
    BarAggregation.MINUTE,
    BarAggregation.HOUR,
    BarAggregation.DAY,
    BarAggregation.WEEK,
    BarAggregation.MONTH,
)


def venue_candle(
    bar_type: BarType, intervals: dict[tuple[int, str], str], venue: str, venue_name: str, word: str
) -> str:
    """The venue's name for the candle interval of `bar_type` (`intervals`: (step, aggregation) ->
    venue code); a bar type the venue cannot serve is a `ConfigurationError` listing what it can.
    `word` is what the venue calls it ("interval", "granularity")."""
    spec = bar_type.spec
    if bar_type.aggregation_source != AggregationSource.EXTERNAL or spec.price_type != PriceType.LAST:
        raise ConfigurationError(
            f"bar type {bar_type}: {venue_name} candles are LAST-EXTERNAL time bars", venue=venue
        )
    code = intervals.get((spec.step, bar_aggregation_to_str(spec.aggregation)))
    if code is None or spec.aggregation not in TIME_AGGREGATIONS:
        allowed = ", ".join(f"{s}-{a}" for s, a in intervals)
        raise ConfigurationError(
            f"bar type {bar_type}: no {venue_name} candle {word} (have {allowed})", venue=venue
        )
    return code
