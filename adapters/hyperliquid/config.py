"""Client configs, usable in a `TradingNodeConfig`.

URLs default to mainnet; `testnet=True` switches both; `base_url_http`/`base_url_ws` override
(tests point them at venuesim). The signing key defaults to the environment
(`HYPERLIQUID_PRIVATE_KEY`, or `HYPERLIQUID_TESTNET_PRIVATE_KEY` with `testnet=True`) or a `.env`
file; it can be the account's key or an agent (API) wallet key. With an agent key set
`account_address` (env `HYPERLIQUID_ACCOUNT_ADDRESS`) to the master account: queries and private
streams must use the account, not the agent. With `vault_address` (env `HYPERLIQUID_VAULT_ADDRESS`)
orders act for that vault/sub-account and queries use it.

`repr()` of an exec config never shows the key (the key is better left to the environment: a key
passed explicitly is still part of the config's serialized form).
"""

from __future__ import annotations

from nautilus_trader.config import LiveDataClientConfig
from nautilus_trader.config import LiveExecClientConfig

from adapters.common.credentials import REDACTED
from adapters.hyperliquid.constants import MAINNET_HTTP_URL
from adapters.hyperliquid.constants import MAINNET_WS_URL
from adapters.hyperliquid.constants import TESTNET_HTTP_URL
from adapters.hyperliquid.constants import TESTNET_WS_URL


def http_url(testnet: bool, override: str | None) -> str:
    return (override or (TESTNET_HTTP_URL if testnet else MAINNET_HTTP_URL)).rstrip("/")


def ws_url(testnet: bool, override: str | None, http_override: str | None = None) -> str:
    if override:
        return override
    if http_override:
        # Same host serves REST and /ws (the official SDK derives it the same way).
        base = http_override.rstrip("/")
        return "ws" + base[len("http") :] + "/ws"
    return TESTNET_WS_URL if testnet else MAINNET_WS_URL


class HyperliquidDataClientConfig(LiveDataClientConfig, frozen=True):
    """
    testnet: use testnet URLs.
    base_url_http / base_url_ws: override the URLs (ws defaults to `<http>/ws` when only http is set).
    perp_dexs: HIP-3 builder dexes to load (e.g. ["xyz"]); None loads every listed dex, [] none.
    load_spot: load spot pairs.
    stale_feed_secs: a book/bbo/asset-context subscription silent this long is declared stale
        (`FeedStatus`) and its connection recycled; None disables.
    heartbeat_secs: interval of the `{"method":"ping"}` heartbeat (the venue drops idle sockets after 60 s).
    bars_timestamp_on_close: bar ts_event at the close (True) or open of the candle.
    """

    testnet: bool = False
    base_url_http: str | None = None
    base_url_ws: str | None = None
    perp_dexs: list[str] | None = None
    load_spot: bool = True
    stale_feed_secs: float | None = 10.0
    heartbeat_secs: float = 30.0
    http_timeout_secs: float = 10.0
    max_retries: int = 3
    bars_timestamp_on_close: bool = True


class HyperliquidExecClientConfig(LiveExecClientConfig, frozen=True):
    """
    private_key: signing key (account or agent wallet); default from the environment / `.env`.
    account_address: the master account when `private_key` is an agent wallet.
    vault_address: act for this vault / sub-account.
    testnet, base_url_http, base_url_ws, perp_dexs, load_spot: as for the data client.
    market_order_slippage_bps: MARKET orders become IOC limits this far through the last quote.
    fill_recovery_lookback_secs: on reconnect, fills since the last seen fill minus this margin are
        fetched over REST (and de-duplicated by trade id), so a fill during a disconnect is not lost.
    dotenv_path: `.env` file to read secrets from (default `./.env` or `$ARB_DOTENV`).
    """

    private_key: str | None = None
    account_address: str | None = None
    vault_address: str | None = None
    testnet: bool = False
    base_url_http: str | None = None
    base_url_ws: str | None = None
    perp_dexs: list[str] | None = None
    load_spot: bool = True
    market_order_slippage_bps: int = 50
    heartbeat_secs: float = 30.0
    http_timeout_secs: float = 10.0
    max_retries: int = 3
    fill_recovery_lookback_secs: float = 5.0
    dotenv_path: str | None = None

    def __repr__(self) -> str:
        fields = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name == "private_key" and value is not None:
                value = REDACTED
            fields.append(f"{name}={value!r}" if name != "private_key" else f"{name}={value}")
        return f"{type(self).__name__}({', '.join(fields)})"

    __str__ = __repr__
