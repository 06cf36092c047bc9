"""Real backtest results for the analysis tests (loader, report, browser, notebooks), built once per
test session and shared by the xdist workers (a file lock; the first worker builds, the others wait).

* `mixed_runs`: a one-day synthetic catalog (BTC, ETH, SOL on four venues) and two runs of scalp +
  carry on it: `a` as configured below, `b` the same with a stricter scalp entry (fewer trades).
* `orphan_run`: a hand-made scene where one scalp leg cannot fill and the other is rolled back
  (the scene of test_scalp's roll-back test): known roll-back price loss and fees.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from support import SECOND
from support import quote
from support import quotes
from support import run
from support import step
from support import ts
from support import write_catalog

ASSETS = ("BTC", "ETH", "SOL")
VENUES = {v: {"balance": "100000", "leverage": 5} for v in ("HYPERLIQUID", "BITGET", "BYBIT", "ASTER")}
SCALP = {
    "kind": "scalp",
    "name": "scalp",
    "notional_usd": 10000,
    "entry_bps": 15,
    "trigger_k_bps": 5,
    "warmup": 120,
    "window": 600,
    "heartbeat_minutes": 0,
    "pairs": [
        {"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]},
        {"asset": "BTC", "venues": ["BYBIT:spot", "BYBIT:perp"]},
        {"asset": "ETH", "venues": ["HYPERLIQUID", "BITGET"]},
        {"asset": "SOL", "venues": ["BITGET", "ASTER"]},
    ],
    "guards": {"cooldown_s": 30},
}
CARRY = {
    "kind": "carry",
    "name": "carry",
    "tier": 3,
    "capital_fraction": 0.3,
    "horizon_hours": 120,
    "min_yield_bps": 1,
    "min_hold_hours": 4,
    "startup_grace_minutes": 10,
    "heartbeat_minutes": 0,
    "pairs": [
        {"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]},
        {"asset": "ETH", "venues": ["HYPERLIQUID", "BITGET"]},
        {"asset": "SOL", "venues": ["HYPERLIQUID", "ASTER"]},
    ],
}
STRICT_ENTRY_BPS = 25


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder all xdist workers of this session share (the session's own temp folder otherwise)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "analysis-shared"
    folder.mkdir(exist_ok=True)
    return folder


def build_once(folder: Path, build: Callable[[Path], dict]) -> dict:
    """Run `build(folder)` once across processes; every caller gets what it returned (JSON)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "built.json"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                done.write_text(json.dumps(build(folder)))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return json.loads(done.read_text())


@dataclass(frozen=True)
class MixedRuns:
    catalog: Path
    a: Path
    b: Path


def mixed_runs(tmp_path_factory: pytest.TempPathFactory) -> MixedRuns:
    def build(folder: Path) -> dict:
        from catalog.synth import DEFAULT_ASSETS
        from catalog.synth import SynthParams
        from catalog.synth import generate

        catalog = folder / "catalog"
        generate(catalog, SynthParams(days=1.0, assets=tuple(a for a in DEFAULT_ASSETS if a.asset in ASSETS)))
        a = run(catalog, folder / "results", VENUES, [SCALP, CARRY], name="mixed")
        strict = {**SCALP, "entry_bps": STRICT_ENTRY_BPS}
        b = run(catalog, folder / "results", VENUES, [strict, CARRY], name="mixed-strict")
        return {"catalog": str(catalog), "a": str(a.results_dir), "b": str(b.results_dir)}

    paths = build_once(shared_dir(tmp_path_factory) / "mixed", build)
    return MixedRuns(Path(paths["catalog"]), Path(paths["a"]), Path(paths["b"]))


# -- the roll-back scene (see test_scalp.test_unfilled_leg_is_flattened_at_market_with_its_cost_recorded)
HL = "BTC-USD-PERP.HYPERLIQUID"
BY = "BTCUSDT-LINEAR.BYBIT"
T0 = ts("2025-01-01T00:00:00")
QTY = Decimal("0.1")
# Sold 0.1 on Bybit at 100495, bought back at 100505: price loss 1.0; Bybit taker fee 5.5 bps on both.
ORPHAN_PRICE_LOSS = (Decimal(100505) - Decimal(100495)) * QTY
ORPHAN_FEES = (Decimal(100495) + Decimal(100505)) * QTY * Decimal("0.00055")


def at(seconds: float) -> int:
    return T0 + int(seconds * SECOND)


def orphan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def build(folder: Path) -> dict:
        end = at(290)
        bybit = [step(T0, 100000, 5), step(at(120.5), 100500, 5), step(at(300.5), 100000, 5)]
        hl = [step(T0, 100000, 5), step(at(120.55), 100600, 5)]
        data = [quote(HL, at(120.55), "100595", "100605")]
        data += quotes(HL, T0, end, hl, every=SECOND)
        data += quotes(BY, T0 + SECOND // 2, end, bybit, every=SECOND)
        catalog = write_catalog(folder / "catalog", (HL, BY), data, T0)
        scalp = {
            "kind": "scalp",
            "name": "scalp",
            "pairs": [{"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]}],
            "quantity": str(QTY),
            "warmup": 20,
            "window": 60,
            "trigger_update_samples": 5,
            "entry_bps": 15.0,
            "slippage_bps": 1.0,
            "trigger_k_bps": 5.0,
            "heartbeat_minutes": 0,
            "execution": {"max_retries": 0},
            "guards": {"cooldown_s": 0, "kill_after_consecutive_losses": None, "kill_drawdown_pct": None},
        }
        venues = {
            "HYPERLIQUID": {"balance": "1000000", "latency_ms": 100},
            "BYBIT": {"balance": "1000000", "latency_ms": 5},
        }
        outcome = run(catalog, folder / "results", venues, [scalp], name="orphan")
        return {"results": str(outcome.results_dir)}

    return Path(build_once(shared_dir(tmp_path_factory) / "orphan", build)["results"])
