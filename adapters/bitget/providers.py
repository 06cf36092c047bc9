"""Bitget instruments from the v2 contracts and spot symbols endpoints.

- USDT-M perpetuals (`/api/v2/mix/market/contracts?productType=USDT-FUTURES`, stock perps such as
  NVDAUSDT included) -> `CryptoPerpetual` `<SYMBOL>-PERP`: price precision pricePlace, tick
  priceEndStep x 10^-pricePlace, size precision volumePlace, lot sizeMultiplier, min size
  minTradeNum, min notional minTradeUSDT, initial margin 1/maxLever, funding interval
  (`info["funding_interval_hours"]`) from fundInterval. Delivery futures are skipped.
- spot (`/api/v2/spot/public/symbols`) -> `CurrencyPair` `<SYMBOL>-SPOT`: tick 10^-pricePrecision,
  lot 10^-quantityPrecision, min notional minTradeUSDT.

Markets whose status is not `normal`/`online` are kept in the index (their frames still parse) but
not published; the execution client refuses orders on them.
"""

from __future__ import annotations

import time
from decimal import Decimal

from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.bitget import schemas as s
from adapters.bitget.constants import BITGET
from adapters.bitget.constants import SPOT
from adapters.bitget.constants import USDT_FUTURES
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.markets import BitgetMarket
from adapters.bitget.markets import MarketIndex
from adapters.bitget.symbols import perp_instrument_id
from adapters.bitget.symbols import spot_instrument_id
from adapters.common.errors import MalformedMessageError
from adapters.common.providers import VenueInstrumentProvider

PERP_FEES = (Decimal("0.0002"), Decimal("0.0006"))  # VIP 0 (registry.toml agrees)
SPOT_FEES = (Decimal("0.001"), Decimal("0.001"))


def _currency(code: str) -> Currency:
    return Currency.from_str(code, strict=False)


def _int(text: str | None, field: str, symbol: str) -> int:
    try:
        return int(str(text))
    except (TypeError, ValueError):
        raise MalformedMessageError(
            f"{symbol}: field '{field}' is not an integer: {text!r}", venue=BITGET
        ) from None


def _dec(text: str | None, field: str, symbol: str, default: Decimal | None = None) -> Decimal:
    if text in (None, ""):
        if default is not None:
            return default
        raise MalformedMessageError(f"{symbol}: missing field '{field}'", venue=BITGET)
    try:
        return Decimal(str(text))
    except ArithmeticError:
        raise MalformedMessageError(
            f"{symbol}: field '{field}' is not a decimal: {text!r}", venue=BITGET
        ) from None


def perp_market(c: s.Contract) -> BitgetMarket:
    symbol = c.symbol
    pp = _int(c.pricePlace, "pricePlace", symbol)
    sp = _int(c.volumePlace, "volumePlace", symbol)
    step = Decimal(1).scaleb(-sp)
    tick = (_dec(c.priceEndStep, "priceEndStep", symbol) * Decimal(1).scaleb(-pp)).quantize(
        Decimal(1).scaleb(-pp)
    )
    lot = _dec(c.sizeMultiplier, "sizeMultiplier", symbol, step).quantize(step)
    if tick <= 0 or lot <= 0:
        raise MalformedMessageError(f"{symbol}: tick {tick} / lot {lot} must be positive", venue=BITGET)
    min_qty = _dec(c.minTradeNum, "minTradeNum", symbol, lot).quantize(step)
    max_lev = int(Decimal(c.maxLever)) if c.maxLever not in (None, "") else None
    interval = int(Decimal(c.fundInterval)) if c.fundInterval not in (None, "") else None
    return BitgetMarket(
        instrument_id=perp_instrument_id(symbol),
        symbol=symbol,
        product_type=USDT_FUTURES,
        base=c.baseCoin,
        quote=c.quoteCoin,
        price_precision=pp,
        tick=tick,
        size_precision=sp,
        lot=lot,
        min_qty=max(min_qty, lot),
        min_notional=_dec(c.minTradeUSDT, "minTradeUSDT", symbol, Decimal(5)),
        max_leverage=max_lev,
        funding_interval_hours=interval,
        status=c.symbolStatus or "normal",
        maker_fee=_dec(c.makerFeeRate, "makerFeeRate", symbol, PERP_FEES[0]),
        taker_fee=_dec(c.takerFeeRate, "takerFeeRate", symbol, PERP_FEES[1]),
    )


