"""What every part of the Bybit front shares: the universe, keys, the account view, the venue's own
order/execution records, and the path from the matching core's events to those records and to the
push messages (the stream part implements the pushes).

Core events are handled as they come, except during an order action: there they are captured, so
the action can first decide whether the venue refuses the request outright (an HTTP error reply and
no order) or accepts it (an order id, then the pushes). Pushes that several events may touch
(an order's status after a burst of fills, positions, wallets, books and tickers) are coalesced and
sent once per burst, in the order the venue would.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from venuesim.core.model import ZERO
from venuesim.core.model import BookEvent
from venuesim.core.model import Fill
from venuesim.core.model import FillEvent
from venuesim.core.model import FundingEntry
from venuesim.core.model import FundingEvent
from venuesim.core.model import FundingRateEvent
from venuesim.core.model import OrderEvent
from venuesim.core.model import SimEvent
from venuesim.core.model import Trade
from venuesim.core.model import TradeEvent
from venuesim.core.model import now_ms
from venuesim.fronts.base import Front
from venuesim.fronts.bybit.account import PositionMeta
from venuesim.fronts.bybit.account import UnifiedAccount
from venuesim.fronts.bybit.auth import Authenticator
from venuesim.fronts.bybit.history import MarketHistory
from venuesim.fronts.bybit.protocol import new_exec_id
from venuesim.fronts.bybit.records import BybitOrder
from venuesim.fronts.bybit.records import Execution
from venuesim.fronts.bybit.records import Transaction
from venuesim.fronts.bybit.universe import SETTLE_COIN
from venuesim.fronts.bybit.universe import BybitMarket
from venuesim.fronts.bybit.universe import Universe

HISTORY = 5000  # executions / transactions / closed orders kept per account
_TRADE_NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


def trade_id(market_key: str, tid: int) -> str:
    """A public trade's id, the same in `recent-trade` and on `publicTrade`."""
    return str(uuid.uuid5(_TRADE_NS, f"{market_key}:{tid}"))


