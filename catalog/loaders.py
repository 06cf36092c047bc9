"""Loaders from real data files (venue REST payloads, collector captures, third-party datasets) into
Nautilus objects, and into a Parquet catalog.

    result = load_funding(path, "BTC-USD-PERP.HYPERLIQUID", format="hyperliquid")
    load_into_catalog(open_catalog(root, must_exist=False), result)

One loader per kind (`load_funding`, `load_quotes`, `load_trades`, `load_bars`), each driven by a
`Format` (a preset from `catalog.formats`, or an explicit column mapping). Values are parsed from the
file's text straight to `Decimal` and then to `Price`/`Quantity` at the instrument's precision; a value
with more decimals than the instrument allows is an error, never silently rounded. Times become UTC
nanoseconds.

Funding records are settlements: a rate `r` paid at time `T`. By default the loader publishes it when it
became known, at the settlement itself (`ts_event = ts_init = next_funding_ns = T`), so a backtest has no
look-ahead. `announce="previous"` publishes it one funding interval earlier (`ts = T - interval`), as a
venue's predicted rate would be; that is look-ahead (the real prediction differs from the settled rate)
and is only meant for studies that want the rate in hand before the settlement.

Malformed rows raise `LoaderError("<file>:<line>: field '<column>': ...")`; with `on_error="skip"` they
are skipped, counted and the first few reasons kept on the result.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_FLOOR
from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Any
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarSpecification
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.catalog.parquet import _timestamps_to_filename as _file_name

from catalog.formats import Format
from catalog.formats import Kind
from catalog.formats import custom_format
from catalog.formats import preset
from catalog.registry import NANOS_PER_HOUR
from catalog.registry import MarketSpec
from catalog.registry import Registry
from catalog.registry import default_registry
from catalog.rows import LoaderError
from catalog.rows import Row
from catalog.rows import read_rows

__all__ = [
    "InstrumentSpec",
    "LoadResult",
    "LoaderError",
    "WriteReport",
    "load",
    "load_bars",
    "load_funding",
    "load_into_catalog",
    "load_quotes",
    "load_trades",
]

OnError = Literal["raise", "skip"]
Announce = Literal["settlement", "previous"]
WriteMode = Literal["replace", "skip"]

MAX_REASONS = 5  # skipped-row reasons kept on a result
DEFAULT_QUOTE_NOTIONAL = Decimal(100_000)  # quote currency; see `load_quotes(default_size=...)`
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNIT_EXP = {"s": 9, "ms": 6, "us": 3, "ns": 0}
# Any real market data file lies in these years; a time outside them means a wrong unit (ms read as s).
_MIN_NS = int(pd.Timestamp("2000-01-01", tz="UTC").value)
_MAX_NS = int(pd.Timestamp("2100-01-01", tz="UTC").value)
_SUB_MICRO = re.compile(r"[.,]\d{7,}")
_BUY = {"buy", "b", "bid", "buyer"}
_SELL = {"sell", "s", "a", "ask", "seller"}


class FieldError(ValueError):
    """One field of one row is unusable; the loader adds the file and line."""

    def __init__(self, column: str | None, message: str, loc: str | None = None) -> None:
        if column is None:
            text = message
        elif message.startswith("is "):  # "field 'rate' is missing"
            text = f"field '{column}' {message}"
        else:
            text = f"field '{column}': {message}"
        super().__init__(text)
        self.loc = loc


# -- instruments -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentSpec:
    """The minimum needed for an instrument that is not in the registry (Binance DOGEUSDT, HL WLFI,
    Lighter PAXG, ...). `kind`, `base` and `quote` are inferred from the id when not given."""

    price_precision: int
    size_precision: int
    kind: Literal["perp", "spot"] | None = None
    base: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class _Target:
    instrument_id: InstrumentId
    price_precision: int
    size_precision: int
    market: MarketSpec | None = None
    instrument: Instrument | None = None
    spec: InstrumentSpec | None = None

    @property
    def venue_symbol(self) -> str | None:
        if self.market is not None:
            return self.market.symbol
        return self.instrument.raw_symbol.value if self.instrument is not None else None

    def definition(self, ts: int) -> Instrument:
        if self.instrument is not None:
            return self.instrument
        if self.market is not None:
            return self.market.to_instrument(ts)
        assert self.spec is not None
        return adhoc_instrument(self.instrument_id, self.spec, ts)


def _resolve(
    instrument: Instrument | InstrumentId | str, spec: InstrumentSpec | None, registry: Registry | None
) -> _Target:
    if isinstance(instrument, Instrument):
        return _Target(
            instrument.id, instrument.price_precision, instrument.size_precision, instrument=instrument
        )
    try:
        iid = instrument if isinstance(instrument, InstrumentId) else InstrumentId.from_str(str(instrument))
    except ValueError as e:
        raise LoaderError(f"'{instrument}' is not an instrument id (SYMBOL.VENUE): {e}") from None
    market = (registry or default_registry()).find_market(iid)
    if spec is not None:  # an explicit spec wins, so a registry market can be loaded at another precision
        return _Target(iid, spec.price_precision, spec.size_precision, market=market, spec=spec)
    if market is not None:
        return _Target(iid, market.price_precision, market.size_precision, market=market)
    raise LoaderError(
        f"instrument '{iid}' is not in the registry: give its price and size precision "
        "(InstrumentSpec / --price-precision and --size-precision) or add it to registry.toml"
    )


def adhoc_instrument(instrument_id: InstrumentId, spec: InstrumentSpec, ts: int = 0) -> Instrument:
    """A Nautilus instrument from a minimal spec (zero fees: the registry is where fees live).

    Inferred when not given: spot if the symbol has a '/' (Kraken style), else perp; the quote from
    `BASE/QUOTE`, a `...USDT`/`...USDC` symbol, or else the venue's settlement currency (USD if the
    venue is not in the registry); the base is what remains of the symbol's first part."""
    symbol = instrument_id.symbol.value
    kind = spec.kind or ("spot" if "/" in symbol else "perp")
    head = symbol.split(":")[-1].split("-")[0]  # "WLFI", "ASTERUSDT", "BTC/USDT"
    base_part, _, slash_quote = head.partition("/")
    quote = (
        spec.quote
        or slash_quote
        or next((q for q in ("USDT", "USDC") if base_part.endswith(q) and base_part != q), None)
    )
    if not quote:
        venue = default_registry().venues.get(instrument_id.venue.value)
        quote = venue.settlement_currency if venue else "USD"
    base = spec.base or (
        base_part[: -len(quote)] if base_part.endswith(quote) and base_part != quote else base_part
    )
    base_ccy = Currency.from_str(base, strict=False)
    quote_ccy = Currency.from_str(quote, strict=False)
    pp, sp = spec.price_precision, spec.size_precision
    common = dict(
        instrument_id=instrument_id,
        raw_symbol=Symbol(symbol),
        base_currency=base_ccy,
        quote_currency=quote_ccy,
        price_precision=pp,
        size_precision=sp,
        price_increment=Price(Decimal(1).scaleb(-pp), pp),
        size_increment=Quantity(Decimal(1).scaleb(-sp), sp),
        margin_init=Decimal("0.10"),
        margin_maint=Decimal("0.05"),
        maker_fee=Decimal(0),
        taker_fee=Decimal(0),
        ts_event=ts,
        ts_init=ts,
    )
    if kind == "perp":
        return CryptoPerpetual(settlement_currency=quote_ccy, is_inverse=False, **common)
    return CurrencyPair(**common)


