"""Historical requests (funding history, candles, recent trades) with the venue's paging, as
Nautilus objects. Used by the data client's `request_*` handlers and usable as-is by a catalog
downloader:

    http = BitgetHttpClient(HTTP_URL)
    provider = BitgetInstrumentProvider(http); await provider.initialize()
    history = BitgetHistory(http, provider)
    rates = await history.funding_rates(InstrumentId.from_str("NVDAUSDT-PERP.BITGET"), start_ns, end_ns)

Paging: `history-fund-rate` is newest first by page number (100 rows a page); candles page forward
from `startTime` (up to 1000 rows a request; `history-candles` for ranges older than the recent
window the plain endpoint serves).
"""

from __future__ import annotations

import time

from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.identifiers import InstrumentId

from adapters.bitget.constants import BITGET
from adapters.bitget.constants import CANDLE_GRANULARITY
from adapters.bitget.constants import GRANULARITY_MS
from adapters.bitget.constants import SPOT_CANDLE_GRANULARITY
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.parsing import parse_candle
from adapters.bitget.parsing import parse_funding_history
from adapters.bitget.parsing import parse_trade
from adapters.bitget.providers import BitgetInstrumentProvider
from adapters.common.bars import venue_candle
from adapters.common.errors import ConfigurationError

FUNDING_PAGE = 100
CANDLE_PAGE = 1000
MAX_FUNDING_PAGES = 200
MS = 1_000_000


def granularity(bar_type: BarType) -> str:
    """The futures candle granularity (`1m` ... `1M`) of a LAST-EXTERNAL time bar type."""
    return venue_candle(bar_type, CANDLE_GRANULARITY, BITGET, "Bitget", "granularity")


class BitgetHistory:
    def __init__(self, http: BitgetHttpClient, provider: BitgetInstrumentProvider) -> None:
        self._http = http
        self._provider = provider

    async def funding_rates(
        self, instrument_id: InstrumentId, start_ns: int, end_ns: int | None = None
    ) -> list[FundingRateUpdate]:
        """Settled rates with `start_ns <= fundingTime <= end_ns`, oldest first."""
        await self._provider.initialize()
        m = self._provider.markets.market(instrument_id)
        if m.is_spot:
            raise ConfigurationError(f"{instrument_id} is a spot market: it has no funding", venue=BITGET)
        end = end_ns if end_ns is not None else time.time_ns()
        ts_init = time.time_ns()
        out: dict[int, FundingRateUpdate] = {}
        for page in range(1, MAX_FUNDING_PAGES + 1):
            rows = await self._http.history_fund_rate(m.symbol, page_no=page, page_size=FUNDING_PAGE)
            for r in rows:
                update = parse_funding_history(r, m, ts_init)
                if start_ns <= update.ts_event <= end:
                    out[update.ts_event] = update
            if len(rows) < FUNDING_PAGE or (rows and int(rows[-1].fundingTime) * MS < start_ns):
                break
        return [out[k] for k in sorted(out)]

    async def bars(
        self, bar_type: BarType, start_ns: int, end_ns: int | None = None, timestamp_on_close: bool = True
    ) -> list[Bar]:
        """Closed candles that open in [start, end], oldest first."""
        await self._provider.initialize()
        m = self._provider.markets.market(bar_type.instrument_id)
        g = granularity(bar_type)
        step = GRANULARITY_MS[g]
        now_ms = time.time_ns() // MS
        start_ms = start_ns // MS - (start_ns // MS) % step
        end_ms = (end_ns // MS) if end_ns is not None else now_ms
        ts_init = time.time_ns()
        out: dict[int, Bar] = {}
        while start_ms <= end_ms:
            chunk_end = min(end_ms, start_ms + step * (CANDLE_PAGE - 1))
            if m.is_spot:
                rows = await self._http.spot_candles(
                    m.symbol, SPOT_CANDLE_GRANULARITY[g], start_ms, chunk_end
                )
            else:
                rows = await self._http.candles(m.symbol, g, start_ms, chunk_end, CANDLE_PAGE)
            for row in rows:
                open_ms = int(row[0])
                if start_ms <= open_ms <= end_ms and open_ms + step <= now_ms:  # only closed candles
                    out[open_ms] = parse_candle(row, m, bar_type, step, ts_init, timestamp_on_close)
            start_ms = chunk_end + step
        return [out[k] for k in sorted(out)]

    async def trades(self, instrument_id: InstrumentId, limit: int = 100) -> list[TradeTick]:
        await self._provider.initialize()
        m = self._provider.markets.market(instrument_id)
        rows = await (
            self._http.spot_market_fills(m.symbol, limit)
            if m.is_spot
            else self._http.market_fills(m.symbol, limit)
        )
        ts_init = time.time_ns()
        return sorted((parse_trade(t, m, ts_init) for t in rows), key=lambda t: t.ts_event)
