"""HTTP transport: rate limited, retried with backoff on 429/5xx/transport failures.

Retrying a signed write is safe when the exact same bytes are resent: venues that sign with a nonce
refuse a replay, so at most one copy executes. Callers that cannot tolerate an ambiguous outcome
(an order whose reply was lost) resolve it themselves by querying the venue (see the Hyperliquid
execution client), which is why the final failure is raised rather than swallowed.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping

import aiohttp
from nautilus_trader.common.component import Logger

from adapters.common.backoff import Backoff
from adapters.common.credentials import redact
from adapters.common.errors import RateLimitError
from adapters.common.errors import TransportError
from adapters.common.errors import VenueError
from adapters.common.errors import http_error
from adapters.common.ratelimit import RateLimiter


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


RequestHeaders = Mapping[str, str] | Callable[[], Mapping[str, str]] | None


class HttpTransport:
    def __init__(
        self,
        base_url: str,
        *,
        venue: str,
        rate_limiter: RateLimiter | None = None,
        timeout_secs: float = 10.0,
        max_retries: int = 3,
        backoff: Backoff | None = None,
        max_retry_after_secs: float = 30.0,
        headers: dict[str, str] | None = None,
        logger: Logger | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.venue = venue
        self.rate_limiter = rate_limiter
        self.timeout = aiohttp.ClientTimeout(total=timeout_secs)
        self.max_retries = max_retries
        self._backoff_template = backoff or Backoff(initial=0.2, maximum=5.0)
        self.max_retry_after_secs = max_retry_after_secs
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self._log = logger or Logger(f"{venue}HttpTransport")
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self.stats: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"HttpTransport(venue={self.venue}, base_url={self.base_url})"

    async def _ensure_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        # A client may outlive the event loop it first ran on (factories cache clients; a restarted
        # node runs a new loop): a session is only reused on the loop that created it.
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession(timeout=self.timeout, headers=self.headers)
            self._session_loop = loop
        return self._session

    async def close(self) -> None:
        if (
            self._session is not None
            and not self._session.closed
            and self._session_loop is asyncio.get_running_loop()
        ):
            await self._session.close()
        self._session = None

    async def post(
        self,
        path: str,
        body: bytes,
        *,
        weight: float = 1.0,
        buckets: Iterable[str] | None = None,
        retry: bool = True,
        headers: RequestHeaders = None,
    ) -> bytes:
        return await self.request(
            "POST", path, body=body, weight=weight, buckets=buckets, retry=retry, headers=headers
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        weight: float = 1.0,
        buckets: Iterable[str] | None = None,
        retry: bool = True,
        headers: RequestHeaders = None,
    ) -> bytes:
        """`headers`: per-request headers, or a function returning them, called for every attempt
        (venues that sign a timestamp need a fresh signature when a request is retried)."""
        backoff = Backoff(
            initial=self._backoff_template.initial,
            maximum=self._backoff_template.maximum,
            factor=self._backoff_template.factor,
            jitter=self._backoff_template.jitter,
        )
        url = f"{self.base_url}{path}"
        bucket_list = list(buckets) if buckets is not None else None
        attempts = 1 + (self.max_retries if retry else 0)
        last: VenueError | None = None
        for attempt in range(attempts):
            if self.rate_limiter is not None:
                await self.rate_limiter.acquire(weight, bucket_list)
            self.stats["requests"] += 1
            try:
                extra = headers() if callable(headers) else headers
                return await self._once(method, url, body, extra)
            except VenueError as e:
                last = e
                if not e.retryable or attempt == attempts - 1:
                    raise
                delay = backoff.next_delay()
                if isinstance(e, RateLimitError):
                    self.stats["rate_limited"] += 1
                    if e.retry_after is not None:
                        delay = max(delay, min(e.retry_after, self.max_retry_after_secs))
                    if self.rate_limiter is not None:
                        self.rate_limiter.pause(delay)
                self.stats["retries"] += 1
                self._log.warning(
                    f"{method} {path} failed ({e.message}); retry {attempt + 1}/{attempts - 1} in {delay:.2f}s"
                )
                await asyncio.sleep(delay)
        assert last is not None  # loop always returns or raises
        raise last

    async def _once(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str] | None = None
    ) -> bytes:
        session = await self._ensure_session()
        try:
            async with session.request(method, url, data=body, headers=headers) as resp:
                payload = await resp.read()
                if resp.status >= 400:
                    self.stats[f"http_{resp.status}"] += 1
                    raise http_error(
                        resp.status,
                        payload.decode("utf-8", "replace"),
                        venue=self.venue,
                        retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                    )
                return payload
        except VenueError:
            raise
        except (TimeoutError, aiohttp.ClientError, ConnectionError, OSError) as e:
            self.stats["transport_errors"] += 1
            kind = type(e).__name__
            raise TransportError(f"{kind} on {method} {url}: {redact(e)}", venue=self.venue) from None
