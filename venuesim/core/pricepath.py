"""Where a simulated market's price comes from: a seeded random walk, or quotes replayed from a
catalog. Both can be moved by hand (`set`, `shift_bps`) - that is how a rehearsal engineers a
dislocation between two venues."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from decimal import Decimal


class PricePath:
    """Geometric random walk: each `step()` moves the mid by N(0, vol_bps) basis points."""

    def __init__(self, start: Decimal, vol_bps: float = 2.0, seed: int = 7) -> None:
        if start <= 0:
            raise ValueError(f"price path start must be positive, got {start}")
        self._mid = float(start)
        self._offset_bps = 0.0
        self.vol_bps = vol_bps
        self._rng = random.Random(seed)

    @property
    def mid(self) -> Decimal:
        return Decimal(repr(self._mid * (1 + self._offset_bps / 10_000)))

    def step(self) -> Decimal:
        if self.vol_bps > 0:
            self._mid *= math.exp(self._rng.gauss(0.0, self.vol_bps / 10_000))
        return self.mid

    def set(self, mid: Decimal) -> None:
        if mid <= 0:
            raise ValueError(f"price must be positive, got {mid}")
        self._mid = float(mid)
        self._offset_bps = 0.0

    def shift_bps(self, bps: float) -> None:
        """A lasting jump of `bps` (a dislocation); later steps walk on from the new level."""
        self._mid *= 1 + bps / 10_000


class ReplayPath(PricePath):
    """Mids replayed in order from recorded quotes (looping at the end), still shiftable."""

    def __init__(self, mids: Sequence[Decimal]) -> None:
        if not mids:
            raise ValueError("a replay price path needs at least one price")
        super().__init__(mids[0], vol_bps=0.0)
        self._mids = [float(m) for m in mids]
        self._i = 0
        self._scale = 1.0

    def step(self) -> Decimal:
        self._i = (self._i + 1) % len(self._mids)
        self._mid = self._mids[self._i] * self._scale
        return self.mid

    def set(self, mid: Decimal) -> None:
        self._scale = float(mid) / self._mids[self._i]
        self._mid = float(mid)

    def shift_bps(self, bps: float) -> None:
        self._scale *= 1 + bps / 10_000
        self._mid *= 1 + bps / 10_000

    @classmethod
    def from_catalog(cls, catalog_path: str, instrument_id: str, limit: int = 200_000) -> ReplayPath:
        """Mid prices of the QuoteTicks stored for `instrument_id` in an ArbCatalog."""
        from catalog.store import open_catalog

        catalog = open_catalog(catalog_path)
        quotes = catalog.quote_ticks(instrument_ids=[instrument_id])
        if not quotes:
            raise ValueError(f"no quotes for {instrument_id} in catalog {catalog_path}")
        mids = [(q.bid_price.as_decimal() + q.ask_price.as_decimal()) / 2 for q in quotes[:limit]]
        return cls(mids)
