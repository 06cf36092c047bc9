"""Factories for `TradingNode`:

    node.add_data_client_factory("BITGET", BitgetLiveDataClientFactory)
    node.add_exec_client_factory("BITGET", BitgetLiveExecClientFactory)

One rate limiter per REST URL (the venue's public limits are per IP) shared by every client of a
node; one HTTP client per (URL, key) and one instrument provider per (URL, spot selection) shared by
the data and execution clients.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.live.factories import LiveDataClientFactory
from nautilus_trader.live.factories import LiveExecClientFactory

from adapters.bitget.config import BitgetDataClientConfig
from adapters.bitget.config import BitgetExecClientConfig
from adapters.bitget.config import http_url
from adapters.bitget.constants import BITGET
from adapters.bitget.constants import ENV_API_KEY
from adapters.bitget.constants import ENV_API_PASSPHRASE
from adapters.bitget.constants import ENV_API_SECRET
from adapters.bitget.constants import ENV_DEMO_API_KEY
from adapters.bitget.constants import ENV_DEMO_API_PASSPHRASE
from adapters.bitget.constants import ENV_DEMO_API_SECRET
from adapters.bitget.data import BitgetDataClient
from adapters.bitget.execution import BitgetExecutionClient
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.http import default_rate_limiter
from adapters.bitget.providers import BitgetInstrumentProvider
from adapters.bitget.signing import BitgetSigner
from adapters.common.credentials import resolve_secret
from adapters.common.errors import ConfigurationError
from adapters.common.ratelimit import RateLimiter

_HTTP: dict[tuple, BitgetHttpClient] = {}
_PROVIDERS: dict[tuple, BitgetInstrumentProvider] = {}
_LIMITERS: dict[str, RateLimiter] = {}


def env_names(demo: bool) -> tuple[str, str, str]:
    if demo:
        return ENV_DEMO_API_KEY, ENV_DEMO_API_SECRET, ENV_DEMO_API_PASSPHRASE
    return ENV_API_KEY, ENV_API_SECRET, ENV_API_PASSPHRASE


def get_rate_limiter(base_url: str) -> RateLimiter:
    limiter = _LIMITERS.get(base_url)
    if limiter is None:
        limiter = _LIMITERS[base_url] = default_rate_limiter()
    return limiter


def get_http_client(
    base_url: str, signer: BitgetSigner | None = None, timeout_secs: float = 10.0, max_retries: int = 3
) -> BitgetHttpClient:
    key = (base_url, signer.credentials_fingerprint if signer else None, signer.demo if signer else None)
    client = _HTTP.get(key)
    if client is None:
        client = _HTTP[key] = BitgetHttpClient(
            base_url,
            signer=signer,
            rate_limiter=get_rate_limiter(base_url),
            timeout_secs=timeout_secs,
            max_retries=max_retries,
        )
    return client


def get_instrument_provider(
    base_url: str, load_spot: bool, config: InstrumentProviderConfig | None = None
) -> BitgetInstrumentProvider:
    key = (base_url, load_spot, config)
    provider = _PROVIDERS.get(key)
    if provider is None:
        provider = _PROVIDERS[key] = BitgetInstrumentProvider(
            get_http_client(base_url), config=config, load_spot=load_spot
        )
    return provider


def build_signer(config: BitgetExecClientConfig) -> BitgetSigner:
    names = env_names(config.demo)
    values = [
        resolve_secret(config.api_key, names[0], config.dotenv_path),
        resolve_secret(config.api_secret, names[1], config.dotenv_path),
        resolve_secret(config.api_passphrase, names[2], config.dotenv_path),
    ]
    missing = [name for name, v in zip(names, values, strict=True) if v is None]
    if missing:
        fields = ("api_key", "api_secret", "api_passphrase")
        which = ", ".join(f"{n} (or `{f}`)" for n, f in zip(names, fields, strict=True) if n in missing)
        raise ConfigurationError(
            f"missing Bitget credentials: set {which} in the environment, a .env file or the exec client config",
            venue=BITGET,
        )
    key, secret, passphrase = values
    assert key is not None and secret is not None and passphrase is not None
    return BitgetSigner(key, secret, passphrase, demo=config.demo)


class BitgetLiveDataClientFactory(LiveDataClientFactory):
    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: BitgetDataClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> BitgetDataClient:
        url = http_url(config.base_url_http)
        client = get_http_client(url, timeout_secs=config.http_timeout_secs, max_retries=config.max_retries)
        provider = get_instrument_provider(url, config.load_spot, config.instrument_provider)
        return BitgetDataClient(loop, client, msgbus, cache, clock, provider, config, name=name)


class BitgetLiveExecClientFactory(LiveExecClientFactory):
    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: BitgetExecClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> BitgetExecutionClient:
        url = http_url(config.base_url_http)
        signer = build_signer(config)
        client = get_http_client(
            url, signer, timeout_secs=config.http_timeout_secs, max_retries=config.max_retries
        )
        provider = get_instrument_provider(url, config.load_spot, config.instrument_provider)
        return BitgetExecutionClient(loop, client, msgbus, cache, clock, provider, config, name=name)
