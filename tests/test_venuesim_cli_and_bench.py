"""`arb venuesim run` starts a simulator a user can steer through its control API, and
`arb bench adapter hyperliquid` measures adapter latency against it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from arb.cli import main

pytestmark = pytest.mark.timeout(90)


def test_venuesim_run_prints_urls_and_obeys_the_control_api(tmp_path):
    cfg = tmp_path / "sim.toml"
    cfg.write_text("[hyperliquid]\nfaults = { retry_after_secs = 1.5 }\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arb.cli", "venuesim", "run", "--duration", "20", "--tick-secs", "0.05",
         "--account", "0x1111111111111111111111111111111111111111=2500", "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        urls = json.loads(proc.stdout.readline())
        assert (
            urls["venue"] == "hyperliquid"
            and urls["ws"].endswith("/ws")
            and urls["http"].startswith("http://127.0.0.1:")
        )
        assert "control API" in proc.stdout.readline()
        base = urls["http"]
        state = requests.get(f"{base}/_sim/state", timeout=5).json()["result"]
        assert state["faults"]["retry_after_secs"] == 1.5
        assert state["accounts"]["0x1111111111111111111111111111111111111111"]["collateral"][""] == "2500"
        before = float(state["markets"]["BTC"]["mid"])
        moved = requests.post(
            f"{base}/_sim/price", json={"market": "BTC", "shift_bps": 200}, timeout=5
        ).json()
        assert float(moved["result"]["mid"]) == pytest.approx(
            before * 1.02, rel=0.002
        )  # engineered dislocation
        r = requests.post(f"{base}/_sim/funding", json={"market": "BTC", "rate": "0.0005"}, timeout=5).json()
        assert (
            r["ok"]
            and requests.post(
                f"{base}/info", json={"type": "fundingHistory", "coin": "BTC", "startTime": 0}, timeout=5
            ).json()[-1]["fundingRate"]
            == "0.0005"
        )
        bad = requests.post(f"{base}/_sim/faults", json={"no_such_fault": 1}, timeout=5)
        assert bad.status_code == 400 and "unknown fault(s) ['no_such_fault']" in bad.json()["error"]
        requests.post(f"{base}/_sim/faults", json={"http_error_next": [503]}, timeout=5)
        assert requests.post(f"{base}/info", json={"type": "meta"}, timeout=5).status_code == 503
        assert requests.post(f"{base}/info", json={"type": "meta"}, timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bench_adapter_hyperliquid_prints_latencies(capsys):
    assert main(["bench", "adapter", "hyperliquid", "--frames", "300", "--orders", "15", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    frames = result["frame_to_object"]
    assert {"l2Book", "bbo", "trades", "activeAssetCtx", "all"} <= set(frames)
    assert frames["all"]["n"] >= 250 and 0 < frames["all"]["p50_us"] <= frames["all"]["p99_us"]
    assert result["order_to_wire"]["n"] == 15 and result["order_to_wire"]["p50_us"] > 0
    assert result["orders_resting_on_sim"] == 15 and result["malformed_frames"] == 0


def test_unknown_venue_front_is_a_clear_error(capsys):
    assert main(["venuesim", "run", "--venue", "nosuchvenue", "--duration", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "no venuesim front for 'nosuchvenue' (available: " in err and "hyperliquid" in err
