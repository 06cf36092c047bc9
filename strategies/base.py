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
from nautilus_trader.trading.strategy import Strategy

from backtests import tables
from catalog.funding import FundingPayment
from catalog.registry import MarketSpec
from catalog.registry import Registry
from catalog.registry import default_registry
from strategies.guards import Guards
from strategies.legs import ENTRY
from strategies.legs import EXIT
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
        minutes = self.config.heartbeat_minutes
        if minutes and minutes > 0:
            self.clock.set_timer(
                "heartbeat", interval=pd.Timedelta(minutes=minutes), callback=self._heartbeat
            )

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
            Leg(long_id, OrderSide.SELL, qty, Decimal(repr(lq.bid)) if lq and lq.bid else None),
            Leg(short_id, OrderSide.BUY, qty, Decimal(repr(sq.ask)) if sq and sq.ask else None),
        ]
        self.persist()
        self.log.info(f"{'exit' if qty == pair.quantity else f'reduce by {qty}'} {pair.pair_id} ({reason})")
        self.executor.execute(pair.pair_id, EXIT, pair.asset, legs)
        return True

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
            net = pair.net_pnl()
            self.guards.on_trade_closed(net, now)
            self.guards.start_cooldown(pair.asset, now)
            self.log.info(f"closed {pair.pair_id} ({pair.exit_reason}): net {net:.2f}")
            self.on_pair_closed(pair)
            self._maybe_kill()

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
            self.close_all("kill_switch")

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
