"""Venue-agnostic data of the matching core: markets, orders, fills, positions, events.

Markets are keyed by the venue's own name for them (a front decides the names); the core never
interprets the key. Amounts are Decimals; times are UTC milliseconds (what most venues put on the
wire).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Side(StrEnum):
    BUY = "B"
    SELL = "A"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class Tif(StrEnum):
    GTC = "Gtc"
    IOC = "Ioc"
    ALO = "Alo"  # post-only


class OrderStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"


class Reject(StrEnum):
    """Why the core refused or ended an order; fronts turn these into their venue's words."""

    IOC_NO_MATCH = "ioc_no_match"
    POST_ONLY_WOULD_CROSS = "post_only_would_cross"
    INSUFFICIENT_MARGIN = "insufficient_margin"
    INSUFFICIENT_SPOT_BALANCE = "insufficient_spot_balance"
    REDUCE_ONLY_WOULD_INCREASE = "reduce_only_would_increase"
    INJECTED = "injected"


@dataclass
class MarketSpec:
    key: str  # the venue's name for the market (Hyperliquid coin: "BTC", "xyz:NVDA", "HYPE/USDC")
    kind: str  # "perp" | "spot"
    base: str
    quote: str
    size_decimals: int
    price: Decimal  # initial mid
    group: str = ""  # margin group: perps in one group share collateral (Hyperliquid: the perp dex)
    max_leverage: int = 20
    funding_rate: Decimal = Decimal("0.0000125")
    sig_figs: int | None = 5  # price rule: significant figures (None = tick only)
    max_price_decimals: int | None = None
    tick: Decimal | None = None
    depth_levels: int = 20
    level_spacing_bps: Decimal = Decimal("1")
    half_spread_bps: Decimal = Decimal("1")
    level_notional: Decimal = Decimal("50000")  # quote value resting at each synthetic level
    vol_bps: float = 2.0
    maker_fee: Decimal = Decimal("0.00015")
    taker_fee: Decimal = Decimal("0.00045")
    min_notional: Decimal = Decimal("10")

    @property
    def lot(self) -> Decimal:
        return Decimal(1).scaleb(-self.size_decimals)

    def round_price(self, px: Decimal, up: bool) -> Decimal:
        """The nearest valid price on the side away from the mid (bids down, asks up)."""
        rounding = ROUND_CEILING if up else ROUND_FLOOR
        if self.tick:
            return (px / self.tick).to_integral_value(rounding=rounding) * self.tick
        out = px
        if self.sig_figs:
            exp = px.adjusted() - self.sig_figs + 1
            if exp > 0:
                exp = 0  # integer prices are always allowed
            out = out.quantize(Decimal(1).scaleb(exp), rounding=rounding)
        if self.max_price_decimals is not None:
            out = out.quantize(Decimal(1).scaleb(-self.max_price_decimals), rounding=rounding)
        return out.quantize(Decimal(1)) if out == out.to_integral_value() else out

    def round_size(self, sz: Decimal) -> Decimal:
        return sz.quantize(self.lot, rounding=ROUND_FLOOR)


@dataclass
class SimOrder:
    oid: int
    user: str
    market: str
    side: Side
    price: Decimal
    size: Decimal  # remaining
    orig_size: Decimal
    tif: Tif
    reduce_only: bool
    cloid: str | None
    timestamp: int
    status: OrderStatus = OrderStatus.OPEN
    status_timestamp: int = 0
    reject: Reject | None = None
    filled: Decimal = ZERO
    notional: Decimal = ZERO  # sum of px*sz filled

    @property
    def avg_px(self) -> Decimal | None:
        return self.notional / self.filled if self.filled else None


@dataclass
class Fill:
    user: str
    market: str
    oid: int
    tid: int
    side: Side
    price: Decimal
    size: Decimal
    time: int
    crossed: bool  # taker
    fee: Decimal
    fee_token: str
    start_position: Decimal
    direction: str
    closed_pnl: Decimal
    hash: str
    cloid: str | None


@dataclass
class Position:
    szi: Decimal = ZERO
    entry_px: Decimal = ZERO
    cum_funding_all: Decimal = ZERO
    cum_funding_open: Decimal = ZERO


@dataclass
class FundingEntry:
    user: str
    market: str
    time: int
    szi: Decimal
    rate: Decimal
    amount: Decimal  # signed from the user's side (+ received)
    oracle_px: Decimal


@dataclass
class Trade:
    market: str
    side: Side  # aggressor side
    price: Decimal
    size: Decimal
    time: int
    tid: int
    hash: str
    buyer: str
    seller: str


@dataclass
class PlaceResult:
    order: SimOrder
    fills: list[Fill] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.order.status is not OrderStatus.REJECTED


# -- events fronts subscribe to -------------------------------------------------------------------
@dataclass
class BookEvent:
    market: str


@dataclass
class TradeEvent:
    trade: Trade


@dataclass
class OrderEvent:
    order: SimOrder


@dataclass
class FillEvent:
    fill: Fill


@dataclass
class FundingEvent:
    entry: FundingEntry


@dataclass
class FundingRateEvent:
    market: str
    rate: Decimal
    time: int


SimEvent = BookEvent | TradeEvent | OrderEvent | FillEvent | FundingEvent | FundingRateEvent
