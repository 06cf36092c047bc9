"""Restarts, agent wallets, vaults and secrets: a restarted node recovers venue state; an agent
key or a vault acts for the right account; the signing key never appears in reprs, logs or errors."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account import Account
from hl_support import ADDRESS
from hl_support import AGENT_KEY
from hl_support import BTC
from hl_support import KEY
from hl_support import VAULT
from hl_support import NodeHarness
from hl_support import ProbeConfig
from hl_support import limit
from hl_support import node_config
from hl_support import running_sim
from hl_support import wait_for
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce

from adapters.common.errors import ConfigurationError
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.factories import account_address
from adapters.hyperliquid.factories import build_signer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=0.05) as s:
        yield s


def trade(h: NodeHarness, sim, qty: str = "0.01", ioc: bool = True):
    wait_for(lambda: h.probe.quotes, 10, "quotes")
    q = h.probe.quotes[-1]
    if ioc:
        px, kw = q.ask_price.as_decimal() * Decimal("1.01"), {"time_in_force": TimeInForce.IOC}
    else:
        px, kw = q.bid_price.as_decimal() * Decimal("0.95"), {}
    order = h.call(lambda: limit(h.probe, BTC, OrderSide.BUY, qty, str(px), **kw))
    h.call(lambda: h.probe.submit_order(order))
    kind = "OrderFilled" if ioc else "OrderAccepted"
    wait_for(
        lambda: [e for e in h.probe.of_type(kind) if e.client_order_id == order.client_order_id], 10, kind
    )
    return order


def test_restarted_node_recovers_open_orders_and_positions(sim):
    with NodeHarness(node_config(sim), ProbeConfig(quotes=[str(BTC)])) as first:
        trade(first, sim, "0.02")
        resting = trade(first, sim, "0.01", ioc=False)
        venue_id = first.call(lambda: first.probe.cache.order(resting.client_order_id).venue_order_id)
        net = first.call(lambda: first.probe.portfolio.net_position(BTC))
    with NodeHarness(node_config(sim), ProbeConfig(quotes=[str(BTC)])) as second:  # a fresh, empty cache
        cache = second.probe.cache
        recovered = wait_for(
            lambda: second.call(lambda: cache.orders_open(instrument_id=BTC)), 10, "open order recovered"
        )
        assert [o.venue_order_id for o in recovered] == [venue_id]
        assert recovered[0].quantity.as_decimal() == Decimal("0.01")
        assert (
            second.call(lambda: second.probe.portfolio.net_position(BTC)) == net
        )  # position rebuilt from the venue
        order = second.call(lambda: cache.order(recovered[0].client_order_id))
        second.call(lambda: second.probe.cancel_order(order))  # and the recovered order is manageable
        wait_for(
            lambda: second.call(lambda: not cache.orders_open(instrument_id=BTC)),
            10,
            "recovered order canceled",
        )
    assert sim.call(lambda: sim.exchange.open_orders(ADDRESS)) == []


def test_agent_key_from_the_environment_trades_for_the_master(sim, monkeypatch):
    monkeypatch.setenv("HYPERLIQUID_TESTNET_PRIVATE_KEY", AGENT_KEY)
    config = node_config(sim, key=None, account_address=ADDRESS)
    fills_before = sim.call(lambda: len(sim.exchange.account(ADDRESS).fills))
    with NodeHarness(config, ProbeConfig(quotes=[str(BTC)])) as h:
        trade(h, sim)
        client = h.exec_client
        assert (
            client.user == ADDRESS
            and client._http.signer.address == Account.from_key(AGENT_KEY).address.lower()
        )
    assert (
        sim.call(lambda: len(sim.exchange.account(ADDRESS).fills)) == fills_before + 1
    )  # booked on the master


def test_the_key_never_appears_in_debug_logs_reprs_or_errors():
    # A fresh process: Nautilus's logger is process-wide and set by the first node that starts.
    script = Path(__file__).with_name("hl_secret_run.py")
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=Path(__file__).parent.parent,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "DONE" in proc.stdout, output[-3000:]
    assert "[DEBUG]" in output and "OrderFilled" in output and "Reconnected" in output and "Funding" in output
    assert "ERROR ConfigurationError" in output
    for key in (AGENT_KEY, KEY):
        for form in (key, key[2:], key[2:].upper(), key[:-2], key[2:-2]):
            assert form not in output
    assert "private_key=***" in output


def test_explicit_key_is_redacted_from_config_and_client_reprs(sim, capfd):
    config = node_config(sim, key=KEY)
    with NodeHarness(config, ProbeConfig(quotes=[str(BTC)])) as h:
        texts = [
            repr(config),
            repr(config.exec_clients["HYPERLIQUID"]),
            repr(h.exec_client),
            repr(h.exec_client._http.signer),
        ]
    logs = "".join(capfd.readouterr())
    for text in [*texts, logs]:
        assert KEY[2:] not in text
    assert "private_key=***" in texts[1]


def test_vault_orders_act_for_the_vault(sim):
    with NodeHarness(node_config(sim, vault_address=VAULT), ProbeConfig(quotes=[str(BTC)])) as h:
        assert h.exec_client.user == VAULT
        trade(h, sim)
        wait_for(lambda: h.call(lambda: h.probe.portfolio.net_position(BTC)) > 0, 10, "vault position")
    assert sim.call(lambda: sim.exchange.account(VAULT).positions["BTC"].szi) == Decimal("0.01")


def test_missing_or_bad_keys_fail_with_clear_secret_free_errors(monkeypatch, tmp_path):
    monkeypatch.delenv("HYPERLIQUID_TESTNET_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("ARB_DOTENV", str(tmp_path / "none.env"))
    with pytest.raises(ConfigurationError, match="no private key: set HYPERLIQUID_TESTNET_PRIVATE_KEY"):
        build_signer(HyperliquidExecClientConfig(testnet=True))
    bad = "0x" + "zz" * 32
    with pytest.raises(ConfigurationError, match="not a valid secp256k1 key") as err:
        build_signer(HyperliquidExecClientConfig(testnet=True, private_key=bad))
    assert bad not in str(err.value) and err.value.__cause__ is None
    env = tmp_path / ".env"
    env.write_text(f"HYPERLIQUID_TESTNET_PRIVATE_KEY={AGENT_KEY}\nHYPERLIQUID_ACCOUNT_ADDRESS={ADDRESS}\n")
    cfg = HyperliquidExecClientConfig(testnet=True, dotenv_path=str(env))
    signer = build_signer(cfg)
    assert (
        signer.address == Account.from_key(AGENT_KEY).address.lower()
        and account_address(cfg, signer) == ADDRESS
    )
    assert AGENT_KEY[2:] not in repr(signer)
