"""Bitget execution client (USDT-M perpetuals in one-way position mode, and spot).

Orders: LIMIT with GTC / IOC / FOK / post-only, MARKET (perps: venue market orders; spot: IOC
limits around the quote), reduce-only (perps), `clientOid` derived from the ClientOrderId (see
`orders.client_oid`). An order list goes out as `batch-place-order` per symbol (up to 50). Cancels
go by venue order id (or clientOid before the id is known); cancel-all and batch cancels are
`batch-cancel-orders` per symbol. Modify (perps, price and size together) makes the venue replace
the order under a new clientOid (`<clientOid>_r<n>`): the replacement's first push becomes
`OrderUpdated` with the new venue order id, the replaced order's cancel push is ignored.

Placing is asynchronous on Bitget: the REST reply only names the order. `OrderAccepted` is sent when
the venue reports the order live (or filled) on the private stream or in an order query; an order
the venue cancels before it ever rests is: a post-only order -> `OrderRejected(due_post_only)`, an
IOC/FOK/market order -> accepted then canceled. If no push arrives within `ACK_CHECK_SECS` the order
is queried. A lost reply (timeout, dropped connection) or a `40786 Duplicate clientOid` on a retry is
resolved by querying the order by clientOid, never by guessing.

Private stream (`/v2/ws/private`, login first): orders, fill, positions, account for USDT-FUTURES
and orders, fill, account for SPOT.
- fills are applied exactly once (de-duplicated by trade id), whichever of the `orders` push (it
  carries the fill), the `fill` push, or the REST catch-up (`order/fills` since the last fill) run
  after every reconnect delivers them first - so a fill during a disconnect is neither lost nor
  doubled. A `fill` push whose order id is not known yet waits for the order push that names it.
- a terminal order push (canceled) waits until the fills the venue reports (`accBaseVolume`) have
  been applied, so a strategy never sees "canceled" before the fill that preceded it.
- funding: settlements are account bills (`businessType = contract_settle_fee`), read every
  `funding_poll_secs` and after every account push not explained by a fill; each becomes a
  `FundingPayment` on `funding_payment_topic(instrument_id)` with the position held (from the
  positions stream) and the settled rate (`history-fund-rate`).

Position mode is checked at connect: an account in hedge mode is a `ConfigurationError` naming the
fix, or is switched to one-way mode when `set_one_way_mode` is set.
Account (AccountState, MARGIN, multi-currency): USDT futures equity (locked = equity minus the
balance available to open) plus spot coins (total / frozen+locked).
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
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.objects import AccountBalance
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order

from adapters.bitget import schemas as s
from adapters.bitget.config import BitgetExecClientConfig
from adapters.bitget.config import ws_urls
from adapters.bitget.constants import BATCH_MAX_ORDERS
from adapters.bitget.constants import BITGET
from adapters.bitget.constants import BITGET_VENUE
from adapters.bitget.constants import CANCELED_STATUSES
from adapters.bitget.constants import FUNDING_BILL_TYPE
from adapters.bitget.constants import OPEN_STATUSES
from adapters.bitget.constants import SPOT
from adapters.bitget.constants import USDT_FUTURES
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.http import OrderNotFoundError
from adapters.bitget.http import error_code
from adapters.bitget.markets import BitgetMarket
from adapters.bitget.orders import OrderBuildError
from adapters.bitget.orders import base_client_oid
from adapters.bitget.orders import client_oid
from adapters.bitget.orders import modify_body
from adapters.bitget.orders import order_body
from adapters.bitget.parsing import commission
from adapters.bitget.parsing import dec
from adapters.bitget.parsing import fee_from_detail
from adapters.bitget.parsing import is_post_only
from adapters.bitget.parsing import liquidity
from adapters.bitget.parsing import ms_to_ns
from adapters.bitget.parsing import order_side
from adapters.bitget.parsing import parse_funding_payment
from adapters.bitget.parsing import signed_position
from adapters.bitget.providers import BitgetInstrumentProvider
from adapters.bitget.reconciliation import ReconciliationReports
from adapters.bitget.websocket import BitgetWebSocket
from adapters.common.errors import AuthenticationError
from adapters.common.errors import ConfigurationError
from adapters.common.errors import TransportError
from adapters.common.errors import VenueError
from adapters.common.execution import TERMINAL_WAIT_SECS
from adapters.common.execution import BackgroundSync
from adapters.common.execution import FillsBeforeClose
from adapters.common.execution import OrderCommands
from adapters.common.frames import FrameStats
from adapters.common.sequencing import RecentIds
from catalog.funding import funding_payment_topic

MS = 1_000_000
ACK_CHECK_SECS = 3.0
ORPHAN_FILL_SECS = 5.0
LOGIN_TIMEOUT_SECS = 10.0
ONE_WAY = "one_way_mode"
HEDGE = "hedge_mode"


class BitgetExecutionClient(
    OrderCommands, FillsBeforeClose, BackgroundSync, ReconciliationReports, LiveExecutionClient
):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client: BitgetHttpClient,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        instrument_provider: BitgetInstrumentProvider,
        config: BitgetExecClientConfig,
        name: str | None = None,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=ClientId(name or BITGET),
            venue=BITGET_VENUE,
            oms_type=OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=None,
            instrument_provider=instrument_provider,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=config,
        )
        if client.signer is None:
            raise ConfigurationError("the execution client needs an API key (signer)", venue=BITGET)
        if config.margin_mode not in ("crossed", "isolated"):
            raise ConfigurationError(
                f"margin_mode must be 'crossed' or 'isolated', got {config.margin_mode!r}", venue=BITGET
            )
        self._http = client
        self._provider = instrument_provider
        self._config = config
        self._set_account_id(AccountId(f"{BITGET}-{client.signer.key_fingerprint}"))
        self.frame_stats = FrameStats(self._log)
        _, private_url = ws_urls(config.demo, config.base_url_ws, config.base_url_http)
        self._ws = BitgetWebSocket(
            private_url,
            handler=self._on_push,
            stats=self.frame_stats,
            logger=self._log,
            heartbeat_secs=config.heartbeat_secs,
            signer=client.signer,
            on_connected=self._on_ws_connected,
            on_malformed=self._on_malformed_private,
            name="private",
        )
        self._oid_to_coid: dict[str, ClientOrderId] = {}  # venue clientOid -> ClientOrderId
        self._venue_to_coid: dict[str, ClientOrderId] = {}  # venue orderId -> ClientOrderId
        self._revision: dict[ClientOrderId, int] = {}
        self._live_venue_id: dict[ClientOrderId, str] = {}
        self._pending_modify: dict[ClientOrderId, tuple[int, Quantity, Price]] = {}
        # Order events reach the cache asynchronously (engine queue), so the cache lags behind what
        # this client already emitted: these are the client's own record.
        self._accepted: set[ClientOrderId] = set()
        self._closed: set[ClientOrderId] = set()
        self._cancel_requested: set[ClientOrderId] = set()
        self._filled: dict[ClientOrderId, Decimal] = {}
        self._venue_filled: dict[ClientOrderId, Decimal] = {}
        self._pending_terminal: dict[ClientOrderId, int] = {}
        self._terminal_timers: dict[ClientOrderId, asyncio.TimerHandle] = {}
        self._ack_timers: dict[ClientOrderId, asyncio.TimerHandle] = {}
        self._orphan_fills: dict[str, list[tuple[s.Fill, int]]] = {}
        self._seen_tids = RecentIds()
        self._seen_bills = RecentIds()
        self._positions: dict[str, Decimal] = {}  # symbol -> signed size (perps)
        self._last_fill_ms = 0
        self._funding_since_ms = 0
        self._fills_since_account = 0
        self._account_task: asyncio.Task | None = None
        self._resync_task: asyncio.Task | None = None
        self._funding_task: asyncio.Task | None = None
        self._funding_poll_task: asyncio.Task | None = None
        self.lost_replies_resolved = 0
        self.position_mode: str | None = None

    def __repr__(self) -> str:
        return f"BitgetExecutionClient(account={self.account_id}, signer={self._http.signer!r})"

    @property
    def websocket(self) -> BitgetWebSocket:
        return self._ws

    def _markets(self):
        return self._provider.markets

    # -- lifecycle -------------------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._provider.initialize()
        for instrument in self._provider.published():
            self._cache.add_instrument(instrument)
        self._index_cached_orders()
        now_ms = self._clock.timestamp_ns() // MS
        self._funding_since_ms = now_ms
        self._last_fill_ms = now_ms
        await self.check_position_mode()
        await self._refresh_positions()
        await self._refresh_account()
        for inst in (USDT_FUTURES, SPOT) if self._config.load_spot else (USDT_FUTURES,):
            for channel in ("orders", "fill"):
                await self._ws.subscribe({"instType": inst, "channel": channel, "instId": "default"})
            await self._ws.subscribe({"instType": inst, "channel": "account", "coin": "default"})
        await self._ws.subscribe({"instType": USDT_FUTURES, "channel": "positions", "instId": "default"})
        await self._ws.connect()
        refused = await self._ws.wait_logged_in(LOGIN_TIMEOUT_SECS)
        if refused is not None:
            await self._ws.close()
            raise AuthenticationError(refused, venue=BITGET)
        if self._config.funding_poll_secs:
            self._funding_poll_task = self._loop.create_task(
                self._poll_funding_forever(), name="funding poll"
            )
        await self._await_account_registered()

    async def _disconnect(self) -> None:
        for timer in (*self._terminal_timers.values(), *self._ack_timers.values()):
            timer.cancel()
        if self._funding_poll_task is not None:
            self._funding_poll_task.cancel()
        await self._ws.close()
        await self._http.close()

    async def check_position_mode(self) -> str:
        """The account's futures position mode; one-way is required (switched to it when
        `set_one_way_mode`, else a ConfigurationError naming the fix)."""
        perps = [m for m in self._markets().by_instrument.values() if not m.is_spot]
        if not perps:
            return ONE_WAY
        account = await self._http.account(perps[0].symbol)
        mode = account.posMode or ONE_WAY
        if mode == HEDGE:
            if not self._config.set_one_way_mode:
                raise ConfigurationError(
                    "the Bitget USDT-M futures account is in hedge position mode; this adapter trades in "
                    "one-way mode: switch it (web/app: Futures > Preferences > Position mode, or "
                    "POST /api/v2/mix/account/set-position-mode) or set `set_one_way_mode=True` in the "
                    "exec client config",
                    venue=BITGET,
                )
            try:
                mode = (await self._http.set_position_mode(ONE_WAY)).posMode
            except VenueError as e:
                raise ConfigurationError(
                    f"cannot switch the account to one-way position mode: {e.message} "
                    "(the venue refuses while positions or orders are open)",
                    venue=BITGET,
                ) from None
            self._log.info("Switched the futures account to one-way position mode")
        self.position_mode = mode
        return mode

    def _index_cached_orders(self) -> None:
        for order in self._cache.orders(venue=BITGET_VENUE):
            self._remember(order.client_order_id, order.venue_order_id)

    def _remember(self, coid: ClientOrderId, venue_order_id: VenueOrderId | None = None) -> str:
        revision = self._revision.get(coid, 0)
        oid = client_oid(coid, revision)
        self._oid_to_coid[oid] = coid
        if revision:
            self._oid_to_coid[client_oid(coid)] = coid
        if venue_order_id is not None:
            self._venue_to_coid[venue_order_id.value] = coid
        return oid

    def _coid(self, oid: str | None, order_id: str | None) -> ClientOrderId | None:
        if oid:
            coid = self._oid_to_coid.get(oid)
            if coid is not None:
                return coid
            base, _ = base_client_oid(oid)
            coid = self._oid_to_coid.get(base)
            if coid is None and self._cache.order(ClientOrderId(base)) is not None:
                coid = ClientOrderId(base)  # an order of an earlier session of this node
            if coid is not None:
                self._oid_to_coid[oid] = coid
                return coid
        if order_id:
            coid = self._venue_to_coid.get(order_id)
            if coid is None:
                # orders the engine created during reconciliation are known by venue order id only
                coid = self._cache.client_order_id(VenueOrderId(order_id))
                if coid is not None:
                    self._venue_to_coid[order_id] = coid
            return coid
        return None

    # -- submitting ------------------------------------------------------------------------------
    def _body(self, order: Order) -> dict[str, Any]:
        m = self._markets().market(order.instrument_id)
        body = order_body(
            order,
            m,
            margin_mode=self._config.margin_mode,
            quote=self._cache.quote_tick(order.instrument_id),
        )
        if order.order_type == OrderType.LIMIT and Decimal(body["price"]) != order.price.as_decimal():
            self._log.info(
                f"{order.client_order_id}: price {order.price} rounded to {body['price']} (venue tick {m.tick})"
            )
        return body

    async def _submit(self, orders: list[Order]) -> None:
        groups: dict[tuple[str, str], list[tuple[Order, dict[str, Any]]]] = {}
        for order in orders:
            if order.is_closed:
                continue
            ts = self._clock.timestamp_ns()
            try:
                body = self._body(order)
            except (OrderBuildError, VenueError) as e:
                self.generate_order_submitted(
                    order.strategy_id, order.instrument_id, order.client_order_id, ts
                )
                self._reject(order, str(e) if isinstance(e, OrderBuildError) else e.message)
                continue
            self._remember(order.client_order_id)
            self.generate_order_submitted(order.strategy_id, order.instrument_id, order.client_order_id, ts)
            m = self._markets().market(order.instrument_id)
            groups.setdefault((m.product_type, m.symbol), []).append((order, body))
        for (product, symbol), items in groups.items():
            if len(items) == 1:
                await self._place_one(*items[0], spot=product == SPOT)
            else:
                for i in range(0, len(items), BATCH_MAX_ORDERS):
                    await self._place_batch(product, symbol, items[i : i + BATCH_MAX_ORDERS])

    async def _place_one(self, order: Order, body: dict[str, Any], spot: bool) -> None:
        try:
            ack = await (self._http.spot_place_order(body) if spot else self._http.place_order(body))
        except TransportError as e:
            self._log.warning(
                f"{order.client_order_id}: order reply lost ({e.message}); resolving by clientOid"
            )
            await self._resolve_lost(order)
            return
        except VenueError as e:
            if error_code(e) == "40786":  # a retry of an order the venue already has
                await self._resolve_lost(order)
                return
            self._reject(order, e.message)
            return
        self._acked(order, ack.orderId)

    async def _place_batch(
        self, product: str, symbol: str, items: list[tuple[Order, dict[str, Any]]]
    ) -> None:
        by_oid = {body["clientOid"]: order for order, body in items}
        if product == SPOT:
            body: dict[str, Any] = {
                "symbol": symbol,
                "orderList": [{k: v for k, v in b.items() if k != "symbol"} for _, b in items],
            }
            call = self._http.spot_batch_orders
        else:
            common = ("symbol", "productType", "marginMode", "marginCoin")
            first = items[0][1]
            body = {k: first[k] for k in common}
            body["orderList"] = [{k: v for k, v in b.items() if k not in common} for _, b in items]
            call = self._http.batch_place_orders
        try:
            reply = await call(body)
        except TransportError as e:
            self._log.warning(
                f"batch order reply lost ({e.message}); resolving {len(items)} order(s) by clientOid"
            )
            for order, _ in items:
                await self._resolve_lost(order)
            return
        except VenueError as e:
            for order, _ in items:
                self._reject(order, e.message)
            return
        for item in reply.successList or []:
            order = by_oid.get(item.clientOid or "")
            if order is not None:
                self._acked(order, item.orderId)
        for item in reply.failureList or []:
            order = by_oid.get(item.clientOid or "")
            if order is None:
                continue
            if item.errorCode == "40786":
                await self._resolve_lost(order)
            else:
                self._reject(
                    order, f"{item.errorCode}: {item.errorMsg}" if item.errorCode else str(item.errorMsg)
                )

    def _acked(self, order: Order, order_id: str | None) -> None:
        """The venue took the order (REST reply): its fate arrives on the stream; check if not."""
        coid = order.client_order_id
        if order_id:
            self._venue_to_coid[order_id] = coid
            self._live_venue_id.setdefault(coid, order_id)
            self._replay_orphan_fills(order_id)
        if coid in self._accepted or coid in self._closed or coid in self._ack_timers:
            return
        self._ack_timers[coid] = self._loop.call_later(
            ACK_CHECK_SECS, lambda: self.create_task(self._check_ack(coid))
        )

    async def _check_ack(self, coid: ClientOrderId) -> None:
        self._ack_timers.pop(coid, None)
        order = self._cache.order(coid)
        if order is None or coid in self._accepted or coid in self._closed:
            return
        self._log.info(f"{coid}: no order push within {ACK_CHECK_SECS:g}s; querying the venue")
        await self._resolve_lost(order, reject_if_missing=False)

    async def _resolve_lost(self, order: Order, reject_if_missing: bool = True) -> None:
        m = self._markets().market(order.instrument_id)
        oid = client_oid(order.client_order_id, self._revision.get(order.client_order_id, 0))
        try:
            if m.is_spot:
                rows = await self._http.spot_order_info(client_oid=oid)
                found: s.Order | None = rows[0] if rows else None
            else:
                found = await self._http.order_detail(m.symbol, client_oid=oid)
        except OrderNotFoundError:
            found = None
        except VenueError as e:
            self._log.error(
                f"{order.client_order_id}: cannot query the order ({e.message}); state left as is"
            )
            return
        self.lost_replies_resolved += 1
        order = self._cache.order(order.client_order_id) or order
        if found is None:
            if reject_if_missing:
                self._reject(
                    order, "order not received by Bitget (reply lost; the venue does not know its clientOid)"
                )
            else:
                self._log.warning(f"{order.client_order_id}: the venue does not know the order yet")
            return
        self._on_order_update(found, from_query=True)

    # -- order state -----------------------------------------------------------------------------
    def _reject(self, order: Order, reason: str, due_post_only: bool = False) -> None:
        coid = order.client_order_id
        if coid in self._closed or coid in self._accepted:
            return
        self._closed.add(coid)
        self.generate_order_rejected(
            order.strategy_id,
            order.instrument_id,
            coid,
            reason,
            self._clock.timestamp_ns(),
            due_post_only=due_post_only,
        )

    def _accept(self, order: Order, venue_order_id: str) -> None:
        coid = order.client_order_id
        self._venue_to_coid[venue_order_id] = coid
        self._live_venue_id.setdefault(coid, venue_order_id)
        timer = self._ack_timers.pop(coid, None)
        if timer is not None:
            timer.cancel()
        if coid in self._accepted or coid in self._closed:
            return
        self._accepted.add(coid)
        if order.status in (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED):
            self.generate_order_accepted(
                order.strategy_id,
                order.instrument_id,
                coid,
                VenueOrderId(venue_order_id),
                self._clock.timestamp_ns(),
            )

    def _canceled(self, order: Order, ts_event: int | None = None) -> None:
        coid = order.client_order_id
        if coid in self._closed:
            return
        self._closed.add(coid)
        vid = self._live_venue_id.get(coid)
        venue_order_id = VenueOrderId(vid) if vid else order.venue_order_id
        self.generate_order_canceled(
            order.strategy_id,
            order.instrument_id,
            coid,
            venue_order_id,
            ts_event or self._clock.timestamp_ns(),
        )

    def _on_order_update(self, o: s.Order, from_query: bool = False) -> None:
        coid = self._coid(o.client_oid, o.orderId)
        order = self._cache.order(coid) if coid is not None else None
        if order is None or coid is None:
            self.frame_stats.ignored("external_order_update")
            return
        _, revision = base_client_oid(o.client_oid or "")
        current = self._revision.get(coid, 0)
        if o.client_oid and revision < current:
            self.frame_stats.ignored("replaced_order_update")  # the pre-modify order leaving the book
            return
        status = o.venue_status
        self._venue_to_coid[o.orderId] = coid
        if o.tradeId and o.fillPrice and o.baseVolume and not from_query:
            fee = -dec(o.fillFee, "fillFee") if o.fillFee not in (None, "") else Decimal(0)
            m = self._markets().market(order.instrument_id)
            self._apply_fill(
                coid, o.tradeId, o.orderId, o.side, o.baseVolume, o.fillPrice, fee, o.fillFeeCoin or m.quote,
                liquidity(o.tradeScope), int(o.fillTime or o.uTime or 0),
            )  # fmt: skip
            order = self._cache.order(coid) or order
        if status in OPEN_STATUSES or status in ("filled", "full_fill"):
            self._accept(order, o.orderId)
            self._apply_modify(order, o)
            venue_filled = dec(o.filled or "0", "baseVolume")
            if venue_filled > self._filled_qty(order):
                if from_query:
                    self.create_task(self._catch_up_fills(coid), log_msg=f"fills of {coid}")
                else:  # the fills may still be on their way: read them over REST if they do not come
                    self._loop.call_later(
                        TERMINAL_WAIT_SECS, lambda: self.create_task(self._check_fills(coid, venue_filled))
                    )
            return
        if status in CANCELED_STATUSES:
            filled = dec(o.filled or "0", "accBaseVolume")
            if (
                coid not in self._accepted
                and filled == 0
                and coid not in self._cancel_requested
                and is_post_only(o)
            ):
                self._reject(
                    order,
                    "post-only order would have taken liquidity: canceled by Bitget",
                    due_post_only=True,
                )
                return
            self._accept(order, o.orderId)
            self._venue_filled[coid] = filled
            self._terminal(coid, ms_to_ns(o.uTime or 0))
            return
        self._log.info(f"{coid}: venue status {status!r}")

    def _apply_modify(self, order: Order, o: s.Order) -> None:
        coid = order.client_order_id
        pending = self._pending_modify.get(coid)
        if pending is None:
            return
        revision, qty, price = pending
        if base_client_oid(o.client_oid or "")[1] != revision:
            return
        del self._pending_modify[coid]
        old = self._live_venue_id.get(coid)
        self._live_venue_id[coid] = o.orderId
        new_id = VenueOrderId(o.orderId)
        self.generate_order_updated(
            order.strategy_id, order.instrument_id, coid, new_id, qty, price, None,
            self._clock.timestamp_ns(), o.orderId != old,
        )  # fmt: skip

    # -- fills -----------------------------------------------------------------------------------
    def _apply_fill(
        self,
        coid: ClientOrderId,
        trade_id: str,
        venue_order_id: str,
        side_text: str | None,
        qty_text: str | None,
        px_text: str | None,
        fee: Decimal,
        fee_coin: str,
        liquidity_side: LiquiditySide,
        time_ms: int,
    ) -> None:
        self._last_fill_ms = max(self._last_fill_ms, time_ms)
        order = self._cache.order(coid)
        if order is None:
            return
        tid = TradeId(trade_id)
        if tid in order.trade_ids or order.status in (
            OrderStatus.FILLED,
            OrderStatus.REJECTED,
            OrderStatus.DENIED,
        ):
            self._seen_tids.add(trade_id)
            return
        if not self._seen_tids.add(trade_id):
            return
        instrument = self._markets().instrument(order.instrument_id)
        size = dec(qty_text, "baseVolume")
        filled = self._filled_qty(order) + size
        if filled > order.quantity.as_decimal():
            self._log.error(f"{coid}: fill {trade_id} of {size} would overfill {order.quantity}; ignored")
            return
        self._accept(order, venue_order_id)
        self._filled[coid] = filled
        if filled == order.quantity.as_decimal():
            self._closed.add(coid)
        self._fills_since_account += 1
        self.generate_order_filled(
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=coid,
            venue_order_id=VenueOrderId(venue_order_id),
            venue_position_id=None,
            trade_id=tid,
            order_side=order_side(side_text) if side_text else order.side,
            order_type=order.order_type,
            last_qty=Quantity(size, instrument.size_precision),
            last_px=Price(dec(px_text, "price"), instrument.price_precision),
            quote_currency=instrument.quote_currency,
            commission=commission(fee, fee_coin),
            liquidity_side=liquidity_side,
            ts_event=ms_to_ns(time_ms) if time_ms else self._clock.timestamp_ns(),
        )
        self._try_close(coid)
        self._schedule_account_refresh()

    def _on_fill(self, f: s.Fill) -> None:
        coid = self._coid(None, f.orderId)
        if coid is None:
            if f.tradeId in self._seen_tids:
                return
            # the order push (with its clientOid) or the REST reply naming this order id may come later
            self._orphan_fills.setdefault(f.orderId, []).append((f, self._clock.timestamp_ns()))
            self._loop.call_later(ORPHAN_FILL_SECS, self._drop_orphans, f.orderId)
            return
        m = self._markets().lookup(SPOT if self._is_spot_order(coid) else USDT_FUTURES, f.symbol or "")
        quote = m.quote if m is not None else "USDT"
        fee, coin = fee_from_detail(f.feeDetail, quote)
        self._apply_fill(
            coid,
            f.tradeId,
            f.orderId,
            f.side,
            f.qty,
            f.px,
            fee,
            coin,
            liquidity(f.tradeScope),
            int(f.cTime or 0),
        )

    async def _check_fills(self, coid: ClientOrderId, venue_filled: Decimal) -> None:
        order = self._cache.order(coid)
        if order is not None and self._filled_qty(order) < venue_filled:
            self._log.warning(
                f"{coid}: venue reports {venue_filled} filled, {self._filled_qty(order)} arrived; reading its fills"
            )
            await self._catch_up_fills(coid)

    async def _catch_up_fills(self, coid: ClientOrderId) -> None:
        """The fills of one order over REST (those already applied are skipped)."""
        order = self._cache.order(coid)
        if order is None:
            return
        m = self._markets().market(order.instrument_id)
        vid = self._live_venue_id.get(coid) or (order.venue_order_id.value if order.venue_order_id else None)
        if vid is None:
            return
        try:
            if m.is_spot:
                fills = await self._http.spot_fills(m.symbol, order_id=vid)
            else:
                fills = list((await self._http.fills(symbol=m.symbol, order_id=vid)).fillList or [])
        except VenueError as e:
            self._log.error(f"{coid}: cannot read the order's fills: {e.message}")
            return
        for f in sorted(fills, key=lambda f: (int(f.cTime or 0), f.tradeId)):
            self._on_fill(f)

    def _is_spot_order(self, coid: ClientOrderId) -> bool:
        order = self._cache.order(coid)
        if order is None:
            return False
        m = self._markets().by_instrument.get(order.instrument_id)
        return m is not None and m.is_spot

    def _replay_orphan_fills(self, order_id: str) -> None:
        for f, _ in self._orphan_fills.pop(order_id, []):
            self._on_fill(f)

    def _drop_orphans(self, order_id: str) -> None:
        dropped = self._orphan_fills.pop(order_id, [])
        if dropped:
            self.frame_stats.ignored("external_fill")

    # -- cancel / modify -------------------------------------------------------------------------
    def _cancel_ref(self, order: Order) -> dict[str, str]:
        vid = self._live_venue_id.get(order.client_order_id) or (
            order.venue_order_id.value if order.venue_order_id else None
        )
        if vid:
            return {"orderId": vid}
        return {"clientOid": client_oid(order.client_order_id, self._revision.get(order.client_order_id, 0))}

    async def _cancel(self, orders: list[Order]) -> None:
        groups: dict[tuple[bool, str], list[Order]] = {}
        for o in orders:
            m = self._markets().market(o.instrument_id)
            self._cancel_requested.add(o.client_order_id)
            groups.setdefault((m.is_spot, m.symbol), []).append(o)
        for (spot, symbol), group in groups.items():
            if spot or len(group) == 1:
                for o in group:
                    await self._cancel_one(o, symbol, spot)
                continue
            refs = [self._cancel_ref(o) for o in group]
            try:
                reply = await self._http.batch_cancel_orders(symbol, refs)
            except VenueError as e:
                for o in group:
                    self._cancel_rejected(o, e.message)
                continue
            for item in reply.failureList or []:
                coid = self._coid(item.clientOid, item.orderId)
                o = self._cache.order(coid) if coid else None
                if o is not None:
                    self._cancel_rejected(
                        o, f"{item.errorCode}: {item.errorMsg}" if item.errorCode else str(item.errorMsg)
                    )
            for item in reply.successList or []:
                coid = self._coid(item.clientOid, item.orderId)
                if coid is not None:
                    self._schedule_cancel_check(coid)

    async def _cancel_one(self, order: Order, symbol: str, spot: bool) -> None:
        ref = self._cancel_ref(order)
        try:
            if spot:
                await self._http.spot_cancel_order(symbol, ref.get("orderId"), ref.get("clientOid"))
            else:
                await self._http.cancel_order(symbol, ref.get("orderId"), ref.get("clientOid"))
        except VenueError as e:
            self._cancel_rejected(order, e.message)
            return
        self._schedule_cancel_check(order.client_order_id)

    def _cancel_rejected(self, order: Order, reason: str) -> None:
        self._cancel_requested.discard(order.client_order_id)
        order = self._cache.order(order.client_order_id) or order
        if order.is_closed or order.client_order_id in self._closed:
            return
        self.generate_order_cancel_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id, order.venue_order_id, reason,
            self._clock.timestamp_ns(),
        )  # fmt: skip

    def _schedule_cancel_check(self, coid: ClientOrderId) -> None:
        """The venue accepted the cancel: the canceled push closes the order; query if it does not come."""
        if coid in self._ack_timers:
            return
        self._ack_timers[coid] = self._loop.call_later(
            ACK_CHECK_SECS, lambda: self.create_task(self._check_closed(coid))
        )

    async def _check_closed(self, coid: ClientOrderId) -> None:
        self._ack_timers.pop(coid, None)
        order = self._cache.order(coid)
        if order is None or coid in self._closed or order.is_closed:
            return
        await self._resolve_lost(order, reject_if_missing=False)

    async def _modify_order(self, command: ModifyOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None or order.is_closed:
            self._log.warning(f"Cannot modify {command.client_order_id}: not open")
            return
        coid = order.client_order_id
        m = self._markets().market(order.instrument_id)
        revision = self._revision.get(coid, 0)
        instrument = self._markets().instrument(order.instrument_id)
        try:
            body = modify_body(
                order, m, self._live_venue_id.get(coid), client_oid(coid, revision), client_oid(coid, revision + 1),
                command.quantity, command.price,
            )  # fmt: skip
            self._revision[coid] = revision + 1
            self._remember(coid)
            qty = Quantity(Decimal(body["newSize"]), instrument.size_precision)
            price = Price(Decimal(body["newPrice"]), instrument.price_precision)
            self._pending_modify[coid] = (revision + 1, qty, price)
            await self._http.modify_order(body)
        except (OrderBuildError, VenueError) as e:
            if self._pending_modify.pop(coid, None) is not None:
                self._revision[coid] = revision
            reason = str(e) if isinstance(e, OrderBuildError) else e.message
            self.generate_order_modify_rejected(
                order.strategy_id,
                order.instrument_id,
                coid,
                order.venue_order_id,
                reason,
                self._clock.timestamp_ns(),
            )

    # -- private stream --------------------------------------------------------------------------
    def _on_push(self, arg: s.WsArg, action: str | None, data: bytes, ts: Any) -> None:
        channel = arg.channel
        self._ws.mark(f"{arg.instType}:{channel}:{arg.instId if arg.instId is not None else arg.coin or ''}")
        if channel == "orders":
            for o in s.Decoders.orders.decode(data):
                self._on_order_update(o)
        elif channel == "fill":
            for f in s.Decoders.fills.decode(data):
                self._on_fill(f)
        elif channel == "positions":
            rows = s.Decoders.positions.decode(data)
            if action == "snapshot" and arg.instType == USDT_FUTURES and not rows:
                self._positions.clear()
            for p in rows:
                self._positions[p.venue_symbol] = signed_position(p)
        elif channel == "account":
            if self._fills_since_account == 0 and arg.instType == USDT_FUTURES:
                self._schedule_funding_poll()  # a balance change no fill explains: maybe a funding settlement
            self._fills_since_account = 0
            self._schedule_account_refresh()
        else:
            self.frame_stats.ignored(f"channel:{channel}")

    # -- recovery after a reconnect --------------------------------------------------------------
    async def _on_ws_connected(self, reconnected: bool) -> None:
        if reconnected:
            self._schedule_resync("reconnect")

    async def _recover_fills(self) -> int:
        start = self._last_fill_ms - int(self._config.fill_recovery_lookback_secs * 1000)
        before = len(self._seen_tids)
        fills = await self._http.fills_all(start_ms=start)
        if self._config.load_spot:
            for m in {
                self._markets().market(o.instrument_id) for o in self._cache.orders(venue=BITGET_VENUE)
            }:
                if m.is_spot:
                    fills += await self._http.spot_fills(m.symbol, start_ms=start)
        for f in sorted(fills, key=lambda f: (int(f.cTime or 0), f.tradeId)):
            self._on_fill(f)
        return len(self._seen_tids) - before

    async def _resync(self) -> None:
        try:
            recovered = await self._recover_fills()
            for order in self._cache.orders_open(venue=BITGET_VENUE):
                await self._resolve_lost(order, reject_if_missing=False)
            await self._refresh_positions()
            await self._poll_funding()
            await self._refresh_account()
            self._log.info(f"Resynchronised ({recovered} fill(s) recovered over REST)")
        except VenueError as e:
            self._log.error(f"Resync failed: {e.message}")

    # -- funding ---------------------------------------------------------------------------------
    async def _refresh_positions(self) -> None:
        try:
            rows = await self._http.all_positions()
        except VenueError as e:
            self._log.error(f"Cannot read positions: {e.message}")
            return
        self._positions = {p.venue_symbol: signed_position(p) for p in rows}

    def _schedule_funding_poll(self) -> None:
        if self._funding_task is None or self._funding_task.done():
            self._funding_task = self.create_task(self._poll_funding_soon())

    async def _poll_funding_soon(self) -> None:
        await asyncio.sleep(0.1)  # coalesce pushes; let the bill be written
        await self._poll_funding()

    async def _poll_funding_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.funding_poll_secs or 60.0)
            try:
                await self._poll_funding()
            except Exception as e:  # a bad reply must not end the loop
                self._log.error(f"Funding poll failed: {type(e).__name__}: {e}")

    async def _poll_funding(self) -> None:
        try:
            page = await self._http.bills(FUNDING_BILL_TYPE, start_ms=self._funding_since_ms)
        except VenueError as e:
            self._log.error(f"Cannot read funding bills: {e.message}")
            return
        bills = sorted(page.bills or [], key=lambda b: (int(b.cTime), b.billId))
        rates: dict[str, list[s.FundRateHistory]] = {}
        for bill in bills:
            if bill.businessType != FUNDING_BILL_TYPE or int(bill.cTime) < self._funding_since_ms:
                continue
            if bill.billId in self._seen_bills:
                continue
            m = self._markets().lookup(USDT_FUTURES, bill.symbol or "")
            if m is None:
                self._seen_bills.add(bill.billId)
                self.frame_stats.ignored("unknown_symbol")
                continue
            if m.symbol not in rates:
                try:
                    rates[m.symbol] = await self._http.history_fund_rate(m.symbol, 1, 20)
                except VenueError as e:
                    self._log.warning(f"Cannot read the settled funding rate of {m.symbol}: {e.message}")
                    rates[m.symbol] = []
            self._seen_bills.add(bill.billId)
            self._publish_funding(bill, m, rates[m.symbol])

    def _publish_funding(self, bill: s.Bill, m: BitgetMarket, history: list[s.FundRateHistory]) -> None:
        t = int(bill.cTime)
        settled = [r for r in history if int(r.fundingTime) <= t]
        rate = (
            dec(max(settled, key=lambda r: int(r.fundingTime)).fundingRate, "fundingRate")
            if settled
            else Decimal(0)
        )
        position = self._positions.get(m.symbol, Decimal(0))
        payment = parse_funding_payment(bill, m, position, rate, self._clock.timestamp_ns())
        self._log.info(
            f"Funding {m.instrument_id}: {payment.amount} {payment.currency} (rate {payment.rate}, "
            f"position {payment.position_quantity})"
        )
        self._msgbus.publish(funding_payment_topic(m.instrument_id), payment)
        self._schedule_account_refresh()

    # -- account ---------------------------------------------------------------------------------
    async def _refresh_account(self) -> None:
        totals: dict[str, list[Decimal]] = {}
        try:
            for a in await self._http.accounts():
                equity = dec(a.total or a.available or "0", "accountEquity")
                free = dec(a.crossedMaxAvailable or a.available or "0", "crossedMaxAvailable")
                t = totals.setdefault(a.marginCoin.upper(), [Decimal(0), Decimal(0)])
                t[0] += equity
                t[1] += max(Decimal(0), equity - free)
            if self._config.load_spot:
                for asset in await self._http.spot_assets():
                    total = (
                        dec(asset.available, "available")
                        + dec(asset.frozen or "0", "frozen")
                        + dec(asset.locked or "0", "locked")
                    )
                    t = totals.setdefault(asset.coin.upper(), [Decimal(0), Decimal(0)])
                    t[0] += total
                    t[1] += total - dec(asset.available, "available")
        except VenueError as e:
            self._log.error(f"Cannot refresh account state: {e.message}")
            return
        balances = []
        for code, (total, locked) in totals.items():
            try:
                currency = Currency.from_str(code, strict=False)
            except ValueError:
                continue
            q = Decimal(1).scaleb(-currency.precision)
            total_q = total.quantize(q)
            locked_q = min(max(locked, Decimal(0)), max(total_q, Decimal(0))).quantize(q)
            balances.append(
                AccountBalance(
                    Money(total_q, currency), Money(locked_q, currency), Money(total_q - locked_q, currency)
                )
            )
        self.generate_account_state(
            balances=balances, margins=[], reported=True, ts_event=self._clock.timestamp_ns()
        )
