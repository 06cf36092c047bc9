"""History download with pybit into a catalog, against the venuesim Bybit front: paging, rate-limit
pacing, resume after an interruption without duplicate rows, progress, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import TradeTick

from adapters.bybit.history import BybitDownloader
from adapters.bybit.history import parse_target
from adapters.common.errors import ConfigurationError
from adapters.common.errors import TransportError
from catalog.store import open_catalog
from venuesim.fronts.bybit import create
from venuesim.server import SimThread

pytestmark = pytest.mark.timeout(120)
MS = 1_000_000
HOUR_MS = 3_600_000
PERP_BARS = BarType.from_str("BTCUSDT-LINEAR.BYBIT-1-MINUTE-LAST-EXTERNAL")
SPOT_BARS = BarType.from_str("BTCUSDT-SPOT.BYBIT-1-MINUTE-LAST-EXTERNAL")


@pytest.fixture(scope="module")
def sim():
    s = create(tick_secs=None, history_days=4)
    with SimThread(s):
        yield s


def window(sim, hours: int) -> tuple[int, int]:
    """[start, end) in ns: `hours` of history ending one hour before the simulator started."""
    end_ms = sim.front.history.start_ms - HOUR_MS
    return (end_ms - hours * HOUR_MS) * MS, end_ms * MS


def klines(sim, symbol: str, category: str, start_ms: int, end_ms: int) -> list[list[str]]:
    rows: list[list[str]] = []
    end = end_ms
    while True:
        page = requests.get(
            f"{sim.http_url}/v5/market/kline",
            params={
                "category": category,
                "symbol": symbol,
                "interval": "1",
                "start": start_ms,
                "end": end,
                "limit": 1000,
            },
            timeout=5,
        ).json()["result"]["list"]
        rows += page
        if len(page) < 1000:
            return sorted(rows, key=lambda r: int(r[0]))
        end = int(page[-1][0]) - 1


def downloader(sim, path: Path, **kwargs) -> BybitDownloader:
    kwargs.setdefault("rate", 100)
    return BybitDownloader(open_catalog(path, must_exist=False), base_url=sim.http_url, **kwargs)


def test_download_writes_bars_funding_trades_and_instruments_matching_the_venue(sim, tmp_path):
    sim.tick(n=30)  # some live trades to download
    start, end = window(sim, 40)  # 2,400 one-minute candles per market: 3 kline pages each
    report = downloader(sim, tmp_path).run(["BTCUSDT-LINEAR", "BTCUSDT-SPOT"], start, end)
    catalog = open_catalog(tmp_path)
    assert {i.id.value for i in catalog.instruments()} == {"BTCUSDT-LINEAR.BYBIT", "BTCUSDT-SPOT.BYBIT"}
    for bar_type, category in ((PERP_BARS, "linear"), (SPOT_BARS, "spot")):
        bars = catalog.bars(bar_types=[str(bar_type)])
        assert len(bars) == 2400
        ts = [b.ts_event for b in bars]
        assert ts == sorted(set(ts)) and ts[0] == start + 60_000 * MS  # stamped at the close
        venue = klines(sim, "BTCUSDT", category, start // MS, end // MS - 60_000)
        assert [(str(b.open), str(b.close), str(b.volume)) for b in bars] == [
            (r[1], r[4], r[5]) for r in venue
        ]
    funding = catalog.query(FundingRateUpdate, identifiers=["BTCUSDT-LINEAR.BYBIT"])
    settled = [
        (t, r)
        for t, r in sim.front.history.funding(sim.front.u.get("linear", "BTCUSDT"))
        if start // MS <= t <= end // MS
    ]
    assert [(u.ts_event // MS, u.rate) for u in funding] == [(t, Decimal(str(r))) for t, r in settled]
    assert len(funding) == 5  # 40 hours of 8-hourly settlements
    trades = catalog.trade_ticks(instrument_ids=["BTCUSDT-LINEAR.BYBIT"])
    assert trades and all(isinstance(t, TradeTick) for t in trades)
    assert len({t.trade_id for t in trades}) == len(trades)
    assert report.written["BTCUSDT-LINEAR.BYBIT bars"] == 2400
    assert report.requests == 2 + 3 + 3 + 1 + 2  # instruments, klines x2, funding, trades x2


def test_rerun_skips_finished_windows_and_duplicates_nothing(sim, tmp_path):
    start, end = window(sim, 20)
    first = downloader(sim, tmp_path).run(["BTCUSDT-LINEAR"], start, end)
    again = downloader(sim, tmp_path).run(["BTCUSDT-LINEAR"], start, end)
    assert first.written["BTCUSDT-LINEAR.BYBIT bars"] == 1200
    assert (
        "BTCUSDT-LINEAR.BYBIT bars" not in again.written
        and "BTCUSDT-LINEAR.BYBIT funding" not in again.written
    )
    assert again.skipped_windows == 2 + 1
    catalog = open_catalog(tmp_path)
    assert len(catalog.bars(bar_types=[str(PERP_BARS)])) == 1200
    assert len(catalog.query(FundingRateUpdate, identifiers=["BTCUSDT-LINEAR.BYBIT"])) == len(
        [
            t
            for t, _ in sim.front.history.funding(sim.front.u.get("linear", "BTCUSDT"))
            if start // MS <= t <= end // MS
        ]
    )
    # an overlapping, longer window fetches only what is new, and still no row twice
    longer = downloader(sim, tmp_path).run(["BTCUSDT-LINEAR"], start - 10 * HOUR_MS * MS, end)
    bars = open_catalog(tmp_path).bars(bar_types=[str(PERP_BARS)])
    assert len(bars) == 1800 and len({b.ts_event for b in bars}) == 1800
    assert longer.written["BTCUSDT-LINEAR.BYBIT bars"] >= 600


def test_interrupted_download_resumes_where_it_stopped(sim, tmp_path):
    start, end = window(sim, 50)  # 3,000 candles: 3 pages; written every page
    pages = []

    def fail_after_two(n: int) -> None:
        pages.append(n)
        if len(pages) == 2:
            sim.set_faults(http_error_rate=1.0)  # the venue goes away mid-download

    try:
        with pytest.raises(TransportError, match="gave up after 2 attempts"):
            downloader(sim, tmp_path, retries=1, flush_pages=1, kinds=("bars",), progress=fail_after_two).run(
                ["BTCUSDT-LINEAR"], start, end
            )
    finally:
        sim.reset_faults()
    partial = open_catalog(tmp_path).bars(bar_types=[str(PERP_BARS)])
    assert len(partial) == 2000  # the two finished pages were written before the failure
    resumed = downloader(sim, tmp_path, flush_pages=1, kinds=("bars",)).run(["BTCUSDT-LINEAR"], start, end)
    assert resumed.skipped_windows == 2 and resumed.written["BTCUSDT-LINEAR.BYBIT bars"] == 1000
    bars = open_catalog(tmp_path).bars(bar_types=[str(PERP_BARS)])
    assert len(bars) == 3000 and len({b.ts_event for b in bars}) == 3000


def test_requests_are_paced_under_the_ip_limit_and_a_ban_is_waited_out(tmp_path):
    sim = create(tick_secs=None, history_days=3, public_limit=5, public_window_ms=1000, ban_ms=300)
    with SimThread(sim):
        end_ms = sim.front.history.start_ms - HOUR_MS
        start, end = (end_ms - 60 * HOUR_MS) * MS, end_ms * MS  # 4 kline pages + funding + trades
        paced = BybitDownloader(open_catalog(tmp_path / "a", must_exist=False), base_url=sim.http_url, rate=4)
        t0 = time.monotonic()
        report = paced.run(["BTCUSDT-LINEAR"], start, end)
        assert sim.state()["rejected_by_rate_limit"] == 0 and report.waits == 0
        assert time.monotonic() - t0 >= (report.requests - 1) / 4 - 0.05  # never faster than the rate
        greedy = BybitDownloader(
            open_catalog(tmp_path / "b", must_exist=False), base_url=sim.http_url, rate=200, ban_wait_secs=0.4
        )
        report = greedy.run(["BTCUSDT-LINEAR"], start, end)
        assert sim.state()["rejected_by_rate_limit"] > 0 and report.waits > 0  # banned, waited, carried on
        assert len(open_catalog(tmp_path / "b").bars(bar_types=[str(PERP_BARS)])) == 3600


def test_progress_counts_every_page(sim, tmp_path):
    start, end = window(sim, 30)
    steps: list[int] = []
    d = downloader(sim, tmp_path, progress=steps.append)
    expected = d.pages([parse_target("BTCUSDT-LINEAR"), parse_target("BTCUSDT-SPOT")], start // MS, end // MS)
    d.run(["BTCUSDT-LINEAR", "BTCUSDT-SPOT"], start, end)
    assert sum(steps) == expected == 2 + 2 + 1 + 1 + 1  # klines x2, funding, trades x2


def test_bad_requests_are_named():
    with pytest.raises(ConfigurationError, match="symbol 'BTC-PERP': expected SYMBOL-LINEAR or SYMBOL-SPOT"):
        parse_target("BTC-PERP")
    with pytest.raises(ConfigurationError, match="interval '2'"):
        BybitDownloader(open_catalog("/tmp/unused-bybit-catalog", must_exist=False), interval="2")


def test_unlisted_symbol_is_named(sim, tmp_path):
    start, end = window(sim, 2)
    from adapters.bybit.history import DownloadError

    with pytest.raises(DownloadError, match="linear symbol DOGEUSDT is not listed"):
        downloader(sim, tmp_path).run(["DOGEUSDT-LINEAR"], start, end)


def test_cli_downloads_and_reports(sim, tmp_path):
    end_ms = sim.front.history.start_ms - HOUR_MS
    start = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((end_ms - 5 * HOUR_MS) / 1000))
    end = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(end_ms / 1000))
    cmd = [sys.executable, "-m", "arb", "catalog", "download", "bybit", "--symbols", "BTCUSDT-LINEAR",
           "--start", start, "--end", end, "--catalog", str(tmp_path), "--base-url", sim.http_url,
           "--types", "instruments,bars,funding", "--rate", "50"]  # fmt: skip
    env = {**os.environ, "ARB_PROGRESS": "1"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert "wrote 300 BTCUSDT-LINEAR.BYBIT bars" in out.stdout
    assert "wrote 1 BTCUSDT-LINEAR.BYBIT instrument" in out.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert "skipped 2 window(s) already downloaded" in again.stdout and "bars" not in again.stdout
    bad = subprocess.run(
        [*cmd[:7], "BTCUSDT-PERP", *cmd[8:]], capture_output=True, text=True, timeout=60, check=False
    )
    assert bad.returncode != 0 and "expected SYMBOL-LINEAR or SYMBOL-SPOT" in bad.stderr
    assert isinstance(open_catalog(tmp_path).bars(bar_types=[str(PERP_BARS)])[0], Bar)
