"""The report in a real headless Chromium (Debian's `chromium`, driven by playwright; no browser is
downloaded): it opens from disk with no network, logs no errors, and draws every chart and trace."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from analysis_runs import mixed_runs

from backtests.analysis import load_results
from backtests.report import trades_for_pair
from backtests.report import write_report

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("ARB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium's own connections are refused on a closed network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Per figure: how many plotly traces it holds (from its data) and how many it drew (from the DOM).
FIGURE_STATE = """() => Array.from(document.querySelectorAll('.figure')).map(f => {
  const plot = f.querySelector('.js-plotly-plot');
  return {
    name: f.dataset.figure,
    svgs: f.querySelectorAll('.main-svg').length,
    traces: plot && plot.data ? plot.data.length : 0,
    drawn: f.querySelectorAll('.scatterlayer .trace, .barlayer .trace, .waterfalllayer .trace, .boxlayer .trace').length,
    markers: f.querySelectorAll('.scatterlayer .trace .points path').length,
    bars: f.querySelectorAll('.waterfalllayer .point').length,
  };
})"""


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).is_file():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install the Debian package `chromium` (.ci/run does) or set ARB_CHROMIUM"
        )
    return CHROMIUM


def test_report_draws_every_chart_in_chromium_without_errors(tmp_path_factory, tmp_path, artifacts):
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    runs = mixed_runs(tmp_path_factory)
    r = load_results(runs.a)
    report = write_report(runs.a, tmp_path / "report.html")

    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile
            executable_path=executable,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            page.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda q: problems.append(f"request failed: {q.url}"))

            def only_local(route):
                requests.append(route.request.url)
                if route.request.url.startswith(("file:", "data:", "blob:")):
                    return route.continue_()
                return route.abort()

            page.route("**/*", only_local)
            page.goto(report.as_uri(), wait_until="load")
            expected = int(page.get_attribute("body", "data-figures"))
            page.wait_for_function(
                "n => document.querySelectorAll('.figure .main-svg').length >= 3 * n",
                arg=expected,
                timeout=30_000,
            )
            state = page.evaluate(FIGURE_STATE)
            sections = page.eval_on_selector_all("main > section", "els => els.map(e => e.id)")
            page.screenshot(path=str(artifacts / "report-mixed.png"), full_page=True)
        finally:
            context.close()

    assert problems == []
    assert [u for u in requests if not u.startswith("file:")] == []
    assert sections == page_sections(report)
    assert len(state) == expected == 8 + r.spread_samples["pair"].nunique()
    for fig in state:
        assert fig["svgs"] >= 1, fig
        assert fig["traces"] > 0 and fig["drawn"] == fig["traces"], fig
    by_name = {f["name"]: f for f in state}
    venues = len(r.summary["pnl_by_venue"])
    assert by_name["equity"]["traces"] == venues + 1  # each venue and the total, marked to market
    assert by_name["attribution"]["bars"] == 8  # seven contributions and net
    for i, pair in enumerate(sorted(r.spread_samples["pair"].unique())):
        trades = trades_for_pair(r.trades, pair)
        # an entry marker per trade and an exit marker per closed trade
        assert by_name[f"spread-{i}"]["markers"] == len(trades) + int(trades["exit_ts"].notna().sum()), pair
    assert (artifacts / "report-mixed.png").stat().st_size > 50_000


def page_sections(report: Path) -> list[str]:
    import re

    return re.search(r'data-sections="([^"]*)"', report.read_text()).group(1).split()
