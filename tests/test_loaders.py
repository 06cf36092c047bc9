"""Loaders on the real data files in shared/data: counts, first/last values and time ranges match what
the data README states (or what the file itself shows, checked by hand), timezone caveats are handled,
and malformed rows fail with the file, line and field named.

The files are read in place (licence: never copied into the repository); a malformed-row test works on
a temporary copy with one field corrupted.
"""

from __future__ import annotations

import gzip
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from nautilus_trader.model.enums import AggressorSide

from catalog.loaders import InstrumentSpec
from catalog.loaders import LoaderError
from catalog.loaders import iso
from catalog.loaders import load_bars
from catalog.loaders import load_funding
from catalog.loaders import load_quotes
from catalog.loaders import load_trades

HOUR = 3_600_000_000_000
HL_BTC = "BTC-USD-PERP.HYPERLIQUID"
BN_BTC = "BTCUSDT-PERP.BINANCE"


def ts(text: str) -> int:
    return pd.Timestamp(text, tz="UTC").value


def hours_of_day(objs) -> set[int]:
    return {pd.Timestamp(o.ts_event, tz="UTC").hour for o in objs}


# -- funding ---------------------------------------------------------------------------------------


def test_zushen_hyperliquid_btc_settlements_are_published_at_settlement(shared_data: Path) -> None:
    path = shared_data / "zushen_funding/venue=hyperliquid/funding_until_2026-04-30.parquet"
    r = load_funding(path, HL_BTC, "zushen")  # one file, 18 coins: filtered by the registry symbol "BTC"

    assert r.count == r.rows == 6_067
    first, last = r.objects[0], r.objects[-1]
    assert (iso(first.ts_event), first.rate) == ("2025-08-21T05:00:00.055000Z", Decimal("0.0000125"))
    assert (iso(last.ts_event), last.rate) == ("2026-04-30T23:00:00.005000Z", Decimal("-0.0000154515"))
    # no look-ahead: each rate becomes known at its own settlement
    assert all(u.ts_event == u.ts_init == u.next_funding_ns for u in r.objects)
    assert all(b.ts_init > a.ts_init for a, b in zip(r.objects, r.objects[1:], strict=False))


def test_zushen_binance_rates_keep_the_published_decimals(shared_data: Path) -> None:
    r = load_funding(
        shared_data / "zushen_funding/venue=binance/funding_until_2026-04-30.parquet", BN_BTC, "zushen"
    )
    assert r.count == 758
    # stored as a double in the file; the loader recovers the published decimal, not 7.75699999e-05
    assert r.objects[0].rate == Decimal("0.00007757") and str(r.objects[0].rate) == "0.00007757"
    assert iso(r.objects[0].ts_event) == "2025-08-21T08:00:00Z"
    assert hours_of_day(r.objects) == {0, 8, 16}


def test_zushen_announce_previous_uses_the_files_interval_column(shared_data: Path) -> None:
    path = shared_data / "zushen_funding/venue=hyperliquid-xyz/funding_until_2026-04-30.parquet"
    r = load_funding(path, "xyz:NVDA-USD-PERP.HYPERLIQUID", "zushen", announce="previous")
    assert r.count == 4_059
    assert all(u.next_funding_ns - u.ts_init == HOUR for u in r.objects)  # interval_hours = 1
    assert iso(r.objects[0].next_funding_ns) == "2025-11-12T21:00:00.057000Z"


def test_zushen_other_symbols_need_a_spec_and_unknown_symbols_are_named(shared_data: Path) -> None:
    path = shared_data / "zushen_funding/venue=binance/funding_until_2026-04-30.parquet"
    with pytest.raises(LoaderError, match="not in the registry"):
        load_funding(path, "DOGEUSDT-PERP.BINANCE", "zushen")
    with pytest.raises(LoaderError, match="holds many symbols: pass symbol="):
        load_funding(path, "DOGEUSDT-PERP.BINANCE", "zushen", spec=InstrumentSpec(5, 0))
    doge = load_funding(path, "DOGEUSDT-PERP.BINANCE", "zushen", spec=InstrumentSpec(5, 0), symbol="DOGEUSDT")
    assert doge.count > 0 and doge.instrument.quote_currency.code == "USDT"
    with pytest.raises(LoaderError, match=r"no rows with venue_symbol = 'NOPE'.*BTCUSDT"):
        load_funding(path, BN_BTC, "zushen", symbol="NOPE")


