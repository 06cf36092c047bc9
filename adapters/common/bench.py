"""The measuring harness of `arb bench adapter <venue>`, the same for every venue.

The adapter's clients run without a TradingNode: a message bus with stand-in engine endpoints
(`BenchBus`), so the numbers are the adapter's own cost, not the engine's.

- `time_frames`: each captured WebSocket frame is fed to the data client's frame handler; the time
  from frame-in to the last Nautilus object reaching the data engine's endpoint, per channel.
- `time_orders`: post-only LIMIT bids 5-10% below the market (they rest, and exercise tick rounding)
  go through the execution client's submit path; the time from the call to the request bytes being
  handed to the HTTP transport (`on_send`), and to the parsed venue reply.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.orders import Order

TRADER = TraderId("BENCH-001")


def latency_summary(samples: list[int]) -> dict[str, float]:
    """Count, p50, p99 and mean of nanosecond samples, in microseconds."""
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1000, 2)

    return {
        "n": len(ordered),
        "p50_us": q(0.50),
        "p99_us": q(0.99),
        "mean_us": round(statistics.fmean(ordered) / 1000, 2),
    }


class BenchBus:
    """Clock, message bus and cache for clients outside a node; records when data is delivered."""

    def __init__(self) -> None:
        self.clock = LiveClock()
        self.msgbus = MessageBus(TRADER, self.clock)
        self.cache = Cache()
        self.delivered: list[int] = []
        self.msgbus.register("DataEngine.process", lambda data: self.delivered.append(time.perf_counter_ns()))
        self.msgbus.register("ExecEngine.process", lambda event: None)


def time_frames(
    bus: BenchBus, on_frame: Callable[[str], Any], frames: Iterable[str], channel_of: Callable[[str], str]
) -> dict[str, Any]:
    """Frame-in -> Nautilus-object latency per channel and over all, plus the frames captured."""
    per_channel: dict[str, list[int]] = {}
    count = 0
    for frame in frames:
        count += 1
        channel = channel_of(frame)
        bus.delivered.clear()
        t0 = time.perf_counter_ns()
        on_frame(frame)
        if bus.delivered:
            per_channel.setdefault(channel, []).append(bus.delivered[-1] - t0)
    stats: dict[str, Any] = {c: latency_summary(v) for c, v in per_channel.items()}
    stats["all"] = latency_summary([x for v in per_channel.values() for x in v])
    stats["frames_captured"] = count
    return stats


async def time_orders(
    bus: BenchBus,
    submit: Callable[[list[Order]], Awaitable[None]],
    http: Any,
    instrument_id: InstrumentId,
    mid: Decimal,
    n: int,
) -> dict[str, Any]:
    """Order -> bytes on the wire, and the round trip to the parsed reply (`http.on_send` is hooked)."""
    factory = OrderFactory(TRADER, StrategyId("Bench-001"), bus.clock)
    instrument = bus.cache.instrument(instrument_id)
    wire_ns: list[int] = []
    ack_ns: list[int] = []
    sent_at: list[int] = []
    http.on_send = lambda body, t: sent_at.append(t)
    for i in range(n):
        px = mid * (Decimal("0.90") + Decimal(i % 50) / 1000) + Decimal("0.37")
        order = factory.limit(
            instrument_id, OrderSide.BUY, instrument.make_qty(Decimal("0.001")), instrument.make_price(px),
            time_in_force=TimeInForce.GTC, post_only=True,
        )  # fmt: skip
        bus.cache.add_order(order)
        sent_at.clear()
        t0 = time.perf_counter_ns()
        await submit([order])
        t1 = time.perf_counter_ns()
        if sent_at:
            wire_ns.append(sent_at[0] - t0)
            ack_ns.append(t1 - t0)
    return {"order_to_wire": latency_summary(wire_ns), "order_round_trip_ack": latency_summary(ack_ns)}
