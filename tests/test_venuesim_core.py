"""The venue-agnostic matching core: order types, partial fills, margin, funding, price paths."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from venuesim.core.exchange import SimExchange
from venuesim.core.model import FillEvent
from venuesim.core.model import FundingEvent
from venuesim.core.model import MarketSpec
from venuesim.core.model import OrderEvent
from venuesim.core.model import OrderStatus
from venuesim.core.model import Reject
from venuesim.core.model import Side
from venuesim.core.model import Tif
from venuesim.core.pricepath import PricePath
from venuesim.core.pricepath import ReplayPath

pytestmark = pytest.mark.timeout(30)
ALICE, BOB = "0xa11ce", "0xb0b"


def exchange(**kw) -> SimExchange:
    specs = [
        MarketSpec(
            "BTC",
            "perp",
            "BTC",
            "USDC",
            5,
            Decimal("65000"),
            max_price_decimals=1,
            vol_bps=0.0,
            level_notional=Decimal("6500"),
        ),
        MarketSpec(
            "HYPE/USDC",
            "spot",
            "HYPE",
            "USDC",
            2,
            Decimal("40"),
            group="spot",
            max_price_decimals=6,
            vol_bps=0.0,
        ),
    ]
    ex = SimExchange(specs, synthetic_trades=False, **kw)
    ex.ensure_account(ALICE, {"": Decimal("10000")}, {"USDC": Decimal("1000")})
    ex.ensure_account(BOB, {"": Decimal("10000")})
    return ex


def test_synthetic_book_respects_the_price_rule_around_the_mid():
    ex = exchange()
    bids, asks = ex.book("BTC", depth=5)
    assert bids[0][0] < Decimal("65000") < asks[0][0]
    assert all(px == px.to_integral_value() for px, _, _ in bids + asks)  # 5 sig figs at 65k = integers
    assert [b[0] for b in bids] == sorted((b[0] for b in bids), reverse=True)


def test_ioc_walks_the_book_and_cancels_the_remainder():
    ex = exchange()
    events = []
    ex.add_listener(events.append)
    _, asks = ex.book("BTC", depth=2)
    size = asks[0][1] + asks[1][1] / 2  # all of level 1, half of level 2
    r = ex.place(ALICE, "BTC", Side.BUY, asks[1][0], size, Tif.IOC)
    assert r.order.status is OrderStatus.FILLED and len(r.fills) == 2
    assert [f.price for f in r.fills] == [asks[0][0], asks[1][0]]
    assert ex.account(ALICE).positions["BTC"].szi == size
    assert [type(e).__name__ for e in events if isinstance(e, (FillEvent, OrderEvent))] == [
        "FillEvent",
        "FillEvent",
        "OrderEvent",
    ]
    fee = sum(f.fee for f in r.fills)
    assert fee > 0 and ex.account(ALICE).collateral[""] == Decimal("10000") - fee


def test_ioc_without_liquidity_is_rejected_and_alo_that_would_cross_too():
    ex = exchange()
    bid, ask = ex.best_bid_ask("BTC")
    assert (
        ex.place(ALICE, "BTC", Side.BUY, bid - 100, Decimal("0.01"), Tif.IOC).order.reject
        is Reject.IOC_NO_MATCH
    )
    assert (
        ex.place(ALICE, "BTC", Side.BUY, ask, Decimal("0.01"), Tif.ALO).order.reject
        is Reject.POST_ONLY_WOULD_CROSS
    )
    rest = ex.place(ALICE, "BTC", Side.BUY, bid, Decimal("0.01"), Tif.ALO)
    assert rest.order.status is OrderStatus.OPEN and ex.open_orders(ALICE) == [rest.order]


def test_resting_order_fills_as_maker_when_the_market_moves_through_it():
    ex = exchange()
    bid, _ = ex.best_bid_ask("BTC")
    r = ex.place(ALICE, "BTC", Side.BUY, bid - 50, Decimal("0.02"), Tif.GTC)
    ex.shift("BTC", -100)  # -1%: the asks drop through the bid
    fills = list(ex.account(ALICE).fills)
    assert r.order.status is OrderStatus.FILLED and len(fills) == 1
    assert not fills[0].crossed and fills[0].price == bid - 50 and fills[0].direction == "Open Long"


def test_partial_fill_fault_and_cancel_of_the_rest():
    ex = exchange()
    ex.faults.partial_fill_fraction = Decimal("0.25")
    _, ask = ex.best_bid_ask("BTC")
    r = ex.place(ALICE, "BTC", Side.BUY, ask, Decimal("0.04"), Tif.GTC)
    assert r.order.filled == Decimal("0.01") and r.order.status is OrderStatus.OPEN
    assert ex.cancel(ALICE, r.order.oid).status is OrderStatus.CANCELED
    assert ex.cancel(ALICE, r.order.oid) is None  # already canceled


def test_users_trade_with_each_other_and_positions_net():
    ex = exchange()
    bid, ask = ex.best_bid_ask("BTC")
    px = (bid + ask) / 2  # inside the spread: only Bob's order can fill it
    resting = ex.place(BOB, "BTC", Side.SELL, px, Decimal("0.01"), Tif.GTC)
    taker = ex.place(ALICE, "BTC", Side.BUY, px, Decimal("0.01"), Tif.IOC)
    assert taker.order.status is OrderStatus.FILLED and resting.order.status is OrderStatus.FILLED
    assert ex.account(BOB).positions["BTC"].szi == Decimal("-0.01")
    close = ex.place(ALICE, "BTC", Side.SELL, bid - 1000, Decimal("0.01"), Tif.IOC, reduce_only=True)
    assert close.fills[-1].direction == "Close Long" and ex.account(ALICE).positions["BTC"].szi == 0


def test_margin_and_reduce_only_rejections():
    ex = exchange()
    _, ask = ex.best_bid_ask("BTC")
    too_big = ex.place(ALICE, "BTC", Side.BUY, ask, Decimal("2"), Tif.IOC)  # 130k notional at 10x on 10k
    assert too_big.order.reject is Reject.INSUFFICIENT_MARGIN
    assert (
        ex.place(ALICE, "BTC", Side.SELL, ask, Decimal("0.01"), Tif.IOC, reduce_only=True).order.reject
        is Reject.REDUCE_ONLY_WOULD_INCREASE
    )
    ex.faults.reject_next = 1
    assert ex.place(ALICE, "BTC", Side.BUY, ask, Decimal("0.01"), Tif.IOC).order.reject is Reject.INJECTED


def test_spot_balances_move_with_fills():
    ex = exchange()
    _, ask = ex.best_bid_ask("HYPE/USDC")
    r = ex.place(ALICE, "HYPE/USDC", Side.BUY, ask, Decimal("2"), Tif.IOC)
    acct = ex.account(ALICE)
    assert acct.spot["USDC"] == Decimal("1000") - ask * 2
    assert acct.spot["HYPE"] == Decimal("2") - r.fills[0].fee and r.fills[0].fee_token == "HYPE"
    assert (
        ex.place(BOB, "HYPE/USDC", Side.BUY, ask, Decimal("2"), Tif.IOC).order.reject
        is Reject.INSUFFICIENT_SPOT_BALANCE
    )


def test_funding_settles_minus_size_times_oracle_times_rate():
    ex = exchange()
    events = []
    ex.add_listener(events.append)
    _, ask = ex.best_bid_ask("BTC")
    ex.place(ALICE, "BTC", Side.BUY, ask, Decimal("0.1"), Tif.IOC)
    ex.place(BOB, "BTC", Side.SELL, Decimal("60000"), Decimal("0.05"), Tif.IOC)
    before = ex.account(ALICE).collateral[""]
    oracle = ex.market("BTC").oracle
    entries = ex.settle_funding("BTC", Decimal("0.0001"))
    by_user = {e.user: e for e in entries}
    assert by_user[ALICE].amount == (-Decimal("0.1") * oracle * Decimal("0.0001")).quantize(
        Decimal("0.000001")
    )
    assert by_user[BOB].amount > 0  # shorts receive a positive rate
    assert ex.account(ALICE).collateral[""] == before + by_user[ALICE].amount
    assert len([e for e in events if isinstance(e, FundingEvent)]) == 2
    assert ex.market("BTC").funding_history[-1][1] == Decimal("0.0001")


def test_price_paths_are_seeded_and_shiftable():
    a, b = PricePath(Decimal("100"), vol_bps=5, seed=3), PricePath(Decimal("100"), vol_bps=5, seed=3)
    assert [a.step() for _ in range(5)] == [b.step() for _ in range(5)]
    level = a.mid
    a.shift_bps(150)
    assert a.mid == pytest.approx(level * Decimal("1.015"))


def test_replay_path_follows_recorded_hyperliquid_bbo(shared_data: Path):
    rows = list(csv.DictReader((shared_data / "djienne_hyperliquid_capture" / "prices_BTC.csv").open()))
    bids = {r["exchange_timestamp"]: Decimal(r["price"]) for r in rows if r["side"] == "bid"}
    asks = {r["exchange_timestamp"]: Decimal(r["price"]) for r in rows if r["side"] == "ask"}
    mids = [(bids[t] + asks[t]) / 2 for t in sorted(set(bids) & set(asks))][:500]
    spec = MarketSpec("BTC", "perp", "BTC", "USDC", 5, mids[0], max_price_decimals=1)
    ex = SimExchange([spec], paths={"BTC": ReplayPath(mids)}, synthetic_trades=False)
    seen = []
    for _ in range(50):
        ex.tick()
        seen.append(ex.market("BTC").path.mid)
    assert seen == mids[1:51]  # the simulator's BTC walks the recorded 2025-09-03 mids
    bid, ask = ex.best_bid_ask("BTC")
    assert bid < mids[50] < ask


def test_replay_path_from_a_catalog(tmp_path):
    from support import PriceStep
    from support import quotes
    from support import ts
    from support import write_catalog

    start = ts("2025-01-01 00:00")
    steps = [
        PriceStep(start, Decimal("65000"), Decimal("5")),
        PriceStep(start + 5 * 60_000_000_000, Decimal("66000"), Decimal("5")),
    ]
    data = quotes("BTC-USD-PERP.HYPERLIQUID", start, start + 9 * 60_000_000_000, steps)
    write_catalog(tmp_path / "cat", ["BTC-USD-PERP.HYPERLIQUID"], data, start)
    path = ReplayPath.from_catalog(str(tmp_path / "cat"), "BTC-USD-PERP.HYPERLIQUID")
    mids = [path.mid] + [path.step() for _ in range(9)]
    assert mids == [Decimal("65000")] * 5 + [Decimal("66000")] * 5
    path.shift_bps(100)
    assert path.mid == pytest.approx(Decimal("66660"))
