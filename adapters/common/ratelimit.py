"""A weighted token-bucket rate limiter, one bucket per named quota.

Venues publish limits as "weight W per window T" (Hyperliquid: 1200 per minute per IP; an `/info`
request weighs 2 or 20, an order batch 1 + n/40). A request acquires its weight from every bucket
it belongs to and waits - it never fails - until the weight is available. A 429 from the venue
calls `pause(retry_after)`, which blocks all buckets until then.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    weight: float  # weight allowed per window
    window_secs: float

    @property
    def rate(self) -> float:
        return self.weight / self.window_secs


class _Bucket:
    def __init__(self, quota: Quota) -> None:
        self.quota = quota
        self.tokens = quota.weight
        self.updated = time.monotonic()

    def refill(self, now: float) -> None:
        self.tokens = min(self.quota.weight, self.tokens + (now - self.updated) * self.quota.rate)
        self.updated = now

    def wait_for(self, weight: float) -> float:
        missing = weight - self.tokens
        return 0.0 if missing <= 0 else missing / self.quota.rate


class RateLimiter:
    def __init__(self, quotas: dict[str, Quota]) -> None:
        self._buckets = {name: _Bucket(q) for name, q in quotas.items()}
        self._paused_until = 0.0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self.waited_secs = 0.0  # total time requests spent waiting (exposed for metrics/tests)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + max(0.0, seconds))

    async def acquire(self, weight: float = 1.0, buckets: Iterable[str] | None = None) -> None:
        names = list(buckets) if buckets is not None else list(self._buckets)
        unknown = [n for n in names if n not in self._buckets]
        if unknown:
            raise KeyError(f"unknown rate-limit bucket(s) {unknown} (known: {sorted(self._buckets)})")
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            # one limiter may serve clients across event loops (a restarted node): a lock per loop
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:  # FIFO: a heavy request is not starved by a stream of light ones
            while True:
                now = time.monotonic()
                delay = self._paused_until - now
                for name in names:
                    b = self._buckets[name]
                    b.refill(now)
                    # A weight above the bucket size could never be served: clamp so it waits a full window.
                    delay = max(delay, b.wait_for(min(weight, b.quota.weight)))
                if delay <= 0:
                    for name in names:
                        b = self._buckets[name]
                        b.tokens -= min(weight, b.quota.weight)
                    return
                self.waited_secs += delay
                await asyncio.sleep(delay)

    def available(self, bucket: str) -> float:
        b = self._buckets[bucket]
        b.refill(time.monotonic())
        return b.tokens
