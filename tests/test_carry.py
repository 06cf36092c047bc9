"""Carry strategy on hand-made data with a known funding schedule.

Quotes every minute at a constant mid (100000 for BTC) so the basis never moves; the funding
schedule is written out below and the expected payments by hand: amount = -signed qty x mark x rate.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from support import HOUR
from support import MINUTE
from support import funding
from support import quotes
from support import run
from support import step
from support import ts
from support import write_catalog

HL = "BTC-USD-PERP.HYPERLIQUID"
BY = "BTCUSDT-LINEAR.BYBIT"
BY_SPOT = "BTCUSDT-SPOT.BYBIT"
HL_ETH, BY_ETH = "ETH-USD-PERP.HYPERLIQUID", "ETHUSDT-LINEAR.BYBIT"
HL_SOL, BY_SOL = "SOL-USD-PERP.HYPERLIQUID", "SOLUSDT-LINEAR.BYBIT"
T0 = ts("2025-01-01T00:00:00")
END = T0 + 23 * HOUR + 30 * MINUTE
PRICES = {
    HL: (100000, 5),
    BY: (100000, 5),
    BY_SPOT: (100000, 5),
    HL_ETH: (4000, "0.5"),
    BY_ETH: (4000, "0.5"),
    HL_SOL: (200, "0.05"),
    BY_SOL: (200, "0.05"),
}


def hourly(instrument: str, rate: str, hours=range(1, 25)) -> list:
    return [funding(instrument, T0 + (h - 1) * HOUR, rate, T0 + h * HOUR) for h in hours]


def eight_hourly(instrument: str, rates: list[str]) -> list:
    return [funding(instrument, T0 + i * 8 * HOUR, r, T0 + (i + 1) * 8 * HOUR) for i, r in enumerate(rates)]


def scene(tmp_path, instruments, funding_data):
    data = list(funding_data)
    for i in instruments:
        mid, half = PRICES[i]
        data += quotes(i, T0, END, [step(T0, mid, half)], every=MINUTE)
    return write_catalog(tmp_path / "catalog", instruments, data, T0)


def carry(**overrides) -> dict:
    config = {
        "kind": "carry",
        "name": "carry",
        "pairs": [{"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]}],
        "tier": 1,
        "capital_fraction": 0.05,
        "horizon_hours": 72,
        "min_yield_bps": 5,
        "slippage_bps": 2,
        "min_hold_hours": 8,
        "heartbeat_minutes": 0,
        "flash_crash_pct": None,
        "guards": {
            "cooldown_s": 0,
            "kill_after_consecutive_losses": None,
            "kill_drawdown_pct": None,
            "max_quote_age_ms": 120_000,
        },
    }
    config.update(overrides)
    return config


VENUES = {
    "HYPERLIQUID": {"balance": "100000", "latency_ms": 5},
    "BYBIT": {"balance": "100000", "latency_ms": 5},
}


def backtest(tmp_path, catalog, strategy, venues=VENUES):
    return run(catalog, tmp_path / "results", venues, [strategy])


def table(outcome, name) -> pd.DataFrame:
    path = outcome.results_dir / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def test_hourly_vs_8_hourly_funding_pnl_equals_hand_ledger_to_the_cent(tmp_path):
    # HL pays longs 0.002 %/h (rate -0.00002); Bybit's longs pay 0.03 % per 8 h: long HL, short Bybit.
    data = hourly(HL, "-0.00002") + eight_hourly(BY, ["0.0003", "0.0003", "0.0003"])
    outcome = backtest(tmp_path, scene(tmp_path, [HL, BY], data), carry())
    trades = table(outcome, "trades")
    assert len(trades) == 1
    t = trades.iloc[0]
    assert (t.long_instrument, t.short_instrument, t.quantity) == (HL, BY, 0.1)
    # Hand ledger: entered 00:02; HL settles 01:00 .. 23:00, Bybit 08:00 and 16:00.
    hand = [(HL, f"{h:02d}:00", Decimal("-0.1") * 100000 * Decimal("-0.00002") * -1) for h in range(1, 24)]
    hand = [(HL, f"{h:02d}:00", Decimal("0.20")) for h in range(1, 24)]
    hand += [(BY, "08:00", Decimal("3.00")), (BY, "16:00", Decimal("3.00"))]
    hand.sort(key=lambda r: (r[1], r[0]))
    ledger = table(outcome, "carry_ledger").sort_values(["ts", "instrument_id"])
    got = [
        (r.instrument_id, r.ts.strftime("%H:%M"), Decimal(str(round(r.accrued, 2))))
        for r in ledger.itertuples()
    ]
    assert got == hand
    assert round(ledger.accrued.sum(), 2) == pytest.approx(10.60)
    assert t.funding == pytest.approx(10.60, abs=0.005)
    assert outcome.summary["pnl"]["funding"] == pytest.approx(10.60, abs=0.005)
    # predicted (first announced rate of each settlement) equals accrued: the rates never changed
    assert ledger.predicted.sum() == pytest.approx(ledger.accrued.sum(), abs=1e-9)
    assert ledger.realized_total.iloc[-1] == pytest.approx(10.60, abs=1e-9)


def test_spot_perp_funding_pnl_equals_hand_ledger(tmp_path):
    data = eight_hourly(BY, ["0.0006", "0.0006", "0.0006"])
    strategy = carry(pairs=[{"asset": "BTC", "venues": ["BYBIT:spot", "BYBIT:perp"]}])
    outcome = backtest(
        tmp_path,
        scene(tmp_path, [BY, BY_SPOT], data),
        strategy,
        venues={"BYBIT": {"balance": "100000", "latency_ms": 5}},
    )
    t = table(outcome, "trades").iloc[0]
    assert (t.long_instrument, t.short_instrument, t.quantity) == (BY_SPOT, BY, 0.05)
    ledger = table(outcome, "carry_ledger")
    # -(-0.05) x 100000 x 0.0006 = 3.00 at 08:00 and at 16:00; the spot leg never pays
    assert [(r.instrument_id, r.ts.strftime("%H:%M"), round(r.accrued, 2)) for r in ledger.itertuples()] == [
        (BY, "08:00", 3.0),
        (BY, "16:00", 3.0),
    ]
    assert outcome.summary["pnl"]["funding"] == pytest.approx(6.0, abs=1e-9)


@pytest.mark.parametrize(("bybit_rate", "trades"), [("0.00028", 0), ("0.00032", 1)])
def test_enters_only_when_the_yield_clears_fees(tmp_path, bybit_rate, trades):
    # yield over 72 h = rate/8 x 72 x 1e4 - round-trip fees 2 x (4.5 + 5.5) - slippage 2:
    # 0.00028 -> 25.2 - 22 = 3.2 bps < 5; 0.00032 -> 28.8 - 22 = 6.8 bps >= 5
    data = hourly(HL, "0") + eight_hourly(BY, [bybit_rate] * 3)
    outcome = backtest(tmp_path, scene(tmp_path, [HL, BY], data), carry())
    assert len(table(outcome, "trades")) == trades


def reversal_data() -> list:
    # Bybit's rate flips negative for the 16:00 settlement (announced at 08:00)
    return hourly(HL, "-0.00002") + eight_hourly(BY, ["0.0003", "-0.0003", "-0.0003"])


def test_exits_on_funding_reversal_after_m_intervals(tmp_path):
    outcome = backtest(tmp_path, scene(tmp_path, [HL, BY], reversal_data()), carry(exit_after_intervals=3))
    t = table(outcome, "trades").iloc[0]
    assert t.exit_reason == "funding_reversal"
    # below threshold at the intervals starting 08:00, 09:00, 10:00 -> exit decided at the next quote (10:01)
    legs = table(outcome, "leg_risk")
    assert legs[legs.purpose == "exit"].ts_submit.iloc[0] == pd.Timestamp("2025-01-01T10:01", tz="UTC")


def test_no_voluntary_exit_before_min_hold(tmp_path):
    outcome = backtest(
        tmp_path, scene(tmp_path, [HL, BY], reversal_data()), carry(exit_after_intervals=3, min_hold_hours=12)
    )
    t = table(outcome, "trades").iloc[0]
    assert t.exit_reason == "funding_reversal"
    assert t.exit_ts - t.entry_ts >= pd.Timedelta(hours=12)
    legs = table(
        outcome, "leg_risk"
    )  # 12:00 is judged at 12:01, 1 s short of 12 h held: the 13:00 interval exits
    assert legs[legs.purpose == "exit"].ts_submit.iloc[0] == pd.Timestamp("2025-01-01T13:01", tz="UTC")


def test_tier_1_trades_only_the_best_asset(tmp_path):
    data = (
        hourly(HL, "-0.00002")
        + eight_hourly(BY, ["0.0003"] * 3)
        + hourly(HL_ETH, "-0.00004")
        + eight_hourly(BY_ETH, ["0.0004"] * 3)
    )
    strategy = carry(
        pairs=[
            {"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]},
            {"asset": "ETH", "venues": ["HYPERLIQUID", "BYBIT"]},
        ]
    )
    outcome = backtest(tmp_path, scene(tmp_path, [HL, BY, HL_ETH, BY_ETH], data), strategy)
    trades = table(outcome, "trades")
    assert list(trades.asset) == ["ETH"]
    # all the carry capital (0.05 x 200000) on ETH at 4000: 2.5 ETH
    assert trades.iloc[0].quantity == pytest.approx(2.5)


def test_tier_2_splits_in_proportion_to_yield_and_drops_an_asset_below_minimum_size(tmp_path):
    # yields: BTC 0.00048/8 x 72e4 - 22 = 21.2 bps, ETH 14.0 bps, SOL 0.005 bps;
    # SOL's share 10000 x 0.005 / 35.205 = 1.42 USD is under its minimum (0.1 SOL = 20 USD): dropped,
    # then BTC gets 10000 x 21.2 / 35.2 = 6022.73 -> 0.060 BTC and ETH 3977.27 -> 0.99 ETH
    data = hourly(HL, "0") + hourly(HL_ETH, "0") + hourly(HL_SOL, "0")
    data += (
        eight_hourly(BY, ["0.00048"] * 3)
        + eight_hourly(BY_ETH, ["0.0004"] * 3)
        + eight_hourly(BY_SOL, ["0.0002445"] * 3)
    )
    pairs = [{"asset": a, "venues": ["HYPERLIQUID", "BYBIT"]} for a in ("BTC", "ETH", "SOL")]
    strategy = carry(pairs=pairs, tier=2, min_yield_bps=0)
    outcome = backtest(tmp_path, scene(tmp_path, [HL, BY, HL_ETH, BY_ETH, HL_SOL, BY_SOL], data), strategy)
    trades = table(outcome, "trades").set_index("asset")
    assert sorted(trades.index) == ["BTC", "ETH"]
    assert trades.loc["BTC"].quantity == pytest.approx(0.060)
    assert trades.loc["ETH"].quantity == pytest.approx(0.99)
    pairs = outcome.summary["strategies"]["CarryStrategy-carry"]["pairs"].values()
    allocated = {p["asset"]: p["allocated_usd"] for p in pairs}
    assert allocated == pytest.approx({"BTC": 10000 * 21.2 / 35.2, "ETH": 10000 * 14.0 / 35.2}, rel=1e-9)


def test_margin_breach_reduces_the_position(tmp_path):
    # Bybit holds 2000 USDT at 10x: the short's maintenance margin (notional x 0.5 / 10) takes its free
    # ratio under 0.8, so the pair is cut by half, which brings the ratio back above the threshold.
    data = hourly(HL, "-0.00002") + eight_hourly(BY, ["0.0003"] * 3)
    venues = {
        "HYPERLIQUID": {"balance": "100000", "latency_ms": 5},
        "BYBIT": {"balance": "2000", "latency_ms": 5, "leverage": 10},
    }
    outcome = backtest(
        tmp_path,
        scene(tmp_path, [HL, BY], data),
        carry(capital_fraction=0.1, min_margin_ratio=0.8),
        venues=venues,
    )
    t = table(outcome, "trades").iloc[0]
    entered = Decimal("0.102")  # 0.1 x 102000 / 100000
    assert t.quantity == pytest.approx(float(entered - Decimal("0.051")))
    positions = table(outcome, "positions")
    open_ = positions[positions.side != "FLAT"].set_index("instrument_id")
    assert Decimal(open_.loc[HL].quantity) == Decimal("0.05100")
    assert Decimal(open_.loc[BY].quantity) == Decimal("0.051")
    legs = table(outcome, "leg_risk")
    assert list(legs.purpose) == ["entry", "exit"] and list(legs.outcome) == ["hedged", "hedged"]


def test_percentile_rule_enters_only_above_the_rolling_percentile_and_exits_below(tmp_path):
    # HL pays longs 0.002 %/h for ten hours, then 0.004 %/h (a wider differential), then 0.001 %/h
    hl = (
        hourly(HL, "-0.00002", range(1, 11))
        + hourly(HL, "-0.00004", range(11, 14))
        + hourly(HL, "-0.00001", range(14, 25))
    )
    data = hl + eight_hourly(BY, ["0.0003"] * 3)
    strategy = carry(entry_percentile=80, exit_percentile=40, min_hold_hours=0, min_yield_bps=0)
    outcome = backtest(tmp_path, scene(tmp_path, [HL, BY], data), strategy)
    t = table(outcome, "trades").iloc[0]
    # without the rule it would enter at 00:01; with it, at the first quote after the differential
    # rose above its 80th percentile (the 10:00 update announcing -0.00004 for 11:00)
    assert t.entry_ts >= pd.Timestamp("2025-01-01T10:00", tz="UTC")
    assert t.exit_reason == "percentile_exit"
    assert t.exit_ts >= pd.Timestamp("2025-01-01T13:00", tz="UTC")
    blocked = outcome.summary["strategies"]["CarryStrategy-carry"]["entries_blocked"]
    assert blocked["percentile_warmup"] > 0


def test_flash_crash_pauses_entries(tmp_path):
    # both venues drop 10 % at 00:03; the funding rates that make the trade arrive at 00:05
    five = T0 + 5 * MINUTE
    data = [funding(HL, five, "-0.00002", T0 + HOUR), funding(BY, five, "0.0003", T0 + 8 * HOUR)]
    data += hourly(HL, "-0.00002", range(2, 25)) + eight_hourly(BY, ["0.0003"] * 3)[1:]
    for i in (HL, BY):
        data += quotes(i, T0, END, [step(T0, 100000, 5), step(T0 + 3 * MINUTE, 90000, 5)], every=MINUTE)
    catalog = write_catalog(tmp_path / "catalog", [HL, BY], data, T0)
    strategy = carry(flash_crash_pct=5.0, flash_crash_window_s=300, flash_crash_pause_s=3600)
    outcome = backtest(tmp_path, catalog, strategy)
    t = table(outcome, "trades").iloc[0]
    assert t.entry_ts >= pd.Timestamp("2025-01-01T01:03", tz="UTC")  # paused for an hour after the crash
    assert outcome.summary["strategies"]["CarryStrategy-carry"]["entries_blocked"]["flash_crash"] > 0


def test_mtm_stop_fires_before_min_hold(tmp_path):
    data = hourly(HL, "-0.00002") + eight_hourly(BY, ["0.0003"] * 3)
    data += quotes(HL, T0, END, [step(T0, 100000, 5)], every=MINUTE)
    data += quotes(
        BY, T0, END, [step(T0, 100000, 5), step(T0 + 2 * HOUR, 100300, 5)], every=MINUTE
    )  # short leg +30 bps
    catalog = write_catalog(tmp_path / "catalog", [HL, BY], data, T0)
    outcome = backtest(tmp_path, catalog, carry(mtm_stop_bps=20, min_hold_hours=8))
    t = table(outcome, "trades").iloc[0]
    assert t.exit_reason == "mtm_stop"
    assert t.exit_ts < pd.Timestamp("2025-01-01T02:02", tz="UTC")


def test_liquidation_distance_closes_a_pair_too_close_to_liquidation(tmp_path):
    # at 20x a long's estimated liquidation is 2.5 % away (1/20 - maintenance 0.5/20): closer than 3 %
    data = hourly(HL, "-0.00002") + eight_hourly(BY, ["0.0003"] * 3)
    venues = {v: {"balance": "100000", "latency_ms": 5, "leverage": 20} for v in ("HYPERLIQUID", "BYBIT")}
    outcome = backtest(
        tmp_path, scene(tmp_path, [HL, BY], data), carry(min_liquidation_distance_pct=3.0), venues=venues
    )
    assert table(outcome, "trades").iloc[0].exit_reason == "liquidation_distance"


def test_emergency_close_of_everything_on_a_margin_emergency(tmp_path):
    # two pairs; Bybit's free margin ratio falls under the emergency level: every pair is closed, on both venues
    data = (
        hourly(HL, "-0.00002")
        + eight_hourly(BY, ["0.0003"] * 3)
        + hourly(HL_ETH, "-0.00002")
        + eight_hourly(BY_ETH, ["0.0003"] * 3)
    )
    pairs = [
        {"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]},
        {"asset": "ETH", "venues": ["HYPERLIQUID", "BYBIT"]},
    ]
    venues = {
        "HYPERLIQUID": {"balance": "100000", "latency_ms": 5},
        "BYBIT": {"balance": "5000", "latency_ms": 5, "leverage": 10},
    }
    strategy = carry(pairs=pairs, tier=3, capital_fraction=0.1, emergency_margin_ratio=0.95)
    outcome = backtest(tmp_path, scene(tmp_path, [HL, BY, HL_ETH, BY_ETH], data), strategy, venues=venues)
    trades = table(outcome, "trades")
    assert sorted(trades.asset) == ["BTC", "ETH"]
    assert set(trades.exit_reason) == {"emergency"}
    s = outcome.summary["strategies"]["CarryStrategy-carry"]
    assert s["emergency"].startswith("margin ratio on BYBIT")
    positions = table(outcome, "positions")
    assert all(Decimal(str(q)) == 0 for q in positions.quantity)
