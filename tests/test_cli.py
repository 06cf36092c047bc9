"""The command line, end to end: build a catalog, validate and run a config, the demo."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ARB = [sys.executable, "-m", "arb"]


def arb(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*ARB, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_synth_validate_run(tmp_path):
    cat = tmp_path / "cat"
    proc = arb("catalog", "synth", str(cat), "--days", "0.2", "--quote-rate-scale", "0.3", "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    assert "quotes and" in proc.stdout and str(cat) in proc.stdout
    again = arb("catalog", "synth", str(cat), "--days", "0.2")
    assert again.returncode == 2 and "not empty" in again.stderr
    info = json.loads(arb("catalog", "info", str(cat)).stdout)
    assert "BTC-USD-PERP.HYPERLIQUID" in info["data"]["quote_tick"]
    config = tmp_path / "run.toml"
    config.write_text(
        f"""
[backtest]
name = "cli"
catalog = "{cat}"
results = "{tmp_path / "results"}"
log_level = "ERROR"
[venues.HYPERLIQUID]
[venues.BYBIT]
[[strategies]]
kind = "scalp"
notional_usd = 2000
warmup = 30
window = 120
pairs = [{{ asset = "BTC", venues = ["HYPERLIQUID", "BYBIT"] }}]
"""
    )
    proc = arb("backtest", "validate", str(config))
    assert proc.returncode == 0 and proc.stdout.startswith("ok: 1 strategies, 2 instruments")
    out = tmp_path / "res"
    proc = arb("backtest", "run", str(config), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    assert set(summary["pnl_by_venue"]) == {"HYPERLIQUID", "BYBIT"}
    assert (out / "config.toml").read_text() == config.read_text()


@pytest.mark.slow
def test_demo_builds_the_catalog_runs_and_prints_the_summary(tmp_path):
    proc = arb("demo", "--catalog", str(tmp_path / "catalog"), "--out", str(tmp_path / "results"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert any(line.startswith("strategy ScalpStrategy-scalp") for line in lines)
    assert any(line.startswith("strategy CarryStrategy-carry") for line in lines)
    assert f"results: {tmp_path / 'results'}" in lines
    summary = json.loads((tmp_path / "results" / "summary.json").read_text())
    assert summary["counts"]["orders"] > 0 and summary["counts"]["funding_payments"] > 0
    for venue in summary["pnl_by_venue"].values():
        assert venue["account"]["difference"] == pytest.approx(0, abs=1e-6)
