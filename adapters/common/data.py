"""What every venue's market data client does the same way, as mixins for `LiveMarketDataClient`.

- `FeedStatusPublisher`: turns the WebSocket's stale / disconnected / frames-flowing signals into
  `FeedStatus` data per instrument (see `adapters.common.feed_status`).
- `PushedCustomData`: accepts subscriptions to the custom data the adapters push themselves
  (`FundingPayment` from the execution client, `FeedStatus`), refuses any other custom type.
- `HistoryRequests`: the `request_*` handlers over a venue `history` object (instruments from the
  provider; trades, bars and `FundingRateUpdate` history from the venue's paged endpoints).

A venue client lists the mixins before `LiveMarketDataClient` and sets `venue_name` (the venue as
written in log messages: "Hyperliquid", "Bitget").
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import Logger
from nautilus_trader.core.data import Data
from nautilus_trader.data.messages import RequestBars
from nautilus_trader.data.messages import RequestData
from nautilus_trader.data.messages import RequestInstrument
from nautilus_trader.data.messages import RequestInstruments
from nautilus_trader.data.messages import RequestQuoteTicks
from nautilus_trader.data.messages import RequestTradeTicks
from nautilus_trader.data.messages import SubscribeData
from nautilus_trader.data.messages import UnsubscribeData
from nautilus_trader.model.data import CustomData
from nautilus_trader.model.data import DataType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.identifiers import InstrumentId

from adapters.common.feed_status import DISCONNECTED
from adapters.common.feed_status import LIVE
from adapters.common.feed_status import STALE
from adapters.common.feed_status import FeedStatus
from adapters.common.websocket import WsSubscription
from catalog.funding import FundingPayment

ACCEPTED_CUSTOM = (FundingPayment, FeedStatus)


class FeedStatusPublisher:
    """Feed health per instrument. The client calls `_init_feed_status()` in its constructor,
    registers each subscription's key with `_key_instrument[key] = instrument_id`, passes
    `_on_ws_stale` / `_on_ws_disconnected` to its WebSocket and calls `_frame_seen(key, iid)` for
    every frame it attributes to a subscription."""

    # provided by the data client
    _clock: LiveClock
    _log: Logger
    _ws: Any  # the venue WebSocket: `.ws` is its ReconnectingWebSocket, `.mark(key)` attributes a frame
    _handle_data: Any

    def _init_feed_status(self) -> None:
        self._key_instrument: dict[str, InstrumentId] = {}
        self._feed_state: dict[InstrumentId, str] = {}
        self._last_frame_ns: dict[InstrumentId, int] = {}

    def _publish_feed(self, instrument_id: InstrumentId, state: str, stream: str, reason: str) -> None:
        if self._feed_state.get(instrument_id, LIVE) == state:
            return
        self._feed_state[instrument_id] = state
        now = self._clock.timestamp_ns()
        status = FeedStatus(
            instrument_id, state, stream, reason, self._last_frame_ns.get(instrument_id, 0), now, now
        )
        if state == LIVE:
            self._log.info(f"{instrument_id} feed live again ({stream})")
        else:
            self._log.warning(f"{instrument_id} feed {state}: {reason}")
        self._handle_data(CustomData(DataType(FeedStatus), status))

    def _on_ws_stale(self, subs: list[WsSubscription]) -> None:
        for sub in subs:
            iid = self._key_instrument.get(sub.key)
            if iid is not None:
                self._publish_feed(iid, STALE, sub.key, f"no frame on {sub.key} for {sub.stale_after_secs}s")

    def _on_ws_disconnected(self, reason: str) -> None:
        for key, iid in list(self._key_instrument.items()):
            if self._ws.ws.has_subscription(key):
                self._publish_feed(iid, DISCONNECTED, key, f"socket closed: {reason}")

    def _frame_seen(self, key: str, instrument_id: InstrumentId) -> None:
        """A frame arrived on subscription `key`: it is not stale, and its instrument's feed is live."""
        self._ws.mark(key)
        self._last_frame_ns[instrument_id] = self._clock.timestamp_ns()
        if self._feed_state.get(instrument_id, LIVE) != LIVE:
            self._publish_feed(instrument_id, LIVE, key, "frames flowing")