def test_yuchengzhang_hl_btc_keeps_its_gaps(shared_data: Path) -> None:
    r = load_funding(
        shared_data / "yuchengzhang_funding/hl_BTC_funding_rates_until_2025-06-30.json",
        HL_BTC,
        "yuchengzhang",
    )

    assert r.count == 9_168  # README: 9,168 records, hourly
    assert (iso(r.start), r.objects[0].rate) == ("2024-01-01T00:00:00.151000Z", Decimal("0.0000617991"))
    assert (iso(r.end), r.objects[-1].rate) == ("2025-06-30T23:00:00.013000Z", Decimal("0.0000125"))
    gaps = [(b.ts_event - a.ts_event) / HOUR for a, b in zip(r.objects, r.objects[1:], strict=False)]
    holes = [round(g) for g in gaps if g > 1.5]
    # the ~221 h pagination holes stay holes: nothing is forward-filled
    assert sum(1 for h in holes if 219 <= h <= 222) == 18
    assert len(holes) == 19  # plus one 2 h hole


def test_yuchengzhang_binance_is_eight_hourly_without_gaps(shared_data: Path) -> None:
    path = shared_data / "yuchengzhang_funding/binance_BTC_funding_rates_until_2025-06-30.json"
    r = load_funding(path, BN_BTC, "yuchengzhang", snap_to_hour=True)
    assert r.count == 3_831
    assert {b.ts_event - a.ts_event for a, b in zip(r.objects, r.objects[1:], strict=False)} == {8 * HOUR}
    assert (iso(r.start), iso(r.end)) == ("2022-01-01T00:00:00Z", "2025-06-30T16:00:00Z")


def test_announce_previous_takes_the_interval_from_the_registry(shared_data: Path) -> None:
    path = shared_data / "furry_funding/binance_fr_BTC_1h.csv"
    settled = load_funding(path, BN_BTC, "binance")
    early = load_funding(path, BN_BTC, "binance", announce="previous")  # BINANCE perps: 8 h
    assert [u.next_funding_ns for u in early.objects] == [u.ts_event for u in settled.objects]
    assert all(u.next_funding_ns - u.ts_event == 8 * HOUR for u in early.objects)
    assert [u.rate for u in early.objects] == [u.rate for u in settled.objects]
    adhoc = InstrumentSpec(2, 3)
    with pytest.raises(LoaderError, match="pass interval_hours"):
        load_funding(path, "BTCUSDT-PERP.SOMEWHERE", "binance", announce="previous", spec=adhoc)
    four = load_funding(
        path, "BTCUSDT-PERP.SOMEWHERE", "binance", announce="previous", interval_hours=4, spec=adhoc
    )
    assert all(u.next_funding_ns - u.ts_event == 4 * HOUR for u in four.objects)


def test_supervik_local_times_are_shifted_to_the_venues_utc_settlements(shared_data: Path) -> None:
    folder = shared_data / "supervik_funding/BTC-USDT"
    binance = load_funding(next(folder.glob("*binance*")), BN_BTC, "supervik")  # file shows 03/11/19
    assert binance.count == 4_383
    assert hours_of_day(binance.objects) == {0, 8, 16}
    assert (iso(binance.start), binance.objects[0].rate) == ("2020-01-01T00:00:00Z", Decimal("-0.00012359"))
    assert iso(binance.end) == "2023-12-31T16:00:00Z"

    kucoin = load_funding(
        next(folder.glob("*kucoin*")), "XBTUSDTM-PERP.KUCOIN", "supervik", spec=InstrumentSpec(1, 0)
    )
    assert hours_of_day(kucoin.objects) == {4, 12, 20}  # file shows 07/15/23
    gate = load_funding(
        next(folder.glob("*gate*")),
        "BTC_USDT-PERP.GATE",
        "supervik",
        tz_offset_hours=0,
        spec=InstrumentSpec(1, 0),
    )
    assert gate.count == 4_290 and hours_of_day(gate.objects) == {0, 8, 16}


