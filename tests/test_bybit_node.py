"""The Bybit clients in a real `TradingNode` when things go wrong: a restarted node reconciles what
the venue holds; a private stream that drops loses nothing (fills, cancels and funding that happened
during the gap arrive once after the reconnect); an unreadable private frame triggers the same
recovery; keys never show up in logs or errors."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from bybit_support import ETH_PERP
from bybit_support import PERP
from bybit_support import BybitNodeHarness
from bybit_support import ProbeConfig
from bybit_support import bbo
from bybit_support import node_config
from bybit_support import running_sim
from bybit_support import signed
from bybit_support import wait_for
from hl_support import limit
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce

from catalog.funding import FundingPayment

pytestmark = pytest.mark.timeout(120)


def submit(h, instrument, side, qty: str, px, **kw):
    order = h.call(lambda: limit(h.probe, instrument, side, qty, str(px), **kw))
    h.call(lambda: h.probe.submit_order(order))
    return order


def events(h, order, kind: str) -> list:
    return [
        e for e in h.probe.events if type(e).__name__ == kind and e.client_order_id == order.client_order_id
    ]


def status(h, order) -> str:
    return h.call(lambda: h.probe.cache.order(order.client_order_id).status_string())


def test_a_restarted_node_reconciles_orders_and_positions(tmp_path):
    with running_sim() as sim:
        with BybitNodeHarness(node_config(sim), ProbeConfig(quotes=[str(PERP)])) as first:
            wait_for(lambda: first.probe.quotes, 15, "quotes")
            bid, ask = bbo(sim)
            taker = submit(first, PERP, OrderSide.BUY, "0.03", (ask * Decimal("1.01")).quantize(Decimal("0.1")),
                           time_in_force=TimeInForce.IOC)  # fmt: skip
            resting = submit(
                first, PERP, OrderSide.BUY, "0.01", (bid * Decimal("0.95")).quantize(Decimal("0.1"))
            )
            wait_for(
                lambda: events(first, taker, "OrderFilled") and events(first, resting, "OrderAccepted"),
                10,
                "orders",
            )
        with BybitNodeHarness(node_config(sim), ProbeConfig()) as second:
            order = second.call(lambda: second.probe.cache.order(resting.client_order_id))
            assert order is not None and order.status_string() == "ACCEPTED"
            assert order.venue_order_id == events(first, resting, "OrderAccepted")[0].venue_order_id
            assert second.call(lambda: second.probe.portfolio.net_position(PERP)) == Decimal("0.03")
            # funding rows in the venue's execution list are not fills: the position is not doubled
            sim.settle_funding("linear:BTCUSDT", "0.0001")
        with BybitNodeHarness(node_config(sim), ProbeConfig()) as third:
            assert third.call(lambda: third.probe.portfolio.net_position(PERP)) == Decimal("0.03")
            fills = third.call(lambda: third.probe.cache.order(taker.client_order_id).filled_qty.as_decimal())
            assert fills == Decimal("0.03")


def test_nothing_is_lost_while_the_private_stream_is_down():
    with running_sim() as sim:
        probe = ProbeConfig(quotes=[str(PERP)], custom=[str(PERP), str(ETH_PERP)])
        config = node_config(sim, exec_kwargs={"funding_poll_secs": None})  # recovery from the reconnect only
        with BybitNodeHarness(config, probe) as h:
            wait_for(lambda: h.probe.quotes, 15, "quotes")
            bid, ask = bbo(sim)
            position = submit(h, ETH_PERP, OrderSide.SELL, "1", (bbo(sim, "linear:ETHUSDT")[0] * Decimal("0.99")).quantize(Decimal("0.01")),
                              time_in_force=TimeInForce.IOC)  # fmt: skip
            to_fill = submit(
                h,
                PERP,
                OrderSide.SELL,
                "0.01",
                (ask * Decimal("1.002")).quantize(Decimal("0.1")),
                post_only=True,
            )
            to_cancel = submit(
                h, PERP, OrderSide.BUY, "0.01", (bid * Decimal("0.95")).quantize(Decimal("0.1"))
            )
            wait_for(lambda: events(h, position, "OrderFilled") and events(h, to_fill, "OrderAccepted")
                     and events(h, to_cancel, "OrderAccepted"), 10, "orders working")  # fmt: skip
            recoveries = h.exec_client.recoveries
            # the connection goes quiet (pushes lost on the way), then drops
            sim.set_faults(ws_silent=True)
            sim.shift("linear:BTCUSDT", 40)  # the market trades through the resting sell
            cancel = signed(sim, "POST", "/v5/order/cancel",
                            {"category": "linear", "symbol": "BTCUSDT", "orderLinkId": to_cancel.client_order_id.value})  # fmt: skip
            assert cancel["retCode"] == 0  # cancelled from elsewhere (the web UI, another process)
            sim.settle_funding("linear:ETHUSDT", "0.0002")
            assert (
                not events(h, to_fill, "OrderFilled") and status(h, to_cancel) == "ACCEPTED"
            )  # nothing arrived
            sim.reset_faults()
            sim.drop_sockets()
            wait_for(lambda: h.exec_client.recoveries > recoveries, 20, "reconnect and recovery")
            wait_for(lambda: events(h, to_fill, "OrderFilled"), 10, "fill from the gap")
            wait_for(lambda: status(h, to_cancel) == "CANCELED", 10, "cancel from the gap")
            wait_for(
                lambda: [d for d in h.probe.data if isinstance(d, FundingPayment)], 10, "funding from the gap"
            )
            payments = [d for d in h.probe.data if isinstance(d, FundingPayment)]
            assert (
                len(payments) == 1
                and payments[0].amount > 0
                and payments[0].position_quantity == Decimal("-1")
            )
            assert len(events(h, to_fill, "OrderFilled")) == 1
            n_quotes = len(h.probe.quotes)
            wait_for(lambda: len(h.probe.quotes) > n_quotes + 3, 10, "quotes after the reconnect")
            # a second recovery (the poll, another reconnect) applies nothing twice
            h.run_coro(h.exec_client._recover("test"))
            assert len(events(h, to_fill, "OrderFilled")) == 1
            assert len([d for d in h.probe.data if isinstance(d, FundingPayment)]) == 1


def test_an_unreadable_private_frame_triggers_recovery():
    # a still market and no market-data subscription: the only data frames are this order's pushes
    with (
        running_sim(tick_secs=None) as sim,
        BybitNodeHarness(node_config(sim, exec_kwargs={"funding_poll_secs": None}), ProbeConfig()) as h,
    ):
        _, ask = bbo(sim)
        recoveries = h.exec_client.recoveries
        sim.set_faults(ws_malformed_next=1)  # the next data frame (this order's execution push) is garbage
        order = submit(h, PERP, OrderSide.BUY, "0.01", (ask * Decimal("1.01")).quantize(Decimal("0.1")),
                       time_in_force=TimeInForce.IOC)  # fmt: skip
        wait_for(lambda: events(h, order, "OrderFilled"), 10, "fill recovered or streamed")
        wait_for(lambda: h.exec_client.recoveries > recoveries, 10, "recovery after the unreadable frame")
        assert len(events(h, order, "OrderFilled")) == 1


def test_keys_never_appear_in_logs_reprs_or_errors(tmp_path):
    script = Path(__file__).with_name("bybit_secret_run.py")
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=90, check=False
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert "FILLED-OK" in text and "FUNDING-OK" in text and "RECONNECT-OK" in text
    from bybit_support import SECRET

    assert SECRET not in text and "envSecretForBybitTest123" not in text
    # without keys, the node refuses to build and says which variable is missing
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYBIT_")}
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from bybit_support import BybitNodeHarness, ProbeConfig, node_config, running_sim\n"
        "from nautilus_trader.config import TradingNodeConfig\n"
        "with running_sim() as sim:\n"
        "    BybitNodeHarness(node_config(sim, key=None, secret=None), ProbeConfig())\n"
    )
    missing = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                             cwd=Path(__file__).parent.parent, check=False)  # fmt: skip
    assert missing.returncode != 0 and "'BYBIT_API_KEY' not set" in missing.stderr
