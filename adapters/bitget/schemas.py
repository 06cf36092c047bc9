"""Bitget v2 wire messages as msgspec structs (REST replies and WebSocket pushes), one decoder per
type, made once. Numbers arrive as strings and stay strings here (parsing decides their precision;
book checksums need the exact original text). Fields the venue documents as optional, or added
later, default to None; unknown fields are ignored.
"""

from __future__ import annotations

from typing import Any

import msgspec

Num = str | int | float  # a few numeric fields are sometimes sent unquoted (e.g. position `leverage`)


# -- REST envelope ----------------------------------------------------------------------------------
class RestReply(msgspec.Struct, frozen=True):
    code: str
    msg: str | None = None
    requestTime: int | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")


# -- instruments ------------------------------------------------------------------------------------
class Contract(msgspec.Struct, frozen=True):
    symbol: str
    baseCoin: str
    quoteCoin: str
    pricePlace: str
    priceEndStep: str
    volumePlace: str
    sizeMultiplier: str | None = None
    minTradeNum: str | None = None
    minTradeUSDT: str | None = None
    makerFeeRate: str | None = None
    takerFeeRate: str | None = None
    supportMarginCoins: list[str] = []
    symbolType: str | None = None  # perpetual | delivery (absent in legacy v1 replies)
    symbolStatus: str | None = None
    fundInterval: str | None = None
    minLever: str | None = None
    maxLever: str | None = None
    maxOrderQty: str | None = None
    maxMarketOrderQty: str | None = None
    launchTime: str | None = None
    offTime: str | None = None


class SpotSymbol(msgspec.Struct, frozen=True):
    symbol: str
    baseCoin: str
    quoteCoin: str
    pricePrecision: str
    quantityPrecision: str
    minTradeAmount: str | None = None
    maxTradeAmount: str | None = None
    minTradeUSDT: str | None = None
    quotePrecision: str | None = None
    makerFeeRate: str | None = None
    takerFeeRate: str | None = None
    status: str | None = None


# -- market data ------------------------------------------------------------------------------------
class Depth(msgspec.Struct, frozen=True):
    asks: list[list[str]]
    bids: list[list[str]]
    ts: Num | None = None
    checksum: int | None = None
    seq: int | None = None


class Ticker(msgspec.Struct, frozen=True):
    """Futures ticker (REST `mix/market/ticker(s)`, WS `ticker` for futures) and spot ticker."""

    symbol: str | None = None
    instId: str | None = None
    lastPr: str | None = None
    bidPr: str | None = None
    askPr: str | None = None
    bidSz: str | None = None
    askSz: str | None = None
    markPrice: str | None = None
    indexPrice: str | None = None
    fundingRate: str | None = None
    nextFundingTime: str | None = None
    holdingAmount: str | None = None
    baseVolume: str | None = None
    quoteVolume: str | None = None
    ts: Num | None = None

    @property
    def name(self) -> str:
        return self.instId or self.symbol or ""


class CurrentFundRate(msgspec.Struct, frozen=True):
    symbol: str
    fundingRate: str
    fundingRateInterval: str | None = None
    nextUpdate: str | None = None
    minFundingRate: str | None = None
    maxFundingRate: str | None = None


class FundingTime(msgspec.Struct, frozen=True):
    symbol: str
    nextFundingTime: str
    ratePeriod: str | None = None


class FundRateHistory(msgspec.Struct, frozen=True):
    symbol: str
    fundingRate: str
    fundingTime: str


class PublicTrade(msgspec.Struct, frozen=True):
    """REST `market/fills` row and WS `trade` push."""

    tradeId: str
    price: str
    size: str
    side: str
    ts: Num
    symbol: str | None = None


class ServerTime(msgspec.Struct, frozen=True):
    serverTime: str


# -- trading replies --------------------------------------------------------------------------------
class OrderAck(msgspec.Struct, frozen=True):
    orderId: str | None = None
    clientOid: str | None = None


class BatchItem(msgspec.Struct, frozen=True):
    orderId: str | None = None
    clientOid: str | None = None
    errorMsg: str | None = None
    errorCode: str | None = None


class BatchReply(msgspec.Struct, frozen=True):
    successList: list[BatchItem] | None = None
    failureList: list[BatchItem] | None = None


class FeeDetail(msgspec.Struct, frozen=True):
    feeCoin: str | None = None
    totalFee: str | None = None
    fee: str | None = None
    deduction: str | None = None
    totalDeductionFee: str | None = None


class Order(msgspec.Struct, frozen=True):
    """Futures order (REST detail / orders-pending / orders-history and WS `orders`) and spot order
    (orderInfo / unfilled-orders / WS `orders`). WS pushes spell the client id `clientOId`."""

    orderId: str
    symbol: str | None = None
    instId: str | None = None
    clientOid: str | None = None
    clientOId: str | None = None
    side: str | None = None
    orderType: str | None = None
    force: str | None = None
    price: str | None = None
    size: str | None = None
    status: str | None = None
    state: str | None = None
    baseVolume: str | None = None  # REST: filled size; WS: size of the last fill
    accBaseVolume: str | None = None  # WS: accumulated filled size
    priceAvg: str | None = None
    fee: str | None = None
    fillPrice: str | None = None
    fillFee: str | None = None
    fillFeeCoin: str | None = None
    tradeId: str | None = None
    fillTime: str | None = None
    tradeScope: str | None = None
    feeDetail: Any = None
    reduceOnly: str | None = None
    posSide: str | None = None
    tradeSide: str | None = None
    posMode: str | None = None
    cancelReason: str | None = None
    cTime: Num | None = None
    uTime: Num | None = None

    @property
    def client_oid(self) -> str | None:
        return self.clientOid or self.clientOId

    @property
    def venue_symbol(self) -> str:
        return self.symbol or self.instId or ""

    @property
    def venue_status(self) -> str:
        return (self.status or self.state or "").lower()

    @property
    def filled(self) -> str | None:
        """Accumulated filled size (WS accBaseVolume, REST baseVolume)."""
        return self.accBaseVolume if self.accBaseVolume is not None else self.baseVolume


