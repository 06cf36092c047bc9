"""Reconciliation reports for the Hyperliquid execution client, so a (re)started node recovers the
venue's state: orders from frontendOpenOrders (every loaded perp dex) / historicalOrders /
orderStatus, fills from userFillsByTime, positions from clearinghouseState per dex.

Without a lookback (`reconciliation_lookback_mins` unset) closed orders and fills are reported only
for orders this node knows: a fresh node would otherwise import the account's whole recent history
as external orders.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR
from decimal import Decimal

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

from adapters.common.errors import VenueError
from adapters.hyperliquid import schemas as s
from adapters.hyperliquid.assets import MarketIndex
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.parsing import ms_to_ns
from adapters.hyperliquid.parsing import parse_fill_report
from adapters.hyperliquid.parsing import parse_order_report
from adapters.hyperliquid.parsing import parse_position_report

MS = 1_000_000
DAY_MS = 86_400_000


class ReconciliationReports:
    # provided by the execution client
    _http: HyperliquidHttpClient
    _clock: LiveClock
    _log: Logger
    user: str
    account_id: AccountId
    _markets: Callable[[], MarketIndex]
    _coid: Callable[[str | None, int | None], ClientOrderId | None]
    _remember: Callable[..., str]

    async def generate_order_status_report(
        self, command: GenerateOrderStatusReport
    ) -> OrderStatusReport | None:
        if command.client_order_id is not None:
            ref: int | str = self._remember(command.client_order_id)
        elif command.venue_order_id is not None and command.venue_order_id.value.isdigit():
            ref = int(command.venue_order_id.value)
        else:
            self._log.error("Order status report needs a client order id or a numeric venue order id")
            return None
        try:
            reply = await self._http.order_status(self.user, ref)
        except VenueError as e:
            self._log.error(f"Cannot query order {ref}: {e.message}")
            return None
        if reply.order is None:
            return None
        return self._order_report(reply.order.order, reply.order.status, reply.order.statusTimestamp)

    def _order_report(
        self, info: s.OrderInfo, status: str, status_ts: int | None
    ) -> OrderStatusReport | None:
        asset = self._markets().coin(info.coin)
        if asset is None:
            return None
        return parse_order_report(
            info,
            status,
            status_ts,
            asset,
            self.account_id,
            self._clock.timestamp_ns(),
            self._coid(info.cloid, info.oid),
        )

    async def generate_order_status_reports(
        self, command: GenerateOrderStatusReports
    ) -> list[OrderStatusReport]:
        reports: dict[int, OrderStatusReport] = {}
        try:
            for dex in self._markets().perp_dexs:
                for info in await self._http.frontend_open_orders(self.user, dex):
                    r = self._order_report(info, "open", None)
                    if r is not None:
                        reports[info.oid] = r
            if not command.open_only:
                start_ms = int(command.start.value) // MS if command.start is not None else None
                for row in await self._http.historical_orders(self.user):
                    if row.order.oid in reports:
                        continue
                    known = self._coid(row.order.cloid, row.order.oid) is not None
                    recent = start_ms is not None and row.statusTimestamp >= start_ms
                    # Without a lookback, closed orders are reported only for orders this node knows:
                    # unknown historical orders would come back as a flood of external orders.
                    if known or recent:
                        r = self._order_report(row.order, row.status, row.statusTimestamp)
                        if r is not None:
                            reports[row.order.oid] = r
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
        try:
            fills = await self._http.user_fills_by_time(self.user, start_ms, end_ms)
        except VenueError as e:
            self._log.error(f"Cannot generate fill reports: {e.message}")
            return []
        out = []
        ts_init = self._clock.timestamp_ns()
        for f in fills:
            asset = self._markets().coin(f.coin)
            if asset is None:
                continue
            coid = self._coid(f.cloid, f.oid)
            if command.start is None and coid is None:
                continue  # no lookback: only fills of orders this node knows
            report = parse_fill_report(f, asset, self.account_id, ts_init, coid)
            if command.instrument_id is not None and report.instrument_id != command.instrument_id:
                continue
            if command.venue_order_id is not None and report.venue_order_id != command.venue_order_id:
                continue
            out.append(report)
        return out

    async def _spot_position_reports(self, ts_init: int) -> list[PositionStatusReport]:
        """Spot holdings as LONG positions of the spot instruments.

        Nautilus models spot instruments in a margin account as positions, and reconciles any cached
        position the venue does not report as closed. Hyperliquid reports spot as token balances, so
        without these reports a restart would "close" every spot leg a strategy holds. The quantity
        is the base-token balance rounded down to the instrument's size precision."""
        spot_assets = [a for a in self._markets().by_instrument.values() if a.is_spot]
        if not spot_assets:
            return []
        state = await self._http.spot_clearinghouse_state(self.user)
        totals = {b.coin: Decimal(b.total) for b in state.balances}
        out = []
        for asset in spot_assets:
            total = totals.get(asset.base, Decimal(0))
            step = Decimal(1).scaleb(-asset.size_precision)
            qty = (total / step).to_integral_value(rounding=ROUND_FLOOR) * step
            if qty <= 0:
                continue
            out.append(
                PositionStatusReport(
                    account_id=self.account_id,
                    instrument_id=asset.instrument_id,
                    position_side=PositionSide.LONG,
                    quantity=Quantity(qty, asset.size_precision),
                    report_id=UUID4(),
                    ts_last=ts_init,
                    ts_init=ts_init,
                )
            )
        return out

    async def generate_position_status_reports(
        self, command: GeneratePositionStatusReports
    ) -> list[PositionStatusReport]:
        out: list[PositionStatusReport] = []
        ts_init = self._clock.timestamp_ns()
        try:
            for dex in self._markets().perp_dexs:
                state = await self._http.clearinghouse_state(self.user, dex)
                ts = ms_to_ns(state.time) if state.time else ts_init
                for ap in state.assetPositions:
                    asset = self._markets().coin(ap.position.coin)
                    if asset is None:
                        continue
                    out.append(parse_position_report(ap.position, asset, self.account_id, ts, ts_init))
            out.extend(await self._spot_position_reports(ts_init))
        except VenueError as e:
            self._log.error(f"Cannot generate position reports: {e.message}")
            return []
        if command.instrument_id is not None:
            out = [r for r in out if r.instrument_id == command.instrument_id]
            if not out and command.instrument_id in self._markets().by_instrument:
                asset = self._markets().asset(command.instrument_id)
                out.append(
                    PositionStatusReport(
                        account_id=self.account_id,
                        instrument_id=command.instrument_id,
                        position_side=PositionSide.FLAT,
                        quantity=Quantity(0, asset.size_precision),
                        report_id=UUID4(),
                        ts_last=ts_init,
                        ts_init=ts_init,
                    )
                )
        return out
