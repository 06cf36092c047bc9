"""The simulated venues charge the registry's dated fees and honour the configured latency."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from support import MINUTE
from support import SECOND
from support import quotes
from support import run
from support import step
from support import ts
from support import write_catalog

KRAKEN = "BTC/USD.KRAKEN"
HL = "BTC-USD-PERP.HYPERLIQUID"


def test_a_fill_pays_the_fee_schedule_in_force_on_its_date(tmp_path):
    t0 = ts("2024-05-31T00:00")
    data = quotes(KRAKEN, t0, t0 + 3 * 24 * 60 * MINUTE, [step(t0, "60000", "0.5")], every=10 * MINUTE)
    catalog = write_catalog(tmp_path / "c", [KRAKEN], data, t0)
    orders = [
        {"at": "2024-05-31T12:00:00Z", "instrument": KRAKEN, "side": "BUY", "quantity": "0.01"},
        {"at": "2024-06-02T12:00:00Z", "instrument": KRAKEN, "side": "SELL", "quantity": "0.01"},
    ]
    outcome = run(
        catalog,
        tmp_path / "r",
        {"KRAKEN": {"balance": "100000", "latency_ms": 5}},
        [{"kind": "scripted", "orders": orders}],
    )
    fills = pd.read_parquet(outcome.results_dir / "fills.parquet").sort_values("ts_event")
    commissions = [Decimal(c.split()[0]) for c in fills.commission]
    # taker 26 bps before 2024-06-01, 40 bps after (Kraken's schedule change)
    assert commissions == [
        (Decimal("0.01") * Decimal("60000.5") * Decimal("0.0026")).quantize(Decimal("0.01")),
        (Decimal("0.01") * Decimal("59999.5") * Decimal("0.0040")).quantize(Decimal("0.01")),
    ]


@pytest.mark.parametrize(("latency_ms", "fill_price"), [(5, "100105"), (1500, "100205")])
def test_orders_reach_the_venue_after_its_latency(tmp_path, latency_ms, fill_price):
    t0 = ts("2025-01-01T00:00")
    steps = [step(t0, 100000, 5), step(t0 + 11 * SECOND, 100100, 5), step(t0 + 12 * SECOND, 100200, 5)]
    catalog = write_catalog(tmp_path / "c", [HL], quotes(HL, t0, t0 + 60 * SECOND, steps, every=SECOND), t0)
    orders = [{"at": "2025-01-01T00:00:10Z", "instrument": HL, "side": "BUY", "quantity": "0.01"}]
    outcome = run(
        catalog,
        tmp_path / "r",
        {"HYPERLIQUID": {"balance": "100000", "latency_ms": latency_ms}},
        [{"kind": "scripted", "orders": orders}],
    )
    fills = pd.read_parquet(outcome.results_dir / "fills.parquet")
    assert list(fills.last_px) == [fill_price]
