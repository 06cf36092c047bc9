"""How strategies learn that a market-data feed is stale.

A quote stream can go quiet while its socket stays open (venue hiccup, a stuck subscription), and a
strategy that trades on the last quote it saw would be trading on fiction. Data clients therefore
publish `FeedStatus` custom data whenever the health of an instrument's feed changes:

    state = "stale"        no frame on a subscription for its `stale_after` window; the client
                           is reconnecting. Quotes/books of this instrument are NOT current.
    state = "live"         frames flow again (after a stale episode or a reconnect).
    state = "disconnected" the socket carrying the subscription dropped; reconnecting.

Topic (same scheme as every Nautilus custom data with an instrument id):

    data.FeedStatus.<VENUE>.<SYMBOL>          e.g. data.FeedStatus.HYPERLIQUID.BTC-USD-PERP

Subscribe in a strategy with
`self.subscribe_data(DataType(FeedStatus), instrument_id=instrument_id)` (the data client accepts
the subscription and needs nothing more), or to every instrument of a venue through the message bus
with `self.msgbus.subscribe("data.FeedStatus.HYPERLIQUID.*", handler)`. `FeedHealth` is a small
helper that keeps the latest state per instrument so a strategy can ask `is_live(instrument_id)`
before acting on a quote.
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.core.data import Data
from nautilus_trader.model.identifiers import InstrumentId

LIVE = "live"
STALE = "stale"
DISCONNECTED = "disconnected"
FEED_STATES = (LIVE, STALE, DISCONNECTED)


class FeedStatus(Data):
    __slots__ = ("_ts_event", "_ts_init", "instrument_id", "last_message_ns", "reason", "state", "stream")

    def __init__(
        self,
        instrument_id: InstrumentId,
        state: str,
        stream: str,
        reason: str,
        last_message_ns: int,
        ts_event: int,
        ts_init: int,
    ) -> None:
        if state not in FEED_STATES:
            raise ValueError(f"FeedStatus.state must be one of {FEED_STATES}, got {state!r}")
        self.instrument_id = instrument_id
        self.state = state
        self.stream = stream
        self.reason = reason
        self.last_message_ns = last_message_ns
        self._ts_event = ts_event
        self._ts_init = ts_init

    @property
    def ts_event(self) -> int:
        return self._ts_event

    @property
    def ts_init(self) -> int:
        return self._ts_init

    @property
    def is_live(self) -> bool:
        return self.state == LIVE

    def __repr__(self) -> str:
        return (
            f"FeedStatus(instrument_id={self.instrument_id}, state={self.state}, stream={self.stream}, "
            f"reason={self.reason!r}, ts_event={self._ts_event})"
        )

    @staticmethod
    def to_dict(obj: FeedStatus) -> dict[str, Any]:
        return {
            "type": "FeedStatus",
            "instrument_id": obj.instrument_id.value,
            "state": obj.state,
            "stream": obj.stream,
            "reason": obj.reason,
            "last_message_ns": obj.last_message_ns,
            "ts_event": obj._ts_event,
            "ts_init": obj._ts_init,
        }

    @staticmethod
    def from_dict(values: dict[str, Any]) -> FeedStatus:
        return FeedStatus(
            instrument_id=InstrumentId.from_str(values["instrument_id"]),
            state=values["state"],
            stream=values["stream"],
            reason=values["reason"],
            last_message_ns=int(values["last_message_ns"]),
            ts_event=int(values["ts_event"]),
            ts_init=int(values["ts_init"]),
        )


def feed_status_topic(instrument_id: InstrumentId) -> str:
    return f"data.FeedStatus.{instrument_id.venue}.{instrument_id.symbol.topic()}"


class FeedHealth:
    """Latest feed state per instrument; instruments never reported are presumed live."""

    def __init__(self) -> None:
        self._state: dict[InstrumentId, FeedStatus] = {}

    def update(self, status: FeedStatus) -> None:
        self._state[status.instrument_id] = status

    def is_live(self, instrument_id: InstrumentId) -> bool:
        status = self._state.get(instrument_id)
        return status is None or status.is_live

    def status(self, instrument_id: InstrumentId) -> FeedStatus | None:
        return self._state.get(instrument_id)