def test_hyperliquid_funding_history_json_csv_and_cassette(shared_data: Path) -> None:
    api = load_funding(
        shared_data / "nautilus_trader/hyperliquid/http_funding_history.json", HL_BTC, "hyperliquid"
    )
    assert [u.rate for u in api.objects] == [
        Decimal("0.0000125"),
        Decimal("-0.0000081"),
        Decimal("0.0000033"),
    ]

    cassette = shared_data / "hyperliquid_python_sdk/cassettes/test_get_funding_history[None].yaml"
    sdk = load_funding(cassette, HL_BTC, "hyperliquid")  # the `meta` interaction is not read
    assert sdk.count == 1_038
    assert (iso(sdk.start), sdk.objects[0].rate) == ("2023-05-12T00:00:00.048000Z", Decimal("-0.00061334"))
    assert round((sdk.objects[1].ts_event - sdk.objects[0].ts_event) / HOUR) == 8  # 8-hourly in May 2023

    sol = load_funding(
        shared_data / "mael_bomane_funding/hyperliquid_SOL_funding_until_2025-12-31.csv",
        "SOL-USD-PERP.HYPERLIQUID",
        "hyperliquid",
    )
    assert sol.count == 22_590
    assert (iso(sol.start)[:10], iso(sol.end)) == ("2023-05-12", "2025-12-31T23:00:00.093000Z")


def test_aster_history_has_its_one_missing_settlement(shared_data: Path) -> None:
    r = load_funding(
        shared_data / "denismoroz_funding/aster_funding_history_BTC_2024-06_2025-01.csv",
        "BTCUSDT-PERP.ASTER",
        "aster",
        snap_to_hour=True,
    )
    assert r.count == 729
    assert (iso(r.start), iso(r.end)) == ("2024-06-01T00:00:00Z", "2025-01-30T00:00:00Z")
    times = {u.ts_event for u in r.objects}
    assert ts("2024-10-14 00:00") not in times and ts("2024-10-13 16:00") in times


def test_pacifica_settlements_snap_to_the_hour(shared_data: Path) -> None:
    path = shared_data / "mael_bomane_funding/pacifica_SOL_funding_until_2025-12-31.csv"
    spec = InstrumentSpec(3, 2, quote="USDC")
    raw = load_funding(path, "SOL-USD-PERP.PACIFICA", "pacifica", spec=spec)
    assert raw.count == 5_089 and iso(raw.start) == "2025-06-02T16:59:56.695000Z"
    snapped = load_funding(path, "SOL-USD-PERP.PACIFICA", "pacifica", spec=spec, snap_to_hour=True)
    assert iso(snapped.start) == "2025-06-02T17:00:00Z"
    assert all(u.ts_event % HOUR == 0 for u in snapped.objects)


def test_lighter_direction_gives_the_sign(shared_data: Path) -> None:
    r = load_funding(
        shared_data / "nautilus_trader/lighter/http_fundings.json", "BTC-USD-PERP.LIGHTER", "lighter"
    )
    # direction = the side that pays: long -> positive, short -> negative
    assert [u.rate for u in r.objects] == [Decimal("0.0012"), Decimal("-0.0002")]
    assert [iso(u.ts_event) for u in r.objects] == ["2026-05-13T20:00:00Z", "2026-05-13T21:00:00Z"]


def test_bybit_funding_history_is_sorted_ascending(shared_data: Path) -> None:
    r = load_funding(
        shared_data / "nautilus_trader/bybit/http_get_funding_history.json", "BTCUSDT-LINEAR.BYBIT", "bybit"
    )
    assert [(iso(u.ts_event), u.rate) for u in r.objects] == [
        ("2024-03-08T00:00:00Z", Decimal("0.00015")),
        ("2024-03-08T08:00:00Z", Decimal("0.0001")),
    ]


def test_an_explicit_column_mapping_loads_like_the_preset(shared_data: Path) -> None:
    path = shared_data / "furry_funding/binance_fr_BTC_1h.csv"
    preset = load_funding(path, BN_BTC, "binance")
    mapped = load_funding(
        path, BN_BTC, columns={"time": "fundingTime", "rate": "fundingRate"}, time_unit="ms"
    )
    assert preset.count == mapped.count == 90
    assert [(u.ts_event, u.rate) for u in mapped.objects] == [(u.ts_event, u.rate) for u in preset.objects]
    with pytest.raises(LoaderError, match="not a plausible time in unit 's'"):
        load_funding(path, BN_BTC, "binance", time_unit="s")  # ms read as seconds lands in year 57000
    with pytest.raises(LoaderError, match="no column mapped for rate"):
        load_funding(path, BN_BTC, columns={"time": "fundingTime"})


