"""Factories for `TradingNode`:

    node.add_data_client_factory("HYPERLIQUID", HyperliquidLiveDataClientFactory)
    node.add_exec_client_factory("HYPERLIQUID", HyperliquidLiveExecClientFactory)

One HTTP client per (URL, signer, vault) and one instrument provider per (URL, dex selection) are
shared by the data and execution clients of a node.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.live.factories import LiveDataClientFactory
from nautilus_trader.live.factories import LiveExecClientFactory

from adapters.common.credentials import resolve_secret
from adapters.common.credentials import resolve_setting
from adapters.common.errors import ConfigurationError
from adapters.common.ratelimit import RateLimiter
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import http_url
from adapters.hyperliquid.constants import ENV_ACCOUNT_ADDRESS
from adapters.hyperliquid.constants import ENV_PRIVATE_KEY
from adapters.hyperliquid.constants import ENV_TESTNET_PRIVATE_KEY
from adapters.hyperliquid.constants import ENV_VAULT_ADDRESS
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.data import HyperliquidDataClient
from adapters.hyperliquid.execution import HyperliquidExecutionClient
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.http import default_rate_limiter
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.signing import HyperliquidSigner

_HTTP: dict[tuple, HyperliquidHttpClient] = {}
_PROVIDERS: dict[tuple, HyperliquidInstrumentProvider] = {}
_LIMITERS: dict[str, RateLimiter] = {}


def get_rate_limiter(base_url: str) -> RateLimiter:
    """The venue limits REST weight per IP: every client of one node to one URL shares one budget."""
    limiter = _LIMITERS.get(base_url)
    if limiter is None:
        limiter = _LIMITERS[base_url] = default_rate_limiter()
    return limiter


def get_http_client(
    base_url: str,
    signer: HyperliquidSigner | None = None,
    timeout_secs: float = 10.0,
    max_retries: int = 3,
) -> HyperliquidHttpClient:
    key = (
        base_url,
        signer.address if signer else None,
        signer.vault_address if signer else None,
        signer.is_mainnet if signer else None,
    )
    client = _HTTP.get(key)
    if client is None:
        client = _HTTP[key] = HyperliquidHttpClient(
            base_url, signer=signer, timeout_secs=timeout_secs, max_retries=max_retries
        )
    return client


def get_instrument_provider(
    base_url: str,
    perp_dexs: list[str] | None,
    load_spot: bool,
    config: InstrumentProviderConfig | None = None,
) -> HyperliquidInstrumentProvider:
    key = (base_url, tuple(perp_dexs) if perp_dexs is not None else None, load_spot, config)
    provider = _PROVIDERS.get(key)
    if provider is None:
        provider = _PROVIDERS[key] = HyperliquidInstrumentProvider(
            get_http_client(base_url), config=config, perp_dexs=perp_dexs, load_spot=load_spot
        )
    return provider


def build_signer(config: HyperliquidExecClientConfig) -> HyperliquidSigner:
    env = ENV_TESTNET_PRIVATE_KEY if config.testnet else ENV_PRIVATE_KEY
    key = resolve_secret(config.private_key, env, config.dotenv_path)
    if key is None:
        raise ConfigurationError(
            f"no private key: set {env} in the environment or a .env file, or `private_key` in the exec client config",
            venue=HYPERLIQUID,
        )
    vault = resolve_setting(config.vault_address, ENV_VAULT_ADDRESS, config.dotenv_path)
    return HyperliquidSigner(key, is_mainnet=not config.testnet, vault_address=vault)


def account_address(config: HyperliquidExecClientConfig, signer: HyperliquidSigner) -> str:
    """Whose orders/fills/positions to query: the vault, else the master account, else the signer."""
    if signer.vault_address:
        return signer.vault_address
    return (
        resolve_setting(config.account_address, ENV_ACCOUNT_ADDRESS, config.dotenv_path) or signer.address
    ).lower()


class HyperliquidLiveDataClientFactory(LiveDataClientFactory):
    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: HyperliquidDataClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> HyperliquidDataClient:
        url = http_url(config.testnet, config.base_url_http)
        client = get_http_client(url, timeout_secs=config.http_timeout_secs, max_retries=config.max_retries)
        provider = get_instrument_provider(
            url, config.perp_dexs, config.load_spot, config.instrument_provider
        )
        return HyperliquidDataClient(loop, client, msgbus, cache, clock, provider, config, name=name)


class HyperliquidLiveExecClientFactory(LiveExecClientFactory):
    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: HyperliquidExecClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> HyperliquidExecutionClient:
        url = http_url(config.testnet, config.base_url_http)
        signer = build_signer(config)
        client = get_http_client(
            url, signer, timeout_secs=config.http_timeout_secs, max_retries=config.max_retries
        )
        provider = get_instrument_provider(
            url, config.perp_dexs, config.load_spot, config.instrument_provider
        )
        return HyperliquidExecutionClient(
            loop,
            client,
            msgbus,
            cache,
            clock,
            provider,
            config,
            account_address=account_address(config, signer),
            name=name,
        )
