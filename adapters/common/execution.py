"""What every venue's execution client does the same way, as mixins for `LiveExecutionClient`.

- `OrderCommands`: `SubmitOrder` / `SubmitOrderList` handed to the client's `_submit(orders)`;
  `CancelOrder`, `CancelAllOrders` and `BatchCancelOrders` resolved to the open orders they name
  (from the cache, this client's venue only) and handed to `_cancel(orders)`. The client knows the
  venue's endpoints (single, batch, by venue id or by client id). An order already closed is not
  sent; cancelling it is logged as a warning.
- `FillsBeforeClose`: an order the venue reports done (canceled, expired, IOC remainder) is closed
  only once every fill the venue counted for it has been applied, so a late fill frame never
  arrives for a closed order. If the fills have not all arrived after `TERMINAL_WAIT_SECS`, they
  are fetched over REST (`_catch_up_fills`); if still missing, the order is closed anyway and the
  gap logged as an error.
- `BackgroundSync`: one REST resynchronisation (orders, fills, funding) and one account refresh in
  flight at a time; an unreadable private frame triggers a resync, because it may have been a fill.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from nautilus_trader.common.component import Logger
from nautilus_trader.execution.messages import BatchCancelOrders
from nautilus_trader.execution.messages import CancelAllOrders
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.execution.messages import SubmitOrderList
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.orders import Order

TERMINAL_WAIT_SECS = 1.0


class OrderCommands:
    # provided by the execution client
    _cache: Any
    _log: Logger
    venue: Venue

    async def _submit(self, orders: list[Order]) -> None:
        raise NotImplementedError

    async def _cancel(self, orders: list[Order]) -> None:
        raise NotImplementedError

    async def _submit_order(self, command: SubmitOrder) -> None:
        await self._submit([command.order])

    async def _submit_order_list(self, command: SubmitOrderList) -> None:
        await self._submit(list(command.order_list.orders))

    async def _cancel_order(self, command: CancelOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None or order.is_closed:
            self._log.warning(f"Cannot cancel {command.client_order_id}: not open")
            return
        await self._cancel([order])

    async def _cancel_all_orders(self, command: CancelAllOrders) -> None:
        orders = [
            o
            for o in self._cache.orders_open(venue=self.venue, instrument_id=command.instrument_id)
            if command.order_side in (OrderSide.NO_ORDER_SIDE, o.side)
        ]
        if orders:
            await self._cancel(orders)

    async def _batch_cancel_orders(self, command: BatchCancelOrders) -> None:
        orders = [
            o
            for c in command.cancels
            if (o := self._cache.order(c.client_order_id)) is not None and o.is_open
        ]
        if orders:
            await self._cancel(orders)


class FillsBeforeClose:
    """The client initialises the dicts below and provides `_canceled(order, ts_event)` (emit the
    cancel event once) and `_catch_up_fills(coid)` (apply the order's fills the venue has)."""

    _cache: Any
    _log: Logger
    _loop: asyncio.AbstractEventLoop
    _closed: set[ClientOrderId]
    _filled: dict[ClientOrderId, Decimal]  # applied so far, per order
    _venue_filled: dict[ClientOrderId, Decimal]  # what the venue says it filled
    _pending_terminal: dict[ClientOrderId, int]  # done on the venue at ts (ns), awaiting fills
    _terminal_timers: dict[ClientOrderId, asyncio.TimerHandle]
    create_task: Any

    def _canceled(self, order: Order, ts_event: int | None = None) -> None:
        raise NotImplementedError

    async def _catch_up_fills(self, coid: ClientOrderId) -> None:
        raise NotImplementedError

    def _filled_qty(self, order: Order) -> Decimal:
        return self._filled.get(order.client_order_id, order.filled_qty.as_decimal())

    def _terminal(self, coid: ClientOrderId, ts_event: int) -> None:
        """The venue is done with the order: close it once every fill it reported has been applied."""
        self._pending_terminal[coid] = ts_event
        if not self._try_close(coid) and coid not in self._terminal_timers:
            self._terminal_timers[coid] = self._loop.call_later(
                TERMINAL_WAIT_SECS, lambda: self.create_task(self._catch_up_then_close(coid))
            )

    def _try_close(self, coid: ClientOrderId) -> bool:
        ts = self._pending_terminal.get(coid)
        if ts is None:
            return True
        order = self._cache.order(coid)
        if order is None or coid in self._closed:
            self._pending_terminal.pop(coid, None)
            return True
        if self._filled_qty(order) < self._venue_filled.get(coid, Decimal(0)):
            return False
        self._pending_terminal.pop(coid, None)
        timer = self._terminal_timers.pop(coid, None)
        if timer is not None:
            timer.cancel()
        self._canceled(order, ts or None)
        return True

    async def _catch_up_then_close(self, coid: ClientOrderId) -> None:
        self._terminal_timers.pop(coid, None)
        if coid not in self._pending_terminal:
            return
        await self._catch_up_fills(coid)
        if not self._try_close(coid):
            order = self._cache.order(coid)
            self._log.error(
                f"{coid}: venue reports {self._venue_filled.get(coid)} filled but only "
                f"{self._filled_qty(order) if order else '?'} arrived; closing as canceled anyway"
            )
            self._venue_filled[coid] = Decimal(0)
            self._try_close(coid)


class BackgroundSync:
    """The client initialises `_resync_task` / `_account_task` to None and provides `_resync()` and
    `_refresh_account()`."""

    _log: Logger
    _resync_task: asyncio.Task | None
    _account_task: asyncio.Task | None
    create_task: Any

    async def _resync(self) -> None:
        raise NotImplementedError

    async def _refresh_account(self) -> None:
        raise NotImplementedError

    def _schedule_resync(self, reason: str) -> None:
        if self._resync_task is None or self._resync_task.done():
            self._log.info(f"Resynchronising orders, fills and funding over REST ({reason})")
            self._resync_task = self.create_task(self._resync(), log_msg=f"resync ({reason})")

    def _on_malformed_private(self, channel: str) -> None:
        # An unreadable private frame may have been a fill or an order update: re-read them over REST.
        self._schedule_resync(f"malformed frame on {channel}")

    def _schedule_account_refresh(self) -> None:
        if self._account_task is None or self._account_task.done():
            self._account_task = self.create_task(self._refresh_account_soon())

    async def _refresh_account_soon(self) -> None:
        await asyncio.sleep(0.05)  # coalesce a burst of fills into one query
        await self._refresh_account()
