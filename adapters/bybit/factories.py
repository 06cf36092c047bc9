"""Client factories for a `TradingNode`: the built-in Bybit factories' construction (shared, cached
HTTP client and instrument provider) with our clients and URL overrides.

    node.add_data_client_factory("BYBIT", BybitArbLiveDataClientFactory)
    node.add_exec_client_factory("BYBIT", BybitArbLiveExecClientFactory)
"""

from __future__ import annotations

import asyncio

from nautilus_trader.adapters.bybit.common.constants import BYBIT_ALL_PRODUCTS
from nautilus_trader.adapters.bybit.common.enums import BybitProductType
from nautilus_trader.adapters.bybit.common.urls import get_ws_base_url_private
from nautilus_trader.adapters.bybit.common.urls import get_ws_base_url_public
from nautilus_trader.adapters.bybit.common.urls import get_ws_base_url_trade
from nautilus_trader.adapters.bybit.factories import get_bybit_instrument_provider
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory
from nautilus_trader.live.factories import LiveExecClientFactory

from adapters.bybit.config import BybitArbDataClientConfig
from adapters.bybit.config import BybitArbExecClientConfig
from adapters.bybit.data import BybitArbDataClient
from adapters.bybit.execution import BybitArbExecutionClient
from adapters.bybit.http import get_http_client


def public_ws_urls(config: BybitArbDataClientConfig, product_types: list[BybitProductType]) -> dict:
    if config.base_url_ws_public:
        base = config.base_url_ws_public.rstrip("/")
        return {p: f"{base}/{p.value}" for p in product_types}
    return {p: get_ws_base_url_public(p, config.demo, config.testnet) for p in product_types}


class BybitArbLiveDataClientFactory(LiveDataClientFactory):
    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: BybitArbDataClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> BybitArbDataClient:
        product_types = list(config.product_types or BYBIT_ALL_PRODUCTS)
        client = get_http_client(
            clock=clock,
            key=config.api_key,
            secret=config.api_secret,
            base_url=config.base_url_http,
            is_demo=config.demo,
            is_testnet=config.testnet,
            recv_window_ms=config.recv_window_ms,
        )
        provider = get_bybit_instrument_provider(
            client=client,
            clock=clock,
            product_types=frozenset(product_types),
            config=config.instrument_provider,
        )
        return BybitArbDataClient(
            loop=loop,
            client=client,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=provider,
            product_types=product_types,
            ws_base_urls=public_ws_urls(config, product_types),
            config=config,
            name=name,
        )


class BybitArbLiveExecClientFactory(LiveExecClientFactory):
    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: BybitArbExecClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> BybitArbExecutionClient:
        client = get_http_client(
            clock=clock,
            key=config.api_key,
            secret=config.api_secret,
            base_url=config.base_url_http,
            is_demo=config.demo,
            is_testnet=config.testnet,
            recv_window_ms=config.recv_window_ms,
        )
        provider = get_bybit_instrument_provider(
            client=client,
            clock=clock,
            product_types=frozenset(config.product_types or BYBIT_ALL_PRODUCTS),
            config=config.instrument_provider,
        )
        return BybitArbExecutionClient(
            loop=loop,
            client=client,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=provider,
            product_types=list(config.product_types or [BybitProductType.SPOT]),
            base_url_ws_private=config.base_url_ws_private or get_ws_base_url_private(config.testnet),
            base_url_ws_trade=config.base_url_ws_trade or get_ws_base_url_trade(config.testnet),
            config=config,
            name=name,
        )
