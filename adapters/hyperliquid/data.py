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
from nautilus_trader.data.messages import SubscribeBars
from nautilus_trader.data.messages import SubscribeFundingRates
from nautilus_trader.data.messages import SubscribeIndexPrices
from nautilus_trader.data.messages import SubscribeMarkPrices
from nautilus_trader.data.messages import SubscribeOrderBook
from nautilus_trader.data.messages import SubscribeQuoteTicks
from nautilus_trader.data.messages import SubscribeTradeTicks
from nautilus_trader.data.messages import UnsubscribeBars
from nautilus_trader.data.messages import UnsubscribeFundingRates
from nautilus_trader.data.messages import UnsubscribeIndexPrices
from nautilus_trader.data.messages import UnsubscribeMarkPrices
from nautilus_trader.data.messages import UnsubscribeOrderBook
from nautilus_trader.data.messages import UnsubscribeQuoteTicks
from nautilus_trader.data.messages import UnsubscribeTradeTicks
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import InstrumentId

from adapters.common.data import FeedStatusPublisher
from adapters.common.data import HistoryRequests
from adapters.common.data import PushedCustomData
from adapters.common.frames import FrameStats
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


class HyperliquidDataClient(HistoryRequests, PushedCustomData, FeedStatusPublisher, LiveMarketDataClient):
    venue_name = "Hyperliquid"

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
        self._init_feed_status()

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
        self._frame_seen(f"l2Book:{book.coin}", asset.instrument_id)
        if self._fresh("l2Book", book.coin, book.time, data):
            self._handle_data(parse_l2_book(book, asset, self._clock.timestamp_ns()))

    def _on_bbo(self, data: bytes) -> None:
        msg = s.Decoders.bbo.decode(data)
        asset = self._provider.markets.coin(msg.coin)
        if asset is None:
            self.frame_stats.ignored("unknown_coin")
            return
        self._frame_seen(f"bbo:{msg.coin}", asset.instrument_id)
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
            self._frame_seen(f"trades:{t.coin}", asset.instrument_id)
            self._handle_data(parse_trade(t, asset, ts_init))

    def _on_candle(self, data: bytes) -> None:
        c = s.Decoders.candle.decode(data)
        key = (c.s, c.i)
        bar_type = self._bar_types.get(key)
        asset = self._provider.markets.coin(c.s)
        if bar_type is None or asset is None:
            self.frame_stats.ignored("unsubscribed_candle")
            return
        self._frame_seen(f"candle:{c.s}:{c.i}", asset.instrument_id)
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
        self._frame_seen(f"activeAssetCtx:{msg.coin}", asset.instrument_id)
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
