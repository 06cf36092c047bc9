"""Hyperliquid wire messages as msgspec structs (REST `/info` replies, `/exchange` replies and
WebSocket data). One decoder per type, made once. Fields the venue added later are optional so
older recordings (2023 SDK cassettes) still decode; unknown fields are ignored.
"""

from __future__ import annotations

from typing import Any

import msgspec


class PerpAssetInfo(msgspec.Struct, frozen=True):
    name: str
    szDecimals: int
    maxLeverage: int | None = None
    onlyIsolated: bool | None = None
    isDelisted: bool | None = None
    marginMode: str | None = None
    marginTableId: int | None = None
    growthMode: str | None = None


class PerpMeta(msgspec.Struct, frozen=True):
    universe: list[PerpAssetInfo]
    collateralToken: int = 0
    marginTables: list[Any] = []


class SpotToken(msgspec.Struct, frozen=True):
    name: str
    szDecimals: int
    weiDecimals: int
    index: int
    tokenId: str | None = None
    isCanonical: bool | None = None
    evmContract: Any = None
    fullName: str | None = None


class SpotPair(msgspec.Struct, frozen=True):
    name: str
    tokens: list[int]
    index: int
    isCanonical: bool | None = None


class SpotMeta(msgspec.Struct, frozen=True):
    universe: list[SpotPair]
    tokens: list[SpotToken]


class PerpDex(msgspec.Struct, frozen=True):
    name: str
    fullName: str | None = None
    deployer: str | None = None


class L2Level(msgspec.Struct, frozen=True):
    px: str
    sz: str
    n: int = 0


class L2Book(msgspec.Struct, frozen=True):
    coin: str
    time: int
    levels: list[list[L2Level]]


class Bbo(msgspec.Struct, frozen=True):
    coin: str
    time: int
    bbo: list[L2Level | None]


class Trade(msgspec.Struct, frozen=True):
    coin: str
    side: str
    px: str
    sz: str
    time: int
    tid: int
    hash: str | None = None
    users: list[str] | None = None


class Candle(msgspec.Struct, frozen=True):
    t: int  # open time ms
    T: int  # close time ms
    s: str
    i: str
    o: str
    c: str
    h: str
    l: str  # noqa: E741 (venue field name)
    v: str
    n: int = 0


class FundingHistoryEntry(msgspec.Struct, frozen=True):
    coin: str
    fundingRate: str
    time: int
    premium: str | None = None


class PerpAssetCtx(msgspec.Struct, frozen=True):
    funding: str
    oraclePx: str
    markPx: str | None = None
    openInterest: str | None = None
    midPx: str | None = None
    premium: str | None = None
    impactPxs: list[str] | None = None
    prevDayPx: str | None = None
    dayNtlVlm: str | None = None
    dayBaseVlm: str | None = None


class ActiveAssetCtx(msgspec.Struct, frozen=True):
    coin: str
    ctx: PerpAssetCtx


class AllDexsAssetCtxs(msgspec.Struct, frozen=True):
    ctxs: list[tuple[str, list[PerpAssetCtx]]]


class AllMids(msgspec.Struct, frozen=True):
    mids: dict[str, str]


class Liquidation(msgspec.Struct, frozen=True):
    liquidatedUser: str | None = None
    markPx: str | None = None
    method: str | None = None


class UserFill(msgspec.Struct, frozen=True):
    coin: str
    px: str
    sz: str
    side: str
    time: int
    oid: int
    tid: int | None = None  # absent in 2023 recordings: the trade id then falls back to hash/oid
    fee: str = "0"
    crossed: bool = True
    startPosition: str | None = None
    dir: str | None = None
    closedPnl: str | None = None
    hash: str | None = None
    feeToken: str | None = None
    cloid: str | None = None
    builderFee: str | None = None
    liquidation: Liquidation | None = None
    twapId: int | None = None


class UserFills(msgspec.Struct, frozen=True):
    user: str
    fills: list[UserFill]
    isSnapshot: bool = False


class OrderInfo(msgspec.Struct, frozen=True):
    coin: str
    side: str
    limitPx: str
    sz: str
    oid: int
    timestamp: int
    origSz: str | None = None
    cloid: str | None = None
    reduceOnly: bool | None = None
    tif: str | None = None
    orderType: str | None = None
    isTrigger: bool | None = None
    triggerPx: str | None = None


class OrderUpdate(msgspec.Struct, frozen=True):
    order: OrderInfo
    status: str
    statusTimestamp: int


class OrderStatusReply(msgspec.Struct, frozen=True):
    status: str  # "order" | "unknownOid"
    order: OrderUpdate | None = None


