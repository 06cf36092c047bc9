"""Nautilus's built-in Bybit execution client, plus what our nodes need from a venue that it does
not do: funding payments, and nothing lost across a private-stream interruption.

Orders, fills, account state and reconciliation are the built-in's (`BybitExecutionClient`). This
subclass adds:

- `FundingPayment` on `funding_payment_topic(instrument_id)` for every settlement the venue reports
  on the private `execution` topic (`execType=Funding`) or, as catch-up, in
  `/v5/execution/list?execType=Funding` - each settlement published once (by `execId`), only those
  after the node connected (`funding_lookback_secs` reaches further back). Sign conventions:
  `adapters.bybit.funding`.
- recovery over REST as soon as the private WebSocket's transport is back, again once it has
  resubscribed, after an unreadable private frame, and every `funding_poll_secs`: executions since the last one seen (fills the stream missed are
  applied exactly once, by `execId`; funding is published) and the status of every order the cache
  thinks is open (a cancel that happened during the gap is applied).
- fill reports for reconciliation leave out funding and settlement rows (`/v5/execution/list`
  returns them among the trades; the built-in would report them as fills), and order reports leave
  out orders Nautilus has no type for (position TP/SL made on the venue: the built-in would fail the
  whole query on one of them).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from typing import TypeVar

import msgspec
from nautilus_trader.adapters.bybit.common.enums import BybitEnumParser
from nautilus_trader.adapters.bybit.common.enums import BybitExecType
from nautilus_trader.adapters.bybit.common.enums import BybitProductType
from nautilus_trader.adapters.bybit.common.enums import BybitStopOrderType
from nautilus_trader.adapters.bybit.common.symbol import BybitSymbol
from nautilus_trader.adapters.bybit.endpoints.trade.trade_history import BybitTradeHistoryGetParams
from nautilus_trader.adapters.bybit.execution import BybitExecutionClient
from nautilus_trader.adapters.bybit.http.account import BybitAccountHttpAPI
from nautilus_trader.adapters.bybit.http.errors import BybitError
from nautilus_trader.adapters.bybit.schemas.order import BybitOrder
from nautilus_trader.adapters.bybit.schemas.trade import BybitExecution
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountExecution
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountExecutionFast
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountOrder
from nautilus_trader.common.component import Logger
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.objects import Currency

from adapters.bybit.compat import normalize_wallet_message
from adapters.bybit.config import BybitArbExecClientConfig
from adapters.bybit.funding import funding_from_execution
from adapters.bybit.websocket import adopt
from adapters.common.sequencing import RecentIds
from catalog.funding import funding_payment_topic

FILL_TYPES = (
    BybitExecType.TRADE,
    BybitExecType.ADL_TRADE,
    BybitExecType.BUST_TRADE,
    BybitExecType.BLOCK_TRADE,
)
PAGE = 100
CLOSED = (OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED)  # fills come from executions


_ORDER_TYPES = BybitEnumParser().bybit_to_nautilus_order_type
_O = TypeVar("_O", BybitOrder, BybitWsAccountOrder)
_log = Logger("BybitArbAccountHttpAPI")


def representable(order: Any) -> bool:
    """Whether the built-in can turn this venue order into a Nautilus order type: position TP/SL
    orders (`stopOrderType` TakeProfit/StopLoss/...) made outside Nautilus cannot, and one such
    order would fail a whole reconciliation query."""
    return (order.orderType, order.stopOrderType, order.side, order.triggerDirection) in _ORDER_TYPES


def _representable_only(orders: list[_O]) -> list[_O]:
    kept = [o for o in orders if representable(o)]
    for o in orders:
        if not representable(o):
            _log.warning(
                f"Order {o.orderId} ({o.orderLinkId or 'no link id'}) {o.symbol} {o.orderType} "
                f"{o.stopOrderType.value or 'plain'}: no Nautilus order type; left out of reports"
            )
    return kept


class BybitArbAccountHttpAPI(BybitAccountHttpAPI):
    """The built-in account API with trade history that holds trades only, order queries without
    orders Nautilus cannot represent, and a query of executions by type."""

    async def query_open_orders(
        self, product_type: BybitProductType, symbol: str | None = None
    ) -> list[BybitOrder]:
        return _representable_only(await super().query_open_orders(product_type, symbol))

    async def query_order_history(self, *args: Any, **kwargs: Any) -> list[BybitOrder]:
        return _representable_only(await super().query_order_history(*args, **kwargs))

    async def query_order(self, *args: Any, **kwargs: Any) -> list[BybitOrder]:
        return _representable_only(await super().query_order(*args, **kwargs))

    async def query_trade_history(
        self,
        product_type: BybitProductType,
        symbol: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[BybitExecution]:
        rows = await super().query_trade_history(product_type, symbol, start_time, end_time)
        return [r for r in rows if r.execType in FILL_TYPES]

    async def query_executions(
        self, product_type: BybitProductType, start_time: int, exec_type: BybitExecType | None = None
    ) -> list[BybitExecution]:
        out: list[BybitExecution] = []
        cursor = None
        while True:
            response = await self._endpoint_trade_history.get(
                BybitTradeHistoryGetParams(
                    category=product_type, startTime=start_time, execType=exec_type, limit=PAGE, cursor=cursor
                )
            )
            out.extend(response.result.list)
            cursor = response.result.nextPageCursor
            if not cursor:
                return out


def ws_execution(row: BybitExecution, category: BybitProductType) -> BybitWsAccountExecution:
    """A REST execution row as the private stream would have delivered it."""
    return BybitWsAccountExecution(
        category=category, symbol=row.symbol, execFee=row.execFee, execId=row.execId,
        execPrice=row.execPrice, execQty=row.execQty, execType=row.execType, execValue=row.execValue,
        isMaker=row.isMaker, feeRate=row.feeRate, tradeIv=row.tradeIv, markIv=row.markIv,
        blockTradeId=row.blockTradeId, markPrice=row.markPrice, indexPrice=row.indexPrice,
        underlyingPrice=row.underlyingPrice, leavesQty=row.leavesQty, orderId=row.orderId,
        orderLinkId=row.orderLinkId, orderPrice=row.orderPrice, orderQty=row.orderQty,
        orderType=row.orderType, side=row.side, execTime=row.execTime, isLeverage="",
        closedSize=row.closedSize, seq=row.seq, stopOrderType=row.stopOrderType or BybitStopOrderType.NONE,
    )  # fmt: skip


class BybitArbExecutionClient(BybitExecutionClient):
    def __init__(self, *args: Any, config: BybitArbExecClientConfig, **kwargs: Any) -> None:
        super().__init__(*args, config=config, **kwargs)  # type: ignore[misc]
        # Adds methods only (no state), so every reference the built-in holds stays valid.
        self._http_account.__class__ = BybitArbAccountHttpAPI
        self._funding_poll_secs = config.funding_poll_secs
        self._funding_lookback_ms = int(config.funding_lookback_secs * 1000)
        self._fill_lookback_ms = int(config.fill_recovery_lookback_secs * 1000)
        self._since_ms = 0  # executions before this are history, not news
        self._last_exec_ms = 0
        self._applied = RecentIds()  # execIds of fills handed to the built-in
        self._published = RecentIds()  # execIds of funding settlements published
        self._recovery_task: asyncio.Task | None = None
        self._poll_task: asyncio.Task | None = None
        self.recoveries = 0
        self._ws_private_client._handler_reconnect = self._on_private_reconnect
        adopt(
            self._ws_private_client,
            on_reconnected=lambda: self._schedule_recovery("private stream transport back"),
            on_unreadable=lambda raw: self._schedule_recovery("unreadable private frame"),
        )
        if self._use_ws_trade_api:
            adopt(self._ws_order_client)

    # -- lifecycle ----------------------------------------------------------------------------------
    async def _connect(self) -> None:
        now = self._clock.timestamp_ms()
        self._since_ms = now - self._funding_lookback_ms
        self._last_exec_ms = now
        await super()._connect()
        if self._use_ws_execution_fast:
            # Funding only arrives on the full `execution` topic; fills keep coming from the fast one.
            await self._ws_private_client.subscribe_executions_update()
        if self._funding_lookback_ms:
            await self._recover("funding lookback")
        if self._funding_poll_secs:
            self._poll_task = self.create_task(
                self._poll(self._funding_poll_secs), log_msg="bybit_funding_poll"
            )

    async def _disconnect(self) -> None:
        for task in (self._poll_task, self._recovery_task):
            if task is not None and not task.done():
                task.cancel()
        self._poll_task = self._recovery_task = None
        await super()._disconnect()

    async def _poll(self, secs: float) -> None:
        try:
            while True:
                await asyncio.sleep(secs)
                await self._recover("poll")
        except asyncio.CancelledError:
            pass

    async def _on_private_reconnect(self) -> None:
        self._schedule_recovery("private stream reconnected")

    def _schedule_recovery(self, reason: str) -> None:
        # Stream callbacks run on the transport's thread: start the task on the loop's.
        self._loop.call_soon_threadsafe(self._start_recovery, reason)

    def _start_recovery(self, reason: str) -> None:
        if self._recovery_task is None or self._recovery_task.done():
            self._recovery_task = self.create_task(
                self._recover(reason), log_msg=f"bybit_recovery ({reason})"
            )

    # -- stream ---------------------------------------------------------------------------------------
    def _handle_account_order_update(self, raw: bytes) -> None:
        try:
            msg = self._decoder_ws_account_order_update.decode(raw)
        except Exception:
            super()._handle_account_order_update(raw)  # the built-in reports it
            return
        if all(representable(o) for o in msg.data):
            super()._handle_account_order_update(raw)
            return
        doc = msgspec.json.decode(raw)
        doc["data"] = [d for d, o in zip(doc["data"], msg.data, strict=True) if representable(o)]
        _representable_only(msg.data)  # (logs what is left out)
        if doc["data"]:
            super()._handle_account_order_update(msgspec.json.encode(doc))

    def _handle_account_wallet_update(self, raw: bytes) -> None:
        with contextlib.suppress(msgspec.DecodeError):  # the built-in reports an unreadable frame
            raw = normalize_wallet_message(raw)
        super()._handle_account_wallet_update(raw)

    def _process_execution(self, execution: BybitWsAccountExecution | BybitWsAccountExecutionFast) -> None:
        self._last_exec_ms = max(self._last_exec_ms, int(execution.execTime))
        if isinstance(execution, BybitWsAccountExecution):
            if execution.execType == BybitExecType.FUNDING:
                self._publish_funding(execution, execution.category)
                return
            if execution.execType not in FILL_TYPES:
                return
            if self._use_ws_execution_fast:
                return  # this subscription is for funding; fills come from `execution.fast`
        if not self._applied.add(execution.execId):
            return  # already applied (stream and REST recovery both saw it)
        super()._process_execution(execution)

    def _publish_funding(
        self, row: BybitWsAccountExecution | BybitExecution, category: BybitProductType
    ) -> None:
        if int(row.execTime) < self._since_ms or not self._published.add(row.execId):
            return
        instrument_id = BybitSymbol(f"{row.symbol}-{category.value.upper()}").to_instrument_id()
        instrument = self._cache.instrument(instrument_id)
        currency = getattr(instrument, "settlement_currency", None) or Currency.from_str("USDT")
        payment = funding_from_execution(
            instrument_id, currency, side=row.side.value, exec_qty=row.execQty, exec_price=row.execPrice,
            exec_fee=row.execFee, fee_rate=row.feeRate, exec_time=row.execTime,
            ts_init=self._clock.timestamp_ns(),
        )  # fmt: skip
        self._log.info(
            f"Funding {instrument_id}: {payment.amount} {currency} (rate {payment.rate}, "
            f"position {payment.position_quantity}, mark {payment.mark_price})"
        )
        self._msgbus.publish(funding_payment_topic(instrument_id), payment)

    # -- recovery ---------------------------------------------------------------------------------------
    async def _recover(self, reason: str) -> None:
        self.recoveries += 1
        start = max(self._since_ms, self._last_exec_ms - self._fill_lookback_ms)
        try:
            for product_type in self._product_types:
                rows = await self._http_account.query_executions(product_type, start)  # type: ignore[attr-defined]
                for row in sorted(rows, key=lambda r: (int(r.execTime), r.seq)):
                    if row.execType == BybitExecType.FUNDING:
                        self._publish_funding(row, product_type)
                    elif row.execType in FILL_TYPES and row.execId not in self._applied:
                        self._log.info(f"Recovered execution {row.execId} ({reason})")
                        self._process_execution(ws_execution(row, product_type))
            if reason != "funding lookback":
                await self._recover_orders()
        except BybitError as e:
            self._log.warning(f"Recovery over REST failed ({reason}): {e}")

    async def _recover_orders(self) -> None:
        for order in self._cache.orders_open(venue=self.venue):
            report = await self.generate_order_status_report(
                GenerateOrderStatusReport(
                    instrument_id=order.instrument_id,
                    client_order_id=order.client_order_id,
                    venue_order_id=order.venue_order_id,
                    command_id=UUID4(),
                    ts_init=self._clock.timestamp_ns(),
                )
            )
            if report is not None and report.order_status in CLOSED and report.order_status != order.status:
                self._log.info(f"Order {order.client_order_id} is {report.order_status.name} at the venue")
                self._send_order_status_report(report)
