"""The spot-futures seed on Bybit: scalp on the spot-perp basis and carry long-spot/short-perp, in a
backtest over a catalog (the example config `backtests/configs/bybit_spot_perp.toml`)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from backtests.config import parse_config
from backtests.runner import run_backtest
from catalog.synth import AssetSpec
from catalog.synth import SynthParams
from catalog.synth import generate

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
