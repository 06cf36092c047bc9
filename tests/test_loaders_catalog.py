"""Loaded data through a real ParquetDataCatalog: what is queried back equals what was loaded, the
instrument definition is added once, re-loading never duplicates rows, and `arb catalog load` reports
counts and ranges (exit 2 with the loader's message on bad input)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick

from arb.cli import main
from catalog.loaders import InstrumentSpec
from catalog.loaders import LoadResult
from catalog.loaders import load_bars
from catalog.loaders import load_funding
from catalog.loaders import load_into_catalog
from catalog.loaders import load_quotes
from catalog.loaders import load_trades
from catalog.store import open_catalog

HOUR = 3_600_000_000_000
NVDA = "xyz:NVDA-USD-PERP.HYPERLIQUID"
HL_BTC = "BTC-USD-PERP.HYPERLIQUID"
BY_BTC = "BTCUSDT-LINEAR.BYBIT"


def rows(objects) -> list[dict]:
    # Cython market-data `==` is unreliable across the FFI in 1.221: compare the values
    return [type(o).to_dict(o) for o in objects]


def funding_rows(updates) -> list[tuple]:
    return [(str(u.instrument_id), u.rate, u.ts_event, u.ts_init, u.next_funding_ns) for u in updates]


@pytest.fixture(scope="module")
def nvda_funding(shared_data: Path) -> LoadResult:
    return load_funding(
        shared_data / "zushen_funding/venue=hyperliquid-xyz/funding_until_2026-04-30.parquet", NVDA, "zushen"
    )


@pytest.fixture(scope="module")
def hl_quotes(shared_data: Path) -> LoadResult:
    return load_quotes(
        shared_data / "djienne_hyperliquid_capture/prices_BTC.csv", HL_BTC, "djienne-hyperliquid"
    )


def test_funding_round_trip_and_instrument_added_once(tmp_path: Path, nvda_funding: LoadResult) -> None:
    catalog = open_catalog(tmp_path / "c", must_exist=False)
    first = load_into_catalog(catalog, nvda_funding)
    assert (first.written, first.replaced, first.instrument_added) == (4_059, 0, True)
    back = catalog.query(FundingRateUpdate, identifiers=[NVDA])  # an id with ':' (HIP-3)
    assert funding_rows(back) == funding_rows(nvda_funding.objects)

    again = load_into_catalog(catalog, nvda_funding)
    assert (again.written, again.replaced, again.instrument_added) == (4_059, 4_059, False)
    assert len(catalog.query(FundingRateUpdate, identifiers=[NVDA])) == 4_059
    (instrument,) = catalog.instruments()
    assert str(instrument.id) == NVDA and instrument.price_precision == 2


def test_switching_announce_mode_keeps_one_record_per_settlement(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "zushen_funding/venue=bybit/funding_until_2026-04-30.parquet"
    catalog = open_catalog(tmp_path / "c", must_exist=False)
    for announce in ("settlement", "previous", "settlement", "previous"):
        result = load_funding(path, BY_BTC, "zushen", announce=announce)
        load_into_catalog(catalog, result)
        back = catalog.query(FundingRateUpdate, identifiers=[BY_BTC])
        assert funding_rows(back) == funding_rows(result.objects)
    assert all(u.next_funding_ns - u.ts_init == 8 * HOUR for u in back)


def test_quotes_round_trip_and_reload_without_duplicates(tmp_path: Path, hl_quotes: LoadResult) -> None:
    catalog = open_catalog(tmp_path / "c", must_exist=False)
    load_into_catalog(catalog, hl_quotes)
    assert rows(catalog.query(QuoteTick, identifiers=[HL_BTC])) == rows(hl_quotes.objects)

    report = load_into_catalog(catalog, hl_quotes)
    assert (report.written, report.replaced) == (1_793, 1_793)
    assert rows(catalog.query(QuoteTick, identifiers=[HL_BTC])) == rows(hl_quotes.objects)
    assert len(catalog.instruments()) == 1


def cut(objects: list, i: int) -> int:
    """The first index at or after `i` that starts a new ts_init (a receive batch shares one ts_init,
    and catalog ranges are by time, so a slice must not split a batch)."""
    return next(j for j in range(i, len(objects)) if objects[j].ts_init != objects[j - 1].ts_init)


def test_a_partial_reload_replaces_only_its_range(tmp_path: Path, hl_quotes: LoadResult) -> None:
    catalog = open_catalog(tmp_path / "c", must_exist=False)
    load_into_catalog(catalog, hl_quotes)
    quotes = hl_quotes.objects
    middle = quotes[cut(quotes, 200) : cut(quotes, 1_000)]
    report = load_into_catalog(catalog, middle)
    assert report.replaced == len(middle)
    back = catalog.query(QuoteTick, identifiers=[HL_BTC])
    assert rows(back) == rows(quotes)  # the file was split around the range, nothing lost or doubled
    assert len(catalog.get_intervals(QuoteTick, HL_BTC)) == 3


def test_skip_mode_keeps_existing_rows_and_fills_only_gaps(tmp_path: Path, hl_quotes: LoadResult) -> None:
    catalog = open_catalog(tmp_path / "c", must_exist=False)
    quotes = hl_quotes.objects
    existing = quotes[cut(quotes, 500) : cut(quotes, 1_000)]
    load_into_catalog(catalog, existing)
    report = load_into_catalog(catalog, hl_quotes, mode="skip")
    assert (report.written, report.already_covered) == (1_793 - len(existing), len(existing))
    assert rows(catalog.query(QuoteTick, identifiers=[HL_BTC])) == rows(quotes)
    assert load_into_catalog(catalog, hl_quotes, mode="skip").written == 0


def test_trades_and_bars_round_trip(tmp_path: Path, shared_data: Path) -> None:
    catalog = open_catalog(tmp_path / "c", must_exist=False)
    spec = InstrumentSpec(1, 8)
    trades = load_trades(
        shared_data / "nautilus_trader/kraken/http_trades.json", "BTC/USDT.KRAKEN", "kraken", spec=spec
    )
    bars = load_bars(
        shared_data / "nautilus_trader/kraken/http_ohlc.json", "BTC/USDT.KRAKEN", "kraken", spec=spec
    )
    assert load_into_catalog(catalog, trades).instrument_added
    assert not load_into_catalog(catalog, bars).instrument_added
    load_into_catalog(catalog, bars)  # re-load: replaced, not doubled
    assert rows(catalog.query(TradeTick, identifiers=["BTC/USDT.KRAKEN"])) == rows(trades.objects)
    bar_type = str(bars.objects[0].bar_type)
    assert rows(catalog.query(Bar, identifiers=[bar_type])) == rows(bars.objects)
    (instrument,) = catalog.instruments()
    assert (str(instrument.id), instrument.quote_currency.code, instrument.size_precision) == (
        "BTC/USDT.KRAKEN", "USDT", 8,
    )  # fmt: skip


# -- CLI -------------------------------------------------------------------------------------------


def test_cli_load_prints_counts_and_range(tmp_path: Path, shared_data: Path, capsys) -> None:
    root = tmp_path / "c"
    argv = [
        "catalog", "load", "funding", str(shared_data / "yuchengzhang_funding/hl_BTC_funding_rates_until_2025-06-30.json"),
        "--instrument", HL_BTC, "--format", "yuchengzhang", "--catalog", str(root),
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "9,168 funding updates for BTC-USD-PERP.HYPERLIQUID from 9,168 rows" in out
    assert "2024-01-01T00:00:00.151000Z -> 2025-06-30T23:00:00.013000Z" in out
    assert "added the instrument definition" in out
    assert main(argv) == 0
    assert "replaced 9,168 existing rows" in capsys.readouterr().out
    assert len(open_catalog(root).query(FundingRateUpdate, identifiers=[HL_BTC])) == 9_168


def test_cli_unregistered_instrument_with_precisions(tmp_path: Path, shared_data: Path, capsys) -> None:
    path = shared_data / "djienne_hyperliquid_capture/prices_WLFI.csv"
    base = ["catalog", "load", "quotes", str(path), "--instrument", "WLFI-USD-PERP.HYPERLIQUID",
            "--format", "djienne-hyperliquid", "--catalog", str(tmp_path / "c")]  # fmt: skip
    assert main(base) == 2
    assert "is not in the registry" in capsys.readouterr().err
    assert main([*base, "--price-precision", "5", "--size-precision", "0"]) == 0
    assert "796 quotes for WLFI-USD-PERP.HYPERLIQUID from 1,592 rows" in capsys.readouterr().out


def test_cli_bad_input_exits_2_with_the_loader_message(tmp_path: Path, shared_data: Path, capsys) -> None:
    src = (shared_data / "furry_funding/binance_fr_BTC_1h.csv").read_text().splitlines(keepends=True)
    src[2] = src[2].replace("BTCUSDT,1737849600000", "BTCUSDT,tomorrow")
    bad = tmp_path / "fr.csv"
    bad.write_text("".join(src))
    argv = ["catalog", "load", "funding", str(bad), "--instrument", "BTCUSDT-PERP.BINANCE",
            "--format", "binance", "--catalog", str(tmp_path / "c")]  # fmt: skip
    assert main(argv) == 2
    assert f"error: {bad}:3: field 'fundingTime': 'tomorrow' is not a number" in capsys.readouterr().err

    assert main([*argv, "--skip-bad-rows"]) == 0
    out = capsys.readouterr().out
    assert "89 funding updates" in out and "1 rows skipped" in out and f"{bad}:3: field 'fundingTime'" in out

    assert main([*argv[:-4], "--format", "nope", "--catalog", str(tmp_path / "c")]) == 2
    assert "unknown funding format 'nope'" in capsys.readouterr().err
    assert main([*argv, "--bar-spec", "1-HOUR-LAST"]) == 2
    assert "--bar-spec applies to bars only" in capsys.readouterr().err
    assert main(["catalog", "load", "funding", str(tmp_path / "missing.csv"), *argv[4:]]) == 2
    assert "file not found" in capsys.readouterr().err
