"""The Hyperliquid front checks signatures and nonces the way the venue does: it recovers the
signer from the EIP-712 signature, maps agents to their master, checks vault authority, and
refuses replayed or out-of-window nonces. Requests are built with the official SDK's signer."""

from __future__ import annotations

import copy
import time

import pytest
import requests
from eth_account import Account
from hl_support import ADDRESS
from hl_support import AGENT_KEY
from hl_support import KEY
from hl_support import OTHER_KEY
from hl_support import VAULT
from hl_support import running_sim
from hyperliquid.utils.signing import sign_l1_action

pytestmark = pytest.mark.timeout(60)


def order_action(px: str = "60000", cloid: str | None = None) -> dict:
    wire = {"a": 0, "b": True, "p": px, "s": "0.001", "r": False, "t": {"limit": {"tif": "Gtc"}}}
    if cloid:
        wire["c"] = cloid
    return {"type": "order", "orders": [wire], "grouping": "na"}


def signed(
    key: str,
    action: dict,
    nonce: int | None = None,
    vault: str | None = None,
    mainnet: bool = False,
    expires: int | None = None,
) -> dict:
    n = nonce or int(time.time() * 1000)
    sig = sign_l1_action(Account.from_key(key), action, vault, n, expires, mainnet)
    body = {"action": action, "nonce": n, "signature": sig, "vaultAddress": vault}
    if expires is not None:
        body["expiresAfter"] = expires
    return body


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=None) as s:
        yield s


def post(sim, body: dict) -> dict:
    return requests.post(f"{sim.http_url}/exchange", json=body, timeout=5).json()


def open_orders(sim, user: str) -> int:
    return len(
        requests.post(f"{sim.http_url}/info", json={"type": "openOrders", "user": user}, timeout=5).json()
    )


def test_valid_signature_places_the_order_for_the_signer(sim):
    before = open_orders(sim, ADDRESS)
    reply = post(sim, signed(KEY, order_action()))
    assert reply["status"] == "ok" and "resting" in reply["response"]["data"]["statuses"][0]
    assert open_orders(sim, ADDRESS) == before + 1


def test_wrong_key_recovers_another_wallet_which_does_not_exist(sim):
    wrong = Account.from_key(OTHER_KEY).address.lower()
    reply = post(sim, signed(OTHER_KEY, order_action()))
    assert reply == {"status": "err", "response": f"User or API Wallet {wrong} does not exist."}


def test_tampered_action_or_wrong_network_recovers_a_random_wallet(sim):
    body = signed(KEY, order_action("60000"))
    tampered = copy.deepcopy(body)
    tampered["action"]["orders"][0]["p"] = "60000.0"  # trailing zero: different msgpack bytes
    for bad in (tampered, signed(KEY, order_action(), mainnet=True)):
        reply = post(sim, bad)
        assert reply["status"] == "err" and reply["response"].startswith("User or API Wallet 0x")
        assert ADDRESS not in reply["response"]


def test_replayed_request_is_refused_and_executes_once(sim):
    body = signed(KEY, order_action("59000"))
    before = open_orders(sim, ADDRESS)
    assert post(sim, body)["status"] == "ok"
    assert post(sim, body) == {"status": "err", "response": f"Invalid nonce: duplicate nonce {body['nonce']}"}
    assert open_orders(sim, ADDRESS) == before + 1


def test_nonce_outside_the_time_window_or_below_the_kept_set_is_refused(sim):
    stale = int(time.time() * 1000) - 3 * 86_400_000
    reply = post(sim, signed(KEY, order_action(), nonce=stale))
    assert reply["status"] == "err" and "outside the allowed time window" in reply["response"]
    future = int(time.time() * 1000) + 2 * 86_400_000
    assert (
        "outside the allowed time window"
        in post(sim, signed(KEY, {"type": "noop"}, nonce=future))["response"]
    )
    base = int(time.time() * 1000)
    for i in range(21):  # fill the 20 kept nonces with newer ones
        assert post(sim, signed(KEY, {"type": "noop"}, nonce=base + 10 + i))["status"] == "ok"
    reply = post(sim, signed(KEY, {"type": "noop"}, nonce=base))
    assert reply["status"] == "err" and "lower than the lowest kept nonce" in reply["response"]


def test_expired_action_is_refused(sim):
    reply = post(sim, signed(KEY, order_action(), expires=int(time.time() * 1000) - 1000))
    assert reply["status"] == "err" and "expired" in reply["response"]


def test_agent_wallet_trades_for_its_master_and_unknown_agents_do_not_exist(sim):
    before = open_orders(sim, ADDRESS)
    assert post(sim, signed(AGENT_KEY, order_action("58000")))["status"] == "ok"
    assert open_orders(sim, ADDRESS) == before + 1  # booked on the master account
    stranger = "0x" + "13" * 32
    reply = post(sim, signed(stranger, order_action()))
    assert (
        reply["response"]
        == f"User or API Wallet {Account.from_key(stranger).address.lower()} does not exist."
    )


def test_vault_actions_need_the_vaults_master(sim):
    assert post(sim, signed(KEY, order_action("57000"), vault=VAULT))["status"] == "ok"
    assert open_orders(sim, VAULT) == 1
    assert (
        post(sim, signed(AGENT_KEY, order_action("57000"), vault=VAULT))["status"] == "ok"
    )  # master's agent may act
    requests.post(
        f"{sim.http_url}/_sim/accounts", json={"address": Account.from_key(OTHER_KEY).address}, timeout=5
    )
    reply = post(sim, signed(OTHER_KEY, order_action("57000"), vault=VAULT))
    assert reply["status"] == "err" and "is not the leader or master of vault" in reply["response"]


def test_user_signed_approve_agent_then_the_new_agent_can_trade(sim):
    from hyperliquid.exchange import Exchange

    master = Exchange(Account.from_key(KEY), sim.http_url, perp_dexs=["", "xyz"])
    reply, agent_key = master.approve_agent("bot")
    assert reply == {"status": "ok", "response": {"type": "default"}}
    agent = Exchange(
        Account.from_key(agent_key), sim.http_url, account_address=ADDRESS, perp_dexs=["", "xyz"]
    )
    assert agent.order("ETH", True, 0.01, 3000, {"limit": {"tif": "Gtc"}})["status"] == "ok"
    role = requests.post(
        f"{sim.http_url}/info",
        json={"type": "userRole", "user": Account.from_key(agent_key).address},
        timeout=5,
    ).json()
    assert role == {"role": "agent", "data": {"user": ADDRESS}}
    # an agent cannot approve agents (only the master can sign user actions)
    rogue = Exchange(Account.from_key(agent_key), sim.http_url, perp_dexs=["", "xyz"])
    assert rogue.approve_agent()[0]["status"] == "err"


def test_malformed_bodies_get_the_venues_422(sim):
    r = requests.post(f"{sim.http_url}/exchange", data="{not json", timeout=5)
    assert r.status_code == 422 and r.text.startswith("Failed to deserialize the JSON body")
    r = requests.post(f"{sim.http_url}/info", json={"type": "noSuchThing"}, timeout=5)
    assert r.status_code == 422 and "unknown variant `noSuchThing`" in r.text
