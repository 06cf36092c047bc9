"""Timer callbacks on the node's event loop.

In a live or sandbox node (nautilus_trader 1.221) a `LiveClock` runs timer and time-alert callbacks
on its own Rust runtime thread, while market data and order events are handled on the asyncio loop.
Two threads sharing the GIL can interleave mid-handler: a leg-deadline check could run between
the two halves of a fill handler, a results table could grow while it is being written. Every
timer we set goes through `on_loop`, which hands the callback to the loop the node runs on, so
all our handlers run one at a time on one thread. With a backtest's `TestClock` the callback is
returned unchanged (it already runs inline, in time order).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.events import TimeEvent

TimeCallback = Callable[[TimeEvent], Any]


def node_loop() -> asyncio.AbstractEventLoop:
    """The loop of the calling thread: the running one, else the one set for it (the node's)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


def on_loop(clock: Any, callback: TimeCallback) -> TimeCallback:
    """`callback` as a timer callback that runs on the node's event loop (live clocks only)."""
    if not isinstance(clock, LiveClock):
        return callback
    loop = node_loop()

    def handoff(event: TimeEvent) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(callback, event)

    return handoff
