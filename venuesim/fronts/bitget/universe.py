"""Bitget's view of the simulated markets: USDT-M perpetuals (incl. stock perps like NVDAUSDT) and
spot pairs, with the contract fields the venue publishes (pricePlace, priceEndStep, volumePlace,
sizeMultiplier, minTradeNum, minTradeUSDT, maxLever, fundInterval).

Core market keys: a perp is its symbol (`NVDAUSDT`), a spot pair `<SYMBOL>-SPOT` (`BTCUSDT-SPOT`),
since the venue uses the same symbol for both. Those keys are what the control API takes
(`POST /_sim/price {"market": "NVDAUSDT", "shift_bps": 80}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from venuesim.core.model import MarketSpec

PERP = "USDT-FUTURES"
SPOT = "SPOT"
PERP_GROUP = "USDT-FUTURES"  # perps share one cross-margin USDT account
FEES = {
    "perp": (Decimal("0.0002"), Decimal("0.0006")),
    "spot": (Decimal("0.001"), Decimal("0.001")),
}

DEFAULT_MARKETS: list[dict[str, Any]] = [
    {"symbol": "BTCUSDT", "kind": "perp", "price": "65000", "price_place": 1, "price_end_step": 1,
     "volume_place": 4, "size_multiplier": "0.0001", "min_trade_num": "0.0001", "max_leverage": 125},
    {"symbol": "ETHUSDT", "kind": "perp", "price": "3500", "price_place": 2, "price_end_step": 1,
     "volume_place": 2, "size_multiplier": "0.01", "min_trade_num": "0.01", "max_leverage": 100},
    {"symbol": "SOLUSDT", "kind": "perp", "price": "150", "price_place": 3, "price_end_step": 1,
     "volume_place": 1, "size_multiplier": "0.1", "min_trade_num": "0.1", "max_leverage": 75},
    {"symbol": "NVDAUSDT", "kind": "perp", "price": "180", "price_place": 2, "price_end_step": 1,
     "volume_place": 2, "size_multiplier": "0.01", "min_trade_num": "0.01", "max_leverage": 25},
    {"symbol": "BTCUSDT", "kind": "spot", "price": "65000", "price_place": 2, "volume_place": 6,
     "min_trade_num": "0.000001"},
    {"symbol": "ETHUSDT", "kind": "spot", "price": "3500", "price_place": 2, "volume_place": 4,
     "min_trade_num": "0.0001"},
]  # fmt: skip


@dataclass
class BgMarket:
    spec: MarketSpec
    symbol: str
    product: str  # USDT-FUTURES | SPOT
    base: str
    quote: str
    price_place: int
    price_end_step: int
    volume_place: int
    size_multiplier: Decimal
    min_trade_num: Decimal
    min_trade_usdt: Decimal
    max_leverage: int
    fund_interval: int  # hours (perps)
    status: str = "normal"

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def is_spot(self) -> bool:
        return self.product == SPOT

    @property
    def tick(self) -> Decimal:
        return Decimal(self.price_end_step) * Decimal(1).scaleb(-self.price_place)

    def px(self, value: Decimal) -> str:
        """A price as the venue prints it: always `price_place` decimals ("27000.0")."""
        return f"{value.quantize(Decimal(1).scaleb(-self.price_place)):f}"

    def sz(self, value: Decimal) -> str:
        return f"{value.quantize(Decimal(1).scaleb(-self.volume_place)):f}"


@dataclass
class Universe:
    markets: dict[str, BgMarket] = field(default_factory=dict)  # core key -> market
    by_symbol: dict[tuple[str, str], BgMarket] = field(default_factory=dict)  # (product, symbol)

    def specs(self) -> list[MarketSpec]:
        return [m.spec for m in self.markets.values()]

    def perps(self) -> list[BgMarket]:
        return [m for m in self.markets.values() if not m.is_spot]

    def spots(self) -> list[BgMarket]:
        return [m for m in self.markets.values() if m.is_spot]

    def lookup(self, product: str, symbol: str) -> BgMarket | None:
        p = SPOT if product.upper() in (SPOT, "SP") else PERP
        return self.by_symbol.get((p, (symbol or "").upper()))


def build_universe(markets: list[dict[str, Any]] | None = None) -> Universe:
    u = Universe()
    for raw in markets or DEFAULT_MARKETS:
        symbol = str(raw["symbol"]).upper()
        kind = raw.get("kind", "perp")
        if kind not in ("perp", "spot"):
            raise ValueError(f"market {symbol}: kind must be 'perp' or 'spot', got {kind!r}")
        base = raw.get("base") or symbol[: -len("USDT")] if symbol.endswith("USDT") else raw.get("base")
        if not base:
            raise ValueError(f"market {symbol}: give 'base' (the symbol does not end in USDT)")
        pp = int(raw.get("price_place", 2))
        step = int(raw.get("price_end_step", 1))
        vp = int(raw.get("volume_place", 2))
        mult = Decimal(str(raw.get("size_multiplier", Decimal(1).scaleb(-vp))))
        fees = FEES[kind]
        tick = Decimal(step) * Decimal(1).scaleb(-pp)
        key = symbol if kind == "perp" else f"{symbol}-SPOT"
        spec = MarketSpec(
            key=key, kind=kind, base=base, quote="USDT", size_decimals=vp, price=Decimal(str(raw["price"])),
            group=PERP_GROUP if kind == "perp" else "spot", max_leverage=int(raw.get("max_leverage", 20)),
            funding_rate=Decimal(str(raw.get("funding_rate", "0.0001"))), sig_figs=None, tick=tick,
            maker_fee=fees[0], taker_fee=fees[1], vol_bps=float(raw.get("vol_bps", 2.0)),
            min_notional=Decimal(str(raw.get("min_trade_usdt", 5 if kind == "perp" else 1))),
            depth_levels=int(raw.get("depth_levels", 30)),
        )  # fmt: skip
        m = BgMarket(
            spec=spec, symbol=symbol, product=PERP if kind == "perp" else SPOT, base=base, quote="USDT",
            price_place=pp, price_end_step=step, volume_place=vp, size_multiplier=mult,
            min_trade_num=Decimal(str(raw.get("min_trade_num", mult))), min_trade_usdt=spec.min_notional,
            max_leverage=spec.max_leverage, fund_interval=int(raw.get("fund_interval", 8)),
            status=str(raw.get("status", "normal" if kind == "perp" else "online")),
        )  # fmt: skip
        if key in u.markets:
            raise ValueError(f"duplicate market {symbol} ({kind})")
        u.markets[key] = m
        u.by_symbol[(m.product, symbol)] = m
    return u
