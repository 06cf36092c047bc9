"""Hyperliquid market data client.

Subscriptions -> venue streams:
    quote ticks                 bbo            -> QuoteTick
    order book deltas/snapshots l2Book         -> OrderBookDeltas (each push is a full snapshot)
    trade ticks                 trades         -> TradeTick
    bars (LAST-EXTERNAL time)   candle         -> Bar (published when the candle closes)
    mark / index / funding      activeAssetCtx -> MarkPriceUpdate / IndexPriceUpdate (oracle) /
                                                  FundingRateUpdate (hourly rate, next_funding_ns =
                                                  next hourly boundary; published when it changes)
    FundingPayment / FeedStatus accepted (FundingPayment comes from the execution client)

Feed health: see `adapters.common.feed_status` - this client publishes `FeedStatus` for every
instrument whose book/bbo/asset-context stream goes stale, drops or comes back.
Snapshots carry no sequence numbers; a snapshot older than the last applied one for the same
stream (reordered or replayed frame) is dropped, an identical repeat too.
Malformed frames are logged and counted (`frame_stats`), never raised.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from decimal import Decimal

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.core.data import Data
from nautilus_trader.data.messages import RequestBars
from nautilus_trader.data.messages import RequestData
from nautilus_trader.data.messages import RequestInstrument
from nautilus_trader.data.messages import RequestInstruments
from nautilus_trader.data.messages import RequestQuoteTicks
from nautilus_trader.data.messages import RequestTradeTicks
from nautilus_trader.data.messages import SubscribeBars
from nautilus_trader.data.messages import SubscribeData
from nautilus_trader.data.messages import SubscribeFundingRates
from nautilus_trader.data.messages import SubscribeIndexPrices
from nautilus_trader.data.messages import SubscribeMarkPrices
from nautilus_trader.data.messages import SubscribeOrderBook
from nautilus_trader.data.messages import SubscribeQuoteTicks
from nautilus_trader.data.messages import SubscribeTradeTicks
from nautilus_trader.data.messages import UnsubscribeBars
from nautilus_trader.data.messages import UnsubscribeData
from nautilus_trader.data.messages import UnsubscribeFundingRates
from nautilus_trader.data.messages import UnsubscribeIndexPrices
from nautilus_trader.data.messages import UnsubscribeMarkPrices
from nautilus_trader.data.messages import UnsubscribeOrderBook
from nautilus_trader.data.messages import UnsubscribeQuoteTicks
from nautilus_trader.data.messages import UnsubscribeTradeTicks
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import CustomData
from nautilus_trader.model.data import DataType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import InstrumentId

from adapters.common.feed_status import DISCONNECTED
from adapters.common.feed_status import LIVE
from adapters.common.feed_status import STALE
from adapters.common.feed_status import FeedStatus
from adapters.common.frames import FrameStats
from adapters.common.websocket import WsSubscription
from adapters.hyperliquid import schemas as s
from adapters.hyperliquid.assets import HlAsset
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import ws_url
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.history import HyperliquidHistory
from adapters.hyperliquid.history import candle_interval
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.parsing import parse_asset_ctx
from adapters.hyperliquid.parsing import parse_bbo
from adapters.hyperliquid.parsing import parse_candle
from adapters.hyperliquid.parsing import parse_l2_book
from adapters.hyperliquid.parsing import parse_trade
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.websocket import HyperliquidWebSocket
from catalog.funding import FundingPayment

ACCEPTED_CUSTOM = (FundingPayment, FeedStatus)


class HyperliquidDataClient(LiveMarketDataClient):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client: HyperliquidHttpClient,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        instrument_provider: HyperliquidInstrumentProvider,
        config: HyperliquidDataClientConfig,
        name: str | None = None,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=ClientId(name or HYPERLIQUID),
            venue=HYPERLIQUID_VENUE,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=instrument_provider,
            config=config,
        )
        self._http = client
        self._provider = instrument_provider
        self._config = config
        self._history = HyperliquidHistory(client, instrument_provider)
        self.frame_stats = FrameStats(self._log)
        self._ws = HyperliquidWebSocket(
            ws_url(config.testnet, config.base_url_ws, config.base_url_http),
            handler=self._on_channel,
            stats=self.frame_stats,
            logger=self._log,
            heartbeat_secs=config.heartbeat_secs,
            on_disconnected=self._on_ws_disconnected,
            on_stale=self._on_ws_stale,
            name="market-data",
        )
        self._ctx_kinds: dict[str, set[str]] = defaultdict(set)  # coin -> {"mark", "index", "funding"}
        self._last_rate: dict[str, tuple[Decimal, int]] = {}
        self._bar_types: dict[tuple[str, str], BarType] = {}
        self._open_candles: dict[tuple[str, str], s.Candle] = {}
        self._snap_guard: dict[tuple[str, str], tuple[int, int]] = {}
        self._key_instrument: dict[str, InstrumentId] = {}
        self._feed_state: dict[InstrumentId, str] = {}
        self._last_frame_ns: dict[InstrumentId, int] = {}

    @property
    def websocket(self) -> HyperliquidWebSocket:
        return self._ws

    # -- lifecycle -------------------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._provider.initialize()
        for instrument in self._provider.published():
            self._handle_data(instrument)
        await self._ws.connect()

    async def _disconnect(self) -> None:
        await self._ws.close()
        await self._http.close()

    # -- helpers ---------------------------------------------------------------------------------
    def _asset(self, instrument_id: InstrumentId) -> HlAsset:
        return self._provider.markets.asset(instrument_id)

    async def _sub(self, sub: dict, instrument_id: InstrumentId, stale: bool) -> None:
        key = await self._ws.subscribe(sub, self._config.stale_feed_secs if stale else None)
        self._key_instrument[key] = instrument_id

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

    def _seen(self, key: str, asset: HlAsset) -> None:
        self._ws.mark(key)
        iid = asset.instrument_id
        self._last_frame_ns[iid] = self._clock.timestamp_ns()
        if self._feed_state.get(iid, LIVE) != LIVE:
            self._publish_feed(iid, LIVE, key, "frames flowing")

    def _fresh(self, channel: str, coin: str, ts_ms: int, raw: bytes) -> bool:
        """Drop a snapshot older than the last applied one, or an exact repeat of it."""
        key = (channel, coin)
        digest = hash(raw)
        last = self._snap_guard.get(key)
        if last is not None and (ts_ms < last[0] or (ts_ms == last[0] and digest == last[1])):
            self.frame_stats.ignored(f"{channel}_stale_or_duplicate")
            return False
        self._snap_guard[key] = (ts_ms, digest)
        return True

    # -- frames ----------------------------------------------------------------------------------
    def _on_channel(self, channel: str, data: bytes) -> None:
        handler = self._handlers.get(channel)
        if handler is None:
            self.frame_stats.ignored(f"channel:{channel}")
            return
        handler(self, data)

    def _on_l2_book(self, data: bytes) -> None:
        book = s.Decoders.l2_book.decode(data)
        asset = self._provider.markets.coin(book.coin)
        if asset is None:
            self.frame_stats.ignored("unknown_coin")
            return
        self._seen(f"l2Book:{book.coin}", asset)
        if self._fresh("l2Book", book.coin, book.time, data):
            self._handle_data(parse_l2_book(book, asset, self._clock.timestamp_ns()))

    def _on_bbo(self, data: bytes) -> None:
        msg = s.Decoders.bbo.decode(data)
        asset = self._provider.markets.coin(msg.coin)
        if asset is None:
            self.frame_stats.ignored("unknown_coin")
            return
        self._seen(f"bbo:{msg.coin}", asset)
        if self._fresh("bbo", msg.coin, msg.time, data):
            quote = parse_bbo(msg, asset, self._clock.timestamp_ns())
            if quote is not None:
                self._handle_data(quote)

    def _on_trades(self, data: bytes) -> None:
        trades = s.Decoders.trades.decode(data)
        ts_init = self._clock.timestamp_ns()
        for t in trades:
            asset = self._provider.markets.coin(t.coin)
            if asset is None:
                self.frame_stats.ignored("unknown_coin")
                continue
            self._seen(f"trades:{t.coin}", asset)
            self._handle_data(parse_trade(t, asset, ts_init))

    def _on_candle(self, data: bytes) -> None:
        c = s.Decoders.candle.decode(data)
        key = (c.s, c.i)
        bar_type = self._bar_types.get(key)
        asset = self._provider.markets.coin(c.s)
        if bar_type is None or asset is None:
            self.frame_stats.ignored("unsubscribed_candle")
            return
        self._seen(f"candle:{c.s}:{c.i}", asset)
        previous = self._open_candles.get(key)
        if previous is not None and c.t > previous.t:
            # The venue pushes the forming candle; the previous one is final once a newer one starts.
            self._handle_data(
                parse_candle(
                    previous,
                    asset,
                    bar_type,
                    self._clock.timestamp_ns(),
                    self._config.bars_timestamp_on_close,
                )
            )
        if previous is None or c.t >= previous.t:
            self._open_candles[key] = c

    def _on_asset_ctx(self, data: bytes) -> None:
        msg = s.Decoders.active_asset_ctx.decode(data)
        asset = self._provider.markets.coin(msg.coin)
        if asset is None:
            self.frame_stats.ignored("unknown_coin")
            return
        self._seen(f"activeAssetCtx:{msg.coin}", asset)
        now = self._clock.timestamp_ns()
        mark, index, funding = parse_asset_ctx(msg.ctx, asset, now, now)
        kinds = self._ctx_kinds.get(msg.coin, ())
        if "mark" in kinds and mark is not None:
            self._handle_data(mark)
        if "index" in kinds:
            self._handle_data(index)
        if "funding" in kinds:
            key = (funding.rate, funding.next_funding_ns)
            if self._last_rate.get(msg.coin) != key:
                self._last_rate[msg.coin] = key
                self._handle_data(funding)

    def _on_spot_ctx(self, data: bytes) -> None:
        self.frame_stats.ignored("activeSpotAssetCtx")

    _handlers = {
        "l2Book": _on_l2_book,
        "bbo": _on_bbo,
        "trades": _on_trades,
        "candle": _on_candle,
        "activeAssetCtx": _on_asset_ctx,
        "activeSpotAssetCtx": _on_spot_ctx,
    }

    # -- subscriptions ---------------------------------------------------------------------------
    async def _subscribe(self, command: SubscribeData) -> None:
        if command.data_type.type in ACCEPTED_CUSTOM:
            self._log.info(
                f"Accepted subscription to {command.data_type.type.__name__} (pushed by this adapter)"
            )
            return
        self._log.error(f"Cannot subscribe to {command.data_type}: not provided by Hyperliquid")

    async def _unsubscribe(self, command: UnsubscribeData) -> None:
        pass

    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        coin = self._asset(command.instrument_id).coin
        await self._sub({"type": "bbo", "coin": coin}, command.instrument_id, stale=True)

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        await self._ws.unsubscribe({"type": "bbo", "coin": self._asset(command.instrument_id).coin})

    async def _subscribe_order_book_deltas(self, command: SubscribeOrderBook) -> None:
        coin = self._asset(command.instrument_id).coin
        await self._sub({"type": "l2Book", "coin": coin}, command.instrument_id, stale=True)

    async def _subscribe_order_book_snapshots(self, command: SubscribeOrderBook) -> None:
        await self._subscribe_order_book_deltas(command)

    async def _unsubscribe_order_book_deltas(self, command: UnsubscribeOrderBook) -> None:
        await self._ws.unsubscribe({"type": "l2Book", "coin": self._asset(command.instrument_id).coin})

    async def _unsubscribe_order_book_snapshots(self, command: UnsubscribeOrderBook) -> None:
        await self._unsubscribe_order_book_deltas(command)

    async def _subscribe_trade_ticks(self, command: SubscribeTradeTicks) -> None:
        coin = self._asset(command.instrument_id).coin
        await self._sub({"type": "trades", "coin": coin}, command.instrument_id, stale=False)

    async def _unsubscribe_trade_ticks(self, command: UnsubscribeTradeTicks) -> None:
        await self._ws.unsubscribe({"type": "trades", "coin": self._asset(command.instrument_id).coin})

    async def _subscribe_bars(self, command: SubscribeBars) -> None:
        bar_type = command.bar_type
        coin = self._asset(bar_type.instrument_id).coin
        interval = candle_interval(bar_type)
        self._bar_types[(coin, interval)] = bar_type
        await self._sub(
            {"type": "candle", "coin": coin, "interval": interval}, bar_type.instrument_id, stale=False
        )

    async def _unsubscribe_bars(self, command: UnsubscribeBars) -> None:
        coin = self._asset(command.bar_type.instrument_id).coin
        interval = candle_interval(command.bar_type)
        self._bar_types.pop((coin, interval), None)
        await self._ws.unsubscribe({"type": "candle", "coin": coin, "interval": interval})

    async def _ctx_subscribe(self, instrument_id: InstrumentId, kind: str) -> None:
        asset = self._asset(instrument_id)
        if asset.is_spot:
            self._log.error(
                f"Cannot subscribe to {kind} for {instrument_id}: spot markets have no {kind} stream"
            )
            return
        self._ctx_kinds[asset.coin].add(kind)
        await self._sub({"type": "activeAssetCtx", "coin": asset.coin}, instrument_id, stale=True)

    async def _ctx_unsubscribe(self, instrument_id: InstrumentId, kind: str) -> None:
        asset = self._asset(instrument_id)
        kinds = self._ctx_kinds.get(asset.coin)
        if kinds is None:
            return
        kinds.discard(kind)
        if not kinds:
            del self._ctx_kinds[asset.coin]
            await self._ws.unsubscribe({"type": "activeAssetCtx", "coin": asset.coin})

    async def _subscribe_mark_prices(self, command: SubscribeMarkPrices) -> None:
        await self._ctx_subscribe(command.instrument_id, "mark")

    async def _subscribe_index_prices(self, command: SubscribeIndexPrices) -> None:
        await self._ctx_subscribe(command.instrument_id, "index")

    async def _subscribe_funding_rates(self, command: SubscribeFundingRates) -> None:
        await self._ctx_subscribe(command.instrument_id, "funding")

    async def _unsubscribe_mark_prices(self, command: UnsubscribeMarkPrices) -> None:
        await self._ctx_unsubscribe(command.instrument_id, "mark")

    async def _unsubscribe_index_prices(self, command: UnsubscribeIndexPrices) -> None:
        await self._ctx_unsubscribe(command.instrument_id, "index")

    async def _unsubscribe_funding_rates(self, command: UnsubscribeFundingRates) -> None:
        await self._ctx_unsubscribe(command.instrument_id, "funding")

    # -- requests --------------------------------------------------------------------------------
    async def _request_instrument(self, request: RequestInstrument) -> None:
        await self._provider.initialize()
        instrument = self._provider.find(request.instrument_id)
        if instrument is None:
            self._log.error(f"Cannot find instrument {request.instrument_id} on Hyperliquid")
            return
        self._handle_instrument(instrument, request.id, request.start, request.end, request.params)

    async def _request_instruments(self, request: RequestInstruments) -> None:
        await self._provider.initialize()
        instruments = list(self._provider.get_all().values())
        self._handle_instruments(
            request.venue, instruments, request.id, request.start, request.end, request.params
        )

    async def _request_quote_ticks(self, request: RequestQuoteTicks) -> None:
        self._log.error("Cannot request historical quotes: Hyperliquid does not publish them")

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
            self._log.error(f"Cannot request {request.data_type}: not provided by Hyperliquid")
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
