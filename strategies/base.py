"""What scalp and carry share: pairs, the leg executor, guards, quotes, funding attribution,
equity, heartbeat, restart state and results. The subclasses hold only their trading rules.

Subclasses implement `instruments()` (what to watch), `on_quote(...)` (their signal), and may
override `on_pair_opened/on_pair_closed/extra_tables/extra_summary/heartbeat_lines`.
"""

from __future__ import annotations

import math
import statistics
from decimal import Decimal
from functools import partial
from typing import Any

import pandas as pd
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.model.data import DataType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Currency
from nautilus_trader.trading.strategy import Strategy

from arb.clock import on_loop
from backtests import tables
from catalog.funding import FundingPayment
from catalog.registry import MarketSpec
from catalog.registry import Registry
from catalog.registry import default_registry
from strategies.guards import Guards
from strategies.legs import ENTRY
from strategies.legs import EXIT
from strategies.legs import EXIT_LEG
from strategies.legs import REPAIR
from strategies.legs import Execution
from strategies.legs import Leg
from strategies.legs import LegExecutor
from strategies.pairs import CLOSED
from strategies.pairs import CLOSING
from strategies.pairs import FAILED
from strategies.pairs import OPEN
from strategies.pairs import PairBook
from strategies.pairs import PositionPair

NANOS_PER_S = 1_000_000_000
EVENTS_TOPIC = "events.arb"  # operational events for the node's notifier: events.arb.<kind>


class Quote:
    """Last top of book of one instrument, as floats for the signal arithmetic."""

    __slots__ = ("ask", "ask_size", "bid", "bid_size", "ts")

    def __init__(self) -> None:
        self.bid = self.ask = self.bid_size = self.ask_size = 0.0
        self.ts = 0

    def load_sizes(self, cache, instrument_id: InstrumentId) -> None:
        """Sizes are read (from the cache's last quote) only when an entry is sized, not on every quote."""
        tick = cache.quote_tick(instrument_id)
        if tick is not None:
            self.bid_size = tick.bid_size.as_double()
            self.ask_size = tick.ask_size.as_double()

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) * 0.5


