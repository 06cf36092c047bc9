"""Restarts, position mode and secrets: a restarted node recovers venue state; an account in hedge
mode is refused with the fix named (or switched when allowed); the API key, secret and passphrase
never appear in reprs, logs or errors."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from bg_support import API_KEY
from bg_support import API_SECRET
from bg_support import NVDA
from bg_support import PASSPHRASE
from bg_support import UID
from bg_support import BitgetNode
from bg_support import ProbeConfig
from bg_support import account
from bg_support import events_for
from bg_support import limit
from bg_support import node_config
from bg_support import running_sim
from bg_support import wait_for
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce

from adapters.bitget.config import BitgetExecClientConfig
from adapters.bitget.factories import build_signer
from adapters.bitget.factories import get_http_client
from adapters.bitget.factories import get_instrument_provider
from adapters.common.errors import AuthenticationError
from adapters.common.errors import ConfigurationError

pytestmark = pytest.mark.timeout(150)


def px(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def trade(h: BitgetNode, qty: str, ioc: bool = True):
    wait_for(lambda: h.probe.quotes, 10, "quotes")
    q = h.probe.quotes[-1]
    if ioc:
        price, kw = q.ask_price.as_decimal() * Decimal("1.01"), {"time_in_force": TimeInForce.IOC}
    else:
        price, kw = q.bid_price.as_decimal() * Decimal("0.95"), {}
    order = h.call(lambda: limit(h.probe, NVDA, OrderSide.BUY, qty, px(price), **kw))
    h.call(lambda: h.probe.submit_order(order))
    wait_for(lambda: events_for(h, order, "OrderFilled" if ioc else "OrderAccepted"), 10, "order")
    return order


def test_restarted_node_recovers_open_orders_and_positions():
    with running_sim(tick_secs=0.05) as sim:
        with BitgetNode(node_config(sim), ProbeConfig(quotes=[str(NVDA)])) as first:
            trade(first, "2")
            resting = trade(first, "1", ioc=False)
            venue_id = first.call(lambda: first.probe.cache.order(resting.client_order_id).venue_order_id)
            net = first.call(lambda: first.probe.portfolio.net_position(NVDA))
        with BitgetNode(node_config(sim), ProbeConfig(quotes=[str(NVDA)])) as second:  # an empty cache
            cache = second.probe.cache
            recovered = wait_for(
                lambda: second.call(lambda: cache.orders_open(instrument_id=NVDA)), 10, "open order"
            )
            assert [o.venue_order_id for o in recovered] == [venue_id]
            assert recovered[0].quantity.as_decimal() == Decimal("1")
            assert second.call(lambda: second.probe.portfolio.net_position(NVDA)) == net == Decimal("2")
            order = second.call(lambda: cache.order(recovered[0].client_order_id))
            second.call(lambda: second.probe.cancel_order(order))  # the recovered order is manageable
            wait_for(lambda: second.call(lambda: not cache.orders_open(instrument_id=NVDA)), 10, "canceled")
        assert sim.call(lambda: sim.exchange.open_orders(UID)) == []


def test_hedge_mode_is_refused_with_the_fix_named_or_switched_when_allowed():
    with running_sim(tick_secs=None, accounts=[account(position_mode="hedge_mode")]) as sim:

        async def check(set_one_way: bool):
            cfg = BitgetExecClientConfig(
                base_url_http=sim.http_url, api_key=API_KEY, api_secret=API_SECRET, api_passphrase=PASSPHRASE,
                set_one_way_mode=set_one_way,
            )  # fmt: skip
            from nautilus_trader.cache.cache import Cache
            from nautilus_trader.common.component import LiveClock
            from nautilus_trader.common.component import MessageBus
            from nautilus_trader.model.identifiers import TraderId

            from adapters.bitget.execution import BitgetExecutionClient

            clock = LiveClock()
            http = get_http_client(sim.http_url, build_signer(cfg))
            provider = get_instrument_provider(sim.http_url, True)
            await provider.initialize()
            client = BitgetExecutionClient(
                asyncio.get_running_loop(),
                http,
                MessageBus(TraderId("T-001"), clock),
                Cache(),
                clock,
                provider,
                cfg,
            )
            try:
                return await client.check_position_mode()
            finally:
                await http.close()
                await provider._client.close()

        with pytest.raises(
            ConfigurationError, match="hedge position mode; this adapter trades in one-way mode"
        ) as err:
            asyncio.run(check(False))
        assert "set_one_way_mode=True" in str(err.value)
        assert sim.state()["position_modes"][UID] == "hedge_mode"
        assert asyncio.run(check(True)) == "one_way_mode"
        assert sim.state()["position_modes"][UID] == "one_way_mode"


def test_credentials_never_appear_in_debug_logs_reprs_or_errors():
    # A fresh process: Nautilus's logger is process-wide and set by the first node that starts.
    script = Path(__file__).with_name("bg_secret_run.py")
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "DONE" in proc.stdout, output[-3000:]
    assert (
        "[DEBUG]" in output
        and "OrderFilled" in output
        and "Reconnected" in output
        and "Funding NVDAUSDT" in output
    )
    assert "AuthenticationError(BITGET: 40012: apikey/password is incorrect)" in output
    assert "LOGIN ERROR WebSocket login refused: 30012: Invalid ACCESS_PASSPHRASE" in output
    assert "ERROR ConfigurationError" in output and "BITGET_API_PASSPHRASE (or `api_passphrase`)" in output
    for secret in (API_KEY, API_SECRET, PASSPHRASE, "wrong-passphrase-123", "wrong-passphrase-456"):
        assert secret not in output, secret
        assert secret[2:-2] not in output, secret
    assert "api_key=***" in output and "api_secret=***" in output and "api_passphrase=***" in output


def test_missing_credentials_name_the_variables_and_dotenv_is_read(monkeypatch, tmp_path):
    for name in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE", "BITGET_DEMO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARB_DOTENV", str(tmp_path / "none.env"))
    with pytest.raises(ConfigurationError, match=r"BITGET_API_KEY \(or `api_key`\), BITGET_API_SECRET"):
        build_signer(BitgetExecClientConfig())
    with pytest.raises(ConfigurationError, match="BITGET_DEMO_API_KEY"):
        build_signer(BitgetExecClientConfig(demo=True))
    env = tmp_path / ".env"
    env.write_text(
        f"BITGET_DEMO_API_KEY={API_KEY}\nBITGET_DEMO_API_SECRET='{API_SECRET}'\nexport BITGET_DEMO_API_PASSPHRASE={PASSPHRASE}\n"
    )
    signer = build_signer(BitgetExecClientConfig(demo=True, dotenv_path=str(env)))
    assert signer.demo and signer.rest_headers("GET", "/api/v2/public/time")["paptrading"] == "1"
    assert API_KEY not in repr(signer) and PASSPHRASE not in repr(signer)


def test_demo_account_trades_with_the_paptrading_header():
    demo = dict(account(), api_key="bg_demo_key_0123456789", uid="2000001", demo=True)
    with running_sim(tick_secs=0.05, accounts=[demo]) as sim:

        async def without_header():
            cfg = BitgetExecClientConfig(
                api_key="bg_demo_key_0123456789", api_secret=API_SECRET, api_passphrase=PASSPHRASE
            )
            client = get_http_client(sim.http_url, build_signer(cfg), max_retries=0)
            try:
                await client.accounts()
            finally:
                await client.close()

        with pytest.raises(AuthenticationError, match="40099: exchange environment is incorrect"):
            asyncio.run(without_header())
        with BitgetNode(
            node_config(sim, api_key="bg_demo_key_0123456789", demo=True), ProbeConfig(quotes=[str(NVDA)])
        ) as h:
            trade(h, "1")
            assert h.exec_client.is_connected
        assert sim.state()["accounts"]["2000001"]["positions"]["NVDAUSDT"] == "1.00"
