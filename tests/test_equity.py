"""Marked-to-market equity: the arithmetic of one sample, and the `equity` table of a real backtest
checked against the venues' reconciled accounts and the summary's end-of-run marks."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from analysis_runs import mixed_runs
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import PositionId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.position import Position
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.test_kit.stubs.events import TestEventStubs
from nautilus_trader.test_kit.stubs.execution import TestExecStubs

from backtests import performance as perf
from backtests.analysis import load_results
from backtests.equity import venue_equity

PERP = TestInstrumentProvider.btcusdt_perp_binance()  # settles in USDT
ETH_PERP = TestInstrumentProvider.ethusdt_perp_binance()


def position(instrument, side: OrderSide, qty: str, px: str, pid: str) -> Position:
    order = TestExecStubs.market_order(
        instrument=instrument, order_side=side, quantity=Quantity.from_str(qty)
    )
    fill = TestEventStubs.order_filled(
        order, instrument, last_px=Price.from_str(px), position_id=PositionId(pid)
    )
    return Position(instrument, fill)


def test_equity_is_usd_like_balance_plus_open_positions_marked_at_the_given_price():
    short_btc = position(PERP, OrderSide.SELL, "0.500", "50000.0", "P-1")  # +0.5 x 1000 at 49000
    long_eth = position(ETH_PERP, OrderSide.BUY, "2.000", "3000.00", "P-2")  # no price: unpriced
    marks = {PERP.id: Price.from_str("49000.0")}
    e = venue_equity(
        [("USDT", Decimal("1000.25")), ("USDC", Decimal("10")), ("BTC", Decimal("1"))],
        [short_btc, long_eth],
        marks.get,
    )
    assert e.balance == Decimal("1010.25")  # BTC is not a USD-like currency: not counted
    assert e.unrealized == Decimal("500")
    assert e.equity == Decimal("1510.25")
    assert e.unpriced == 1


def test_a_currency_outside_the_counted_set_is_left_out_of_both_parts():
    short_btc = position(PERP, OrderSide.SELL, "0.500", "50000.0", "P-1")
    e = venue_equity([("USDT", Decimal("7"))], [short_btc], lambda _: Price.from_str("51000.0"), ("USDC",))
    assert (e.balance, e.unrealized, e.unpriced) == (Decimal(0), Decimal(0), 0)


@pytest.fixture(scope="module")
def a(tmp_path_factory):
    return load_results(mixed_runs(tmp_path_factory).a)


def test_the_run_records_every_venue_at_each_interval_from_its_start(a):
    eq = a.equity
    venues = sorted(a.summary["pnl_by_venue"])
    assert a.has("equity")
    times = sorted(eq["ts"].unique())
    assert all(sorted(eq.loc[eq["ts"] == t, "venue"]) == venues for t in times)
    steps = pd.Series(times).diff().dropna()
    # every step is the configured 300 s except the last one, the sample taken when the run stops
    assert (steps.iloc[:-1] == pd.Timedelta(seconds=300)).all()
    assert pd.Timedelta(0) < steps.iloc[-1] <= pd.Timedelta(seconds=300)
    assert times[0] == pd.Timestamp(a.summary["data"]["start"])
    assert (eq["unpriced"] == 0).all()


def test_first_sample_is_the_starting_capital_and_the_last_is_balance_plus_the_summary_marks(a):
    curve = perf.marked_equity_curve(a.equity)
    assert curve["total"].iloc[0] == pytest.approx(float(a.starting_capital))
    last = a.equity[a.equity["ts"] == a.equity["ts"].max()].set_index("venue")
    for venue, d in a.summary["pnl_by_venue"].items():
        assert last.loc[venue, "balance"] == pytest.approx(d["account"]["ending_balance"], abs=1e-6), venue
        assert last.loc[venue, "unrealized"] == pytest.approx(d["unrealized"], abs=1e-6), venue
    net = a.summary["pnl"]["net"]
    assert curve["total"].iloc[-1] - curve["total"].iloc[0] == pytest.approx(net, abs=1e-6)


def test_open_positions_move_the_marked_curve_between_balance_changes(a):
    eq = a.equity
    # carry holds pairs for hours: their marks move while the balances stand still
    held = eq[eq["unrealized"] != 0]
    assert len(held) > 10
    balances = eq.pivot_table(index="ts", columns="venue", values="balance")
    marked = perf.marked_equity_curve(eq)
    flat = balances.diff().abs().sum(axis=1) == 0
    assert (marked["total"].diff()[flat].abs() > 0.01).any()
