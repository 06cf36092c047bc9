"""The HTML report: one self-contained file whose sections follow what the results hold."""

from __future__ import annotations

import re
import shutil

import pytest
from analysis_runs import mixed_runs
from analysis_runs import orphan_run

from arb.cli import main
from backtests import performance as perf
from backtests.analysis import load_results
from backtests.report import build_report
from backtests.report import trades_for_pair
from backtests.report import write_report

ALL_SECTIONS = [
    "overview", "pnl", "equity", "drawdown", "attribution", "trades", "scalp-spreads", "scalp-edges",
    "leg-risk", "carry-funding", "carry-ledger", "carry-basis", "funding", "run",
]  # fmt: skip


def sections(html: str) -> list[str]:
    return re.search(r'data-sections="([^"]*)"', html).group(1).split()


def figures(html: str) -> list[str]:
    return re.findall(r'<div class="figure" data-figure="([^"]+)">', html)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return mixed_runs(tmp_path_factory)


@pytest.fixture(scope="module")
def full_report(runs, tmp_path_factory) -> str:
    out = write_report(runs.a, tmp_path_factory.mktemp("report") / "report.html")
    return out.read_text()


def test_a_scalp_and_carry_run_gets_every_section_and_chart(full_report, runs):
    r = load_results(runs.a)
    assert sections(full_report) == ALL_SECTIONS
    for section in ALL_SECTIONS:
        assert f'<section id="{section}">' in full_report
    pairs = sorted(r.spread_samples["pair"].unique())
    expected = ["equity", "drawdown", "attribution", *[f"spread-{i}" for i in range(len(pairs))],
                "edge-histogram", "hedge-latency", "funding-rates", "funding-ledger", "basis-mtm"]  # fmt: skip
    assert figures(full_report) == expected
    assert f'data-figures="{len(expected)}"' in full_report
    for i, pair in enumerate(pairs):
        assert f"Spread {pair}: edge vs trigger" in full_report.replace("\\u002f", "/"), i


def test_report_needs_no_network(full_report):
    assert not re.search(r"<script[^>]+src=", full_report)
    assert not re.search(r"<link[^>]+href=", full_report)
    assert full_report.count("<script>") >= 1 and "Plotly.newPlot" in full_report
    assert len(re.findall(r"plotly\.js v\d", full_report)) == 1  # the library, inlined once


def test_report_lists_every_trade_and_documents_the_attribution(full_report, runs):
    r = load_results(runs.a)
    for pair_id in r.trades["pair_id"]:
        assert f'<td class="">{pair_id}</td>' in full_report
    for name, definition in perf.ATTRIBUTION_DEFINITIONS.items():
        assert f"<dt>{name}</dt>" in full_report
        assert definition.split(":")[0].replace("'", "&#x27;") in full_report
    net = perf.pnl_attribution(r.summary, r.trades, r.leg_risk, r.fills).loc["total", "net"]
    assert f"{net:,.2f}" in full_report


def test_scalp_trades_are_placed_on_their_pairs_chart(runs):
    r = load_results(runs.a)
    scalp = r.trades[r.trades["kind"] == "scalp"]
    placed = [trades_for_pair(r.trades, pair) for pair in sorted(r.spread_samples["pair"].unique())]
    assert sum(len(p) for p in placed) == len(scalp)  # every scalp trade on exactly one chart
    spot_perp = trades_for_pair(r.trades, "BTC BYBIT:spot/BYBIT")
    assert set(spot_perp["long_instrument"]) <= {"BTCUSDT-SPOT.BYBIT"}


def test_a_scalp_only_run_has_no_carry_sections(tmp_path_factory):
    html = build_report(orphan_run(tmp_path_factory))
    got = sections(html)
    assert "scalp-spreads" in got and "leg-risk" in got
    assert not {"carry-funding", "carry-ledger", "carry-basis", "funding", "trades"} & set(got)
    assert "basis-mtm" not in figures(html) and "funding-rates" not in figures(html)


def test_sections_without_their_tables_are_left_out(runs, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(runs.a, partial)
    for name in ("spread_samples", "leg_risk", "carry_ledger", "funding_rates", "funding_payments"):
        (partial / f"{name}.parquet").unlink()
    html = build_report(partial)
    assert sections(html) == ["overview", "pnl", "equity", "drawdown", "attribution", "trades", "run"]
    assert figures(html) == ["equity", "drawdown", "attribution"]


def test_arb_report_writes_the_file_and_prints_its_path(runs, tmp_path, capsys):
    out = tmp_path / "nested" / "r.html"
    assert main(["report", str(runs.a), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}"
    assert sections(out.read_text()) == ALL_SECTIONS


def test_arb_report_refuses_a_folder_without_results(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a results folder" in capsys.readouterr().err


def test_the_demo_writes_the_report_into_the_results_folder(runs, tmp_path):
    from arb.demo import _write_report

    copy = tmp_path / "run"
    shutil.copytree(runs.a, copy)
    assert _write_report(copy) == copy / "report.html"
    assert sections((copy / "report.html").read_text()) == ALL_SECTIONS


def test_funding_payments_are_reported_to_the_last_digit(full_report, runs):
    from decimal import Decimal

    r = load_results(runs.a)
    for instrument, g in r.funding_payments.groupby("instrument_id"):
        total = sum(g["amount"], Decimal(0))
        assert f'<td class="num">{total:,f}</td>' in full_report, instrument
