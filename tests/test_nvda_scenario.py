"""The NVDA scenario end to end: the scalp strategy on NVDA with one leg on Bitget
(NVDAUSDT-PERP.BITGET) and one on Hyperliquid (xyz:NVDA-USD-PERP.HYPERLIQUID), run as real
`arb sandbox run` and `arb live run` processes against both venuesim fronts. A dislocation is
engineered through Bitget's control API (NVDA 60 bps rich there), the strategy buys Hyperliquid and
sells Bitget, the dislocation is taken back and the pair closes; in the live node the PnL matches
the two simulators' own records of the fills.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bg_support import API_KEY
from bg_support import API_SECRET
from bg_support import PASSPHRASE
from bg_support import UID
from bg_support import account
from live_support import ADDRESS
from live_support import KEY
from live_support import NodeProcess
from live_support import session_dir
from live_support import write_toml

from venuesim.core.pricepath import PricePath
from venuesim.fronts import bitget
from venuesim.fronts import hyperliquid
from venuesim.server import SimThread

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BG_NVDA, HL_NVDA = "NVDAUSDT", "xyz:NVDA"
BG_ID, HL_ID = "NVDAUSDT-PERP.BITGET", "xyz:NVDA-USD-PERP.HYPERLIQUID"
WARM = r"warm-up NVDA BITGET/HYPERLIQUID: 5/5 samples - trading"
EXAMPLE = Path(__file__).parent.parent / "live" / "configs" / "nvda_scalp_bitget_hyperliquid.toml"
ENV = {"BITGET_API_KEY": API_KEY, "BITGET_API_SECRET": API_SECRET, "BITGET_API_PASSPHRASE": PASSPHRASE}


class Sims:
    def __init__(self) -> None:
        # both NVDA markets at the same price, each wandering a little (so quotes keep coming)
        self.hl = hyperliquid.create(
            accounts=[{"address": ADDRESS}], tick_secs=0.1,
            paths={HL_NVDA: PricePath(Decimal("180"), vol_bps=0.2, seed=1)},
        )  # fmt: skip
        self.bg = bitget.create(
            accounts=[account()],
            tick_secs=0.1,
            paths={BG_NVDA: PricePath(Decimal("180"), vol_bps=0.2, seed=2)},
        )
        self.thread = SimThread(self.hl, self.bg)

    def __enter__(self) -> Sims:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.stop()

    def dislocate(self, bps: float = 60.0) -> None:
        self.bg.shift(BG_NVDA, bps)  # NVDA dear on Bitget: buy Hyperliquid, sell Bitget

    def revert(self) -> None:
        self.bg.set_mid(BG_NVDA, self.hl.state()["markets"][HL_NVDA]["mid"])

    def fills(self) -> list[Any]:
        hl = self.hl.call(
            lambda ex: list(ex.accounts[ADDRESS].fills) if ADDRESS in ex.accounts else [], self.hl.exchange
        )
        bg = self.bg.call(
            lambda ex: list(ex.accounts[UID].fills) if UID in ex.accounts else [], self.bg.exchange
        )
        return hl + bg

    def positions(self) -> dict[str, Decimal]:
        hl = self.hl.state()["accounts"][ADDRESS]["positions"]
        bg = self.bg.state()["accounts"][UID]["positions"]
        return {k: Decimal(v) for k, v in {**hl, **bg}.items() if Decimal(v) != 0}


def node_doc(tmp: Path, sims: Sims) -> dict[str, Any]:
    """The example config (live/configs/nvda_scalp_bitget_hyperliquid.toml) pointed at these
    simulators, with a short warm-up so the test does not wait minutes."""
    import tomllib

    doc = tomllib.loads(EXAMPLE.read_text())
    doc["node"].update(
        log_dir=str(tmp / "logs"), results=str(tmp / "sessions"), status_interval_s=2.0, stop_timeout_s=20.0
    )
    doc["venues"]["HYPERLIQUID"].update(base_url_http=sims.hl.http_url, latency_ms=10)
    doc["venues"]["BITGET"].update(base_url_http=sims.bg.http_url, latency_ms=10)
    doc.pop("notify", None)
    strategy = doc["strategies"][0]
    strategy.update(
        warmup=5, window=30, trigger_update_samples=1, sample_interval_ms=200, heartbeat_minutes=0
    )
    strategy.pop("guards", None)
    return doc


def run_node(tmp: Path, sims: Sims, mode: str) -> NodeProcess:
    config = write_toml(tmp / "node.toml", node_doc(tmp, sims))
    env = {**ENV, "HYPERLIQUID_TESTNET_PRIVATE_KEY": KEY}
    node = NodeProcess(config, mode, tmp / f"{mode}.out", duration=30, env=env)
    try:
        node.wait_for(WARM, 60)
        sims.dislocate()
        node.wait_for(rf"opened SNVDA-\S+: long {HL_ID}.*short {BG_ID}", 20)
        sims.revert()
        node.wait_for(r"closed SNVDA-\S+ \(take_profit", 20)
        assert node.wait(60) == 0
    finally:
        node.close()
    return node


def test_the_example_config_validates_for_both_modes():
    import subprocess
    import sys

    for mode in ("live", "sandbox"):
        proc = subprocess.run(
            [sys.executable, "-m", "arb", mode, "run", str(EXAMPLE), "--dry-run"],
            capture_output=True, text=True, timeout=60, env={**os.environ, **ENV},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "strategy nvda (scalp): NVDAUSDT-PERP.BITGET, xyz:NVDA-USD-PERP.HYPERLIQUID" in proc.stdout
        assert "venue BITGET: data BitgetLiveDataClientFactory" in proc.stdout
        if mode == "live":  # credentials are named and checked for presence, never shown
            assert (
                "credential BITGET_API_PASSPHRASE: present" in proc.stdout and PASSPHRASE not in proc.stdout
            )


def test_sandbox_node_finds_the_dislocation_with_live_data_from_both_fronts(tmp_path):
    with Sims() as sims:
        run_node(tmp_path, sims, "sandbox")
        assert sims.fills() == []  # sandbox: neither venue saw an order
    session = session_dir(tmp_path)
    trades = pd.read_parquet(session / "trades.parquet")
    assert len(trades) == 1
    t = trades.iloc[0]
    assert (t.long_instrument, t.short_instrument, t.exit_reason) == (HL_ID, BG_ID, "take_profit")
    assert t.expected_edge_bps > 30
    summary = json.loads((session / "summary.json").read_text())
    assert summary["mode"] == "sandbox" and summary["strategies"]["ScalpStrategy-nvda"]["trades"] == 1


def test_live_node_trades_both_venues_and_pnl_matches_the_venue_records(tmp_path):
    with Sims() as sims:
        node = run_node(tmp_path, sims, "live")
        fills = sims.fills()
        positions = sims.positions()
    assert len(fills) == 4 and {f.market for f in fills} == {HL_NVDA, BG_NVDA}
    assert positions == {}  # both legs flat on both venues
    for text in [node.text(), *(f.read_text(errors="replace") for f in (tmp_path / "logs").glob("*"))]:
        for secret in (KEY[2:], API_KEY, API_SECRET, PASSPHRASE):
            assert secret not in text
    trades = pd.read_parquet(session_dir(tmp_path) / "trades.parquet")
    assert len(trades) == 1
    t = trades.iloc[0]
    # The venues' own account of the round trip: cash in and out of both legs, fees as charged
    # (USDC on Hyperliquid, USDT on Bitget: both count 1:1 in the strategy's USD ledger).
    sign = {"SELL": 1, "BUY": -1}
    cash = sum((f.price * f.size * sign[f.side.name] for f in fills), Decimal(0))
    fees = sum((f.fee for f in fills), Decimal(0))
    realized = sum((f.closed_pnl for f in fills), Decimal(0))
    assert cash == realized  # the simulators' realized PnL agrees with the cash flows
    assert t.pnl_trading == pytest.approx(float(cash), abs=1e-6)
    assert t.fees == pytest.approx(float(fees), abs=1e-6)
    assert t.net == pytest.approx(float(cash - fees), abs=1e-6)
    bg_entry = next(f for f in fills if f.market == BG_NVDA and f.side.name == "SELL")
    hl_entry = next(f for f in fills if f.market == HL_NVDA and f.side.name == "BUY")
    assert (bg_entry.price - hl_entry.price) / hl_entry.price > Decimal(
        "0.003"
    )  # the dislocation was captured