class FrontState(Front):
    name = "bybit"

    def __init__(self, sim, universe: Universe, auth: Authenticator, history: MarketHistory) -> None:
        super().__init__(sim)
        self.u = universe
        self.auth = auth
        self.acct = UnifiedAccount(self.exchange, universe)
        self.history = history
        self.uids: set[str] = set()
        self.orders: dict[str, BybitOrder] = {}
        self.by_oid: dict[int, BybitOrder] = {}
        self.by_link: dict[tuple[str, str], BybitOrder] = {}
        self.executions: dict[str, list[Execution]] = defaultdict(list)
        self.transactions: dict[str, list[Transaction]] = defaultdict(list)
        self._seq = itertools.count(140_612_148_849_000)
        self._tx_ids = itertools.count(1)
        self._capture: list[SimEvent] | None = None
        self._dirty_orders: dict[str, None] = {}
        self._dirty_positions: dict[tuple[str, str], None] = {}
        self._dirty_wallets: dict[str, None] = {}
        self._dirty_markets: dict[str, None] = {}
        self._flush_scheduled = False
        self.book_seq: dict[str, int] = {}  # last `u` sent per market (orderbook streams and REST)
        self._day_stats: dict[str, tuple] = {}

    # -- pushes (implemented by the stream part) --------------------------------------------------
    def push_private(self, uid: str, topic: str, category: str | None, records: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def push_trade(self, m: BybitMarket, trade: Trade) -> None:
        raise NotImplementedError

    def refresh_market(self, m: BybitMarket) -> None:
        raise NotImplementedError

    # -- accounts ---------------------------------------------------------------------------------
    def add_key(self, key: str, secret: str, uid: str, trade: bool = True) -> None:
        self.auth.add(key, secret, uid, trade)
        self.uids.add(str(uid))
        self.acct.account(str(uid))

    def next_seq(self) -> int:
        return next(self._seq)

    # -- core events ------------------------------------------------------------------------------
    @contextmanager
    def capturing(self) -> Iterator[list[SimEvent]]:
        """Hold back the core's events while an order action decides what the venue answers."""
        outer = self._capture
        events: list[SimEvent] = []
        self._capture = events
        try:
            yield events
        finally:
            self._capture = outer

    def on_event(self, event: SimEvent) -> None:
        if self._capture is not None:
            self._capture.append(event)
            return
        self.handle(event)

    def handle(self, event: SimEvent) -> None:
        if isinstance(event, BookEvent):
            self._dirty_markets[event.market] = None
        elif isinstance(event, TradeEvent):
            m = self.u.by_key.get(event.trade.market)
            if m is not None:
                self.push_trade(m, event.trade)
                self._dirty_markets[m.key] = None
        elif isinstance(event, OrderEvent):
            view = self.by_oid.get(event.order.oid)
            if view is not None:
                self._dirty_orders[view.order_id] = None
                self._touch(view.uid, view.market)
            self._dirty_markets[event.order.market] = None
        elif isinstance(event, FillEvent):
            self._on_fill(event.fill)
        elif isinstance(event, FundingEvent):
            self._on_funding(event.entry)
        elif isinstance(event, FundingRateEvent):
            self._dirty_markets[event.market] = None
        self._schedule()

    def _touch(self, uid: str, m: BybitMarket) -> None:
        if not m.is_spot:
            self._dirty_positions[(uid, m.key)] = None
        self._dirty_wallets[uid] = None

    def _meta(self, uid: str, m: BybitMarket) -> PositionMeta:
        meta = self.acct.meta.get((uid, m.key))
        if meta is None:
            t = now_ms()
            meta = self.acct.meta[(uid, m.key)] = PositionMeta(t, t)
        return meta

    def _on_fill(self, fill: Fill) -> None:
        uid = fill.user
        m = self.u.by_key.get(fill.market)
        if uid not in self.uids or m is None:
            return
        view = self.by_oid.get(fill.oid)
        side = "Buy" if fill.side.sign > 0 else "Sell"
        value = fill.price * fill.size
        closed = ZERO
        if not m.is_spot and fill.start_position and (fill.start_position > 0) != (fill.side.sign > 0):
            closed = min(fill.size, abs(fill.start_position))
        fee_rate = m.spec.taker_fee if fill.crossed else m.spec.maker_fee
        if view is not None:
            view.cum_fee += fill.fee
            view.fee_currency = fill.fee_token
            view.exec_filled += fill.size
            self._dirty_orders[view.order_id] = None
            leaves = view.qty - view.exec_filled
        else:
            leaves = ZERO
        execution = Execution(
            uid=uid, market=m, exec_id=new_exec_id(), exec_type="Trade",
            order_id=view.order_id if view else str(fill.oid), link_id=view.link_id if view else "",
            side=side, order_type=view.order_type if view else "Limit",
            order_price=m.px(view.price) if view else m.px(fill.price),
            order_qty=m.qty(view.qty) if view else m.qty(fill.size), leaves_qty=m.qty(max(leaves, ZERO)),
            price=fill.price, qty=fill.size, value=value, fee=fill.fee, fee_rate=fee_rate,
            fee_currency=fill.fee_token, is_maker=not fill.crossed, closed_size=closed,
            mark_price=self.acct.mark(m), time_ms=fill.time, seq=self.next_seq(),
        )  # fmt: skip
        self._keep(self.executions[uid], execution)
        self.push_private(uid, "execution", m.category, [execution.record(ws=True)])
        self.push_private(uid, "execution.fast", m.category, [execution.fast_record()])
        pos = self.acct.account(uid).positions.get(m.key)
        size_after = pos.szi if pos is not None else ZERO
        if not m.is_spot:
            meta = self._meta(uid, m)
            if fill.start_position == 0:
                meta.cur_realised = ZERO
                meta.created_ms = fill.time
            meta.cur_realised += fill.closed_pnl - fill.fee
            meta.cum_realised += fill.closed_pnl - fill.fee
            meta.updated_ms = fill.time
            meta.seq = execution.seq
        else:
            size_after = self.acct.account(uid).spot.get(m.base, ZERO)
        cash_flow = fill.closed_pnl if not m.is_spot else (value if side == "Sell" else -value)
        fee_in_quote = fill.fee if fill.fee_token == m.quote else fill.fee * fill.price
        self._transaction(
            uid, m, "TRADE", side, fill.time, fill.size, size_after, fill.price, ZERO, fill.fee,
            cash_flow, cash_flow - fee_in_quote, fee_rate, execution.exec_id,
            execution.order_id, execution.link_id,
        )  # fmt: skip
        self._touch(uid, m)

    def _on_funding(self, entry: FundingEntry) -> None:
        uid = entry.user
        m = self.u.by_key.get(entry.market)
        if uid not in self.uids or m is None:
            return
        side = "Buy" if entry.szi > 0 else "Sell"
        sign = Decimal(1) if entry.szi > 0 else Decimal(-1)
        size = abs(entry.szi)
        settle_s = entry.time // 1000
        execution = Execution(
            uid=uid, market=m, exec_id=new_exec_id(), exec_type="Funding",
            order_id=f"{settle_s}-{m.symbol}-{uid}-{side}", link_id="", side=side, order_type="UNKNOWN",
            order_price=m.px(ZERO), order_qty=m.qty(ZERO), leaves_qty=m.qty(ZERO),
            price=entry.oracle_px, qty=size, value=size * entry.oracle_px, fee=-entry.amount,
            fee_rate=entry.rate * sign, fee_currency=SETTLE_COIN, is_maker=False, closed_size=ZERO,
            mark_price=entry.oracle_px, time_ms=entry.time, seq=self.next_seq(),
        )  # fmt: skip
        self._keep(self.executions[uid], execution)
        self.push_private(uid, "execution", m.category, [execution.record(ws=True)])
        meta = self._meta(uid, m)
        meta.cur_realised += entry.amount
        meta.cum_realised += entry.amount
        meta.updated_ms = entry.time
        self._transaction(
            uid, m, "SETTLEMENT", side, entry.time, size, entry.szi, entry.oracle_px, entry.amount,
            ZERO, ZERO, entry.amount, entry.rate * sign, execution.exec_id, "", "",
        )  # fmt: skip
        self._touch(uid, m)

    def _transaction(
        self, uid: str, m: BybitMarket, kind: str, side: str, t: int, qty: Decimal, size: Decimal,
        price: Decimal, funding: Decimal, fee: Decimal, cash_flow: Decimal, change: Decimal,
        fee_rate: Decimal, trade: str, order_id: str, link_id: str,
    ) -> None:  # fmt: skip
        balance = self.acct.account(uid).spot.get(m.quote, ZERO)
        tx = Transaction(
            uid=uid, id=f"{next(self._tx_ids)}", market=m, type=kind, side=side, time_ms=t, qty=qty,
            size=size, currency=m.quote, trade_price=price, funding=funding, fee=fee, cash_flow=cash_flow,
            change=change, cash_balance=balance, fee_rate=fee_rate, trade_id=trade, order_id=order_id,
            link_id=link_id,
        )  # fmt: skip
        self._keep(self.transactions[uid], tx)

    @staticmethod
    def _keep(rows: list, row: Any) -> None:
        rows.append(row)
        if len(rows) > HISTORY:
            del rows[: len(rows) - HISTORY]

    # -- coalesced pushes -------------------------------------------------------------------------
    def _schedule(self) -> None:
        if self._capture is not None:
            return
        loop = self.sim._loop
        if loop is None or not loop.is_running():
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        injected = self.sim.faults.matching.reject_reason
        for order_id in list(self._dirty_orders):
            view = self.orders[order_id]
            view.refresh(injected)
            key = view.state_key()
            if key != view.last_pushed:
                view.last_pushed = key
                self.push_private(view.uid, "order", view.market.category, [view.record(ws=True)])
        self._dirty_orders.clear()
        for uid, market_key in list(self._dirty_positions):
            m = self.u.by_key[market_key]
            self.push_private(uid, "position", m.category, [self.acct.position(uid, m, ws=True)])
        self._dirty_positions.clear()
        for uid in list(self._dirty_wallets):
            self.push_private(uid, "wallet", None, [self.acct.wallet(uid)])
        self._dirty_wallets.clear()
        for dirty in list(self._dirty_markets):
            market = self.u.by_key.get(dirty)
            if market is not None:
                self.refresh_market(market)
        self._dirty_markets.clear()
