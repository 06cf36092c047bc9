"""The generic row reader and value parsers on small hand-written files (no shared data needed)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from nautilus_trader.model.identifiers import InstrumentId

from catalog.formats import parse_columns
from catalog.loaders import FieldError
from catalog.loaders import InstrumentSpec
from catalog.loaders import adhoc_instrument
from catalog.loaders import interval_to_bar_spec
from catalog.loaders import parse_decimal
from catalog.loaders import parse_time
from catalog.rows import LoaderError
from catalog.rows import Source
from catalog.rows import read_rows


def test_nested_json_records_carry_their_line_and_exact_decimals(tmp_path: Path) -> None:
    doc = {"retCode": 0, "result": {"category": "linear", "list": [{"p": 1.10}, {"p": "2"}]}, "time": 1}
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc, indent=2))
    got = list(read_rows(path, Source(json_path=("result", "list"))))
    assert [loc for loc, _ in got] == ["6", "9"]
    assert got[0][1]["p"] == Decimal("1.1") and isinstance(got[0][1]["p"], Decimal)
    with pytest.raises(LoaderError, match="no key 'items' at result"):
        list(read_rows(path, Source(json_path=("result", "items"))))


def test_wildcard_key_and_positional_records(tmp_path: Path) -> None:
    path = tmp_path / "ohlc.json"
    path.write_text('{"error": [], "result": {"XBTUSDT": [[1, "2.5"], [3]], "last": 9}}')
    got = list(read_rows(path, Source(json_path=("result", "*"), positional=("t", "o"))))
    assert [row for _, row in got] == [{"t": 1, "o": "2.5"}, {"t": 3, "o": None}]


def test_csv_jsonl_and_cassette_sources(tmp_path: Path) -> None:
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("a,b\n1,2\n\n3,4\n")
    assert [(loc, row["a"]) for loc, row in read_rows(csv_path)] == [("2", "1"), ("4", "3")]

    jl = tmp_path / "a.jsonl"
    jl.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert [(loc, row["a"]) for loc, row in read_rows(jl)] == [("1", 1), ("3", 2)]

    cassette = tmp_path / "c.yaml"
    cassette.write_text(
        "interactions:\n"
        '- request: {body: \'{"type": "meta"}\'}\n'
        "  response: {body: {string: '{\"universe\": []}'}}\n"
        '- request: {body: \'{"type": "fundingHistory"}\'}\n'
        '  response: {body: {string: \'[{"time": 1}, {"time": 2}]\'}}\n'
    )
    got = list(read_rows(cassette, Source(cassette_request="fundingHistory")))
    assert got == [("interaction 2 record 1", {"time": 1}), ("interaction 2 record 2", {"time": 2})]
    with pytest.raises(LoaderError, match="no 'candleSnapshot' response body"):
        list(read_rows(cassette, Source(cassette_request="candleSnapshot")))


def test_unreadable_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="file not found"):
        list(read_rows(tmp_path / "none.csv"))
    odd = tmp_path / "x.bin"
    odd.write_text("")
    with pytest.raises(LoaderError, match="cannot tell the file type"):
        list(read_rows(odd))
    broken = tmp_path / "b.json"
    broken.write_text('[\n {"a": 1},\n {"a": }\n]')
    with pytest.raises(LoaderError, match=r"b.json:3: not valid JSON"):
        list(read_rows(broken))


def test_times_in_every_unit_and_local_iso() -> None:
    assert parse_time("1756904112.7999077", "s", "t") == 1_756_904_112_799_907_700
    assert parse_time(1737820800001, "ms", "t") == 1_737_820_800_001_000_000
    assert parse_time(1598918403696000, "us", "t") == 1_598_918_403_696_000_000
    utc = parse_time("2025-09-15T19:22:04.461638", "iso", "t")
    assert parse_time("2025-09-15T21:22:04.461638", "iso", "t", tz_offset_hours=2) == utc
    assert parse_time("2025-09-15T21:22:04.461638+02:00", "iso", "t", tz_offset_hours=5) == utc  # aware wins
    assert parse_time("2025-09-15T19:22:04.461638123Z", "iso", "t") == utc + 123
    assert parse_time("2025-09-15T21:22:04.461638123", "iso", "t", tz_offset_hours=2) == utc + 123
    with pytest.raises(FieldError, match="not a plausible time in unit 'ms'"):
        parse_time("1737820800", "ms", "fundingTime")  # seconds read as ms: 1970
    with pytest.raises(FieldError, match="field 'Date': 'yesterday' is not an ISO time"):
        parse_time("yesterday", "iso", "Date")


def test_numbers_parse_exactly_or_fail_by_name() -> None:
    assert str(parse_decimal("0.00010000", "r")) == "0.00010000"
    assert parse_decimal(7.757e-05, "r") == Decimal("0.00007757")
    for bad in ("abc", "nan", "inf", True):
        with pytest.raises(FieldError, match=r"field 'r': .* is not a number"):
            parse_decimal(bad, "r")
    with pytest.raises(FieldError, match="field 'r' is empty"):
        parse_decimal(" ", "r")


def test_small_helpers() -> None:
    assert interval_to_bar_spec("1h") == "1-HOUR-LAST"
    assert interval_to_bar_spec("15m") == "15-MINUTE-LAST"
    with pytest.raises(ValueError):
        interval_to_bar_spec("hourly")
    assert parse_columns("time=ts, rate=r") == {"time": "ts", "rate": "r"}
    with pytest.raises(LoaderError, match="not FIELD=COLUMN"):
        parse_columns("time")

    aster = adhoc_instrument(InstrumentId.from_str("ASTERUSDT-PERP.ASTER"), InstrumentSpec(4, 2))
    assert (aster.base_currency.code, aster.quote_currency.code, aster.price_precision) == (
        "ASTER",
        "USDT",
        4,
    )
    wlfi = adhoc_instrument(InstrumentId.from_str("WLFI-USD-PERP.HYPERLIQUID"), InstrumentSpec(5, 0))
    assert (wlfi.base_currency.code, wlfi.quote_currency.code) == ("WLFI", "USDC")  # HL settles in USDC
    kraken = adhoc_instrument(InstrumentId.from_str("BTC/USDT.KRAKEN"), InstrumentSpec(1, 8))
    assert type(kraken).__name__ == "CurrencyPair" and kraken.quote_currency.code == "USDT"


def test_field_errors_read_as_sentences() -> None:
    assert str(FieldError("fundingRate", "is missing")) == "field 'fundingRate' is missing"
    assert str(FieldError("px", "'x' is not a number")) == "field 'px': 'x' is not a number"
