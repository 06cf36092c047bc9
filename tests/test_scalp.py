"""Scalp strategy on hand-made data where the truth is known.

Base scene: BTC on Hyperliquid (quotes every second at :00.000) and Bybit (every second at :00.500),
both at mid 100000 with a 10-dollar half spread (1 bp), 50 BTC on top of each side. A dislocation
lifts Bybit's mid; orders reach each venue after its latency and fill on the next quote there.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from support import SECOND
from support import quote
from support import quotes
from support import run
from support import step
from support import ts
from support import write_catalog

HL = "BTC-USD-PERP.HYPERLIQUID"
BY = "BTCUSDT-LINEAR.BYBIT"
BY_SPOT = "BTCUSDT-SPOT.BYBIT"
T0 = ts("2025-01-01T00:00:00")
END = T0 + 600 * SECOND
HALF_SEC = SECOND // 2


def at(seconds: float) -> int:
    return T0 + int(seconds * SECOND)


def scalp(**overrides) -> dict:
    config = {
        "kind": "scalp",
        "name": "scalp",
        "pairs": [{"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]}],
        "quantity": "0.1",
        "warmup": 20,
        "window": 60,
        "trigger_update_samples": 5,
        "entry_bps": 15.0,
        "slippage_bps": 1.0,
        "trigger_k_bps": 5.0,
        "exit_edge_bps": -3.0,
        "heartbeat_minutes": 0,
        "guards": {"cooldown_s": 0, "kill_after_consecutive_losses": None, "kill_drawdown_pct": None},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


VENUES = {
    "HYPERLIQUID": {"balance": "1000000", "latency_ms": 5},
    "BYBIT": {"balance": "1000000", "latency_ms": 5},
}


def scene(tmp_path, bybit_steps, hl_steps=None, extra=(), hl_skip=(), instruments=(HL, BY), end=END):
    data = list(extra)
    data += quotes(HL, T0, end, hl_steps or [step(T0, 100000, 5)], every=SECOND, skip=hl_skip)
    data += quotes(BY, T0 + HALF_SEC, end, bybit_steps, every=SECOND)
    return write_catalog(tmp_path / "catalog", instruments, data, T0)


def backtest(tmp_path, catalog, strategy, venues=VENUES):
    return run(catalog, tmp_path / "results", venues, [strategy])


def table(outcome, name) -> pd.DataFrame:
    path = outcome.results_dir / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def dislocation(start: float, end: float, mid: int = 100500) -> list:
    return [step(T0, 100000, 5), step(at(start), mid, 5), step(at(end), 100000, 5)]


def test_engineered_dislocation_enters_short_the_rich_venue_and_profit_matches_hand_computation(tmp_path):
    outcome = backtest(tmp_path, scene(tmp_path, dislocation(120.5, 180.5)), scalp())
    trades = table(outcome, "trades")
    assert len(trades) == 1
    t = trades.iloc[0]
    assert (t.long_instrument, t.short_instrument, t.exit_reason) == (HL, BY, "take_profit")
    # Hand computation: buy 0.1 HL @ 100005, sell 0.1 Bybit @ 100495; exit sell HL @ 99995, buy Bybit @ 100005.
    q = Decimal("0.1")
    trading = (Decimal(99995) - Decimal(100005)) * q + (Decimal(100495) - Decimal(100005)) * q
    fees = (Decimal(100005) + Decimal(99995)) * q * Decimal("0.00045") + (
        Decimal(100495) + Decimal(100005)
    ) * q * Decimal("0.00055")
    assert trading == Decimal("48.0")
    assert t.pnl_trading == pytest.approx(float(trading), abs=1e-9)
    assert t.fees == pytest.approx(float(fees), abs=1e-9)
    assert t.net == pytest.approx(float(trading - fees), abs=1e-9)
    assert outcome.summary["pnl"]["net"] == pytest.approx(float(trading - fees), abs=1e-6)
    assert t.entry_ts == pd.Timestamp(at(121), tz="UTC")
    assert t.expected_edge_bps == pytest.approx((100495 / 100005 - 1) * 1e4)
    fills = table(outcome, "fills")
    assert sorted(zip(fills.instrument_id, fills.order_side, fills.last_px, strict=True)) == [
        (HL, "BUY", "100005"), (HL, "SELL", "99995"), (BY, "BUY", "100005.0"), (BY, "SELL", "100495.0"),
    ]  # fmt: skip


def test_edge_below_fees_does_not_trade(tmp_path):
    # 20 bps < taker fees 4.5 + 5.5 + slippage 1 + entry 15 = 26 bps
    outcome = backtest(tmp_path, scene(tmp_path, dislocation(120.5, 180.5, mid=100200)), scalp())
    assert outcome.summary["counts"]["orders"] == 0


def test_no_trade_during_warm_up(tmp_path):
    # the first dislocation is over before the 20th sample (t = 19.5 s)
    steps = [
        step(T0, 100000, 5),
        step(at(5.5), 100500, 5),
        step(at(15.5), 100000, 5),
        step(at(120.5), 100500, 5),
        step(at(180.5), 100000, 5),
    ]
    outcome = backtest(tmp_path, scene(tmp_path, steps), scalp())
    trades = table(outcome, "trades")
    assert len(trades) == 1
    assert trades.iloc[0].entry_ts == pd.Timestamp(at(121), tz="UTC")
    assert table(outcome, "orders").ts_init.min() > pd.Timestamp(at(19.5), tz="UTC")


def test_unfilled_leg_is_flattened_at_market_with_its_cost_recorded(tmp_path):
    # Hyperliquid reprices before the (slower) HL order arrives: its IOC limit cannot fill; no retries allowed.
    hl_moves = [quote(HL, at(120.55), "100595", "100605")]
    hl_steps = [step(T0, 100000, 5), step(at(120.55), 100600, 5)]
    venues = {
        "HYPERLIQUID": {"balance": "1000000", "latency_ms": 100},
        "BYBIT": {"balance": "1000000", "latency_ms": 5},
    }
    catalog = scene(tmp_path, dislocation(120.5, 300.5), hl_steps=hl_steps, extra=hl_moves, end=at(290))
    outcome = backtest(tmp_path, catalog, scalp(execution={"max_retries": 0}), venues=venues)
    legs = table(outcome, "leg_risk")
    entry = legs[legs.purpose == "entry"].iloc[0]
    assert bool(entry.orphan) and entry.outcome == "flattened"
    # sold 0.1 Bybit @ 100495, bought back @ 100505 (the dislocated ask) + both fees
    cost = (Decimal(100505) - Decimal(100495)) * Decimal("0.1") + (
        Decimal(100495) + Decimal(100505)
    ) * Decimal("0.1") * Decimal("0.00055")
    assert entry.flatten_cost == pytest.approx(float(cost), abs=1e-9)
    positions = table(outcome, "positions")
    assert all(Decimal(str(q)) == 0 for q in positions.quantity)  # flat everywhere
    assert outcome.summary["strategies"]["ScalpStrategy-scalp"]["orphans"] == 1
    assert outcome.summary["pnl"]["net"] == pytest.approx(-float(cost), abs=1e-6)


def test_partial_fill_residual_is_hedged_by_a_retry(tmp_path):
    # Bybit's top bid shrinks to 0.05 BTC just before the sell arrives: half fills, the rest is retried.
    thin = [quote(BY, at(120.502), "100495", "100505", size="0.05")]
    outcome = backtest(tmp_path, scene(tmp_path, dislocation(120.5, 300.5), extra=thin), scalp())
    legs = table(outcome, "leg_risk")
    entry = legs[legs.purpose == "entry"].iloc[0]
    assert entry.outcome == "hedged" and entry.retries == 1 and not bool(entry.orphan)
    assert entry.hedge_latency_ms == pytest.approx(500.0)
    trades = table(outcome, "trades")
    assert trades.iloc[0].quantity == pytest.approx(0.1)
    fills = table(outcome, "fills")
    sells = fills[(fills.instrument_id == BY) & (fills.order_side == "SELL")]
    assert sorted(sells.last_qty.astype(float)) == [0.05, 0.05]


def test_stale_quote_blocks_entry(tmp_path):
    catalog = scene(tmp_path, dislocation(120.5, 180.5), hl_skip=((at(100), at(200)),))
    outcome = backtest(tmp_path, catalog, scalp())
    assert outcome.summary["counts"]["orders"] == 0
    assert outcome.summary["strategies"]["ScalpStrategy-scalp"]["entries_blocked"]["stale_quote"] > 0


@pytest.mark.parametrize(("cooldown_s", "expected_trades"), [(0, 2), (300, 1)])
def test_cooldown_spaces_entries_on_an_asset(tmp_path, cooldown_s, expected_trades):
    steps = [
        step(T0, 100000, 5),
        step(at(120.5), 100500, 5),
        step(at(150.5), 100000, 5),
        step(at(200.5), 100500, 5),
        step(at(230.5), 100000, 5),
    ]
    outcome = backtest(tmp_path, scene(tmp_path, steps), scalp(guards={"cooldown_s": cooldown_s}))
    assert len(table(outcome, "trades")) == expected_trades


def losing_then_second_chance() -> list:
    # enter at +50 bps, the spread widens to +150 bps: stop loss; later a clean dislocation
    return [
        step(T0, 100000, 5), step(at(120.5), 100500, 5), step(at(150.5), 101500, 5), step(at(200.5), 100000, 5),
        step(at(300.5), 100500, 5), step(at(360.5), 100000, 5),
    ]  # fmt: skip


def test_kill_switch_after_consecutive_losses_stops_entries(tmp_path):
    outcome = backtest(
        tmp_path,
        scene(tmp_path, losing_then_second_chance()),
        scalp(guards={"kill_after_consecutive_losses": 1}),
    )
    trades = table(outcome, "trades")
    assert list(trades.exit_reason) == ["stop_loss"]
    s = outcome.summary["strategies"]["ScalpStrategy-scalp"]
    assert s["kill_switch"] == "1 consecutive losing trades"
    assert s["entries_blocked"]["kill_switch"] > 0


def test_daily_loss_limit_stops_entries(tmp_path):
    outcome = backtest(
        tmp_path, scene(tmp_path, losing_then_second_chance()), scalp(guards={"daily_loss_limit_usd": 1.0})
    )
    assert len(table(outcome, "trades")) == 1
    assert outcome.summary["strategies"]["ScalpStrategy-scalp"]["entries_blocked"]["daily_loss_limit"] > 0


def test_spot_perp_pair_never_shorts_spot(tmp_path):
    # spot rich first (would need a spot short: refused), then spot cheap (buy spot, sell perp)
    spot_steps = [
        step(T0, 100000, 5),
        step(at(120.5), 100500, 5),
        step(at(180.5), 100000, 5),
        step(at(300.5), 99500, 5),
        step(at(360.5), 100000, 5),
    ]
    data = quotes(BY, T0, END, [step(T0, 100000, 5)], every=SECOND)
    data += quotes(BY_SPOT, T0 + HALF_SEC, END, spot_steps, every=SECOND)
    catalog = write_catalog(tmp_path / "catalog", [BY, BY_SPOT], data, T0)
    strategy = scalp(pairs=[{"asset": "BTC", "venues": ["BYBIT:spot", "BYBIT:perp"]}])
    outcome = backtest(tmp_path, catalog, strategy, venues={"BYBIT": {"balance": "1000000", "latency_ms": 5}})
    trades = table(outcome, "trades")
    assert len(trades) == 1 and trades.iloc[0].long_instrument == BY_SPOT
    fills = table(outcome, "fills").sort_values("ts_event")
    spot = fills[fills.instrument_id == BY_SPOT]
    assert list(spot.order_side) == ["BUY", "SELL"]  # bought to open, sold only to close


def test_min_notional_on_one_leg_blocks_both(tmp_path):
    hl, bitget = "xyz:NVDA-USD-PERP.HYPERLIQUID", "NVDAUSDT-PERP.BITGET"
    data = quotes(hl, T0, END, [step(T0, 180, "0.01")], every=SECOND)
    data += quotes(
        bitget,
        T0 + HALF_SEC,
        END,
        [step(T0, 180, "0.01"), step(at(120.5), "181.5", "0.01"), step(at(180.5), 180, "0.01")],
        every=SECOND,
    )
    catalog = write_catalog(tmp_path / "catalog", [hl, bitget], data, T0)
    # 0.04 NVDA x 180 = 7.2 USD: enough for Bitget (min 5), not for Hyperliquid (min 10)
    strategy = scalp(pairs=[{"asset": "NVDA", "venues": ["HYPERLIQUID", "BITGET"]}], quantity="0.04")
    outcome = backtest(
        tmp_path,
        catalog,
        strategy,
        venues={"HYPERLIQUID": {"balance": "100000"}, "BITGET": {"balance": "100000"}},
    )
    assert outcome.summary["counts"]["orders"] == 0
    assert outcome.summary["strategies"]["ScalpStrategy-scalp"]["entries_blocked"]["min_size"] > 0


def test_equity_drawdown_kill_switch_flattens_open_pairs(tmp_path):
    # the entry fees alone are a drawdown above 0.0001 % of equity: the open pair is closed at once
    outcome = backtest(
        tmp_path,
        scene(tmp_path, dislocation(120.5, 300.5)),
        scalp(guards={"kill_drawdown_pct": 0.0001}, account_refresh_s=1.0),
    )
    trades = table(outcome, "trades")
    assert list(trades.exit_reason) == ["kill_switch"]
    assert outcome.summary["strategies"]["ScalpStrategy-scalp"]["kill_switch"].startswith("equity drawdown")
    positions = table(outcome, "positions")
    assert all(Decimal(str(q)) == 0 for q in positions.quantity)


def test_scalp_on_the_synthetic_catalog_reconciles_with_the_venues(tmp_path_factory):
    from catalog.synth import SynthParams
    from catalog.synth import generate

    root = tmp_path_factory.mktemp("synth")
    generate(root / "catalog", SynthParams(days=0.5, seed=11))
    strategy = scalp(
        pairs=[{"asset": "ETH", "venues": ["HYPERLIQUID", "BITGET"]}, {"asset": "BTC", "venues": ["BYBIT:spot", "BYBIT:perp"]}],
        quantity=None, notional_usd=5000.0, warmup=60, window=300, guards={"cooldown_s": 10},
    )  # fmt: skip
    venues = {v: {"balance": "100000"} for v in ("HYPERLIQUID", "BITGET", "BYBIT")}
    outcome = run(root / "catalog", root / "results", venues, [strategy])
    trades = table(outcome, "trades")
    assert len(trades) > 0
    closed = trades[trades.exit_ts.notna()]
    s = outcome.summary
    # every trade the strategy recorded adds up to what the venues' accounts say
    open_net = trades[trades.exit_ts.isna()]
    assert open_net.empty or s["pnl"]["unrealized"] != 0
    if open_net.empty:
        assert closed.net.sum() == pytest.approx(s["pnl"]["net"], abs=1e-6)
    for venue in s["pnl_by_venue"].values():
        assert venue["account"]["difference"] == pytest.approx(0, abs=1e-6)
    assert set(trades.long_instrument) | set(trades.short_instrument) <= {
        "ETH-USD-PERP.HYPERLIQUID", "ETHUSDT-PERP.BITGET", "BTCUSDT-SPOT.BYBIT", "BTCUSDT-LINEAR.BYBIT",
    }  # fmt: skip
    assert "BTCUSDT-SPOT.BYBIT" not in set(trades.short_instrument)


def test_active_pairs_survive_a_restart_through_the_cache(tmp_path):
    from strategies.pairs import OPEN
    from strategies.pairs import PairBook
    from strategies.pairs import PositionPair

    book = PairBook()
    pair = book.add(
        PositionPair(
            "S1",
            "scalp",
            "BTC",
            HL,
            BY,
            Decimal("0.1"),
            state=OPEN,
            entry_ts=1,
            entry_long_px=Decimal("100005"),
            entry_short_px=Decimal("100495"),
            funding=Decimal("1.25"),
        )
    )
    book.add(PositionPair("S0", "scalp", "BTC", HL, BY, Decimal("0.1"), state="closed"))
    restored = PairBook()
    restored.loads(book.dumps(active_only=True))
    assert list(restored.pairs) == ["S1"]
    assert repr(restored.pairs["S1"].to_json()) == repr(
        pair.to_json()
    )  # (NaN edges compare unequal as floats)
    assert restored.expected_position(HL) == Decimal("0.1") and restored.expected_position(BY) == Decimal(
        "-0.1"
    )


# -- the L2 book ---------------------------------------------------------------------------------------
def book_scene(tmp_path, deep_bybit_bid: str):
    """Top of book 0.05 BTC each side; the next level 100 USD further on HL, and `deep_bybit_bid` on Bybit
    during the dislocation (Bybit mid 100500 from 120.5 s)."""
    from support import book_snapshot

    data = quotes(HL, T0, END, [step(T0, 100000, 5, size="0.05")], every=SECOND)
    data += quotes(
        BY,
        T0 + HALF_SEC,
        END,
        [
            step(T0, 100000, 5, size="0.05"),
            step(at(120.5), 100500, 5, size="0.05"),
            step(at(300.5), 100000, 5, size="0.05"),
        ],
        every=SECOND,
    )
    data += book_snapshot(
        HL, T0, [("99995", "0.05"), ("99895", "10")], [("100005", "0.05"), ("100105", "10")]
    )
    data += book_snapshot(
        BY, T0 + HALF_SEC, [("99995", "0.05"), ("99895", "10")], [("100005", "0.05"), ("100105", "10")]
    )
    data += book_snapshot(
        BY,
        at(120.5),
        [("100495", "0.05"), (deep_bybit_bid, "10")],
        [("100505", "0.05"), ("100605", "10")],
        sequence=1,
    )
    data += book_snapshot(
        BY,
        at(300.5),
        [("99995", "0.05"), ("99895", "10")],
        [("100005", "0.05"), ("100105", "10")],
        sequence=2,
    )
    return write_catalog(tmp_path / "catalog", [HL, BY], data, T0)


BOOK_VENUES = {
    v: {"balance": "1000000", "latency_ms": 5, "book_type": "L2_MBP"} for v in ("HYPERLIQUID", "BYBIT")
}
BOOK_DATA = {"types": ["quotes", "book"]}


def test_edge_is_taken_at_the_vwap_of_the_book_walked_for_the_size(tmp_path):
    catalog = book_scene(tmp_path, deep_bybit_bid="100395")
    outcome = run(catalog, tmp_path / "results", BOOK_VENUES, [scalp(use_book=True)], data=BOOK_DATA)
    trades = table(outcome, "trades")
    t = trades.iloc[0]
    # buy 0.1 HL: 0.05 @ 100005 + 0.05 @ 100105 = 100055; sell 0.1 Bybit: 0.05 @ 100495 + 0.05 @ 100395 = 100445
    assert t.quantity == pytest.approx(0.1)
    assert t.expected_edge_bps == pytest.approx((100445 / 100055 - 1) * 1e4)
    fills = table(outcome, "fills")
    entry = fills[fills.ts_event < pd.Timestamp(at(200), tz="UTC")]
    assert sorted(zip(entry.instrument_id, entry.last_px, entry.last_qty.astype(float), strict=True)) == [
        (HL, "100005", 0.05), (HL, "100105", 0.05), (BY, "100395.0", 0.05), (BY, "100495.0", 0.05),
    ]  # fmt: skip


def test_a_thin_book_whose_vwap_edge_is_below_the_trigger_is_not_traded(tmp_path):
    # the top of book shows 49 bps, but 0.1 BTC sold into Bybit's book only averages 100260 -> 20 bps
    catalog = book_scene(tmp_path, deep_bybit_bid="100025")
    outcome = run(catalog, tmp_path / "results", BOOK_VENUES, [scalp(use_book=True)], data=BOOK_DATA)
    assert outcome.summary["counts"]["orders"] == 0


# -- more guards and exits ----------------------------------------------------------------------------
def test_max_hold_closes_a_pair_that_never_reverts(tmp_path):
    outcome = backtest(tmp_path, scene(tmp_path, dislocation(120.5, 590)), scalp(max_hold_s=60))
    t = table(outcome, "trades").iloc[0]
    assert t.exit_reason == "max_hold"
    assert pd.Timedelta(seconds=60) <= t.exit_ts - t.entry_ts < pd.Timedelta(seconds=62)


@pytest.mark.parametrize(
    ("guards", "reason"),
    [
        ({"min_free_balance_usd": 2_000_000}, "low_balance"),
        ({"max_position_usd_per_asset": 5_000}, "max_position_asset"),
        ({"max_position_usd_total": 5_000}, "max_position_total"),
    ],
)
def test_guards_block_entries(tmp_path, guards, reason):
    outcome = backtest(
        tmp_path, scene(tmp_path, dislocation(120.5, 180.5)), scalp(guards=guards, account_refresh_s=1.0)
    )
    assert outcome.summary["counts"]["orders"] == 0
    assert outcome.summary["strategies"]["ScalpStrategy-scalp"]["entries_blocked"][reason] > 0


def test_rate_budget_hook_pauses_entries_when_a_venue_cap_is_nearly_spent(tmp_path):
    # Bybit allows 4 orders an hour: the first round trip spends them all, the next dislocation waits
    steps = [
        step(T0, 100000, 5),
        step(at(120.5), 100500, 5),
        step(at(150.5), 100000, 5),
        step(at(200.5), 100500, 5),
        step(at(230.5), 100000, 5),
    ]
    outcome = backtest(
        tmp_path, scene(tmp_path, steps), scalp(guards={"rate_caps": {"BYBIT": {"per_hour": 4}}})
    )
    assert len(table(outcome, "trades")) == 1
    assert outcome.summary["strategies"]["ScalpStrategy-scalp"]["entries_blocked"]["rate_budget"] > 0


def test_delta_imbalance_left_by_a_failed_flatten_is_repaired(tmp_path):
    # HL reprices away (the HL leg never fills) and Bybit's ask is only 0.05 deep when the orphan is
    # flattened: one flatten attempt leaves 0.05 short, the delta check repairs it.
    hl_steps = [step(T0, 100000, 5), step(at(120.55), 100600, 5)]
    thin = [quote(BY, at(121.2), "100495", "100505", size="0.05")]
    by_steps = [
        step(T0, 100000, 5),
        step(at(120.5), 100500, 5),
        step(at(121.5), 100500, 5, size="0.05"),
        step(at(122.5), 100500, 5),
    ]
    venues = {
        "HYPERLIQUID": {"balance": "1000000", "latency_ms": 100},
        "BYBIT": {"balance": "1000000", "latency_ms": 5},
    }
    catalog = scene(tmp_path, by_steps, hl_steps=hl_steps, extra=thin, end=at(290))
    strategy = scalp(execution={"max_retries": 0, "flatten_attempts": 1})
    outcome = backtest(tmp_path, catalog, strategy, venues=venues)
    s = outcome.summary["strategies"]["ScalpStrategy-scalp"]
    assert s["delta_repairs"] == 1
    legs = table(outcome, "leg_risk")
    assert list(zip(legs.purpose, legs.outcome, strict=True)) == [
        ("entry", "flatten_failed"),
        ("repair", "hedged"),
    ]
    positions = table(outcome, "positions")
    assert all(Decimal(str(q)) == 0 for q in positions.quantity)


def test_heartbeat_shows_spread_trigger_and_distance_per_direction(tmp_path):
    outcome = backtest(tmp_path, scene(tmp_path, dislocation(120.5, 180.5)), scalp())
    (strategy,) = outcome.strategies
    lines = strategy.heartbeat_lines(at(599))
    assert len(lines) == 1
    assert (
        lines[0].startswith("  BTC HYPERLIQUID/BYBIT: A->B ")
        and "vs trigger" in lines[0]
        and "(distance " in lines[0]
    )
