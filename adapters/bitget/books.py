"""A local copy of one Bitget order book, kept from `books` snapshots and updates, and the venue's
CRC32 checksum over it (docs "Depth Channel", "Checksum").

Update rule: a level with size "0" is deleted, any other size inserts or replaces the level.
Checksum: the first 25 bids and 25 asks, interleaved `bid1px:bid1sz:ask1px:ask1sz:bid2px:...`
(when one side runs out the other continues alone), CRC32 as a signed 32-bit integer. Prices and
sizes enter the checksum exactly as the venue sent them ("0.5000" is not "0.5"), so the book keeps
the original strings next to a numeric sort key. Levels are ordered numerically (the official SDK
sorts strings, which misorders "9.5" and "10"). Verified against every checksum of the recorded
2022 session in the shared data (`tests/test_bitget_payloads.py`).
"""

from __future__ import annotations

import bisect
import zlib
from dataclasses import dataclass
from dataclasses import field

from adapters.bitget.constants import CHECKSUM_LEVELS


def _is_zero(size: str) -> bool:
    try:
        return float(size) == 0.0
    except ValueError:
        raise ValueError(f"book size is not a number: {size!r}") from None


@dataclass
class BookSide:
    descending: bool  # bids: best (highest) first
    levels: dict[float, tuple[str, str]] = field(default_factory=dict)  # price -> (px text, sz text)
    _keys: list[float] = field(default_factory=list)  # sort keys, best first (ascending)

    def _key(self, px: float) -> float:
        return -px if self.descending else px

    def clear(self) -> None:
        self.levels.clear()
        self._keys.clear()

    def set(self, px_text: str, sz_text: str) -> str:
        """Apply one level; returns "add", "update", "delete" or "noop" (delete of a missing level)."""
        try:
            px = float(px_text)
        except ValueError:
            raise ValueError(f"book price is not a number: {px_text!r}") from None
        if px != px or px in (float("inf"), float("-inf")):
            raise ValueError(f"book price is not finite: {px_text!r}")
        existing = px in self.levels
        if _is_zero(sz_text):
            if not existing:
                return "noop"
            del self.levels[px]
            key = self._key(px)
            i = bisect.bisect_left(self._keys, key)
            del self._keys[i]
            return "delete"
        self.levels[px] = (px_text, sz_text)
        if existing:
            return "update"
        bisect.insort(self._keys, self._key(px))
        return "add"

    def top(self, n: int) -> list[tuple[str, str]]:
        sign = -1.0 if self.descending else 1.0
        return [self.levels[sign * k] for k in self._keys[:n]]

    def best(self) -> tuple[str, str] | None:
        if not self._keys:
            return None
        return self.levels[-self._keys[0] if self.descending else self._keys[0]]

    def __len__(self) -> int:
        return len(self._keys)


def checksum_text(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> str:
    parts: list[str] = []
    for i in range(max(len(bids), len(asks))):
        if i < len(bids):
            parts += bids[i]
        if i < len(asks):
            parts += asks[i]
    return ":".join(parts)


def crc32_signed(text: str) -> int:
    value = zlib.crc32(text.encode())
    return value - (1 << 32) if value >= (1 << 31) else value


def book_checksum(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> int:
    """The venue's checksum of the given best-first levels (callers pass at most 25 per side)."""
    return crc32_signed(checksum_text(bids[:CHECKSUM_LEVELS], asks[:CHECKSUM_LEVELS]))


@dataclass
class L2Book:
    bids: BookSide = field(default_factory=lambda: BookSide(descending=True))
    asks: BookSide = field(default_factory=lambda: BookSide(descending=False))
    seq: int | None = None
    ts: int = 0
    ready: bool = False  # a snapshot has been applied

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()
        self.seq = None
        self.ready = False

    def apply(self, bids: list[list[str]], asks: list[list[str]]) -> list[tuple[bool, str, str, str]]:
        """Apply levels; returns the effective changes as (is_bid, action, px, sz)."""
        changes: list[tuple[bool, str, str, str]] = []
        for is_bid, side, levels in ((True, self.bids, bids), (False, self.asks, asks)):
            for level in levels:
                if len(level) < 2:
                    raise ValueError(f"book level must be [price, size], got {level!r}")
                action = side.set(level[0], level[1])
                if action != "noop":
                    changes.append((is_bid, action, level[0], level[1]))
        return changes

    def snapshot(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        self.bids.clear()
        self.asks.clear()
        self.apply(bids, asks)
        self.ready = True

    def checksum(self) -> int:
        return book_checksum(self.bids.top(CHECKSUM_LEVELS), self.asks.top(CHECKSUM_LEVELS))

    def crossed(self) -> bool:
        b, a = self.bids.best(), self.asks.best()
        return b is not None and a is not None and float(b[0]) >= float(a[0])