# -- quotes ----------------------------------------------------------------------------------------


def test_djienne_hyperliquid_bid_and_ask_rows_pair_into_quotes(shared_data: Path) -> None:
    r = load_quotes(shared_data / "djienne_hyperliquid_capture/prices_BTC.csv", HL_BTC, "djienne-hyperliquid")
    assert (r.rows, r.count) == (3_586, 1_793)
    assert all(q.bid_price < q.ask_price for q in r.objects)
    first = r.objects[0]
    assert (str(first.bid_price), str(first.ask_price), str(first.bid_size), str(first.ask_size)) == (
        "111038", "111039", "8.84885", "0.00360",
    )  # fmt: skip
    assert iso(first.ts_event) == "2025-09-03T12:55:12.212000Z"  # exchange time
    assert iso(first.ts_init) == "2025-09-03T12:55:12.799907700Z"  # collector receive time
    assert all(q.ts_init >= q.ts_event for q in r.objects)
    assert iso(r.end) == "2025-09-03T13:04:14.918197400Z"


def test_djienne_lighter_local_times_are_shifted_to_utc(shared_data: Path) -> None:
    r = load_quotes(
        shared_data / "djienne_lighter_capture/prices_BTC.csv.gz", "BTC-USD-PERP.LIGHTER", "djienne-lighter"
    )
    assert r.count == 17_974
    # the file says 21:22:04 -> 23:13:21 local (UTC+2); rows are not time-ordered in the file
    assert (iso(r.start), iso(r.end)) == ("2025-09-15T19:22:04.461638Z", "2025-09-15T21:13:21.997485Z")
    assert all(b.ts_init >= a.ts_init for a, b in zip(r.objects, r.objects[1:], strict=False))

    paxg = load_quotes(
        shared_data / "djienne_lighter_capture/prices_PAXG.csv",
        "PAXG-USD-PERP.LIGHTER",
        "djienne-lighter",
        spec=InstrumentSpec(2, 4),
    )
    assert paxg.count == 1_334  # half the rows lack the trailing market_id column


def test_djienne_aster_quotes_get_a_documented_default_size(shared_data: Path) -> None:
    path = shared_data / "djienne_aster_capture/window_2025-09-24_0737-1309UTC/prices_BTCUSDT.csv.gz"
    r = load_quotes(path, "BTCUSDT-PERP.ASTER", "djienne-aster")
    assert r.count == 44_050
    assert (iso(r.start)[:16], iso(r.end)[:16]) == ("2025-09-24T09:35", "2025-09-24T13:09")
    # ~100,000 USDT at the first mid 112657.05, rounded down to the 0.001 lot
    assert {str(q.bid_size) for q in r.objects} == {str(q.ask_size) for q in r.objects} == {"0.887"}
    assert "0.887" in r.notes[0]


def test_tardis_book_snapshot_needs_the_2020_tick(shared_data: Path) -> None:
    path = shared_data / "nautilus_trader/tardis_samples/binance-futures_book_snapshot_5_BTCUSDT.csv"
    # the registry's BTCUSDT tick is 0.1 today; Binance quoted 0.01 in 2020: never rounded silently
    with pytest.raises(LoaderError, match=r":2: field 'bids\[0\].price': 11657.07 has more decimals"):
        load_quotes(path, BN_BTC, "tardis-book-snapshot")
    r = load_quotes(path, BN_BTC, "tardis-book-snapshot", spec=InstrumentSpec(2, 3))
    assert r.count == 10 and str(r.objects[0].bid_price) == "11657.07"
    assert r.objects[0].ts_event == 1598918403696000000 and r.objects[0].ts_init == 1598918403810979000


# -- trades ----------------------------------------------------------------------------------------


def test_djienne_hyperliquid_trades_drop_resent_trade_ids(shared_data: Path) -> None:
    r = load_trades(shared_data / "djienne_hyperliquid_capture/trades_BTC.csv", HL_BTC, "djienne-hyperliquid")
    assert (r.rows, r.duplicates, r.count) == (1_497, 30, 1_467)
    assert len({t.trade_id.value for t in r.objects}) == r.count
    first = min(r.objects, key=lambda t: t.ts_event)
    assert (
        iso(first.ts_event) == "2025-09-03T12:55:02.005000Z" and first.aggressor_side == AggressorSide.BUYER
    )


