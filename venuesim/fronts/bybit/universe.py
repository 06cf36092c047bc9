"""Bybit's view of the simulated markets: `spot` pairs and `linear` USDT perpetuals, each with the
venue's filters (tick, qty step, minimums), funding interval and fees.

By default the markets are the Bybit markets of the canonical registry (`catalog/registry.toml`), so
what the simulator lists is what backtests and strategies expect (`BTCUSDT-LINEAR.BYBIT`,
`BTCUSDT-SPOT.BYBIT`, ...). A market in the matching core is keyed `<category>:<symbol>`, because
spot and linear share symbol names.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from venuesim.core.model import MarketSpec
from venuesim.core.pricepath import PricePath
from venuesim.fronts.bybit.protocol import decimals_of
from venuesim.fronts.bybit.protocol import fmt

SETTLE_COIN = "USDT"
LAUNCH_TIME_MS = 1_584_230_400_000  # listed long ago: 2020-03-15
START_PRICES = {"BTC": "65000", "ETH": "3500", "SOL": "150", "NVDA": "180", "XRP": "0.6"}
# Linear fees in the registry are base-tier; keep the venue's defaults when a market gives none.
DEFAULT_FEES = {
    "linear": (Decimal("0.0002"), Decimal("0.00055")),
    "spot": (Decimal("0.001"), Decimal("0.001")),
}


@dataclass
class BybitMarket:
    spec: MarketSpec
    category: str  # "spot" | "linear"
    symbol: str  # "BTCUSDT"
    base: str
    quote: str
    tick: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_leverage: int = 100
    funding_interval_min: int = 480
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def is_spot(self) -> bool:
        return self.category == "spot"

    @property
    def price_places(self) -> int:
        return decimals_of(self.tick)

    @property
    def qty_places(self) -> int:
        return decimals_of(self.qty_step)

    def px(self, d: Decimal | None) -> str:
        return fmt(d, self.price_places) if d is not None else ""

    def qty(self, d: Decimal | None) -> str:
        return fmt(d, self.qty_places) if d is not None else ""

    def on_tick(self, price: Decimal) -> bool:
        return price > 0 and (price / self.tick) == (price / self.tick).to_integral_value()

    def on_step(self, qty: Decimal) -> bool:
        return qty > 0 and (qty / self.qty_step) == (qty / self.qty_step).to_integral_value()

    def instrument_info(self) -> dict[str, Any]:
        """One `instruments-info` item, field for field as the venue lists it."""
        if self.is_spot:
            return {
                "symbol": self.symbol,
                "baseCoin": self.base,
                "quoteCoin": self.quote,
                "innovation": "0",
                "status": "Trading",
                "marginTrading": "utaOnly",
                "stTag": "0",
                "lotSizeFilter": {
                    "basePrecision": fmt(self.qty_step),
                    "quotePrecision": "0.00000001",
                    "minOrderQty": fmt(self.min_qty),
                    "maxOrderQty": fmt(self.max_qty),
                    "minOrderAmt": fmt(self.min_notional),
                    "maxOrderAmt": "2000000",
                },
                "priceFilter": {"tickSize": fmt(self.tick)},
                "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
            }
        return {
            "symbol": self.symbol,
            "contractType": "LinearPerpetual",
            "status": "Trading",
            "baseCoin": self.base,
            "quoteCoin": self.quote,
            "launchTime": str(LAUNCH_TIME_MS),
            "deliveryTime": "0",
            "deliveryFeeRate": "",
            "priceScale": str(self.price_places),
            "leverageFilter": {
                "minLeverage": "1",
                "maxLeverage": f"{self.max_leverage}.00",
                "leverageStep": "0.01",
            },
            "priceFilter": {
                "minPrice": fmt(self.tick),
                "maxPrice": fmt(self.tick * 10_000_000),
                "tickSize": fmt(self.tick),
            },
            "lotSizeFilter": {
                "maxOrderQty": fmt(self.max_qty),
                "minOrderQty": fmt(self.min_qty),
                "qtyStep": fmt(self.qty_step),
                "postOnlyMaxOrderQty": fmt(self.max_qty),
                "maxMktOrderQty": fmt(self.max_qty / 2),
                "minNotionalValue": fmt(self.min_notional),
            },
            "unifiedMarginTrade": True,
            "fundingInterval": self.funding_interval_min,
            "settleCoin": SETTLE_COIN,
            "copyTrading": "both",
            "upperFundingRate": "0.005",
            "lowerFundingRate": "-0.005",
            "isPreListing": False,
            "preListingInfo": None,
            "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
            "displayName": "",
        }


@dataclass
class Universe:
    markets: list[BybitMarket]
    by_key: dict[str, BybitMarket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in self.markets:
            if m.key in self.by_key:
                raise ValueError(f"duplicate market {m.category} {m.symbol}")
            self.by_key[m.key] = m

    def specs(self) -> list[MarketSpec]:
        return [m.spec for m in self.markets]

    def get(self, category: str, symbol: str) -> BybitMarket | None:
        return self.by_key.get(f"{category}:{symbol.upper()}")

    def of(self, category: str) -> list[BybitMarket]:
        return [m for m in self.markets if m.category == category]

    def coins(self) -> list[str]:
        out = [SETTLE_COIN]
        for m in self.markets:
            for c in (m.base, m.quote):
                if c not in out:
                    out.append(c)
        return out


def registry_markets() -> list[dict[str, Any]]:
    """The Bybit markets of the canonical registry, as market configs for `build_universe`."""
    from catalog.registry import default_registry

    now = time.time_ns()
    out = []
    for m in default_registry().markets_where(venue="BYBIT"):
        out.append(
            {
                "symbol": m.symbol,
                "category": "linear" if m.is_perp else "spot",
                "base": m.base,
                "quote": m.quote,
                "tick": str(m.tick),
                "qty_step": str(m.lot),
                "min_qty": str(m.min_size),
                "min_notional": str(m.min_notional),
                "price": START_PRICES.get(m.base, "100"),
                "funding_interval_min": (m.funding_interval_at(now) or 8) * 60,
                "maker_fee": str(m.fee("maker", now)),
                "taker_fee": str(m.fee("taker", now)),
            }
        )
    return out


def build_universe(markets: list[dict[str, Any]] | None = None) -> Universe:
    out: list[BybitMarket] = []
    for raw in registry_markets() if markets is None else markets:
        symbol = str(raw["symbol"]).upper()
        category = raw.get("category", "linear")
        if category not in ("spot", "linear"):
            raise ValueError(f"market {symbol}: category must be 'spot' or 'linear', got {category!r}")
        quote = raw.get("quote", SETTLE_COIN)
        base = raw.get("base") or symbol.removesuffix(quote)
        tick = Decimal(str(raw["tick"]))
        step = Decimal(str(raw["qty_step"]))
        if step != Decimal(1).scaleb(-decimals_of(step)):
            raise ValueError(f"market {symbol}: qty_step must be a power of ten, got {step}")
        maker, taker = DEFAULT_FEES[category]
        spec = MarketSpec(
            key=f"{category}:{symbol}",
            kind="spot" if category == "spot" else "perp",
            base=base,
            quote=quote,
            size_decimals=decimals_of(step),
            price=Decimal(str(raw.get("price", START_PRICES.get(base, "100")))),
            group="spot" if category == "spot" else SETTLE_COIN,
            max_leverage=int(raw.get("max_leverage", 100)),
            funding_rate=Decimal(str(raw.get("funding_rate", "0.0001"))),
            sig_figs=None,
            tick=tick,
            depth_levels=int(raw.get("depth_levels", 50)),
            level_spacing_bps=Decimal(str(raw.get("level_spacing_bps", "1"))),
            half_spread_bps=Decimal(str(raw.get("half_spread_bps", "0.5"))),
            level_notional=Decimal(str(raw.get("level_notional", "50000"))),
            vol_bps=float(raw.get("vol_bps", 2.0)),
            maker_fee=Decimal(str(raw.get("maker_fee", maker))),
            taker_fee=Decimal(str(raw.get("taker_fee", taker))),
            min_notional=Decimal(str(raw.get("min_notional", "5"))),
        )
        out.append(
            BybitMarket(
                spec=spec,
                category=category,
                symbol=symbol,
                base=base,
                quote=quote,
                tick=tick,
                qty_step=step,
                min_qty=Decimal(str(raw.get("min_qty", step))),
                max_qty=Decimal(str(raw.get("max_qty", "1000000"))),
                min_notional=spec.min_notional,
                max_leverage=spec.max_leverage,
                funding_interval_min=int(raw.get("funding_interval_min", 480)),
                extra={k: raw[k] for k in ("basis_noise_bps", "basis_reversion") if k in raw},
            )
        )
    return Universe(out)


class LinkedPath(PricePath):
    """A perp's price path tied to its spot market's: spot mid x (1 + basis), the basis (bps) a
    mean-reverting walk (`reversion` of it decays per step, `noise_bps` of noise). A shift or a set
    moves the basis - an engineered spot-perp dislocation that then decays back."""

    def __init__(
        self, anchor: PricePath, noise_bps: float = 0.3, reversion: float = 0.02, seed: int = 7
    ) -> None:
        super().__init__(anchor.mid, vol_bps=0.0, seed=seed)
        self.anchor = anchor
        self.basis_bps = 0.0
        self.noise_bps = noise_bps
        self.reversion = reversion
        self._rng = random.Random(seed)

    @property
    def mid(self) -> Decimal:
        return Decimal(repr(float(self.anchor.mid) * (1 + self.basis_bps / 10_000)))

    def step(self) -> Decimal:
        self.basis_bps *= 1 - self.reversion
        if self.noise_bps > 0:
            self.basis_bps += self._rng.gauss(0.0, self.noise_bps)
        return self.mid

    def set(self, mid: Decimal) -> None:
        if mid <= 0:
            raise ValueError(f"price must be positive, got {mid}")
        self.basis_bps = (float(mid) / float(self.anchor.mid) - 1) * 10_000

    def shift_bps(self, bps: float) -> None:
        self.basis_bps += bps


def linked_paths(universe: Universe, seed: int) -> dict[str, PricePath]:
    """Spot paths for every base with a spot market, and each linear perp on such a base tied to it."""
    paths: dict[str, PricePath] = {}
    spots = {m.base: m for m in universe.of("spot")}
    for i, m in enumerate(universe.markets):
        if m.is_spot:
            paths[m.key] = PricePath(m.spec.price, vol_bps=m.spec.vol_bps, seed=seed + i)
    for i, m in enumerate(universe.markets):
        spot = spots.get(m.base)
        if not m.is_spot and spot is not None:
            paths[m.key] = LinkedPath(
                paths[spot.key],
                noise_bps=float(m.extra.get("basis_noise_bps", 0.3)),
                reversion=float(m.extra.get("basis_reversion", 0.02)),
                seed=seed + 100 + i,
            )
    return paths
