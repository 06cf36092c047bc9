"""Reconciliation reports for the Bitget execution client, so a (re)started node recovers the
venue's state: orders from `orders-pending` / `orders-history` / `detail` (futures) and
`unfilled-orders` / `history-orders` / `orderInfo` (spot), fills from `order/fills` (futures) and
`trade/fills` (spot, per symbol), positions from `all-position`.

Without a lookback (`reconciliation_lookback_mins` unset) closed orders and fills are reported only
for orders this node knows: a fresh node would otherwise import the account's whole recent history
as external orders.
"""

from __future__ import annotations

from collections.abc import Callable

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import Logger
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateFillReports
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.execution.messages import GenerateOrderStatusReports
from nautilus_trader.execution.messages import GeneratePositionStatusReports
from nautilus_trader.execution.reports import FillReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.execution.reports import PositionStatusReport
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.objects import Quantity

from adapters.bitget import schemas as s
from adapters.bitget.constants import BITGET_VENUE
from adapters.bitget.constants import SPOT
from adapters.bitget.constants import USDT_FUTURES
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.http import OrderNotFoundError
from adapters.bitget.markets import MarketIndex
from adapters.bitget.orders import client_oid
from adapters.bitget.parsing import parse_fill_report
from adapters.bitget.parsing import parse_order_report
from adapters.bitget.parsing import parse_position_report
from adapters.common.errors import VenueError

MS = 1_000_000
DAY_MS = 86_400_000


class ReconciliationReports:
    # provided by the execution client
    _http: BitgetHttpClient
    _clock: LiveClock
    _log: Logger
    _cache: Cache
    account_id: AccountId
    _markets: Callable[[], MarketIndex]
    _coid: Callable[[str | None, str | None], ClientOrderId | None]
    _revision: dict[ClientOrderId, int]

    def _spot_symbols_in_use(self) -> set[str]:
        out = set()
        for order in self._cache.orders(venue=BITGET_VENUE):
            m = self._markets().by_instrument.get(order.instrument_id)
            if m is not None and m.is_spot:
                out.add(m.symbol)
        return out

    def _order_report(self, o: s.Order, product: str) -> OrderStatusReport | None:
        m = self._markets().lookup(product, o.venue_symbol)
        if m is None:
            return None
        return parse_order_report(
            o, m, self.account_id, self._clock.timestamp_ns(), self._coid(o.client_oid, o.orderId)
        )

    async def generate_order_status_report(
        self, command: GenerateOrderStatusReport
    ) -> OrderStatusReport | None:
        iid = command.instrument_id
        coid = command.client_order_id
        if iid is None and coid is not None:
            order = self._cache.order(coid)
            iid = order.instrument_id if order is not None else None
        if iid is None:
            self._log.error("Order status report needs the instrument (Bitget queries orders per symbol)")
            return None
        m = self._markets().market(iid)
        oid = client_oid(coid, self._revision.get(coid, 0)) if coid is not None else None
        vid = command.venue_order_id.value if command.venue_order_id is not None else None
        try:
            if m.is_spot:
                rows = await self._http.spot_order_info(order_id=vid, client_oid=None if vid else oid)
                found = rows[0] if rows else None
            else:
                found = await self._http.order_detail(m.symbol, order_id=vid, client_oid=None if vid else oid)
        except OrderNotFoundError:
            return None
        except VenueError as e:
            self._log.error(f"Cannot query order {vid or oid}: {e.message}")
            return None
        return self._order_report(found, m.product_type) if found is not None else None

    async def generate_order_status_reports(
        self, command: GenerateOrderStatusReports
    ) -> list[OrderStatusReport]:
        reports: dict[str, OrderStatusReport] = {}
        start_ms = int(command.start.value) // MS if command.start is not None else None
        try:
            rows: list[tuple[s.Order, str]] = [(o, USDT_FUTURES) for o in await self._http.orders_pending()]
            spot_symbols = self._spot_symbols_in_use()
            if any(m.is_spot for m in self._markets().by_instrument.values()):
                rows += [(o, SPOT) for o in await self._http.spot_unfilled_orders()]
            for o, product in rows:
                r = self._order_report(o, product)
                if r is not None:
                    reports[o.orderId] = r
            if not command.open_only:
                history: list[tuple[s.Order, str]] = [
                    (o, USDT_FUTURES) for o in await self._http.orders_history(start_ms=start_ms)
                ]
                for symbol in spot_symbols:
                    history += [
                        (o, SPOT) for o in await self._http.spot_history_orders(symbol, start_ms=start_ms)
                    ]
                for o, product in history:
                    if o.orderId in reports:
                        continue
                    known = self._coid(o.client_oid, o.orderId) is not None
                    recent = start_ms is not None and int(o.uTime or o.cTime or 0) >= start_ms
                    # Without a lookback, closed orders are reported only for orders this node knows.
                    if known or recent:
                        r = self._order_report(o, product)
                        if r is not None:
                            reports[o.orderId] = r
        except VenueError as e:
            self._log.error(f"Cannot generate order status reports: {e.message}")
            return []
        out = list(reports.values())
        if command.instrument_id is not None:
            out = [r for r in out if r.instrument_id == command.instrument_id]
        return out

    async def generate_fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        now_ms = self._clock.timestamp_ns() // MS
        start_ms = int(command.start.value) // MS if command.start is not None else now_ms - DAY_MS
        end_ms = int(command.end.value) // MS if command.end is not None else None
        out: list[FillReport] = []
        ts_init = self._clock.timestamp_ns()
        try:
            fills: list[tuple[s.Fill, str]] = [
                (f, USDT_FUTURES) for f in await self._http.fills_all(start_ms, end_ms)
            ]
            for symbol in self._spot_symbols_in_use():
                fills += [
                    (f, SPOT) for f in await self._http.spot_fills(symbol, start_ms=start_ms, end_ms=end_ms)
                ]
        except VenueError as e:
            self._log.error(f"Cannot generate fill reports: {e.message}")
            return []
        for f, product in fills:
            m = self._markets().lookup(product, f.symbol or "")
            if m is None:
                continue
            coid = self._coid(None, f.orderId)
            if command.start is None and coid is None:
                continue  # no lookback: only fills of orders this node knows
            report = parse_fill_report(f, m, self.account_id, ts_init, coid)
            if command.instrument_id is not None and report.instrument_id != command.instrument_id:
                continue
            if command.venue_order_id is not None and report.venue_order_id != command.venue_order_id:
                continue
            out.append(report)
        return sorted(out, key=lambda r: r.ts_event)

    async def generate_position_status_reports(
        self, command: GeneratePositionStatusReports
    ) -> list[PositionStatusReport]:
        ts_init = self._clock.timestamp_ns()
        out: list[PositionStatusReport] = []
        try:
            for p in await self._http.all_positions():
                m = self._markets().lookup(USDT_FUTURES, p.venue_symbol)
                if m is not None:
                    out.append(parse_position_report(p, m, self.account_id, ts_init))
        except VenueError as e:
            self._log.error(f"Cannot generate position reports: {e.message}")
            return []
        if command.instrument_id is not None:
            out = [r for r in out if r.instrument_id == command.instrument_id]
            m = self._markets().by_instrument.get(command.instrument_id)
            if not out and m is not None and not m.is_spot:
                out.append(
                    PositionStatusReport(
                        account_id=self.account_id,
                        instrument_id=command.instrument_id,
                        position_side=PositionSide.FLAT,
                        quantity=Quantity(0, m.size_precision),
                        report_id=UUID4(),
                        ts_last=ts_init,
                        ts_init=ts_init,
                    )
                )
        return out