def test_kraken_rest_trades(shared_data: Path) -> None:
    r = load_trades(
        shared_data / "nautilus_trader/kraken/http_trades.json",
        "BTC/USDT.KRAKEN",
        "kraken",
        spec=InstrumentSpec(1, 8),
    )
    assert r.count == 1_000  # README: 1000 XBT/USDT trades 2025-11-10 17:23 -> 2025-11-11 00:13
    assert (iso(r.start)[:16], iso(r.end)[:16]) == ("2025-11-10T17:23", "2025-11-11T00:13")
    first = r.objects[0]
    assert (str(first.price), str(first.size), first.aggressor_side, first.trade_id.value) == (
        "105433.6", "0.00027625", AggressorSide.BUYER, "10218208",
    )  # fmt: skip
    assert isinstance(r.instrument.id.value, str) and r.instrument.quote_currency.code == "USDT"


def test_lighter_aster_and_bybit_trades(shared_data: Path) -> None:
    lighter = load_trades(
        shared_data / "djienne_lighter_capture/trades_BTC.csv", "BTC-USD-PERP.LIGHTER", "djienne-lighter"
    )
    assert lighter.count == 456
    assert (iso(lighter.start), iso(lighter.end)) == (
        "2025-09-15T19:22:01.250000Z",
        "2025-09-15T21:19:26.825000Z",
    )

    aster = load_trades(
        shared_data / "djienne_aster_capture/window_2025-09-24_0737-1309UTC/trades_ETHUSDT.csv.gz",
        "ETHUSDT-PERP.ASTER",
        "djienne-aster",
    )
    assert aster.count == 45_868 and aster.duplicates == 0

    bybit = load_trades(
        shared_data / "nautilus_trader/bybit/http_get_trades_recent.json", "BTCUSDT-LINEAR.BYBIT", "bybit"
    )
    (t,) = bybit.objects
    assert (str(t.price), str(t.size), t.aggressor_side) == ("27450.5", "0.005", AggressorSide.BUYER)
    assert t.trade_id.value == "a905d5c3-1ed0-4f37-83e4-9c73a2fe2f01"


# -- bars ------------------------------------------------------------------------------------------


def test_kraken_ohlc_bars_are_stamped_at_their_close(shared_data: Path) -> None:
    r = load_bars(
        shared_data / "nautilus_trader/kraken/http_ohlc.json",
        "BTC/USDT.KRAKEN",
        "kraken",
        spec=InstrumentSpec(1, 8),
    )
    assert r.count == 721  # README: 721 one-minute candles 12:17 -> 00:17 (open times)
    assert str(r.objects[0].bar_type) == "BTC/USDT.KRAKEN-1-MINUTE-LAST-EXTERNAL"
    assert (iso(r.start), iso(r.end)) == ("2025-11-10T12:18:00Z", "2025-11-11T00:18:00Z")


def test_hyperliquid_candle_snapshot_cassette_infers_the_bar_length(shared_data: Path) -> None:
    path = shared_data / "hyperliquid_python_sdk/cassettes/test_get_candles_snapshot.yaml"
    r = load_bars(path, "kPEPE-USD-PERP.HYPERLIQUID", "hyperliquid", spec=InstrumentSpec(6, 1))
    assert r.count == 24
    assert str(r.objects[0].bar_type.spec) == "1-HOUR-LAST"
    b = r.objects[0]
    assert (str(b.open), str(b.high), str(b.low), str(b.close)) == (
        "0.001601",
        "0.001616",
        "0.001601",
        "0.001604",
    )
    assert b.ts_event == 1684699200000 * 1_000_000 + HOUR  # t + 1 h


def test_binance_ohlcv_csv(shared_data: Path) -> None:
    r = load_bars(shared_data / "furry_funding/binance_BTC_1h.csv", BN_BTC, "ohlcv")
    assert r.count == 49
    assert (iso(r.start), str(r.objects[0].close)) == ("2023-08-31T23:00:00Z", "26042.8")


# -- malformed rows --------------------------------------------------------------------------------


def _corrupt_csv(src: Path, dst: Path, line: int, column: str, value: str) -> Path:
    lines = src.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    fields = lines[line - 1].rstrip("\n").split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields) + "\n"
    dst.write_text("".join(lines))
    return dst