# -- values ----------------------------------------------------------------------------------------


def parse_decimal(value: Any, column: str) -> Decimal:
    """A number from the file's own text (JSON floats arrive as Decimal; Parquet doubles via repr)."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool) or value is None:
        raise FieldError(column, "is missing" if value is None else f"{value!r} is not a number")
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))  # shortest repr = the decimal the producer wrote
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise FieldError(column, "is empty")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise FieldError(column, f"{value!r} is not a number") from None
    else:
        raise FieldError(column, f"{value!r} is not a number")
    if not d.is_finite():
        raise FieldError(column, f"{value!r} is not a number")
    return d


def parse_time(value: Any, unit: str, column: str, tz_offset_hours: float = 0.0) -> int:
    """UTC nanoseconds from an epoch number in `unit` or an ISO text (naive = local at `tz_offset_hours`)."""
    if unit == "iso":
        if not isinstance(value, str) or not value.strip():
            raise FieldError(column, "is missing" if value in (None, "") else f"{value!r} is not an ISO time")
        text = value.strip()
        try:
            if _SUB_MICRO.search(text):  # Python's parser would drop the digits below a microsecond
                stamp = pd.Timestamp(text)
                ns = stamp.value
                if stamp.tzinfo is None:
                    ns -= int(tz_offset_hours * NANOS_PER_HOUR)
            else:
                dt = datetime.fromisoformat(text)
                if dt.tzinfo is None:
                    dt = dt.replace(tzinfo=UTC) - timedelta(hours=tz_offset_hours)
                ns = (dt - _EPOCH) // timedelta(microseconds=1) * 1000
        except ValueError:
            raise FieldError(column, f"{value!r} is not an ISO time") from None
    else:
        number = parse_decimal(value, column)
        ns = int(number.scaleb(_UNIT_EXP[unit]).to_integral_value(ROUND_HALF_EVEN))
    if not _MIN_NS <= ns < _MAX_NS:
        raise FieldError(column, f"{value!r} is not a plausible time in unit '{unit}' (check the time unit)")
    return ns


def _fit(d: Decimal, precision: int, column: str, what: str) -> Decimal:
    q = d.quantize(Decimal(1).scaleb(-precision))
    if q != d:
        raise FieldError(
            column, f"{d} has more decimals than the instrument's {what} precision ({precision})"
        )
    return q


def to_price(d: Decimal, precision: int, column: str) -> Price:
    if d <= 0:
        raise FieldError(column, f"{d} is not a positive price")
    return Price(_fit(d, precision, column, "price"), precision)


def to_quantity(d: Decimal, precision: int, column: str, positive: bool = False) -> Quantity:
    if d < 0 or (positive and d == 0):
        raise FieldError(column, f"{d} is not a {'positive' if positive else 'non-negative'} size")
    return Quantity(_fit(d, precision, column, "size"), precision)


def iso(ns: int) -> str:
    return pd.Timestamp(ns, tz="UTC").isoformat().replace("+00:00", "Z")


class _Fields:
    """Typed access to one row through a format's column mapping."""

    def __init__(self, fmt: Format, target: _Target) -> None:
        self.fmt = fmt
        self.target = target

    def col(self, name: str) -> str:
        return self.fmt.columns[name]

    def has(self, name: str) -> bool:
        return name in self.fmt.columns

    def raw(self, row: Row, name: str) -> Any:
        column = self.col(name)
        value = row.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise FieldError(column, "is missing" if value is None else "is empty")
        return value

    def decimal(self, row: Row, name: str) -> Decimal:
        return parse_decimal(row.get(self.col(name)), self.col(name))

    def time(self, row: Row, name: str = "time") -> int:
        return parse_time(
            row.get(self.col(name)), self.fmt.unit(name), self.col(name), self.fmt.tz_offset_hours
        )

    def times(self, row: Row) -> tuple[int, int]:
        ts_event = self.time(row)
        return ts_event, self.time(row, "recv_time") if self.has("recv_time") else ts_event

    def price(self, row: Row, name: str) -> Price:
        return to_price(self.decimal(row, name), self.target.price_precision, self.col(name))

    def quantity(self, row: Row, name: str, positive: bool = False) -> Quantity:
        return to_quantity(self.decimal(row, name), self.target.size_precision, self.col(name), positive)

    def side(self, row: Row, name: str = "side") -> AggressorSide:
        value = str(self.raw(row, name)).strip().lower()
        if value in _BUY:
            return AggressorSide.BUYER
        if value in _SELL:
            return AggressorSide.SELLER
        raise FieldError(self.col(name), f"{value!r} is not a side (buy/sell, b/s, bid/ask)")


