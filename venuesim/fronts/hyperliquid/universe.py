"""Hyperliquid's view of the simulated markets: perp dexes, asset ids, spot tokens and `@index`
coin names, built from the simulator config.

Asset ids follow the venue (docs "Asset IDs"): main-dex perp = index in `meta.universe`; spot =
10000 + index in `spotMeta.universe`; builder (HIP-3) perp = 100000 + perp_dex_index x 10000 +
index in that dex's meta, with perp_dex_index the dex's position in `perpDexs` (main dex = 0).
Spot coin names on the wire are `PURR/USDC` for the first (canonical) pair and `@<index>` for the
others.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from venuesim.core.model import MarketSpec

PERP_MAX_DECIMALS = 6
SPOT_MAX_DECIMALS = 8
FEES = {  # (maker, taker), base tier
    "perp": (Decimal("0.00015"), Decimal("0.00045")),
    "spot": (Decimal("0.0004"), Decimal("0.0007")),
    "hip3": (Decimal("0.0003"), Decimal("0.0009")),
}

DEFAULT_MARKETS: list[dict[str, Any]] = [
    {"coin": "BTC", "kind": "perp", "sz_decimals": 5, "price": "65000", "max_leverage": 40},
    {"coin": "ETH", "kind": "perp", "sz_decimals": 4, "price": "3500", "max_leverage": 25},
    {"coin": "SOL", "kind": "perp", "sz_decimals": 2, "price": "150", "max_leverage": 20},
    {"coin": "xyz:NVDA", "kind": "perp", "sz_decimals": 3, "price": "180", "max_leverage": 10},
    {"coin": "PURR/USDC", "kind": "spot", "sz_decimals": 0, "price": "0.2"},
    {"coin": "HYPE/USDC", "kind": "spot", "sz_decimals": 2, "price": "40"},
]


@dataclass
class HlMarket:
    spec: MarketSpec
    coin: str  # wire name: "BTC", "xyz:NVDA", "PURR/USDC", "@1"
    asset: int
    dex: str  # "" main dex, builder dex name, or "spot"
    index: int  # index in its meta universe / spot universe
    sz_decimals: int


@dataclass
class Universe:
    dexes: list[str] = field(default_factory=lambda: [""])  # perpDexs order; "" = main dex
    perps: dict[str, list[HlMarket]] = field(default_factory=dict)  # dex -> markets in meta order
    spots: list[HlMarket] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)  # spotMeta tokens
    by_asset: dict[int, HlMarket] = field(default_factory=dict)
    by_coin: dict[str, HlMarket] = field(default_factory=dict)  # wire coin -> market
    by_key: dict[str, HlMarket] = field(default_factory=dict)  # core key -> market

    def specs(self) -> list[MarketSpec]:
        return [m.spec for m in self.by_asset.values()]

    def token_index(self, name: str) -> int:
        for t in self.tokens:
            if t["name"] == name:
                return t["index"]
        raise KeyError(name)

    def resolve_coin(self, coin: str) -> HlMarket | None:
        """A coin as clients send it: wire name, or `BASE/QUOTE` for any spot pair."""
        return self.by_coin.get(coin) or self.by_key.get(coin)


def build_universe(markets: list[dict[str, Any]] | None = None) -> Universe:
    u = Universe()
    token_names = ["USDC"]
    for raw in markets or DEFAULT_MARKETS:
        coin = raw["coin"]
        kind = raw.get("kind", "perp")
        szd = int(raw["sz_decimals"])
        price = Decimal(str(raw["price"]))
        if kind == "perp":
            dex = coin.split(":", 1)[0] if ":" in coin else ""
            if dex and dex not in u.dexes:
                u.dexes.append(dex)
            fees = FEES["hip3" if dex else "perp"]
            spec = MarketSpec(
                key=coin, kind="perp", base=coin.split(":")[-1], quote="USDC", size_decimals=szd, price=price,
                group=dex, max_leverage=int(raw.get("max_leverage", 20)),
                funding_rate=Decimal(str(raw.get("funding_rate", "0.0000125"))),
                max_price_decimals=PERP_MAX_DECIMALS - szd, maker_fee=fees[0], taker_fee=fees[1],
                vol_bps=float(raw.get("vol_bps", 2.0)),
            )  # fmt: skip
            lst = u.perps.setdefault(dex, [])
            index = len(lst)
            dex_index = u.dexes.index(dex)
            asset = index if dex == "" else 100_000 + dex_index * 10_000 + index
            m = HlMarket(spec, coin, asset, dex, index, szd)
            lst.append(m)
        elif kind == "spot":
            base, quote = raw.get("base"), raw.get("quote")
            if base is None or quote is None:
                base, quote = coin.split("/")
            for t in (base, quote):
                if t not in token_names:
                    token_names.append(t)
            fees = FEES["spot"]
            spec = MarketSpec(
                key=f"{base}/{quote}", kind="spot", base=base, quote=quote, size_decimals=szd, price=price,
                group="spot", max_price_decimals=SPOT_MAX_DECIMALS - szd, maker_fee=fees[0], taker_fee=fees[1],
                vol_bps=float(raw.get("vol_bps", 2.0)),
            )  # fmt: skip
            index = len(u.spots)
            wire = spec.key if index == 0 else f"@{index}"
            m = HlMarket(spec, wire, 10_000 + index, "spot", index, szd)
            u.spots.append(m)
        else:
            raise ValueError(f"market {coin}: kind must be 'perp' or 'spot', got {kind!r}")
        if m.coin in u.by_coin:
            raise ValueError(f"duplicate market {m.coin}")
        u.by_asset[m.asset] = m
        u.by_coin[m.coin] = m
        u.by_key[m.spec.key] = m
    size_decimals = {m.spec.base: m.sz_decimals for m in u.spots}
    u.tokens = [
        {
            "name": name,
            "szDecimals": 8 if name == "USDC" else size_decimals.get(name, 2),
            "weiDecimals": 8,
            "index": i,
            "tokenId": "0x" + f"{i + 1:032x}",
            "isCanonical": True,
            "evmContract": None,
            "fullName": None,
        }
        for i, name in enumerate(token_names)
    ]
    return u
