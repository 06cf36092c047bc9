"""The Hyperliquid adapter in a real Nautilus TradingNode against venuesim: orders, fills,
positions, funding, HIP-3, rejects, and what happens when the network misbehaves."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hl_support import ADDRESS
from hl_support import BTC
from hl_support import NVDA
from hl_support import NodeHarness
from hl_support import ProbeConfig
from hl_support import limit
from hl_support import node_config
from hl_support import running_sim
from hl_support import wait_for
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GeneratePositionStatusReports
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.enums import TimeInForce

from adapters.common.feed_status import FeedStatus
from adapters.hyperliquid.pricing import PriceRule
from catalog.funding import FundingPayment

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=0.05) as s:
        yield s


@pytest.fixture(scope="module")
def node(sim):
    probe = ProbeConfig(
        quotes=[str(BTC), str(NVDA)],
        books=[str(BTC)],
        ctx=[str(BTC), str(NVDA)],
        custom=[str(BTC), str(NVDA)],
    )
    with NodeHarness(node_config(sim), probe) as h:
        wait_for(lambda: len(h.probe.quotes) > 2, 10, "first quotes")
        yield h


@pytest.fixture(autouse=True)
def clean_faults(sim):
    yield
    sim.reset_faults()


def submit(h: NodeHarness, side, qty: str, px: str, instrument=BTC, **kw):
    order = h.call(lambda: limit(h.probe, instrument, side, qty, px, **kw))
    h.call(lambda: h.probe.submit_order(order))
    return order


def events_for(h: NodeHarness, order, kind: str) -> list:
    return [
        e for e in h.probe.events if type(e).__name__ == kind and e.client_order_id == order.client_order_id
    ]


def status(h: NodeHarness, order):
    return h.call(lambda: h.probe.cache.order(order.client_order_id).status_string())


def market(sim, coin: str = "BTC") -> tuple[Decimal, Decimal]:
    m = sim.state()["markets"][coin]
    return Decimal(m["bid"]), Decimal(m["ask"])


def positions(h: NodeHarness) -> dict:
    reports = h.run_coro(
        h.exec_client.generate_position_status_reports(
            GeneratePositionStatusReports(
                instrument_id=None, start=None, end=None, command_id=UUID4(), ts_init=time.time_ns()
            )
        )
    )
    return {r.instrument_id: (r.position_side, r.quantity.as_decimal()) for r in reports}


def test_ioc_fills_and_the_position_is_reported(node, sim):
    _, ask = market(sim)
    order = submit(node, OrderSide.BUY, "0.01", str(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    fill = wait_for(lambda: events_for(node, order, "OrderFilled"), 10, "IOC fill")[0]
    assert fill.last_qty.as_decimal() == Decimal("0.01") and fill.commission.currency.code == "USDC"
    assert fill.liquidity_side.name == "TAKER" and fill.last_px.as_decimal() <= ask * Decimal("1.01")
    assert positions(node)[BTC][0] == PositionSide.LONG
    position = node.call(lambda: node.probe.cache.positions_open(instrument_id=BTC))[0]
    assert position.signed_qty > 0
    account = node.call(lambda: node.probe.cache.account_for_venue(BTC.venue))
    assert account.balance_total(fill.commission.currency).as_decimal() > 0


def test_gtc_rests_is_modified_then_canceled(node, sim):
    bid, _ = market(sim)
    order = submit(node, OrderSide.BUY, "0.01", str(bid * Decimal("0.97")))
    wait_for(lambda: events_for(node, order, "OrderAccepted"), 10, "accepted")
    old_id = events_for(node, order, "OrderAccepted")[0].venue_order_id
    new_px = node.call(lambda: node.probe.cache.instrument(BTC).make_price(bid * Decimal("0.96")))
    node.call(lambda: node.probe.modify_order(node.probe.cache.order(order.client_order_id), price=new_px))
    updated = wait_for(lambda: events_for(node, order, "OrderUpdated"), 10, "modify")[0]
    assert updated.venue_order_id != old_id  # the venue assigns a new oid on modify
    # the new price went out on the venue's tick (5 significant figures), rounded passively (down for a buy)
    assert (
        updated.price.as_decimal()
        == PriceRule(5).round_price(new_px.as_decimal(), "down")
        < new_px.as_decimal()
    )
    node.call(lambda: node.probe.cancel_order(node.probe.cache.order(order.client_order_id)))
    wait_for(lambda: events_for(node, order, "OrderCanceled"), 10, "cancel")
    assert sim.call(lambda: [o for o in sim.exchange.open_orders(ADDRESS) if o.market == "BTC"]) == []
    time.sleep(0.2)
    assert len(events_for(node, order, "OrderCanceled")) == 1  # the venue's own cancel push is not doubled


def test_rejections_carry_the_reason(node, sim):
    bid, ask = market(sim)
    post_only = submit(node, OrderSide.BUY, "0.01", str(ask + 50), post_only=True)
    rej = wait_for(lambda: events_for(node, post_only, "OrderRejected"), 10, "post-only reject")[0]
    assert (
        rej.reason.startswith("Post only order would have immediately matched, bbo was") and rej.due_post_only
    )
    huge = submit(node, OrderSide.BUY, "50", str(ask), time_in_force=TimeInForce.IOC)
    rej = wait_for(lambda: events_for(node, huge, "OrderRejected"), 10, "margin reject")[0]
    assert rej.reason == "Insufficient margin to place order. asset=0"
    tiny = submit(node, OrderSide.BUY, "0.0001", str(bid))
    rej = wait_for(lambda: events_for(node, tiny, "OrderRejected"), 10, "local reject")[0]
    assert "below the venue minimum of 10 USDC" in rej.reason
    sim.set_faults(reject_next=1, reject_reason="Order rejected: venue maintenance")
    injected = submit(node, OrderSide.BUY, "0.01", str(ask), time_in_force=TimeInForce.IOC)
    rej = wait_for(lambda: events_for(node, injected, "OrderRejected"), 10, "injected reject")[0]
    assert rej.reason == "Order rejected: venue maintenance"


def test_partial_ioc_fills_then_cancels_the_rest_in_that_order(node, sim):
    sim.set_faults(partial_fill_fraction=0.5, ack_delay_ms=150)
    _, ask = market(sim)
    order = submit(node, OrderSide.BUY, "0.02", str(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, order, "OrderCanceled"), 10, "IOC remainder canceled")
    fills = events_for(node, order, "OrderFilled")
    assert [f.last_qty.as_decimal() for f in fills] == [Decimal("0.01")]
    kinds = [
        type(e).__name__
        for e in node.probe.events
        if getattr(e, "client_order_id", None) == order.client_order_id
    ]
    assert kinds.index("OrderFilled") < kinds.index("OrderCanceled")  # never "canceled" before its fill
    assert status(node, order) == "CANCELED"


def test_reduce_only_closes_but_never_opens(node, sim):
    bid, ask = market(sim)
    opened = submit(node, OrderSide.BUY, "0.01", str(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, opened, "OrderFilled"), 10, "open")
    side, size = positions(node)[BTC]
    assert side == PositionSide.LONG
    too_much = submit(
        node,
        OrderSide.SELL,
        str(size + Decimal("1")),
        str(bid * Decimal("0.99")),
        time_in_force=TimeInForce.IOC,
        reduce_only=True,
    )
    rej = wait_for(lambda: events_for(node, too_much, "OrderRejected"), 10, "reduce-only reject")[0]
    assert rej.reason == "Reduce only order would increase position. asset=0"
    close = submit(
        node,
        OrderSide.SELL,
        "0.01",
        str(bid * Decimal("0.99")),
        time_in_force=TimeInForce.IOC,
        reduce_only=True,
    )
    wait_for(lambda: events_for(node, close, "OrderFilled"), 10, "reduce-only close")
    assert positions(node).get(BTC, (None, size))[1] == size - Decimal("0.01")


def test_spot_pair_trades_by_its_at_index_coin(node, sim):
    from hl_support import HYPE_SPOT

    instrument = node.call(lambda: node.probe.cache.instrument(HYPE_SPOT))
    assert instrument.raw_symbol.value == "@1" and instrument.quote_currency.code == "USDC"
    _, ask = market(sim, "HYPE/USDC")
    order = submit(
        node,
        OrderSide.BUY,
        "1",
        str(ask * Decimal("1.01")),
        instrument=HYPE_SPOT,
        time_in_force=TimeInForce.IOC,
    )
    fill = wait_for(lambda: events_for(node, order, "OrderFilled"), 10, "spot fill")[0]
    assert fill.commission.currency.code == "HYPE"  # spot buys pay the fee in the base token
    wait_for(
        lambda: node.call(
            lambda: node.probe.cache.account_for_venue(HYPE_SPOT.venue).balance_total(
                instrument.base_currency
            )
        ),
        10,
        "HYPE balance reported",
    )


def test_funding_tick_gives_a_rate_update_and_a_payment(node, sim):
    if BTC not in positions(node):
        _, ask = market(sim)
        o = submit(node, OrderSide.BUY, "0.01", str(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
        wait_for(lambda: events_for(node, o, "OrderFilled"), 10, "fill")
    side, size = positions(node)[BTC]
    szi = size if side == PositionSide.LONG else -size
    oracle = Decimal(sim.state()["markets"]["BTC"]["oracle"])
    sim.settle_funding("BTC", "0.0002")
    payment = wait_for(
        lambda: [d for d in node.probe.data if isinstance(d, FundingPayment) and d.rate == Decimal("0.0002")],
        10,
        "FundingPayment",
    )[0]
    assert (
        payment.instrument_id == BTC and payment.position_quantity == szi and payment.currency.code == "USDC"
    )
    assert payment.amount == (-szi * payment.mark_price * Decimal("0.0002")).quantize(Decimal("0.000001"))
    assert abs(payment.mark_price - oracle) / oracle < Decimal("0.01")  # settled at the oracle price
    rate = wait_for(
        lambda: [u for u in node.probe.funding_rates if u.rate == Decimal("0.0002")], 10, "FundingRateUpdate"
    )[0]
    assert (
        rate.instrument_id == BTC
        and rate.next_funding_ns % 3_600_000_000_000 == 0
        and rate.next_funding_ns > rate.ts_event
    )
    assert node.probe.marks and node.probe.indexes


def test_hip3_builder_perp_end_to_end(node, sim):
    wait_for(lambda: [q for q in node.probe.quotes if q.instrument_id == NVDA], 10, "NVDA quotes")
    bid, _ = market(sim, "xyz:NVDA")
    order = submit(
        node,
        OrderSide.SELL,
        "0.1",
        str(bid * Decimal("0.99")),
        instrument=NVDA,
        time_in_force=TimeInForce.IOC,
    )
    fill = wait_for(lambda: events_for(node, order, "OrderFilled"), 10, "NVDA fill")[0]
    assert fill.instrument_id == NVDA and fill.order_side == OrderSide.SELL
    assert sim.call(lambda: sim.exchange.account(ADDRESS).positions["xyz:NVDA"].szi) == Decimal("-0.1")
    assert positions(node)[NVDA] == (PositionSide.SHORT, Decimal("0.1"))
    sim.settle_funding("xyz:NVDA", "0.0003")
    payment = wait_for(
        lambda: [d for d in node.probe.data if isinstance(d, FundingPayment) and d.instrument_id == NVDA],
        10,
        "NVDA funding",
    )[0]
    assert (
        payment.position_quantity == Decimal("-0.1") and payment.amount > 0
    )  # short receives a positive rate


def test_socket_dropped_between_order_and_fill_delivers_the_fill_exactly_once(node, sim):
    bid, _ = market(sim)
    order = submit(node, OrderSide.BUY, "0.01", str((bid * Decimal("0.995")).quantize(Decimal(1))))
    wait_for(lambda: events_for(node, order, "OrderAccepted"), 10, "accepted")
    sim.drop_sockets(refuse_ms=600)  # every socket down, reconnects refused for a while
    sim.shift("BTC", -150)  # meanwhile the market trades through the bid: the venue fills it
    assert sim.call(lambda: [o for o in sim.exchange.open_orders(ADDRESS) if o.market == "BTC"]) == []
    wait_for(lambda: events_for(node, order, "OrderFilled"), 15, "fill after reconnect")
    time.sleep(1.0)  # the resubscribe snapshot and the REST catch-up both carry the fill
    assert len(events_for(node, order, "OrderFilled")) == 1
    assert status(node, order) == "FILLED"
    assert node.exec_client.websocket.ws.reconnects >= 1


def test_lost_ack_and_throttling_still_yield_exactly_one_order(node, sim):
    _, ask = market(sim)
    sim.set_faults(drop_ack_next=1)  # the venue executes, the reply is lost
    order = submit(node, OrderSide.BUY, "0.01", str(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, order, "OrderFilled"), 15, "fill after lost ack")
    time.sleep(0.3)
    assert (
        len(events_for(node, order, "OrderAccepted")) == 1
        and len(events_for(node, order, "OrderFilled")) == 1
    )
    venue_orders = sim.call(
        lambda: [o for o in sim.exchange.orders.values() if o.cloid and o.user == ADDRESS]
    )
    from adapters.hyperliquid.orders import cloid_for

    assert len([o for o in venue_orders if o.cloid == cloid_for(order.client_order_id)]) == 1
    sim.set_faults(http_error_next=[429, 502], retry_after_secs=0.2)
    throttled = submit(node, OrderSide.BUY, "0.01", str(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: events_for(node, throttled, "OrderFilled"), 15, "fill after 429 + 502")
    assert sim.state()["faults"]["injected"]["http_error"] >= 2


def test_malformed_duplicated_and_reordered_frames_do_not_hurt(node, sim):
    client = node.data_client
    before_bad = client.frame_stats.malformed_count
    quotes_before = len(node.probe.quotes)
    sim.set_faults(ws_malformed_next=4, ws_duplicate_next=20, ws_out_of_order_next=6)
    _, ask = market(sim)
    order = submit(node, OrderSide.BUY, "0.01", str(ask * Decimal("1.01")), time_in_force=TimeInForce.IOC)
    wait_for(lambda: client.frame_stats.malformed_count >= before_bad + 1, 10, "malformed frames counted")
    wait_for(lambda: len(node.probe.quotes) > quotes_before + 10, 10, "quotes keep flowing")
    wait_for(lambda: events_for(node, order, "OrderFilled"), 10, "fill")
    time.sleep(0.3)
    assert len(events_for(node, order, "OrderFilled")) == 1
    assert client.websocket.ws.is_connected
    ignored = sum(
        v
        for k, v in client.frame_stats.counts.items()
        if k.startswith("ignored:") and "stale_or_duplicate" in k
    )
    assert ignored >= 1  # replayed/older book snapshots were dropped, not applied
    ts = [q.ts_event for q in node.probe.quotes[quotes_before:] if q.instrument_id == BTC]
    assert ts == sorted(ts)  # no quote went back in time


def test_silent_feed_is_reported_stale_then_live(node, sim):
    sim.set_faults(ws_silent=True)
    stale = wait_for(
        lambda: [
            d
            for d in node.probe.data
            if isinstance(d, FeedStatus) and d.state == "stale" and d.instrument_id == BTC
        ],
        10,
        "stale status",
    )[0]
    assert "no frame on" in stale.reason
    sim.reset_faults()
    live = wait_for(
        lambda: [
            d
            for d in node.probe.data
            if isinstance(d, FeedStatus) and d.state == "live" and d.ts_event > stale.ts_event
        ],
        15,
        "live again",
    )
    assert live[0].instrument_id in (BTC, NVDA)
