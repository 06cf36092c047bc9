"""Test harness for Bybit: the venuesim Bybit front in a background thread and a real Nautilus
`TradingNode` running the built-in Bybit clients (through our factories) in another, with the probe
strategy of `hl_support` recording what the node receives."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

import requests
from hl_support import NodeHarness
from hl_support import Probe
from hl_support import ProbeConfig
from hl_support import wait_for
from nautilus_trader.adapters.bybit.common.enums import BybitProductType
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.config import LiveExecEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.model.identifiers import InstrumentId

from adapters.bybit.config import BybitArbDataClientConfig
from adapters.bybit.config import BybitArbExecClientConfig
from adapters.bybit.factories import BybitArbLiveDataClientFactory
from adapters.bybit.factories import BybitArbLiveExecClientFactory
from venuesim.fronts.bybit import create
from venuesim.server import SimThread

# Throwaway keys: they exist only on the local simulator.
UID = "1001"
KEY = "venuesimKey1001"
SECRET = "venuesimSecret1001xyz"
OTHER_UID, OTHER_KEY, OTHER_SECRET = "2002", "venuesimKey2002", "venuesimSecret2002xyz"

PERP = InstrumentId.from_str("BTCUSDT-LINEAR.BYBIT")
SPOT = InstrumentId.from_str("BTCUSDT-SPOT.BYBIT")
ETH_PERP = InstrumentId.from_str("ETHUSDT-LINEAR.BYBIT")
PRODUCTS = [BybitProductType.SPOT, BybitProductType.LINEAR]

__all__ = ["NodeHarness", "Probe", "ProbeConfig", "wait_for"]


@contextlib.contextmanager
def running_sim(**kwargs: Any):
    kwargs.setdefault(
        "accounts",
        [
            {"uid": UID, "api_key": KEY, "api_secret": SECRET, "coins": {"USDT": "100000", "BTC": "1"}},
            {"uid": OTHER_UID, "api_key": OTHER_KEY, "api_secret": OTHER_SECRET},
        ],
    )
    kwargs.setdefault("tick_secs", 0.05)
    sim = create(**kwargs)
    with SimThread(sim):
        yield sim


def node_config(
    sim,
    *,
    key: str | None = KEY,
    secret: str | None = SECRET,
    data: bool = True,
    exec_: bool = True,
    reconcile: bool = True,
    log_level: str = "INFO",
    exec_kwargs: dict[str, Any] | None = None,
) -> TradingNodeConfig:
    urls = sim.front.ws_urls()
    common = {
        "api_key": key,
        "api_secret": secret,
        "product_types": PRODUCTS,
        "base_url_http": sim.http_url,
        "instrument_provider": InstrumentProviderConfig(load_all=True),
    }
    return TradingNodeConfig(
        trader_id="TESTER-001",
        logging=LoggingConfig(log_level=log_level, log_colors=False),
        data_clients={
            "BYBIT": BybitArbDataClientConfig(
                **common,
                base_url_ws_public=urls["linear"].rsplit("/", 1)[0],
                update_instruments_interval_mins=None,
            )
        }
        if data
        else {},
        exec_clients={
            "BYBIT": BybitArbExecClientConfig(
                **common,
                base_url_ws_private=urls["private"],
                base_url_ws_trade=urls["trade"],
                **(exec_kwargs or {}),
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


class BybitProbe(Probe):
    """`hl_support.Probe` that also records bars and historical data responses."""

    def __init__(self, config: ProbeConfig) -> None:
        super().__init__(config)
        self.bars: list[Any] = []
        self.historical: list[Any] = []

    def on_bar(self, bar) -> None:
        self.bars.append(bar)

    def on_historical_data(self, data) -> None:
        self.historical.append(data)


class BybitNodeHarness(NodeHarness):
    """`hl_support.NodeHarness` with the Bybit factories instead of Hyperliquid's."""

    venue = "BYBIT"
    data_factory = BybitArbLiveDataClientFactory
    exec_factory = BybitArbLiveExecClientFactory
    probe_class = BybitProbe


def signed(sim, method: str, path: str, params: dict[str, Any], key: str = KEY, secret: str = SECRET,
           ts: int | None = None, recv: int = 5000) -> dict[str, Any]:  # fmt: skip
    """A REST request signed the way the venue specifies (a plain client, not one of the SDKs)."""
    stamp = str(ts if ts is not None else int(time.time() * 1000))
    payload = "&".join(f"{k}={v}" for k, v in params.items()) if method == "GET" else json.dumps(params)
    sig = hmac.new(secret.encode(), f"{stamp}{key}{recv}{payload}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "X-BAPI-API-KEY": key,
        "X-BAPI-TIMESTAMP": stamp,
        "X-BAPI-RECV-WINDOW": str(recv),
        "X-BAPI-SIGN": sig,
    }
    if method == "GET":
        r = requests.get(f"{sim.http_url}{path}?{payload}", headers=headers, timeout=5)
    else:
        headers["Content-Type"] = "application/json"
        r = requests.post(f"{sim.http_url}{path}", data=payload, headers=headers, timeout=5)
    return r.json()


def bbo(sim, market: str = "linear:BTCUSDT") -> tuple[Decimal, Decimal]:
    m = sim.state()["markets"][market]
    return Decimal(m["bid"]), Decimal(m["ask"])
