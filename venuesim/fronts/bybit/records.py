"""The front's own records (orders as the venue sees them, executions, transaction-log entries) and
the JSON shapes the venue gives them on the wire.

A Bybit order keeps its `orderId` for life, also across an amend; the matching core replaces an
amended order by a new one, so `BybitOrder` chains core orders (`core_oid` is the live one, `prior_*`
what earlier links of the chain filled). Field lists follow the recorded payloads in
`shared/data/nautilus_trader/bybit` (`http_get_orders_realtime.json`, `ws_account_order.json`,
`http_get_executions.json`, `ws_account_execution.json`), checked by `tests/test_bybit_front.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from venuesim.core.model import ZERO
from venuesim.core.model import OrderStatus
from venuesim.core.model import Reject
from venuesim.core.model import SimOrder
from venuesim.fronts.bybit.protocol import EC_NO_ERROR
from venuesim.fronts.bybit.protocol import EC_NO_IMMEDIATE
from venuesim.fronts.bybit.protocol import EC_POST_ONLY
from venuesim.fronts.bybit.protocol import fmt
from venuesim.fronts.bybit.universe import BybitMarket

OPEN_STATUSES = ("New", "PartiallyFilled", "Untriggered")


@dataclass
class BybitOrder:
    order_id: str
    link_id: str
    uid: str
    market: BybitMarket
    side: str  # "Buy" | "Sell"
    order_type: str  # "Limit" | "Market"
    tif: str  # "GTC" | "IOC" | "FOK" | "PostOnly"
    price: Decimal  # the order price (a market order's protection price on linear)
    qty: Decimal  # total quantity, as last amended
    reduce_only: bool
    core: SimOrder
    created_ms: int
    updated_ms: int
    last_price_on_created: str = ""
    market_unit: str = ""
    prior_filled: Decimal = ZERO
    prior_value: Decimal = ZERO
    cum_fee: Decimal = ZERO
    exec_filled: Decimal = ZERO  # quantity reported in executions so far (leavesQty of the next one)
    fee_currency: str = ""
    cancel_type: str = "UNKNOWN"
    reject_reason: str = EC_NO_ERROR
    status: str = "New"
    last_pushed: tuple | None = None

    @property
    def cum_qty(self) -> Decimal:
        return self.prior_filled + self.core.filled

    @property
    def cum_value(self) -> Decimal:
        return self.prior_value + self.core.notional

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def refresh(self, injected_reason: str) -> None:
        """Derive the venue status from the core order."""
        o = self.core
        filled = self.cum_qty
        if o.status is OrderStatus.OPEN:
            self.status = "PartiallyFilled" if filled > 0 else "New"
        elif o.status is OrderStatus.FILLED:
            self.status = "Filled"
        elif o.status is OrderStatus.CANCELED:
            self.status = "PartiallyFilledCanceled" if filled > 0 and self.market.is_spot else "Cancelled"
            immediate = self.tif in ("IOC", "FOK") or self.order_type == "Market"
            if self.cancel_type == "UNKNOWN" and immediate and self.reject_reason == EC_NO_ERROR:
                self.reject_reason = EC_NO_IMMEDIATE  # the unfilled remainder of an immediate order
        elif o.status is OrderStatus.REJECTED:
            if o.reject is Reject.POST_ONLY_WOULD_CROSS:
                self.status, self.reject_reason = "Cancelled", EC_POST_ONLY
            elif o.reject is Reject.IOC_NO_MATCH:
                self.status, self.reject_reason = "Cancelled", EC_NO_IMMEDIATE
            else:
                self.status, self.reject_reason = "Rejected", injected_reason
        self.updated_ms = max(self.updated_ms, o.status_timestamp)

    def state_key(self) -> tuple:
        return (self.status, self.cum_qty, self.qty, self.price, self.cum_fee)

    def record(self, ws: bool = False) -> dict[str, Any]:
        m = self.market
        filled = self.cum_qty
        leaves = self.qty - filled if self.is_open else ZERO
        avg = self.cum_value / filled if filled else None
        price = self.price if not (m.is_spot and self.order_type == "Market") else ZERO
        rec: dict[str, Any] = {
            "orderId": self.order_id,
            "orderLinkId": self.link_id,
            "blockTradeId": "",
            "symbol": m.symbol,
            "price": m.px(price) if price else "0",
            "qty": m.qty(self.qty),
            "side": self.side,
            "isLeverage": "0" if m.is_spot else "",
            "positionIdx": 0,
            "orderStatus": self.status,
            "createType": "CreateByUser",
            "cancelType": self.cancel_type,
            "rejectReason": self.reject_reason,
            "avgPrice": fmt(avg.quantize(Decimal(1).scaleb(-(m.price_places + 4)))) if avg else "",
            "leavesQty": m.qty(leaves),
            "leavesValue": fmt(leaves * self.price),
            "cumExecQty": m.qty(filled),
            "cumExecValue": fmt(self.cum_value),
            "cumExecFee": fmt(self.cum_fee),
            "timeInForce": self.tif,
            "orderType": self.order_type,
            "stopOrderType": "",
            "orderIv": "",
            "marketUnit": self.market_unit,
            "triggerPrice": "0" if not m.is_spot else "0.00",
            "takeProfit": "0",
            "stopLoss": "0",
            "tpslMode": "" if m.is_spot else "Full",
            "ocoTriggerBy": "",
            "tpLimitPrice": "0",
            "slLimitPrice": "0",
            "tpTriggerBy": "LastPrice",
            "slTriggerBy": "LastPrice",
            "triggerDirection": 0,
            "triggerBy": "LastPrice",
            "lastPriceOnCreated": self.last_price_on_created,
            "reduceOnly": self.reduce_only,
            "closeOnTrigger": False,
            "placeType": "",
            "smpType": "None",
            "smpGroup": 0,
            "smpOrderId": "",
            "createdTime": str(self.created_ms),
            "updatedTime": str(self.updated_ms),
        }
        if ws:
            rec["category"] = m.category
            rec["feeCurrency"] = self.fee_currency
        return rec


@dataclass
class Execution:
    """One execution (a fill or a funding settlement) as `/v5/execution/list` and the `execution`
    topic report it."""

    uid: str
    market: BybitMarket
    exec_id: str
    exec_type: str  # "Trade" | "Funding"
    order_id: str
    link_id: str
    side: str
    order_type: str
    order_price: str
    order_qty: str
    leaves_qty: str
    price: Decimal
    qty: Decimal
    value: Decimal
    fee: Decimal  # positive = paid
    fee_rate: Decimal
    fee_currency: str
    is_maker: bool
    closed_size: Decimal
    mark_price: Decimal
    time_ms: int
    seq: int
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self, ws: bool = False) -> dict[str, Any]:
        m = self.market
        rec: dict[str, Any] = {
            "symbol": m.symbol,
            "orderId": self.order_id,
            "orderLinkId": self.link_id,
            "side": self.side,
            "orderPrice": self.order_price,
            "orderQty": self.order_qty,
            "leavesQty": self.leaves_qty,
            "createType": "CreateByUser" if self.exec_type == "Trade" else "",
            "orderType": self.order_type,
            "stopOrderType": "" if self.exec_type == "Trade" else "UNKNOWN",
            "execFee": fmt(self.fee),
            "execId": self.exec_id,
            "execPrice": m.px(self.price),
            "execQty": m.qty(self.qty),
            "execType": self.exec_type,
            "execValue": fmt(self.value),
            "execTime": str(self.time_ms),
            "feeCurrency": self.fee_currency,
            "isMaker": self.is_maker,
            "feeRate": fmt(self.fee_rate),
            "tradeIv": "",
            "markIv": "",
            "markPrice": m.px(self.mark_price),
            "indexPrice": "",
            "underlyingPrice": "",
            "blockTradeId": "",
            "closedSize": m.qty(self.closed_size) if not m.is_spot else "",
            "seq": self.seq,
            "marketUnit": "",
        }
        if ws:
            rec["category"] = m.category
            rec["isLeverage"] = "0" if m.is_spot else ""
        return rec

    def fast_record(self) -> dict[str, Any]:
        m = self.market
        return {
            "category": m.category,
            "symbol": m.symbol,
            "execId": self.exec_id,
            "execPrice": m.px(self.price),
            "execQty": m.qty(self.qty),
            "orderId": self.order_id,
            "isMaker": self.is_maker,
            "orderLinkId": self.link_id,
            "side": self.side,
            "execTime": str(self.time_ms),
            "seq": self.seq,
        }


@dataclass
class Transaction:
    """One `/v5/account/transaction-log` entry (UNIFIED account)."""

    uid: str
    id: str
    market: BybitMarket
    type: str  # "TRADE" | "SETTLEMENT"
    side: str
    time_ms: int
    qty: Decimal
    size: Decimal  # position after the entry, signed (short < 0)
    currency: str
    trade_price: Decimal
    funding: Decimal  # + received (SETTLEMENT only)
    fee: Decimal  # + paid
    cash_flow: Decimal
    change: Decimal
    cash_balance: Decimal
    fee_rate: Decimal
    trade_id: str = ""
    order_id: str = ""
    link_id: str = ""

    def record(self) -> dict[str, Any]:
        m = self.market
        return {
            "id": self.id,
            "symbol": m.symbol,
            "category": m.category,
            "side": self.side,
            "transactionTime": str(self.time_ms),
            "type": self.type,
            "transSubType": "",
            "qty": m.qty(self.qty),
            "size": m.qty(self.size),
            "currency": self.currency,
            "tradePrice": m.px(self.trade_price),
            "funding": fmt(self.funding) if self.type == "SETTLEMENT" else "",
            "fee": fmt(self.fee) if self.type == "TRADE" else "",
            "cashFlow": fmt(self.cash_flow),
            "change": fmt(self.change),
            "cashBalance": fmt(self.cash_balance),
            "feeRate": fmt(self.fee_rate),
            "bonusChange": "",
            "tradeId": self.trade_id,
            "orderId": self.order_id,
            "orderLinkId": self.link_id,
            "extraFees": "",
        }
