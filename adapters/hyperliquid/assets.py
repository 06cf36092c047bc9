"""The adapter's table of Hyperliquid markets: wire coin <-> asset id <-> Nautilus instrument.

Built by the instrument provider from `meta`, `spotMeta`, `perpDexs` and each builder dex's
`meta`; used by the data client (coin -> instrument), the execution client (instrument -> asset
id, price rule, cloid routing) and the parsers.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument

from adapters.common.errors import ConfigurationError
from adapters.hyperliquid.constants import BUILDER_ASSET_OFFSET
from adapters.hyperliquid.constants import BUILDER_DEX_STRIDE
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.constants import SPOT_ASSET_OFFSET
from adapters.hyperliquid.pricing import PriceRule


def perp_asset_id(dex_index: int, index_in_meta: int) -> int:
    """Main dex (dex_index 0): the meta index; builder dex k: 100000 + k x 10000 + index."""
    if dex_index == 0:
        return index_in_meta
    return BUILDER_ASSET_OFFSET + dex_index * BUILDER_DEX_STRIDE + index_in_meta


def spot_asset_id(spot_index: int) -> int:
    return SPOT_ASSET_OFFSET + spot_index


@dataclass(frozen=True)
class HlAsset:
    instrument_id: InstrumentId
    coin: str  # wire name: "BTC", "xyz:NVDA", "@107", "PURR/USDC"
    asset: int
    dex: str  # "" main perp dex, builder dex name, or "spot"
    index: int  # position in its meta universe (perps) or spot universe
    is_spot: bool
    sz_decimals: int
    base: str
    quote: str  # quote/settlement token (the dex's collateral for perps)
    max_leverage: int | None = None
    delisted: bool = False

    @property
    def rule(self) -> PriceRule:
        return PriceRule(self.sz_decimals, self.is_spot)

    @property
    def price_precision(self) -> int:
        return self.rule.max_decimals

    @property
    def size_precision(self) -> int:
        return self.sz_decimals


@dataclass
class MarketIndex:
    by_coin: dict[str, HlAsset] = field(default_factory=dict)
    by_instrument: dict[InstrumentId, HlAsset] = field(default_factory=dict)
    by_asset: dict[int, HlAsset] = field(default_factory=dict)
    by_dex_index: dict[tuple[str, int], HlAsset] = field(default_factory=dict)
    instruments: dict[InstrumentId, Instrument] = field(default_factory=dict)
    perp_dexs: list[str] = field(default_factory=lambda: [""])  # loaded perp dexes ("" = main)

    def add(self, asset: HlAsset, instrument: Instrument) -> None:
        self.by_coin[asset.coin] = asset
        self.by_instrument[asset.instrument_id] = asset
        self.by_asset[asset.asset] = asset
        self.by_dex_index[(asset.dex, asset.index)] = asset
        self.instruments[asset.instrument_id] = instrument

    def asset(self, instrument_id: InstrumentId) -> HlAsset:
        a = self.by_instrument.get(instrument_id)
        if a is None:
            raise ConfigurationError(
                f"instrument {instrument_id} is not a loaded Hyperliquid market "
                f"({len(self.by_instrument)} loaded; check the id and `perp_dexs`/`load_spot` in the config)",
                venue=HYPERLIQUID,
            )
        return a

    def coin(self, coin: str) -> HlAsset | None:
        return self.by_coin.get(coin)

    def instrument(self, instrument_id: InstrumentId) -> Instrument:
        self.asset(instrument_id)
        return self.instruments[instrument_id]