# -- builders: one row (or a pair of rows) -> one object --------------------------------------------


class _Builder(_Fields):
    duplicates = 0
    notes: list[str]

    def __call__(self, loc: str, row: Row) -> Any: ...

    def finish(self) -> None:
        """Called after the last row; raises FieldError (with its row's loc) for a dangling row."""


class _Funding(_Builder):
    def __init__(
        self, fmt, target, announce: Announce, interval_hours: float | None, snap_to_hour: bool
    ) -> None:
        super().__init__(fmt, target)
        if announce not in ("settlement", "previous"):
            raise LoaderError(f"announce must be 'settlement' or 'previous', got '{announce}'")
        self.announce = announce
        self.interval_ns = int(Decimal(str(interval_hours)) * NANOS_PER_HOUR) if interval_hours else None
        self.snap = snap_to_hour
        self.seen: dict[int, Decimal] = {}
        self.notes = []

    def __call__(self, loc: str, row: Row) -> FundingRateUpdate | None:
        settlement = self.time(row)
        if self.snap:
            settlement = (settlement + NANOS_PER_HOUR // 2) // NANOS_PER_HOUR * NANOS_PER_HOUR
        rate = self.decimal(row, "rate")
        if self.has("direction"):
            direction = str(self.raw(row, "direction")).strip().lower()
            if rate < 0:
                raise FieldError(
                    self.col("rate"), f"{rate} is negative but the sign comes from '{self.col('direction')}'"
                )
            if direction == "short":  # shorts pay longs: a negative rate in the usual convention
                rate = -rate
            elif direction != "long":
                raise FieldError(self.col("direction"), f"{direction!r} is not long or short")
        known = self.seen.get(settlement)
        if known is not None:
            if known == rate:
                self.duplicates += 1
                return None
            raise FieldError(
                self.col("rate"),
                f"{rate} conflicts with {known} read earlier for the settlement at {iso(settlement)}",
            )
        self.seen[settlement] = rate
        ts = settlement if self.announce == "settlement" else settlement - self._interval(row, settlement)
        return FundingRateUpdate(
            self.target.instrument_id, rate, ts_event=ts, ts_init=ts, next_funding_ns=settlement
        )

    def _interval(self, row: Row, settlement: int) -> int:
        if self.has("interval_hours") and row.get(self.col("interval_hours")) not in (None, ""):
            hours = self.decimal(row, "interval_hours")
            if hours <= 0:
                raise FieldError(self.col("interval_hours"), f"{hours} is not a positive interval")
            return int(hours * NANOS_PER_HOUR)
        if self.interval_ns:
            return self.interval_ns
        market = self.target.market
        hours_at = market.funding_interval_at(settlement) if market is not None else None
        if not hours_at:
            raise LoaderError(
                f"announce='previous' needs the funding interval of {self.target.instrument_id}: "
                "it is not in the registry as a perp and the file has no interval column; pass interval_hours"
            )
        return hours_at * NANOS_PER_HOUR


class _Quotes(_Builder):
    def __init__(self, fmt, target, default_size: Decimal | None) -> None:
        super().__init__(fmt, target)
        self.sized = self.has("bid_size") and self.has("ask_size")
        self.default: Quantity | None = (
            to_quantity(Decimal(default_size), target.size_precision, "default_size")
            if default_size
            else None
        )
        self.notes = []

    def _default_size(self, bid: Price, ask: Price) -> Quantity:
        if self.default is None:
            # The file has no sizes. A fill model needs some: assume the book shows a fixed notional
            # (DEFAULT_QUOTE_NOTIONAL at the first quote's mid) on each side for the whole file.
            mid = (bid.as_decimal() + ask.as_decimal()) / 2
            step = Decimal(1).scaleb(-self.target.size_precision)
            units = max((DEFAULT_QUOTE_NOTIONAL / mid / step).to_integral_value(ROUND_FLOOR), Decimal(1))
            self.default = Quantity(units * step, self.target.size_precision)
            self.notes.append(
                f"no sizes in the file: every quote shows {self.default} on each side "
                f"(~{DEFAULT_QUOTE_NOTIONAL} at the first mid {mid}); set default_size to change it"
            )
        return self.default

    def _quote(self, ts_event: int, ts_init: int, bid: Price, ask: Price, bid_size, ask_size) -> QuoteTick:
        return QuoteTick(self.target.instrument_id, bid, ask, bid_size, ask_size, ts_event, ts_init)

    def __call__(self, loc: str, row: Row) -> QuoteTick:
        ts_event, ts_init = self.times(row)
        bid, ask = self.price(row, "bid"), self.price(row, "ask")
        if bid > ask:
            raise FieldError(self.col("ask"), f"{ask} is below the bid {bid} (crossed quote)")
        if self.sized:
            bid_size, ask_size = self.quantity(row, "bid_size"), self.quantity(row, "ask_size")
        else:
            bid_size = ask_size = self._default_size(bid, ask)
        return self._quote(ts_event, ts_init, bid, ask, bid_size, ask_size)


class _PairedQuotes(_Quotes):
    """One row per side (djienne HL): a bid row and an ask row with the same times make one quote."""

    def __init__(self, fmt, target, default_size: Decimal | None) -> None:
        super().__init__(fmt, target, default_size)
        self.sized = self.has("size")
        self.pending: tuple[str, tuple[int, int], str, Price, Quantity | None] | None = None

    def __call__(self, loc: str, row: Row) -> QuoteTick | None:
        times = self.times(row)
        side = str(self.raw(row, "side")).strip().lower()
        if side not in ("bid", "ask"):
            raise FieldError(self.col("side"), f"{side!r} is not bid or ask")
        half = (
            loc,
            times,
            side,
            self.price(row, "price"),
            self.quantity(row, "size") if self.sized else None,
        )
        pending, self.pending = self.pending, None
        if pending is None:
            self.pending = half
            return None
        p_loc, p_times, p_side, *_ = pending
        if p_times != times or p_side == side:
            self.pending = half  # the earlier row lost its partner; this one may still find one
            other = "ask" if p_side == "bid" else "bid"
            raise FieldError(
                self.col("side"), f"{p_side} row has no matching {other} row with the same times", loc=p_loc
            )
        bid_half, ask_half = (pending, half) if p_side == "bid" else (half, pending)
        bid, ask = bid_half[3], ask_half[3]
        if bid > ask:
            raise FieldError(self.col("price"), f"ask {ask} is below the bid {bid} (crossed quote)")
        if self.sized:
            bid_size, ask_size = bid_half[4], ask_half[4]
        else:
            bid_size = ask_size = self._default_size(bid, ask)
        return self._quote(times[0], times[1], bid, ask, bid_size, ask_size)

    def finish(self) -> None:
        if self.pending is not None:
            p_loc, _, p_side, *_ = self.pending
            self.pending = None
            raise FieldError(
                self.col("side"), f"{p_side} row at the end of the file has no partner row", loc=p_loc
            )


class _Trades(_Builder):
    def __init__(self, fmt, target) -> None:
        super().__init__(fmt, target)
        self.ids: set[str] = set()
        self.count = 0
        self.notes = []

    def __call__(self, loc: str, row: Row) -> TradeTick | None:
        ts_event, ts_init = self.times(row)
        price, size, side = (
            self.price(row, "price"),
            self.quantity(row, "size", positive=True),
            self.side(row),
        )
        self.count += 1
        if self.has("trade_id"):
            trade_id = str(self.raw(row, "trade_id")).strip()
            if len(trade_id) > 36:
                raise FieldError(self.col("trade_id"), f"{trade_id!r} is longer than 36 characters")
            if trade_id in self.ids:  # collectors re-send recent trades after a reconnect
                self.duplicates += 1
                return None
            self.ids.add(trade_id)
        else:
            trade_id = f"{ts_event}-{self.count}"
        return TradeTick(self.target.instrument_id, price, size, side, TradeId(trade_id), ts_event, ts_init)


_INTERVAL_UNITS = {"m": "MINUTE", "h": "HOUR", "d": "DAY", "w": "WEEK", "M": "MONTH", "s": "SECOND"}


def interval_to_bar_spec(interval: str) -> str:
    """Venue interval text (`1m`, `1h`, `4h`, `1d`, ...) -> Nautilus bar spec `1-HOUR-LAST`."""
    text = interval.strip()
    step, unit = text[:-1], text[-1:]
    if not step.isdigit() or unit not in _INTERVAL_UNITS:
        raise ValueError(f"{interval!r} is not an interval like 1m, 1h, 1d")
    return f"{int(step)}-{_INTERVAL_UNITS[unit]}-LAST"


class _Bars(_Builder):
    def __init__(self, fmt, target, bar_spec: str | None) -> None:
        super().__init__(fmt, target)
        self.bar_type: BarType | None = None
        self.step = 0
        self.notes = []
        spec = bar_spec or fmt.bar_spec
        if spec is not None:
            self._set_spec(spec)

    def _set_spec(self, spec: str) -> None:
        try:
            parsed = BarSpecification.from_str(spec)
            self.bar_type = BarType.from_str(f"{self.target.instrument_id}-{parsed}-EXTERNAL")
        except ValueError as e:
            raise LoaderError(
                f"bar spec '{spec}' is not valid (e.g. 1-MINUTE-LAST, 1-HOUR-LAST): {e}"
            ) from None
        if self.fmt.bar_time == "open":
            try:
                self.step = int(pd.Timedelta(parsed.timedelta).value)
            except (ValueError, TypeError):
                raise LoaderError(
                    f"bar spec '{spec}' has no fixed length; bar open times cannot be closed"
                ) from None

    def __call__(self, loc: str, row: Row) -> Bar:
        if self.has("interval"):
            try:
                spec = interval_to_bar_spec(str(self.raw(row, "interval")))
            except ValueError as e:
                raise FieldError(self.col("interval"), str(e)) from None
            if self.bar_type is None:
                self._set_spec(spec)
            elif str(self.bar_type.spec) != spec:
                raise FieldError(
                    self.col("interval"), f"{spec} differs from the file's bar spec {self.bar_type.spec}"
                )
        if self.bar_type is None:
            raise LoaderError(
                f"format '{self.fmt.name}' does not tell the bar length: pass bar_spec (e.g. 1-MINUTE-LAST)"
            )
        ts = self.time(row) + self.step  # Nautilus stamps a bar at its close
        o, h, low, c = (self.price(row, f) for f in ("open", "high", "low", "close"))
        volume = self.quantity(row, "volume")
        try:
            return Bar(self.bar_type, o, h, low, c, volume, ts, ts)
        except ValueError as e:
            raise FieldError(self.col("high"), f"inconsistent bar ({e})") from None


# -- results ---------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    kind: Kind
    path: Path
    format: str
    instrument_id: InstrumentId
    objects: list
    rows: int  # records read for this instrument (other symbols' rows not counted)
    skipped: int = 0
    skip_reasons: list[str] = field(default_factory=list)
    duplicates: int = 0  # records repeated in the file (same settlement / trade id), dropped
    other_symbols: int = 0  # rows of other symbols, filtered out (Parquet files filter before reading: 0)
    notes: list[str] = field(default_factory=list)
    target: _Target | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        return len(self.objects)

    @property
    def start(self) -> int:
        return self.objects[0].ts_init

    @property
    def end(self) -> int:
        return self.objects[-1].ts_init

    @property
    def instrument(self) -> Instrument:
        """The instrument definition (registry fees in force at the first loaded timestamp)."""
        assert self.target is not None
        return self.target.definition(self.start)

    def summary(self) -> str:
        noun = {"funding": "funding updates", "quotes": "quotes", "trades": "trades", "bars": "bars"}[
            self.kind
        ]
        extra = "".join(
            f", {n:,} {what}"
            for n, what in (
                (self.skipped, "rows skipped"),
                (self.duplicates, "duplicates dropped"),
                (self.other_symbols, "rows of other symbols"),
            )
            if n
        )
        return (
            f"{self.count:,} {noun} for {self.instrument_id} from {self.rows:,} rows{extra}; "
            f"{iso(self.start)} -> {iso(self.end)}"
        )


def _run(
    path: Path,
    kind: Kind,
    fmt: Format,
    target: _Target,
    builder: _Builder,
    symbol: str | None,
    on_error: OnError,
) -> LoadResult:
    if on_error not in ("raise", "skip"):
        raise LoaderError(f"on_error must be 'raise' or 'skip', got '{on_error}'")
    sym_col = fmt.column("symbol")
    want = symbol
    if want is None and fmt.multi_symbol:
        want = target.venue_symbol
        if want is None:
            raise LoaderError(
                f"{path} holds many symbols: pass symbol= (the venue's own symbol, e.g. BTCUSDT)"
            )
    if want is not None and sym_col is None:
        raise LoaderError(f"format '{fmt.name}' has no symbol column to select '{want}' by")
    where = (sym_col, want) if want is not None and sym_col is not None else None
    result = LoadResult(kind, path, fmt.name, target.instrument_id, [], 0, target=target)
    symbols: set[str] = set()

    def fail(e: FieldError, loc: str) -> None:
        err = LoaderError(f"{path}:{e.loc or loc}: {e}")
        if on_error == "raise":
            raise err
        result.skipped += 1
        if len(result.skip_reasons) < MAX_REASONS:
            result.skip_reasons.append(str(err))

    loc = "?"
    for loc, row in read_rows(path, fmt.source, where):
        if sym_col is not None:
            value = row.get(sym_col)
            text = None if value is None else str(value)
            if want is not None and text != want:
                result.other_symbols += 1
                continue
            if text is not None and len(symbols) < 50:
                symbols.add(text)
        result.rows += 1
        try:
            obj = builder(loc, row)
        except FieldError as e:
            fail(e, loc)
            continue
        if obj is not None:
            result.objects.append(obj)
    try:
        builder.finish()
    except FieldError as e:
        fail(e, loc)
    if want is None and len(symbols) > 1:
        raise LoaderError(
            f"{path} holds several symbols ({', '.join(sorted(symbols))}): pass symbol= to pick one"
        )
    if want is not None and result.rows == 0:
        raise LoaderError(f"{path}: no rows with {sym_col} = '{want}'")
    if not result.objects:
        first = f" (first: {result.skip_reasons[0]})" if result.skip_reasons else ""
        raise LoaderError(f"{path}: no {kind} to load from {result.rows} rows{first}")
    result.objects.sort(key=lambda o: o.ts_init)  # stable: equal times keep file order
    result.duplicates = builder.duplicates
    result.notes = builder.notes
    return result


def _format(
    kind: Kind,
    format: str | Format | None,
    columns: dict[str, str] | None,
    time_unit: str | None,
    tz_offset_hours: float | None,
) -> Format:
    base = preset(kind, format) if isinstance(format, str) else format
    if base is None and not columns:
        raise LoaderError(f"give a {kind} format preset or a column mapping")
    fmt = custom_format(kind, columns or {}, time_unit, base=base) if columns or time_unit else base
    assert fmt is not None
    if fmt.kind != kind:
        raise LoaderError(f"format '{fmt.name}' is a {fmt.kind} format, not {kind}")
    if tz_offset_hours is not None:
        fmt = replace(fmt, tz_offset_hours=float(tz_offset_hours))
    return fmt.check()


# -- public loaders --------------------------------------------------------------------------------


def load_funding(
    path: Path | str,
    instrument: Instrument | InstrumentId | str,
    format: str | Format | None = None,
    *,
    columns: dict[str, str] | None = None,
    time_unit: str | None = None,
    tz_offset_hours: float | None = None,
    symbol: str | None = None,
    announce: Announce = "settlement",
    interval_hours: float | None = None,
    snap_to_hour: bool = False,
    on_error: OnError = "raise",
    spec: InstrumentSpec | None = None,
    registry: Registry | None = None,
) -> LoadResult:
    """Funding settlement records -> `FundingRateUpdate` (see the module doc for `announce`).

    `snap_to_hour` rounds settlement times to the nearest whole hour (HL stamps settlements a few ms
    late, Pacifica a few seconds early or late); off by default so the file's times are kept.
    `interval_hours` overrides the registry's interval for `announce="previous"` (a per-row interval
    column, as in ZuShen files, wins over both)."""
    fmt = _format("funding", format, columns, time_unit, tz_offset_hours)
    target = _resolve(instrument, spec, registry)
    builder = _Funding(fmt, target, announce, interval_hours, snap_to_hour)
    return _run(Path(path), "funding", fmt, target, builder, symbol, on_error)


def load_quotes(
    path: Path | str,
    instrument: Instrument | InstrumentId | str,
    format: str | Format | None = None,
    *,
    columns: dict[str, str] | None = None,
    time_unit: str | None = None,
    tz_offset_hours: float | None = None,
    symbol: str | None = None,
    default_size: Decimal | str | None = None,
    on_error: OnError = "raise",
    spec: InstrumentSpec | None = None,
    registry: Registry | None = None,
) -> LoadResult:
    """BBO rows -> `QuoteTick`. A crossed quote (bid > ask) is a bad row.

    For files without sizes (djienne Aster), every quote shows `default_size` on both sides; when not
    given it is DEFAULT_QUOTE_NOTIONAL (100,000 in the quote currency) at the first quote's mid, rounded
    down to the lot, and the result's notes say which size was used."""
    fmt = _format("quotes", format, columns, time_unit, tz_offset_hours)
    target = _resolve(instrument, spec, registry)
    size = Decimal(str(default_size)) if default_size is not None else None
    builder = _PairedQuotes(fmt, target, size) if fmt.paired_sides else _Quotes(fmt, target, size)
    return _run(Path(path), "quotes", fmt, target, builder, symbol, on_error)


def load_trades(
    path: Path | str,
    instrument: Instrument | InstrumentId | str,
    format: str | Format | None = None,
    *,
    columns: dict[str, str] | None = None,
    time_unit: str | None = None,
    tz_offset_hours: float | None = None,
    symbol: str | None = None,
    on_error: OnError = "raise",
    spec: InstrumentSpec | None = None,
    registry: Registry | None = None,
) -> LoadResult:
    """Trade rows -> `TradeTick`; a trade id seen before in the file is dropped and counted."""
    fmt = _format("trades", format, columns, time_unit, tz_offset_hours)
    target = _resolve(instrument, spec, registry)
    return _run(Path(path), "trades", fmt, target, _Trades(fmt, target), symbol, on_error)


def load_bars(
    path: Path | str,
    instrument: Instrument | InstrumentId | str,
    format: str | Format | None = None,
    *,
    columns: dict[str, str] | None = None,
    time_unit: str | None = None,
    tz_offset_hours: float | None = None,
    symbol: str | None = None,
    bar_spec: str | None = None,
    on_error: OnError = "raise",
    spec: InstrumentSpec | None = None,
    registry: Registry | None = None,
) -> LoadResult:
    """OHLCV rows -> `Bar` (`<instrument>-<bar_spec>-EXTERNAL`), stamped at the bar's close."""
    fmt = _format("bars", format, columns, time_unit, tz_offset_hours)
    target = _resolve(instrument, spec, registry)
    return _run(Path(path), "bars", fmt, target, _Bars(fmt, target, bar_spec), symbol, on_error)


LOADERS: dict[str, Callable[..., LoadResult]] = {
    "funding": load_funding,
    "quotes": load_quotes,
    "trades": load_trades,
    "bars": load_bars,
}


def load(
    kind: Kind, path: Path | str, instrument: Instrument | InstrumentId | str, format=None, **kwargs
) -> LoadResult:
    try:
        loader = LOADERS[kind]
    except KeyError:
        raise LoaderError(f"unknown kind '{kind}' (known: {', '.join(LOADERS)})") from None
    return loader(path, instrument, format, **kwargs)


# -- catalog ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteReport:
    written: int  # objects written
    replaced: int = 0  # rows already in the catalog within the loaded time range, removed (mode replace)
    already_covered: int = 0  # loaded objects not written: the catalog already covers their time (mode skip)
    instrument_added: bool = False


def _identifier(obj: Any) -> str:
    return str(obj.bar_type) if isinstance(obj, Bar) else obj.instrument_id.value


def load_into_catalog(
    catalog: ParquetDataCatalog,
    data: LoadResult | Sequence[Any],
    instrument: Instrument | None = None,
    mode: WriteMode = "replace",
) -> WriteReport:
    """Write loaded objects (sorted by `ts_init`) and, if the catalog lacks it, the instrument.

    Nautilus keeps one Parquet file per time interval and per (type, instrument or bar type), and the
    intervals of one directory must not overlap. Re-loading must not duplicate rows, so:
    * `replace` (default): existing rows of the same type and instrument within the loaded range
      [first ts_init, last ts_init] are removed (files straddling the range are split), then the new
      rows are written. Loading the same file twice leaves the catalog as after the first load. Funding
      records are also replaced when their settlement falls in the loaded settlements' range, so
      switching `announce` mode never leaves two records for one settlement.
    * `skip`: loaded rows whose time falls inside an existing file's interval are dropped; the rest
      are written, one file per gap between existing intervals.
    """
    if mode not in ("replace", "skip"):
        raise LoaderError(f"mode must be 'replace' or 'skip', got '{mode}'")
    objects = list(data.objects if isinstance(data, LoadResult) else data)
    if not objects:
        raise LoaderError("nothing to write")
    if instrument is None:
        if isinstance(data, LoadResult):
            instrument = data.instrument
        else:
            market = default_registry().find_market(objects[0].instrument_id)
            instrument = market.to_instrument(objects[0].ts_init) if market else None
    added = _add_instrument(catalog, instrument) if instrument is not None else False
    groups: dict[tuple[type, str], list] = {}
    for obj in objects:
        groups.setdefault((type(obj), _identifier(obj)), []).append(obj)
    written = replaced = covered = 0
    for (cls, identifier), items in groups.items():
        items.sort(key=lambda o: o.ts_init)
        if mode == "replace":
            replaced += _replace(catalog, cls, identifier, items)
            written += len(items)
        else:
            kept = _skip_covered(catalog, cls, identifier, items)
            covered += len(items) - len(kept)
            written += len(kept)
    return WriteReport(written=written, replaced=replaced, already_covered=covered, instrument_added=added)


def _add_instrument(catalog: ParquetDataCatalog, instrument: Instrument) -> bool:
    if catalog.instruments(instrument_ids=[instrument.id.value]):
        return False
    catalog.write_data([instrument])
    return True


def _replace(catalog: ParquetDataCatalog, cls: type, identifier: str, items: list) -> int:
    if cls is FundingRateUpdate:
        return _replace_funding(catalog, identifier, items)
    lo, hi = items[0].ts_init, items[-1].ts_init
    files = catalog._query_files(cls, [identifier], lo, hi)
    existing = 0
    for f in files:
        ts = pq.read_table(f, columns=["ts_init"], filesystem=catalog.fs).column("ts_init").to_pylist()
        existing += sum(lo <= t <= hi for t in ts)
    if files:
        catalog.delete_data_range(cls, identifier, start=lo, end=hi)
    catalog.write_data(items)
    return existing


def _replace_funding(catalog: ParquetDataCatalog, identifier: str, items: list[FundingRateUpdate]) -> int:
    """A funding record is identified by its settlement, and it may sit at its settlement or an interval
    before it (`announce`). Replace existing records whose publication time or settlement falls in the
    loaded ranges, so re-loading in either announce mode never leaves two records for one settlement.
    Funding series are small (one row per settlement), so the instrument's files are rewritten as one."""
    existing = catalog.query(FundingRateUpdate, identifiers=[identifier])
    if not existing:
        catalog.write_data(items)
        return 0
    lo, hi = items[0].ts_init, items[-1].ts_init
    settlements = [u.next_funding_ns for u in items if u.next_funding_ns]
    s_lo, s_hi = (min(settlements), max(settlements)) if settlements else (lo, hi)
    keep = [
        u
        for u in existing
        if not (lo <= u.ts_init <= hi or (u.next_funding_ns and s_lo <= u.next_funding_ns <= s_hi))
    ]
    old_files = catalog._query_files(FundingRateUpdate, [identifier])
    merged = sorted([*keep, *items], key=lambda u: u.ts_init)
    # write the merged file first, then drop the old ones: a failed write loses nothing
    catalog.write_data(merged, skip_disjoint_check=True)
    new_name = _file_name(merged[0].ts_init, merged[-1].ts_init)
    for f in old_files:
        if Path(f).name != new_name:  # an old file of the same name was overwritten by the write
            catalog.fs.rm(f)
    return len(existing) - len(keep)


def _skip_covered(catalog: ParquetDataCatalog, cls: type, identifier: str, items: list) -> list:
    intervals = catalog.get_intervals(cls, identifier)
    starts = [s for s, _ in intervals]
    kept: list = []
    gaps: dict[int, list] = {}
    for obj in items:
        i = bisect.bisect_right(starts, obj.ts_init)  # intervals starting at or before ts: [0, i)
        if i and obj.ts_init <= intervals[i - 1][1]:
            continue  # inside an existing file's interval
        gaps.setdefault(i, []).append(obj)  # objects between interval i-1 and interval i
        kept.append(obj)
    for chunk in gaps.values():
        catalog.write_data(chunk)
    return kept