class Leverage(msgspec.Struct, frozen=True):
    type: str
    value: int
    rawUsd: str | None = None


class CumFunding(msgspec.Struct, frozen=True):
    allTime: str
    sinceOpen: str
    sinceChange: str | None = None


class Position(msgspec.Struct, frozen=True):
    coin: str
    szi: str
    entryPx: str | None = None
    leverage: Leverage | None = None
    positionValue: str | None = None
    unrealizedPnl: str | None = None
    marginUsed: str | None = None
    liquidationPx: str | None = None
    cumFunding: CumFunding | None = None


class AssetPosition(msgspec.Struct, frozen=True):
    position: Position
    type: str = "oneWay"


class MarginSummary(msgspec.Struct, frozen=True):
    accountValue: str
    totalNtlPos: str
    totalRawUsd: str
    totalMarginUsed: str


class ClearinghouseState(msgspec.Struct, frozen=True):
    assetPositions: list[AssetPosition]
    crossMarginSummary: MarginSummary
    withdrawable: str
    marginSummary: MarginSummary | None = None
    crossMaintenanceMarginUsed: str | None = None
    time: int | None = None


class SpotBalance(msgspec.Struct, frozen=True):
    coin: str
    token: int
    total: str
    hold: str
    entryNtl: str | None = None


class SpotClearinghouseState(msgspec.Struct, frozen=True):
    balances: list[SpotBalance]


class FundingDelta(msgspec.Struct, frozen=True):
    type: str
    coin: str
    usdc: str
    szi: str
    fundingRate: str
    nSamples: int | None = None


class UserFundingEntry(msgspec.Struct, frozen=True):
    time: int
    delta: FundingDelta
    hash: str | None = None


class WsUserFunding(msgspec.Struct, frozen=True):
    time: int
    coin: str
    usdc: str
    szi: str
    fundingRate: str
    nSamples: int | None = None


class WsUserFundings(msgspec.Struct, frozen=True):
    user: str
    fundings: list[WsUserFunding]
    isSnapshot: bool = False


class WsUserEvent(msgspec.Struct, frozen=True):
    fills: list[UserFill] | None = None
    funding: dict[str, Any] | None = None
    liquidation: dict[str, Any] | None = None
    nonUserCancel: list[dict[str, Any]] | None = None


class ExchangeReply(msgspec.Struct, frozen=True):
    status: str  # "ok" | "err"
    response: Any = None


class WsEnvelope(msgspec.Struct, frozen=True):
    channel: str
    data: msgspec.Raw = msgspec.Raw(b"null")


class Decoders:
    """One decoder per message type (built once, shared)."""

    meta = msgspec.json.Decoder(PerpMeta)
    all_perp_metas = msgspec.json.Decoder(list[PerpMeta])
    spot_meta = msgspec.json.Decoder(SpotMeta)
    perp_dexs = msgspec.json.Decoder(list[PerpDex | None])
    l2_book = msgspec.json.Decoder(L2Book)
    bbo = msgspec.json.Decoder(Bbo)
    trades = msgspec.json.Decoder(list[Trade])
    candle = msgspec.json.Decoder(Candle)
    candles = msgspec.json.Decoder(list[Candle])
    funding_history = msgspec.json.Decoder(list[FundingHistoryEntry])
    active_asset_ctx = msgspec.json.Decoder(ActiveAssetCtx)
    all_dexs_asset_ctxs = msgspec.json.Decoder(AllDexsAssetCtxs)
    meta_and_ctxs = msgspec.json.Decoder(tuple[PerpMeta, list[PerpAssetCtx]])
    all_mids = msgspec.json.Decoder(AllMids)
    mids = msgspec.json.Decoder(dict[str, str])
    user_fills_ws = msgspec.json.Decoder(UserFills)
    user_fills = msgspec.json.Decoder(list[UserFill])
    order_updates = msgspec.json.Decoder(list[OrderUpdate])
    open_orders = msgspec.json.Decoder(list[OrderInfo])
    historical_orders = msgspec.json.Decoder(list[OrderUpdate])
    order_status = msgspec.json.Decoder(OrderStatusReply)
    clearinghouse = msgspec.json.Decoder(ClearinghouseState)
    spot_clearinghouse = msgspec.json.Decoder(SpotClearinghouseState)
    user_funding = msgspec.json.Decoder(list[UserFundingEntry])
    user_fundings_ws = msgspec.json.Decoder(WsUserFundings)
    user_event = msgspec.json.Decoder(WsUserEvent)
    exchange = msgspec.json.Decoder(ExchangeReply)
    envelope = msgspec.json.Decoder(WsEnvelope)


encode = msgspec.json.Encoder().encode
