"""Ordering and de-duplication of venue messages.

- `SequenceTracker`: venues with per-stream sequence numbers (Bybit `u`/`seq`, Kraken checksums,
  Bitget `seq`). `check(stream, seq)` says whether a message is the next one, a duplicate/old one
  to drop, or follows a gap - in which case the venue client must re-snapshot before applying more
  deltas (`needs_snapshot(stream)` stays true until `reset(stream, seq)` records the new snapshot).
- `MonotonicGuard`: venues that push whole snapshots without sequence numbers (Hyperliquid l2Book,
  bbo): a snapshot older than or equal to the last one applied is dropped, so a reordered or
  duplicated frame can never roll a book back.
- `RecentIds`: bounded "have I seen this id" set for fills/trades (`tid`), so a fill replayed by a
  resubscribe snapshot or recovered over REST after a disconnect is applied exactly once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections import deque
from collections.abc import Hashable
from enum import Enum


class Verdict(Enum):
    NEXT = "next"
    DUPLICATE = "duplicate"  # already applied (equal or older): drop
    GAP = "gap"  # one or more messages missed: re-snapshot
    FIRST = "first"  # no baseline yet: needs a snapshot first


class SequenceTracker:
    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}
        self._broken: set[Hashable] = set()
        self.gaps = 0
        self.duplicates = 0

    def reset(self, stream: Hashable, seq: int) -> None:
        """Record a snapshot at `seq`: deltas must continue from seq + 1."""
        self._last[stream] = seq
        self._broken.discard(stream)

    def check(self, stream: Hashable, seq: int, step: int = 1) -> Verdict:
        last = self._last.get(stream)
        if last is None or stream in self._broken:
            return Verdict.FIRST
        if seq <= last:
            self.duplicates += 1
            return Verdict.DUPLICATE
        if seq != last + step:
            self.gaps += 1
            self._broken.add(stream)
            return Verdict.GAP
        self._last[stream] = seq
        return Verdict.NEXT

    def needs_snapshot(self, stream: Hashable) -> bool:
        return stream not in self._last or stream in self._broken


class MonotonicGuard:
    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}
        self.dropped = 0

    def accept(self, key: Hashable, ts: int) -> bool:
        last = self._last.get(key)
        if last is not None and ts <= last:
            self.dropped += 1
            return False
        self._last[key] = ts
        return True

    def forget(self, key: Hashable) -> None:
        self._last.pop(key, None)


class RecentIds:
    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self.duplicates = 0

    def add(self, item: Hashable) -> bool:
        """True if `item` is new (and remember it); False if already seen."""
        if item in self._seen:
            self.duplicates += 1
            return False
        self._seen[item] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def __contains__(self, item: Hashable) -> bool:
        return item in self._seen

    def __len__(self) -> int:
        return len(self._seen)


class LatencyWindow:
    """Last N latency samples (ns) for quick p50/p99 without numpy in the hot path."""

    def __init__(self, size: int = 10_000) -> None:
        self._samples: deque[int] = deque(maxlen=size)

    def add(self, ns: int) -> None:
        self._samples.append(ns)

    def percentile(self, q: float) -> int | None:
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]
