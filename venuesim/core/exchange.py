"""The matching core every venue front shares.

One `SimExchange` is one venue: markets (each with a price path and a synthetic L2 book around
it), accounts, resting orders, fills, positions, margin and funding. Users' orders match against
the synthetic liquidity and against other users' resting orders; a resting order that the moving
price path crosses is filled as a maker (the "rest of the market" trading into it).

Fronts translate their venue's REST/WebSocket messages into calls here and turn the events this
emits (`venuesim.core.model.SimEvent`) into their venue's push messages. Nothing here knows any
wire format. All calls must come from the simulator's event-loop thread.
"""

from __future__ import annotations

import random
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from venuesim.core.accounts import Account
from venuesim.core.accounts import MarginView
from venuesim.core.model import ZERO
from venuesim.core.model import BookEvent
from venuesim.core.model import Fill
from venuesim.core.model import FillEvent
from venuesim.core.model import FundingEntry
from venuesim.core.model import FundingEvent
from venuesim.core.model import FundingRateEvent
from venuesim.core.model import MarketSpec
from venuesim.core.model import OrderEvent
from venuesim.core.model import OrderStatus
from venuesim.core.model import PlaceResult
from venuesim.core.model import Position
from venuesim.core.model import Reject
from venuesim.core.model import Side
from venuesim.core.model import SimEvent
from venuesim.core.model import SimOrder
from venuesim.core.model import Tif
from venuesim.core.model import Trade
from venuesim.core.model import TradeEvent
from venuesim.core.model import now_ms
from venuesim.core.pricepath import PricePath

MARKET_MAKER = "0x0000000000000000000000000000000000000000"


@dataclass
class MatchingFaults:
    """Faults the core itself applies (transport faults live in the fronts)."""

    reject_next: int = 0
    reject_reason: str = "venuesim: injected reject"
    partial_fill_fraction: Decimal | None = None  # cap each taker match to this share of the order


@dataclass
class MarketState:
    spec: MarketSpec
    path: PricePath
    funding_rate: Decimal
    premium: Decimal = ZERO
    oracle_offset_bps: Decimal = ZERO
    synth_bids: list[list[Decimal]] = field(default_factory=list)  # [[px, sz]] best first
    synth_asks: list[list[Decimal]] = field(default_factory=list)
    bids: list[SimOrder] = field(default_factory=list)  # resting user orders, best first
    asks: list[SimOrder] = field(default_factory=list)
    trades: deque = field(default_factory=lambda: deque(maxlen=2000))
    ticks: deque = field(default_factory=lambda: deque(maxlen=200_000))  # (ts_ms, mid, volume)
    funding_history: deque = field(default_factory=lambda: deque(maxlen=5000))
    prev_day_px: Decimal = ZERO
    day_notional: Decimal = ZERO
    day_base: Decimal = ZERO

    @property
    def mid(self) -> Decimal:
        if self.synth_bids and self.synth_asks:
            return (self.synth_bids[0][0] + self.synth_asks[0][0]) / 2
        return self.path.mid

    @property
    def oracle(self) -> Decimal:
        raw = self.path.mid * (1 + self.oracle_offset_bps / 10_000)
        return self.spec.round_price(raw, up=False)

    @property
    def mark(self) -> Decimal:
        return self.spec.round_price(self.mid, up=False)