def spot_market(sym: s.SpotSymbol) -> BitgetMarket:
    symbol = sym.symbol
    pp = _int(sym.pricePrecision, "pricePrecision", symbol)
    sp = _int(sym.quantityPrecision, "quantityPrecision", symbol)
    lot = Decimal(1).scaleb(-sp)
    min_qty = _dec(sym.minTradeAmount, "minTradeAmount", symbol, lot)
    return BitgetMarket(
        instrument_id=spot_instrument_id(symbol),
        symbol=symbol,
        product_type=SPOT,
        base=sym.baseCoin,
        quote=sym.quoteCoin,
        price_precision=pp,
        tick=Decimal(1).scaleb(-pp),
        size_precision=sp,
        lot=lot,
        min_qty=max(min_qty.quantize(lot) if min_qty > 0 else lot, lot),
        min_notional=_dec(sym.minTradeUSDT, "minTradeUSDT", symbol, Decimal(1)),
        status=sym.status or "online",
        maker_fee=_dec(sym.makerFeeRate, "makerFeeRate", symbol, SPOT_FEES[0]),
        taker_fee=_dec(sym.takerFeeRate, "takerFeeRate", symbol, SPOT_FEES[1]),
    )


def _info(m: BitgetMarket) -> dict:
    return {
        "symbol": m.symbol,
        "product_type": m.product_type,
        "status": m.status,
        "funding_interval_hours": m.funding_interval_hours,
        "max_leverage": m.max_leverage,
    }


def perp_instrument(m: BitgetMarket, ts: int) -> CryptoPerpetual:
    quote = _currency(m.quote)
    lev = Decimal(m.max_leverage or 1)
    pp, sp = m.price_precision, m.size_precision
    return CryptoPerpetual(
        instrument_id=m.instrument_id,
        raw_symbol=Symbol(m.symbol),
        base_currency=_currency(m.base),
        quote_currency=quote,
        settlement_currency=quote,
        is_inverse=False,
        price_precision=pp,
        size_precision=sp,
        price_increment=Price(m.tick, pp),
        size_increment=Quantity(m.lot, sp),
        min_quantity=Quantity(m.min_qty, sp),
        min_notional=Money(m.min_notional, quote),
        margin_init=(Decimal(1) / lev).quantize(Decimal("0.0001")),
        margin_maint=(Decimal(1) / (2 * lev)).quantize(Decimal("0.0001")),
        maker_fee=m.maker_fee,
        taker_fee=m.taker_fee,
        ts_event=ts,
        ts_init=ts,
        info=_info(m),
    )


def spot_instrument(m: BitgetMarket, ts: int) -> CurrencyPair:
    quote = _currency(m.quote)
    pp, sp = m.price_precision, m.size_precision
    return CurrencyPair(
        instrument_id=m.instrument_id,
        raw_symbol=Symbol(m.symbol),
        base_currency=_currency(m.base),
        quote_currency=quote,
        price_precision=pp,
        size_precision=sp,
        price_increment=Price(m.tick, pp),
        size_increment=Quantity(m.lot, sp),
        min_quantity=Quantity(m.min_qty, sp),
        min_notional=Money(m.min_notional, quote),
        margin_init=Decimal(1),
        margin_maint=Decimal(1),
        maker_fee=m.maker_fee,
        taker_fee=m.taker_fee,
        ts_event=ts,
        ts_init=ts,
        info=_info(m),
    )


def build_index(contracts: list[s.Contract], spot_symbols: list[s.SpotSymbol], ts: int) -> MarketIndex:
    index = MarketIndex()
    for c in contracts:
        if c.symbolType not in (None, "perpetual"):
            continue  # delivery futures are out of scope
        if c.quoteCoin != "USDT":
            continue
        m = perp_market(c)
        index.add(m, perp_instrument(m, ts))
    for sym in spot_symbols:
        m = spot_market(sym)
        index.add(m, spot_instrument(m, ts))
    return index


class BitgetInstrumentProvider(VenueInstrumentProvider):
    venue_name = "Bitget"
    unavailable = "or not trading"

    def __init__(
        self,
        client: BitgetHttpClient,
        config: InstrumentProviderConfig | None = None,
        load_spot: bool = True,
    ) -> None:
        super().__init__(config)
        self._client = client
        self._load_spot = load_spot
        self.markets = MarketIndex()

    async def load_all_async(self, filters: dict | None = None) -> None:
        ts = time.time_ns()
        contracts = await self._client.contracts(USDT_FUTURES)
        spot = await self._client.spot_symbols() if self._load_spot else []
        self.markets = build_index(contracts, spot, ts)
        self._replace_all(
            i for iid, i in self.markets.instruments.items() if self.markets.by_instrument[iid].tradable
        )
        self._log.info(f"Loaded {len(self._instruments)} Bitget instruments ({len(contracts)} contracts)")

    def update_funding_interval(self, instrument_id: InstrumentId, hours: int) -> Instrument | None:
        """Record a changed funding interval; returns the re-built instrument to publish, or None
        when the interval did not change."""
        m = self.markets.by_instrument.get(instrument_id)
        if m is None or m.is_spot or m.funding_interval_hours == hours:
            return None
        from dataclasses import replace

        m2 = replace(m, funding_interval_hours=hours)
        instrument = perp_instrument(m2, time.time_ns())
        self.markets.add(m2, instrument)
        if instrument_id in self._instruments:
            self.add(instrument)
        return instrument
