"""`BacktestNode` that streams funding data along with market data.

Nautilus 1.221 streams a catalog through its Rust `DataBackendSession`, which only knows the built-in
market data types (quotes, trades, book, bars, mark prices). Funding rate updates are few (one per
venue interval per instrument), so we read them whole and merge them, in timestamp order, into the
market-data chunks as those stream past. Memory stays flat in the size of the market data.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow.parquet as pq
from nautilus_trader.backtest.config import BacktestDataConfig
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.node import BacktestNode
from nautilus_trader.core.data import Data
from nautilus_trader.core.datetime import max_date
from nautilus_trader.core.datetime import min_date
from nautilus_trader.core.nautilus_pyo3 import DataBackendSession
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import MarkPriceUpdate
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import OrderBookDepth10
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.data import capsule_to_list

from catalog.store import ArbCatalog
from catalog.store import open_catalog

STREAMED_TYPES = (
    QuoteTick,
    TradeTick,
    OrderBookDelta,
    OrderBookDeltas,
    OrderBookDepth10,
    Bar,
    MarkPriceUpdate,
)

ProgressFactory = Callable[[int], "Progress"]


class Progress:
    """Minimal progress sink; the CLI passes a tqdm-backed one."""

    def update(self, n: int) -> None:  # pragma: no cover - interface
        pass

    def close(self) -> None:  # pragma: no cover - interface
        pass


class ArbBacktestNode(BacktestNode):
    def __init__(self, configs, progress: ProgressFactory | None = None) -> None:
        super().__init__(configs)
        self._progress_factory = progress
        self.events_streamed = 0
        self.side_events = 0

    @classmethod
    def load_catalog(cls, config: BacktestDataConfig) -> ArbCatalog:  # type: ignore[override]
        return open_catalog(config.catalog_path)

    def _run_streaming(
        self, run_config_id, engine: BacktestEngine, data_configs, chunk_size, start=None, end=None
    ) -> None:
        session = DataBackendSession(chunk_size=chunk_size)
        side: list[Data] = []
        total_rows = 0
        for config in data_configs:
            catalog = self.load_catalog(config)
            used_start, used_end = _window(config, start, end)
            ids = [str(i) for i in (config.instrument_ids or [])] or None
            if config.data_type in STREAMED_TYPES:
                files = catalog._query_files(config.data_type, ids, used_start, used_end)
                total_rows += sum(pq.ParquetFile(f).metadata.num_rows for f in files)
                if files:
                    session = catalog.backend_session(
                        data_cls=config.data_type,
                        identifiers=ids,
                        start=used_start,
                        end=used_end,
                        session=session,
                    )
            else:
                side.extend(catalog.query(config.data_type, identifiers=ids, start=used_start, end=used_end))
        side.sort(key=lambda d: d.ts_init)
        self.side_events = len(side)

        progress = self._progress_factory(total_rows) if self._progress_factory else None
        k = 0
        try:
            for capsule in session.to_query_result():
                chunk = capsule_to_list(capsule)
                if not chunk:
                    continue
                market_rows = len(chunk)
                last_ts = chunk[-1].ts_init
                j = k
                while j < len(side) and side[j].ts_init <= last_ts:
                    j += 1
                if j > k:
                    chunk = chunk + side[k:j]
                    k = j
                engine.add_data(data=chunk, validate=False, sort=True)
                engine.run(start=start, end=end, run_config_id=run_config_id, streaming=True)
                engine.clear_data()
                self.events_streamed += len(chunk)
                if progress:
                    progress.update(market_rows)
            if k < len(side):
                engine.add_data(data=side[k:], validate=False, sort=True)
                engine.run(start=start, end=end, run_config_id=run_config_id, streaming=True)
                engine.clear_data()
                self.events_streamed += len(side) - k
        finally:
            if progress:
                progress.close()
        engine.end()


def _window(config: BacktestDataConfig, start, end) -> tuple[str | None, str | None]:
    used_start, used_end = config.start_time, config.end_time
    if used_start is not None or start is not None:
        result = max_date(used_start, start)
        used_start = result.isoformat() if result else None
    if used_end is not None or end is not None:
        result = min_date(used_end, end)
        used_end = result.isoformat() if result else None
    return used_start, used_end
