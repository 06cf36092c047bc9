"""Timer callbacks run on the node's event loop thread in live nodes, inline in backtests."""

from __future__ import annotations

import asyncio
import threading

import pandas as pd
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import TestClock

from arb.clock import on_loop


def test_a_live_clock_fires_its_timers_on_another_thread_and_on_loop_brings_them_back():
    async def run() -> tuple[int, set[int], set[int]]:
        clock = LiveClock()
        raw: set[int] = set()
        handed: set[int] = set()
        clock.set_timer(
            "raw", pd.Timedelta(milliseconds=20), callback=lambda e: raw.add(threading.get_ident())
        )
        clock.set_timer(
            "handed",
            pd.Timedelta(milliseconds=20),
            callback=on_loop(clock, lambda e: handed.add(threading.get_ident())),
        )
        await asyncio.sleep(0.25)
        clock.cancel_timers()
        return threading.get_ident(), raw, handed

    loop_thread, raw, handed = asyncio.run(run())
    assert raw and loop_thread not in raw  # why on_loop exists: 1.221 calls back from its own thread
    assert handed == {loop_thread}


def test_a_backtest_clock_keeps_the_callback_as_it_is():
    def callback(event) -> None:
        pass

    assert on_loop(TestClock(), callback) is callback