def test_a_bad_number_names_file_line_and_field_or_is_skipped(shared_data: Path, tmp_path: Path) -> None:
    bad = _corrupt_csv(
        shared_data / "furry_funding/binance_fr_BTC_1h.csv", tmp_path / "fr.csv", 5, "fundingRate", "abc"
    )
    with pytest.raises(LoaderError) as e:
        load_funding(bad, BN_BTC, "binance")
    assert str(e.value) == f"{bad}:5: field 'fundingRate': 'abc' is not a number"

    r = load_funding(bad, BN_BTC, "binance", on_error="skip")
    assert (r.rows, r.skipped, r.count) == (90, 1, 89)
    assert r.skip_reasons == [f"{bad}:5: field 'fundingRate': 'abc' is not a number"]


def test_a_bad_json_record_is_located_by_its_line(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "nautilus_trader/hyperliquid/http_funding_history.json"
    bad = tmp_path / "funding.json"
    bad.write_text(src.read_text().replace("1769912400000", '"soon"'))
    with pytest.raises(LoaderError, match=rf"^{bad}:8: field 'time': 'soon' is not a number$"):
        load_funding(bad, HL_BTC, "hyperliquid")  # the second record starts on line 8
    gz = tmp_path / "funding.json.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert load_funding(gz, HL_BTC, "hyperliquid").count == 3


def test_an_unpaired_side_row_is_named_and_the_rest_still_pair(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "djienne_hyperliquid_capture/prices_ETH.csv").read_text().splitlines(keepends=True)
    del lines[4]  # line 5 = the ask of the second update: its bid on line 4 is left alone
    bad = tmp_path / "prices_ETH.csv"
    bad.write_text("".join(lines))
    with pytest.raises(LoaderError, match=rf"^{bad}:4: field 'side': bid row has no matching ask row"):
        load_quotes(bad, "ETH-USD-PERP.HYPERLIQUID", "djienne-hyperliquid")
    r = load_quotes(bad, "ETH-USD-PERP.HYPERLIQUID", "djienne-hyperliquid", on_error="skip")
    assert (r.rows, r.skipped, r.count) == (3_589, 1, 1_794)


def test_a_price_finer_than_the_tick_is_an_error_not_a_rounding(shared_data: Path) -> None:
    path = shared_data / "nautilus_trader/hyperliquid/http_recent_trades_btc.json"
    with pytest.raises(
        LoaderError, match=r"http_recent_trades_btc.json:12: field 'px': 104310.5 has more decimals"
    ):
        load_trades(path, HL_BTC, "hyperliquid")  # HL BTC tick is 1 in the registry
    r = load_trades(path, HL_BTC, "hyperliquid", on_error="skip")
    assert r.skipped == 1 and r.count == r.rows - 1


def test_conflicting_duplicate_settlements_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "fr.json"
    records = [
        {"fundingTime": 1737820800000, "fundingRate": "0.0001"},
        {"fundingTime": 1737820800000, "fundingRate": "0.0001"},  # repeated: dropped
        {"fundingTime": 1737820800000, "fundingRate": "0.0002"},  # contradicts: bad row
    ]
    path.write_text(json.dumps(records, indent=1))
    with pytest.raises(LoaderError, match=r"0\.0002 conflicts with 0\.0001"):
        load_funding(path, BN_BTC, "aster")
    r = load_funding(path, BN_BTC, "aster", on_error="skip")
    assert (r.count, r.duplicates, r.skipped) == (1, 1, 1)


def test_a_multi_symbol_file_needs_a_symbol(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "nautilus_trader/tardis_samples/huobi-dm-swap_quotes_BTC-USD.csv"
    two = tmp_path / "quotes.csv"
    shutil.copy(src, two)
    with two.open("a") as fh:
        fh.write("huobi-dm-swap,ETH-USD,1588291202000000,1588291202100000,10,200.1,200.0,10\n")
    spec = InstrumentSpec(1, 0)
    with pytest.raises(LoaderError, match=r"several symbols \(BTC-USD, ETH-USD\)"):
        load_quotes(two, "BTC-USD-SWAP.HUOBI", "tardis", spec=spec)
    r = load_quotes(two, "BTC-USD-SWAP.HUOBI", "tardis", spec=spec, symbol="BTC-USD")
    assert (r.count, r.other_symbols) == (10, 1)