class SimExchange:
    def __init__(
        self,
        specs: list[MarketSpec],
        seed: int = 7,
        paths: dict[str, PricePath] | None = None,
        synthetic_trades: bool = True,
    ) -> None:
        if len({s.key for s in specs}) != len(specs):
            raise ValueError("duplicate market keys in simulator config")
        self.specs = {s.key: s for s in specs}
        self.markets: dict[str, MarketState] = {}
        for i, s in enumerate(specs):
            path = (paths or {}).get(s.key) or PricePath(s.price, vol_bps=s.vol_bps, seed=seed + i)
            self.markets[s.key] = MarketState(
                spec=s, path=path, funding_rate=s.funding_rate, prev_day_px=s.price
            )
        self.accounts: dict[str, Account] = {}
        self.orders: dict[int, SimOrder] = {}
        self._open_by_cloid: dict[tuple[str, str], int] = {}
        self.faults = MatchingFaults()
        self.synthetic_trades = synthetic_trades
        self._listeners: list[Callable[[SimEvent], None]] = []
        self._rng = random.Random(seed)
        self._next_oid = 1_000_000
        self._next_tid = 5_000_000
        self._pending: list[SimEvent] = []
        for m in self.markets.values():
            self._rebuild_book(m)
            m.ticks.append((now_ms(), m.mid, m.day_base))  # candles exist from the first moment

    # -- plumbing --------------------------------------------------------------------------------
    def add_listener(self, listener: Callable[[SimEvent], None]) -> None:
        self._listeners.append(listener)

    def _emit(self, event: SimEvent) -> None:
        self._pending.append(event)

    def _flush(self) -> None:
        events, self._pending = self._pending, []
        for e in events:
            for listener in self._listeners:
                listener(e)

    def _oid(self) -> int:
        self._next_oid += 1
        return self._next_oid

    def _tid(self) -> int:
        self._next_tid += self._rng.randint(1, 97)
        return self._next_tid

    @staticmethod
    def _hash() -> str:
        return "0x" + secrets.token_hex(32)

    def market(self, key: str) -> MarketState:
        try:
            return self.markets[key]
        except KeyError:
            raise KeyError(f"unknown market '{key}' (known: {', '.join(self.markets)})") from None

    # -- accounts --------------------------------------------------------------------------------
    def ensure_account(
        self,
        address: str,
        collateral: dict[str, Decimal] | None = None,
        spot: dict[str, Decimal] | None = None,
    ) -> Account:
        key = address.lower()
        acct = self.accounts.get(key)
        if acct is None:
            acct = self.accounts[key] = Account(address=key)
        for group, amount in (collateral or {}).items():
            acct.collateral[group] = acct.collateral.get(group, ZERO) + Decimal(amount)
        for token, amount in (spot or {}).items():
            acct.spot[token] = acct.spot.get(token, ZERO) + Decimal(amount)
        return acct

    def account(self, address: str) -> Account | None:
        return self.accounts.get(address.lower())

    def open_orders(self, user: str, market: str | None = None) -> list[SimOrder]:
        user = user.lower()
        out: list[SimOrder] = []
        for m in self.markets.values():
            if market is not None and m.spec.key != market:
                continue
            out.extend(o for o in (*m.bids, *m.asks) if o.user == user)
        return sorted(out, key=lambda o: o.oid)

    def margin(self, user: str, group: str) -> MarginView:
        acct = self.accounts.get(user.lower()) or Account(address=user.lower())
        marks = {k: m.mark for k, m in self.markets.items()}
        return MarginView(acct, group, self.specs, marks, self.open_orders(user))

    def spot_hold(self, user: str) -> dict[str, Decimal]:
        hold: dict[str, Decimal] = {}
        for o in self.open_orders(user):
            spec = self.specs[o.market]
            if spec.kind != "spot":
                continue
            if o.side is Side.BUY:
                hold[spec.quote] = hold.get(spec.quote, ZERO) + o.size * o.price
            else:
                hold[spec.base] = hold.get(spec.base, ZERO) + o.size
        return hold

    def order_by_cloid(self, user: str, cloid: str) -> SimOrder | None:
        user = user.lower()
        oid = self._open_by_cloid.get((user, cloid.lower()))
        if oid is not None:
            return self.orders[oid]
        for o in reversed(list(self.orders.values())):
            if o.user == user and o.cloid and o.cloid.lower() == cloid.lower():
                return o
        return None

    # -- market data -----------------------------------------------------------------------------
    def book(
        self, key: str, depth: int = 20
    ) -> tuple[list[tuple[Decimal, Decimal, int]], list[tuple[Decimal, Decimal, int]]]:
        """Aggregated levels (price, size, order count), best first, synthetic + resting users."""
        m = self.market(key)

        def merge(synth: list[list[Decimal]], users: list[SimOrder], descending: bool):
            levels: dict[Decimal, list] = {}
            for px, sz in synth:
                if sz > 0:
                    lv = levels.setdefault(px, [ZERO, 0])
                    lv[0] += sz
                    lv[1] += 1
            for o in users:
                lv = levels.setdefault(o.price, [ZERO, 0])
                lv[0] += o.size
                lv[1] += 1
            ordered = sorted(levels.items(), key=lambda kv: kv[0], reverse=descending)
            return [(px, v[0], v[1]) for px, v in ordered[:depth]]

        return merge(m.synth_bids, m.bids, True), merge(m.synth_asks, m.asks, False)

    def best_bid_ask(self, key: str) -> tuple[Decimal | None, Decimal | None]:
        bids, asks = self.book(key, depth=1)
        return (bids[0][0] if bids else None, asks[0][0] if asks else None)

    def open_interest(self, key: str) -> Decimal:
        return sum(
            (p.szi for a in self.accounts.values() for k, p in a.positions.items() if k == key and p.szi > 0),
            ZERO,
        )

    # -- trading ---------------------------------------------------------------------------------
    def place(
        self,
        user: str,
        market: str,
        side: Side,
        price: Decimal,
        size: Decimal,
        tif: Tif,
        reduce_only: bool = False,
        cloid: str | None = None,
    ) -> PlaceResult:
        try:
            return self._place(user.lower(), market, side, price, size, tif, reduce_only, cloid)
        finally:
            self._flush()

    def _new_order(self, user, market, side, price, size, tif, reduce_only, cloid) -> SimOrder:
        t = now_ms()
        return SimOrder(
            oid=self._oid(), user=user, market=market, side=side, price=price, size=size, orig_size=size,
            tif=tif, reduce_only=reduce_only, cloid=cloid.lower() if cloid else None, timestamp=t, status_timestamp=t,
        )  # fmt: skip

    def _reject(self, order: SimOrder, reason: Reject) -> PlaceResult:
        order.status = OrderStatus.REJECTED
        order.reject = reason
        order.status_timestamp = now_ms()
        self.orders[order.oid] = order
        acct = self.accounts.get(order.user)
        if acct is not None:
            acct.closed_orders.append(order)
        self._emit(OrderEvent(order))
        return PlaceResult(order)

    def _place(self, user, market, side, price, size, tif, reduce_only, cloid) -> PlaceResult:
        m = self.market(market)
        spec = m.spec
        order = self._new_order(user, market, side, price, size, tif, reduce_only, cloid)
        acct = self.ensure_account(user)
        if self.faults.reject_next > 0:
            self.faults.reject_next -= 1
            return self._reject(order, Reject.INJECTED)
        if spec.kind == "perp":
            pos = acct.positions.get(market, Position())
            if reduce_only and (pos.szi == 0 or (pos.szi > 0) == (side is Side.BUY) or size > abs(pos.szi)):
                return self._reject(order, Reject.REDUCE_ONLY_WOULD_INCREASE)
            if not reduce_only and not self.margin(user, spec.group).can_open(spec, side.sign * size, price):
                return self._reject(order, Reject.INSUFFICIENT_MARGIN)
        else:
            hold = self.spot_hold(user)
            if side is Side.BUY:
                need, token = size * price, spec.quote
            else:
                need, token = size, spec.base
            if acct.spot.get(token, ZERO) - hold.get(token, ZERO) < need:
                return self._reject(order, Reject.INSUFFICIENT_SPOT_BALANCE)
        if tif is Tif.ALO and self._would_cross(m, order):
            return self._reject(order, Reject.POST_ONLY_WOULD_CROSS)

        fills = self._match(m, order)
        if order.size > 0:
            if tif is Tif.GTC or tif is Tif.ALO:
                self._rest(m, order)
            elif order.filled == 0:
                return self._reject(order, Reject.IOC_NO_MATCH)
            else:
                self._close(order, OrderStatus.CANCELED)  # IOC remainder
        else:
            self._close(order, OrderStatus.FILLED)
        self.orders[order.oid] = order
        return PlaceResult(order, fills)

    def _would_cross(self, m: MarketState, order: SimOrder) -> bool:
        bid, ask = self.best_bid_ask(m.spec.key)
        if order.side is Side.BUY:
            return ask is not None and order.price >= ask
        return bid is not None and order.price <= bid

    def _rest(self, m: MarketState, order: SimOrder) -> None:
        self.orders[order.oid] = order
        if order.cloid:
            self._open_by_cloid[(order.user, order.cloid)] = order.oid
        book = m.bids if order.side is Side.BUY else m.asks
        book.append(order)
        if order.side is Side.BUY:
            book.sort(key=lambda o: (-o.price, o.timestamp, o.oid))
        else:
            book.sort(key=lambda o: (o.price, o.timestamp, o.oid))
        self._emit(OrderEvent(order))

    def _close(self, order: SimOrder, status: OrderStatus) -> None:
        order.status = status
        order.status_timestamp = now_ms()
        m = self.markets[order.market]
        for book in (m.bids, m.asks):
            if order in book:
                book.remove(order)
        if order.cloid:
            self._open_by_cloid.pop((order.user, order.cloid), None)
        acct = self.accounts.get(order.user)
        if acct is not None:
            acct.closed_orders.append(order)
        self._emit(OrderEvent(order))

    def _match(self, m: MarketState, order: SimOrder) -> list[Fill]:
        spec = m.spec
        limit = order.size
        if self.faults.partial_fill_fraction is not None:
            capped = spec.round_size(order.orig_size * self.faults.partial_fill_fraction)
            limit = min(order.size, max(capped, spec.lot))
        buying = order.side is Side.BUY
        synth = m.synth_asks if buying else m.synth_bids
        resting = m.asks if buying else m.bids
        # liquidity sources in price-time order: (price, priority, synthetic level | resting order)
        sources: list[tuple[Decimal, int, object]] = [(lv[0], 1, lv) for lv in synth if lv[1] > 0]
        sources += [(o.price, 0, o) for o in resting if o.user != order.user]
        sources.sort(key=lambda s: (s[0] if buying else -s[0], s[1]))
        fills: list[Fill] = []
        maker_done: list[SimOrder] = []
        remaining = limit
        for px, _, src in sources:
            if remaining <= 0 or (px > order.price if buying else px < order.price):
                break
            if isinstance(src, SimOrder):
                qty = min(remaining, src.size)
                src.size -= qty
                maker_fills = self._fill(src, px, qty, crossed=False)
                fills.append(maker_fills)
                if src.size == 0:
                    maker_done.append(src)
                counterparty = src.user
            else:
                lv: list[Decimal] = src  # type: ignore[assignment]
                qty = min(remaining, lv[1])
                lv[1] -= qty
                counterparty = MARKET_MAKER
            remaining -= qty
            order.size -= qty
            fills.append(self._fill(order, px, qty, crossed=True))
            self._print_trade(
                m,
                order.side,
                px,
                qty,
                order.user if buying else counterparty,
                counterparty if buying else order.user,
            )
        for done in maker_done:
            self._close(done, OrderStatus.FILLED)
        return fills

    def _print_trade(
        self, m: MarketState, aggressor: Side, px: Decimal, sz: Decimal, buyer: str, seller: str
    ) -> None:
        t = now_ms()
        trade = Trade(m.spec.key, aggressor, px, sz, t, self._tid(), self._hash(), buyer, seller)
        m.trades.append(trade)
        m.day_notional += px * sz
        m.day_base += sz
        self._emit(TradeEvent(trade))

    def _fill(self, order: SimOrder, px: Decimal, sz: Decimal, crossed: bool) -> Fill:
        """Book one execution of `order` on its owner's account and record it."""
        spec = self.specs[order.market]
        acct = self.ensure_account(order.user)
        fee_rate = spec.taker_fee if crossed else spec.maker_fee
        order.filled += sz
        order.notional += px * sz
        if spec.kind == "perp":
            pos = acct.position(order.market)
            start = pos.szi
            signed = order.side.sign * sz
            closed_pnl = ZERO
            if start == 0 or (start > 0) == (signed > 0):
                pos.entry_px = (abs(start) * pos.entry_px + sz * px) / (abs(start) + sz)
                direction = "Open Long" if signed > 0 else "Open Short"
            else:
                closing = min(sz, abs(start))
                closed_pnl = (px - pos.entry_px) * closing * (1 if start > 0 else -1)
                if sz > abs(start):
                    direction = "Long > Short" if start > 0 else "Short > Long"
                    pos.entry_px = px
                else:
                    direction = "Close Long" if start > 0 else "Close Short"
            pos.szi = start + signed
            if pos.szi == 0:
                pos.entry_px = ZERO
                pos.cum_funding_open = ZERO
            fee = (px * sz * fee_rate).quantize(Decimal("0.000001"))
            acct.collateral[spec.group] = acct.collateral.get(spec.group, ZERO) + closed_pnl - fee
            fee_token = spec.quote
        else:
            start = acct.spot.get(spec.base, ZERO)
            closed_pnl = ZERO
            direction = "Buy" if order.side is Side.BUY else "Sell"
            if order.side is Side.BUY:
                # spot buys pay the fee in the base token, sells in the quote token
                fee = (sz * fee_rate).quantize(spec.lot / 1000)
                fee_token = spec.base
                acct.spot[spec.quote] = acct.spot.get(spec.quote, ZERO) - px * sz
                acct.spot[spec.base] = start + sz - fee
            else:
                fee = (px * sz * fee_rate).quantize(Decimal("0.00000001"))
                fee_token = spec.quote
                acct.spot[spec.base] = start - sz
                acct.spot[spec.quote] = acct.spot.get(spec.quote, ZERO) + px * sz - fee
        fill = Fill(
            user=order.user, market=order.market, oid=order.oid, tid=self._tid(), side=order.side, price=px,
            size=sz, time=now_ms(), crossed=crossed, fee=fee, fee_token=fee_token, start_position=start,
            direction=direction, closed_pnl=closed_pnl, hash=self._hash(), cloid=order.cloid,
        )  # fmt: skip
        acct.fills.append(fill)
        self._emit(FillEvent(fill))
        return fill

    def cancel(self, user: str, oid: int) -> SimOrder | None:
        """Cancel an open order of `user`; None if it is not open (never placed, filled, canceled)."""
        try:
            order = self.orders.get(oid)
            if order is None or order.user != user.lower() or order.status is not OrderStatus.OPEN:
                return None
            self._close(order, OrderStatus.CANCELED)
            return order
        finally:
            self._flush()

    def cancel_by_cloid(self, user: str, cloid: str) -> SimOrder | None:
        oid = self._open_by_cloid.get((user.lower(), cloid.lower()))
        return None if oid is None else self.cancel(user, oid)

    def cancel_all(self, user: str) -> list[SimOrder]:
        return [o for o in self.open_orders(user) if self.cancel(user, o.oid)]

    def modify(
        self,
        user: str,
        oid: int,
        side: Side,
        price: Decimal,
        size: Decimal,
        tif: Tif,
        reduce_only: bool,
        cloid: str | None,
    ) -> PlaceResult | None:
        """Replace an open order (new oid, like the venue); None if the order is not open."""
        order = self.orders.get(oid)
        if order is None or order.user != user.lower() or order.status is not OrderStatus.OPEN:
            return None
        # The replaced order leaves the book silently: the venue announces only the new one.
        m = self.markets[order.market]
        for book in (m.bids, m.asks):
            if order in book:
                book.remove(order)
        if order.cloid:
            self._open_by_cloid.pop((order.user, order.cloid), None)
        order.status = OrderStatus.CANCELED
        order.status_timestamp = now_ms()
        acct = self.accounts.get(order.user)
        if acct is not None:
            acct.closed_orders.append(order)
        return self.place(user, order.market, side, price, size, tif, reduce_only, cloid or order.cloid)

    def set_leverage(self, user: str, market: str, leverage: int) -> None:
        spec = self.specs[market]
        if not 1 <= leverage <= spec.max_leverage:
            raise ValueError(f"leverage {leverage} outside 1..{spec.max_leverage} for {market}")
        self.ensure_account(user).leverage[market] = leverage

    # -- simulation ------------------------------------------------------------------------------
    def tick(self, market: str | None = None) -> None:
        """Advance the price path of one or every market and let the market trade into resting orders."""
        try:
            for m in self._selected(market):
                m.path.step()
                self._after_move(m, synthetic_print=True)
        finally:
            self._flush()

    def set_mid(self, market: str, mid: Decimal) -> None:
        try:
            m = self.market(market)
            m.path.set(Decimal(mid))
            self._after_move(m)
        finally:
            self._flush()

    def shift(self, market: str, bps: float) -> None:
        try:
            m = self.market(market)
            m.path.shift_bps(bps)
            self._after_move(m)
        finally:
            self._flush()

    def _selected(self, market: str | None) -> list[MarketState]:
        return [self.market(market)] if market else list(self.markets.values())

    def _after_move(self, m: MarketState, synthetic_print: bool = False) -> None:
        self._rebuild_book(m)
        self._cross_resting(m)
        if synthetic_print and self.synthetic_trades and m.synth_bids and m.synth_asks:
            buy = self._rng.random() < 0.5
            px = m.synth_asks[0][0] if buy else m.synth_bids[0][0]
            sz = max(m.spec.lot, m.spec.round_size(m.synth_asks[0][1] * Decimal("0.01")))
            self._print_trade(m, Side.BUY if buy else Side.SELL, px, sz, MARKET_MAKER, MARKET_MAKER)
        m.ticks.append((now_ms(), m.mid, m.day_base))
        self._emit(BookEvent(m.spec.key))

    def _rebuild_book(self, m: MarketState) -> None:
        spec = m.spec
        mid = m.path.mid
        half = spec.half_spread_bps / 10_000
        step = spec.level_spacing_bps / 10_000
        bids: list[list[Decimal]] = []
        asks: list[list[Decimal]] = []
        for i in range(spec.depth_levels):
            bpx = spec.round_price(mid * (1 - half - step * i), up=False)
            apx = spec.round_price(mid * (1 + half + step * i), up=True)
            size = spec.round_size(spec.level_notional / mid * Decimal(1 + i % 3))
            if size <= 0:
                size = spec.lot
            if not bids or bpx < bids[-1][0]:
                bids.append([bpx, size])
            if not asks or apx > asks[-1][0]:
                asks.append([apx, size])
        m.synth_bids, m.synth_asks = bids, asks

    def _cross_resting(self, m: MarketState) -> None:
        spec = m.spec
        fraction = self.faults.partial_fill_fraction
        for book, crossed in (
            (m.bids, lambda o: m.synth_asks and o.price >= m.synth_asks[0][0]),
            (m.asks, lambda o: m.synth_bids and o.price <= m.synth_bids[0][0]),
        ):
            for order in list(book):
                if not crossed(order):
                    continue
                qty = order.size
                if fraction is not None:
                    qty = min(order.size, max(spec.round_size(order.orig_size * fraction), spec.lot))
                order.size -= qty
                self._fill(order, order.price, qty, crossed=False)
                buyer, seller = (
                    (order.user, MARKET_MAKER) if order.side is Side.BUY else (MARKET_MAKER, order.user)
                )
                aggressor = Side.SELL if order.side is Side.BUY else Side.BUY
                self._print_trade(m, aggressor, order.price, qty, buyer, seller)
                if order.size == 0:
                    self._close(order, OrderStatus.FILLED)

    def set_funding_rate(self, market: str, rate: Decimal) -> None:
        m = self.market(market)
        if m.spec.kind != "perp":
            raise ValueError(f"{market} is a spot market: it has no funding")
        m.funding_rate = Decimal(rate)
        self._emit(FundingRateEvent(market, m.funding_rate, now_ms()))
        self._flush()

    def settle_funding(self, market: str | None = None, rate: Decimal | None = None) -> list[FundingEntry]:
        """Pay one funding interval now: every position pays/receives -szi x oracle x rate."""
        entries: list[FundingEntry] = []
        try:
            for m in self._selected(market):
                if m.spec.kind != "perp":
                    continue
                if rate is not None:
                    m.funding_rate = Decimal(rate)
                t = now_ms()
                oracle = m.oracle
                m.funding_history.append((t, m.funding_rate, m.premium))
                self._emit(FundingRateEvent(m.spec.key, m.funding_rate, t))
                for acct in self.accounts.values():
                    pos = acct.positions.get(m.spec.key)
                    if pos is None or pos.szi == 0:
                        continue
                    amount = (-pos.szi * oracle * m.funding_rate).quantize(Decimal("0.000001"))
                    acct.collateral[m.spec.group] = acct.collateral.get(m.spec.group, ZERO) + amount
                    pos.cum_funding_all -= amount  # venues report cumulative funding as paid (+ = paid)
                    pos.cum_funding_open -= amount
                    entry = FundingEntry(acct.address, m.spec.key, t, pos.szi, m.funding_rate, amount, oracle)
                    acct.record_funding(entry)
                    entries.append(entry)
                    self._emit(FundingEvent(entry))
        finally:
            self._flush()
        return entries
