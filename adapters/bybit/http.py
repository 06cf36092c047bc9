"""The built-in Bybit HTTP client with replies passed through `compat.normalize_rest`, and a cached
constructor like the built-in's (one client per key set, shared by a node's data and exec clients)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from nautilus_trader.adapters.bybit.factories import get_bybit_http_client
from nautilus_trader.adapters.bybit.http.client import BybitHttpClient
from nautilus_trader.common.component import LiveClock
from nautilus_trader.core.nautilus_pyo3 import HttpMethod

from adapters.bybit.compat import normalize_rest


class BybitArbHttpClient(BybitHttpClient):
    async def send_request(
        self,
        http_method: HttpMethod,
        url_path: str,
        payload: dict[str, str] | None = None,
        signature: str | None = None,
        timestamp: str | None = None,
        ratelimiter_keys: list[str] | None = None,
    ) -> bytes:
        raw = await super().send_request(
            http_method, url_path, payload, signature, timestamp, ratelimiter_keys
        )
        return normalize_rest(url_path, raw)


@lru_cache(4)
def get_http_client(
    clock: LiveClock,
    key: str | None = None,
    secret: str | None = None,
    base_url: str | None = None,
    is_demo: bool = False,
    is_testnet: bool = False,
    recv_window_ms: int = 5_000,
) -> BybitArbHttpClient:
    """The built-in's client construction (env keys, URLs, rate-limit quotas), as our subclass."""
    built_in: Any = get_bybit_http_client.__wrapped__(  # type: ignore[attr-defined]
        clock, key, secret, base_url, is_demo, is_testnet, recv_window_ms
    )
    built_in.__class__ = BybitArbHttpClient  # adds a method only: the state is the built-in's
    return built_in
