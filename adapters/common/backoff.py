"""Exponential backoff with jitter, shared by HTTP retries and WebSocket reconnects."""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field


@dataclass
class Backoff:
    initial: float = 0.25
    maximum: float = 15.0
    factor: float = 2.0
    jitter: float = 0.2  # +- fraction of the delay, so many clients do not reconnect in lockstep
    _attempt: int = field(default=0, init=False)

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * self.factor**self._attempt)
        self._attempt += 1
        spread = base * self.jitter
        return max(0.0, base + random.uniform(-spread, spread))

    def reset(self) -> None:
        self._attempt = 0

    @property
    def attempts(self) -> int:
        return self._attempt
