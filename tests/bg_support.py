"""Test harness for the Bitget adapter: venuesim's Bitget front in a background thread, a real
Nautilus `TradingNode` in another, and the probe strategy from `hl_support` recording everything.

The test thread drives both: the simulator through its thread-safe control methods, the node by
scheduling calls on the node's loop (`BitgetNode.call`). Conditions are polled, never slept on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from hl_support import Probe
from hl_support import ProbeConfig
from hl_support import limit
from hl_support import wait_for
from nautilus_trader.config import LiveExecEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import InstrumentId

from adapters.bitget.config import BitgetDataClientConfig
from adapters.bitget.config import BitgetExecClientConfig
from adapters.bitget.factories import BitgetLiveDataClientFactory
from adapters.bitget.factories import BitgetLiveExecClientFactory
from venuesim.fronts.bitget import DEFAULT_MARKETS
from venuesim.fronts.bitget import create
from venuesim.server import SimThread

# Throwaway credentials: they exist only on the local simulator.
API_KEY = "bg_test_key_0123456789abcdef"
API_SECRET = "bg_test_secret_fedcba9876543210fedcba"
PASSPHRASE = "bg-test-passphrase-42"
UID = "1000001"

BTC = InstrumentId.from_str("BTCUSDT-PERP.BITGET")
ETH = InstrumentId.from_str("ETHUSDT-PERP.BITGET")
NVDA = InstrumentId.from_str("NVDAUSDT-PERP.BITGET")
BTC_SPOT = InstrumentId.from_str("BTCUSDT-SPOT.BITGET")

__all__ = ["API_KEY", "API_SECRET", "BTC", "BTC_SPOT", "ETH", "NVDA", "PASSPHRASE", "BitgetNode", "Probe",
           "ProbeConfig", "limit", "node_config", "running_sim", "wait_for"]  # fmt: skip


def account(**extra: Any) -> dict[str, Any]:
    return {"api_key": API_KEY, "secret": API_SECRET, "passphrase": PASSPHRASE, "uid": UID, **extra}


# the default markets (they agree with catalog/registry.toml), NVDAUSDT settling every 4 h instead of 8
MARKETS_4H_NVDA = [dict(m, fund_interval=4) if m["symbol"] == "NVDAUSDT" else m for m in DEFAULT_MARKETS]


@contextlib.contextmanager
def running_sim(**kwargs: Any):
    kwargs.setdefault("accounts", [account()])
    kwargs.setdefault("tick_secs", 0.05)
    sim = create(**kwargs)
    with SimThread(sim):
        yield sim


def node_config(
    sim,
    *,
    data: bool = True,
    exec_: bool = True,
    reconcile: bool = True,
    credentials: bool = True,
    data_kwargs: dict[str, Any] | None = None,
    **exec_kwargs: Any,
) -> TradingNodeConfig:
    common = {"base_url_http": sim.http_url}
    creds = (
        {"api_key": API_KEY, "api_secret": API_SECRET, "api_passphrase": PASSPHRASE} if credentials else {}
    )
    return TradingNodeConfig(
        trader_id="TESTER-001",
        logging=LoggingConfig(log_level="INFO", log_colors=False),
        data_clients={
            "BITGET": BitgetDataClientConfig(
                **common, stale_feed_secs=1.0, heartbeat_secs=5.0, **(data_kwargs or {})
            )
        }
        if data
        else {},
        exec_clients={
            "BITGET": BitgetExecClientConfig(**common, **{**creds, "heartbeat_secs": 5.0, **exec_kwargs})
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


class BitgetNode:
    """A TradingNode with the Bitget factories and a probe strategy, on its own thread."""

    def __init__(self, config: TradingNodeConfig, probe: ProbeConfig | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.node = TradingNode(config=config, loop=self.loop)
        self.node.add_data_client_factory("BITGET", BitgetLiveDataClientFactory)
        self.node.add_exec_client_factory("BITGET", BitgetLiveExecClientFactory)
        self.probe = Probe(probe or ProbeConfig())
        self.node.trader.add_strategy(self.probe)
        self.node.build()
        self._thread = threading.Thread(target=self._run, name="node", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):
            self.loop.run_until_complete(self.node.run_async())
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):
            self.loop.run_until_complete(self._cancel_tasks())

    def start(self, timeout: float = 20.0) -> BitgetNode:
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
            self.loop.close()

    async def _cancel_tasks(self) -> None:
        await asyncio.sleep(0.05)
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> BitgetNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def events_for(h: BitgetNode, order, kind: str) -> list:
    return [
        e for e in h.probe.events if type(e).__name__ == kind and e.client_order_id == order.client_order_id
    ]
