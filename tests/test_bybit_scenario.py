"""The spot-futures seed on Bybit: scalp on the spot-perp basis and carry long-spot/short-perp, in a
backtest over a catalog (the example config `backtests/configs/bybit_spot_perp.toml`), and in sandbox
and live nodes (real `arb sandbox|live run` processes) against the venuesim Bybit front."""

from __future__ import annotations

import contextlib
import time
import tomllib
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from live_support import NodeProcess
from live_support import session_dir
from live_support import write_toml

from backtests.config import parse_config
from backtests.runner import run_backtest
from catalog.synth import AssetSpec
from catalog.synth import SynthParams
from catalog.synth import generate
from venuesim.fronts.bybit import create
from venuesim.fronts.bybit import registry_markets
from venuesim.server import SimThread

ROOT = Path(__file__).parent.parent
CONFIG = ROOT / "backtests" / "configs" / "bybit_spot_perp.toml"
SPOT, PERP = "BTCUSDT-SPOT.BYBIT", "BTCUSDT-LINEAR.BYBIT"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    """One synthetic day of Bybit BTC spot and perp: dislocations to scalp, a funding rate worth carrying."""
    path = tmp_path_factory.mktemp("bybit") / "catalog"
    btc = AssetSpec("BTC", 95_000.0, 0.55, ("BYBIT",), spots=("BYBIT",), funding_mean_bps_8h=8.0)
    generate(path, SynthParams(days=1.0, assets=(btc,), dislocations_per_day=30))
    return path


def table(outcome, name: str) -> pd.DataFrame:
    return pd.read_parquet(outcome.results_dir / f"{name}.parquet")


def test_backtest_scalps_the_basis_and_carries_long_spot_short_perp(catalog, tmp_path):
    raw = tomllib.loads(CONFIG.read_text())
    raw["backtest"].update(catalog=str(catalog), results=str(tmp_path), progress=False)
    outcome = run_backtest(parse_config(raw))
    trades = table(outcome, "trades")
    scalp, carry = trades[trades.kind == "scalp"], trades[trades.kind == "carry"]
    assert len(scalp) >= 3
    # spot is only ever bought to open: every basis trade is long spot, short perp
    assert set(zip(scalp.long_instrument, scalp.short_instrument, strict=True)) == {(SPOT, PERP)}
    assert len(carry) == 1 and (carry.long_instrument.iloc[0], carry.short_instrument.iloc[0]) == (SPOT, PERP)
    # funding is settled on the perp only, and the short receives the positive rate
    payments = table(outcome, "funding_payments")
    assert set(payments.instrument_id) == {PERP} and len(payments) == 2
    assert all(
        Decimal(q) < 0 and Decimal(a) > 0
        for q, a in zip(payments.position_quantity, payments.amount, strict=True)
    )
    ledger = table(outcome, "carry_ledger")
    assert ledger.accrued.sum() == pytest.approx(float(sum(Decimal(a) for a in payments.amount)), abs=1e-6)
    assert outcome.summary["pnl"]["funding"] == pytest.approx(ledger.accrued.sum(), abs=1e-6)
    fills = table(outcome, "fills")
    assert set(fills.instrument_id) == {SPOT, PERP}


def test_example_config_validates(catalog, tmp_path):
    raw = tomllib.loads(CONFIG.read_text())
    raw["backtest"].update(catalog=str(catalog), results=str(tmp_path))
    config = parse_config(raw)
    assert [s.kind.name for s in config.strategies] == ["scalp", "carry"]
    assert list(config.venues) == ["BYBIT"]


# -- sandbox and live nodes against the venuesim Bybit front ----------------------------------------------
KEY, SECRET, UID = "scenarioKey7007", "scenarioSecret7007xyz", "7007"
ENV = {"BYBIT_TESTNET_API_KEY": KEY, "BYBIT_TESTNET_API_SECRET": SECRET}
WARM = r"warm-up BTC BYBIT:spot/BYBIT: 5/5 samples - trading"


@contextlib.contextmanager
def bybit_sim(**kwargs):
    """The registry's Bybit markets; the BTC perp tied to spot with a basis that stays where it is put."""
    markets = [
        {**m, "vol_bps": 0.2, "basis_reversion": 0.0, "basis_noise_bps": 0.0} for m in registry_markets()
    ]
    sim = create(
        markets=markets,
        accounts=[{"uid": UID, "api_key": KEY, "api_secret": SECRET}],
        tick_secs=0.1,
        **kwargs,
    )
    with SimThread(sim):
        yield sim


def node_doc(tmp: Path, sim, strategy: dict, **venue) -> dict:
    return {
        "node": {"name": "bybit", "log_dir": str(tmp / "logs"), "results": str(tmp / "sessions"),
                 "status_interval_s": 2.0, "stop_timeout_s": 20.0},
        "venues": {"BYBIT": {"testnet": True, "base_url_http": sim.http_url, "balance": "100000",
                             "latency_ms": 10, **venue}},
        "strategies": [strategy],
    }  # fmt: skip


