"""The notebooks run top to bottom (nbclient, on a kernel that is this venv's Python) against real
results and a real catalog, and their cells build the objects they promise. A check cell is appended
in memory only; the stored notebooks keep no outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from analysis_runs import mixed_runs

from backtests import market_views as mv
from backtests import performance as perf
from backtests.analysis import compare
from backtests.analysis import load_results
from catalog.store import open_catalog

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL = "nautilus-arb-venv"
PLOTLY = "application/vnd.plotly.v1+json"


def test_notebooks_are_stored_without_outputs():
    books = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert [b.name for b in books] == [
        "backtest_analysis.ipynb",
        "funding_explorer.ipynb",
        "spread_explorer.ipynb",
    ]
    for book in books:
        nb = nbformat.read(book, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, book.name


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> Path:
    """A kernelspec whose kernel is the interpreter running the tests (the project venv)."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    return root


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return mixed_runs(tmp_path_factory)


def execute(name: str, kernel_specs: Path, check: str) -> tuple[nbformat.NotebookNode, dict]:
    """Run notebook `name` with `check` appended; return the executed notebook and what check printed."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(check))
    km = KernelManager(
        kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_specs)])
    )
    client = NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return nb, json.loads(out.strip().splitlines()[-1])


def plotly_outputs(nb: nbformat.NotebookNode) -> int:
    return sum(PLOTLY in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_backtest_analysis_notebook_loads_plots_and_compares_two_runs(runs, kernel_specs, monkeypatch):
    monkeypatch.setenv("ARB_RESULTS", str(runs.a))
    monkeypatch.setenv("ARB_RESULTS_B", str(runs.b))
    nb, got = execute("backtest_analysis", kernel_specs, CHECK_BACKTEST)
    a, b = load_results(runs.a), load_results(runs.b)
    assert got["paths"] == [str(runs.a), str(runs.b)]
    assert got["sys_executable"] == sys.executable
    assert got["net"] == pytest.approx(a.summary["pnl"]["net"], abs=1e-6)
    # marked-to-market curve: one trace per venue and the total (no end-of-run unrealised marker)
    assert a.has("equity")
    assert got["equity_traces"] == len(a.summary["pnl_by_venue"]) + 1
    marked = perf.marked_equity_curve(a.equity)["total"]
    assert got["worst"] == pytest.approx(perf.max_drawdown(marked).amount)
    assert got["ledger_pairs"] == a.carry_ledger["pair_id"].nunique()
    expected = compare(a, b)
    assert got["comparison_index"] == list(expected.index)
    assert got["comparison_change"] == pytest.approx(expected["change"].fillna(0).tolist())
    assert got["compare_traces"] == 2
    assert plotly_outputs(nb) >= 8


CHECK_BACKTEST = """
import json, sys
print(json.dumps({
    "paths": [str(RESULTS), str(RESULTS_B)],
    "sys_executable": sys.executable,
    "net": float(attribution.loc["total", "net"]),
    "equity_traces": len(fig_equity.data),
    "worst": worst.amount,
    "ledger_pairs": len(ledger),
    "comparison_index": list(comparison.index),
    "comparison_change": comparison["change"].fillna(0).tolist(),
    "compare_traces": len(fig_compare.data),
}))
"""


@pytest.mark.slow
def test_funding_explorer_normalises_funding_and_maps_the_differentials(runs, kernel_specs, monkeypatch):
    monkeypatch.setenv("ARB_CATALOG", str(runs.catalog))
    nb, got = execute("funding_explorer", kernel_specs, CHECK_FUNDING)
    hourly = mv.hourly_apr(mv.funding_updates(open_catalog(runs.catalog)))
    assert got["catalog"] == str(runs.catalog)
    assert got["assets"] == ["BTC", "ETH", "SOL"]
    assert got["intervals"] == {"ASTER": 4.0, "BITGET": 8.0, "BYBIT": 8.0, "HYPERLIQUID": 1.0}
    assert got["heatmaps"] == 3 and got["heatmap_rows"] == [3, 3, 3]
    for asset in got["assets"]:
        m = mv.differential_matrix(hourly, asset).stack()
        short, long = m.idxmax()
        assert got["best"][asset] == [short, long, pytest.approx(m.max() * 100)]
    assert plotly_outputs(nb) == 2


CHECK_FUNDING = """
import json
print(json.dumps({
    "catalog": str(CATALOG),
    "assets": assets,
    "intervals": intervals.reset_index().groupby("venue")["interval_hours"].first().to_dict(),
    "heatmaps": len(fig_heat.data),
    "heatmap_rows": [len(t.y) for t in fig_heat.data],
    "best": {a: [row.short, row.long, row.mean_apr_pct] for a, row in best.iterrows()},
}))
"""


@pytest.mark.slow
def test_spread_explorer_measures_every_cross_venue_pair(runs, kernel_specs, monkeypatch):
    monkeypatch.setenv("ARB_CATALOG", str(runs.catalog))
    monkeypatch.setenv("ARB_SPREAD_EVERY", "2s")
    monkeypatch.setenv("ARB_ASSETS", "BTC,SOL")
    nb, got = execute("spread_explorer", kernel_specs, CHECK_SPREAD)
    assert got["every"] == "2s"
    # BTC: perps on Hyperliquid, Bitget, Bybit and Bybit spot -> 6 pairs; SOL: 3 perps -> 3 pairs
    assert len(got["pairs"]) == 9
    assert sum(p.startswith("BTC ") for p in got["pairs"]) == 6
    catalog = open_catalog(runs.catalog)
    a = mv.quotes(catalog, "BTC-USD-PERP.HYPERLIQUID")
    b = mv.quotes(catalog, "BTCUSDT-LINEAR.BYBIT")
    s = mv.cross_venue_spread(a, b, every="2s")
    label = "BTC BYBIT:perp / HYPERLIQUID:perp"
    assert label in got["pairs"]
    # the notebook names the pair B/A alphabetically: its edge A->B is our B->A
    assert got["stats"][label]["samples"] == len(s)
    assert got["stats"][label]["p99_best_bps"] == pytest.approx(s["best_bps"].quantile(0.99))
    assert got["stats"][label]["threshold_bps"] == pytest.approx(20.0)
    spot = "BTC BYBIT:perp / BYBIT:spot"
    assert got["stats"][spot]["threshold_bps"] == pytest.approx(2 * (5.5 + 10.0))
    assert plotly_outputs(nb) == 3


CHECK_SPREAD = """
import json
print(json.dumps({
    "every": EVERY,
    "pairs": list(spreads),
    "stats": stats.to_dict(orient="index"),
}))
"""


def test_notebook_defaults_resolve_to_the_projects_demo_folder(runs, monkeypatch):
    from backtests import demo_data

    monkeypatch.chdir(NOTEBOOKS)  # where Jupyter runs a notebook
    root = NOTEBOOKS.parent
    assert demo_data.project_root() == root
    assert demo_data.demo_dir() == root / "var" / "demo"
    # an existing catalog is used as it is, not rebuilt
    manifest = runs.catalog / "synth_manifest.json"
    before = manifest.stat().st_mtime_ns
    assert demo_data.demo_catalog(runs.catalog) == runs.catalog
    assert manifest.stat().st_mtime_ns == before
