"""Fault injection, configured up front or changed at run time (`POST /_sim/faults`).

Transport faults (applied by every front):

    http_error_next       list of HTTP statuses returned, one per request, before any processing
                          (e.g. [429, 502]); 429 replies carry `Retry-After: retry_after_secs`
    http_error_rate       probability of returning `http_error_status` to a request
    retry_after_secs      Retry-After header value on injected 429s (None = no header)
    ack_delay_ms          delay before an order/cancel reply is sent (after the venue acted)
    drop_ack_next         the next N order/cancel requests are executed but their reply is lost
                          (connection closed)
    drop_ack_rate         probability of losing a reply that way
    ws_drop_after_frames  close every socket after it has sent this many frames
    ws_malformed_next     the next N data frames are replaced by garbage
    ws_malformed_rate     probability of garbling a data frame
    ws_duplicate_next     the next N data frames are sent twice
    ws_out_of_order_next  the next N data frames are each held back and sent after the frame that
                          follows them
    ws_silent             stop sending data frames (heartbeat replies continue): a stale feed
    ws_refuse_ms          after a drop, refuse new WebSocket connections for this long

Matching faults (applied by the core, `venuesim.core.exchange.MatchingFaults`):

    reject_next           the next N orders are rejected with `reject_reason`
    partial_fill_fraction each match (taker or maker) fills at most this share of the order

All probabilities use one seeded RNG so a scenario replays identically.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from decimal import Decimal
from typing import Any

from venuesim.core.exchange import MatchingFaults


@dataclass
class TransportFaults:
    http_error_next: list[int] = field(default_factory=list)
    http_error_rate: float = 0.0
    http_error_status: int = 502
    retry_after_secs: float | None = None
    ack_delay_ms: int = 0
    drop_ack_next: int = 0
    drop_ack_rate: float = 0.0
    ws_drop_after_frames: int | None = None
    ws_malformed_next: int = 0
    ws_malformed_rate: float = 0.0
    ws_duplicate_next: int = 0
    ws_out_of_order_next: int = 0
    ws_silent: bool = False
    ws_refuse_ms: int = 0


class Faults:
    """The transport faults plus the core's matching faults, updated together from one dict."""

    def __init__(self, matching: MatchingFaults, seed: int = 11) -> None:
        self.transport = TransportFaults()
        self.matching = matching
        self.rng = random.Random(seed)
        self.injected: dict[str, int] = {}

    def count(self, name: str) -> None:
        self.injected[name] = self.injected.get(name, 0) + 1

    def update(self, values: dict[str, Any]) -> None:
        t_names = {f.name: f for f in fields(TransportFaults)}
        m_names = {f.name for f in fields(MatchingFaults)}
        unknown = set(values) - set(t_names) - m_names
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)} (known: {sorted(set(t_names) | m_names)})")
        for key, value in values.items():
            if key in t_names:
                setattr(self.transport, key, value)
            elif key == "partial_fill_fraction":
                self.matching.partial_fill_fraction = None if value is None else Decimal(str(value))
            else:
                setattr(self.matching, key, value)

    def reset(self) -> None:
        self.transport = TransportFaults()
        self.matching.reject_next = 0
        self.matching.partial_fill_fraction = None
        self.matching.reject_reason = MatchingFaults().reject_reason

    def take_http_error(self) -> int | None:
        t = self.transport
        if t.http_error_next:
            self.count("http_error")
            return int(t.http_error_next.pop(0))
        if t.http_error_rate and self.rng.random() < t.http_error_rate:
            self.count("http_error")
            return t.http_error_status
        return None

    def take_drop_ack(self) -> bool:
        t = self.transport
        if t.drop_ack_next > 0:
            t.drop_ack_next -= 1
            self.count("drop_ack")
            return True
        if t.drop_ack_rate and self.rng.random() < t.drop_ack_rate:
            self.count("drop_ack")
            return True
        return False

    def as_dict(self) -> dict[str, Any]:
        m = self.matching
        return {
            **asdict(self.transport),
            "reject_next": m.reject_next,
            "reject_reason": m.reject_reason,
            "partial_fill_fraction": None
            if m.partial_fill_fraction is None
            else str(m.partial_fill_fraction),
            "injected": dict(self.injected),
        }
