"""The adapter's table of Bitget markets: (product type, symbol) <-> Nautilus instrument, with the
venue's price/size rules.

Perps (`/api/v2/mix/market/contracts`): tick = priceEndStep x 10^-pricePlace, lot = sizeMultiplier
(decimals volumePlace), min size minTradeNum, min notional minTradeUSDT, max leverage maxLever,
funding interval fundInterval (hours). Spot (`/api/v2/spot/public/symbols`): tick =
10^-pricePrecision, lot = 10^-quantityPrecision, min notional minTradeUSDT.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument

from adapters.bitget.constants import BITGET
from adapters.bitget.constants import SPOT
from adapters.common.errors import ConfigurationError


@dataclass(frozen=True)
class BitgetMarket:
    instrument_id: InstrumentId
    symbol: str  # venue symbol, e.g. "BTCUSDT"
    product_type: str  # "USDT-FUTURES" | "SPOT"
    base: str
    quote: str
    price_precision: int
    tick: Decimal
    size_precision: int
    lot: Decimal
    min_qty: Decimal
    min_notional: Decimal
    max_leverage: int | None = None
    funding_interval_hours: int | None = None
    status: str = "normal"
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0006")

    @property
    def is_spot(self) -> bool:
        return self.product_type == SPOT

    @property
    def inst_type(self) -> str:
        """The WebSocket `instType` of this market."""
        return self.product_type

    @property
    def tradable(self) -> bool:
        return self.status in ("normal", "online")

    def round_price(self, px: Decimal, direction: str) -> Decimal:
        """`px` on the tick: "down" / "up" (passive rounding), or "nearest"."""
        steps = px / self.tick
        if direction == "down":
            n = steps.to_integral_value(rounding=ROUND_FLOOR)
        elif direction == "up":
            n = steps.to_integral_value(rounding=ROUND_CEILING)
        else:
            n = steps.to_integral_value()
        return (n * self.tick).quantize(Decimal(1).scaleb(-self.price_precision))

    def is_on_tick(self, px: Decimal) -> bool:
        return px > 0 and (px / self.tick) == (px / self.tick).to_integral_value()

    def is_on_lot(self, qty: Decimal) -> bool:
        return qty > 0 and (qty / self.lot) == (qty / self.lot).to_integral_value()


@dataclass
class MarketIndex:
    by_instrument: dict[InstrumentId, BitgetMarket] = field(default_factory=dict)
    by_symbol: dict[tuple[str, str], BitgetMarket] = field(default_factory=dict)
    instruments: dict[InstrumentId, Instrument] = field(default_factory=dict)

    def add(self, market: BitgetMarket, instrument: Instrument) -> None:
        self.by_instrument[market.instrument_id] = market
        self.by_symbol[(market.product_type, market.symbol)] = market
        self.instruments[market.instrument_id] = instrument

    def market(self, instrument_id: InstrumentId) -> BitgetMarket:
        m = self.by_instrument.get(instrument_id)
        if m is None:
            raise ConfigurationError(f"{instrument_id} is not a loaded Bitget market", venue=BITGET)
        return m

    def instrument(self, instrument_id: InstrumentId) -> Instrument:
        self.market(instrument_id)
        return self.instruments[instrument_id]

    def lookup(self, product_type: str, symbol: str) -> BitgetMarket | None:
        return self.by_symbol.get((product_type.upper(), symbol.upper()))
