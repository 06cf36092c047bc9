"""Hyperliquid instruments from `meta`, `spotMeta`, `perpDexs` and each builder dex's `meta`.

- main-dex perps -> `CryptoPerpetual` `<COIN>-USD-PERP`, asset id = meta index
- HIP-3 builder perps (`xyz:NVDA`) -> `CryptoPerpetual` `xyz:NVDA-USD-PERP`, asset id =
  100000 + perp_dex_index x 10000 + meta index, quoted/settled in the dex's collateral token
- spot pairs -> `CurrencyPair` `<BASE>-<QUOTE>-SPOT`, raw symbol the wire coin (`@107`,
  `PURR/USDC`), asset id = 10000 + spot index

Price precision is the venue's maximum decimals (6 or 8 minus szDecimals), so every valid venue
price is representable; the 5-significant-figure rule is enforced when orders are built
(`pricing.PriceRule`). Delisted perps keep their index (ids never shift) but are not published.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.common.providers import VenueInstrumentProvider
from adapters.hyperliquid import schemas as s
from adapters.hyperliquid.assets import HlAsset
from adapters.hyperliquid.assets import MarketIndex
from adapters.hyperliquid.assets import perp_asset_id
from adapters.hyperliquid.assets import spot_asset_id
from adapters.hyperliquid.constants import MIN_ORDER_NOTIONAL
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.symbols import perp_instrument_id
from adapters.hyperliquid.symbols import spot_instrument_id

# Base-tier fees (registry.toml agrees); the account's real rates come from `userFees`.
PERP_FEES = (Decimal("0.00015"), Decimal("0.00045"))
SPOT_FEES = (Decimal("0.0004"), Decimal("0.0007"))
HIP3_FEES = (Decimal("0.0003"), Decimal("0.0009"))


def _currency(code: str) -> Currency:
    return Currency.from_str(code, strict=False)


def perp_instrument(asset: HlAsset, max_leverage: int | None, ts: int) -> CryptoPerpetual:
    quote = _currency(asset.quote)
    maker, taker = HIP3_FEES if asset.dex else PERP_FEES
    lev = Decimal(max_leverage or 1)
    pp, sp = asset.price_precision, asset.size_precision
    return CryptoPerpetual(
        instrument_id=asset.instrument_id,
        raw_symbol=Symbol(asset.coin),
        base_currency=_currency(asset.base),
        quote_currency=quote,
        settlement_currency=quote,
        is_inverse=False,
        price_precision=pp,
        size_precision=sp,
        price_increment=Price(Decimal(1).scaleb(-pp), pp),
        size_increment=Quantity(Decimal(1).scaleb(-sp), sp),
        min_quantity=Quantity(Decimal(1).scaleb(-sp), sp),
        min_notional=Money(MIN_ORDER_NOTIONAL, quote),
        margin_init=(Decimal(1) / lev).quantize(Decimal("0.0001")),
        margin_maint=(Decimal(1) / (2 * lev)).quantize(Decimal("0.0001")),
        maker_fee=maker,
        taker_fee=taker,
        ts_event=ts,
        ts_init=ts,
        info={"asset": asset.asset, "dex": asset.dex, "sz_decimals": asset.sz_decimals},
    )


def spot_instrument(asset: HlAsset, ts: int) -> CurrencyPair:
    quote = _currency(asset.quote)
    pp, sp = asset.price_precision, asset.size_precision
    return CurrencyPair(
        instrument_id=asset.instrument_id,
        raw_symbol=Symbol(asset.coin),
        base_currency=_currency(asset.base),
        quote_currency=quote,
        price_precision=pp,
        size_precision=sp,
        price_increment=Price(Decimal(1).scaleb(-pp), pp),
        size_increment=Quantity(Decimal(1).scaleb(-sp), sp),
        min_quantity=Quantity(Decimal(1).scaleb(-sp), sp),
        min_notional=Money(MIN_ORDER_NOTIONAL, quote),
        margin_init=Decimal(1),
        margin_maint=Decimal(1),
        maker_fee=SPOT_FEES[0],
        taker_fee=SPOT_FEES[1],
        ts_event=ts,
        ts_init=ts,
        info={"asset": asset.asset, "dex": "spot", "sz_decimals": asset.sz_decimals},
    )


def build_index(
    spot_meta: s.SpotMeta | None,
    perp_metas: list[tuple[str, int, s.PerpMeta]],
    ts: int,
) -> MarketIndex:
    """`perp_metas`: (dex name, perp_dex_index, meta) for every perp dex to load."""
    index = MarketIndex()
    tokens = {t.index: t for t in spot_meta.tokens} if spot_meta else {}
    for dex, dex_index, meta in perp_metas:
        if dex and dex not in index.perp_dexs:
            index.perp_dexs.append(dex)
        collateral = tokens[meta.collateralToken].name if meta.collateralToken in tokens else "USDC"
        for i, info in enumerate(meta.universe):
            base = info.name.split(":", 1)[1] if ":" in info.name else info.name
            asset = HlAsset(
                instrument_id=perp_instrument_id(info.name),
                coin=info.name,
                asset=perp_asset_id(dex_index, i),
                dex=dex,
                index=i,
                is_spot=False,
                sz_decimals=info.szDecimals,
                base=base,
                quote=collateral,
                max_leverage=info.maxLeverage,
                delisted=bool(info.isDelisted),
            )
            index.add(asset, perp_instrument(asset, info.maxLeverage, ts))
    if spot_meta is not None:
        for pair in spot_meta.universe:
            base_t, quote_t = tokens.get(pair.tokens[0]), tokens.get(pair.tokens[1])
            if base_t is None or quote_t is None:
                continue  # a pair naming an unknown token cannot be traded safely
            asset = HlAsset(
                instrument_id=spot_instrument_id(base_t.name, quote_t.name),
                coin=pair.name,
                asset=spot_asset_id(pair.index),
                dex="spot",
                index=pair.index,
                is_spot=True,
                sz_decimals=base_t.szDecimals,  # a spot pair's lot is its base token's
                base=base_t.name,
                quote=quote_t.name,
            )
            if asset.instrument_id in index.by_instrument:
                continue  # duplicate token names: the first (canonical) pair keeps the id
            index.add(asset, spot_instrument(asset, ts))
    return index


class HyperliquidInstrumentProvider(VenueInstrumentProvider):
    venue_name = "Hyperliquid"
    unavailable = "or delisted"

    def __init__(
        self,
        client: HyperliquidHttpClient,
        config: InstrumentProviderConfig | None = None,
        perp_dexs: list[str] | None = None,
        load_spot: bool = True,
    ) -> None:
        super().__init__(config)
        self._client = client
        self._perp_dexs = perp_dexs  # builder dexes to load; None = every dex listed in perpDexs
        self._load_spot = load_spot
        self.markets = MarketIndex()

    async def load_all_async(self, filters: dict | None = None) -> None:
        ts = self._clock_ns()
        spot_meta = await self._client.spot_meta() if self._load_spot else None
        dex_list = await self._client.perp_dexs() if self._perp_dexs is None or self._perp_dexs else [None]
        names = [d.name if d is not None else "" for d in dex_list]
        wanted = names[1:] if self._perp_dexs is None else list(self._perp_dexs)
        unknown = [d for d in wanted if d not in names]
        if unknown:
            raise ValueError(f"perp dex(es) {unknown} not listed by perpDexs (listed: {names[1:]})")
        metas = [("", 0, await self._client.meta(""))]
        for dex in wanted:
            metas.append((dex, names.index(dex), await self._client.meta(dex)))
        self.markets = build_index(spot_meta, metas, ts)
        self._replace_all(
            i for iid, i in self.markets.instruments.items() if not self.markets.by_instrument[iid].delisted
        )
        self._log.info(f"Loaded {len(self._instruments)} instruments (perp dexes: {self.markets.perp_dexs})")

    @staticmethod
    def _clock_ns() -> int:
        import time

        return time.time_ns()
