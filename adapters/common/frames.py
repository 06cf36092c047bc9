"""Counting and logging of venue frames that do not parse.

A malformed frame must never take a node down: the venue client catches the decode error, calls
`FrameStats.malformed(...)` and carries on. The counter is exposed on the client (and in tests);
the log line carries the reason and a truncated, redacted excerpt of the frame, throttled so a
flood of garbage does not flood the log.
"""

from __future__ import annotations

from collections import Counter

from nautilus_trader.common.component import Logger

from adapters.common.credentials import redact


class FrameStats:
    def __init__(self, logger: Logger, log_first: int = 20, log_every: int = 1000) -> None:
        self._log = logger
        self._log_first = log_first
        self._log_every = log_every
        self.counts: Counter[str] = Counter()

    @property
    def malformed_count(self) -> int:
        return self.counts["malformed"]

    def received(self, channel: str) -> None:
        self.counts[f"recv:{channel}"] += 1

    def malformed(self, where: str, error: BaseException | str, frame: str | bytes) -> None:
        self.counts["malformed"] += 1
        self.counts[f"malformed:{where}"] += 1
        n = self.counts["malformed"]
        if n <= self._log_first or n % self._log_every == 0:
            text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else str(frame)
            excerpt = text[:200] + ("..." if len(text) > 200 else "")
            self._log.error(f"Malformed frame #{n} on {where}: {redact(error)} | frame={redact(excerpt)!r}")

    def ignored(self, reason: str) -> None:
        self.counts[f"ignored:{reason}"] += 1
