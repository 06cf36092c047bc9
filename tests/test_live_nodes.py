"""Live and sandbox nodes against venuesim: real `arb live|sandbox run` processes, real signals.

The pair is Hyperliquid's BTC perp against its UBTC spot (both legs on one venue front); a
dislocation is engineered through the simulator's control API.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest
from hl_support import wait_for
from live_support import ADDRESS
from live_support import KEY
from live_support import PERP
from live_support import PERP_ID
from live_support import SPOT
from live_support import SPOT_ID
from live_support import NodeProcess
from live_support import Receiver
from live_support import hl_sim
from live_support import node_config
from live_support import redis_server
from live_support import scalp_spot_perp
from live_support import session_dir
from live_support import sim_fills
from live_support import sim_positions
from live_support import write_toml

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WARM = r"warm-up BTC HYPERLIQUID:spot/HYPERLIQUID: 5/5 samples - trading"


def dislocate(sim, bps: float = 60.0) -> None:
    sim.shift(PERP, bps)  # the perp gets dear: buy spot, sell perp


def revert(sim) -> None:
    mid = sim.state()["markets"][SPOT]["mid"]
    sim.set_mid(PERP, mid)


def test_sandbox_node_trades_an_engineered_dislocation_with_simulated_fills(tmp_path):
    with hl_sim() as sim:
        config = write_toml(tmp_path / "node.toml", node_config(tmp_path, sim, scalp_spot_perp()))
        node = NodeProcess(config, "sandbox", tmp_path / "node.out")
        try:
            node.wait_for(WARM, 60)
            dislocate(sim)
            node.wait_for(r"opened SBTC-\S+: long UBTC-USDC-SPOT\.HYPERLIQUID", 20)
            revert(sim)
            node.wait_for(r"closed SBTC-\S+ \(take_profit", 20)
            assert node.stop() == 0
        finally:
            node.close()
        # sandbox: the venue saw no orders at all
        assert sim_fills(sim) == []
    session = session_dir(tmp_path)
    trades = pd.read_parquet(session / "trades.parquet")
    assert len(trades) == 1
    t = trades.iloc[0]
    assert (t.long_instrument, t.short_instrument, t.exit_reason) == (SPOT_ID, PERP_ID, "take_profit")
    assert t.expected_edge_bps > 30
    summary = json.loads((session / "summary.json").read_text())
    assert summary["mode"] == "sandbox" and summary["strategies"]["ScalpStrategy-scalp"]["trades"] == 1
    # marked-to-market equity of the simulated account, sampled every 50 ms and when the session ends
    equity = pd.read_parquet(session / "equity.parquet")
    assert set(equity["venue"]) == {"HYPERLIQUID"} and len(equity) >= 5
    assert equity["ts"].is_monotonic_increasing
    first, last = equity.iloc[0], equity.iloc[-1]
    assert (first.balance, first.unrealized) == (100000.0, 0.0)
    assert last.unrealized == 0.0  # flat at the end: the equity is the balance after the round trip
    assert last.equity == pytest.approx(100000.0 + t.net, abs=1e-6)


def test_live_node_trades_against_venuesim_and_pnl_matches_the_venue_records(tmp_path):
    with hl_sim() as sim:
        config = write_toml(tmp_path / "node.toml", node_config(tmp_path, sim, scalp_spot_perp()))
        node = NodeProcess(config, "live", tmp_path / "node.out")
        try:
            node.wait_for(WARM, 60)
            dislocate(sim)
            node.wait_for(r"opened SBTC-\S+", 20)
            revert(sim)
            node.wait_for(r"closed SBTC-\S+ \(take_profit", 20)
            assert node.stop() == 0
        finally:
            node.close()
        fills = sim_fills(sim)
        positions = sim_positions(sim)
    assert len(fills) == 4
    assert {f.market for f in fills} == {PERP, SPOT}
    logs = list((tmp_path / "logs").glob("*"))
    assert logs, "no log file in the node's log folder"
    for text in [node.text(), *(f.read_text(errors="replace") for f in logs)]:
        assert KEY[2:] not in text  # the signing key never appears in output or logs
    assert PERP not in positions  # the perp leg is flat on the venue
    trades = pd.read_parquet(session_dir(tmp_path) / "trades.parquet")
    t = trades.iloc[0]
    # The venue's own account of the round trip: cash in and out of both legs, plus the spot the
    # pair bought but did not sell (the venue took the buy fee in UBTC), valued at the spot sale price;
    # fees in USDC terms (a UBTC fee at its fill price).
    sign = {"SELL": 1, "BUY": -1}
    cash = sum((f.price * f.size * sign[f.side.name] for f in fills), Decimal(0))
    spot = [f for f in fills if f.market == SPOT]
    unsold = sum((f.size * -sign[f.side.name] for f in spot), Decimal(0))
    spot_exit = next(f.price for f in spot if f.side.name == "SELL")
    fees = sum((f.fee * (f.price if f.fee_token != "USDC" else 1) for f in fills), Decimal(0))
    assert t.pnl_trading == pytest.approx(float(cash + unsold * spot_exit), abs=1e-6)
    assert t.fees == pytest.approx(float(fees), abs=1e-6)
    assert t.net == pytest.approx(float(cash + unsold * spot_exit - fees), abs=1e-6)


def test_restart_mid_pair_recognises_the_pair_and_manages_it_to_exit(tmp_path):
    with redis_server(tmp_path) as redis, hl_sim() as sim:
        doc = node_config(tmp_path, sim, scalp_spot_perp(), node={"state": redis})
        config = write_toml(tmp_path / "node.toml", doc)
        first = NodeProcess(config, "live", tmp_path / "first.out")
        try:
            first.wait_for(WARM, 60)
            dislocate(sim)
            first.wait_for(r"opened SBTC-\S+", 20)
            first.kill()  # no goodbye: SIGKILL while the pair is open
        finally:
            first.close()
        assert sim_positions(sim)[PERP] == Decimal("-0.01")
        second = NodeProcess(config, "live", tmp_path / "second.out")
        try:
            second.wait_for(r"restored 1 active pair\(s\): SBTC-\S+", 60)
            second.wait_for(WARM, 60)
            assert "opened SBTC" not in second.text()  # nothing re-entered
            revert(sim)
            second.wait_for(r"closed SBTC-\S+ \(take_profit", 30)
            assert second.stop() == 0
        finally:
            second.close()
        fills = sim_fills(sim)
        assert len(fills) == 4  # two to enter, two to exit: nothing duplicated, nothing forgotten
        assert PERP not in sim_positions(sim)


def test_sigint_with_flatten_on_stop_closes_every_leg_less_liquid_first(tmp_path):
    with hl_sim() as sim:
        config = write_toml(tmp_path / "node.toml", node_config(tmp_path, sim, scalp_spot_perp()))
        node = NodeProcess(config, "live", tmp_path / "node.out")
        try:
            node.wait_for(WARM, 60)
            dislocate(sim)
            node.wait_for(r"opened SBTC-\S+", 20)
            node.signal(signal.SIGINT)
            m = node.wait_for(
                r"less liquid first: (\S+) \(([\d,]+) on top\) then (\S+) \(([\d,]+) on top\)", 20
            )
            node.wait_for(r"closed SBTC-\S+ \(shutdown\)", 30)
            assert node.wait(60) == 0
        finally:
            node.close()
        first, first_depth, second, second_depth = m.groups()
        assert int(first_depth.replace(",", "")) <= int(second_depth.replace(",", ""))
        exits = sim_fills(sim)[2:]
        assert [f.market for f in exits] == [
            SPOT if first == SPOT_ID else PERP,
            SPOT if second == SPOT_ID else PERP,
        ]
        assert PERP not in sim_positions(sim)  # nothing left on the venue but spot fee dust


def test_a_position_no_pair_explains_is_flattened_at_start(tmp_path):
    with hl_sim() as sim:
        # someone left a short perp on the account; the node has no pair for it
        from venuesim.core.model import Side
        from venuesim.core.model import Tif

        sim.call(
            lambda ex: ex.place(
                ADDRESS,
                PERP,
                Side.SELL,
                ex.best_bid_ask(PERP)[0] * Decimal("0.99"),
                Decimal("0.01"),
                Tif.IOC,
                False,
                None,
            ),
            sim.exchange,
        )
        assert sim_positions(sim)[PERP] == Decimal("-0.01")
        config = write_toml(tmp_path / "node.toml", node_config(tmp_path, sim, scalp_spot_perp()))
        node = NodeProcess(config, "live", tmp_path / "node.out")
        try:
            node.wait_for(r"holds -0\.01\d* that no pair explains: flattening it", 60)
            assert node.stop() == 0
        finally:
            node.close()
        assert PERP not in sim_positions(sim)


def test_entry_and_exit_notifications_reach_webhook_telegram_and_discord(tmp_path):
    with Receiver() as receiver, hl_sim() as sim:
        notify = {
            "webhook_url": receiver.url,
            "telegram_token_env": "TEST_TG_TOKEN", "telegram_chat_id": "42", "telegram_api_url": receiver.base,
            "discord_webhook_env": "TEST_DISCORD_URL",
            "events": ["entry", "exit", "start"],
        }  # fmt: skip
        doc = node_config(tmp_path, sim, scalp_spot_perp(), notify=notify)
        env = {"TEST_TG_TOKEN": "123:SECRET-TOKEN", "TEST_DISCORD_URL": f"{receiver.base}/discord/webhook"}
        node = NodeProcess(write_toml(tmp_path / "node.toml", doc), "sandbox", tmp_path / "node.out", env=env)
        try:
            node.wait_for(WARM, 60)
            dislocate(sim)
            node.wait_for(r"opened SBTC-\S+", 20)
            revert(sim)
            node.wait_for(r"closed SBTC-\S+", 20)
            assert node.stop() == 0
        finally:
            node.close()
    kinds = [b["kind"] for b in receiver.bodies]
    assert kinds[:3] == ["start", "entry", "exit"]
    entry = receiver.bodies[1]
    assert (
        entry["node"] == "test"
        and entry["strategy"] == "ScalpStrategy-scalp"
        and "opened SBTC" in entry["message"]
    )
    telegram = [b for path, b in receiver.posts if path == "/bot123:SECRET-TOKEN/sendMessage"]
    assert telegram and all(b["chat_id"] == "42" for b in telegram)
    assert any("entry: opened SBTC" in b["text"] for b in telegram)
    discord = [b for path, b in receiver.posts if path == "/discord/webhook"]
    assert any("exit: closed SBTC" in b["content"] for b in discord)
    assert "SECRET-TOKEN" not in node.text()


def test_sandbox_settles_funding_so_carry_can_be_rehearsed(tmp_path):
    carry = {
        "kind": "carry", "name": "carry", "pairs": [{"asset": "BTC", "venues": ["HYPERLIQUID:spot", "HYPERLIQUID:perp"]}],
        "capital_fraction": 0.05, "min_yield_bps": 5.0, "heartbeat_minutes": 0, "check_interval_s": 1.0, "rebalance_minutes": 0.05,
        "startup_grace_minutes": 0.0, "flash_crash_pct": None, "guards": {"max_quote_age_ms": 60_000},
    }  # fmt: skip
    with hl_sim() as sim:
        sim.set_funding_rate(PERP, "0.0005")  # 5 bps an hour on the perp: long spot, short perp
        doc = node_config(tmp_path, sim, carry, venue={"funding_every_s": 2.0})
        node = NodeProcess(
            write_toml(tmp_path / "node.toml", doc), "sandbox", tmp_path / "node.out", duration=20
        )
        try:
            node.wait_for(r"opened CBTC-\S+", 40)
            assert node.wait(60) == 0
        finally:
            node.close()
    ledger = pd.read_parquet(session_dir(tmp_path) / "carry_ledger.parquet")
    assert len(ledger) >= 3
    assert (ledger.accrued > 0).all()  # the short perp receives a positive rate
    trades = pd.read_parquet(session_dir(tmp_path) / "trades.parquet")
    q = trades.iloc[0].quantity
    # each settlement: -(-q) x mark x 0.0005, with mark near 65000
    assert ledger.accrued.iloc[0] == pytest.approx(q * 65000 * 0.0005, rel=0.02)


def test_dry_run_on_a_bad_config_names_the_field(tmp_path):
    with hl_sim() as sim:
        doc = node_config(tmp_path, sim, scalp_spot_perp())
        doc["venues"]["HYPERLIQUID"]["base_url"] = "http://nowhere"
        config = write_toml(tmp_path / "node.toml", doc)
    proc = subprocess.run(
        [sys.executable, "-m", "arb", "live", "run", str(config), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"error: {config}: venues.HYPERLIQUID: unknown key 'base_url' (allowed: account_address, balance, base_url_http, base_url_ws,"
    )


def test_dry_run_reports_credentials_present_or_absent_never_their_value(tmp_path):
    with hl_sim() as sim:
        config = write_toml(tmp_path / "node.toml", node_config(tmp_path, sim, scalp_spot_perp()))
    env = {"HYPERLIQUID_TESTNET_PRIVATE_KEY": KEY, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "arb", "live", "run", str(config), "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "credential HYPERLIQUID_TESTNET_PRIVATE_KEY: present" in proc.stdout
    assert KEY not in proc.stdout and KEY[2:] not in proc.stdout and KEY not in proc.stderr
    assert f"strategy scalp (scalp): {SPOT_ID}, {PERP_ID}" in proc.stdout


def test_a_pair_missing_a_leg_at_restart_is_rehedged_per_config(tmp_path):
    from venuesim.core.model import Side
    from venuesim.core.model import Tif

    with redis_server(tmp_path) as redis, hl_sim() as sim:
        doc = node_config(tmp_path, sim, scalp_spot_perp(), node={"state": redis, "orphan_policy": "rehedge"})
        config = write_toml(tmp_path / "node.toml", doc)
        first = NodeProcess(config, "live", tmp_path / "first.out")
        try:
            first.wait_for(WARM, 60)
            dislocate(sim)
            first.wait_for(r"opened SBTC-\S+", 20)
            first.kill()
        finally:
            first.close()
        # while the node is down the short perp leg is bought back by hand: the spot leg is an orphan
        sim.call(
            lambda ex: ex.place(
                ADDRESS,
                PERP,
                Side.BUY,
                ex.best_bid_ask(PERP)[1] * Decimal("1.01"),
                Decimal("0.01"),
                Tif.IOC,
                True,
                None,
            ),
            sim.exchange,
        )
        assert PERP not in sim_positions(sim)
        second = NodeProcess(config, "live", tmp_path / "second.out")
        try:
            second.wait_for(r"restart: SBTC-\S+ legs 0\.0099\d*/0: re-hedging to 0\.0099\d*", 60)
            wait_for(
                lambda: sim_positions(sim).get(PERP) == Decimal("-0.00999"), 30, "the re-hedged perp leg"
            )
            assert second.stop() == 0
            assert "no pair explains" not in second.text()
        finally:
            second.close()
        assert PERP not in sim_positions(sim)  # re-hedged, then closed leg by leg at the end of the run
        perp_fills = [f for f in sim_fills(sim) if f.market == PERP]
        assert [f.side.name for f in perp_fills] == [
            "SELL",
            "BUY",
            "SELL",
            "BUY",
        ]  # entry, by hand, re-hedge, stop
