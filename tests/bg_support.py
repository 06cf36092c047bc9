"""Test harness for the Bitget adapter: venuesim's Bitget front in a background thread, a real
Nautilus `TradingNode` in another, and the probe strategy from `hl_support` recording everything.

The test thread drives both: the simulator through its thread-safe control methods, the node by
scheduling calls on the node's loop (`BitgetNode.call`). Conditions are polled, never slept on.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hl_support import NodeHarness
from hl_support import Probe
from hl_support import ProbeConfig
from hl_support import limit
from hl_support import wait_for
from nautilus_trader.config import LiveExecEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import TradingNodeConfig
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


class BitgetNode(NodeHarness):
    """A TradingNode with the Bitget factories and a probe strategy, on its own thread."""

    venue = "BITGET"
    data_factory = BitgetLiveDataClientFactory
    exec_factory = BitgetLiveExecClientFactory


def events_for(h: BitgetNode, order, kind: str) -> list:
    return [
        e for e in h.probe.events if type(e).__name__ == kind and e.client_order_id == order.client_order_id
    ]
