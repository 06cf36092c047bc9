"""The report's arithmetic on small tables whose answers are worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from backtests import performance as perf
from backtests import tables


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def account(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(time, venue, currency, total) rows, balances as Decimal like the loader gives them."""
    return pd.DataFrame(
        [{"ts": t(ts), "venue": v, "currency": c, "total": Decimal(x)} for ts, v, c, x in rows]
    )


def test_equity_curve_holds_each_venue_between_its_events_and_sums_them():
    acc = account([
        ("2025-01-01 00:00", "A", "USDC", "1000"),
        ("2025-01-01 00:00", "B", "USDT", "500"),
        ("2025-01-01 01:00", "A", "USDC", "1010"),
        ("2025-01-01 01:00", "A", "USDC", "1012"),  # same instant: the last event wins
        ("2025-01-01 02:00", "B", "USDT", "490"),
        ("2025-01-01 02:00", "B", "BTC", "3"),  # not USD-like: left out
    ])  # fmt: skip
    eq = perf.equity_curve(acc)
    assert list(eq.columns) == ["A", "B", "total"]
    assert eq["total"].tolist() == [1500.0, 1512.0, 1502.0]
    assert eq["A"].tolist() == [1000.0, 1012.0, 1012.0]
    assert eq.index.tz is not None and str(eq.index.tz) == "UTC"


def test_equity_curve_starts_a_late_venue_at_its_first_balance():
    acc = account([("2025-01-01 00:00", "A", "USDC", "100"), ("2025-01-01 00:05", "B", "USDT", "50")])
    assert perf.equity_curve(acc)["total"].tolist() == [150.0, 150.0]


def test_marked_equity_curve_sums_the_venues_sample_by_sample_and_is_preferred_when_recorded():
    samples = pd.DataFrame([
        {"ts": t("2025-01-01 00:00"), "venue": "B", "equity": 500.0},
        {"ts": t("2025-01-01 00:00"), "venue": "A", "equity": 1000.0},
        {"ts": t("2025-01-01 00:05"), "venue": "A", "equity": 990.5},
        {"ts": t("2025-01-01 00:05"), "venue": "B", "equity": 509.0},
        {"ts": t("2025-01-01 00:10"), "venue": "A", "equity": 1003.0},  # B missed this one: held
    ])  # fmt: skip
    eq = perf.marked_equity_curve(samples)
    assert list(eq.columns) == ["A", "B", "total"]
    assert eq["total"].tolist() == [1500.0, 1499.5, 1512.0]
    acc = account([("2025-01-01 00:00", "A", "USDC", "100")])
    curve, marked = perf.best_equity_curve(acc, samples)
    assert marked and curve.equals(eq)
    curve, marked = perf.best_equity_curve(acc, samples.iloc[0:0])
    assert not marked and curve["total"].tolist() == [100.0]


def test_account_changes_are_exact():
    acc = account([
        ("2025-01-01 00:00", "A", "USDC", "100000.00000000"),
        ("2025-01-01 01:00", "A", "USDC", "100000.10000001"),
        ("2025-01-01 02:00", "A", "USDC", "99999.99999999"),
    ])  # fmt: skip
    assert perf.account_changes(acc) == {"A": Decimal("-0.00000001")}


def test_empty_account_gives_an_empty_curve_and_no_drawdown():
    eq = perf.equity_curve(pd.DataFrame(columns=["ts", "venue", "currency", "total"]))
    assert eq.empty
    assert perf.max_drawdown(eq["total"]) == perf.Drawdown(0.0, 0.0, None, None, None)


def test_drawdown_is_distance_below_the_running_peak():
    idx = pd.date_range("2025-01-01", periods=6, freq="h", tz="UTC")
    equity = pd.Series([100.0, 110.0, 99.0, 104.5, 112.0, 111.0], index=idx)
    dd = perf.drawdown(equity)
    assert dd["peak"].tolist() == [100, 110, 110, 110, 112, 112]
    assert dd["drawdown"].tolist() == [0, 0, -11, -5.5, 0, -1]
    assert dd["drawdown_pct"].tolist() == pytest.approx([0, 0, -0.1, -0.05, 0, -1 / 112])
    worst = perf.max_drawdown(equity)
    assert (worst.amount, worst.pct) == (-11.0, pytest.approx(-0.1))
    assert (worst.peak_ts, worst.trough_ts, worst.recovered_ts) == (idx[1], idx[2], idx[4])


def test_a_drawdown_never_recovered_has_no_recovery_time():
    idx = pd.date_range("2025-01-01", periods=3, freq="h", tz="UTC")
    worst = perf.max_drawdown(pd.Series([100.0, 90.0, 95.0], index=idx))
    assert (worst.amount, worst.trough_ts, worst.recovered_ts) == (-10.0, idx[1], None)


