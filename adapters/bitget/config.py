"""Client configs, usable in a `TradingNodeConfig`.

URLs default to Bitget's production hosts; `demo=True` trades the demo (paper) account: same REST
host with the `paptrading: 1` header on private calls, and the demo WebSocket host.
`base_url_http` / `base_url_ws` override them (tests point them at venuesim): `base_url_ws` is the
WebSocket origin (`wss://ws.bitget.com`, `ws://127.0.0.1:8765`) under which the venue's
`/v2/ws/public` and `/v2/ws/private` paths live; when only `base_url_http` is given the WebSocket
origin is the same host (how venuesim serves both).

Credentials default to the environment (`BITGET_API_KEY`, `BITGET_API_SECRET`,
`BITGET_API_PASSPHRASE`, or the `BITGET_DEMO_*` names with `demo=True`) or a `.env` file.
`repr()` of an exec config never shows them (better left to the environment: values passed
explicitly are still part of the config's serialized form).
"""

from __future__ import annotations

from nautilus_trader.config import LiveDataClientConfig
from nautilus_trader.config import LiveExecClientConfig

from adapters.bitget.constants import DEMO_WS_PRIVATE_URL
from adapters.bitget.constants import DEMO_WS_PUBLIC_URL
from adapters.bitget.constants import HTTP_URL
from adapters.bitget.constants import WS_PRIVATE_PATH
from adapters.bitget.constants import WS_PRIVATE_URL
from adapters.bitget.constants import WS_PUBLIC_PATH
from adapters.bitget.constants import WS_PUBLIC_URL
from adapters.common.credentials import REDACTED

SECRET_FIELDS = ("api_key", "api_secret", "api_passphrase")


def http_url(override: str | None) -> str:
    return (override or HTTP_URL).rstrip("/")


def ws_urls(demo: bool, override: str | None, http_override: str | None = None) -> tuple[str, str]:
    """(public, private) WebSocket URLs."""
    origin = override
    if origin is None and http_override:
        base = http_override.rstrip("/")
        origin = "ws" + base[len("http") :]
    if origin:
        origin = origin.rstrip("/")
        for path in (WS_PUBLIC_PATH, WS_PRIVATE_PATH):
            if origin.endswith(path):
                origin = origin[: -len(path)]
        return origin + WS_PUBLIC_PATH, origin + WS_PRIVATE_PATH
    if demo:
        return DEMO_WS_PUBLIC_URL, DEMO_WS_PRIVATE_URL
    return WS_PUBLIC_URL, WS_PRIVATE_URL


class BitgetDataClientConfig(LiveDataClientConfig, frozen=True):
    """
    demo: use the demo-trading WebSocket host.
    base_url_http / base_url_ws: override the URLs (see the module docstring).
    load_spot: load spot symbols as well as the USDT-M perpetuals.
    quote_channel: where QuoteTicks come from: "books1" (top of book with sizes, 100 ms) or "ticker".
    stale_feed_secs: a book / quote / ticker subscription silent this long is declared stale
        (`FeedStatus`) and its connection recycled; None disables.
    heartbeat_secs: interval of the plain-text `ping` (the venue drops a socket after 2 min without).
    funding_refresh_secs: how often `current-fund-rate` is re-read for each funding subscription
        (the funding interval of a symbol can change; the ticker carries rate and next time only).
    bars_timestamp_on_close: bar ts_event at the close (True) or open of the candle.
    """

    demo: bool = False
    base_url_http: str | None = None
    base_url_ws: str | None = None
    load_spot: bool = True
    quote_channel: str = "books1"
    stale_feed_secs: float | None = 10.0
    heartbeat_secs: float = 30.0
    funding_refresh_secs: float = 300.0
    http_timeout_secs: float = 10.0
    max_retries: int = 3
    bars_timestamp_on_close: bool = True


class BitgetExecClientConfig(LiveExecClientConfig, frozen=True):
    """
    api_key / api_secret / api_passphrase: credentials; default from the environment / `.env`.
    demo, base_url_http, base_url_ws, load_spot: as for the data client.
    margin_mode: "crossed" or "isolated" (sent with every futures order).
    set_one_way_mode: the adapter trades in one-way position mode and checks it at start; an
        account in hedge mode is an error naming the fix, unless this is True, in which case the
        adapter switches the account to one-way mode (the venue refuses while positions or orders
        are open).
    fill_recovery_lookback_secs: on reconnect, fills since the last seen fill minus this margin are
        fetched over REST (de-duplicated by trade id), so a fill during a disconnect is not lost.
    funding_poll_secs: how often the account bills are read for funding settlements (also read
        after every account push that is not explained by a fill); None disables.
    dotenv_path: `.env` file to read secrets from (default `./.env` or `$ARB_DOTENV`).
    """

    api_key: str | None = None
    api_secret: str | None = None
    api_passphrase: str | None = None
    demo: bool = False
    base_url_http: str | None = None
    base_url_ws: str | None = None
    load_spot: bool = True
    margin_mode: str = "crossed"
    set_one_way_mode: bool = False
    heartbeat_secs: float = 30.0
    http_timeout_secs: float = 10.0
    max_retries: int = 3
    fill_recovery_lookback_secs: float = 5.0
    funding_poll_secs: float | None = 60.0
    dotenv_path: str | None = None

    def __repr__(self) -> str:
        fields = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name in SECRET_FIELDS and value is not None:
                fields.append(f"{name}={REDACTED}")
            else:
                fields.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    __str__ = __repr__
