"""Bybit v5 history into a catalog, downloaded with the official SDK (`pybit`): instrument
definitions, klines (as bars), funding history (as `FundingRateUpdate`) and recent public trades.

    downloader = BybitDownloader(open_catalog(path, must_exist=False), base_url="http://127.0.0.1:PORT")
    report = downloader.run(["BTCUSDT-LINEAR", "BTCUSDT-SPOT"], start_ns, end_ns)

Paging: klines in forward windows of 1000 candles (the reply is newest-first, at most 1000 rows),
funding in forward windows of 200 settlements (a full reply is split and fetched again, so a
shorter funding interval loses nothing), trades are the venue's most recent ones (spot 60, linear
1000: Bybit v5 has no public trade history over REST).

Resume: every batch is written with `load_into_catalog(mode="replace")` (the rows of that type
and instrument in the batch's time range are replaced, never duplicated) and then recorded in
`<catalog>/.downloads/bybit.json` as done; a re-run skips finished windows, so an interrupted
download continues where it stopped and a repeated one writes nothing twice.

Pacing: at most `rate` requests per second (the venue allows 600 per 5 s per IP); an HTTP 403
("access too frequent": the IP limit) waits `ban_wait_secs` and retries; 10006 replies are
retried by pybit after the reset time the venue gives; a failing request is retried `retries`
times with backoff before the download stops, naming what it could not fetch (what was written
stays written).

Bars are stamped at the candle's close (`ts_event = start + interval`), as the catalog's other bar
loaders do, and only closed candles are kept. Funding updates are published at their settlement
(`ts_event = ts_init = next_funding_ns`), like `catalog.loaders` (no look-ahead).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from pybit.exceptions import FailedRequestError
from pybit.exceptions import InvalidRequestError
from pybit.unified_trading import HTTP

from adapters.common.errors import ConfigurationError
from adapters.common.errors import TransportError
from adapters.common.errors import VenueError
from catalog.funding import register_funding_types
from catalog.loaders import load_into_catalog
from catalog.registry import MarketSpec
from catalog.registry import Registry
from catalog.registry import default_registry

VENUE = "BYBIT"
MS = 1_000_000
MINUTE_MS = 60_000
KLINE_PAGE = 1000
FUNDING_PAGE = 200
TRADES_LIMIT = {"spot": 60, "linear": 1000}
CATEGORIES = {"LINEAR": "linear", "SPOT": "spot"}
KINDS = ("instruments", "bars", "funding", "trades")
# Bybit kline interval -> (milliseconds, Nautilus bar spec)
INTERVALS: dict[str, tuple[int, str]] = {
    "1": (60_000, "1-MINUTE"), "3": (180_000, "3-MINUTE"), "5": (300_000, "5-MINUTE"),
    "15": (900_000, "15-MINUTE"), "30": (1_800_000, "30-MINUTE"), "60": (3_600_000, "1-HOUR"),
    "120": (7_200_000, "2-HOUR"), "240": (14_400_000, "4-HOUR"), "360": (21_600_000, "6-HOUR"),
    "720": (43_200_000, "12-HOUR"), "D": (86_400_000, "1-DAY"),
}  # fmt: skip


class DownloadError(VenueError):
    pass


# -- one reply row -> one Nautilus object (pure) ------------------------------------------------------
def parse_kline_row(
    row: list[str],
    bar_type: BarType,
    price_precision: int,
    size_precision: int,
    interval_ms: int,
    ts_init: int,
) -> Bar:
    start, o, h, low, c, v = row[:6]
    ts = (int(start) + interval_ms) * MS  # stamped at the close
    return Bar(
        bar_type,
        Price(Decimal(o), price_precision),
        Price(Decimal(h), price_precision),
        Price(Decimal(low), price_precision),
        Price(Decimal(c), price_precision),
        Quantity(Decimal(v), size_precision),
        ts,
        max(ts, ts_init) if ts_init else ts,
    )


def parse_funding_row(row: dict[str, Any], instrument_id: InstrumentId, **_: Any) -> FundingRateUpdate:
    t = int(row["fundingRateTimestamp"]) * MS
    return FundingRateUpdate(
        instrument_id, Decimal(row["fundingRate"]), ts_event=t, ts_init=t, next_funding_ns=t
    )


def parse_trade_row(
    row: dict[str, Any], instrument_id: InstrumentId, price_precision: int, size_precision: int, ts_init: int
) -> TradeTick:
    t = int(row["time"]) * MS
    return TradeTick(
        instrument_id,
        Price(Decimal(row["price"]), price_precision),
        Quantity(Decimal(row["size"]), size_precision),
        AggressorSide.BUYER if row["side"] == "Buy" else AggressorSide.SELLER,
        TradeId(str(row["execId"])),
        t,
        max(t, ts_init) if ts_init else t,
    )


# -- what to download ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    symbol: str  # venue symbol, "BTCUSDT"
    category: str  # "linear" | "spot"

    @property
    def instrument_id(self) -> InstrumentId:
        return InstrumentId.from_str(f"{self.symbol}-{self.category.upper()}.{VENUE}")


def parse_target(text: str) -> Target:
    """`BTCUSDT-LINEAR`, `BTCUSDT-SPOT`, `BTCUSDT-LINEAR.BYBIT` or `BTCUSDT` (= linear)."""
    raw = text.strip().upper().removesuffix(f".{VENUE}")
    symbol, _, suffix = raw.rpartition("-")
    if not symbol:
        symbol, suffix = raw, "LINEAR"
    if suffix not in CATEGORIES or not symbol.isalnum():
        raise ConfigurationError(
            f"symbol '{text}': expected SYMBOL-LINEAR or SYMBOL-SPOT (e.g. BTCUSDT-LINEAR)", venue=VENUE
        )
    return Target(symbol, CATEGORIES[suffix])


@dataclass
class Report:
    written: dict[str, int] = field(default_factory=dict)  # "<instrument> <kind>" -> objects written
    skipped_windows: int = 0  # windows already done in an earlier run
    requests: int = 0
    waits: int = 0  # rate-limit waits (403 / retries)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, n: int) -> None:
        self.written[key] = self.written.get(key, 0) + n


class Checkpoint:
    """Finished download windows, kept next to the catalog (`.downloads/bybit.json`)."""

    def __init__(self, catalog_path: str | Path) -> None:
        self.path = Path(catalog_path) / ".downloads" / "bybit.json"
        self.done: dict[str, list[list[int]]] = (
            json.loads(self.path.read_text()) if self.path.exists() else {}
        )

    def covered(self, key: str, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in self.done.get(key, []))

    def mark(self, key: str, start: int, end: int) -> None:
        spans = sorted([*self.done.get(key, []), [start, end]])
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.done[key] = merged
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.done, indent=1))
        tmp.replace(self.path)


class BybitDownloader:
    def __init__(
        self,
        catalog: ParquetDataCatalog,
        *,
        base_url: str | None = None,
        testnet: bool = False,
        rate: float = 10.0,
        interval: str = "1",
        kinds: tuple[str, ...] = KINDS,
        retries: int = 4,
        ban_wait_secs: float = 60.0,
        flush_pages: int = 10,
        registry: Registry | None = None,
        progress: Callable[[int], Any] | None = None,
        session: HTTP | None = None,
    ) -> None:
        if interval not in INTERVALS:
            raise ConfigurationError(
                f"interval '{interval}': Bybit klines are {', '.join(INTERVALS)} (minutes, or D)", venue=VENUE
            )
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ConfigurationError(
                f"unknown kind(s) {sorted(unknown)} (known: {', '.join(KINDS)})", venue=VENUE
            )
        if rate <= 0:
            raise ConfigurationError(f"rate must be positive, got {rate}", venue=VENUE)
        register_funding_types()
        self.catalog = catalog
        self.registry = registry or default_registry()
        self.interval = interval
        self.kinds = kinds
        self.retries = retries
        self.ban_wait_secs = ban_wait_secs
        self.flush_pages = max(1, flush_pages)
        self.min_gap = 1.0 / rate
        self.progress = progress
        self.http = session or HTTP(testnet=testnet, timeout=15, max_retries=3, retry_delay=1)
        if base_url:
            self.http.endpoint = base_url.rstrip("/")
        self.checkpoint = Checkpoint(catalog.path)
        self.report = Report()
        self._last_request = 0.0
        self._instruments: dict[InstrumentId, Instrument] = {}
        self._funding_minutes: dict[InstrumentId, int] = {}

    # -- requests -----------------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
        delay = 1.0
        for attempt in range(self.retries + 1):
            wait = self.min_gap - (time.monotonic() - self._last_request)
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()
            self.report.requests += 1
            try:
                reply = fn(**params)
                return reply["result"]
            except FailedRequestError as e:
                if e.status_code == 403:  # over the IP limit: the venue bans for a while
                    self.report.waits += 1
                    time.sleep(self.ban_wait_secs)
                    continue
                error: Exception = e
            except InvalidRequestError as e:
                raise DownloadError(
                    f"{what}: the venue refused the request: {e.message} ({e.status_code})", venue=VENUE
                ) from None
            except (requests.ConnectionError, requests.Timeout) as e:
                error = e
            if attempt < self.retries:
                self.report.waits += 1
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            raise TransportError(
                f"{what}: gave up after {self.retries + 1} attempts: {error}", venue=VENUE
            ) from None
        raise TransportError(
            f"{what}: still over the venue's IP rate limit after {self.retries + 1} attempts", venue=VENUE
        )

    # -- instruments ------------------------------------------------------------------------------------
    def instrument(self, target: Target, ts: int) -> Instrument:
        iid = target.instrument_id
        cached = self._instruments.get(iid)
        if cached is not None:
            return cached
        result = self._call(f"instruments-info {target.symbol}", self.http.get_instruments_info,
                            category=target.category, symbol=target.symbol)  # fmt: skip
        items = [i for i in result.get("list", []) if i.get("symbol") == target.symbol]
        if not items:
            raise DownloadError(
                f"{target.category} symbol {target.symbol} is not listed by the venue", venue=VENUE
            )
        info = items[0]
        lot = info["lotSizeFilter"]
        tick = Decimal(info["priceFilter"]["tickSize"])
        step = Decimal(lot["basePrecision"] if target.category == "spot" else lot["qtyStep"])
        min_qty = Decimal(lot.get("minOrderQty") or step)
        min_notional = Decimal(lot.get("minOrderAmt") or lot.get("minNotionalValue") or "0")
        minutes = int(info.get("fundingInterval") or 480)
        self._funding_minutes[iid] = minutes
        market = self.registry.find_market(iid)
        if market is not None:
            if (market.tick, market.lot) != (tick, step):
                self.report.notes.append(
                    f"{iid}: registry tick/lot {market.tick}/{market.lot} differ from the venue's {tick}/{step}; "
                    "the registry's definition is written"
                )
        else:
            market = MarketSpec(
                asset=info["baseCoin"], venue=VENUE, kind="spot" if target.category == "spot" else "perp",
                symbol=target.symbol, instrument_id=iid, base=info["baseCoin"], quote=info["quoteCoin"],
                tick=tick, lot=step, min_size=min_qty, min_notional=min_notional,
                fee_class="spot" if target.category == "spot" else "perp",
                funding_interval_hours=None if target.category == "spot" else max(1, minutes // 60),
                venue_spec=self.registry.venue(VENUE),
            )  # fmt: skip
        inst = market.to_instrument(ts)
        self._instruments[iid] = inst
        return inst

    def _write(self, key: str, objects: list, instrument: Instrument) -> None:
        if objects:
            load_into_catalog(self.catalog, objects, instrument=instrument, mode="replace")
            self.report.add(key, len(objects))

    # -- klines -------------------------------------------------------------------------------------------
    def bar_windows(self, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        step = INTERVALS[self.interval][0]
        first = -(-start_ms // step) * step  # the first candle starting at or after start
        last_start = min(end_ms, int(time.time() * 1000)) - step  # candles that have closed by end
        out = []
        s = first
        while s <= last_start:
            e = min(s + (KLINE_PAGE - 1) * step, last_start)
            out.append((s, e))
            s = e + step
        return out

    def download_bars(self, target: Target, start_ms: int, end_ms: int) -> None:
        step, spec = INTERVALS[self.interval]
        inst = self.instrument(target, start_ms * MS)
        bar_type = BarType.from_str(f"{target.instrument_id}-{spec}-LAST-EXTERNAL")
        key = f"bars {bar_type}"
        pending: list[Bar] = []
        span: list[int] = []
        for s, e in self.bar_windows(start_ms, end_ms):
            if self.checkpoint.covered(key, s, e):
                self.report.skipped_windows += 1
                self._tick()
                continue
            result = self._call(f"kline {target.symbol} {s}..{e}", self.http.get_kline, category=target.category,
                                symbol=target.symbol, interval=self.interval, start=s, end=e, limit=KLINE_PAGE)  # fmt: skip
            rows = sorted(result.get("list", []), key=lambda r: int(r[0]))
            pending += [
                parse_kline_row(r, bar_type, inst.price_precision, inst.size_precision, step, 0)
                for r in rows
                if s <= int(r[0]) <= e
            ]
            span = [span[0] if span else s, e]
            self._tick()
            if len(pending) >= self.flush_pages * KLINE_PAGE:
                self._flush_bars(key, pending, inst, span)
                pending, span = [], []
        if span:
            self._flush_bars(key, pending, inst, span)

    def _flush_bars(self, key: str, bars: list[Bar], inst: Instrument, span: list[int]) -> None:
        self._write(f"{inst.id} bars", bars, inst)
        self.checkpoint.mark(key, span[0], span[1])

    # -- funding ------------------------------------------------------------------------------------------
    def download_funding(self, target: Target, start_ms: int, end_ms: int) -> None:
        if target.category != "linear":
            return
        inst = self.instrument(target, start_ms * MS)
        key = f"funding {target.instrument_id}"
        step = self._funding_minutes.get(target.instrument_id, 480) * MINUTE_MS
        end_ms = min(end_ms, int(time.time() * 1000))
        windows = []
        s = start_ms
        while s <= end_ms:
            e = min(s + FUNDING_PAGE * step - 1, end_ms)
            windows.append((s, e))
            s = e + 1
        for s, e in windows:
            if self.checkpoint.covered(key, s, e):
                self.report.skipped_windows += 1
            else:
                rows = self._funding_window(target, s, e)
                updates = sorted(
                    (parse_funding_row(r, target.instrument_id) for r in rows), key=lambda u: u.ts_init
                )
                self._write(f"{target.instrument_id} funding", updates, inst)
                self.checkpoint.mark(key, s, e)
            self._tick()

    def _funding_window(self, target: Target, s: int, e: int) -> list[dict[str, Any]]:
        result = self._call(f"funding/history {target.symbol} {s}..{e}", self.http.get_funding_rate_history,
                            category="linear", symbol=target.symbol, startTime=s, endTime=e, limit=FUNDING_PAGE)  # fmt: skip
        rows = result.get("list", [])
        if len(rows) < FUNDING_PAGE or e - s < 2:
            return rows
        mid = (s + e) // 2  # a full page may be truncated: split the window and fetch both halves
        return self._funding_window(target, s, mid) + self._funding_window(target, mid + 1, e)

    # -- trades -------------------------------------------------------------------------------------------
    def download_trades(self, target: Target) -> None:
        now = time.time_ns()
        inst = self.instrument(target, now)
        result = self._call(f"recent-trade {target.symbol}", self.http.get_public_trade_history,
                            category=target.category, symbol=target.symbol, limit=TRADES_LIMIT[target.category])  # fmt: skip
        ticks = sorted(
            (
                parse_trade_row(r, target.instrument_id, inst.price_precision, inst.size_precision, 0)
                for r in result.get("list", [])
            ),
            key=lambda t: (t.ts_init, str(t.trade_id)),
        )
        self._write(f"{target.instrument_id} trades", ticks, inst)
        self._tick()

    # -- all ------------------------------------------------------------------------------------------------
    def pages(self, targets: list[Target], start_ms: int, end_ms: int) -> int:
        """How many progress steps `run` will take (windows and single requests)."""
        n = 0
        for t in targets:
            if "bars" in self.kinds:
                n += len(self.bar_windows(start_ms, end_ms))
            if "funding" in self.kinds and t.category == "linear":
                n += max(1, -(-(end_ms - start_ms) // (FUNDING_PAGE * 8 * 3_600_000)))
            if "trades" in self.kinds:
                n += 1
        return n

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(1)

    def run(self, symbols: list[str], start_ns: int, end_ns: int) -> Report:
        if end_ns <= start_ns:
            raise ConfigurationError("end must be after start", venue=VENUE)
        targets = [parse_target(s) for s in symbols]
        if not targets:
            raise ConfigurationError("no symbols to download", venue=VENUE)
        start_ms, end_ms = start_ns // MS, end_ns // MS
        for t in targets:
            inst = self.instrument(t, start_ns)
            if "instruments" in self.kinds and not self.catalog.instruments(instrument_ids=[inst.id.value]):
                self.catalog.write_data([inst])
                self.report.add(f"{inst.id} instrument", 1)
            if "bars" in self.kinds:
                self.download_bars(t, start_ms, end_ms)
            if "funding" in self.kinds:
                self.download_funding(t, start_ms, end_ms)
            if "trades" in self.kinds:
                self.download_trades(t)
        return self.report