def trade(pair_id: str, kind: str = "scalp", **values) -> dict:
    row = {
        "pair_id": pair_id,
        "kind": kind,
        "asset": "BTC",
        "long_instrument": "BTC-USD-PERP.HYPERLIQUID",
        "short_instrument": "BTCUSDT-LINEAR.BYBIT",
        "quantity": 0.1,
        "entry_ts": t("2025-01-01 00:00:01"),
        "exit_ts": t("2025-01-01 00:05:00"),
        "exit_reason": "take_profit",
        "expected_edge_bps": 50.0,
        "entry_edge_bps": 50.0,
        "exit_edge_bps": -2.0,
        "pnl_trading": 0.0,
        "fees": 0.0,
        "funding": 0.0,
        "net": 0.0,
        "strategy_id": "S",
    }
    return row | values


def trades_frame(rows: list[dict]) -> pd.DataFrame:
    return tables.frame(tables.TRADES, rows).assign(strategy_id=[r["strategy_id"] for r in rows])


def leg_risk_frame(rows: list[dict]) -> pd.DataFrame:
    base = {"hedge_latency_ms": 0.0, "unhedged_notional_s": 0.0, "retries": 0, "orphan": False,
            "flatten_cost": 0.0, "expected_edge_bps": float("nan"), "realized_edge_bps": float("nan"),
            "outcome": "hedged", "strategy_id": "S"}  # fmt: skip
    return tables.frame(tables.LEG_RISK, [base | r for r in rows]).assign(
        strategy_id=[(base | r)["strategy_id"] for r in rows]
    )


def fill(ts: str, instrument: str, side: str, qty: str, px: str, fee: str, strategy: str = "S") -> dict:
    return {"ts_event": t(ts), "instrument_id": instrument, "order_side": side, "last_qty": Decimal(qty),
            "last_px": Decimal(px), "commission": Decimal(fee), "strategy_id": strategy}  # fmt: skip


HL, BY = "BTC-USD-PERP.HYPERLIQUID", "BTCUSDT-LINEAR.BYBIT"


def test_entry_slippage_prices_the_lost_edge_on_the_entry_notional():
    # decided at 50 bps, filled at 40 bps; bought 0.1 at 100000 and 100010 (VWAP 100005) on the long leg
    trades = trades_frame([trade("P1", expected_edge_bps=50.0, entry_edge_bps=40.0, quantity=0.2)])
    legs = leg_risk_frame([{"exec_id": "e1", "pair_id": "P1", "purpose": "entry",
                            "ts_submit": t("2025-01-01 00:00:00"), "ts_done": t("2025-01-01 00:00:02")}])  # fmt: skip
    fills = pd.DataFrame([
        fill("2025-01-01 00:00:01", HL, "BUY", "0.1", "100000", "4.5"),
        fill("2025-01-01 00:00:01.5", HL, "BUY", "0.1", "100010", "4.5"),
        fill("2025-01-01 00:00:01", BY, "SELL", "0.2", "100405", "11"),
        fill("2025-01-01 00:00:01", HL, "BUY", "5", "1", "0", strategy="other"),  # another strategy's
        fill("2025-01-01 00:10:00", HL, "BUY", "5", "1", "0"),  # outside the execution
    ])  # fmt: skip
    notional = perf.entry_notional(trades, legs, fills)
    assert notional.tolist() == [pytest.approx(0.2 * 100005)]
    assert perf.entry_slippage(trades, notional).tolist() == [pytest.approx(10 / 1e4 * 0.2 * 100005)]


def test_carry_pairs_have_no_entry_slippage():
    trades = trades_frame([trade("C1", kind="carry", expected_edge_bps=30.0, entry_edge_bps=-2.0)])
    assert perf.entry_slippage(trades, pd.Series([100000.0])).tolist() == [0.0]


def test_roll_back_cost_splits_into_fees_and_price_loss_from_the_executions_fills():
    # Sold 0.3 on Bybit (two fills), the other leg never filled: 0.2 bought back at a worse price.
    legs = leg_risk_frame([{"exec_id": "e1", "pair_id": "P1", "purpose": "entry", "orphan": True,
                            "flatten_cost": 2.0 + 3 * 2 / 3 + 1.5, "outcome": "flattened",
                            "ts_submit": t("2025-01-01 00:00:00"), "ts_done": t("2025-01-01 00:00:03")}])  # fmt: skip
    fills = pd.DataFrame([
        fill("2025-01-01 00:00:01", BY, "SELL", "0.1", "100000", "1"),
        fill("2025-01-01 00:00:01.1", BY, "SELL", "0.2", "100000", "2"),
        fill("2025-01-01 00:00:03", BY, "BUY", "0.2", "100010", "1.5"),
    ])  # fmt: skip
    row = perf.rollback_costs(legs, fills).iloc[0]
    # fees: 2/3 of the leg's 3.0 (the flattened share) + 1.5 of the flatten fill; price loss 10 x 0.2
    assert row["rollback_fees"] == pytest.approx(3.5)
    assert row["rollback_price"] == pytest.approx(2.0)


