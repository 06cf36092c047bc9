"""Hyperliquid execution client.

Orders: LIMIT with GTC / IOC / post-only (ALO), reduce-only; MARKET becomes an IOC limit
`market_order_slippage_bps` through the last quote (the venue has no market orders). Every order
carries a `cloid` derived from its ClientOrderId (16 bytes of blake2b), which is the idempotency
handle: cancels go by cloid, and an order whose reply is lost (timeout, dropped connection,
replayed nonce) is resolved by asking the venue for that cloid (`orderStatus`) instead of guessing.
Prices are rounded to the venue's tick rule on the passive side (buys down, sells up); sizes must
already respect the lot (`szDecimals`), else the order is rejected naming the field.

Private streams (one WebSocket per account): orderUpdates, userFills, userFundings.
- fills are applied exactly once: de-duplicated by trade id, whether they arrive live, in the
  resubscribe snapshot, or from the REST catch-up (`userFillsByTime` since the last fill) that
  runs after every reconnect - so a fill during a disconnect is neither lost nor doubled.
- a terminal order update (canceled, IOC remainder) waits until the fills the venue reports for
  that order have been applied, so a strategy never sees "canceled" before the fill that preceded it.
- userFundings -> `FundingPayment` on `funding_payment_topic(instrument_id)`; `usdc` is signed from
  the account's side (+ received), the settlement price is recovered as -usdc / (szi x rate).

Account (AccountState, MARGIN, multi-currency): the sum over every loaded perp dex's
clearinghouseState (accountValue / totalMarginUsed) plus spot balances (total / hold), per token.
Reconciliation reports (orders, fills, positions) come from frontendOpenOrders / historicalOrders /
orderStatus, userFillsByTime and clearinghouseState for every dex in use, so a restarted node
recovers its state.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.execution.messages import ModifyOrder
from nautilus_trader.live.execution_client import LiveExecutionClient
from nautilus_trader.model.enums import AccountType
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OmsType
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order

from adapters.common.errors import AuthenticationError
from adapters.common.errors import TransportError
from adapters.common.errors import VenueError
from adapters.common.execution import BackgroundSync
from adapters.common.execution import FillsBeforeClose
from adapters.common.execution import OrderCommands
from adapters.common.frames import FrameStats
from adapters.common.sequencing import RecentIds
from adapters.hyperliquid import schemas as s
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import ws_url
from adapters.hyperliquid.constants import CANCELED_STATUSES
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.http import statuses
from adapters.hyperliquid.orders import OrderBuildError
from adapters.hyperliquid.orders import cloid_for
from adapters.hyperliquid.orders import order_wire
from adapters.hyperliquid.parsing import commission
from adapters.hyperliquid.parsing import dec
from adapters.hyperliquid.parsing import ms_to_ns
from adapters.hyperliquid.parsing import parse_account_balances
from adapters.hyperliquid.parsing import parse_funding_payment
from adapters.hyperliquid.parsing import side
from adapters.hyperliquid.parsing import trade_id
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.reconciliation import ReconciliationReports
from adapters.hyperliquid.websocket import HyperliquidWebSocket
from catalog.funding import funding_payment_topic

MS = 1_000_000
DAY_MS = 86_400_000


class HyperliquidExecutionClient(
    OrderCommands, FillsBeforeClose, BackgroundSync, ReconciliationReports, LiveExecutionClient
):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client: HyperliquidHttpClient,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        instrument_provider: HyperliquidInstrumentProvider,
        config: HyperliquidExecClientConfig,
        account_address: str,
        name: str | None = None,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=ClientId(name or HYPERLIQUID),
            venue=HYPERLIQUID_VENUE,
            oms_type=OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=None,
            instrument_provider=instrument_provider,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=config,
        )
        self._http = client
        self._provider = instrument_provider
        self._config = config
        self.user = account_address.lower()
        self._set_account_id(AccountId(f"{HYPERLIQUID}-{self.user}"))
        self.frame_stats = FrameStats(self._log)
        self._ws = HyperliquidWebSocket(
            ws_url(config.testnet, config.base_url_ws, config.base_url_http),
            handler=self._on_channel,
            stats=self.frame_stats,
            logger=self._log,
            heartbeat_secs=config.heartbeat_secs,
            on_connected=self._on_ws_connected,
            on_malformed=self._on_malformed_private,
            name="private",
        )
        self._cloid_to_coid: dict[str, ClientOrderId] = {}
        self._oid_to_coid: dict[int, ClientOrderId] = {}
        self._seen_tids = RecentIds()
        self._last_fill_ms = 0
        self._funding_since_ms = 0
        self._seen_fundings = RecentIds()
        # Order events reach the cache asynchronously (engine queue), so the cache lags behind what
        # this client already emitted: these are the client's own record.
        self._accepted: set[ClientOrderId] = set()
        self._closed: set[ClientOrderId] = set()
        self._filled: dict[ClientOrderId, Decimal] = {}
        self._live_oid: dict[ClientOrderId, int] = {}  # a modify gives the order a new venue id
        self._venue_filled: dict[ClientOrderId, Decimal] = {}  # filled size the venue reported
        self._pending_terminal: dict[ClientOrderId, int] = {}  # done on the venue at (ns)
        self._terminal_timers: dict[ClientOrderId, asyncio.TimerHandle] = {}
        self._account_task: asyncio.Task | None = None
        self._resync_task: asyncio.Task | None = None
        self.lost_replies_resolved = 0

    def __repr__(self) -> str:
        return f"HyperliquidExecutionClient(account={self.user}, signer={self._http.signer!r})"

    @property
    def websocket(self) -> HyperliquidWebSocket:
        return self._ws

    # -- lifecycle -------------------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._provider.initialize()
        for instrument in self._provider.published():
            self._cache.add_instrument(instrument)
        self._index_cached_orders()
        now_ms = self._clock.timestamp_ns() // MS
        self._funding_since_ms = now_ms
        self._last_fill_ms = now_ms
        await self._refresh_account()
        await self._ws.connect()
        for kind in ("orderUpdates", "userFills", "userFundings"):
            await self._ws.subscribe({"type": kind, "user": self.user})
        await self._await_account_registered()

    async def _disconnect(self) -> None:
        for timer in self._terminal_timers.values():
            timer.cancel()
        await self._ws.close()
        await self._http.close()

    def _index_cached_orders(self) -> None:
        for order in self._cache.orders(venue=HYPERLIQUID_VENUE):
            self._remember(order.client_order_id, order.venue_order_id)

    def _remember(self, coid: ClientOrderId, venue_order_id: VenueOrderId | None = None) -> str:
        cloid = cloid_for(coid)
        self._cloid_to_coid[cloid] = coid
        if venue_order_id is not None and venue_order_id.value.isdigit():
            self._oid_to_coid[int(venue_order_id.value)] = coid
        return cloid

    def _coid(self, cloid: str | None, oid: int | None) -> ClientOrderId | None:
        if cloid:
            coid = self._cloid_to_coid.get(cloid.lower())
            if coid is not None:
                return coid
        if oid is None:
            return None
        coid = self._oid_to_coid.get(oid)
        if coid is None:
            # Orders the engine created during reconciliation (external to this node) are known
            # to the cache by venue order id only.
            coid = self._cache.client_order_id(VenueOrderId(str(oid)))
            if coid is not None:
                self._oid_to_coid[oid] = coid
        return coid

    @staticmethod
    def _by_oid(order: Order) -> bool:
        """Orders this adapter did not submit (reconciled as EXTERNAL) carry no cloid we can derive."""
        vid = order.venue_order_id
        return order.strategy_id.value == "EXTERNAL" and vid is not None and vid.value.isdigit()

    def _markets(self):
        return self._provider.markets

    # -- building orders -------------------------------------------------------------------------

    def _order_wire(
        self, order: Order, quantity: Quantity | None = None, price: Price | None = None
    ) -> dict[str, Any]:
        asset = self._markets().asset(order.instrument_id)
        wire = order_wire(
            order,
            asset,
            quote=self._cache.quote_tick(order.instrument_id),
            slippage_bps=self._config.market_order_slippage_bps,
            quantity=quantity,
            price=price,
        )
        self._remember(order.client_order_id)
        asked = (price or order.price) if order.order_type == OrderType.LIMIT else None
        if asked is not None and Decimal(wire["p"]) != asked.as_decimal():
            self._log.info(f"{order.client_order_id}: price {asked} rounded to {wire['p']} (venue tick rule)")
        return wire

    # -- submitting ------------------------------------------------------------------------------
    async def _submit(self, orders: list[Order]) -> None:
        wires: list[dict[str, Any]] = []
        sendable: list[Order] = []
        for order in orders:
            if order.is_closed:
                continue
            try:
                wire = self._order_wire(order)
            except (OrderBuildError, VenueError) as e:
                self.generate_order_submitted(
                    order.strategy_id, order.instrument_id, order.client_order_id, self._clock.timestamp_ns()
                )
                self._reject(order, str(e))
                continue
            self.generate_order_submitted(
                order.strategy_id, order.instrument_id, order.client_order_id, self._clock.timestamp_ns()
            )
            wires.append(wire)
            sendable.append(order)
        if not wires:
            return
        action = {"type": "order", "orders": wires, "grouping": "na"}
        try:
            reply = await self._http.exchange(action, batch=len(wires))
        except (TransportError, AuthenticationError) as e:
            if isinstance(e, TransportError) or "duplicate nonce" in e.message:
                # Ambiguous: the venue may or may not have the order. Ask it, by cloid.
                self._log.warning(
                    f"Order reply lost ({e.message}); resolving {len(sendable)} order(s) by cloid"
                )
                for order in sendable:
                    await self._resolve_lost(order)
                return
            self._reject_all(sendable, e.message)
            return
        except VenueError as e:
            self._reject_all(sendable, e.message)
            return
        results = statuses(reply)
        for i, order in enumerate(sendable):
            status = results[i] if i < len(results) else None
            self._apply_place_status(order, status)

    def _reject_all(self, orders: list[Order], reason: str) -> None:
        for order in orders:
            self._reject(order, reason)

    def _reject(
        self, order: Order, reason: str, ts_event: int | None = None, due_post_only: bool = False
    ) -> None:
        coid = order.client_order_id
        if coid in self._closed or coid in self._accepted:
            return
        self._closed.add(coid)
        ts = ts_event or self._clock.timestamp_ns()
        self.generate_order_rejected(
            order.strategy_id, order.instrument_id, coid, reason, ts, due_post_only=due_post_only
        )

    def _accept(self, order: Order, oid: int) -> None:
        coid = order.client_order_id
        self._oid_to_coid[oid] = coid
        self._live_oid.setdefault(coid, oid)
        if coid in self._accepted or coid in self._closed:
            return
        self._accepted.add(coid)
        if order.status in (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED):
            self.generate_order_accepted(
                order.strategy_id,
                order.instrument_id,
                coid,
                VenueOrderId(str(oid)),
                self._clock.timestamp_ns(),
            )

    def _canceled(self, order: Order, ts_event: int | None = None) -> None:
        coid = order.client_order_id
        if coid in self._closed:
            return
        self._closed.add(coid)
        venue_order_id = order.venue_order_id or self._venue_id(coid)
        ts = ts_event or self._clock.timestamp_ns()
        self.generate_order_canceled(order.strategy_id, order.instrument_id, coid, venue_order_id, ts)

    def _venue_id(self, coid: ClientOrderId) -> VenueOrderId | None:
        for oid, c in self._oid_to_coid.items():
            if c == coid:
                return VenueOrderId(str(oid))
        return None

    def _apply_place_status(self, order: Order, status: Any) -> None:
        order = self._cache.order(order.client_order_id) or order
        if isinstance(status, dict) and "resting" in status:
            self._accept(order, int(status["resting"]["oid"]))
        elif isinstance(status, dict) and "filled" in status:
            filled = status["filled"]
            self._accept(order, int(filled["oid"]))
            self._venue_filled[order.client_order_id] = dec(filled["totalSz"], "totalSz")
            ioc = order.time_in_force == TimeInForce.IOC or order.order_type == OrderType.MARKET
            if ioc and dec(filled["totalSz"], "totalSz") < order.quantity.as_decimal():
                self._terminal(order.client_order_id, self._clock.timestamp_ns())
        elif isinstance(status, dict) and "error" in status:
            reason = str(status["error"])
            self._reject(order, reason, due_post_only="Post only" in reason)
        else:
            self._log.warning(
                f"{order.client_order_id}: unexpected order status {status!r}; querying the venue"
            )
            self.create_task(self._resolve_lost(order))

    async def _resolve_lost(self, order: Order) -> None:
        cloid = cloid_for(order.client_order_id)
        try:
            reply = await self._http.order_status(self.user, cloid)
        except VenueError as e:
            self._log.error(
                f"{order.client_order_id}: cannot resolve lost order reply ({e.message}); state left SUBMITTED"
            )
            return
        self.lost_replies_resolved += 1
        order = self._cache.order(order.client_order_id) or order
        if reply.status != "order" or reply.order is None:
            self._reject(
                order, "order not received by Hyperliquid (reply lost; orderStatus reports unknownOid)"
            )
            return
        self._on_order_update(reply.order)

    # -- cancel / modify -------------------------------------------------------------------------
    async def _cancel(self, orders: list[Order]) -> None:
        external = [o for o in orders if self._by_oid(o)]
        if external:
            orders = [o for o in orders if not self._by_oid(o)]
            cancels = [
                {"a": self._markets().asset(o.instrument_id).asset, "o": int(o.venue_order_id.value)}
                for o in external
            ]
            await self._send_cancels(external, {"type": "cancel", "cancels": cancels})
        if orders:
            cancels = [
                {
                    "asset": self._markets().asset(o.instrument_id).asset,
                    "cloid": self._remember(o.client_order_id),
                }
                for o in orders
            ]
            await self._send_cancels(orders, {"type": "cancelByCloid", "cancels": cancels})

    async def _send_cancels(self, orders: list[Order], action: dict[str, Any]) -> None:
        try:
            reply = await self._http.exchange(action, batch=len(orders))
            results = statuses(reply)
        except VenueError as e:
            for o in orders:
                self.generate_order_cancel_rejected(
                    o.strategy_id,
                    o.instrument_id,
                    o.client_order_id,
                    o.venue_order_id,
                    e.message,
                    self._clock.timestamp_ns(),
                )
            return
        for i, o in enumerate(orders):
            result = results[i] if i < len(results) else None
            o = self._cache.order(o.client_order_id) or o
            if result == "success":
                self._canceled(o)
            else:
                reason = (
                    result.get("error")
                    if isinstance(result, dict)
                    else f"unexpected cancel status {result!r}"
                )
                self.generate_order_cancel_rejected(
                    o.strategy_id,
                    o.instrument_id,
                    o.client_order_id,
                    o.venue_order_id,
                    str(reason),
                    self._clock.timestamp_ns(),
                )

    async def _modify_order(self, command: ModifyOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None or order.is_closed:
            self._log.warning(f"Cannot modify {command.client_order_id}: not open")
            return
        try:
            wire = self._order_wire(order, command.quantity, command.price)
        except (OrderBuildError, VenueError) as e:
            self.generate_order_modify_rejected(
                order.strategy_id,
                order.instrument_id,
                order.client_order_id,
                order.venue_order_id,
                str(e),
                self._clock.timestamp_ns(),
            )
            return
        ref: int | str = (
            int(order.venue_order_id.value)
            if order.venue_order_id and order.venue_order_id.value.isdigit()
            else wire["c"]
        )
        try:
            reply = await self._http.exchange(
                {"type": "batchModify", "modifies": [{"oid": ref, "order": wire}]}
            )
            results = statuses(reply)
        except VenueError as e:
            self.generate_order_modify_rejected(
                order.strategy_id,
                order.instrument_id,
                order.client_order_id,
                order.venue_order_id,
                e.message,
                self._clock.timestamp_ns(),
            )
            return
        result = results[0] if results else None
        placed = (result.get("resting") or result.get("filled")) if isinstance(result, dict) else None
        if isinstance(placed, dict):
            oid = int(placed["oid"])
            self._oid_to_coid[oid] = order.client_order_id
            self._live_oid[order.client_order_id] = oid
            new_id = VenueOrderId(str(oid))
            instrument = self._markets().instrument(order.instrument_id)
            self.generate_order_updated(
                order.strategy_id,
                order.instrument_id,
                order.client_order_id,
                new_id,
                Quantity(dec(wire["s"], "s"), instrument.size_precision),
                Price(dec(wire["p"], "p"), instrument.price_precision),
                None,
                self._clock.timestamp_ns(),
                new_id != order.venue_order_id,
            )
        else:
            reason = (
                result.get("error") if isinstance(result, dict) else f"unexpected modify status {result!r}"
            )
            self.generate_order_modify_rejected(
                order.strategy_id,
                order.instrument_id,
                order.client_order_id,
                order.venue_order_id,
                str(reason),
                self._clock.timestamp_ns(),
            )

    # -- private stream --------------------------------------------------------------------------
    def _on_channel(self, channel: str, data: bytes) -> None:
        if channel == "orderUpdates":
            self._ws.mark(f"orderUpdates:{self.user}")
            for update in s.Decoders.order_updates.decode(data):
                self._on_order_update(update)
        elif channel == "userFills":
            msg = s.Decoders.user_fills_ws.decode(data)
            self._ws.mark(f"userFills:{self.user}")
            for fill in msg.fills:
                self._apply_fill(fill)
        elif channel == "user":  # userEvents, if subscribed: fills and fundings like the dedicated streams
            event = s.Decoders.user_event.decode(data)
            for fill in event.fills or []:
                self._apply_fill(fill)
            f = event.funding
            if f:
                self._apply_funding(
                    f["coin"],
                    int(f.get("time", 0)) or self._clock.timestamp_ns() // MS,
                    f["usdc"],
                    f["szi"],
                    f["fundingRate"],
                )
        elif channel == "userFundings":
            fundings = s.Decoders.user_fundings_ws.decode(data)
            self._ws.mark(f"userFundings:{self.user}")
            for row in fundings.fundings:
                self._apply_funding(row.coin, row.time, row.usdc, row.szi, row.fundingRate)
        else:
            self.frame_stats.ignored(f"channel:{channel}")

    def _on_order_update(self, update: s.OrderUpdate) -> None:
        info = update.order
        coid = self._coid(info.cloid, info.oid)
        order = self._cache.order(coid) if coid is not None else None
        if order is None:
            self.frame_stats.ignored("external_order_update")
            return
        status = update.status
        orig = dec(info.origSz, "origSz") if info.origSz else order.quantity.as_decimal()
        remaining = dec(info.sz, "sz")
        if status == "open":
            self._accept(order, info.oid)
        elif status == "filled":
            self._accept(order, info.oid)
            self._venue_filled[coid] = orig
        elif status in CANCELED_STATUSES:
            if self._live_oid.get(coid, info.oid) != info.oid:
                self.frame_stats.ignored("replaced_order_update")  # the pre-modify order leaving the book
                return
            self._accept(order, info.oid)
            self._venue_filled[coid] = orig - remaining
            self._terminal(coid, ms_to_ns(update.statusTimestamp))
        elif status.endswith("Rejected") or status == "rejected":
            self._reject(order, status, ms_to_ns(update.statusTimestamp))
        else:
            self._log.info(f"{coid}: venue status {status}")

    def _apply_fill(self, fill: s.UserFill) -> None:
        tid = trade_id(fill)
        self._last_fill_ms = max(self._last_fill_ms, fill.time)
        coid = self._coid(fill.cloid, fill.oid)
        order = self._cache.order(coid) if coid is not None else None
        if order is None:
            self._seen_tids.add(tid)
            self.frame_stats.ignored("external_fill")
            return
        if tid in order.trade_ids or order.status in (
            OrderStatus.FILLED,
            OrderStatus.REJECTED,
            OrderStatus.DENIED,
        ):
            self._seen_tids.add(tid)
            return
        if not self._seen_tids.add(tid):
            return
        asset = self._markets().asset(order.instrument_id)
        instrument = self._markets().instrument(order.instrument_id)
        size = dec(fill.sz, "sz")
        last_qty = Quantity(size, instrument.size_precision)
        filled = self._filled_qty(order) + size
        if filled > order.quantity.as_decimal():
            self._log.error(f"{coid}: fill {tid} of {last_qty} would overfill {order.quantity}; ignored")
            return
        self._accept(order, fill.oid)
        self._filled[coid] = filled
        if filled == order.quantity.as_decimal():
            self._closed.add(coid)
        self.generate_order_filled(
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=coid,
            venue_order_id=VenueOrderId(str(fill.oid)),
            venue_position_id=None,
            trade_id=tid,
            order_side=side(fill.side),
            order_type=order.order_type,
            last_qty=last_qty,
            last_px=Price(dec(fill.px, "px"), instrument.price_precision),
            quote_currency=instrument.quote_currency,
            commission=commission(fill, asset),
            liquidity_side=LiquiditySide.TAKER if fill.crossed else LiquiditySide.MAKER,
            ts_event=ms_to_ns(fill.time),
        )
        self._try_close(coid)
        self._schedule_account_refresh()

    def _apply_funding(self, coin: str, time_ms: int, usdc: str, szi: str, rate: str) -> None:
        if time_ms <= self._funding_since_ms or not self._seen_fundings.add((coin, time_ms)):
            return  # history from before this session, or already published
        asset = self._markets().coin(coin)
        if asset is None:
            self.frame_stats.ignored("unknown_coin")
            return
        payment = parse_funding_payment(asset, time_ms, usdc, szi, rate, self._clock.timestamp_ns())
        self._log.info(
            f"Funding {asset.instrument_id}: {payment.amount} {asset.quote} "
            f"(rate {payment.rate}, position {payment.position_quantity})"
        )
        self._msgbus.publish(funding_payment_topic(asset.instrument_id), payment)
        self._schedule_account_refresh()

    # -- recovery after a reconnect --------------------------------------------------------------
    async def _on_ws_connected(self, reconnected: bool) -> None:
        if reconnected:
            self._schedule_resync("reconnect")

    async def _catch_up_fills(self, coid: ClientOrderId) -> None:
        await self._recover_fills()  # userFillsByTime covers every order

    async def _recover_fills(self) -> int:
        start = self._last_fill_ms - int(self._config.fill_recovery_lookback_secs * 1000)
        fills = await self._http.user_fills_by_time(self.user, start)
        before = len(self._seen_tids)
        for f in sorted(fills, key=lambda f: (f.time, f.tid or 0)):
            self._apply_fill(f)
        return len(self._seen_tids) - before

    async def _resync(self) -> None:
        try:
            recovered = await self._recover_fills()
            open_oids: set[int] = set()
            for dex in self._markets().perp_dexs:
                open_oids.update(o.oid for o in await self._http.frontend_open_orders(self.user, dex))
            for order in self._cache.orders_open(venue=HYPERLIQUID_VENUE):
                vid = order.venue_order_id
                if vid is None or not vid.value.isdigit() or int(vid.value) not in open_oids:
                    reply = await self._http.order_status(self.user, cloid_for(order.client_order_id))
                    if reply.order is not None:
                        self._on_order_update(reply.order)
            since = self._funding_since_ms
            for row in await self._http.user_funding(self.user, since + 1):
                d = row.delta
                self._apply_funding(d.coin, row.time, d.usdc, d.szi, d.fundingRate)
            await self._refresh_account()
            self._log.info(f"Resynchronised ({recovered} fill(s) recovered over REST)")
        except VenueError as e:
            self._log.error(f"Resync failed: {e.message}")

    # -- account ---------------------------------------------------------------------------------
    async def _refresh_account(self) -> None:
        collateral = self._collateral_by_dex()
        try:
            perp_states = [
                (collateral.get(dex, "USDC"), await self._http.clearinghouse_state(self.user, dex))
                for dex in self._markets().perp_dexs
            ]
            spot = await self._http.spot_clearinghouse_state(self.user)
        except VenueError as e:
            self._log.error(f"Cannot refresh account state: {e.message}")
            return
        balances, skipped = parse_account_balances(perp_states, spot)
        if skipped:
            self._log.debug(f"Balances not reported (not currency codes): {skipped}")
        self.generate_account_state(
            balances=balances, margins=[], reported=True, ts_event=self._clock.timestamp_ns()
        )

    def _collateral_by_dex(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for a in self._markets().by_instrument.values():
            if not a.is_spot:
                out.setdefault(a.dex, a.quote)
        return out
