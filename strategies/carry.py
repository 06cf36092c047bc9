"""Carry: collect funding differentials while delta-neutral (perp-perp across venues, spot-perp).

Trading rules:

* Funding is normalised per hour from each venue's own interval (read from the updates'
  `next_funding_ns` spacing when the venue announces it, else the registry), so hourly venues and
  4 h / 8 h venues compare. `use_predicted` chooses the latest announced rate or the last settled one.
* A perp-perp pair is long the venue with the lower hourly rate and short the higher; a spot-perp pair
  is long spot and short the perp (only when the perp's funding is positive).
* Expected net yield over `horizon_hours` = differential x horizon - round-trip taker fees of both legs
  - `slippage_bps`; an asset is a candidate when that clears `min_yield_bps` (and, with the percentile
  rule, when the differential is above its rolling `entry_percentile`).
* Allocation: `capital_fraction` of equity, per-leg notional. Tier 1 trades only the single best asset;
  tier 2 splits across the best `tier2_max_assets`, tier 3 across all candidates, in proportion to
  yield, capped at `max_asset_fraction` of the carry capital; an asset whose share is below either
  leg's minimum order is dropped and the rest re-split (pivot). Equal base quantity on both legs,
  rounded to the coarser lot; margin on both venues is checked before sending.
* Exits: funding reversal (differential below `exit_threshold_bps_per_hour` for `exit_after_intervals`
  consecutive new intervals), percentile exit, MTM take profit, max hold: all voluntary, so not before
  `min_hold_hours`. Stops at any time: MTM stop (basis widened `mtm_stop_bps` against the pair),
  trailing stop from the pair's peak total PnL, max loss per trade, liquidation distance, margin ratio
  (reduce below `min_margin_ratio`, close everything below half of it), kill switch, emergency close.
* Entries pause on a flash crash (a move over `flash_crash_pct` within `flash_crash_window_s`), on low
  balance and on stale quotes (shared guards).
* A funding ledger per pair: predicted (the first announced rate of each settlement x position),
  accrued (the `FundingPayment`s of both legs), realised total, basis mark-to-market and fees.
"""

from __future__ import annotations

import math
from collections import deque
from decimal import Decimal
from typing import Any

import pandas as pd
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue

from backtests import tables
from catalog.funding import FundingPayment
from catalog.registry import MarketSpec
from catalog.registry import Registry
from strategies import carry_math as cm
from strategies.base import PairStrategy
from strategies.base import Quote
from strategies.guards import GuardConfig
from strategies.kinds import StrategyKind
from strategies.legs import ExecConfig
from strategies.legs import Leg
from strategies.pairs import OPEN
from strategies.pairs import OPENING
from strategies.pairs import PositionPair
from strategies.scalp import PairSpec
from strategies.scalp import pair_instruments
from strategies.scalp import resolve_pair
from strategies.signals import coarser_lot
from strategies.signals import round_to_lot
from strategies.signals import size_check

NANOS_PER_HOUR = 3_600_000_000_000
NANOS_PER_S = 1_000_000_000