def test_attribution_columns_add_up_to_each_strategys_net():
    summary = {
        "pnl_by_strategy": {
            "S": {"trading": 100.0, "fees": 30.0, "funding": 2.0, "net": 72.0, "unrealized": 0.0},
            "C": {"trading": -10.0, "fees": 8.0, "funding": 40.0, "net": 22.0, "unrealized": -4.0},
        }
    }
    trades = trades_frame([
        trade("P1", pnl_trading=60.0, expected_edge_bps=50.0, entry_edge_bps=50.0),
        trade("P2", pnl_trading=40.0),
        trade("C1", kind="carry", pnl_trading=-6.0, strategy_id="C"),
        trade("C2", kind="carry", pnl_trading=-4.0, exit_ts=pd.NaT, strategy_id="C"),  # open: marked
    ])  # fmt: skip
    empty_legs = leg_risk_frame([])
    a = perf.pnl_attribution(summary, trades, empty_legs, pd.DataFrame())
    assert a.loc["S"].to_dict() == {
        "spread_capture": 100.0, "basis": 0.0, "slippage": 0.0, "rollback": 0.0, "open_and_other": 0.0,
        "fees": -30.0, "funding": 2.0, "net": 72.0,
    }  # fmt: skip
    # carry: the closed pair's basis -6; the rest of trading (-4) is the open pair's mark
    assert a.loc["C", "basis"] == -6.0 and a.loc["C", "open_and_other"] == pytest.approx(-4.0)
    assert a.loc["total"].tolist() == pytest.approx((a.loc["S"] + a.loc["C"]).tolist())
    assert a.drop(columns="net").sum(axis=1).tolist() == pytest.approx(a["net"].tolist())


def test_trade_stats_count_open_pairs_apart_and_zero_net_as_a_loss():
    trades = trades_frame([
        trade("P1", net=5.0, exit_ts=t("2025-01-01 00:01:01")),
        trade("P2", net=0.0, exit_ts=t("2025-01-01 00:02:01")),
        trade("P3", net=-3.0, exit_ts=t("2025-01-01 00:03:01")),
        trade("P4", net=9.0, exit_ts=pd.NaT),
    ])  # fmt: skip
    s = perf.trade_stats(trades)
    assert (s["trades"], s["closed"], s["open"], s["wins"], s["losses"]) == (4, 3, 1, 1, 2)
    assert s["net_closed"] == 2.0 and s["win_rate"] == pytest.approx(1 / 3)
    assert s["mean_hold_s"] == pytest.approx(120.0)


def test_cumulative_funding_realises_a_pairs_funding_when_it_closes():
    ledger = tables.frame(tables.CARRY_LEDGER, [
        {"pair_id": "C1", "ts": t("2025-01-01 01:00"), "predicted": 1.0, "accrued": 0.9},
        {"pair_id": "C2", "ts": t("2025-01-01 01:00"), "predicted": 2.0, "accrued": 2.0},
        {"pair_id": "C1", "ts": t("2025-01-01 02:00"), "predicted": 1.0, "accrued": 1.1},
        {"pair_id": "C2", "ts": t("2025-01-01 02:00"), "predicted": 2.0, "accrued": 1.5},
    ])  # fmt: skip
    trades = trades_frame([
        trade("C1", kind="carry", exit_ts=t("2025-01-01 02:30"), strategy_id="C"),
        trade("C2", kind="carry", exit_ts=pd.NaT, strategy_id="C"),
    ])  # fmt: skip
    cum = perf.cumulative_funding(ledger, trades)
    assert cum["predicted"].tolist() == [3.0, 6.0, 6.0]
    assert cum["accrued"].tolist() == pytest.approx([2.9, 5.5, 5.5])
    assert cum["realised"].tolist() == pytest.approx([0.0, 0.0, 2.0])
    per_pair = perf.funding_ledger(ledger, trades)
    assert per_pair.loc["C1", ["predicted", "accrued", "realised"]].tolist() == pytest.approx([2.0, 2.0, 2.0])
    assert per_pair.loc["C2", "realised"] == 0.0 and per_pair.loc["C2", "state"] == "open"
