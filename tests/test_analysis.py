"""The results loader and run comparison on real backtest results: what the frames hold must be what
the summary (reconciled with the venues' accounts) says."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pandas as pd
import pytest
from analysis_runs import ORPHAN_FEES
from analysis_runs import ORPHAN_PRICE_LOSS
from analysis_runs import STRICT_ENTRY_BPS
from analysis_runs import mixed_runs
from analysis_runs import orphan_run

from backtests import performance as perf
from backtests import results as results_module
from backtests import tables
from backtests.analysis import Results
from backtests.analysis import compare
from backtests.analysis import config_diff
from backtests.analysis import find_results
from backtests.analysis import load_results


def q8(x: Decimal) -> float:
    """As the summary stores money: a float of the value rounded to 8 places."""
    return float(round(x, 8))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return mixed_runs(tmp_path_factory)


@pytest.fixture(scope="module")
def a(runs) -> Results:
    return load_results(runs.a)


@pytest.fixture(scope="module")
def b(runs) -> Results:
    return load_results(runs.b)


def test_load_is_reexported_from_the_results_module(runs):
    r = results_module.load(runs.a)
    assert isinstance(r, Results) and r.summary == load_results(runs.a).summary


def test_every_table_the_run_wrote_is_loaded_and_the_counts_match_the_summary(a):
    assert a.present == set(a.summary["tables"])
    counts = a.summary["counts"]
    assert len(a.orders) == counts["orders"]
    assert len(a.fills) == counts["fills"]
    assert len(a.funding_payments) == counts["funding_payments"]
    assert len(a.positions) == counts["positions"]
    s = a.summary["strategies"]
    assert len(a.trades) == sum(x["trades"] + x["open_pairs"] for x in s.values())
    assert len(a.leg_risk) == sum(x["executions"] for x in s.values())


def test_money_columns_are_exact_decimals_and_times_utc(a):
    for frame, cols in (
        (a.account, ("total", "free", "locked")),
        (a.fills, ("last_qty", "last_px", "commission")),
        (a.funding_payments, ("amount", "rate", "mark_price", "position_quantity")),
    ):
        for col in cols:
            assert all(isinstance(v, Decimal) for v in frame[col]), col
    times = ((a.account, "ts"), (a.fills, "ts_event"), (a.funding_payments, "ts_event"),
             (a.trades, "entry_ts"), (a.leg_risk, "ts_submit"), (a.carry_ledger, "ts"))  # fmt: skip
    for frame, col in times:
        assert str(frame[col].dt.tz) == "UTC", col


def test_funding_payments_per_venue_add_up_to_the_summary(a):
    by_venue = perf.funding_by_venue(a.funding_payments)
    assert by_venue, "the run must have settled funding"
    for venue, d in a.summary["pnl_by_venue"].items():
        assert q8(by_venue.get(venue, Decimal(0))) == d["funding"], venue


def test_fill_commissions_per_venue_add_up_to_the_summary_fees(a):
    for venue, d in a.summary["pnl_by_venue"].items():
        fees = sum(a.fills.loc[a.fills["venue"] == venue, "commission"], Decimal(0))
        assert q8(fees) == pytest.approx(d["fees"], abs=1e-8), venue


def test_account_history_moves_exactly_as_the_reconciled_accounts(a):
    changes = perf.account_changes(a.account)
    for venue, d in a.summary["pnl_by_venue"].items():
        assert q8(changes[venue]) == d["account"]["account_change"], venue
        assert d["account"]["difference"] == 0
    equity = perf.equity_curve(a.account)
    assert list(equity.columns) == [*sorted(a.summary["pnl_by_venue"]), "total"]
    assert equity["total"].iloc[-1] - equity["total"].iloc[0] == pytest.approx(
        float(sum(changes.values())), abs=1e-6
    )
    assert equity["total"].iloc[0] == pytest.approx(float(a.starting_capital))


def test_attribution_adds_up_to_net_and_pairs_explain_all_realised_trading(a):
    attribution = perf.pnl_attribution(a.summary, a.trades, a.leg_risk, a.fills)
    parts = [c for c in perf.ATTRIBUTION_COLUMNS if c != "net"]
    for sid, d in a.summary["pnl_by_strategy"].items():
        row = attribution.loc[sid]
        assert row[parts].sum() == pytest.approx(d["net"], abs=1e-6)
        assert row["fees"] == pytest.approx(-d["fees"]) and row["funding"] == pytest.approx(d["funding"])
        # closed pairs' price PnL covers everything realised: what is left is the open positions' marks,
        # which are the open pairs' own marks
        assert row["open_and_other"] == pytest.approx(d["unrealized"], abs=1e-6), sid
        open_pairs = a.trades[(a.trades["strategy_id"] == sid) & a.trades["exit_ts"].isna()]
        assert row["open_and_other"] == pytest.approx(open_pairs["pnl_trading"].sum(), abs=1e-6), sid
    assert attribution.loc["total", "net"] == pytest.approx(a.summary["pnl"]["net"], abs=1e-6)
    scalp = a.strategies_of_kind("scalp")[0]
    carry = a.strategies_of_kind("carry")[0]
    assert attribution.loc[scalp, "spread_capture"] > 0 and attribution.loc[scalp, "basis"] == 0
    assert attribution.loc[carry, "spread_capture"] == 0 and attribution.loc[carry, "slippage"] == 0


def test_trade_stats_agree_with_the_strategies_own_counts(a):
    for sid, s in a.summary["strategies"].items():
        stats = perf.trade_stats(a.trades[a.trades["strategy_id"] == sid])
        assert (stats["closed"], stats["open"]) == (s["trades"], s["open_pairs"])
        assert (stats["wins"], stats["losses"]) == (s["wins"], s["losses"])
        assert stats["net_closed"] == pytest.approx(s["net_pnl_closed"], abs=1e-4)


def test_leg_risk_stats_agree_with_the_strategies_own_counts(a):
    for sid, s in a.summary["strategies"].items():
        stats = perf.leg_risk_stats(a.leg_risk[a.leg_risk["strategy_id"] == sid])
        assert stats["executions"] == s["executions"] and stats["orphans"] == s["orphans"]
        assert stats["flatten_cost"] == pytest.approx(s["flatten_cost"], abs=1e-6)
        mine = a.leg_risk[a.leg_risk["strategy_id"] == sid]
        entries = perf.leg_risk_stats(mine[mine["purpose"] == "entry"])  # the summary's latency is of entries
        assert entries["hedge_latency_ms_max"] == pytest.approx(s["hedge_latency_ms_max"], abs=1e-3)
        assert entries["hedge_latency_ms_mean"] == pytest.approx(s["hedge_latency_ms_mean"], abs=1e-3)


def test_funding_ledger_agrees_with_the_carry_summary(a):
    carry = a.summary["strategies"][a.strategies_of_kind("carry")[0]]
    ledger = perf.funding_ledger(a.carry_ledger, a.trades)
    assert ledger["predicted"].sum() == pytest.approx(carry["funding_predicted"], abs=1e-4)
    assert ledger["accrued"].sum() == pytest.approx(carry["funding_accrued"], abs=1e-4)
    assert ledger["realised"].sum() == pytest.approx(carry["funding_realized"], abs=1e-4)
    cumulative = perf.cumulative_funding(a.carry_ledger, a.trades)
    assert cumulative["accrued"].iloc[-1] == pytest.approx(carry["funding_accrued"], abs=1e-4)
    assert cumulative["realised"].iloc[-1] == pytest.approx(carry["funding_realized"], abs=1e-4)
    assert cumulative["realised"].is_monotonic_increasing or carry["funding_realized"] < 0


def test_roll_back_cost_is_split_into_price_loss_and_fees(tmp_path_factory):
    r = load_results(orphan_run(tmp_path_factory))
    rollbacks = perf.rollback_costs(r.leg_risk, r.fills)
    assert len(rollbacks) == 1
    row = rollbacks.iloc[0]
    assert row["flatten_cost"] == pytest.approx(float(ORPHAN_PRICE_LOSS + ORPHAN_FEES), abs=1e-9)
    assert row["rollback_fees"] == pytest.approx(float(ORPHAN_FEES), abs=1e-9)
    assert row["rollback_price"] == pytest.approx(float(ORPHAN_PRICE_LOSS), abs=1e-9)
    attribution = perf.pnl_attribution(r.summary, r.trades, r.leg_risk, r.fills).loc["total"]
    # nothing was captured: the pair never opened; the loss is the roll-back's price loss and all the fees
    assert attribution["spread_capture"] == pytest.approx(0, abs=1e-9)
    assert attribution["slippage"] == 0
    assert attribution["rollback"] == pytest.approx(-float(ORPHAN_PRICE_LOSS), abs=1e-9)
    assert attribution["fees"] == pytest.approx(-float(ORPHAN_FEES), abs=1e-6)
    assert attribution["net"] == pytest.approx(-float(ORPHAN_PRICE_LOSS + ORPHAN_FEES), abs=1e-6)
    assert attribution["open_and_other"] == pytest.approx(0, abs=1e-6)


def test_tables_a_run_did_not_produce_are_empty_with_their_documented_columns(tmp_path_factory):
    r = load_results(orphan_run(tmp_path_factory))
    for name in ("carry_ledger", "funding_rates"):
        assert not r.has(name)
        assert r.table(name).empty
        assert list(r.table(name).columns) == [*tables.SCHEMAS[name], "strategy_id"]
    assert not r.has("funding_payments") and r.funding_payments.empty
    assert perf.funding_by_venue(r.funding_payments) == {}
    assert perf.funding_ledger(r.carry_ledger, r.trades).empty


def test_a_folder_missing_tables_still_loads(runs, tmp_path):
    copy = tmp_path / "partial"
    shutil.copytree(runs.a, copy)
    for name in ("trades", "leg_risk", "spread_samples", "fills"):
        (copy / f"{name}.parquet").unlink()
    r = load_results(copy)
    assert not r.has("trades") and not r.has("fills") and r.has("account")
    attribution = perf.pnl_attribution(r.summary, r.trades, r.leg_risk, r.fills)
    assert attribution.loc["total", "net"] == pytest.approx(r.summary["pnl"]["net"], abs=1e-6)
    # without pairs, all trading PnL is unexplained
    assert (attribution[["spread_capture", "basis", "slippage", "rollback"]] == 0).all().all()


def test_load_refuses_a_folder_that_is_not_results(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no summary\.json"):
        load_results(tmp_path)


def test_compare_two_runs_shows_the_stricter_entry_trading_less(a, b):
    table = compare(a, b)
    assert list(table.columns) == [a.label, b.label, "change"]
    assert table.loc["net", a.label] == pytest.approx(a.summary["pnl"]["net"])
    assert table.loc["net", b.label] == pytest.approx(b.summary["pnl"]["net"])
    assert (table["change"].dropna() == (table[b.label] - table[a.label]).dropna()).all()
    assert table.loc["trades", "change"] < 0 and table.loc["orders", "change"] < 0
    assert table.loc["fees", b.label] < table.loc["fees", a.label]
    diff = config_diff(a, b)
    scalp_index = next(i for i, s in enumerate(a.summary["config"]["strategies"]) if s["kind"] == "scalp")
    key = f"strategies[{scalp_index}].entry_bps"
    assert diff.loc[key].tolist() == [15, STRICT_ENTRY_BPS]
    assert "backtest.name" in diff.index


def test_compare_a_run_with_itself_changes_nothing(a):
    table = compare(a, a)
    assert table.columns[0].endswith("(a)") and table.columns[1].endswith("(b)")
    assert (table["change"].fillna(0) == 0).all()


def test_find_results_lists_runs_by_name(runs):
    root = runs.a.parent
    assert find_results(root, name="mixed") == [runs.a]
    assert set(find_results(root)) == {runs.a, runs.b}
    assert find_results(root / "nowhere") == []
    assert isinstance(pd.Timestamp(load_results(runs.a).summary["data"]["start"]), pd.Timestamp)
