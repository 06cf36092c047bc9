"""`arb venuesim run --venue bitget` starts a Bitget simulator a user can steer and sign against,
and `arb bench adapter bitget` measures adapter latency against it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from adapters.bitget.signing import BitgetSigner
from adapters.common.credentials import Secret
from arb.cli import main

pytestmark = pytest.mark.timeout(90)


def test_venuesim_run_bitget_with_an_account_and_the_control_api(tmp_path):
    cfg = tmp_path / "sim.toml"
    cfg.write_text("[bitget]\nfaults = { retry_after_secs = 2.5 }\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arb.cli", "venuesim", "run", "--venue", "bitget", "--duration", "20",
         "--tick-secs", "0.05", "--account", "cli-key:cli-secret:cli-pass=2500", "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        urls = json.loads(proc.stdout.readline())
        assert urls["venue"] == "bitget" and urls["ws"].endswith("/v2/ws/public")
        base = urls["http"]
        state = requests.get(f"{base}/_sim/state", timeout=5).json()["result"]
        uid = state["api_keys"]["cli-key"]
        assert (
            state["faults"]["retry_after_secs"] == 2.5
            and state["accounts"][uid]["collateral"]["USDT-FUTURES"] == "2500"
        )
        assert state["ws_private"].endswith("/v2/ws/private")
        before = float(state["markets"]["NVDAUSDT"]["mid"])
        moved = requests.post(
            f"{base}/_sim/price", json={"market": "NVDAUSDT", "shift_bps": 80}, timeout=5
        ).json()
        assert float(moved["result"]["mid"]) == pytest.approx(before * 1.008, rel=0.002)
        signer = BitgetSigner(Secret("cli-key"), Secret("cli-secret"), Secret("cli-pass"))
        path, query = "/api/v2/mix/account/accounts", "productType=USDT-FUTURES"
        reply = requests.get(
            f"{base}{path}?{query}", headers=signer.rest_headers("GET", path, query), timeout=5
        ).json()
        assert reply["code"] == "00000" and reply["data"][0]["available"] == "2500"
        assert requests.post(f"{base}/_sim/bitget/checksum", json={"corrupt_next": 2}, timeout=5).json()[
            "result"
        ] == {"corrupt_next": 2}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bench_adapter_bitget_prints_latencies(capsys):
    assert main(["bench", "adapter", "bitget", "--frames", "300", "--orders", "15", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    frames = result["frame_to_object"]
    assert {"books", "books1", "trade", "ticker", "all"} <= set(frames)
    assert frames["all"]["n"] >= 250 and 0 < frames["all"]["p50_us"] <= frames["all"]["p99_us"]
    assert result["order_to_wire"]["n"] == 15 and result["order_to_wire"]["p50_us"] > 0
    assert result["orders_resting_on_sim"] == 15 and result["malformed_frames"] == 0
    assert result["checksum_mismatches"] == 0
