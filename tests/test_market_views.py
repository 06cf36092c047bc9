"""Catalog views for the funding and spread notebooks, on the synthetic catalog of the mixed runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_runs import mixed_runs

from backtests import market_views as mv
from backtests.analysis import load_results
from catalog.registry import default_registry
from catalog.store import open_catalog

HL, BY = "BTC-USD-PERP.HYPERLIQUID", "BTCUSDT-LINEAR.BYBIT"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return mixed_runs(tmp_path_factory)


@pytest.fixture(scope="module")
def updates(runs) -> pd.DataFrame:
    return mv.funding_updates(open_catalog(runs.catalog))


def test_funding_is_normalised_per_hour_from_each_venues_interval(updates):
    intervals = updates.groupby("venue")["interval_hours"].unique().map(list).to_dict()
    assert intervals == {"HYPERLIQUID": [1.0], "BYBIT": [8.0], "BITGET": [8.0], "ASTER": [4.0]}
    assert np.allclose(updates["rate_per_hour"], updates["rate"] / updates["interval_hours"])
    assert np.allclose(updates["apr"], updates["rate_per_hour"] * 24 * 365)
    assert str(updates["ts"].dt.tz) == "UTC" and (updates["next_funding_ts"] > updates["ts"]).all()


def test_settled_rate_is_the_rate_the_backtest_paid(updates, runs):
    settled = mv.settled_funding(updates).set_index(["instrument_id", "next_funding_ts"])
    payments = load_results(runs.a).funding_payments
    assert len(payments) > 0
    for p in payments.itertuples(index=False):
        assert settled.loc[(p.instrument_id, p.ts_event), "rate"] == pytest.approx(float(p.rate), abs=1e-12)


def test_hourly_differentials_are_differences_of_venue_aprs(updates):
    hourly = mv.hourly_apr(updates)
    assert hourly.index.freq == "h" and hourly.notna().all().all()
    d = mv.funding_differentials(hourly, "BTC")
    assert list(d.columns) == ["BITGET - BYBIT", "BITGET - HYPERLIQUID", "BYBIT - HYPERLIQUID"]
    assert np.allclose(d["BYBIT - HYPERLIQUID"], hourly[("BTC", "BYBIT")] - hourly[("BTC", "HYPERLIQUID")])
    m = mv.differential_matrix(hourly, "BTC")
    assert np.allclose(m.to_numpy(), -m.to_numpy().T) and np.allclose(np.diag(m), 0)
    assert m.loc["BYBIT", "HYPERLIQUID"] == pytest.approx(d["BYBIT - HYPERLIQUID"].mean())


def quotes(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["ts", "bid", "ask"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df["mid"] = (df["bid"] + df["ask"]) / 2
    return df


def test_cross_venue_spread_uses_each_venues_latest_quote_on_a_grid():
    a = quotes([("2025-01-01 00:00:00.2", 99.0, 101.0), ("2025-01-01 00:00:02.5", 100.0, 102.0),
                ("2025-01-01 00:00:03.4", 100.0, 102.0)])  # fmt: skip
    b = quotes([("2025-01-01 00:00:00.7", 102.0, 104.0), ("2025-01-01 00:00:03.0", 101.0, 103.0)])
    s = mv.cross_venue_spread(a, b, every="1s")
    assert s["ts"].dt.strftime("%S").tolist() == ["01", "02", "03"]
    # from when both have quoted to when the first stops: at :01 and :02 A shows 99/101 and B 102/104;
    # at :03 A 100/102 and B 101/103
    assert s["edge_ab_bps"].tolist() == pytest.approx([(102 / 101 - 1) * 1e4] * 2 + [(101 / 102 - 1) * 1e4])
    assert s["edge_ba_bps"].tolist() == pytest.approx([(99 / 104 - 1) * 1e4] * 2 + [(100 / 103 - 1) * 1e4])
    assert s["best_bps"].tolist() == pytest.approx(np.maximum(s["edge_ab_bps"], s["edge_ba_bps"]).tolist())


def test_catalog_spread_cannot_pay_both_ways_at_once(runs):
    catalog = open_catalog(runs.catalog)
    a, b = mv.quotes(catalog, HL), mv.quotes(catalog, BY)
    assert len(a) > 1000 and (a["ask"] > a["bid"]).all()
    s = mv.cross_venue_spread(a, b, every="5s")
    assert len(s) > 1000
    # buying A and selling B, then the reverse, always loses both venues' quoted spreads
    assert ((1 + s["edge_ab_bps"] / 1e4) * (1 + s["edge_ba_bps"] / 1e4) < 1).all()
    fees = mv.round_trip_taker_bps(default_registry(), HL, BY, int(a["ts"].iloc[0].value))
    assert fees == pytest.approx(2 * (4.5 + 5.5))
    stats = mv.spread_stats({"BTC": s}, {"BTC": fees}).loc["BTC"]
    assert stats["samples"] == len(s)
    assert stats["share_above_threshold_pct"] == pytest.approx((s["best_bps"] > fees).mean() * 100)
    assert stats["p50_best_bps"] <= stats["p99_best_bps"] <= stats["max_best_bps"]
