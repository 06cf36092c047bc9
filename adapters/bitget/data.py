"""Bitget market data client.

Subscriptions -> venue channels (public WebSocket `/v2/ws/public`, instType USDT-FUTURES or SPOT):
    quote ticks                 books1 (default) or ticker             -> QuoteTick
    order book deltas           books (incremental, CRC32 checksum)    -> OrderBookDeltas
                                books5 / books15 for depth 5 / 15      (full snapshots each push)
    trade ticks                 trade                                  -> TradeTick (live trades; the
                                                                          subscribe-time snapshot of
                                                                          past trades is not replayed)
    bars (LAST-EXTERNAL time)   candle<granularity>                    -> Bar when the candle closes
    mark / index / funding      ticker (futures)                       -> MarkPriceUpdate /
                                                                          IndexPriceUpdate /
                                                                          FundingRateUpdate
    FundingPayment / FeedStatus accepted (FundingPayment comes from the execution client)

Funding: the ticker carries the current rate and `nextFundingTime`; each change is published as a
`FundingRateUpdate(rate, next_funding_ns)`. The symbol's funding interval (1/2/4/8 h, it can change)
comes from `current-fund-rate` (`fundingRateInterval`), read at subscription and every
`funding_refresh_secs`; a changed interval re-publishes the instrument with
`info["funding_interval_hours"]` updated (strategies also see it as the spacing of
`next_funding_ns`).

Books: the local copy of every `books` subscription is checked against the venue's checksum after
each update; on a mismatch (or an update before any snapshot) the book is dropped and the channel
re-subscribed, which makes the venue send a fresh snapshot (`checksum_mismatches`, `book_resyncs`).
An update whose `seq` is not newer than the last applied one (a duplicate or late frame) is dropped.
Feed health: `FeedStatus` for every instrument whose book/quote/ticker stream goes stale, drops or
comes back (see `adapters.common.feed_status`). Malformed frames are logged and counted, never raised.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections import defaultdict
from decimal import Decimal
from typing import Any

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
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import InstrumentId

from adapters.bitget import schemas as s
from adapters.bitget.books import L2Book
from adapters.bitget.config import BitgetDataClientConfig
from adapters.bitget.config import ws_urls
from adapters.bitget.constants import BITGET
from adapters.bitget.constants import BITGET_VENUE
from adapters.bitget.constants import GRANULARITY_MS
from adapters.bitget.history import BitgetHistory
from adapters.bitget.history import granularity
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.markets import BitgetMarket
from adapters.bitget.parsing import book_snapshot_deltas
from adapters.bitget.parsing import book_update_deltas
from adapters.bitget.parsing import ms_to_ns
from adapters.bitget.parsing import parse_candle
from adapters.bitget.parsing import parse_current_fund_rate
from adapters.bitget.parsing import parse_ticker_prices
from adapters.bitget.parsing import parse_trade
from adapters.bitget.parsing import quote_from_depth
from adapters.bitget.parsing import quote_from_ticker
from adapters.bitget.providers import BitgetInstrumentProvider
from adapters.bitget.websocket import BitgetWebSocket
from adapters.bitget.websocket import arg_key
from adapters.common.data import FeedStatusPublisher
from adapters.common.data import HistoryRequests
from adapters.common.data import PushedCustomData
from adapters.common.errors import VenueError
from adapters.common.frames import FrameStats

SNAPSHOT_DEPTHS = {1: "books1", 5: "books5", 15: "books15"}


class BitgetDataClient(HistoryRequests, PushedCustomData, FeedStatusPublisher, LiveMarketDataClient):
    venue_name = "Bitget"

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client: BitgetHttpClient,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        instrument_provider: BitgetInstrumentProvider,
        config: BitgetDataClientConfig,
        name: str | None = None,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=ClientId(name or BITGET),
            venue=BITGET_VENUE,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=instrument_provider,
            config=config,
        )
        if config.quote_channel not in ("books1", "ticker"):
            raise ValueError(f"quote_channel must be 'books1' or 'ticker', got {config.quote_channel!r}")
        self._http = client
        self._provider = instrument_provider
        self._config = config
        self._history = BitgetHistory(client, instrument_provider)
        self.frame_stats = FrameStats(self._log)
        self.book_stats: Counter[str] = Counter()
        public_url, _ = ws_urls(config.demo, config.base_url_ws, config.base_url_http)
        self._ws = BitgetWebSocket(
            public_url,
            handler=self._on_push,
            stats=self.frame_stats,
            logger=self._log,
            heartbeat_secs=config.heartbeat_secs,
            on_connected=self._on_ws_connected,
            on_disconnected=self._on_ws_disconnected,
            on_stale=self._on_ws_stale,
            name="market-data",
        )
        self._books: dict[str, L2Book] = {}  # subscription key -> local book (`books` channel)
        self._book_args: dict[str, dict[str, Any]] = {}
        self._book_snapshot_channel: set[str] = set()  # keys publishing whole snapshots (books5/15)
        self._quote_keys: set[str] = set()  # books1 subscriptions publishing quotes
        self._ticker_kinds: dict[str, set[str]] = defaultdict(
            set
        )  # ticker key -> {quote, mark, index, funding}
        self._last_funding: dict[InstrumentId, tuple[Decimal, int | None]] = {}
        self._bar_types: dict[str, BarType] = {}  # candle key -> bar type
        self._open_candles: dict[str, list[str]] = {}
        self._init_feed_status()
        self._funding_tasks: dict[InstrumentId, asyncio.Task] = {}

    @property
    def websocket(self) -> BitgetWebSocket:
        return self._ws

    # -- lifecycle -------------------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._provider.initialize()
        for instrument in self._provider.published():
            self._handle_data(instrument)
        await self._ws.connect()

    async def _disconnect(self) -> None:
        for task in self._funding_tasks.values():
            task.cancel()
        self._funding_tasks.clear()
        await self._ws.close()
        await self._http.close()

    def _on_ws_connected(self, reconnected: bool) -> None:
        if reconnected:
            # every `books` subscription starts again from the snapshot the venue sends on subscribe
            for book in self._books.values():
                book.clear()

    # -- helpers ---------------------------------------------------------------------------------
    def _market(self, instrument_id: InstrumentId) -> BitgetMarket:
        return self._provider.markets.market(instrument_id)

    @staticmethod
    def _arg(m: BitgetMarket, channel: str) -> dict[str, Any]:
        return {"instType": m.inst_type, "channel": channel, "instId": m.symbol}

    async def _sub(self, m: BitgetMarket, channel: str, stale: bool) -> str:
        key = await self._ws.subscribe(self._arg(m, channel), self._config.stale_feed_secs if stale else None)
        self._key_instrument[key] = m.instrument_id
        return key

    # -- frames ----------------------------------------------------------------------------------
    def _on_push(self, arg: s.WsArg, action: str | None, data: bytes, ts: Any) -> None:
        m = self._provider.markets.lookup(arg.instType, arg.instId or "")
        if m is None:
            self.frame_stats.ignored("unknown_symbol")
            return
        channel = arg.channel
        key = arg_key(arg)
        self._frame_seen(key, m.instrument_id)
        if channel == "books":
            self._on_books(key, m, action, data)
        elif channel in ("books1", "books5", "books15"):
            self._on_book_snapshot(key, m, channel, data)
        elif channel == "ticker":
            self._on_ticker(key, m, data)
        elif channel == "trade":
            if action == "snapshot":
                self.frame_stats.ignored("trade_snapshot")  # past trades sent on subscribe
                return
            ts_init = self._clock.timestamp_ns()
            for t in sorted(s.Decoders.public_trades.decode(data), key=lambda t: int(t.ts)):
                self._handle_data(parse_trade(t, m, ts_init))
        elif channel.startswith("candle"):
            self._on_candle(key, m, channel[len("candle") :], data)
        else:
            self.frame_stats.ignored(f"channel:{channel}")

    def _on_books(self, key: str, m: BitgetMarket, action: str | None, data: bytes) -> None:
        book = self._books.get(key)
        if book is None:
            self.frame_stats.ignored("unsubscribed_book")
            return
        for depth in s.Decoders.depths.decode(data):
            ts_init = self._clock.timestamp_ns()
            ts_event = ms_to_ns(depth.ts) if depth.ts is not None else ts_init
            if action == "snapshot":
                book.snapshot(depth.bids, depth.asks)
                book.seq = depth.seq
                if depth.checksum and depth.checksum != book.checksum():
                    self._resync_book(key, m, book, "snapshot checksum mismatch")
                    return
                self.book_stats["snapshots"] += 1
                self._handle_data(book_snapshot_deltas(book, m, ts_event, ts_init))
                continue
            if not book.ready:
                self.book_stats["updates_before_snapshot"] += 1
                continue
            if depth.seq is not None and book.seq is not None and depth.seq <= book.seq:
                self.book_stats["stale_updates"] += 1  # duplicate or late frame: already applied
                continue
            changes = book.apply(depth.bids, depth.asks)
            book.seq = depth.seq if depth.seq is not None else book.seq
            if depth.checksum is not None and depth.checksum != book.checksum():
                self.book_stats["checksum_mismatches"] += 1
                self._resync_book(
                    key, m, book, f"checksum mismatch (venue {depth.checksum}, local {book.checksum()})"
                )
                return
            self.book_stats["updates"] += 1
            deltas = book_update_deltas(changes, m, ts_event, ts_init)
            if deltas is not None:
                self._handle_data(deltas)

    def _resync_book(self, key: str, m: BitgetMarket, book: L2Book, reason: str) -> None:
        self._log.warning(f"{m.instrument_id} book {reason}: re-subscribing for a fresh snapshot")
        book.clear()
        self.book_stats["resyncs"] += 1
        arg = self._book_args.get(key)
        if arg is not None:
            self.create_task(self._ws.resubscribe(arg), log_msg=f"book resync {m.instrument_id}")

    def _on_book_snapshot(self, key: str, m: BitgetMarket, channel: str, data: bytes) -> None:
        ts_init = self._clock.timestamp_ns()
        for depth in s.Decoders.depths.decode(data):
            if key in self._quote_keys:
                quote = quote_from_depth(depth, m, ts_init)
                if quote is not None:
                    self._handle_data(quote)
            if key in self._book_snapshot_channel:
                book = L2Book()
                book.snapshot(depth.bids, depth.asks)
                ts_event = ms_to_ns(depth.ts) if depth.ts is not None else ts_init
                self._handle_data(book_snapshot_deltas(book, m, ts_event, ts_init))

    def _on_ticker(self, key: str, m: BitgetMarket, data: bytes) -> None:
        kinds = self._ticker_kinds.get(key, set())
        ts_init = self._clock.timestamp_ns()
        for t in s.Decoders.tickers.decode(data):
            if "quote" in kinds:
                quote = quote_from_ticker(t, m, ts_init)
                if quote is not None:
                    self._handle_data(quote)
            if not kinds & {"mark", "index", "funding"}:
                continue
            mark, index, funding = parse_ticker_prices(t, m, ts_init)
            if "mark" in kinds and mark is not None:
                self._handle_data(mark)
            if "index" in kinds and index is not None:
                self._handle_data(index)
            if "funding" in kinds and funding is not None:
                self._publish_funding(funding)

    def _publish_funding(self, funding: FundingRateUpdate) -> None:
        state = (funding.rate, funding.next_funding_ns)
        if self._last_funding.get(funding.instrument_id) == state:
            return
        self._last_funding[funding.instrument_id] = state
        self._handle_data(funding)

    def _on_candle(self, key: str, m: BitgetMarket, g: str, data: bytes) -> None:
        bar_type = self._bar_types.get(key)
        step = GRANULARITY_MS.get(g)
        if bar_type is None or step is None:
            self.frame_stats.ignored("unsubscribed_candle")
            return
        rows = sorted(s.Decoders.candles.decode(data), key=lambda r: int(r[0]))
        for row in rows:
            previous = self._open_candles.get(key)
            if previous is not None and int(row[0]) > int(previous[0]):
                # The venue pushes the forming candle; the previous one is final once a newer one starts.
                self._handle_data(
                    parse_candle(
                        previous,
                        m,
                        bar_type,
                        step,
                        self._clock.timestamp_ns(),
                        self._config.bars_timestamp_on_close,
                    )
                )
            if previous is None or int(row[0]) >= int(previous[0]):
                self._open_candles[key] = row

    # -- subscriptions ---------------------------------------------------------------------------
    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        m = self._market(command.instrument_id)
        if self._config.quote_channel == "books1":
            self._quote_keys.add(await self._sub(m, "books1", stale=True))
        else:
            await self._ticker_subscribe(command.instrument_id, "quote")

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        m = self._market(command.instrument_id)
        if self._config.quote_channel == "books1":
            self._quote_keys.discard(f"{m.inst_type}:books1:{m.symbol}")
            await self._ws.unsubscribe(self._arg(m, "books1"))
        else:
            await self._ticker_unsubscribe(command.instrument_id, "quote")

    async def _subscribe_order_book_deltas(self, command: SubscribeOrderBook) -> None:
        m = self._market(command.instrument_id)
        depth = int(command.depth or 0)
        channel = SNAPSHOT_DEPTHS.get(depth, "books")
        arg = self._arg(m, channel)
        if channel == "books":
            key = f"{m.inst_type}:books:{m.symbol}"
            self._books.setdefault(key, L2Book())
            self._book_args[key] = arg
        else:
            self._book_snapshot_channel.add(f"{m.inst_type}:{channel}:{m.symbol}")
        await self._sub(m, channel, stale=True)

    async def _subscribe_order_book_snapshots(self, command: SubscribeOrderBook) -> None:
        await self._subscribe_order_book_deltas(command)

    async def _unsubscribe_order_book_deltas(self, command: UnsubscribeOrderBook) -> None:
        m = self._market(command.instrument_id)
        for channel in ("books", *SNAPSHOT_DEPTHS.values()):
            key = f"{m.inst_type}:{channel}:{m.symbol}"
            if key in self._books or key in self._book_snapshot_channel:
                self._books.pop(key, None)
                self._book_args.pop(key, None)
                self._book_snapshot_channel.discard(key)
                await self._ws.unsubscribe(self._arg(m, channel))

    async def _unsubscribe_order_book_snapshots(self, command: UnsubscribeOrderBook) -> None:
        await self._unsubscribe_order_book_deltas(command)

    async def _subscribe_trade_ticks(self, command: SubscribeTradeTicks) -> None:
        await self._sub(self._market(command.instrument_id), "trade", stale=False)

    async def _unsubscribe_trade_ticks(self, command: UnsubscribeTradeTicks) -> None:
        await self._ws.unsubscribe(self._arg(self._market(command.instrument_id), "trade"))

    async def _subscribe_bars(self, command: SubscribeBars) -> None:
        bar_type = command.bar_type
        m = self._market(bar_type.instrument_id)
        g = granularity(bar_type)
        key = await self._sub(m, f"candle{g}", stale=False)
        self._bar_types[key] = bar_type

    async def _unsubscribe_bars(self, command: UnsubscribeBars) -> None:
        m = self._market(command.bar_type.instrument_id)
        g = granularity(command.bar_type)
        arg = self._arg(m, f"candle{g}")
        self._bar_types.pop(f"{m.inst_type}:candle{g}:{m.symbol}", None)
        await self._ws.unsubscribe(arg)

    async def _ticker_subscribe(self, instrument_id: InstrumentId, kind: str) -> None:
        m = self._market(instrument_id)
        if m.is_spot and kind != "quote":
            self._log.error(f"Cannot subscribe to {kind} for {instrument_id}: spot markets have no {kind}")
            return
        key = f"{m.inst_type}:ticker:{m.symbol}"
        self._ticker_kinds[key].add(kind)
        await self._sub(m, "ticker", stale=True)

    async def _ticker_unsubscribe(self, instrument_id: InstrumentId, kind: str) -> None:
        m = self._market(instrument_id)
        key = f"{m.inst_type}:ticker:{m.symbol}"
        kinds = self._ticker_kinds.get(key)
        if kinds is None:
            return
        kinds.discard(kind)
        if not kinds:
            del self._ticker_kinds[key]
            await self._ws.unsubscribe(self._arg(m, "ticker"))

    async def _subscribe_mark_prices(self, command: SubscribeMarkPrices) -> None:
        await self._ticker_subscribe(command.instrument_id, "mark")

    async def _subscribe_index_prices(self, command: SubscribeIndexPrices) -> None:
        await self._ticker_subscribe(command.instrument_id, "index")

    async def _subscribe_funding_rates(self, command: SubscribeFundingRates) -> None:
        iid = command.instrument_id
        await self._ticker_subscribe(iid, "funding")
        if not self._market(iid).is_spot and iid not in self._funding_tasks:
            # a loop for the subscription's lifetime: canceled quietly on unsubscribe / disconnect
            self._funding_tasks[iid] = self._loop.create_task(
                self._refresh_funding(iid), name=f"funding {iid}"
            )

    async def _unsubscribe_mark_prices(self, command: UnsubscribeMarkPrices) -> None:
        await self._ticker_unsubscribe(command.instrument_id, "mark")

    async def _unsubscribe_index_prices(self, command: UnsubscribeIndexPrices) -> None:
        await self._ticker_unsubscribe(command.instrument_id, "index")

    async def _unsubscribe_funding_rates(self, command: UnsubscribeFundingRates) -> None:
        task = self._funding_tasks.pop(command.instrument_id, None)
        if task is not None:
            task.cancel()
        await self._ticker_unsubscribe(command.instrument_id, "funding")

    async def _refresh_funding(self, instrument_id: InstrumentId) -> None:
        """The current rate, next settlement and funding interval from `current-fund-rate`, at once
        and then every `funding_refresh_secs`."""
        m = self._market(instrument_id)
        while True:
            try:
                rows = await self._http.current_fund_rate(m.symbol)
                for row in rows:
                    if row.fundingRateInterval not in (None, ""):
                        hours = int(Decimal(row.fundingRateInterval))
                        instrument = self._provider.update_funding_interval(instrument_id, hours)
                        if instrument is not None:
                            self._log.info(f"{instrument_id} funding interval is now {hours} h")
                            self._handle_data(instrument)
                    self._publish_funding(parse_current_fund_rate(row, m, self._clock.timestamp_ns()))
            except VenueError as e:
                self._log.warning(f"Cannot read the current funding rate of {instrument_id}: {e.message}")
            except Exception as e:  # a bad reply must not end the loop
                self._log.error(f"Funding refresh of {instrument_id} failed: {type(e).__name__}: {e}")
            await asyncio.sleep(self._config.funding_refresh_secs)
