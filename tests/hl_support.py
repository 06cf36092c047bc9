"""Test harness for the Hyperliquid adapter: venuesim in a background thread, a real Nautilus
`TradingNode` in another, and a probe strategy that records everything it receives.

The test thread drives both: the simulator through its thread-safe control methods, the node by
scheduling calls on the node's loop (`NodeHarness.call`). Conditions are polled, never slept on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from typing import Self

from eth_account import Account
from nautilus_trader.config import LiveExecEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import StrategyConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import DataType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from adapters.common.feed_status import FeedStatus
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.factories import HyperliquidLiveDataClientFactory
from adapters.hyperliquid.factories import HyperliquidLiveExecClientFactory
from catalog.funding import FundingPayment
from venuesim.fronts.hyperliquid import create
from venuesim.server import SimThread

# Throwaway keys: they exist only on the local simulator.
KEY = "0x" + "4c" * 32
ADDRESS = Account.from_key(KEY).address.lower()
AGENT_KEY = "0x" + "5d" * 32
AGENT = Account.from_key(AGENT_KEY).address.lower()
OTHER_KEY = "0x" + "6e" * 32
VAULT = "0x" + "7a" * 20

BTC = InstrumentId.from_str("BTC-USD-PERP.HYPERLIQUID")
ETH = InstrumentId.from_str("ETH-USD-PERP.HYPERLIQUID")
NVDA = InstrumentId.from_str("xyz:NVDA-USD-PERP.HYPERLIQUID")
HYPE_SPOT = InstrumentId.from_str("HYPE-USDC-SPOT.HYPERLIQUID")


# Conditions are polled, so generous limits cost nothing when things are fast; a loaded CI machine
# (two test workers, node processes, simulators) can be several times slower than a quiet one.
TIMEOUT_SCALE = float(os.environ.get("ARB_TEST_TIMEOUT_SCALE", "3"))


def wait_for(
    cond: Callable[[], Any], timeout: float = 10.0, what: str = "condition", interval: float = 0.02
) -> Any:
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextlib.contextmanager
def running_sim(**kwargs: Any):
    kwargs.setdefault("accounts", [{"address": ADDRESS, "agents": [AGENT], "vaults": [VAULT]}])
    kwargs.setdefault("tick_secs", 0.05)
    sim = create(**kwargs)
    with SimThread(sim):
        yield sim


class ProbeConfig(StrategyConfig, frozen=True):
    quotes: list[str] = []
    books: list[str] = []
    trades: list[str] = []
    ctx: list[str] = []
    custom: list[str] = []


class Probe(Strategy):
    """Subscribes as configured and records every event and datum it receives."""

    def __init__(self, config: ProbeConfig) -> None:
        super().__init__(config)
        self.events: list[Any] = []
        self.quotes: list[Any] = []
        self.books: list[Any] = []
        self.trades: list[Any] = []
        self.marks: list[Any] = []
        self.indexes: list[Any] = []
        self.funding_rates: list[Any] = []
        self.data: list[Any] = []

    def on_start(self) -> None:
        c = self.config
        for i in c.quotes:
            self.subscribe_quote_ticks(InstrumentId.from_str(i))
        for i in c.books:
            self.subscribe_order_book_deltas(InstrumentId.from_str(i))
        for i in c.trades:
            self.subscribe_trade_ticks(InstrumentId.from_str(i))
        for i in c.ctx:
            iid = InstrumentId.from_str(i)
            self.subscribe_mark_prices(iid)
            self.subscribe_index_prices(iid)
            self.subscribe_funding_rates(iid)
        for i in c.custom:
            iid = InstrumentId.from_str(i)
            self.subscribe_data(DataType(FundingPayment), instrument_id=iid)
            self.subscribe_data(DataType(FeedStatus), instrument_id=iid)

    def on_order_event(self, event) -> None:
        self.events.append(event)

    def on_quote_tick(self, tick) -> None:
        self.quotes.append(tick)

    def on_order_book_deltas(self, deltas) -> None:
        self.books.append(deltas)

    def on_trade_tick(self, tick) -> None:
        self.trades.append(tick)

    def on_mark_price(self, update) -> None:
        self.marks.append(update)

    def on_index_price(self, update) -> None:
        self.indexes.append(update)

    def on_funding_rate(self, update) -> None:
        self.funding_rates.append(update)

    def on_data(self, data) -> None:
        self.data.append(data)

    def of_type(self, name: str) -> list[Any]:
        return [e for e in self.events if type(e).__name__ == name]


def node_config(
    sim, *, key: str = KEY, data: bool = True, exec_: bool = True, reconcile: bool = True, **exec_kwargs: Any
) -> TradingNodeConfig:
    common = {"testnet": True, "base_url_http": sim.http_url, "perp_dexs": ["xyz"]}
    return TradingNodeConfig(
        trader_id="TESTER-001",
        logging=LoggingConfig(log_level="INFO", log_colors=False),
        data_clients={
            "HYPERLIQUID": HyperliquidDataClientConfig(**common, stale_feed_secs=1.0, heartbeat_secs=5.0)
        }
        if data
        else {},
        exec_clients={
            "HYPERLIQUID": HyperliquidExecClientConfig(
                **common, private_key=key, heartbeat_secs=5.0, **exec_kwargs
            )
        }
        if exec_
        else {},
        exec_engine=LiveExecEngineConfig(
            reconciliation=reconcile,
            reconciliation_lookback_mins=None,
            inflight_check_interval_ms=0,
            open_check_interval_secs=None,
        ),
        timeout_connection=15.0,
        timeout_reconciliation=10.0,
        timeout_portfolio=5.0,
        timeout_disconnection=3.0,
        timeout_post_stop=0.5,
    )


class NodeHarness:
    """A TradingNode with one venue's factories and a probe strategy, on its own thread.
    Other venues' harnesses set the class attributes."""

    venue = "HYPERLIQUID"
    data_factory: Any = HyperliquidLiveDataClientFactory
    exec_factory: Any = HyperliquidLiveExecClientFactory
    probe_class: Any = Probe

    def __init__(self, config: TradingNodeConfig, probe: ProbeConfig | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.node = TradingNode(config=config, loop=self.loop)
        self.node.add_data_client_factory(self.venue, self.data_factory)
        self.node.add_exec_client_factory(self.venue, self.exec_factory)
        self.probe = self.probe_class(probe or ProbeConfig())
        self.node.trader.add_strategy(self.probe)
        self.node.build()
        self._thread = threading.Thread(target=self._run, name="node", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):
            self.loop.run_until_complete(self.node.run_async())
        # run_async returns once the engines stop: clean up the loop's leftovers on this thread.
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):
            self.loop.run_until_complete(self._cancel_tasks())

    def start(self, timeout: float = 20.0) -> Self:
        self._thread.start()
        wait_for(lambda: self.node.is_running() and self.probe.is_running, timeout, "node running")
        return self

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        fut: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(fn())
            except BaseException as e:
                fut.set_exception(e)

        self.loop.call_soon_threadsafe(run)
        return fut.result(timeout)

    def run_coro(self, coro, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def data_client(self):
        return next(iter(self.node.kernel.data_engine._clients.values()))

    @property
    def exec_client(self):
        return next(iter(self.node.kernel.exec_engine._clients.values()))

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.run_coro(self.node.stop_async(), timeout=20)
            self._thread.join(timeout=20)
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()  # on this (main) thread: the kernel registered signal handlers here

    async def _cancel_tasks(self) -> None:
        await asyncio.sleep(0.05)  # let the kernel's own task cleanup run first
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def limit(probe: Probe, instrument_id: InstrumentId, side, qty: str, px: str, **kwargs: Any):
    instrument = probe.cache.instrument(instrument_id)
    return probe.order_factory.limit(
        instrument_id, side, instrument.make_qty(Decimal(qty)), instrument.make_price(Decimal(px)), **kwargs
    )
