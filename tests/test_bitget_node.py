"""The Bitget adapter in a real Nautilus TradingNode against venuesim: orders (IOC, GTC, modify,
cancel, batch, reduce-only, post-only, FOK, spot), rejects with the venue's reason, positions,
funding payments, book checksums and resync, and what happens when the network misbehaves."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from bg_support import BTC_SPOT
from bg_support import MARKETS_4H_NVDA
from bg_support import NVDA
from bg_support import UID
from bg_support import BitgetNode
from bg_support import ProbeConfig
from bg_support import events_for
from bg_support import limit
from bg_support import node_config
from bg_support import running_sim
from bg_support import wait_for
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GeneratePositionStatusReports
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.orders import OrderList

from adapters.common.feed_status import FeedStatus
from catalog.funding import FundingPayment

pytestmark = pytest.mark.timeout(150)


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=0.05, markets=MARKETS_4H_NVDA) as s:
        yield s


@pytest.fixture(scope="module")
def node(sim):
    probe = ProbeConfig(
        quotes=[str(NVDA), str(BTC_SPOT)], books=[str(NVDA)], ctx=[str(NVDA)], custom=[str(NVDA)]
    )
    with BitgetNode(node_config(sim), probe) as h:
        wait_for(lambda: len(h.probe.quotes) > 2 and h.probe.books, 10, "first quotes and books")
        yield h


@pytest.fixture(autouse=True)
def clean(sim):
    yield
    sim.reset_faults()


def submit(h: BitgetNode, side, qty: str, px: str, instrument=NVDA, **kw):
    order = h.call(lambda: limit(h.probe, instrument, side, qty, px, **kw))
    h.call(lambda: h.probe.submit_order(order))
    return order


def status(h: BitgetNode, order) -> str:
    return h.call(lambda: h.probe.cache.order(order.client_order_id).status_string())


def top(sim, market: str = "NVDAUSDT") -> tuple[Decimal, Decimal]:
    m = sim.state()["markets"][market]
    return Decimal(m["bid"]), Decimal(m["ask"])


def px(value: Decimal, places: int = 2) -> str:
    return str(value.quantize(Decimal(1).scaleb(-places)))


def venue_position(sim, market: str = "NVDAUSDT") -> Decimal:
    return Decimal(sim.state()["accounts"][UID]["positions"].get(market, "0"))


def positions(h: BitgetNode) -> dict:
    reports = h.run_coro(
        h.exec_client.generate_position_status_reports(
            GeneratePositionStatusReports(
                instrument_id=None, start=None, end=None, command_id=UUID4(), ts_init=time.time_ns()
            )
        )
    )
    return {r.instrument_id: (r.position_side, r.quantity.as_decimal()) for r in reports}


def kinds(h: BitgetNode, order) -> list[str]:
    return [
        type(e).__name__
        for e in h.probe.events
        if getattr(e, "client_order_id", None) == order.client_order_id
    ]


def test_ioc_fills_and_the_position_is_reported(node, sim):
    before = venue_position(sim)
    _, ask = top(sim)
    order = submit(node, OrderSide.BUY, "2", px(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    fill = wait_for(lambda: events_for(node, order, "OrderFilled"), 10, "IOC fill")[0]
    assert fill.last_qty.as_decimal() == Decimal("2") and fill.commission.currency.code == "USDT"
    assert fill.liquidity_side.name == "TAKER" and fill.last_px.as_decimal() <= ask * Decimal("1.01")
    assert fill.commission.as_decimal() == (fill.last_px.as_decimal() * 2 * Decimal("0.0006")).quantize(
        Decimal("0.000001")
    )
    assert kinds(node, order) == ["OrderInitialized", "OrderSubmitted", "OrderAccepted", "OrderFilled"]
    assert venue_position(sim) == before + 2
    assert positions(node)[NVDA] == (PositionSide.LONG, before + 2)
    account = node.call(lambda: node.probe.cache.account_for_venue(NVDA.venue))
    usdt = fill.commission.currency
    # futures equity (after the fee) plus the spot wallet's USDT, as one multi-currency margin account
    wait_for(
        lambda: 199_000 < node.call(lambda: account.balance_total(usdt)).as_decimal() < 200_000, 5, "balance"
    )


def test_gtc_rests_is_modified_then_canceled(node, sim):
    bid, _ = top(sim)
    order = submit(node, OrderSide.BUY, "1", px(bid * Decimal("0.97")))
    accepted = wait_for(lambda: events_for(node, order, "OrderAccepted"), 10, "accepted")[0]
    new_px = node.call(lambda: node.probe.cache.instrument(NVDA).make_price(bid * Decimal("0.96")))
    new_qty = node.call(lambda: node.probe.cache.instrument(NVDA).make_qty(Decimal("1.5")))
    node.call(lambda: node.probe.modify_order(node.probe.cache.order(order.client_order_id), new_qty, new_px))
    updated = wait_for(lambda: events_for(node, order, "OrderUpdated"), 10, "modify")[0]
    assert updated.venue_order_id != accepted.venue_order_id  # the venue replaces the order
    assert updated.price == new_px and updated.quantity == new_qty
    resting = sim.call(lambda: [o for o in sim.exchange.open_orders(UID) if o.market == "NVDAUSDT"])
    assert [(str(o.oid), o.price, o.size) for o in resting] == [
        (updated.venue_order_id.value, new_px.as_decimal(), Decimal("1.5"))
    ]
    node.call(lambda: node.probe.cancel_order(node.probe.cache.order(order.client_order_id)))
    wait_for(lambda: events_for(node, order, "OrderCanceled"), 10, "cancel")
    assert sim.call(lambda: [o for o in sim.exchange.open_orders(UID) if o.market == "NVDAUSDT"]) == []
    time.sleep(0.3)
    assert len(events_for(node, order, "OrderCanceled")) == 1  # the replaced order's cancel push is not one


def test_rejections_carry_the_reason(node, sim):
    bid, ask = top(sim)
    post_only = submit(node, OrderSide.BUY, "1", px(ask + 1), post_only=True)
    rej = wait_for(lambda: events_for(node, post_only, "OrderRejected"), 10, "post-only reject")[0]
    assert rej.due_post_only and "post-only" in rej.reason
    huge = submit(node, OrderSide.BUY, "20000", px(ask), time_in_force=TimeInForce.IOC)
    rej = wait_for(lambda: events_for(node, huge, "OrderRejected"), 10, "margin reject")[0]
    assert rej.reason == "40762: The order amount exceeds the balance"
    tiny = submit(node, OrderSide.BUY, "0.01", px(bid))
    rej = wait_for(lambda: events_for(node, tiny, "OrderRejected"), 10, "local reject")[0]
    assert "below the venue minimum of 5 USDT" in rej.reason
    sim.set_faults(reject_next=1, reject_reason="Order rejected: venue maintenance")
    injected = submit(node, OrderSide.BUY, "1", px(ask), time_in_force=TimeInForce.IOC)
    rej = wait_for(lambda: events_for(node, injected, "OrderRejected"), 10, "injected reject")[0]
    assert rej.reason == "45001: Order rejected: venue maintenance"
    gtd = node.call(
        lambda: limit(node.probe, NVDA, OrderSide.BUY, "1", px(bid), time_in_force=TimeInForce.DAY)
    )
    node.call(lambda: node.probe.submit_order(gtd))
    rej = wait_for(lambda: events_for(node, gtd, "OrderRejected"), 10, "tif reject")[0]
    assert "time_in_force DAY is not supported by Bitget" in rej.reason


def test_fok_that_cannot_fill_is_canceled_without_fills(node, sim):
    _, ask = top(sim)
    order = submit(node, OrderSide.BUY, "1000", px(ask), time_in_force=TimeInForce.FOK)
    wait_for(lambda: events_for(node, order, "OrderCanceled"), 10, "FOK canceled")
    assert kinds(node, order) == ["OrderInitialized", "OrderSubmitted", "OrderAccepted", "OrderCanceled"]


def test_partial_ioc_fills_then_cancels_the_rest_in_that_order(node, sim):
    sim.set_faults(partial_fill_fraction=0.5, ack_delay_ms=150)
    _, ask = top(sim)
    order = submit(node, OrderSide.BUY, "2", px(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, order, "OrderCanceled"), 10, "IOC remainder canceled")
    assert [f.last_qty.as_decimal() for f in events_for(node, order, "OrderFilled")] == [Decimal("1")]
    k = kinds(node, order)
    assert k.index("OrderFilled") < k.index("OrderCanceled") and status(node, order) == "CANCELED"


def test_reduce_only_closes_but_never_opens(node, sim):
    bid, ask = top(sim)
    opened = submit(node, OrderSide.BUY, "1", px(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, opened, "OrderFilled"), 10, "open")
    size = venue_position(sim)
    too_much = submit(
        node,
        OrderSide.SELL,
        str(size + 5),
        px(bid * Decimal("0.99")),
        time_in_force=TimeInForce.IOC,
        reduce_only=True,
    )
    rej = wait_for(lambda: events_for(node, too_much, "OrderRejected"), 10, "reduce-only reject")[0]
    assert rej.reason == "40757: Not enough position is available."
    close = submit(
        node, OrderSide.SELL, "1", px(bid * Decimal("0.99")), time_in_force=TimeInForce.IOC, reduce_only=True
    )
    wait_for(lambda: events_for(node, close, "OrderFilled"), 10, "reduce-only close")
    assert venue_position(sim) == size - 1


def test_market_orders_and_order_lists(node, sim):
    market = node.call(
        lambda: node.probe.order_factory.market(
            NVDA, OrderSide.SELL, node.probe.cache.instrument(NVDA).make_qty(Decimal("1"))
        )
    )
    node.call(lambda: node.probe.submit_order(market))
    fill = wait_for(lambda: events_for(node, market, "OrderFilled"), 10, "market fill")[0]
    assert fill.order_type.name == "MARKET" and fill.liquidity_side.name == "TAKER"
    bid, _ = top(sim)
    sent: list[bytes] = []
    node.exec_client._http.on_send = lambda body, t: sent.append(body)
    a = node.call(lambda: limit(node.probe, NVDA, OrderSide.BUY, "1", px(bid * Decimal("0.9"))))
    b = node.call(lambda: limit(node.probe, NVDA, OrderSide.BUY, "2", px(bid * Decimal("0.91"))))
    node.call(
        lambda: node.probe.submit_order_list(
            OrderList(node.probe.order_factory.generate_order_list_id(), [a, b])
        )
    )
    for o in (a, b):
        wait_for(lambda o=o: events_for(node, o, "OrderAccepted"), 10, "batch accepted")
    node.exec_client._http.on_send = None
    batches = [json.loads(b) for b in sent if b"orderList" in b]
    assert len(sent) == 1 and [o["size"] for o in batches[0]["orderList"]] == ["1.00", "2.00"]  # one request
    node.call(lambda: node.probe.cancel_all_orders(NVDA))
    for o in (a, b):
        wait_for(lambda o=o: events_for(node, o, "OrderCanceled"), 10, "cancel all")
    assert sim.call(lambda: sim.exchange.open_orders(UID)) == []


def test_spot_pair_trades_with_fees_in_the_bought_coin(node, sim):
    _, ask = top(sim, "BTCUSDT-SPOT")
    order = submit(
        node,
        OrderSide.BUY,
        "0.01",
        px(ask * Decimal("1.01")),
        instrument=BTC_SPOT,
        time_in_force=TimeInForce.IOC,
    )
    fill = wait_for(lambda: events_for(node, order, "OrderFilled"), 10, "spot fill")[0]
    assert fill.commission.currency.code == "BTC" and fill.commission.as_decimal() == Decimal("0.00001")
    spot = sim.state()["accounts"][UID]["spot"]
    assert Decimal(spot["BTC"]) == Decimal("0.00999")
    market = node.call(
        lambda: node.probe.order_factory.market(
            BTC_SPOT, OrderSide.SELL, node.probe.cache.instrument(BTC_SPOT).make_qty(Decimal("0.005"))
        )
    )
    node.call(lambda: node.probe.submit_order(market))
    sold = wait_for(lambda: events_for(node, market, "OrderFilled"), 10, "spot market sell")[0]
    assert sold.commission.currency.code == "USDT"


def test_funding_settlement_becomes_a_funding_payment(node, sim):
    _, ask = top(sim)
    if venue_position(sim) <= 0:
        o = submit(node, OrderSide.BUY, "2", px(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
        wait_for(lambda: events_for(node, o, "OrderFilled"), 10, "open")
    held = venue_position(sim)
    wait_for(lambda: node.exec_client._positions.get("NVDAUSDT") == held, 10, "positions stream")
    sim.settle_funding("NVDAUSDT", "0.0004")
    entry = sim.call(lambda: list(sim.exchange.account(UID).fundings)[-1])
    payments = wait_for(
        lambda: [d for d in node.probe.data if isinstance(d, FundingPayment)], 10, "FundingPayment"
    )
    p = payments[-1]
    assert p.instrument_id == NVDA and p.rate == Decimal("0.0004") and p.position_quantity == held
    assert p.amount == entry.amount < 0 and p.currency.code == "USDT"
    assert p.mark_price == entry.oracle_px.quantize(Decimal("0.01"))
    assert p.ts_event == entry.time * 1_000_000
    time.sleep(0.5)
    assert len([d for d in node.probe.data if isinstance(d, FundingPayment)]) == len(payments)  # once only


def test_funding_rates_marks_and_intervals_stream(node, sim):
    sim.set_funding_rate("NVDAUSDT", "0.00033")
    rates = wait_for(
        lambda: [r for r in node.probe.funding_rates if r.rate == Decimal("0.00033")], 10, "new rate"
    )
    assert rates[-1].next_funding_ns % (4 * 3_600_000_000_000) == 0  # NVDAUSDT settles every 4 h
    assert node.probe.marks and node.probe.indexes
    assert node.call(lambda: node.probe.cache.instrument(NVDA).info["funding_interval_hours"]) == 4


def test_book_checksum_mismatch_makes_the_client_resync_from_a_fresh_snapshot(node, sim):
    client = node.data_client
    before = dict(client.book_stats)
    sim.call(sim.front.corrupt_checksums, 1)
    wait_for(lambda: client.book_stats["resyncs"] > before.get("resyncs", 0), 10, "resync")
    wait_for(lambda: client.book_stats["snapshots"] > before.get("snapshots", 0), 10, "fresh snapshot")
    wait_for(lambda: client.book_stats["updates"] > before.get("updates", 0) + 3, 10, "updates again")
    assert client.book_stats["checksum_mismatches"] == before.get("checksum_mismatches", 0) + 1
    book = node.call(lambda: node.probe.cache.order_book(NVDA))
    bid, _ask = top(sim)
    wait_for(lambda: node.call(lambda: book.best_bid_price()) is not None, 5, "book")
    assert abs(node.call(lambda: book.best_bid_price()).as_decimal() - bid) / bid < Decimal("0.01")


def test_lost_order_reply_is_resolved_by_client_oid(node, sim):
    sim.set_faults(drop_ack_next=1)
    _, ask = top(sim)
    order = submit(node, OrderSide.BUY, "1", px(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, order, "OrderFilled"), 15, "fill despite the lost reply")
    assert status(node, order) == "FILLED"
    assert sim.state()["faults"]["injected"]["drop_ack"] >= 1
    assert (
        len(
            [
                o
                for o in sim.call(lambda: list(sim.exchange.orders.values()))
                if o.cloid == order.client_order_id.value.lower()
            ]
        )
        == 1
    )


def test_rate_limited_and_failing_rest_calls_are_retried(node, sim):
    sim.set_faults(http_error_next=[429, 502], retry_after_secs=0.2)
    _, ask = top(sim)
    order = submit(node, OrderSide.BUY, "1", px(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, order, "OrderFilled"), 15, "fill after retries")
    assert node.exec_client._http.transport.stats["retries"] >= 2


def test_fills_during_a_disconnect_are_recovered_exactly_once(node, sim):
    bid, _ = top(sim)
    order = submit(node, OrderSide.BUY, "1", px(bid * Decimal("0.995")))
    wait_for(lambda: events_for(node, order, "OrderAccepted"), 10, "resting")
    before = venue_position(sim)
    sim.drop_sockets(refuse_ms=1500)  # both sockets down, reconnects refused for a while
    sim.set_mid("NVDAUSDT", bid * Decimal("0.98"))  # the market trades through the resting bid
    wait_for(lambda: venue_position(sim) == before + 1, 5, "filled on the venue")
    fill = wait_for(lambda: events_for(node, order, "OrderFilled"), 20, "fill recovered after reconnect")[0]
    assert fill.liquidity_side.name == "MAKER" and status(node, order) == "FILLED"
    time.sleep(1.0)
    assert len(events_for(node, order, "OrderFilled")) == 1
    assert node.exec_client.websocket.ws.reconnects >= 1


def test_silent_feed_is_reported_stale_then_live(node, sim):
    sim.set_faults(ws_silent=True)
    stale = wait_for(
        lambda: [d for d in node.probe.data if isinstance(d, FeedStatus) and d.state == "stale"], 10, "stale"
    )
    assert stale[-1].instrument_id in (NVDA, BTC_SPOT)
    sim.reset_faults()
    wait_for(
        lambda: [d for d in node.probe.data if isinstance(d, FeedStatus) and d.state == "live"],
        15,
        "live again",
    )
    n = len(node.probe.quotes)
    wait_for(lambda: len(node.probe.quotes) > n + 2, 10, "quotes flowing")


def test_history_requests_for_the_catalog_downloader(node, sim):
    from nautilus_trader.model.data import BarSpecification
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.enums import AggregationSource
    from nautilus_trader.model.enums import BarAggregation
    from nautilus_trader.model.enums import PriceType

    from adapters.bitget.history import BitgetHistory

    start = time.time_ns() - 3_600_000_000_000
    for rate in ("0.0001", "-0.0002"):
        sim.settle_funding("NVDAUSDT", rate)
        time.sleep(0.01)  # settlements a venue makes at distinct times
    client = node.data_client
    history = BitgetHistory(client._http, client._provider)
    rates = node.run_coro(history.funding_rates(NVDA, start))
    assert [r.rate for r in rates[-2:]] == [Decimal("0.0001"), Decimal("-0.0002")]
    assert all(r.next_funding_ns == r.ts_event for r in rates)  # settled rates
    bar_type = BarType(
        NVDA, BarSpecification(1, BarAggregation.MINUTE, PriceType.LAST), AggregationSource.EXTERNAL
    )
    rows = node.run_coro(client._http.candles("NVDAUSDT", "1m", start // 1_000_000, None))
    bars = node.run_coro(history.bars(bar_type, start))
    now_ms = time.time_ns() // 1_000_000
    assert rows and len(bars) == len(
        [r for r in rows if int(r[0]) + 60_000 <= now_ms]
    )  # the forming candle is not a bar
    assert all(b.low <= b.close <= b.high and b.ts_event <= time.time_ns() for b in bars)
    trades = node.run_coro(history.trades(NVDA))
    assert trades and trades == sorted(trades, key=lambda t: t.ts_event)