class PairStrategy(Strategy):
    kind = "pair"

    def __init__(self, config) -> None:
        super().__init__(config)
        self.registry: Registry = (
            Registry.load(extra=[config.registry_path]) if config.registry_path else default_registry()
        )
        self.book = PairBook()
        self.guards = Guards(config.guards)
        self.executor = LegExecutor(
            self,
            config.execution,
            on_done=self._on_execution_done,
            position_of=self.position_of,
            expected_position=self.book.expected_position,
            asset_of=self.asset_of,
            on_submit=self.guards.rate_budget.record,
        )
        self.quotes: dict[InstrumentId, Quote] = {}
        self._markets: dict[InstrumentId, MarketSpec] = {}
        self._equity_ts = 0
        self._account_ns = int(getattr(config, "account_refresh_s", 5.0) * NANOS_PER_S)
        self.equity_usd = float("nan")
        self.free_usd: dict[str, float] = {}
        self._started_ns = 0
        self._unattributed_funding = Decimal(0)
        self._funding_events = 0
        self._kill_handled = False
        self._direct: list[tuple[str, Any]] = []

    # -- what to watch (subclass) --------------------------------------------------------------------
    def instruments(self) -> list[InstrumentId]:
        raise NotImplementedError

    def on_quote(self, instrument_id: InstrumentId, quote: Quote, ts: int) -> None:
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------------------------------------
    def on_start(self) -> None:
        self._started_ns = self.clock.timestamp_ns()
        self.restore()
        for instrument_id in self.instruments():
            if self.cache.instrument(instrument_id) is None:
                self.log.error(f"instrument {instrument_id} is not loaded; it will not trade")
                continue
            self._markets[instrument_id] = self.registry.market_for(instrument_id)
            self.quotes[instrument_id] = Quote()
            self.subscribe_quote_ticks(instrument_id)
            if getattr(self.config, "use_book", False):
                self.subscribe_order_book_deltas(instrument_id, book_type=BookType.L2_MBP)
            self.subscribe_data(DataType(FundingPayment), instrument_id=instrument_id)
        if self.reconcile_on_start:
            # Reconcile once every instrument has a quote (closing an orphan needs a price), and
            # enter nothing until then.
            self.guards.halt("reconciling")
            self._reconcile_deadline = self.clock.timestamp_ns() + 15 * NANOS_PER_S
            self.clock.set_timer(
                "reconcile-at-start",
                interval=pd.Timedelta(milliseconds=250),
                callback=on_loop(self.clock, self._reconcile_when_quoted),
            )
        minutes = self.config.heartbeat_minutes
        if minutes and minutes > 0:
            self.clock.set_timer(
                "heartbeat",
                interval=pd.Timedelta(minutes=minutes),
                callback=on_loop(self.clock, self._heartbeat),
            )

    def attach_restored_pairs(self, runtimes: list[Any]) -> None:
        """Give each configured pair (runtime with `.a`, `.b` markets and a `.pair` slot) the active
        pair a restart restored for it."""
        for pair in self.book.active():
            for rt in runtimes:
                if {pair.long_instrument, pair.short_instrument} == {
                    rt.a.instrument_id.value,
                    rt.b.instrument_id.value,
                }:
                    rt.pair = pair

    def on_stop(self) -> None:
        for topic, handler in self._direct:
            self.msgbus.unsubscribe(topic=topic, handler=handler)
        self._direct.clear()

    def on_save(self) -> dict[str, bytes]:
        return {"pairs": self.book.dumps(active_only=True)}

    def on_load(self, state: dict[str, bytes]) -> None:
        if "pairs" in state:
            self.book.loads(state["pairs"])

    @property
    def state_key(self) -> str:
        return f"arb.pairs.{self.id}"

    def persist(self) -> None:
        """Write the active pairs to the cache at every change (Redis-backed in live nodes when
        configured), so a node killed mid-pair knows on restart which positions belong together."""
        self.cache.add(self.state_key, self.book.dumps(active_only=True))

    def restore(self) -> None:
        saved = self.cache.get(self.state_key)
        if saved:
            self.book.loads(saved)
            active = self.book.active()
            if active:
                self.log.info(
                    f"restored {len(active)} active pair(s): {', '.join(p.pair_id for p in active)}"
                )

    # -- market data -----------------------------------------------------------------------------------
    def route_quotes(self) -> None:
        """Quotes are the hot path: each instrument's quotes go straight from the message bus to a
        handler bound to its pre-resolved state (no per-quote instrument lookup, no generic dispatch).
        The data subscriptions themselves are Nautilus's, made in `on_start`; call this after them."""
        for instrument_id, quote in self.quotes.items():
            handler = self.quote_handler(instrument_id, quote)
            if handler is None:
                continue
            topic = f"data.quotes.{instrument_id.venue}.{instrument_id.symbol.topic()}"
            self.msgbus.unsubscribe(topic=topic, handler=self.handle_quote_tick)
            self.msgbus.subscribe(topic=topic, handler=handler)
            self._direct.append((topic, handler))

    def quote_handler(self, instrument_id: InstrumentId, quote: Quote):
        return partial(self._on_quote_tick_for, instrument_id, quote)

    def _on_quote_tick_for(self, instrument_id: InstrumentId, q: Quote, tick: QuoteTick) -> None:
        q.bid = tick.bid_price.as_double()
        q.ask = tick.ask_price.as_double()
        ts = q.ts = tick.ts_init
        self.on_quote(instrument_id, q, ts)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        instrument_id = tick.instrument_id
        q = self.quotes.get(instrument_id)
        if q is None:
            return
        q.bid = tick.bid_price.as_double()
        q.ask = tick.ask_price.as_double()
        q.ts = tick.ts_init
        self.on_quote(instrument_id, q, tick.ts_init)

    def on_data(self, data) -> None:
        if isinstance(data, FundingPayment):
            self._on_funding_payment(data)

    def _on_funding_payment(self, payment: FundingPayment) -> None:
        """Attribute a venue's funding cash flow to the pairs holding that instrument."""
        self._funding_events += 1
        instrument = payment.instrument_id.value
        holders = self.book.open_on(instrument)
        signed = [(p, p.quantity if p.long_instrument == instrument else -p.quantity) for p in holders]
        total = sum((q for _, q in signed), Decimal(0))
        if not holders or total == 0:
            self._unattributed_funding += payment.amount
            return
        for pair, qty in signed:
            share = payment.amount * (qty / total)
            pair.funding += share
            self.on_pair_funding(pair, payment, share)
        self.persist()

    def on_pair_funding(self, pair: PositionPair, payment: FundingPayment, share: Decimal) -> None:
        pass

    # -- orders ----------------------------------------------------------------------------------------
    def on_order_event(self, event) -> None:
        self.executor.on_order_event(event)

    def position_of(self, instrument_id: InstrumentId) -> Decimal:
        total = Decimal(0)
        for position in self.cache.positions_open(instrument_id=instrument_id, strategy_id=self.id):
            total += position.signed_decimal_qty()
        return total

    def asset_of(self, instrument_id: InstrumentId) -> str:
        market = self._markets.get(instrument_id) or self.registry.find_market(instrument_id)
        return market.asset if market else instrument_id.symbol.value

    def market(self, instrument_id: InstrumentId) -> MarketSpec:
        return self._markets[instrument_id]

    # -- pairs -----------------------------------------------------------------------------------------
    def open_pair(self, pair: PositionPair, buy: Leg, sell: Leg, expected_edge_bps: float) -> None:
        self.book.add(pair)
        self.persist()
        self.executor.execute(pair.pair_id, ENTRY, pair.asset, [buy, sell], expected_edge_bps)

    def close_pair(self, pair: PositionPair, reason: str, quantity: Decimal | None = None) -> bool:
        """Close the pair (or only `quantity` of each leg: a reduction). False if it cannot now."""
        if pair.state != OPEN or self.executor.busy(pair.asset):
            return False
        qty = pair.quantity if quantity is None or quantity >= pair.quantity else quantity
        if qty <= 0:
            return False
        pair.state = CLOSING
        pair.extra["closing_quantity"] = str(qty)
        if qty == pair.quantity:
            pair.exit_reason = reason
        long_id = InstrumentId.from_str(pair.long_instrument)
        short_id = InstrumentId.from_str(pair.short_instrument)
        lq, sq = self.quotes.get(long_id), self.quotes.get(short_id)
        legs = [
            Leg(
                long_id,
                OrderSide.SELL,
                self._sellable(long_id, qty),
                Decimal(repr(lq.bid)) if lq and lq.bid else None,
            ),
            Leg(short_id, OrderSide.BUY, qty, Decimal(repr(sq.ask)) if sq and sq.ask else None),
        ]
        self.persist()
        self.log.info(f"{'exit' if qty == pair.quantity else f'reduce by {qty}'} {pair.pair_id} ({reason})")
        self.executor.execute(pair.pair_id, EXIT, pair.asset, legs)
        return True

    def _sellable(self, instrument_id: InstrumentId, quantity: Decimal) -> Decimal:
        """A spot leg can only sell what the account holds: venues that take the buy fee in the base
        token leave a little less than was bought (the rest stays as dust)."""
        market = self._markets.get(instrument_id)
        if market is None or market.kind != "spot":
            return quantity
        account = self.cache.account_for_venue(Venue(market.venue))
        if account is None:
            return quantity
        balance = account.balance(Currency.from_str(market.base, strict=False))
        if balance is None:
            return quantity  # a margin account that tracks spot as positions (backtest, sandbox)
        free = balance.free.as_decimal()
        return min(quantity, market.round_size_down(free)) if free < quantity else quantity

    def close_all(self, reason: str) -> None:
        for pair in self.book.active():
            if pair.state == OPEN:
                self.close_pair(pair, reason)

    def _on_execution_done(self, execution: Execution) -> None:
        self._apply_execution(execution)
        self.persist()

    def _apply_execution(self, execution: Execution) -> None:
        pair = self.book.pairs.get(execution.pair_id)
        if pair is None:
            return  # a repair
        if execution.orphan:
            self.notify(
                "orphan",
                f"{pair.pair_id}: leg left unhedged, {execution.outcome}; cost {execution.flatten_cost():.2f}",
                pair_id=pair.pair_id,
            )
        if execution.purpose == EXIT_LEG:
            return self._apply_leg_exit(pair, execution)
        buy = next(s for s in execution.legs if s.leg.side == OrderSide.BUY)
        sell = next(s for s in execution.legs if s.leg.side == OrderSide.SELL)
        fees = sum((s.fees + s.flatten_fees for s in execution.legs), Decimal(0))
        pair.fees += fees
        pair.adjustments -= execution.flatten_cost() - sum(
            (s.flatten_fees + s.fees * (s.flattened / s.filled if s.filled else 0) for s in execution.legs),
            Decimal(0),
        )
        now = self.clock.timestamp_ns()
        if execution.purpose == ENTRY:
            quantity = min(buy.net_filled, sell.net_filled)
            if quantity <= 0:
                pair.state = FAILED
                pair.exit_reason = execution.outcome
                self.guards.start_cooldown(pair.asset, now)
                self.on_pair_closed(pair)
                return
            pair.quantity = quantity
            pair.entry_long_px, pair.entry_short_px = buy.vwap, sell.vwap
            pair.entry_ts = min(t for t in (buy.first_fill_ts, sell.first_fill_ts) if t is not None)
            pair.state = OPEN
            self.log.info(
                f"opened {pair.pair_id}: long {pair.long_instrument} @ {buy.vwap}, short {pair.short_instrument} @ {sell.vwap}, qty {quantity}"
            )
            self.on_pair_opened(pair)
            self.notify(
                "entry",
                f"opened {pair.pair_id}: long {pair.long_instrument}, short {pair.short_instrument}, qty {quantity}",
                pair_id=pair.pair_id,
            )
        elif Decimal(pair.extra.pop("closing_quantity", pair.quantity)) < pair.quantity:
            # a reduction: realise the closed part into the pair's adjustments, keep the rest open
            closed = min(buy.net_filled, sell.net_filled)
            entry_long, entry_short = pair.entry_long_px, pair.entry_short_px
            if (
                closed > 0
                and sell.vwap is not None
                and buy.vwap is not None
                and entry_long is not None
                and entry_short is not None
            ):
                pair.adjustments += (sell.vwap - entry_long) * closed + (entry_short - buy.vwap) * closed
                pair.quantity -= closed
            pair.state = OPEN
            self.log.info(f"reduced {pair.pair_id} by {closed} to {pair.quantity}")
            self.on_pair_reduced(pair, closed)
        else:
            pair.exit_long_px, pair.exit_short_px = sell.vwap, buy.vwap
            pair.exit_ts = max(t for t in (buy.last_fill_ts, sell.last_fill_ts, now) if t is not None)
            pair.state = CLOSED
            if execution.outcome == "incomplete":
                self.log.error(
                    f"{pair.pair_id}: exit incomplete ({execution.outcome}); residual left to the delta repair"
                )
            self._closed(pair, now)

    def _closed(self, pair: PositionPair, now: int) -> None:
        net = pair.net_pnl()
        self.guards.on_trade_closed(net, now)
        self.guards.start_cooldown(pair.asset, now)
        self.log.info(f"closed {pair.pair_id} ({pair.exit_reason}): net {net:.2f}")
        self.on_pair_closed(pair)
        self.notify(
            "exit",
            f"closed {pair.pair_id} ({pair.exit_reason}): net {net:.2f}",
            pair_id=pair.pair_id,
            net=float(net),
        )
        self._maybe_kill()

    def _apply_leg_exit(self, pair: PositionPair, execution: Execution) -> None:
        """One leg of a leg-by-leg close (shutdown) is done: close the other, or finish the pair."""
        (state,) = execution.legs
        pair.fees += state.fees
        instrument = state.leg.instrument_id.value
        if instrument == pair.long_instrument:
            pair.exit_long_px = state.vwap
        else:
            pair.exit_short_px = state.vwap
        remaining = pair.extra.get("legs_to_close", [])
        if remaining:
            self._close_next_leg(pair)
            return
        pair.exit_ts = self.clock.timestamp_ns()
        pair.state = CLOSED
        self._closed(pair, pair.exit_ts)

    def on_pair_opened(self, pair: PositionPair) -> None:
        pass

    def on_pair_reduced(self, pair: PositionPair, quantity: Decimal) -> None:
        pass

    def on_pair_closed(self, pair: PositionPair) -> None:
        pass

    def _maybe_kill(self) -> None:
        """Once the guards have tripped the kill switch: flatten every pair; entries stay blocked."""
        if self.guards.killed_reason and not self._kill_handled:
            self._kill_handled = True
            self.log.error(f"kill switch: {self.guards.killed_reason}; flattening and no more entries")
            self.notify("kill_switch", f"kill switch: {self.guards.killed_reason}")
            self.close_all("kill_switch")

    # -- live operation: events, graceful shutdown, start-up reconciliation -----------------------------
    def notify(self, kind: str, text: str, **fields: Any) -> None:
        """Publish an operational event (entry, exit, orphan, kill switch, ...) for the node's
        notifier; a no-op in backtests, where nobody listens."""
        self.msgbus.publish(
            topic=f"{EVENTS_TOPIC}.{kind}",
            msg={
                "kind": kind,
                "strategy": self.id.value,
                "text": text,
                "ts": self.clock.timestamp_ns(),
                **fields,
            },
        )

    def begin_shutdown(self, flatten: bool) -> None:
        """Stop entering, cancel working orders, and (if `flatten`) close every pair leg by leg, the
        less liquid leg first so the exposure left while the second leg closes is on the easy one."""
        self.guards.halt("shutdown")
        for instrument_id in self._markets:
            self.cancel_all_orders(instrument_id)
        if not flatten:
            return
        for pair in self.book.active():
            if pair.state == OPEN and not self.executor.busy(pair.asset):
                legs = sorted((pair.long_instrument, pair.short_instrument), key=self._close_liquidity)
                pair.state = CLOSING
                pair.exit_reason = "shutdown"
                pair.extra["legs_to_close"] = legs
                depth = " then ".join(f"{leg} ({self._close_liquidity(leg):,.0f} on top)" for leg in legs)
                self.log.info(f"shutdown: closing {pair.pair_id} leg by leg, less liquid first: {depth}")
                self._close_next_leg(pair)
        self.persist()

    def _close_liquidity(self, instrument: str) -> float:
        """Top-of-book notional on the side a close takes (sell a long into bids, buy a short from asks)."""
        instrument_id = InstrumentId.from_str(instrument)
        tick = self.cache.quote_tick(instrument_id)
        if tick is None:
            return 0.0
        long_leg = any(p.long_instrument == instrument for p in self.book.active())
        size = tick.bid_size.as_double() if long_leg else tick.ask_size.as_double()
        return size * (tick.bid_price.as_double() + tick.ask_price.as_double()) / 2

    def _close_next_leg(self, pair: PositionPair) -> None:
        legs = pair.extra["legs_to_close"]
        instrument = legs.pop(0)
        instrument_id = InstrumentId.from_str(instrument)
        side = OrderSide.SELL if instrument == pair.long_instrument else OrderSide.BUY
        q = self.quotes.get(instrument_id)
        price = (q.bid if side == OrderSide.SELL else q.ask) if q and q.ts else None
        quantity = self._sellable(instrument_id, pair.quantity) if side == OrderSide.SELL else pair.quantity
        self.executor.execute(
            pair.pair_id,
            EXIT_LEG,
            pair.asset,
            [Leg(instrument_id, side, quantity, Decimal(repr(price)) if price else None)],
        )

    def is_flat(self) -> bool:
        """No active pair, no execution in flight and no position on any of the strategy's instruments."""
        if self.book.active() or self.executor.active:
            return False
        return all(self.position_of(i) == 0 for i in self._markets)

    orphan_policy = "flatten"  # set by the node from `[node] orphan_policy`
    reconcile_on_start = False  # live and sandbox nodes set it: positions may exist before the start

    def _reconcile_when_quoted(self, event: TimeEvent) -> None:
        quoted = all(q.ts for q in self.quotes.values())
        if not quoted and self.clock.timestamp_ns() < self._reconcile_deadline:
            return
        self.clock.cancel_timer("reconcile-at-start")
        if not quoted:
            self.log.warning("reconciling without quotes for every instrument (market orders may be refused)")
        self.reconcile_at_start()
        self.guards.resume("reconciling")

    def _same_size(self, pair: PositionPair, long_qty: Decimal, short_qty: Decimal) -> Decimal | None:
        """The pair's size when both legs hold the same amount up to dust (a spot leg is net of the
        fee the venue took in the base token): the perp leg's size, or the smaller of two perps."""
        if long_qty <= 0 or short_qty <= 0:
            return None
        if long_qty == short_qty:
            return long_qty
        gap = abs(long_qty - short_qty)
        for instrument in (pair.long_instrument, pair.short_instrument):
            inst = self.cache.instrument(InstrumentId.from_str(instrument))
            if inst is None or not self.executor._is_dust(inst, gap):
                return None
        long_spot = self._markets[InstrumentId.from_str(pair.long_instrument)].kind == "spot"
        short_spot = self._markets[InstrumentId.from_str(pair.short_instrument)].kind == "spot"
        if long_spot and not short_spot:
            return short_qty
        if short_spot and not long_spot:
            return long_qty
        return min(long_qty, short_qty)

    def reconcile_at_start(self) -> None:
        """After a restart: match the restored pairs with the positions the venues reported.

        An interrupted entry or exit is resolved from what actually filled; a leg whose partner is
        missing is flattened or re-hedged per `orphan_policy`; a position no pair explains is
        flattened. Nothing is left unhedged and nothing is traded twice."""
        held = {i.value: self.position_of(i) for i in self._markets}
        explained: dict[str, Decimal] = dict.fromkeys(held, Decimal(0))
        for pair in self.book.active():
            lq, sq = held.get(pair.long_instrument, Decimal(0)), -held.get(pair.short_instrument, Decimal(0))
            size = self._same_size(pair, lq, sq)
            if size is not None:
                if pair.state != OPEN:
                    self.log.warning(f"restart: {pair.pair_id} was {pair.state}; both legs hold {size}: open")
                pair.state, pair.quantity = OPEN, size
                pair.extra.pop("legs_to_close", None)
                pair.entry_long_px = pair.entry_long_px or self._avg_open(pair.long_instrument)
                pair.entry_short_px = pair.entry_short_px or self._avg_open(pair.short_instrument)
                pair.entry_ts = pair.entry_ts or self.clock.timestamp_ns()
                explained[pair.long_instrument] += lq  # both legs as held: a dust gap is not an orphan
                explained[pair.short_instrument] -= sq
            elif lq <= 0 and sq <= 0:
                pair.state = CLOSED if pair.state in (OPEN, CLOSING) else FAILED
                pair.exit_reason = pair.exit_reason or "closed while down"
                pair.exit_ts = pair.exit_ts or self.clock.timestamp_ns()
                self.log.warning(f"restart: {pair.pair_id} holds nothing on either leg: {pair.state}")
            else:
                self._orphan_at_start(pair, lq, sq, explained)
        for instrument, qty in held.items():
            extra = qty - explained.get(instrument, Decimal(0))
            if extra != 0:
                self.log.error(f"restart: {instrument} holds {extra} that no pair explains: flattening it")
                self.notify("orphan", f"restart: unpaired position {extra} on {instrument}: flattened")
                side = OrderSide.SELL if extra > 0 else OrderSide.BUY
                self.executor.execute(
                    f"orphan-{instrument}",
                    REPAIR,
                    self.asset_of(InstrumentId.from_str(instrument)),
                    [Leg(InstrumentId.from_str(instrument), side, abs(extra))],
                )
        self.persist()

    def _orphan_at_start(
        self, pair: PositionPair, lq: Decimal, sq: Decimal, explained: dict[str, Decimal]
    ) -> None:
        long_id, short_id = (
            InstrumentId.from_str(pair.long_instrument),
            InstrumentId.from_str(pair.short_instrument),
        )
        if self.orphan_policy == "rehedge" and lq > 0 and sq >= 0:
            # hedge up to the bigger leg: the pair is whole again
            target = max(lq, sq)
            legs = []
            if lq < target:
                legs.append(Leg(long_id, OrderSide.BUY, target - lq))
            if sq < target:
                legs.append(Leg(short_id, OrderSide.SELL, target - sq))
            self.log.error(f"restart: {pair.pair_id} legs {lq}/{sq}: re-hedging to {target}")
            self.notify("orphan", f"restart: {pair.pair_id} re-hedged to {target}", pair_id=pair.pair_id)
            pair.state, pair.quantity = OPEN, target
            pair.entry_long_px = pair.entry_long_px or self._avg_open(pair.long_instrument)
            pair.entry_short_px = pair.entry_short_px or self._avg_open(pair.short_instrument)
            pair.entry_ts = pair.entry_ts or self.clock.timestamp_ns()
            for leg in legs:
                self.executor.execute(
                    f"rehedge-{pair.pair_id}-{leg.instrument_id.symbol}", REPAIR, pair.asset, [leg]
                )
            # what the legs hold now is the pair's (the re-hedge orders bring them to `target`)
            explained[pair.long_instrument] += lq
            explained[pair.short_instrument] -= sq
            return
        # flatten: whatever the pair's legs hold is closed by the unexplained-position sweep
        self.log.error(f"restart: {pair.pair_id} legs {lq}/{sq} do not match: flattening the orphan")
        self.notify(
            "orphan", f"restart: {pair.pair_id} unmatched legs {lq}/{sq}: flattened", pair_id=pair.pair_id
        )
        pair.state = FAILED if pair.entry_ts is None else CLOSED
        pair.exit_reason = "orphan_at_restart"
        pair.exit_ts = self.clock.timestamp_ns()

    def _avg_open(self, instrument: str) -> Decimal | None:
        positions = self.cache.positions_open(
            instrument_id=InstrumentId.from_str(instrument), strategy_id=self.id
        )
        return Decimal(str(positions[0].avg_px_open)) if positions else None

    # -- account view (refreshed at most once a second) ------------------------------------------------
    def refresh_account_view(self, now: int) -> None:
        if now - self._equity_ts < self._account_ns:
            return
        self._equity_ts = now
        equity = 0.0
        free: dict[str, float] = {}
        for venue in {i.venue for i in self._markets}:
            account = self.cache.account_for_venue(Venue(venue.value))
            if account is None:
                continue
            for currency, balance in account.balances().items():
                if currency.code in ("USD", "USDC", "USDT"):
                    equity += balance.total.as_double()
                    free[venue.value] = free.get(venue.value, 0.0) + balance.free.as_double()
        for pair in self.book.active():
            if pair.state in (OPEN, CLOSING):
                equity += float(self.pair_mtm(pair))
        self.equity_usd = equity
        self.free_usd = free
        self.guards.on_equity(equity)
        self._maybe_kill()

    def pair_mtm(self, pair: PositionPair) -> Decimal:
        """Unrealised price PnL of an open pair at the current mids (fees and funding excluded)."""
        lq = self.quotes.get(InstrumentId.from_str(pair.long_instrument))
        sq = self.quotes.get(InstrumentId.from_str(pair.short_instrument))
        if not lq or not sq or not lq.ts or not sq.ts:
            return Decimal(0)
        return pair.trading_pnl(Decimal(repr(lq.mid)), Decimal(repr(sq.mid))) - pair.adjustments

    def exposure_usd(self, asset: str | None = None) -> float:
        total = 0.0
        for pair in self.book.active():
            if asset is None or pair.asset == asset:
                q = self.quotes.get(InstrumentId.from_str(pair.long_instrument))
                total += float(pair.quantity) * (q.mid if q and q.ts else 0.0)
        return total

    # -- heartbeat -------------------------------------------------------------------------------------
    def _heartbeat(self, event: TimeEvent) -> None:
        now = self.clock.timestamp_ns()
        uptime_h = (now - self._started_ns) / 3.6e12
        closed = self.book.closed()
        positions = {}
        for instrument_id in self._markets:
            qty = self.position_of(instrument_id)
            if qty:
                positions[instrument_id.value] = str(qty)
        lines = [
            f"heartbeat: up {uptime_h:.2f} h, trades {len(closed)}, open pairs {len([p for p in self.book.active() if p.state == OPEN])}, "
            f"equity {self.equity_usd:,.2f}, positions {positions or 'flat'}"
        ]
        lines += self.heartbeat_lines(now)
        if self.guards.blocked:
            lines.append(f"  entries blocked: {dict(self.guards.blocked)}")
        if self.guards.killed_reason:
            lines.append(f"  KILLED: {self.guards.killed_reason}")
        for line in lines:
            self.log.info(line)

    def heartbeat_lines(self, now: int) -> list[str]:
        return []

    # -- results ---------------------------------------------------------------------------------------
    def results_tables(self) -> dict[str, pd.DataFrame]:
        out = {
            tables.TRADES: tables.frame(
                tables.TRADES, [p.as_row(*self._marks(p)) for p in self.book.pairs.values() if p.entry_ts]
            ),
            tables.LEG_RISK: tables.frame(tables.LEG_RISK, [e.as_row() for e in self.executor.history]),
        }
        out.update(self.extra_tables())
        return out

    def _marks(self, pair: PositionPair) -> tuple[Decimal | None, Decimal | None]:
        lq = self.quotes.get(InstrumentId.from_str(pair.long_instrument))
        sq = self.quotes.get(InstrumentId.from_str(pair.short_instrument))
        if not lq or not sq or not lq.ts or not sq.ts:
            return None, None
        return Decimal(repr(lq.mid)), Decimal(repr(sq.mid))

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {}

    def results_summary(self) -> dict[str, Any]:
        closed = self.book.closed()
        nets = [float(p.net_pnl()) for p in closed]
        history = self.executor.history
        latencies = [
            e.hedge_latency_ms()
            for e in history
            if e.purpose == ENTRY and not math.isnan(e.hedge_latency_ms())
        ]
        sent, filled = self.executor.sent_by_venue, self.executor.filled_by_venue
        out = {
            "kind": self.kind,
            "trades": len(closed),
            "open_pairs": len([p for p in self.book.active()]),
            "wins": sum(1 for n in nets if n > 0),
            "losses": sum(1 for n in nets if n <= 0),
            "net_pnl_closed": round(sum(nets), 6),
            "executions": len(history),
            "orphans": sum(1 for e in history if e.orphan),
            "flatten_cost": round(float(sum((e.flatten_cost() for e in history), Decimal(0))), 6),
            "hedge_latency_ms_mean": round(statistics.fmean(latencies), 3) if latencies else None,
            "hedge_latency_ms_max": round(max(latencies), 3) if latencies else None,
            "fill_ratio_by_venue": {v: round(filled.get(v, 0) / n, 4) for v, n in sorted(sent.items()) if n},
            "delta_repairs": self.executor.delta_repairs,
            "entries_blocked": dict(self.guards.blocked),
            "kill_switch": self.guards.killed_reason,
            "unattributed_funding": float(self._unattributed_funding),
        }
        out.update(self.extra_summary())
        return out

    def extra_summary(self) -> dict[str, Any]:
        return {}
