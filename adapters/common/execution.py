"""What every venue's execution client does the same way, as mixins for `LiveExecutionClient`.

- `CancelCommands`: `CancelOrder`, `CancelAllOrders` and `BatchCancelOrders` resolved to the open
  orders they name (from the cache, this client's venue only) and handed to the client's
  `_cancel(orders)`, which knows the venue's cancel endpoints (single, batch, by venue id or by
  client id). An order already closed is not sent; cancelling it is logged as a warning.
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.common.component import Logger
from nautilus_trader.execution.messages import BatchCancelOrders
from nautilus_trader.execution.messages import CancelAllOrders
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.orders import Order


class CancelCommands:
    # provided by the execution client
    _cache: Any
    _log: Logger
    venue: Venue

    async def _cancel(self, orders: list[Order]) -> None:
        raise NotImplementedError

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
