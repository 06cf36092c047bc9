"""How a node builds each venue's Nautilus clients from its `[venues.<VENUE>]` table.

A `VenueAdapter` names the venue's data/exec client factories, the settings a node config may give
(anything else is a config error naming the key), and the environment variables that hold its
secrets (a dry run says whether each is present, never its value). Venue issues add their entry.

Settings every venue table may also hold, used by sandbox nodes only: `balance`, `leverage`,
`latency_ms`, `funding_every_s` (see `SANDBOX_SETTINGS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from nautilus_trader.config import LiveDataClientConfig
from nautilus_trader.config import LiveExecClientConfig
from nautilus_trader.live.factories import LiveDataClientFactory
from nautilus_trader.live.factories import LiveExecClientFactory

SANDBOX_SETTINGS = {
    "balance": "starting balance in the venue's settlement currency (sandbox)",
    "leverage": "account leverage (sandbox)",
    "latency_ms": "simulated order latency (sandbox; default: the registry's figure)",
    "funding_every_s": "rehearsal: settle funding every N seconds at the latest rate (sandbox)",
}


@dataclass(frozen=True)
class VenueAdapter:
    name: str
    data_factory: type[LiveDataClientFactory]
    exec_factory: type[LiveExecClientFactory]
    data_config: Callable[[dict[str, Any]], LiveDataClientConfig]
    exec_config: Callable[[dict[str, Any]], LiveExecClientConfig]
    settings: dict[str, str]  # key -> what it means
    secrets: Callable[[dict[str, Any]], list[str]] = field(
        default=lambda s: []
    )  # env vars read for this table
    instruments_loaded: Callable[[dict[str, Any]], str] = field(default=lambda s: "all")


def _pick(section: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in section.items() if k in keys}


# -- Hyperliquid -----------------------------------------------------------------------------------
def _hyperliquid() -> VenueAdapter:
    from adapters.hyperliquid.config import HyperliquidDataClientConfig
    from adapters.hyperliquid.config import HyperliquidExecClientConfig
    from adapters.hyperliquid.factories import HyperliquidLiveDataClientFactory
    from adapters.hyperliquid.factories import HyperliquidLiveExecClientFactory

    common = (
        "testnet",
        "base_url_http",
        "base_url_ws",
        "perp_dexs",
        "load_spot",
        "heartbeat_secs",
        "http_timeout_secs",
        "max_retries",
    )
    data_only = ("stale_feed_secs",)
    exec_only = (
        "account_address",
        "vault_address",
        "market_order_slippage_bps",
        "fill_recovery_lookback_secs",
        "dotenv_path",
    )

    def secrets(section: dict[str, Any]) -> list[str]:
        testnet = bool(section.get("testnet"))
        names = ["HYPERLIQUID_TESTNET_PRIVATE_KEY" if testnet else "HYPERLIQUID_PRIVATE_KEY"]
        if not section.get("account_address"):
            names.append("HYPERLIQUID_ACCOUNT_ADDRESS (optional: agent wallets)")
        return names

    return VenueAdapter(
        name="HYPERLIQUID",
        data_factory=HyperliquidLiveDataClientFactory,
        exec_factory=HyperliquidLiveExecClientFactory,
        data_config=lambda s: HyperliquidDataClientConfig(**_pick(s, common + data_only)),
        exec_config=lambda s: HyperliquidExecClientConfig(**_pick(s, common + exec_only)),
        settings={
            "testnet": "use testnet URLs (and sign for testnet)",
            "base_url_http": "override the REST URL (e.g. a venuesim front)",
            "base_url_ws": "override the WebSocket URL (default: <base_url_http>/ws)",
            "perp_dexs": 'HIP-3 builder dexes to load, e.g. ["xyz"]',
            "load_spot": "load spot pairs",
            "heartbeat_secs": "WebSocket ping interval",
            "http_timeout_secs": "REST timeout",
            "max_retries": "REST retries on 429/5xx",
            "stale_feed_secs": "silence after which a feed is declared stale",
            "account_address": "master account when the key is an agent (API) wallet",
            "vault_address": "act for this vault / sub-account",
            "market_order_slippage_bps": "how far through the book MARKET orders may fill",
            "fill_recovery_lookback_secs": "margin for the fill catch-up after a reconnect",
            "dotenv_path": "a .env file holding the secrets",
        },
        secrets=secrets,
    )


# -- Bitget ----------------------------------------------------------------------------------------
def _bitget() -> VenueAdapter:
    from adapters.bitget.config import BitgetDataClientConfig
    from adapters.bitget.config import BitgetExecClientConfig
    from adapters.bitget.factories import BitgetLiveDataClientFactory
    from adapters.bitget.factories import BitgetLiveExecClientFactory
    from adapters.bitget.factories import env_names

    common = (
        "demo",
        "base_url_http",
        "base_url_ws",
        "load_spot",
        "heartbeat_secs",
        "http_timeout_secs",
        "max_retries",
    )
    data_only = ("stale_feed_secs", "quote_channel", "funding_refresh_secs", "bars_timestamp_on_close")
    exec_only = (
        "margin_mode",
        "set_one_way_mode",
        "fill_recovery_lookback_secs",
        "funding_poll_secs",
        "dotenv_path",
    )

    return VenueAdapter(
        name="BITGET",
        data_factory=BitgetLiveDataClientFactory,
        exec_factory=BitgetLiveExecClientFactory,
        data_config=lambda s: BitgetDataClientConfig(**_pick(s, common + data_only)),
        exec_config=lambda s: BitgetExecClientConfig(**_pick(s, common + exec_only)),
        settings={
            "demo": "trade the demo (paper) account: paptrading header, demo WebSocket host, BITGET_DEMO_* keys",
            "base_url_http": "override the REST URL (e.g. a venuesim front)",
            "base_url_ws": "override the WebSocket origin (default: the REST host, /v2/ws/public|private)",
            "load_spot": "load spot symbols as well as the USDT-M perpetuals",
            "heartbeat_secs": "WebSocket ping interval (the venue wants one every 30 s)",
            "http_timeout_secs": "REST timeout",
            "max_retries": "REST retries on 429/5xx",
            "stale_feed_secs": "silence after which a feed is declared stale",
            "quote_channel": "quotes from 'books1' (default) or 'ticker'",
            "funding_refresh_secs": "how often the current funding rate and interval are re-read",
            "bars_timestamp_on_close": "bar timestamps at the close (true) or open of the candle",
            "margin_mode": "'crossed' (default) or 'isolated', sent with every futures order",
            "set_one_way_mode": "switch a hedge-mode account to one-way mode at start (else refused)",
            "fill_recovery_lookback_secs": "margin for the fill catch-up after a reconnect",
            "funding_poll_secs": "how often the account bills are read for funding settlements",
            "dotenv_path": "a .env file holding the secrets",
        },
        secrets=lambda s: list(env_names(bool(s.get("demo")))),
    )


VENUE_ADAPTERS: dict[str, Callable[[], VenueAdapter]] = {
    "HYPERLIQUID": _hyperliquid,
    "BITGET": _bitget,
}


def venue_adapter(name: str) -> VenueAdapter:
    try:
        return VENUE_ADAPTERS[name]()
    except KeyError:
        raise KeyError(name) from None
