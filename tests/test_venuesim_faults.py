"""Every venuesim fault does what its name says, seen from a plain client on the wire."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import requests
import websockets
from eth_account import Account
from hl_support import ADDRESS
from hl_support import KEY
from hl_support import running_sim
from hyperliquid.utils.signing import sign_l1_action

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=None) as s:
        yield s


@pytest.fixture(autouse=True)
def reset(sim):
    yield
    sim.reset_faults()


async def _frames(
    sim,
    n: int,
    ticks: int,
    subs=({"type": "l2Book", "coin": "BTC"},),
    ping: bool = False,
    timeout: float = 0.5,
):
    got: list[str] = []
    async with websockets.connect(sim.ws_url, close_timeout=0.2) as ws:
        assert await ws.recv() == "Websocket connection established."
        for sub in subs:
            await ws.send(json.dumps({"method": "subscribe", "subscription": sub}))
        while "subscriptionResponse" not in (await ws.recv()):  # (acks are control frames: never faulted)
            pass
        await asyncio.get_running_loop().run_in_executor(None, sim.tick, None, ticks)
        if ping:
            await ws.send('{"method":"ping"}')
        try:
            while len(got) < n:
                got.append(await asyncio.wait_for(ws.recv(), timeout))
        except (TimeoutError, websockets.ConnectionClosed):
            pass
    return [g for g in got if "subscriptionResponse" not in g]


def test_socket_dropped_after_n_frames_then_connections_refused_for_a_while(sim):
    sim.set_faults(ws_drop_after_frames=4)
    frames = asyncio.run(_frames(sim, 50, 10))
    assert len(frames) == 2  # banner, ack, snapshot, one tick: 4 frames written, then the socket closed
    sim.reset_faults()
    assert sim.drop_sockets(refuse_ms=500) == 0

    async def attempt():
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(sim.ws_url)

    asyncio.run(attempt())
    time.sleep(0.55)
    assert asyncio.run(_frames(sim, 3, 2))


def test_malformed_duplicated_and_reordered_frames(sim):
    trades = ({"type": "trades", "coin": "BTC"},)  # one synthetic print per tick: increasing trade ids

    def tids(frames):
        return [json.loads(f)["data"][0]["tid"] for f in frames]

    sim.set_faults(ws_malformed_next=1)
    frames = asyncio.run(_frames(sim, 3, 3, subs=trades))
    with pytest.raises((ValueError, KeyError, TypeError, IndexError)):
        tids(frames[:1])  # garbled: not a trades frame any client could read
    assert len(tids(frames[1:])) == 2
    sim.set_faults(ws_duplicate_next=1)
    frames = asyncio.run(_frames(sim, 4, 3, subs=trades))
    assert tids(frames)[0] == tids(frames)[1] < tids(frames)[2]
    sim.set_faults(ws_out_of_order_next=1)
    frames = asyncio.run(_frames(sim, 3, 3, subs=trades))
    ids = tids(frames)
    assert ids[1] < ids[0] < ids[2]  # the first was held back behind the second


def test_silent_socket_still_answers_pings(sim):
    sim.set_faults(ws_silent=True)
    frames = asyncio.run(_frames(sim, 5, 5, ping=True))
    assert frames == ['{"channel":"pong"}']


def _order(px: str) -> dict:
    action = {
        "type": "order",
        "orders": [{"a": 0, "b": True, "p": px, "s": "0.001", "r": False, "t": {"limit": {"tif": "Gtc"}}}],
        "grouping": "na",
    }
    nonce = int(time.time() * 1000)
    return {
        "action": action,
        "nonce": nonce,
        "signature": sign_l1_action(Account.from_key(KEY), action, None, nonce, None, False),
        "vaultAddress": None,
    }


def test_http_errors_with_retry_after_and_lost_replies(sim):
    sim.set_faults(http_error_next=[429, 500], retry_after_secs=2)
    r = requests.post(f"{sim.http_url}/info", json={"type": "meta"}, timeout=5)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert requests.post(f"{sim.http_url}/info", json={"type": "meta"}, timeout=5).status_code == 500
    assert requests.post(f"{sim.http_url}/info", json={"type": "meta"}, timeout=5).status_code == 200
    before = len(sim.call(lambda: sim.exchange.open_orders(ADDRESS)))
    sim.set_faults(drop_ack_next=1, ack_delay_ms=100)
    t0 = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{sim.http_url}/exchange", json=_order("50000"), timeout=5)
    assert time.monotonic() - t0 >= 0.09
    assert len(sim.call(lambda: sim.exchange.open_orders(ADDRESS))) == before + 1  # executed, reply lost
    state = requests.get(f"{sim.http_url}/_sim/state", timeout=5).json()["result"]
    assert state["faults"]["injected"]["drop_ack"] == 1 and state["faults"]["injected"]["http_error"] == 2
