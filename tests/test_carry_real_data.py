"""Carry on real funding settlements: Hyperliquid (hourly), Bybit and Binance (8-hourly) BTC perps from
`shared/data/zushen_funding`, 2025-09-01 .. 2025-11-01.

Price proxy (documented): the files carry Binance's mark price at each 8-hour settlement and nothing for
the other venues, so all three venues quote that price, linearly interpolated to hourly points, with a
1 bp spread. Basis PnL is therefore zero by construction; the test is about funding: every
`FundingPayment` must equal the venue-reported rate for that settlement x the position notional.
"""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from support import quote
from support import run

from catalog.loaders import load_funding
from catalog.loaders import load_into_catalog
from catalog.registry import default_registry
from catalog.store import open_catalog

START, END = pd.Timestamp("2025-09-01", tz="UTC"), pd.Timestamp("2025-11-01", tz="UTC")
LEGS = {
    "BTC-USD-PERP.HYPERLIQUID": "venue=hyperliquid",
    "BTCUSDT-LINEAR.BYBIT": "venue=bybit",
    "BTCUSDT-PERP.BINANCE": "venue=binance",
}


def _file(shared_data, folder: str):
    return next((shared_data / "zushen_funding" / folder).glob("*.parquet"))


@pytest.fixture(scope="module")
def real_run(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    catalog = open_catalog(root / "catalog", must_exist=False)
    reported: dict[str, dict[int, Decimal]] = {}
    for instrument_id, folder in LEGS.items():
        result = load_funding(_file(shared_data, folder), instrument_id, format="zushen")
        kept = [u for u in result.objects if START.value <= u.ts_event < END.value]
        reported[instrument_id] = {u.ts_event: Decimal(u.rate) for u in kept}
        load_into_catalog(catalog, kept, instrument=result.instrument)
    # price proxy: Binance's mark at its settlements, interpolated hourly
    marks = pd.read_parquet(_file(shared_data, "venue=binance"))
    marks = marks[
        (marks.venue_symbol == "BTCUSDT") & (marks.settlement_ts >= START) & (marks.settlement_ts <= END)
    ]
    hours = pd.date_range(START, END, freq="1h", inclusive="left")
    proxy = np.interp(
        hours.asi8,
        marks.settlement_ts.astype("int64").to_numpy() * (1 if marks.settlement_ts.dt.unit == "ns" else 1000),
        marks.mark_price.to_numpy(),
    )
    registry = default_registry()
    quotes = []
    for instrument_id in LEGS:
        market = registry.market_for(instrument_id)
        for t, price in zip(hours.asi8, proxy, strict=True):
            mid = Decimal(repr(float(price))).quantize(market.tick)
            half = (mid * Decimal("0.00005")).quantize(market.tick) or market.tick
            quotes.append(quote(instrument_id, int(t), str(mid - half), str(mid + half), size="1000"))
    catalog.write_data(sorted(quotes, key=lambda q: q.ts_init))
    strategy = {
        "kind": "carry",
        "name": "carry",
        "pairs": [
            {"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]},
            {"asset": "BTC", "venues": ["HYPERLIQUID", "BINANCE"]},
            {"asset": "BTC", "venues": ["BYBIT", "BINANCE"]},
        ],
        "tier": 1,
        "capital_fraction": 0.5,
        "horizon_hours": 168,
        "min_yield_bps": 5,
        "min_hold_hours": 24,
        "exit_after_intervals": 6,
        "use_predicted": False,
        "heartbeat_minutes": 0,
        "flash_crash_pct": None,
        "guards": {
            "max_quote_age_ms": 3 * 3_600_000,
            "kill_drawdown_pct": None,
            "kill_after_consecutive_losses": None,
        },
    }
    venues = {v: {"balance": "100000"} for v in ("HYPERLIQUID", "BYBIT", "BINANCE")}
    outcome = run(root / "catalog", root / "results", venues, [strategy])
    return outcome, reported


def test_every_funding_payment_is_the_venue_reported_rate_times_the_position_notional(real_run):
    outcome, reported = real_run
    payments = pd.read_parquet(outcome.results_dir / "funding_payments.parquet")
    assert len(payments) > 50
    for p in payments.itertuples():
        ts = int(pd.Timestamp(p.ts_event).value) if not isinstance(p.ts_event, int) else p.ts_event
        rate = reported[p.instrument_id][ts]
        assert Decimal(p.rate) == rate
        expected = (-Decimal(p.position_quantity) * Decimal(p.mark_price) * rate).quantize(Decimal("1e-8"))
        assert Decimal(p.amount) == expected


def test_real_data_run_summary(real_run, artifacts):
    outcome, _ = real_run
    s = outcome.summary
    strategy = s["strategies"]["CarryStrategy-carry"]
    record = {
        "period": f"{START.date()} .. {END.date()}",
        "trades_closed": strategy["trades"],
        "open_pairs": strategy["open_pairs"],
        "funding_accrued": strategy["funding_accrued"],
        "fees": s["pnl"]["fees"],
        "trading": s["pnl"]["trading"],
        "net": s["pnl"]["net"],
        "pairs": strategy["pairs"],
    }
    (artifacts / "carry_real_data_summary.json").write_text(json.dumps(record, indent=2, default=str))
    assert strategy["trades"] + strategy["open_pairs"] >= 1
    assert s["pnl"]["funding"] == pytest.approx(
        strategy["funding_accrued"] + strategy["unattributed_funding"], abs=1e-6
    )
    for venue in s["pnl_by_venue"].values():
        assert venue["account"]["difference"] == pytest.approx(0, abs=1e-6)
