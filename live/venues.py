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


# -- Bybit ------------------------------------------------------------------------------------------
BYBIT_PRODUCTS = ("spot", "linear")


def _bybit_urls(section: dict[str, Any]) -> dict[str, Any]:
    """`base_url_http` alone (e.g. a venuesim front) also locates the WebSockets on the same host, as
    `base_url_ws` does (`ws://host:port`); explicit per-socket URLs win."""
    out: dict[str, Any] = {}
    http = section.get("base_url_http")
    ws = section.get("base_url_ws")
    if ws is None and http:
        ws = "ws" + http.rstrip("/")[len("http") :]
    if ws:
        ws = ws.rstrip("/")
        out = {
            "base_url_ws_public": f"{ws}/v5/public",
            "base_url_ws_private": f"{ws}/v5/private",
            "base_url_ws_trade": f"{ws}/v5/trade",
        }
    for key in ("base_url_ws_public", "base_url_ws_private", "base_url_ws_trade"):
        if section.get(key):
            out[key] = section[key]
    return out


def _bybit_products(section: dict[str, Any]) -> list:
    from nautilus_trader.adapters.bybit.common.enums import BybitProductType

    names = section.get("product_types", list(BYBIT_PRODUCTS))
    if not isinstance(names, list) or not names:
        raise ValueError(f"product_types must be a non-empty list of {', '.join(BYBIT_PRODUCTS)}")
    for name in names:
        if name not in BYBIT_PRODUCTS:
            raise ValueError(f"product_types: '{name}' is not one of {', '.join(BYBIT_PRODUCTS)}")
    return [BybitProductType(n) for n in names]


def _bybit() -> VenueAdapter:
    from nautilus_trader.config import InstrumentProviderConfig

    from adapters.bybit.config import BybitArbDataClientConfig
    from adapters.bybit.config import BybitArbExecClientConfig
    from adapters.bybit.factories import BybitArbLiveDataClientFactory
    from adapters.bybit.factories import BybitArbLiveExecClientFactory

    common = ("testnet", "demo", "base_url_http", "recv_window_ms")
    data_only = ("update_instruments_interval_mins", "bars_timestamp_on_close")
    exec_only = (
        "use_ws_trade_api",
        "use_http_batch_api",
        "use_ws_execution_fast",
        "max_retries",
        "retry_delay_initial_ms",
        "retry_delay_max_ms",
        "ws_trade_timeout_secs",
        "funding_poll_secs",
        "funding_lookback_secs",
        "fill_recovery_lookback_secs",
    )
    urls = lambda s: _bybit_urls(s)  # noqa: E731

    def base(section: dict[str, Any]) -> dict[str, Any]:
        return {
            **_pick(section, common),
            "product_types": _bybit_products(section),
            # every instrument of the product types: the built-in loads nothing otherwise
            "instrument_provider": InstrumentProviderConfig(load_all=True),
        }

    def data_config(section: dict[str, Any]) -> BybitArbDataClientConfig:
        ws = urls(section)
        return BybitArbDataClientConfig(
            **base(section), **_pick(section, data_only), base_url_ws_public=ws.get("base_url_ws_public")
        )

    def exec_config(section: dict[str, Any]) -> BybitArbExecClientConfig:
        ws = urls(section)
        leverages = section.get("leverages")
        return BybitArbExecClientConfig(
            **base(section),
            **_pick(section, exec_only),
            base_url_ws_private=ws.get("base_url_ws_private"),
            base_url_ws_trade=ws.get("base_url_ws_trade"),
            futures_leverages=_bybit_leverages(leverages) if leverages else None,
        )

    def secrets(section: dict[str, Any]) -> list[str]:
        prefix = (
            "BYBIT_DEMO" if section.get("demo") else "BYBIT_TESTNET" if section.get("testnet") else "BYBIT"
        )
        return [f"{prefix}_API_KEY", f"{prefix}_API_SECRET"]

    return VenueAdapter(
        name="BYBIT",
        data_factory=BybitArbLiveDataClientFactory,
        exec_factory=BybitArbLiveExecClientFactory,
        data_config=data_config,
        exec_config=exec_config,
        settings={
            "testnet": "use testnet URLs and the BYBIT_TESTNET_API_KEY/SECRET pair",
            "demo": "use demo-trading URLs and the BYBIT_DEMO_API_KEY/SECRET pair",
            "base_url_http": "override the REST URL (e.g. a venuesim front); WebSockets default to the same host",
            "base_url_ws": "override the WebSocket host (ws://host:port): /v5/public/<category>, /v5/private, /v5/trade",
            "base_url_ws_public": "override the public WebSocket URL up to /v5/public (the category is appended)",
            "base_url_ws_private": "override the private WebSocket URL",
            "base_url_ws_trade": "override the order-entry WebSocket URL",
            "product_types": 'categories to load and trade, default ["spot", "linear"]',
            "recv_window_ms": "signed requests' receive window",
            "update_instruments_interval_mins": "reload instruments this often (none: never)",
            "bars_timestamp_on_close": "bar ts_event at the candle's close",
            "use_ws_trade_api": "send orders over the /v5/trade WebSocket instead of REST",
            "use_http_batch_api": "batch orders over REST when use_ws_trade_api is on",
            "use_ws_execution_fast": "fills from execution.fast (funding still from execution)",
            "max_retries": "retries of a submit/cancel/amend the venue refused as retryable",
            "retry_delay_initial_ms": "first retry delay",
            "retry_delay_max_ms": "longest retry delay",
            "ws_trade_timeout_secs": "order-entry WebSocket reply timeout",
            "funding_poll_secs": "REST catch-up of settled funding every N seconds (none: off)",
            "funding_lookback_secs": "at connect, also publish settlements this far back",
            "fill_recovery_lookback_secs": "margin of the REST catch-up after a stream gap",
            "leverages": "leverage to set per linear symbol at connect, e.g. { BTCUSDT = 5 }",
        },
        secrets=secrets,
        instruments_loaded=lambda s: f"all {', '.join(s.get('product_types', list(BYBIT_PRODUCTS)))}",
    )


def _bybit_leverages(leverages: dict[str, Any]) -> dict:
    from nautilus_trader.adapters.bybit.common.symbol import BybitSymbol

    if not isinstance(leverages, dict):
        raise ValueError("leverages must be a table of SYMBOL = leverage, e.g. { BTCUSDT = 5 }")
    out = {}
    for symbol, lev in leverages.items():
        if not isinstance(lev, int) or lev < 1:
            raise ValueError(f"leverages.{symbol}: a whole number of at least 1, got {lev!r}")
        out[BybitSymbol(f"{symbol.upper().removesuffix('-LINEAR')}-LINEAR")] = lev
    return out


VENUE_ADAPTERS: dict[str, Callable[[], VenueAdapter]] = {
    "HYPERLIQUID": _hyperliquid,
    "BITGET": _bitget,
    "BYBIT": _bybit,
}


def venue_adapter(name: str) -> VenueAdapter:
    try:
        return VENUE_ADAPTERS[name]()
    except KeyError:
        raise KeyError(name) from None