class OrderPage(msgspec.Struct, frozen=True):
    entrustedList: list[Order] | None = None
    endId: str | None = None


class Fill(msgspec.Struct, frozen=True):
    """Futures fill (REST `order/fills`, WS `fill`) and spot fill (`trade/fills`)."""

    tradeId: str
    orderId: str
    price: str | None = None
    priceAvg: str | None = None  # spot fills carry the price here
    symbol: str | None = None
    side: str | None = None
    baseVolume: str | None = None
    size: str | None = None  # spot fills
    quoteVolume: str | None = None
    amount: str | None = None
    profit: str | None = None
    tradeSide: str | None = None
    tradeScope: str | None = None
    orderType: str | None = None
    posMode: str | None = None
    feeDetail: Any = None
    cTime: Num | None = None
    uTime: Num | None = None

    @property
    def qty(self) -> str | None:
        return self.baseVolume if self.baseVolume is not None else self.size

    @property
    def px(self) -> str | None:
        return self.price if self.price is not None else self.priceAvg


class FillPage(msgspec.Struct, frozen=True):
    fillList: list[Fill] | None = None
    endId: str | None = None


class Position(msgspec.Struct, frozen=True):
    symbol: str | None = None
    instId: str | None = None
    marginCoin: str | None = None
    holdSide: str | None = None
    total: str | None = None
    available: str | None = None
    openPriceAvg: str | None = None
    leverage: Num | None = None
    marginMode: str | None = None
    posMode: str | None = None
    unrealizedPL: str | None = None
    markPrice: str | None = None
    totalFee: str | None = None
    cTime: Num | None = None
    uTime: Num | None = None

    @property
    def venue_symbol(self) -> str:
        return self.symbol or self.instId or ""


class Account(msgspec.Struct, frozen=True):
    """Futures account (`account/accounts`, `account/account`, WS `account`)."""

    marginCoin: str
    available: str | None = None
    locked: str | None = None
    frozen: str | None = None
    accountEquity: str | None = None
    equity: str | None = None
    usdtEquity: str | None = None
    unrealizedPL: str | None = None
    crossedMaxAvailable: str | None = None
    maxOpenPosAvailable: str | None = None
    marginMode: str | None = None
    posMode: str | None = None

    @property
    def total(self) -> str | None:
        return self.accountEquity if self.accountEquity is not None else self.equity


class SpotAsset(msgspec.Struct, frozen=True):
    coin: str
    available: str
    frozen: str | None = None
    locked: str | None = None
    uTime: Num | None = None


class Bill(msgspec.Struct, frozen=True):
    billId: str
    amount: str
    businessType: str
    cTime: Num
    symbol: str | None = None
    coin: str | None = None
    fee: str | None = None
    balance: str | None = None


class BillPage(msgspec.Struct, frozen=True):
    bills: list[Bill] | None = None
    endId: str | None = None


class PositionMode(msgspec.Struct, frozen=True):
    posMode: str


# -- WebSocket --------------------------------------------------------------------------------------
class WsArg(msgspec.Struct, frozen=True):
    instType: str
    channel: str
    instId: str | None = None
    coin: str | None = None


class WsMessage(msgspec.Struct, frozen=True):
    """Any frame except the plain-text `pong`: a push (`action`, `arg`, `data`) or an event
    (`event` = subscribe / unsubscribe / login / error, with `code`, `msg`)."""

    arg: WsArg | None = None
    action: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")
    ts: Num | None = None
    event: str | None = None
    code: Num | None = None
    msg: str | None = None


NULL = b"null"


def is_null(raw: msgspec.Raw) -> bool:
    return bytes(raw) == NULL


class Decoders:
    reply = msgspec.json.Decoder(RestReply)
    contracts = msgspec.json.Decoder(list[Contract])
    spot_symbols = msgspec.json.Decoder(list[SpotSymbol])
    depth = msgspec.json.Decoder(Depth)
    depths = msgspec.json.Decoder(list[Depth])
    ticker = msgspec.json.Decoder(Ticker)
    tickers = msgspec.json.Decoder(list[Ticker])
    current_fund_rate = msgspec.json.Decoder(list[CurrentFundRate])
    funding_time = msgspec.json.Decoder(list[FundingTime])
    fund_rate_history = msgspec.json.Decoder(list[FundRateHistory])
    candles = msgspec.json.Decoder(list[list[str]])
    public_trades = msgspec.json.Decoder(list[PublicTrade])
    server_time = msgspec.json.Decoder(ServerTime)
    order_ack = msgspec.json.Decoder(OrderAck)
    batch = msgspec.json.Decoder(BatchReply)
    order = msgspec.json.Decoder(Order)
    orders = msgspec.json.Decoder(list[Order])
    order_page = msgspec.json.Decoder(OrderPage)
    fills = msgspec.json.Decoder(list[Fill])
    fill_page = msgspec.json.Decoder(FillPage)
    positions = msgspec.json.Decoder(list[Position])
    accounts = msgspec.json.Decoder(list[Account])
    account = msgspec.json.Decoder(Account)
    spot_assets = msgspec.json.Decoder(list[SpotAsset])
    bill_page = msgspec.json.Decoder(BillPage)
    position_mode = msgspec.json.Decoder(PositionMode)
    ws = msgspec.json.Decoder(WsMessage)


_encoder = msgspec.json.Encoder()


def encode(obj: Any) -> bytes:
    return _encoder.encode(obj)
