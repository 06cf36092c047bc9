"""Position pairs: the two legs a strategy opened together and manages as one trade.

A pair survives restarts: `PairBook.dumps()/loads()` is what strategies persist through Nautilus's
cache (`on_save`/`on_load`), so a restarted node knows which positions belong together, at what
spread they were entered, and what funding they have collected.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

import pandas as pd

OPENING, OPEN, CLOSING, CLOSED, FAILED = "opening", "open", "closing", "closed", "failed"


@dataclass
class PositionPair:
    pair_id: str
    kind: str  # "scalp" | "carry"
    asset: str
    long_instrument: str
    short_instrument: str
    quantity: Decimal = Decimal(0)
    state: str = OPENING
    entry_ts: int | None = None
    exit_ts: int | None = None
    exit_reason: str | None = None
    expected_edge_bps: float = float("nan")
    entry_spread_bps: float = float("nan")  # mid-based dearness of the short leg over the long leg
    entry_long_px: Decimal | None = None
    entry_short_px: Decimal | None = None
    exit_long_px: Decimal | None = None
    exit_short_px: Decimal | None = None
    fees: Decimal = Decimal(0)
    funding: Decimal = Decimal(0)
    adjustments: Decimal = Decimal(0)  # price PnL of roll-backs and repairs done for this pair
    peak_pnl: Decimal = Decimal(0)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        return self.state in (OPENING, OPEN, CLOSING)

    def entry_edge_bps(self) -> float:
        if not self.entry_long_px or not self.entry_short_px:
            return float("nan")
        return (float(self.entry_short_px) / float(self.entry_long_px) - 1) * 1e4

    def exit_edge_bps(self) -> float:
        if not self.exit_long_px or not self.exit_short_px:
            return float("nan")
        return (float(self.exit_long_px) / float(self.exit_short_px) - 1) * 1e4

    def trading_pnl(self, long_mark: Decimal | None = None, short_mark: Decimal | None = None) -> Decimal:
        """Price PnL of both legs, gross of fees: realised at the exit prices, or marked at the given marks."""
        if self.entry_long_px is None or self.entry_short_px is None:
            return self.adjustments
        lx = self.exit_long_px if self.exit_long_px is not None else long_mark
        sx = self.exit_short_px if self.exit_short_px is not None else short_mark
        if lx is None or sx is None:
            return self.adjustments
        return (
            (lx - self.entry_long_px) * self.quantity
            + (self.entry_short_px - sx) * self.quantity
            + self.adjustments
        )

    def net_pnl(self, long_mark: Decimal | None = None, short_mark: Decimal | None = None) -> Decimal:
        return self.trading_pnl(long_mark, short_mark) - self.fees + self.funding

    def as_row(self, long_mark: Decimal | None = None, short_mark: Decimal | None = None) -> dict[str, Any]:
        """One `trades` row; an open pair is marked at the given prices (exit columns stay empty)."""
        pnl = self.trading_pnl(long_mark, short_mark)
        return {
            "pair_id": self.pair_id,
            "kind": self.kind,
            "asset": self.asset,
            "long_instrument": self.long_instrument,
            "short_instrument": self.short_instrument,
            "quantity": float(self.quantity),
            "entry_ts": pd.Timestamp(self.entry_ts, tz="UTC") if self.entry_ts else pd.NaT,
            "exit_ts": pd.Timestamp(self.exit_ts, tz="UTC") if self.exit_ts else pd.NaT,
            "exit_reason": self.exit_reason,
            "expected_edge_bps": self.expected_edge_bps,
            "entry_edge_bps": self.entry_edge_bps(),
            "exit_edge_bps": self.exit_edge_bps(),
            "pnl_trading": float(pnl),
            "fees": float(self.fees),
            "funding": float(self.funding),
            "net": float(pnl - self.fees + self.funding),
        }

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, Decimal):
                d[k] = str(v)
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> PositionPair:
        decimals = {
            "quantity",
            "entry_long_px",
            "entry_short_px",
            "exit_long_px",
            "exit_short_px",
            "fees",
            "funding",
            "adjustments",
            "peak_pnl",
        }
        values: dict[str, Any] = {
            k: (Decimal(v) if k in decimals and v is not None else v) for k, v in d.items()
        }
        return PositionPair(**values)


class PairBook:
    """The pairs of one strategy, by id, with the lookups the strategies need."""

    def __init__(self) -> None:
        self.pairs: dict[str, PositionPair] = {}
        self._seq = 0

    def new_id(self, prefix: str, ts: int) -> str:
        self._seq += 1
        return f"{prefix}-{ts // 1_000_000_000}-{self._seq}"

    def add(self, pair: PositionPair) -> PositionPair:
        self.pairs[pair.pair_id] = pair
        return pair

    def active(self) -> list[PositionPair]:
        return [p for p in self.pairs.values() if p.is_active]

    def active_for_asset(self, asset: str) -> list[PositionPair]:
        return [p for p in self.pairs.values() if p.is_active and p.asset == asset]

    def open_on(self, instrument_id: str) -> list[PositionPair]:
        return [
            p
            for p in self.pairs.values()
            if p.state in (OPEN, CLOSING) and instrument_id in (p.long_instrument, p.short_instrument)
        ]

    def closed(self) -> list[PositionPair]:
        return [p for p in self.pairs.values() if p.state == CLOSED]

    def expected_position(self, instrument_id: str) -> Decimal:
        """Signed quantity the active pairs hold on an instrument."""
        total = Decimal(0)
        for p in self.pairs.values():
            if p.state in (OPEN, CLOSING):
                if p.long_instrument == instrument_id:
                    total += p.quantity
                if p.short_instrument == instrument_id:
                    total -= p.quantity
        return total

    def dumps(self, active_only: bool = False) -> bytes:
        pairs = self.active() if active_only else list(self.pairs.values())
        return json.dumps({"seq": self._seq, "pairs": [p.to_json() for p in pairs]}).encode()

    def loads(self, data: bytes) -> None:
        """Merge saved pairs in (a saved pair replaces the in-memory one with the same id)."""
        doc = json.loads(data.decode())
        self._seq = max(self._seq, int(doc.get("seq", 0)))
        for d in doc.get("pairs", []):
            pair = PositionPair.from_json(d)
            self.pairs[pair.pair_id] = pair