class PushedCustomData:
    """Custom data subscriptions: the types this adapter pushes are accepted, others refused."""

    venue_name: str
    _log: Logger

    async def _subscribe(self, command: SubscribeData) -> None:
        if command.data_type.type in ACCEPTED_CUSTOM:
            self._log.info(
                f"Accepted subscription to {command.data_type.type.__name__} (pushed by this adapter)"
            )
            return
        self._log.error(f"Cannot subscribe to {command.data_type}: not provided by {self.venue_name}")

    async def _unsubscribe(self, command: UnsubscribeData) -> None:
        pass


class HistoryRequests:
    """`request_*` handlers. The client provides `_provider` (an instrument provider with
    `initialize()` / `find()` / `get_all()`), `_history` (with `trades(instrument_id)`,
    `bars(bar_type, start_ns, end_ns, timestamp_on_close)` and `funding_rates(instrument_id,
    start_ns, end_ns)`) and a config with `bars_timestamp_on_close`. The venues publish no
    historical quotes."""

    venue_name: str
    _log: Logger
    _provider: Any
    _history: Any
    _config: Any
    _handle_instrument: Any
    _handle_instruments: Any
    _handle_trade_ticks: Any
    _handle_bars: Any
    _handle_data_response: Any

    async def _request_instrument(self, request: RequestInstrument) -> None:
        await self._provider.initialize()
        instrument = self._provider.find(request.instrument_id)
        if instrument is None:
            self._log.error(f"Cannot find instrument {request.instrument_id} on {self.venue_name}")
            return
        self._handle_instrument(instrument, request.id, request.start, request.end, request.params)

    async def _request_instruments(self, request: RequestInstruments) -> None:
        await self._provider.initialize()
        instruments = list(self._provider.get_all().values())
        self._handle_instruments(
            request.venue, instruments, request.id, request.start, request.end, request.params
        )

    async def _request_quote_ticks(self, request: RequestQuoteTicks) -> None:
        self._log.error(f"Cannot request historical quotes: {self.venue_name} does not publish them")

    async def _request_trade_ticks(self, request: RequestTradeTicks) -> None:
        ticks = await self._history.trades(request.instrument_id)
        if request.limit:
            ticks = ticks[-request.limit :]
        self._handle_trade_ticks(
            request.instrument_id, ticks, request.id, request.start, request.end, request.params
        )

    async def _request_bars(self, request: RequestBars) -> None:
        start = int(request.start.value) if request.start is not None else 0
        end = int(request.end.value) if request.end is not None else None
        bars = await self._history.bars(request.bar_type, start, end, self._config.bars_timestamp_on_close)
        if request.limit:
            bars = bars[-request.limit :]
        self._handle_bars(request.bar_type, bars, request.id, request.start, request.end, request.params)

    async def _request(self, request: RequestData) -> None:
        if request.data_type.type is not FundingRateUpdate:
            self._log.error(f"Cannot request {request.data_type}: not provided by {self.venue_name}")
            return
        iid = request.data_type.metadata.get("instrument_id") if request.data_type.metadata else None
        iid = iid or getattr(request, "instrument_id", None)
        if iid is None:
            self._log.error("FundingRateUpdate request needs metadata {'instrument_id': ...}")
            return
        iid = iid if isinstance(iid, InstrumentId) else InstrumentId.from_str(str(iid))
        start = int(request.start.value) if request.start is not None else 0
        end = int(request.end.value) if request.end is not None else None
        rates: list[Data] = list(await self._history.funding_rates(iid, start, end))
        self._handle_data_response(
            request.data_type, rates, request.id, request.start, request.end, request.params
        )
