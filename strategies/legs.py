"""Leg execution: submit the legs of a pair together and never leave one naked.

`LegExecutor.execute()` sends every leg at once (IOC limit by default; FOK, resting limit or market
per venue). When the legs are done it compares filled quantities:

* all filled                     -> hedged
* one leg short of the other     -> retry the shortfall (more aggressive each time) up to
                                    `max_retries`, within `max_unhedged_ms` of the first submit
* still short after that         -> entry: flatten the excess of the over-filled leg at market
                                    (roll back); exit: close the remainder at market (complete)

Every roll-back records its cost. Leg-risk metrics are kept per execution: hedge latency (first fill
-> last fill), time-weighted unhedged notional, retries, orphan flag, flatten cost, expected vs
realised edge. After every fill that leaves the strategy quiescent on an asset, the net delta across
venues is checked; an imbalance beyond tolerance is logged as an error and repaired.

The owner strategy forwards its order events (`on_order_event`) and gives two callbacks:
`on_done(execution)` and `position_of(instrument_id) -> Decimal` (its signed position).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal

import msgspec
import pandas as pd
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import PriceType
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.events import OrderCanceled
from nautilus_trader.model.events import OrderDenied
from nautilus_trader.model.events import OrderExpired
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.events import OrderRejected
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from arb.clock import on_loop

ORDER_STYLES = ("ioc", "fok", "limit", "market")
ENTRY, EXIT, REPAIR, EXIT_LEG = "entry", "exit", "repair", "exit_leg"
ROLLBACK, COMPLETE = "rollback", "complete"


class ExecConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    max_retries: int = 2
    max_unhedged_ms: int = 2_000
    limit_slippage_bps: float = 5.0  # how far past the reference price an IOC/FOK limit may fill
    order_style: dict[str, str] = {}  # venue -> ioc | fok | limit | market (default ioc)
    flatten_attempts: int = 5
    max_repairs_per_minute: int = 3

    def check(self) -> None:
        for venue, style in self.order_style.items():
            if style not in ORDER_STYLES:
                raise ValueError(
                    f"exec.order_style.{venue}: '{style}' is not allowed (allowed: {', '.join(ORDER_STYLES)})"
                )
        if self.max_retries < 0 or self.max_unhedged_ms <= 0:
            raise ValueError("exec.max_retries must be >= 0 and exec.max_unhedged_ms > 0")


@dataclass
class Leg:
    instrument_id: InstrumentId
    side: OrderSide
    quantity: Decimal
    price: Decimal | None = None  # reference executable price; None = market

    @property
    def sign(self) -> int:
        return 1 if self.side == OrderSide.BUY else -1


@dataclass
class LegState:
    leg: Leg
    orders: list[ClientOrderId] = field(default_factory=list)
    filled: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    first_fill_ts: int | None = None
    last_fill_ts: int | None = None
    # flatten (roll-back) trades on this leg, opposite side
    flattened: Decimal = Decimal(0)
    flatten_notional: Decimal = Decimal(0)
    flatten_fees: Decimal = Decimal(0)
    denied: str | None = None

    @property
    def vwap(self) -> Decimal | None:
        return self.notional / self.filled if self.filled else None

    @property
    def net_filled(self) -> Decimal:
        return self.filled - self.flattened


@dataclass
class Execution:
    exec_id: str
    pair_id: str
    purpose: str
    asset: str
    legs: list[LegState]
    ts_submit: int
    expected_edge_bps: float
    mode: str
    retries: int = 0
    flatten_rounds: int = 0
    done: bool = False
    outcome: str = ""
    ts_done: int | None = None
    orphan: bool = False
    deadline_passed: bool = False
    unhedged_notional_s: float = 0.0
    _last_delta_ts: int = 0
    _last_delta_notional: float = 0.0

    def open_orders(self, is_open: Callable[[ClientOrderId], bool]) -> list[ClientOrderId]:
        return [o for s in self.legs for o in s.orders if is_open(o)]

    def hedge_latency_ms(self) -> float:
        firsts = [s.first_fill_ts for s in self.legs]
        lasts = [s.last_fill_ts for s in self.legs]
        if any(t is None for t in firsts):
            return float("nan")
        return (max(lasts) - min(firsts)) / 1e6  # type: ignore[type-var,operator]

    def flatten_cost(self) -> Decimal:
        """What rolling back cost: the round trip of the flattened quantity plus all its fees."""
        cost = Decimal(0)
        for s in self.legs:
            if s.flattened and s.vwap is not None:
                entry_px = s.vwap
                exit_px = s.flatten_notional / s.flattened
                pnl = (exit_px - entry_px) * s.flattened * s.leg.sign
                entry_fees = s.fees * (s.flattened / s.filled)
                cost += -pnl + entry_fees + s.flatten_fees
        return cost

    def realized_edge_bps(self) -> float:
        buy = next((s for s in self.legs if s.leg.side == OrderSide.BUY), None)
        sell = next((s for s in self.legs if s.leg.side == OrderSide.SELL), None)
        if buy is None or sell is None or buy.vwap is None or sell.vwap is None:
            return float("nan")
        return (float(sell.vwap) / float(buy.vwap) - 1) * 1e4

    def as_row(self) -> dict:
        return {
            "exec_id": self.exec_id,
            "pair_id": self.pair_id,
            "purpose": self.purpose,
            "ts_submit": pd.Timestamp(self.ts_submit, tz="UTC"),
            "ts_done": pd.Timestamp(self.ts_done, tz="UTC") if self.ts_done else pd.NaT,
            "hedge_latency_ms": self.hedge_latency_ms(),
            "unhedged_notional_s": self.unhedged_notional_s,
            "retries": self.retries,
            "orphan": self.orphan,
            "flatten_cost": float(self.flatten_cost()),
            "expected_edge_bps": self.expected_edge_bps,
            "realized_edge_bps": self.realized_edge_bps(),
            "outcome": self.outcome,
        }


def limit_price(reference: Decimal, side: OrderSide, slippage_bps: float, tick: Decimal) -> Decimal:
    """Marketable limit: `slippage_bps` past the reference, rounded away from the market to the tick."""
    factor = Decimal(1) + Decimal(str(slippage_bps)) / Decimal(10_000) * (1 if side == OrderSide.BUY else -1)
    raw = reference * factor / tick
    rounding = ROUND_CEILING if side == OrderSide.BUY else ROUND_FLOOR
    return raw.to_integral_value(rounding=rounding) * tick


class LegExecutor:
    def __init__(
        self,
        strategy: Strategy,
        config: ExecConfig,
        on_done: Callable[[Execution], None],
        position_of: Callable[[InstrumentId], Decimal],
        expected_position: Callable[[str], Decimal] | None = None,
        asset_of: Callable[[InstrumentId], str] | None = None,
        on_submit: Callable[[str, int], None] | None = None,
    ) -> None:
        self._s = strategy
        self.config = config
        self._on_done = on_done
        self._position_of = position_of
        self._expected_position = expected_position
        self._asset_of = asset_of
        self._on_submit = on_submit  # (venue, ts): e.g. the guards' rate budget
        self._by_order: dict[
            ClientOrderId, tuple[Execution, int, str]
        ] = {}  # order -> (exec, leg index, role)
        self._active: dict[str, Execution] = {}
        self.history: list[Execution] = []
        self._seq = 0
        # IOC fill ratio per venue: orders sent / orders fully filled
        self.sent_by_venue: dict[str, int] = defaultdict(int)
        self.filled_by_venue: dict[str, int] = defaultdict(int)
        self.delta_repairs = 0
        self.dust: dict[str, Decimal] = {}  # instrument -> untradeable residual the delta check left alone
        self._repairs: dict[str, list[int]] = {}

    # -- queries -----------------------------------------------------------------------------------
    def busy(self, asset: str) -> bool:
        return any(e.asset == asset for e in self._active.values())

    @property
    def active(self) -> list[Execution]:
        return list(self._active.values())

    # -- submit ------------------------------------------------------------------------------------
    def execute(
        self, pair_id: str, purpose: str, asset: str, legs: list[Leg], expected_edge_bps: float = float("nan")
    ) -> Execution:
        now = self._s.clock.timestamp_ns()
        self._seq += 1
        execution = Execution(
            exec_id=f"{pair_id}-{purpose}-{self._seq}",
            pair_id=pair_id,
            purpose=purpose,
            asset=asset,
            legs=[LegState(leg) for leg in legs],
            ts_submit=now,
            expected_edge_bps=expected_edge_bps,
            mode=ROLLBACK if purpose == ENTRY else COMPLETE,
            _last_delta_ts=now,
        )
        self._active[execution.exec_id] = execution
        self._s.clock.set_time_alert_ns(
            name=f"unhedged-{execution.exec_id}",
            alert_time_ns=now + self.config.max_unhedged_ms * 1_000_000,
            callback=on_loop(self._s.clock, self._on_deadline),
        )
        for i, state in enumerate(execution.legs):
            self._send(execution, i, state.leg.quantity, aggressiveness=0, role="leg")
        return execution

    def _style(self, instrument_id: InstrumentId) -> str:
        return self.config.order_style.get(instrument_id.venue.value, "ioc")

    def _reference_price(
        self, instrument_id: InstrumentId, side: OrderSide, fallback: Decimal | None
    ) -> Decimal | None:
        quote = self._s.cache.quote_tick(instrument_id)
        if quote is not None:
            return (quote.ask_price if side == OrderSide.BUY else quote.bid_price).as_decimal()
        price = self._s.cache.price(instrument_id, PriceType.LAST)
        return price.as_decimal() if price is not None else fallback

    def _send(
        self,
        execution: Execution,
        index: int,
        quantity: Decimal,
        aggressiveness: int,
        role: str,
        side: OrderSide | None = None,
        market: bool = False,
    ) -> None:
        state = execution.legs[index]
        leg = state.leg
        side = side or leg.side
        instrument = self._s.cache.instrument(leg.instrument_id)
        qty = instrument.make_qty(quantity)
        if qty.as_decimal() <= 0:
            return
        style = "market" if market else self._style(leg.instrument_id)
        reduce_only = self._reduces(leg.instrument_id, side, qty.as_decimal())
        factory = self._s.order_factory
        if style == "market" or (leg.price is None and aggressiveness == 0 and role == "leg"):
            order = factory.market(
                leg.instrument_id, side, qty, time_in_force=TimeInForce.IOC, reduce_only=reduce_only
            )
        else:
            reference = (
                leg.price
                if aggressiveness == 0 and leg.price is not None
                else self._reference_price(leg.instrument_id, side, leg.price)
            )
            if reference is None:
                order = factory.market(
                    leg.instrument_id, side, qty, time_in_force=TimeInForce.IOC, reduce_only=reduce_only
                )
            else:
                slip = self.config.limit_slippage_bps * (1 + aggressiveness)
                price = instrument.make_price(
                    limit_price(reference, side, slip, instrument.price_increment.as_decimal())
                )
                tif = {"ioc": TimeInForce.IOC, "fok": TimeInForce.FOK, "limit": TimeInForce.GTC}[style]
                order = factory.limit(
                    leg.instrument_id, side, qty, price, time_in_force=tif, reduce_only=reduce_only
                )
        state.orders.append(order.client_order_id)
        self._by_order[order.client_order_id] = (execution, index, role)
        self.sent_by_venue[leg.instrument_id.venue.value] += 1
        if self._on_submit is not None:
            self._on_submit(leg.instrument_id.venue.value, self._s.clock.timestamp_ns())
        self._s.submit_order(order)

    def _reduces(self, instrument_id: InstrumentId, side: OrderSide, quantity: Decimal) -> bool:
        """Reduce-only when the order can only shrink the strategy's position (never when other pairs
        hold the opposite side, where reduce-only would be refused; never on spot, which has none)."""
        instrument = self._s.cache.instrument(instrument_id)
        if instrument is not None and instrument.instrument_class.name == "SPOT":
            return False
        position = self._position_of(instrument_id)
        if side == OrderSide.SELL:
            return position >= quantity
        return -position >= quantity

    # -- events ------------------------------------------------------------------------------------
    def on_order_event(self, event) -> None:
        entry = self._by_order.get(event.client_order_id)
        if entry is None:
            if isinstance(event, OrderFilled):
                self._check_delta_for(event.instrument_id)
            return
        execution, index, role = entry
        state = execution.legs[index]
        if isinstance(event, OrderFilled):
            self._on_fill(execution, state, role, event)
        elif isinstance(event, OrderDenied | OrderRejected):
            state.denied = str(getattr(event, "reason", "rejected"))
            self._s.log.warning(
                f"{execution.exec_id}: {state.leg.instrument_id} order {role} refused: {state.denied}"
            )
        elif not isinstance(event, OrderCanceled | OrderExpired):
            return
        if not execution.done and not execution.open_orders(self._is_open):
            self._resolve(execution)

    def _is_open(self, client_order_id: ClientOrderId) -> bool:
        order = self._s.cache.order(client_order_id)
        return order is not None and not order.is_closed

    def _on_fill(self, execution: Execution, state: LegState, role: str, event: OrderFilled) -> None:
        qty = event.last_qty.as_decimal()
        px = event.last_px.as_decimal()
        fee = self._fee_in_quote(event, px)
        order = self._s.cache.order(event.client_order_id)
        if order is not None and order.is_closed and order.filled_qty == order.quantity:
            self.filled_by_venue[event.instrument_id.venue.value] += 1
        self._accumulate_unhedged(execution, event.ts_event)
        if role == "flatten":
            state.flattened += qty
            state.flatten_notional += qty * px
            state.flatten_fees += fee
        else:
            state.filled += qty
            state.notional += qty * px
            state.fees += fee
            state.first_fill_ts = state.first_fill_ts or event.ts_event
            state.last_fill_ts = event.ts_event

    def _fee_in_quote(self, event: OrderFilled, price: Decimal) -> Decimal:
        """The fill's fee in the quote currency: a venue may take a spot buy's fee in the base token."""
        commission = event.commission
        if commission is None:
            return Decimal(0)
        instrument = self._s.cache.instrument(event.instrument_id)
        if (
            instrument is not None
            and commission.currency != instrument.quote_currency
            and commission.currency == instrument.base_currency
        ):
            return commission.as_decimal() * price
        return commission.as_decimal()

    def _accumulate_unhedged(self, execution: Execution, ts: int) -> None:
        dt = max(0, ts - execution._last_delta_ts) / 1e9
        execution.unhedged_notional_s += execution._last_delta_notional * dt
        execution._last_delta_ts = ts

    def _delta_notional(self, execution: Execution) -> float:
        delta = sum((s.net_filled * s.leg.sign for s in execution.legs), Decimal(0))
        price = next((s.vwap for s in execution.legs if s.vwap), None)
        return abs(float(delta * price)) if price else 0.0

    # -- resolution --------------------------------------------------------------------------------
    def _on_deadline(self, event: TimeEvent) -> None:
        execution = self._active.get(event.name.removeprefix("unhedged-"))
        if execution is None or execution.done:
            return
        execution.deadline_passed = True
        working = execution.open_orders(self._is_open)
        if working:
            for client_order_id in working:
                order = self._s.cache.order(client_order_id)
                if order is not None:
                    self._s.cancel_order(order)
            return  # resolution continues when the cancels land
        self._resolve(execution)

    def _resolve(self, execution: Execution) -> None:
        """Compare the legs by the fraction of their own target filled (legs may differ slightly,
        e.g. a spot leg sold net of the fee the venue took in the base token)."""
        now = self._s.clock.timestamp_ns()
        execution._last_delta_notional = self._delta_notional(execution)
        self._accumulate_unhedged(execution, now)
        execution._last_delta_notional = self._delta_notional(execution)
        legs = execution.legs
        ratios = [s.net_filled / s.leg.quantity for s in legs]
        if all(r == 1 for r in ratios):
            return self._finish(execution, "hedged" if not execution.orphan else "repaired")
        if execution.mode == COMPLETE:
            return self._complete(execution)
        high, low = max(ratios), min(ratios)
        if high == low:
            if execution.orphan:
                return self._finish(execution, "flattened" if high == 0 else "repaired")
            return self._finish(execution, "nothing_filled" if high == 0 else "hedged")
        if execution.orphan:
            return self._flatten(execution, low)  # already rolling back: keep going
        may_retry = (
            execution.retries < self.config.max_retries
            and not execution.deadline_passed
            and now - execution.ts_submit < self.config.max_unhedged_ms * 1_000_000
        )
        short = [i for i, s in enumerate(legs) if s.net_filled / s.leg.quantity < high and not s.denied]
        if may_retry and short:
            execution.retries += 1
            for i in short:
                need = self._lots(legs[i], high * legs[i].leg.quantity - legs[i].net_filled)
                if need > 0:
                    self._send(execution, i, need, aggressiveness=execution.retries, role="retry")
            if execution.open_orders(self._is_open):
                return
        self._flatten(execution, low)

    def _lots(self, state: LegState, quantity: Decimal) -> Decimal:
        """`quantity` rounded down to the instrument's lot (ratios of unequal targets are not lots)."""
        instrument = self._s.cache.instrument(state.leg.instrument_id)
        lot = instrument.size_increment.as_decimal() if instrument is not None else Decimal(0)
        return (quantity / lot).to_integral_value(rounding=ROUND_FLOOR) * lot if lot else quantity

    def _flatten(self, execution: Execution, down_to: Decimal) -> None:
        """Roll the over-filled legs back to the fill ratio `down_to` at market."""
        if execution.flatten_rounds >= self.config.flatten_attempts:
            self._s.log.error(
                f"{execution.exec_id}: could not flatten the orphan after {execution.flatten_rounds} attempts; left for the delta check"
            )
            return self._finish(execution, "flatten_failed")
        execution.orphan = True
        execution.flatten_rounds += 1
        for i, state in enumerate(execution.legs):
            excess = self._lots(state, state.net_filled - down_to * state.leg.quantity)
            if excess > 0:
                opposite = OrderSide.SELL if state.leg.side == OrderSide.BUY else OrderSide.BUY
                self._s.log.warning(
                    f"{execution.exec_id}: orphan {excess} on {state.leg.instrument_id}: flattening at market"
                )
                self._send(execution, i, excess, aggressiveness=0, role="flatten", side=opposite, market=True)
        if not execution.open_orders(self._is_open):
            self._finish(execution, "flatten_failed")

    def _complete(self, execution: Execution) -> None:
        """Exits: whatever a leg still has to do is pushed through, at market after the retries."""
        now = self._s.clock.timestamp_ns()
        in_time = (
            execution.retries < self.config.max_retries
            and not execution.deadline_passed
            and now - execution.ts_submit < self.config.max_unhedged_ms * 1_000_000
        )
        if execution.flatten_rounds >= self.config.flatten_attempts:
            self._s.log.error(f"{execution.exec_id}: exit could not complete; left for the delta check")
            return self._finish(execution, "incomplete")
        if in_time:
            execution.retries += 1
        else:
            execution.flatten_rounds += 1
            execution.orphan = execution.orphan or any(s.net_filled > 0 for s in execution.legs)
        for i, state in enumerate(execution.legs):
            remaining = state.leg.quantity - state.net_filled
            if remaining > 0 and not state.denied:
                self._send(
                    execution,
                    i,
                    remaining,
                    aggressiveness=execution.retries,
                    role="retry",
                    market=not in_time,
                )
        if not execution.open_orders(self._is_open):
            self._finish(execution, "incomplete")

    def _finish(self, execution: Execution, outcome: str) -> None:
        execution.done = True
        execution.outcome = outcome
        execution.ts_done = self._s.clock.timestamp_ns()
        self._active.pop(execution.exec_id, None)
        self.history.append(execution)
        for state in execution.legs:
            for client_order_id in state.orders:
                self._by_order.pop(client_order_id, None)
        self._on_done(execution)
        self._check_delta(execution.asset)

    # -- delta check -------------------------------------------------------------------------------
    def _check_delta_for(self, instrument_id: InstrumentId) -> None:
        if self._asset_of is not None:
            self._check_delta(self._asset_of(instrument_id))

    def _check_delta(self, asset: str) -> None:
        """Quiescent on `asset`: every instrument must hold what the pair book says it holds.

        A gap smaller than the instrument's minimum order (dust, e.g. a spot fee taken in the base
        token) cannot be traded and is only recorded; a repair the venue keeps refusing is retried at
        most `max_repairs_per_minute` times a minute, so a refusal never turns into an order storm."""
        if self._expected_position is None or self._asset_of is None or self.busy(asset):
            return
        now = self._s.clock.timestamp_ns()
        for instrument_id in self._instruments_of(asset):
            actual = self._position_of(instrument_id)
            expected = self._expected_position(instrument_id.value)
            gap = actual - expected
            instrument = self._s.cache.instrument(instrument_id)
            if instrument is None or gap == 0:
                continue
            if self._is_dust(instrument, abs(gap)):
                self.dust[instrument_id.value] = gap
                continue
            recent = [t for t in self._repairs.get(instrument_id.value, []) if now - t < 60_000_000_000]
            if len(recent) >= self.config.max_repairs_per_minute:
                if len(recent) == self.config.max_repairs_per_minute:
                    self._s.log.error(
                        f"delta imbalance on {instrument_id} persists after {len(recent)} repairs this minute: pausing repairs"
                    )
                    recent.append(now)
                self._repairs[instrument_id.value] = recent
                continue
            recent.append(now)
            self._repairs[instrument_id.value] = recent
            self.delta_repairs += 1
            self._s.log.error(
                f"delta imbalance on {instrument_id}: holds {actual}, pairs expect {expected}; repairing {-gap}"
            )
            side = OrderSide.SELL if gap > 0 else OrderSide.BUY
            self.execute(
                f"repair-{instrument_id.symbol}", REPAIR, asset, [Leg(instrument_id, side, abs(gap))]
            )

    def _is_dust(self, instrument, quantity: Decimal) -> bool:
        if quantity < instrument.size_increment.as_decimal() / 2:
            return True
        if instrument.min_quantity is not None and quantity < instrument.min_quantity.as_decimal():
            return True
        if instrument.min_notional is not None:
            quote = self._s.cache.quote_tick(instrument.id)
            if quote is not None:
                mid = (quote.bid_price.as_decimal() + quote.ask_price.as_decimal()) / 2
                return quantity * mid < instrument.min_notional.as_decimal()
        return False

    def _instruments_of(self, asset: str) -> list[InstrumentId]:
        ids = set()
        for position in self._s.cache.positions(strategy_id=self._s.id):
            if self._asset_of(position.instrument_id) == asset:  # type: ignore[misc]
                ids.add(position.instrument_id)
        return sorted(ids, key=str)


def is_finite(x: float) -> bool:
    return not (math.isnan(x) or math.isinf(x))