class CarryConfig(StrategyConfig, frozen=True, kw_only=True):
    pairs: tuple[PairSpec, ...] = ()
    tier: int = 1
    tier2_max_assets: int = 3
    capital_fraction: float = 0.5
    max_asset_fraction: float = 1.0
    horizon_hours: float = 72.0
    min_yield_bps: float = 5.0
    slippage_bps: float = 2.0
    use_predicted: bool = True
    percentile_window: int = 168  # differential samples (one per funding update of either leg)
    percentile_min_samples: int = 10
    entry_percentile: float | None = None
    exit_percentile: float | None = None
    exit_threshold_bps_per_hour: float = 0.0
    exit_after_intervals: int = 3
    min_hold_hours: float = 8.0
    max_hold_hours: float = 24.0 * 14
    mtm_stop_bps: float = 150.0
    mtm_take_profit_bps: float | None = None
    trailing_stop_usd: float | None = None
    rebalance_minutes: float = 15.0
    startup_grace_minutes: float = 60.0  # allocate before every pair has rates only after this long
    check_interval_s: float = 10.0
    min_margin_ratio: float | None = None  # free / total balance on a venue
    emergency_margin_ratio: float | None = None  # below this on any venue: emergency close of everything
    margin_reduce_fraction: float = 0.5
    min_liquidation_distance_pct: float | None = None
    flash_crash_pct: float | None = 5.0
    flash_crash_window_s: float = 60.0
    flash_crash_pause_s: float = 900.0
    heartbeat_minutes: float = 60.0
    account_refresh_s: float = 5.0
    guards: GuardConfig = GuardConfig()
    execution: ExecConfig = ExecConfig()
    registry_path: str | None = None

    def check(self, registry: Registry) -> None:
        if not self.pairs:
            raise ValueError(
                'pairs: at least one pair is needed, e.g. { asset = "BTC", venues = ["HYPERLIQUID", "BYBIT"] }'
            )
        for i, pair in enumerate(self.pairs):
            try:
                a, b = resolve_pair(pair, registry)
            except ValueError as e:
                raise ValueError(f"pairs[{i}]: {e}") from None
            if not (a.is_perp or b.is_perp):
                raise ValueError(f"pairs[{i}]: a carry pair needs at least one perp")
        if self.tier not in (1, 2, 3):
            raise ValueError(f"tier: {self.tier} is not allowed (allowed: 1, 2, 3)")
        if not 0 < self.capital_fraction <= 1 or not 0 < self.max_asset_fraction <= 1:
            raise ValueError("capital_fraction and max_asset_fraction must be in (0, 1]")
        for name in ("entry_percentile", "exit_percentile"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 100:
                raise ValueError(f"{name}: must be between 0 and 100")
        self.execution.check()


def carry_instruments(config: CarryConfig, registry: Registry) -> list[str]:
    return pair_instruments(config.pairs, registry)


class FundingState:
    """What the strategy knows of one perp's funding."""

    __slots__ = ("announced", "interval_hours", "next_funding_ns", "rate", "settled_rate", "ts")

    def __init__(self, interval_hours: float) -> None:
        self.rate = 0.0  # latest announced (predicted) rate, per interval
        self.settled_rate: float | None = None
        self.next_funding_ns: int | None = None
        self.interval_hours = interval_hours
        self.ts = 0
        self.announced: dict[int, float] = {}  # settlement time -> first rate announced for it


class CarryPairRuntime:
    def __init__(self, a: MarketSpec, b: MarketSpec) -> None:
        self.a, self.b = a, b
        self.asset = a.asset
        self.label = f"{a.asset} {a.venue}{':spot' if a.kind == 'spot' else ''}/{b.venue}{':spot' if b.kind == 'spot' else ''}"
        self.history: deque[float] = deque()
        self.pair: PositionPair | None = None
        self.interval_started: int | None = None


class CarryStrategy(PairStrategy):
    kind = "carry"

    def __init__(self, config: CarryConfig) -> None:
        super().__init__(config)
        self.runtimes: list[CarryPairRuntime] = []
        for spec in config.pairs:
            a, b = resolve_pair(spec, self.registry)
            self.runtimes.append(CarryPairRuntime(a, b))
        self.funding: dict[InstrumentId, FundingState] = {}
        self._next_check = 0
        self._next_rebalance = 0
        self._check_ns = int(config.check_interval_s * NANOS_PER_S)
        self._rebalance_ns = int(config.rebalance_minutes * 60 * NANOS_PER_S)
        self._ledger_rows: list[dict] = []
        self._rate_rows: list[dict] = []
        self._price_window: dict[str, deque[tuple[int, float]]] = {}
        self.last_allocation: dict[str, float] = {}
        self.emergency_reason: str | None = None
        self._intervals_pending = False

    def instruments(self) -> list[InstrumentId]:
        ids = []
        for rt in self.runtimes:
            ids += [rt.a.instrument_id, rt.b.instrument_id]
        return list(dict.fromkeys(ids))

    def on_start(self) -> None:
        super().on_start()
        now = self.clock.timestamp_ns()
        for rt in self.runtimes:
            for m in (rt.a, rt.b):
                if m.is_perp and m.instrument_id not in self.funding:
                    self.funding[m.instrument_id] = FundingState(float(m.funding_interval_at(now) or 8))
                    self.subscribe_funding_rates(m.instrument_id)
        self.attach_restored_pairs(self.runtimes)
        self.route_quotes()

    # -- funding -------------------------------------------------------------------------------------
    def on_funding_rate(self, update: FundingRateUpdate) -> None:
        state = self.funding.get(update.instrument_id)
        if state is None:
            return
        rate = float(update.rate)
        nxt = update.next_funding_ns
        new_interval = False
        if nxt is not None:
            if state.next_funding_ns is not None and nxt != state.next_funding_ns:
                if nxt > state.next_funding_ns:
                    state.interval_hours = (
                        nxt - state.next_funding_ns
                    ) / NANOS_PER_HOUR  # the venue's interval, as it is now
                    state.settled_rate = state.rate
                new_interval = True
            state.next_funding_ns = nxt
            state.announced.setdefault(nxt, rate)
            if nxt <= update.ts_event:  # a settlement record: the rate is already the settled one
                state.settled_rate = rate
        else:
            market = self._markets.get(update.instrument_id)
            hours = market.funding_interval_at(update.ts_event) if market else None
            state.interval_hours = float(hours or state.interval_hours)
            state.settled_rate = rate
            new_interval = True
        state.rate = rate
        state.ts = update.ts_event
        market = self._markets.get(update.instrument_id)
        self._rate_rows.append(
            {
                "ts": update.ts_event,
                "instrument_id": update.instrument_id.value,
                "venue": update.instrument_id.venue.value,
                "asset": market.asset if market else "",
                "rate": rate,
                "interval_hours": state.interval_hours,
                "rate_per_hour": cm.rate_per_hour(rate, state.interval_hours),
                "apr": cm.apr(rate, state.interval_hours),
            }
        )
        for rt in self.runtimes:
            if update.instrument_id in (rt.a.instrument_id, rt.b.instrument_id):
                d = self._best_direction(rt)
                if d is not None:
                    rt.history.append(d[2])
                    while len(rt.history) > self.config.percentile_window:
                        rt.history.popleft()
                if new_interval:
                    # judged at the next quote, once every update of this instant has arrived
                    rt.interval_started = update.ts_event
                    self._intervals_pending = True
        # rebalance at the next quote, once every update of this instant has been seen
        self._next_rebalance = min(self._next_rebalance, update.ts_event)

    def _rate_h(self, market: MarketSpec) -> float | None:
        if not market.is_perp:
            return 0.0
        state = self.funding.get(market.instrument_id)
        if state is None or not state.ts:
            return None
        rate = state.rate if self.config.use_predicted or state.settled_rate is None else state.settled_rate
        return cm.rate_per_hour(rate, state.interval_hours)

    def _best_direction(self, rt: CarryPairRuntime) -> tuple[MarketSpec, MarketSpec, float] | None:
        """(long market, short market, differential per hour) for the better allowed direction."""
        ra, rb = self._rate_h(rt.a), self._rate_h(rt.b)
        if ra is None or rb is None:
            return None
        options = []
        if rt.b.is_perp:  # long A, short B
            options.append((rt.a, rt.b, cm.differential_per_hour(ra, rb)))
        if rt.a.is_perp:  # long B, short A
            options.append((rt.b, rt.a, cm.differential_per_hour(rb, ra)))
        return max(options, key=lambda o: o[2]) if options else None

    def _pair_differential(self, pair: PositionPair) -> float | None:
        long_m = self._markets[InstrumentId.from_str(pair.long_instrument)]
        short_m = self._markets[InstrumentId.from_str(pair.short_instrument)]
        rl, rs = self._rate_h(long_m), self._rate_h(short_m)
        return None if rl is None or rs is None else cm.differential_per_hour(rl, rs)

    def expected_yield(self, long_m: MarketSpec, short_m: MarketSpec, diff_h: float, now: int) -> float:
        fees = cm.round_trip_fees_bps(float(long_m.fee("taker", now)), float(short_m.fee("taker", now)))
        return cm.expected_yield_bps(diff_h, self.config.horizon_hours, fees, self.config.slippage_bps)

    # -- allocation and entries ------------------------------------------------------------------------
    def _maybe_rebalance(self, now: int) -> None:
        if now < self._next_rebalance:
            return
        self._next_rebalance = now + self._rebalance_ns
        self.refresh_account_view(now)
        if self.guards.killed_reason or self.emergency_reason:
            return
        c = self.config
        waiting = [rt.label for rt in self.runtimes if self._best_direction(rt) is None]
        if waiting and now - self._started_ns < c.startup_grace_minutes * 60 * NANOS_PER_S:
            return  # choosing the best asset on partial information would be wrong
        candidates: list[cm.Candidate] = []
        chosen: dict[str, tuple[CarryPairRuntime, MarketSpec, MarketSpec, float, float]] = {}
        for rt in self.runtimes:
            best = self._best_direction(rt)
            if best is None:
                continue
            long_m, short_m, diff = best
            y = self.expected_yield(long_m, short_m, diff, now)
            if y < c.min_yield_bps:
                continue
            if c.entry_percentile is not None and not self._above_entry_percentile(rt, diff):
                continue
            if rt.asset not in chosen or y > chosen[rt.asset][4]:
                chosen[rt.asset] = (rt, long_m, short_m, diff, y)
        for asset, (_rt, long_m, short_m, _, y) in chosen.items():
            price = self._mid(long_m.instrument_id)
            if not price:
                continue
            lot = coarser_lot(long_m.lot, short_m.lot)
            min_notional = max(float(m.min_notional) for m in (long_m, short_m))
            min_notional = max(
                min_notional, max(float(m.min_size) for m in (long_m, short_m)) * price, float(lot) * price
            )
            candidates.append(cm.Candidate(asset, y, min_notional))
        equity = self.equity_usd if not math.isnan(self.equity_usd) else 0.0
        capital = equity * c.capital_fraction
        max_assets = {1: 1, 2: c.tier2_max_assets, 3: None}[c.tier]
        allocation = cm.allocate(candidates, capital, capital * c.max_asset_fraction, max_assets)
        self.last_allocation = allocation
        for asset, notional in allocation.items():
            rt, long_m, short_m, diff, y = chosen[asset]
            if rt.pair is not None or any(p.asset == asset for p in self.book.active()):
                continue
            self._enter(rt, long_m, short_m, notional, diff, y, now)

    def _above_entry_percentile(self, rt: CarryPairRuntime, diff: float) -> bool:
        """The percentile rule: enter only when the differential is strictly above its rolling p-th
        percentile; with fewer than `percentile_min_samples` samples there is no percentile yet."""
        if len(rt.history) < self.config.percentile_min_samples:
            self.guards.blocked["percentile_warmup"] += 1
            return False
        if diff > cm.percentile(list(rt.history), self.config.entry_percentile):  # type: ignore[arg-type]
            return True
        self.guards.blocked["below_entry_percentile"] += 1
        return False

    def _mid(self, instrument_id: InstrumentId) -> float:
        q = self.quotes.get(instrument_id)
        return q.mid if q and q.ts else 0.0

    def _enter(
        self,
        rt: CarryPairRuntime,
        long_m: MarketSpec,
        short_m: MarketSpec,
        notional: float,
        diff: float,
        y: float,
        now: int,
    ) -> None:
        if self.executor.busy(rt.asset):
            return
        lq, sq = self.quotes.get(long_m.instrument_id), self.quotes.get(short_m.instrument_id)
        if not lq or not sq or not lq.ts or not sq.ts:
            return
        lq.load_sizes(self.cache, long_m.instrument_id)
        sq.load_sizes(self.cache, short_m.instrument_id)
        lot = coarser_lot(long_m.lot, short_m.lot)
        quantity = round_to_lot(Decimal(repr(notional / lq.mid)), lot)
        quantity = min(quantity, round_to_lot(Decimal(repr(min(lq.ask_size, sq.bid_size))), lot))
        for market, px in ((long_m, lq.ask), (short_m, sq.bid)):
            if size_check(quantity, Decimal(repr(px)), market.min_size, market.min_notional) is not None:
                self.guards.blocked["min_size"] += 1
                return
        # margin needed on each venue, checked before either leg is sent
        for market, px in ((long_m, lq.ask), (short_m, sq.bid)):
            needed = float(quantity) * px * self._initial_margin(market)
            free = self.free_usd.get(market.venue, 0.0)
            if needed > free:
                self.guards.blocked[f"margin:{market.venue}"] += 1
                return
        reason = self.guards.entry_block(
            rt.asset, now, (lq.ts, sq.ts), (long_m.venue, short_m.venue), float(quantity) * lq.mid,
            self.exposure_usd(rt.asset), self.exposure_usd(), self.free_usd,
        )  # fmt: skip
        if reason is not None:
            return
        pair = PositionPair(
            pair_id=self.book.new_id(f"C{rt.asset}", now),
            kind="carry",
            asset=rt.asset,
            long_instrument=long_m.instrument_id.value,
            short_instrument=short_m.instrument_id.value,
            quantity=quantity,
            state=OPENING,
            expected_edge_bps=y,
            entry_spread_bps=(sq.mid / lq.mid - 1.0) * 1e4,
            extra={
                "differential_per_hour": diff,
                "below_threshold": 0,
                "predicted_total": 0.0,
                "allocated_usd": notional,
            },
        )
        rt.pair = pair
        self.log.info(
            f"entry {pair.pair_id}: long {long_m.instrument_id} short {short_m.instrument_id} qty {quantity}, "
            f"differential {diff * 1e4:.3f} bps/h ({diff * cm.HOURS_PER_YEAR:.1%} APR), expected {y:.1f} bps over {self.config.horizon_hours:g} h"
        )
        self.open_pair(
            pair,
            Leg(long_m.instrument_id, OrderSide.BUY, quantity, Decimal(repr(lq.ask))),
            Leg(short_m.instrument_id, OrderSide.SELL, quantity, Decimal(repr(sq.bid))),
            y,
        )

    def _leverage(self, market: MarketSpec) -> float:
        account = self.cache.account_for_venue(Venue(market.venue))
        if account is None or not account.is_margin_account or not market.is_perp:
            return 1.0
        return float(account.leverage(market.instrument_id) or account.default_leverage or 1)

    def _initial_margin(self, market: MarketSpec) -> float:
        """Margin per unit notional on the venue: 1 / leverage (spot is fully paid)."""
        return 1.0 / max(self._leverage(market), 1.0)

    # -- exits -----------------------------------------------------------------------------------------
    def _held_long_enough(self, pair: PositionPair, now: int) -> bool:
        return (
            pair.entry_ts is not None and now - pair.entry_ts >= self.config.min_hold_hours * NANOS_PER_HOUR
        )

    def _judge_new_intervals(self, now: int) -> None:
        pending = False
        for rt in self.runtimes:
            started = rt.interval_started
            if started is None:
                continue
            if started >= now:
                pending = True
                continue
            rt.interval_started = None
            if rt.pair is not None and rt.pair.state == OPEN:
                self._check_reversal(rt, rt.pair, started, now)
        self._intervals_pending = pending

    def _check_reversal(self, rt: CarryPairRuntime, pair: PositionPair, interval_ts: int, now: int) -> None:
        c = self.config
        diff = self._pair_differential(pair)
        if diff is None:
            return
        if pair.extra.get("last_interval_check") == interval_ts:
            return  # two legs starting an interval at the same instant count once
        pair.extra["last_interval_check"] = interval_ts
        below = diff * 1e4 < c.exit_threshold_bps_per_hour
        pair.extra["below_threshold"] = pair.extra.get("below_threshold", 0) + 1 if below else 0
        if not self._held_long_enough(pair, now):
            return
        if pair.extra["below_threshold"] >= c.exit_after_intervals:
            self.close_pair(pair, "funding_reversal")
        elif (
            c.exit_percentile is not None
            and len(rt.history) >= c.percentile_min_samples
            and diff < cm.percentile(list(rt.history), c.exit_percentile)
        ):
            self.close_pair(pair, "percentile_exit")

    def on_quote(self, instrument_id: InstrumentId, quote: Quote, ts: int) -> None:
        if self._intervals_pending:
            self._judge_new_intervals(ts)
        if ts >= self._next_check or ts >= self._next_rebalance:
            self._next_check = ts + self._check_ns
            self._periodic(ts)

    def _periodic(self, now: int) -> None:
        self.refresh_account_view(now)
        self._watch_flash_crash(now)
        if self.emergency_reason:
            self.close_all("emergency")
            return
        self._check_margin(now)
        c = self.config
        for rt in self.runtimes:
            pair = rt.pair
            if pair is None or pair.state != OPEN:
                continue
            lq = self.quotes[InstrumentId.from_str(pair.long_instrument)]
            sq = self.quotes[InstrumentId.from_str(pair.short_instrument)]
            if not lq.ts or not sq.ts:
                continue
            basis = (sq.mid / lq.mid - 1.0) * 1e4
            moved = basis - pair.entry_spread_bps  # > 0: the short leg got dearer: a loss on price
            total = self.pair_mtm(pair) + pair.adjustments - pair.fees + pair.funding
            pair.peak_pnl = max(pair.peak_pnl, total)
            reason = None
            if self.guards.killed_reason:
                reason = "kill_switch"
            elif moved >= c.mtm_stop_bps:
                reason = "mtm_stop"
            elif c.trailing_stop_usd is not None and pair.peak_pnl - total >= Decimal(
                str(c.trailing_stop_usd)
            ):
                reason = "trailing_stop"
            elif self.guards.trade_loss_exceeded(total):
                reason = "max_loss"
            elif self._liquidation_near(pair, lq, sq):
                reason = "liquidation_distance"
            elif self._held_long_enough(pair, now):
                if c.mtm_take_profit_bps is not None and -moved >= c.mtm_take_profit_bps:
                    reason = "mtm_take_profit"
                elif now - (pair.entry_ts or now) >= c.max_hold_hours * NANOS_PER_HOUR:
                    reason = "max_hold"
            if reason is not None:
                self.close_pair(pair, reason)
        self._maybe_rebalance(now)

    def _liquidation_near(self, pair: PositionPair, lq: Quote, sq: Quote) -> bool:
        limit = self.config.min_liquidation_distance_pct
        if limit is None:
            return False
        for instrument, quote, long, entry in (
            (pair.long_instrument, lq, True, pair.entry_long_px),
            (pair.short_instrument, sq, False, pair.entry_short_px),
        ):
            market = self._markets[InstrumentId.from_str(instrument)]
            if not market.is_perp or entry is None:
                continue
            leverage = self._leverage(market)
            instrument_obj = self.cache.instrument(market.instrument_id)
            # Nautilus's leveraged margin model: maintenance = notional x margin_maint / leverage
            mm_rate = float(instrument_obj.margin_maint) / leverage if instrument_obj is not None else 0.0
            liq = cm.liquidation_price(float(entry), long, leverage, mm_rate)
            distance = abs(quote.mid - liq) / quote.mid * 100
            if distance < limit:
                self.log.warning(
                    f"{pair.pair_id}: {instrument} is {distance:.2f}% from its estimated liquidation price {liq:.2f}"
                )
                return True
        return False

    def _check_margin(self, now: int) -> None:
        limit = self.config.min_margin_ratio
        emergency = self.config.emergency_margin_ratio
        if limit is None and emergency is None:
            return
        for venue in sorted({m.venue for m in self._markets.values()}):
            account = self.cache.account_for_venue(Venue(venue))
            if account is None:
                continue
            total = sum(b.total.as_double() for b in account.balances().values())
            free = sum(b.free.as_double() for b in account.balances().values())
            ratio = free / total if total > 0 else 0.0
            if emergency is not None and ratio < emergency:
                self.emergency_close(f"margin ratio on {venue} is {ratio:.3f} (< {emergency})")
                return
            if limit is None or ratio >= limit:
                continue
            pairs = [
                p
                for p in self.book.active()
                if p.state == OPEN
                and venue in (p.long_instrument.rsplit(".", 1)[1], p.short_instrument.rsplit(".", 1)[1])
            ]
            if not pairs:
                continue
            if ratio < limit / 2:
                self.log.error(
                    f"margin ratio on {venue} is {ratio:.3f} (< {limit / 2:.3f}): closing its pairs"
                )
                for pair in pairs:
                    self.close_pair(pair, "margin_critical")
                continue
            self.log.warning(f"margin ratio on {venue} is {ratio:.3f} (< {limit}): reducing its pairs")
            for pair in pairs:
                lot = coarser_lot(
                    *(
                        self._markets[InstrumentId.from_str(i)].lot
                        for i in (pair.long_instrument, pair.short_instrument)
                    )
                )
                cut = round_to_lot(pair.quantity * Decimal(str(self.config.margin_reduce_fraction)), lot)
                if cut > 0:
                    self.close_pair(pair, "margin_reduce", quantity=cut)

    def _watch_flash_crash(self, now: int) -> None:
        """Any leg of an asset moving more than `flash_crash_pct` within the window pauses its entries."""
        c = self.config
        if c.flash_crash_pct is None:
            return
        window_ns = int(c.flash_crash_window_s * NANOS_PER_S)
        for instrument_id, market in self._markets.items():
            mid = self._mid(instrument_id)
            if not mid:
                continue
            points = self._price_window.setdefault(instrument_id.value, deque())
            points.append((now, mid))
            while points and points[0][0] < now - window_ns:
                points.popleft()
            lo = min(p for _, p in points)
            hi = max(p for _, p in points)
            if lo > 0 and (hi / lo - 1) * 100 > c.flash_crash_pct:
                self.guards.pause(market.asset, now + int(c.flash_crash_pause_s * NANOS_PER_S), "flash_crash")

    def emergency_close(self, reason: str) -> None:
        """Close every pair now and stop entering (an operator's or a guard's call)."""
        if self.emergency_reason is not None:
            self.close_all("emergency")
            return
        self.emergency_reason = reason
        self.guards.kill(f"emergency: {reason}")
        self.log.error(f"emergency close: {reason}")
        self.close_all("emergency")

    # -- ledger ----------------------------------------------------------------------------------------
    def on_pair_funding(self, pair: PositionPair, payment: FundingPayment, share: Decimal) -> None:
        state = self.funding.get(payment.instrument_id)
        first = state.announced.get(payment.ts_event) if state else None
        is_long = pair.long_instrument == payment.instrument_id.value
        signed = float(pair.quantity) * (1 if is_long else -1)
        predicted = (
            -signed * float(payment.mark_price) * (first if first is not None else float(payment.rate))
        )
        pair.extra["predicted_total"] = pair.extra.get("predicted_total", 0.0) + predicted
        self._ledger_rows.append(
            {
                "pair_id": pair.pair_id,
                "ts": payment.ts_event,
                "instrument_id": payment.instrument_id.value,
                "predicted": predicted,
                "accrued": float(share),
                "realized_total": float(pair.funding),
                "basis_mtm": float(self.pair_mtm(pair)),
                "fees_total": float(pair.fees),
            }
        )

    def on_pair_closed(self, pair: PositionPair) -> None:
        for rt in self.runtimes:
            if rt.pair is pair:
                rt.pair = None

    # -- observability ---------------------------------------------------------------------------------
    def heartbeat_lines(self, now: int) -> list[str]:
        lines = []
        for rt in self.runtimes:
            best = self._best_direction(rt)
            if best is None:
                lines.append(f"  {rt.label}: waiting for funding rates")
                continue
            long_m, short_m, diff = best
            y = self.expected_yield(long_m, short_m, diff, now)
            lines.append(
                f"  {rt.label}: long {long_m.venue} short {short_m.venue} {diff * 1e4:+.3f} bps/h "
                f"({diff * cm.HOURS_PER_YEAR:+.1%} APR), expected {y:+.1f} bps vs min {self.config.min_yield_bps}"
            )
        if self.last_allocation:
            lines.append(
                f"  allocation: {', '.join(f'{a} {n:,.0f}' for a, n in self.last_allocation.items())}"
            )
        return lines

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {
            tables.CARRY_LEDGER: tables.frame(tables.CARRY_LEDGER, self._ledger_rows),
            tables.FUNDING_RATES: tables.frame(tables.FUNDING_RATES, self._rate_rows),
        }

    def extra_summary(self) -> dict[str, Any]:
        pairs = [p for p in self.book.pairs.values() if p.entry_ts]
        return {
            "funding_predicted": round(sum(p.extra.get("predicted_total", 0.0) for p in pairs), 6),
            "funding_accrued": round(float(sum((p.funding for p in pairs), Decimal(0))), 6),
            "funding_realized": round(
                float(sum((p.funding for p in pairs if p.state == "closed"), Decimal(0))), 6
            ),
            "last_allocation": self.last_allocation,
            "pairs": {
                p.pair_id: {
                    "asset": p.asset,
                    "allocated_usd": round(p.extra.get("allocated_usd", 0.0), 6),
                    "differential_bps_per_hour_at_entry": round(
                        p.extra.get("differential_per_hour", 0.0) * 1e4, 6
                    ),
                    "expected_yield_bps": round(p.expected_edge_bps, 6),
                    "funding_predicted": round(p.extra.get("predicted_total", 0.0), 6),
                    "funding_accrued": float(p.funding),
                }
                for p in pairs
            },
            "emergency": self.emergency_reason,
        }


def bench_config(instruments: list[str]) -> dict[str, Any]:
    from catalog.registry import default_registry

    registry = default_registry()
    by_asset: dict[str, list[str]] = {}
    for instrument_id in instruments:
        m = registry.market_for(instrument_id)
        by_asset.setdefault(m.asset, []).append(f"{m.venue}:{m.kind}")
    pairs: list[dict[str, Any]] = []
    for asset, legs in sorted(by_asset.items()):
        perps = [leg for leg in legs if leg.endswith(":perp")]
        for i in range(len(perps)):
            for j in range(i + 1, len(perps)):
                pairs.append({"asset": asset, "venues": [perps[i], perps[j]]})
        pairs += [{"asset": asset, "venues": [s, perps[0]]} for s in legs if s.endswith(":spot") and perps]
    return {"kind": "carry", "name": "carry", "pairs": pairs, "tier": 3, "heartbeat_minutes": 0}


CARRY_KIND = StrategyKind(
    name="carry",
    strategy_path="strategies.carry:CarryStrategy",
    config_cls=CarryConfig,
    instruments=carry_instruments,
    summary="funding-rate arbitrage across venues and spot vs perp, with a funding ledger",
    bench_config=bench_config,
)
