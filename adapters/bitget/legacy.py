"""Bitget's retired v1 API messages, mapped onto the v2 structs so recordings made with it (the 2022
cryptofeed session in the shared data) parse with the same parsers, books and checksum code.

v1 differs from v2 in names, not in substance:
- REST: spot `/api/spot/v1/public/products` (`priceScale`, `quantityScale`, symbols `BTCUSDT_SPBL`),
  futures `/api/mix/v1/market/contracts?productType=umcbl|dmcbl` (no `sizeMultiplier`, symbols
  `BTCUSDT_UMCBL`).
- WebSocket: the same `{"action","arg","data"}` envelope with instType `sp` / `mc` (v2: `SPOT` /
  `USDT-FUTURES`); books are identical (asks/bids/checksum/ts); trades are arrays `[ts, price,
  size, side]`; the spot ticker has `last/bestBid/bestAsk`, the futures ticker adds
  `capitalRate` (funding rate), `nextSettleTime`, `markPrice`, `indexPrice`, `systemTime`;
  candle rows have six fields.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from adapters.bitget import schemas as s
from adapters.bitget.constants import SPOT
from adapters.bitget.constants import USDT_FUTURES

INST_TYPES = {"sp": SPOT, "mc": USDT_FUTURES, "SP": SPOT, "MC": USDT_FUTURES}


def inst_type(v1: str) -> str:
    """v1 instType -> v2 product type (v2 values pass through)."""
    return INST_TYPES.get(v1, v1.upper())


def strip_suffix(symbol: str) -> str:
    return symbol.split("_", 1)[0]


class ProductV1(msgspec.Struct, frozen=True):
    symbol: str
    baseCoin: str
    quoteCoin: str
    priceScale: str
    quantityScale: str
    symbolName: str | None = None
    minTradeAmount: str | None = None
    maxTradeAmount: str | None = None
    takerFeeRate: str | None = None
    makerFeeRate: str | None = None
    status: str | None = None


class ContractV1(msgspec.Struct, frozen=True):
    symbol: str
    baseCoin: str
    quoteCoin: str
    pricePlace: str
    priceEndStep: str
    volumePlace: str
    minTradeNum: str | None = None
    makerFeeRate: str | None = None
    takerFeeRate: str | None = None
    supportMarginCoins: list[str] = []


class TickerV1(msgspec.Struct, frozen=True):
    instId: str
    last: str | None = None
    bestBid: str | None = None
    bestAsk: str | None = None
    bidSz: str | None = None
    askSz: str | None = None
    capitalRate: str | None = None
    nextSettleTime: int | str | None = None
    markPrice: str | None = None
    indexPrice: str | None = None
    baseVolume: str | None = None
    quoteVolume: str | None = None
    systemTime: int | str | None = None
    ts: int | str | None = None


class DecodersV1:
    products = msgspec.json.Decoder(list[ProductV1])
    contracts = msgspec.json.Decoder(list[ContractV1])
    tickers = msgspec.json.Decoder(list[TickerV1])
    trades = msgspec.json.Decoder(list[list[str]])


def to_spot_symbol(p: ProductV1) -> s.SpotSymbol:
    return s.SpotSymbol(
        symbol=p.symbolName or strip_suffix(p.symbol),
        baseCoin=p.baseCoin,
        quoteCoin=p.quoteCoin,
        pricePrecision=p.priceScale,
        quantityPrecision=p.quantityScale,
        minTradeAmount=p.minTradeAmount,
        maxTradeAmount=p.maxTradeAmount,
        makerFeeRate=p.makerFeeRate,
        takerFeeRate=p.takerFeeRate,
        status=p.status,
    )


def to_contract(c: ContractV1) -> s.Contract:
    return s.Contract(
        symbol=strip_suffix(c.symbol),
        baseCoin=c.baseCoin,
        quoteCoin=c.quoteCoin,
        pricePlace=c.pricePlace,
        priceEndStep=c.priceEndStep,
        volumePlace=c.volumePlace,
        minTradeNum=c.minTradeNum,
        makerFeeRate=c.makerFeeRate,
        takerFeeRate=c.takerFeeRate,
        supportMarginCoins=list(c.supportMarginCoins),
        symbolType="perpetual",
    )


def to_ticker(t: TickerV1) -> s.Ticker:
    ts = t.systemTime if t.systemTime is not None else t.ts
    return s.Ticker(
        instId=t.instId,
        lastPr=t.last,
        bidPr=t.bestBid,
        askPr=t.bestAsk,
        bidSz=t.bidSz,
        askSz=t.askSz,
        markPrice=t.markPrice,
        indexPrice=t.indexPrice,
        fundingRate=t.capitalRate,
        nextFundingTime=str(t.nextSettleTime) if t.nextSettleTime is not None else None,
        baseVolume=t.baseVolume,
        quoteVolume=t.quoteVolume,
        ts=ts,
    )


def to_trade(row: list[str], symbol: str) -> s.PublicTrade:
    """A v1 trade row `[ts, price, size, side]`; v1 has no trade id, so one is derived from the row
    (stable: the same row always gets the same id)."""
    if len(row) < 4:
        raise ValueError(f"v1 trade row needs [ts, price, size, side], got {row!r}")
    digest = hashlib.blake2b("|".join([symbol, *row[:4]]).encode(), digest_size=12).hexdigest()
    return s.PublicTrade(tradeId=digest, price=row[1], size=row[2], side=row[3], ts=row[0], symbol=symbol)


def decode_rest_data(body: str | bytes) -> Any:
    """The `data` of a v1 REST reply (same envelope as v2)."""
    reply = s.Decoders.reply.decode(body)
    return None if s.is_null(reply.data) else bytes(reply.data)
