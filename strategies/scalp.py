"""Scalp: cross-venue price arbitrage (perp-perp and spot-perp) with leg-risk control.

Trading rules, per configured pair (asset on venues A and B) and per direction:

* edge = what buying on one venue and selling on the other earns now, at executable prices for the
  intended size (the L2 book walked when `use_book`, else the top of book, size capped by it);
* enter when edge > trigger = max(rolling mean of that direction's edge + `trigger_k_bps`, floor),
  floor = both legs' taker fees + `slippage_bps` + `entry_bps`, after `warmup` samples;
* a spot leg can only be bought to open (no naked spot short);
* exit on take profit (closing edge >= `exit_edge_bps`, or >= `take_profit_capture` of the entry
  spread reverted), stop loss (spread `stop_loss_bps` wider than at entry), max loss per trade,
  `max_hold_s`, or the kill switch. Entries and exits go through the shared leg executor; the guards
  decide when not to enter.
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import partial
from typing import Any

import msgspec
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId

from backtests import tables
from catalog.registry import MarketSpec
from catalog.registry import Registry
from strategies.base import PairStrategy
from strategies.base import Quote
from strategies.guards import GuardConfig
from strategies.kinds import StrategyKind
from strategies.legs import ExecConfig
from strategies.legs import Leg
from strategies.pairs import OPEN
from strategies.pairs import OPENING
from strategies.pairs import PositionPair
from strategies.signals import BucketMean
from strategies.signals import captured_fraction
from strategies.signals import coarser_lot
from strategies.signals import dynamic_trigger
from strategies.signals import entry_floor_bps
from strategies.signals import round_to_lot
from strategies.signals import size_check
from strategies.signals import walk_book

INF = float("inf")


class PairSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    asset: str
    venues: list[str]  # two entries: "VENUE" (its perp) or "VENUE:spot" / "VENUE:perp"


def parse_leg(entry: str) -> tuple[str, str | None]:
    venue, _, kind = entry.partition(":")
    return venue, (kind or None)


def resolve_pair(spec: PairSpec, registry: Registry) -> tuple[MarketSpec, MarketSpec]:
    if len(spec.venues) != 2:
        raise ValueError(f"pair {spec.asset}: needs exactly two venues, got {spec.venues}")
    markets = []
    for entry in spec.venues:
        venue, kind = parse_leg(entry)
        if kind not in (None, "spot", "perp"):
            raise ValueError(f"pair {spec.asset}: '{entry}': kind must be spot or perp")
        markets.append(registry.market(spec.asset, venue, kind))  # type: ignore[arg-type]
    a, b = markets
    if a.instrument_id == b.instrument_id:
        raise ValueError(f"pair {spec.asset}: both legs are {a.instrument_id}")
    if a.kind == "spot" and b.kind == "spot":
        raise ValueError(f"pair {spec.asset}: two spot legs cannot be traded (a spot leg can only be bought)")
    return a, b


class ScalpConfig(StrategyConfig, frozen=True, kw_only=True):
    pairs: tuple[PairSpec, ...] = ()
    quantity: str | None = None  # base quantity per leg, or:
    notional_usd: float | None = None  # USD notional per leg, or:
    equity_fraction: float | None = None  # fraction of total equity per leg
    entry_bps: float = 15.0
    slippage_bps: float = 1.0
    trigger_k_bps: float = 5.0
    window: int = 600  # samples in the rolling mean of each direction's edge
    warmup: int = 120  # samples before the first entry
    sample_interval_ms: int = 1_000  # 0 = sample every quote
    trigger_update_samples: int = 30  # the rolling mean advances in buckets of this many samples
    exit_edge_bps: float = -3.0
    take_profit_capture: float = 0.8
    stop_loss_bps: float = 50.0
    max_hold_s: float = 900.0
    use_book: bool = False
    heartbeat_minutes: float = 60.0
    record_spread_every_s: float = 30.0
    account_refresh_s: float = 30.0  # equity (drawdown kill switch, sizing) and free balances
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
                resolve_pair(pair, registry)
            except ValueError as e:
                raise ValueError(f"pairs[{i}]: {e}") from None
        sizing = [x for x in (self.quantity, self.notional_usd, self.equity_fraction) if x is not None]
        if len(sizing) != 1:
            raise ValueError("set exactly one of quantity, notional_usd, equity_fraction")
        if self.warmup < 1 or self.window < self.warmup:
            raise ValueError("warmup must be >= 1 and window >= warmup")
        self.execution.check()


def pair_instruments(pairs: tuple[PairSpec, ...], registry: Registry) -> list[str]:
    """Every instrument the configured pairs trade, in config order (scalp and carry)."""
    out = []
    for pair in pairs:
        a, b = resolve_pair(pair, registry)
        out += [a.instrument_id.value, b.instrument_id.value]
    return list(dict.fromkeys(out))


def scalp_instruments(config: ScalpConfig, registry: Registry) -> list[str]:
    return pair_instruments(config.pairs, registry)


class PairRuntime:
    """The live state of one configured pair."""

    __slots__ = (
        "a",
        "a_id",
        "acc_ab",
        "acc_ba",
        "acc_n",
        "asset",
        "b",
        "b_id",
        "can_ab",
        "can_ba",
        "direction_ab",
        "direction_ba",
        "floor_ab",
        "floor_ba",
        "label",
        "last_record",
        "last_sample",
        "mean_ab",
        "mean_ba",
        "pair",
        "qa",
        "qb",
        "trigger_ab",
        "trigger_ba",
    )  # fmt: skip

    def __init__(self, a: MarketSpec, b: MarketSpec, window: int, bucket: int) -> None:
        self.qa: Quote = Quote()  # replaced by the strategy's live quote objects at start
        self.qb: Quote = Quote()
        self.a, self.b = a, b
        self.a_id, self.b_id = a.instrument_id, b.instrument_id
        self.asset = a.asset
        self.label = f"{a.asset} {a.venue}{':spot' if a.kind == 'spot' else ''}/{b.venue}{':spot' if b.kind == 'spot' else ''}"
        self.direction_ab = f"buy {a.venue} sell {b.venue}"
        self.direction_ba = f"buy {b.venue} sell {a.venue}"
        self.can_ab = b.kind != "spot"  # buy A, sell B: B must be shortable
        self.can_ba = a.kind != "spot"
        self.mean_ab, self.mean_ba = BucketMean(window, bucket), BucketMean(window, bucket)
        self.acc_ab = self.acc_ba = 0.0
        self.acc_n = 0
        self.trigger_ab = self.trigger_ba = INF
        self.floor_ab = self.floor_ba = INF
        self.last_sample = self.last_record = 0
        self.pair: PositionPair | None = None


class ScalpStrategy(PairStrategy):
    kind = "scalp"

    def __init__(self, config: ScalpConfig) -> None:
        super().__init__(config)
        self.runtimes: list[PairRuntime] = []
        self._by_instrument: dict[InstrumentId, list[PairRuntime]] = {}
        for spec in config.pairs:
            a, b = resolve_pair(spec, self.registry)
            rt = PairRuntime(a, b, config.window, min(config.trigger_update_samples, config.warmup))
            self.runtimes.append(rt)
            self._by_instrument.setdefault(a.instrument_id, []).append(rt)
            self._by_instrument.setdefault(b.instrument_id, []).append(rt)
        self._sample_ns = config.sample_interval_ms * 1_000_000
        self._record_ns = int(config.record_spread_every_s * 1e9)
        self._spread_rows: list[tuple[int, str, str, float, float]] = []
        self._hot: dict[InstrumentId, tuple[Quote, list[PairRuntime]]] = {}
        self.entries_attempted = 0

    def instruments(self) -> list[InstrumentId]:
        return list(self._by_instrument)

    def on_start(self) -> None:
        super().on_start()
        for rt in self.runtimes:
            if rt.a_id in self.quotes and rt.b_id in self.quotes:
                rt.qa, rt.qb = self.quotes[rt.a_id], self.quotes[rt.b_id]
        self._hot = {
            i: (self.quotes[i], rts)
            for i, rts in self._by_instrument.items()
            if i in self.quotes and all(r.a_id in self.quotes and r.b_id in self.quotes for r in rts)
        }
        self.route_quotes()
        self._refresh_floors()
        self.attach_restored_pairs(self.runtimes)

    def _refresh_floors(self) -> None:
        now = self.clock.timestamp_ns()
        c = self.config
        for rt in self.runtimes:
            fa, fb = float(rt.a.fee("taker", now)), float(rt.b.fee("taker", now))
            rt.floor_ab = rt.floor_ba = entry_floor_bps(fa, fb, c.slippage_bps, c.entry_bps)
            self._update_triggers(rt)

    def _update_triggers(self, rt: PairRuntime) -> None:
        if rt.mean_ab.samples < self.config.warmup:
            rt.trigger_ab = rt.trigger_ba = INF
            return
        k = self.config.trigger_k_bps
        rt.trigger_ab = dynamic_trigger(rt.mean_ab.mean, k, rt.floor_ab) if rt.can_ab else INF
        rt.trigger_ba = dynamic_trigger(rt.mean_ba.mean, k, rt.floor_ba) if rt.can_ba else INF

    # -- the signal (hot path) -------------------------------------------------------------------------
    def quote_handler(self, instrument_id: InstrumentId, quote: Quote):
        hot = self._hot.get(instrument_id)
        return partial(self._on_quote, quote, hot[1]) if hot is not None else None

    def _on_quote(self, quote: Quote, runtimes: list[PairRuntime], tick) -> None:
        # Runs for every quote: kept to float arithmetic on pre-resolved objects (see `arb bench backtest`).
        quote.bid = tick.bid_price.as_double()
        quote.ask = tick.ask_price.as_double()
        ts = quote.ts = tick.ts_init
        sample_ns = self._sample_ns
        for rt in runtimes:
            qa = rt.qa
            qb = rt.qb
            if not qa.ts or not qb.ts:
                continue
            e_ab = (qb.bid / qa.ask - 1.0) * 1e4
            e_ba = (qa.bid / qb.ask - 1.0) * 1e4
            if ts - rt.last_sample >= sample_ns:
                rt.last_sample = ts
                rt.acc_ab += e_ab
                rt.acc_ba += e_ba
                rt.acc_n += 1
                if rt.acc_n >= rt.mean_ab.bucket:
                    self._roll(rt, e_ab, e_ba, ts)
            if rt.pair is not None:
                if rt.pair.state == OPEN:
                    self._check_exit(rt, rt.pair, ts)
                continue
            if e_ab > rt.trigger_ab:
                self._try_enter(rt, True, e_ab, ts)
            elif e_ba > rt.trigger_ba:
                self._try_enter(rt, False, e_ba, ts)

    def on_quote(self, instrument_id: InstrumentId, quote: Quote, ts: int) -> None:  # pragma: no cover
        raise AssertionError("ScalpStrategy handles quotes in on_quote_tick")

    def _roll(self, rt: PairRuntime, e_ab: float, e_ba: float, ts: int) -> None:
        """A bucket of samples is complete: advance the means, the triggers, warm-up and records."""
        rt.mean_ab.roll(rt.acc_ab)
        rt.mean_ba.roll(rt.acc_ba)
        rt.acc_ab = rt.acc_ba = 0.0
        rt.acc_n = 0
        if rt.trigger_ab == INF and rt.trigger_ba == INF:
            self._warmup_progress(rt)
        self._update_triggers(rt)
        if ts - rt.last_record >= self._record_ns:
            rt.last_record = ts
            self._spread_rows.append((ts, rt.label, rt.direction_ab, e_ab, rt.trigger_ab))
            self._spread_rows.append((ts, rt.label, rt.direction_ba, e_ba, rt.trigger_ba))
        if ts - self._equity_ts >= self._account_ns:
            self.refresh_account_view(ts)

    def _warmup_progress(self, rt: PairRuntime) -> None:
        n, warmup = rt.mean_ab.samples, self.config.warmup
        if n <= warmup:
            step = max(1, warmup // 10)
            if n % step < rt.mean_ab.bucket or n == warmup:
                self.log.info(
                    f"warm-up {rt.label}: {min(n, warmup)}/{warmup} samples"
                    + (" - trading" if n >= warmup else "")
                )

    # -- entries ---------------------------------------------------------------------------------------
    def _desired_quantity(self, mid: float) -> Decimal:
        c = self.config
        if c.quantity is not None:
            return Decimal(c.quantity)
        notional = (
            c.notional_usd
            if c.notional_usd is not None
            else (self.equity_usd * c.equity_fraction if not math.isnan(self.equity_usd) else 0.0)
        )
        return Decimal(repr(notional / mid)) if mid > 0 else Decimal(0)

    def _executable(
        self, instrument_id: InstrumentId, side: OrderSide, quantity: float
    ) -> tuple[float, float]:
        """(price, available size) to buy/sell `quantity` now: the book walked, or the top of book."""
        if self.config.use_book:
            book = self.cache.order_book(instrument_id)
            if book is not None and book.best_bid_price() is not None:
                levels = book.asks() if side == OrderSide.BUY else book.bids()
                pairs = [(lvl.price.as_double(), lvl.size()) for lvl in levels[:20]]
                vwap, filled = walk_book(pairs, quantity)
                return vwap, filled
        q = self.quotes[instrument_id]
        return (q.ask, q.ask_size) if side == OrderSide.BUY else (q.bid, q.bid_size)

    def _try_enter(self, rt: PairRuntime, buy_a: bool, edge: float, ts: int) -> None:
        if self.guards.killed_reason:
            self.guards.blocked["kill_switch"] += 1
            return
        if self.executor.busy(rt.asset):
            return
        buy_m, sell_m = (rt.a, rt.b) if buy_a else (rt.b, rt.a)
        buy_id, sell_id = buy_m.instrument_id, sell_m.instrument_id
        qb, qs = self.quotes[buy_id], self.quotes[sell_id]
        qb.load_sizes(self.cache, buy_id)
        qs.load_sizes(self.cache, sell_id)
        desired = float(self._desired_quantity((qb.mid + qs.mid) / 2))
        buy_px, buy_avail = self._executable(buy_id, OrderSide.BUY, desired)
        sell_px, sell_avail = self._executable(sell_id, OrderSide.SELL, desired)
        lot = coarser_lot(buy_m.lot, sell_m.lot)
        quantity = round_to_lot(Decimal(repr(min(desired, buy_avail, sell_avail))), lot)
        trigger = rt.trigger_ab if buy_a else rt.trigger_ba
        if self.config.use_book:
            edge = (sell_px / buy_px - 1.0) * 1e4
            if not edge > trigger:
                return
        for market, px in ((buy_m, buy_px), (sell_m, sell_px)):
            why = size_check(quantity, Decimal(repr(px)), market.min_size, market.min_notional)
            if why is not None:
                self.guards.blocked["min_size"] += 1
                return
        notional = float(quantity) * qb.mid
        reason = self.guards.entry_block(
            rt.asset, ts, (qb.ts, qs.ts), (buy_id.venue.value, sell_id.venue.value), notional,
            self.exposure_usd(rt.asset), self.exposure_usd(), self.free_usd,
        )  # fmt: skip
        if reason is not None:
            return
        self.entries_attempted += 1
        pair = PositionPair(
            pair_id=self.book.new_id(f"S{rt.asset}", ts),
            kind="scalp",
            asset=rt.asset,
            long_instrument=buy_id.value,
            short_instrument=sell_id.value,
            quantity=quantity,
            state=OPENING,
            expected_edge_bps=edge,
            entry_spread_bps=(qs.mid / qb.mid - 1.0) * 1e4,
        )
        rt.pair = pair
        self.log.info(
            f"entry {pair.pair_id}: buy {buy_id} sell {sell_id} qty {quantity} edge {edge:.2f} bps > trigger {trigger:.2f}"
        )
        self.open_pair(
            pair,
            Leg(buy_id, OrderSide.BUY, quantity, Decimal(repr(buy_px))),
            Leg(sell_id, OrderSide.SELL, quantity, Decimal(repr(sell_px))),
            edge,
        )

    # -- exits -----------------------------------------------------------------------------------------
    def _check_exit(self, rt: PairRuntime, pair: PositionPair, ts: int) -> None:
        c = self.config
        long_is_a = pair.long_instrument == rt.a_id.value
        lq = self.quotes[rt.a_id] if long_is_a else self.quotes[rt.b_id]
        sq = self.quotes[rt.b_id] if long_is_a else self.quotes[rt.a_id]
        close_edge = (lq.bid / sq.ask - 1.0) * 1e4
        spread = (sq.mid / lq.mid - 1.0) * 1e4
        reason = None
        if self.guards.killed_reason:
            reason = "kill_switch"
        elif close_edge >= c.exit_edge_bps:
            reason = "take_profit"
        elif captured_fraction(pair.entry_spread_bps, spread) >= c.take_profit_capture:
            reason = "take_profit_capture"
        elif spread - pair.entry_spread_bps >= c.stop_loss_bps:
            reason = "stop_loss"
        elif ts - (pair.entry_ts or ts) >= c.max_hold_s * 1e9:
            reason = "max_hold"
        elif c.guards.max_loss_per_trade_usd is not None and self.guards.trade_loss_exceeded(
            self.pair_mtm(pair) + pair.adjustments - pair.fees + pair.funding
        ):
            reason = "max_loss"
        if reason is not None:
            self.close_pair(pair, reason)

    def on_pair_closed(self, pair: PositionPair) -> None:
        for rt in self.runtimes:
            if rt.pair is pair:
                rt.pair = None

    # -- observability ---------------------------------------------------------------------------------
    def heartbeat_lines(self, now: int) -> list[str]:
        lines = []
        for rt in self.runtimes:
            qa, qb = self.quotes.get(rt.a_id), self.quotes.get(rt.b_id)
            if not qa or not qb or not qa.ts or not qb.ts:
                lines.append(f"  {rt.label}: waiting for quotes")
                continue
            e_ab = (qb.bid / qa.ask - 1.0) * 1e4
            e_ba = (qa.bid / qb.ask - 1.0) * 1e4
            parts = []
            for name, e, trig, allowed in (
                ("A->B", e_ab, rt.trigger_ab, rt.can_ab),
                ("B->A", e_ba, rt.trigger_ba, rt.can_ba),
            ):
                if not allowed:
                    parts.append(f"{name} n/a (spot)")
                elif math.isinf(trig):
                    parts.append(f"{name} {e:+.2f} bps (warm-up {rt.mean_ab.samples}/{self.config.warmup})")
                else:
                    parts.append(f"{name} {e:+.2f} vs trigger {trig:.2f} (distance {trig - e:.2f})")
            lines.append(f"  {rt.label}: " + "; ".join(parts))
        return lines

    def extra_tables(self) -> dict:
        rows = [
            {
                "ts": ts,
                "pair": pair,
                "direction": direction,
                "edge_bps": edge,
                "trigger_bps": _finite(trigger),
            }
            for ts, pair, direction, edge, trigger in self._spread_rows
        ]
        return {tables.SPREAD_SAMPLES: tables.frame(tables.SPREAD_SAMPLES, rows)}

    def extra_summary(self) -> dict[str, Any]:
        return {"entries_attempted": self.entries_attempted, "pairs": [rt.label for rt in self.runtimes]}


def _finite(x: float) -> float:
    return x if not math.isinf(x) else float("nan")


def bench_config(instruments: list[str]) -> dict[str, Any]:
    """Every asset's venues paired in a ring, on all the instruments the no-op watches."""
    from catalog.registry import default_registry

    registry = default_registry()
    by_asset: dict[str, list[str]] = {}
    for instrument_id in instruments:
        m = registry.market_for(instrument_id)
        by_asset.setdefault(m.asset, []).append(f"{m.venue}:{m.kind}")
    pairs = []
    for asset, legs in sorted(by_asset.items()):
        for k in range(len(legs)):
            a, b = legs[k], legs[(k + 1) % len(legs)]
            if a != b and not (a.endswith(":spot") and b.endswith(":spot")):
                pairs.append({"asset": asset, "venues": [a, b]})
    return {"kind": "scalp", "name": "scalp", "pairs": pairs, "notional_usd": 5_000.0, "heartbeat_minutes": 0}


SCALP_KIND = StrategyKind(
    name="scalp",
    strategy_path="strategies.scalp:ScalpStrategy",
    config_cls=ScalpConfig,
    instruments=scalp_instruments,
    summary="cross-venue price arbitrage, perp-perp and spot-perp, with leg-risk control",
    bench_config=bench_config,
)