def scalp_config() -> dict:
    return {
        "kind": "scalp", "name": "scalp", "quantity": "0.01", "warmup": 5, "window": 30,
        "trigger_update_samples": 1, "sample_interval_ms": 200, "entry_bps": 10.0, "trigger_k_bps": 5.0,
        "heartbeat_minutes": 0, "max_hold_s": 600.0,
        "pairs": [{"asset": "BTC", "venues": ["BYBIT:spot", "BYBIT:perp"]}],
    }  # fmt: skip


def carry_config() -> dict:
    return {
        "kind": "carry", "name": "carry", "tier": 1, "capital_fraction": 0.02, "horizon_hours": 72,
        "min_yield_bps": 5, "min_hold_hours": 0, "startup_grace_minutes": 0, "check_interval_s": 1,
        "rebalance_minutes": 0.05,
        "heartbeat_minutes": 0, "flash_crash_pct": "none",
        "pairs": [{"asset": "BTC", "venues": ["BYBIT:spot", "BYBIT:perp"]}],
    }  # fmt: skip


def venue_fills(sim) -> list:
    return sim.call(lambda ex: list(ex.accounts[UID].fills) if UID in ex.accounts else [], sim.exchange)


def venue_position(sim) -> Decimal:
    return sim.call(lambda ex: ex.accounts[UID].position("linear:BTCUSDT").szi, sim.exchange)


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("mode", ["sandbox", "live"])
def test_node_scalps_an_engineered_basis_dislocation(tmp_path, mode):
    with bybit_sim() as sim:
        config = write_toml(tmp_path / "node.toml", node_doc(tmp_path, sim, scalp_config()))
        node = NodeProcess(config, mode, tmp_path / "node.out", duration=20, env=ENV)
        try:
            node.wait_for(WARM, 60)
            sim.shift("linear:BTCUSDT", 60)  # the perp gets dear: buy spot, sell perp
            node.wait_for(r"opened SBTC-\S+: long BTCUSDT-SPOT\.BYBIT", 20)
            sim.set_mid("linear:BTCUSDT", sim.state()["markets"]["spot:BTCUSDT"]["mid"])  # the basis closes
            node.wait_for(r"closed SBTC-\S+ \(take_profit", 20)
            assert node.wait(60) == 0
        finally:
            node.close()
        fills = venue_fills(sim)
        position = venue_position(sim)
    text = node.text() + "".join(f.read_text(errors="replace") for f in (tmp_path / "logs").glob("*"))
    assert SECRET not in text
    trades = pd.read_parquet(session_dir(tmp_path) / "trades.parquet")
    assert len(trades) == 1
    t = trades.iloc[0]
    assert (t.long_instrument, t.short_instrument, t.exit_reason) == (SPOT, PERP, "take_profit")
    if mode == "sandbox":
        assert fills == []  # the venue saw no orders
    else:
        assert {f.market for f in fills} == {"spot:BTCUSDT", "linear:BTCUSDT"} and len(fills) >= 4
        assert position == 0  # the perp leg is flat on the venue


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("mode", ["sandbox", "live"])
def test_node_carries_long_spot_short_perp_and_books_funding(tmp_path, mode):
    with bybit_sim() as sim:
        sim.set_funding_rate("linear:BTCUSDT", "0.001")  # 10 bps per 8 h: shorts are paid
        doc = node_doc(tmp_path, sim, carry_config(), funding_every_s=3)
        config = write_toml(tmp_path / "node.toml", doc)
        node = NodeProcess(config, mode, tmp_path / "node.out", duration=16, env=ENV)
        try:
            node.wait_for(r"opened CBTC-\S+: long BTCUSDT-SPOT\.BYBIT", 60)
            if mode == "live":
                for _ in range(2):
                    sim.settle_funding("linear:BTCUSDT")  # the venue settles; the node hears it
                    time.sleep(1.0)
                node.wait_for(
                    r"Funding BTCUSDT-LINEAR\.BYBIT: \d+\.\d+ USDT \(rate 0\.001, position -0\.\d+", 20
                )
            assert node.wait(90) == 0
        finally:
            node.close()
        position = venue_position(sim)
    session = session_dir(tmp_path)
    trades = pd.read_parquet(session / "trades.parquet")
    t = trades.iloc[0]
    assert (t.long_instrument, t.short_instrument) == (SPOT, PERP)
    ledger = pd.read_parquet(session / "carry_ledger.parquet")
    assert len(ledger) >= 1 and (ledger.accrued > 0).all()  # the short perp is paid
    assert t.funding == pytest.approx(ledger.accrued.sum(), abs=1e-6)
    if mode == "live":
        assert position == 0  # flattened on stop
