"""Historical requests (candles, funding history, recent trades) with the venue's paging, as
Nautilus objects. Used by the data client's `request_*` handlers and usable as-is by a catalog
downloader:

    http = HyperliquidHttpClient(MAINNET_HTTP_URL)
    provider = HyperliquidInstrumentProvider(http); await provider.initialize()
    history = HyperliquidHistory(http, provider)
    rates = await history.funding_rates(InstrumentId.from_str("BTC-USD-PERP.HYPERLIQUID"), start_ns, end_ns)
"""

from __future__ import annotations

import time

from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.identifiers import InstrumentId

from adapters.common.bars import venue_candle
from adapters.hyperliquid.constants import CANDLE_INTERVALS
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.parsing import parse_candle
from adapters.hyperliquid.parsing import parse_funding_history
from adapters.hyperliquid.parsing import parse_trade
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider

FUNDING_PAGE = 500  # rows per fundingHistory reply
CANDLE_PAGE = 5000  # candles per candleSnapshot reply
MS = 1_000_000


def candle_interval(bar_type: BarType) -> str:
    return venue_candle(bar_type, CANDLE_INTERVALS, HYPERLIQUID, "Hyperliquid", "interval")


class HyperliquidHistory:
    def __init__(self, http: HyperliquidHttpClient, provider: HyperliquidInstrumentProvider) -> None:
        self._http = http
        self._provider = provider

    async def funding_rates(
        self, instrument_id: InstrumentId, start_ns: int, end_ns: int | None = None
    ) -> list[FundingRateUpdate]:
        await self._provider.initialize()
        asset = self._provider.markets.asset(instrument_id)
        start_ms, end_ms = start_ns // MS, (end_ns // MS if end_ns else time.time_ns() // MS)
        out: list[FundingRateUpdate] = []
        ts_init = time.time_ns()
        while start_ms <= end_ms:
            rows = await self._http.funding_history(asset.coin, start_ms, end_ms)
            out.extend(parse_funding_history(r, asset, ts_init) for r in rows if r.time <= end_ms)
            if len(rows) < FUNDING_PAGE:
                break
            start_ms = rows[-1].time + 1
        return out

    async def bars(
        self, bar_type: BarType, start_ns: int, end_ns: int | None = None, timestamp_on_close: bool = True
    ) -> list[Bar]:
        await self._provider.initialize()
        asset = self._provider.markets.asset(bar_type.instrument_id)
        interval = candle_interval(bar_type)
        start_ms, end_ms = start_ns // MS, (end_ns // MS if end_ns else time.time_ns() // MS)
        now_ms = time.time_ns() // MS
        out: list[Bar] = []
        ts_init = time.time_ns()
        while start_ms <= end_ms:
            candles = await self._http.candles(asset.coin, interval, start_ms, end_ms)
            for c in candles:
                if now_ms > c.T:  # only closed candles are bars
                    out.append(parse_candle(c, asset, bar_type, ts_init, timestamp_on_close))
            if len(candles) < CANDLE_PAGE:
                break
            start_ms = candles[-1].T + 1
        return out

    async def trades(self, instrument_id: InstrumentId) -> list[TradeTick]:
        await self._provider.initialize()
        asset = self._provider.markets.asset(instrument_id)
        ts_init = time.time_ns()
        rows = await self._http.recent_trades(asset.coin)
        return sorted((parse_trade(t, asset, ts_init) for t in rows), key=lambda t: t.ts_event)
