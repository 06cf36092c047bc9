"""The Bitget front seen from plain clients on the wire: signatures, passphrases and timestamps are
checked with Bitget's error codes, the WebSocket login and message limits behave like the venue,
book checksums match an independent local book, orders follow the venue's rules, and the shared
fault injection applies."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest
import requests
import websockets
from bg_support import API_KEY
from bg_support import API_SECRET
from bg_support import PASSPHRASE
from bg_support import UID
from bg_support import account
from bg_support import running_sim
from bg_support import wait_for

from adapters.bitget.books import L2Book
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.signing import BitgetSigner
from adapters.bitget.signing import query_string
from adapters.common.credentials import Secret
from adapters.common.errors import AuthenticationError

pytestmark = pytest.mark.timeout(90)

DEMO_KEY = "bg_demo_key_000000000000"


@pytest.fixture(scope="module")
def sim():
    accounts = [
        account(),
        {"api_key": DEMO_KEY, "secret": API_SECRET, "passphrase": PASSPHRASE, "demo": True},
    ]
    with running_sim(tick_secs=None, accounts=accounts) as s:
        yield s


@pytest.fixture(autouse=True)
def reset(sim):
    yield
    sim.reset_faults()


def signer(key=API_KEY, secret=API_SECRET, passphrase=PASSPHRASE, demo=False) -> BitgetSigner:
    return BitgetSigner(Secret(key), Secret(secret), Secret(passphrase), demo=demo)


def rest(
    sim, method: str, path: str, params=None, body=None, sign: BitgetSigner | None = None, ts_ms=None, **hdr
):
    query = query_string(params)
    text = json.dumps(body, separators=(",", ":")) if body is not None else ""
    headers = (sign or signer()).rest_headers(method, path, query, text, ts_ms) if sign is not False else {}
    headers.update(hdr)
    url = f"{sim.http_url}{path}" + (f"?{query}" if query else "")
    r = requests.request(method, url, data=text or None, headers=headers, timeout=5)
    return r.status_code, r.json()


def place(sim, **fields):
    body = {"symbol": "NVDAUSDT", "productType": "USDT-FUTURES", "marginMode": "crossed", "marginCoin": "USDT",
            "side": "buy", "orderType": "limit", "size": "1", **fields}  # fmt: skip
    return rest(sim, "POST", "/api/v2/mix/order/place-order", body=body)


def book_top(sim, symbol="NVDAUSDT") -> tuple[Decimal, Decimal]:
    m = sim.state()["markets"][symbol]
    return Decimal(m["bid"]), Decimal(m["ask"])


# -- REST authentication --------------------------------------------------------------------------
def test_signed_requests_pass_and_every_bad_credential_gets_its_code(sim):
    status, reply = rest(sim, "GET", "/api/v2/mix/account/accounts", {"productType": "USDT-FUTURES"})
    assert status == 200 and reply["code"] == "00000" and reply["data"][0]["marginCoin"] == "USDT"
    cases = [
        (dict(sign=signer(key="nope-key-123456")), "40006", "Invalid ACCESS_KEY"),
        (dict(sign=signer(passphrase="wrong-passphrase")), "40012", "apikey/password is incorrect"),
        (dict(sign=signer(secret="wrong-secret-000000")), "40009", "sign signature error"),
        (dict(ts_ms=int(time.time() * 1000) - 60_000), "40008", "Request timestamp expired"),
        (dict(sign=False), "40001", "ACCESS_KEY cannot be empty"),
        (dict(sign=signer(key=DEMO_KEY)), "40099", "exchange environment is incorrect"),
    ]
    for kwargs, code, msg in cases:
        status, reply = rest(
            sim, "GET", "/api/v2/mix/account/accounts", {"productType": "USDT-FUTURES"}, **kwargs
        )
        assert (status, reply["code"], reply["msg"]) == (400, code, msg), kwargs
    # the demo key works with the demo-trading header
    status, reply = rest(
        sim,
        "GET",
        "/api/v2/mix/account/accounts",
        {"productType": "USDT-FUTURES"},
        sign=signer(key=DEMO_KEY, demo=True),
    )
    assert status == 200
    # a body changed after signing is refused
    ts = str(int(time.time() * 1000))
    body = '{"productType":"USDT-FUTURES","posMode":"one_way_mode"}'
    headers = signer().rest_headers("POST", "/api/v2/mix/account/set-position-mode", "", body, int(ts))
    r = requests.post(
        f"{sim.http_url}/api/v2/mix/account/set-position-mode",
        data=body.replace("one_way", "hedge"),
        headers=headers,
        timeout=5,
    )
    assert r.json()["code"] == "40009"
    assert sim.state()["auth_failures"]["40009"] >= 2


def test_the_adapter_http_client_classifies_venue_auth_errors(sim):
    async def run():
        client = BitgetHttpClient(sim.http_url, signer=signer(passphrase="not-the-passphrase"), max_retries=0)
        try:
            await client.accounts()
        finally:
            await client.close()

    with pytest.raises(AuthenticationError, match="40012: apikey/password is incorrect") as err:
        asyncio.run(run())
    assert "not-the-passphrase" not in str(err.value)


# -- WebSocket login, limits, checksums ------------------------------------------------------------
async def _login(sim, **overrides):
    url = sim.ws_url.replace("/public", "/private")
    s = signer(**{k: v for k, v in overrides.items() if k in ("key", "secret", "passphrase")})
    frame = s.ws_login(overrides.get("ts"))
    async with websockets.connect(url, close_timeout=0.2) as ws:
        await ws.send(
            json.dumps(
                {
                    "op": "subscribe",
                    "args": [{"instType": "USDT-FUTURES", "channel": "orders", "instId": "default"}],
                }
            )
        )
        before = json.loads(await asyncio.wait_for(ws.recv(), 2))
        await ws.send(json.dumps(frame))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 2))
        closed = False
        try:
            await asyncio.wait_for(ws.recv(), 1)
        except websockets.ConnectionClosed:
            closed = True
        except TimeoutError:
            pass
        return before, reply, closed


def test_websocket_login_checks_key_passphrase_timestamp_and_signature(sim):
    before, ok, closed = asyncio.run(_login(sim))
    assert before["event"] == "error" and before["code"] == 30004  # private channel before login
    assert ok == {"event": "login", "code": 0, "msg": ""} and not closed
    for overrides, code in [
        ({"key": "unknown-key-xyz"}, 30011),
        ({"passphrase": "bad-pass-xyz"}, 30012),
        ({"ts": int(time.time()) - 120}, 30014),
        ({"secret": "bad-secret-xyz"}, 30015),
    ]:
        _, reply, closed = asyncio.run(_login(sim, **overrides))
        assert reply["event"] == "error" and reply["code"] == code and closed, overrides


async def _book_session(sim, updates: int, corrupt: int = 0):
    local = L2Book()
    results = []
    async with websockets.connect(sim.ws_url, close_timeout=0.2) as ws:
        await ws.send(
            json.dumps(
                {
                    "op": "subscribe",
                    "args": [{"instType": "USDT-FUTURES", "channel": "books", "instId": "NVDAUSDT"}],
                }
            )
        )
        assert json.loads(await ws.recv())["event"] == "subscribe"
        loop = asyncio.get_running_loop()
        if corrupt:
            sim.call(sim.front.corrupt_checksums, corrupt)
        pushed = 0
        while len(results) < updates:
            if pushed < updates + 5:
                await loop.run_in_executor(None, sim.tick, "NVDAUSDT", 1)
                pushed += 1
            msg = json.loads(await asyncio.wait_for(ws.recv(), 2))
            d = msg["data"][0]
            if msg["action"] == "snapshot":
                local.snapshot(d["bids"], d["asks"])
            else:
                local.apply(d["bids"], d["asks"])
            results.append((msg["action"], d["seq"], d["checksum"] == local.checksum()))
        await ws.send("ping")
        while (pong := await asyncio.wait_for(ws.recv(), 2)) != "pong":
            pass
    return results, pong


def test_book_updates_carry_the_checksum_an_independent_book_computes(sim):
    results, pong = asyncio.run(_book_session(sim, 30))
    assert results[0][0] == "snapshot" and all(a == "update" for a, _, _ in results[1:])
    assert all(ok for _, _, ok in results) and pong == "pong"
    seqs = [seq for _, seq, _ in results]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    corrupted, _ = asyncio.run(_book_session(sim, 6, corrupt=2))
    assert [ok for _, _, ok in corrupted[1:3]] == [False, False] and all(ok for _, _, ok in corrupted[3:])


async def _flood(sim, n: int):
    async with websockets.connect(sim.ws_url, close_timeout=0.2) as ws:
        for _ in range(n):
            await ws.send("ping")
        frames = []
        try:
            while True:
                frames.append(await asyncio.wait_for(ws.recv(), 1))
        except (websockets.ConnectionClosed, TimeoutError) as e:
            return frames, isinstance(e, websockets.ConnectionClosed)


def test_more_than_ten_messages_a_second_closes_the_socket(sim):
    frames, closed = asyncio.run(_flood(sim, 12))
    assert frames[:10] == ["pong"] * 10 and json.loads(frames[10])["code"] == 30006 and closed


# -- orders ----------------------------------------------------------------------------------------
def test_order_rules_and_refusals_use_the_venue_codes(sim):
    bid, _ask = book_top(sim)
    cases = [
        (dict(price=str(bid), size="1.005"), "40808"),  # more decimals than volumePlace
        (dict(price=f"{bid}5"), "41103"),  # price scale
        (dict(price=str(bid), size="0.01"), "45110"),  # below 5 USDT
        (dict(price=str(bid), size="20000"), "40762"),  # more than the balance carries
        (dict(price=str(bid), side="sell", reduceOnly="YES"), "40757"),  # nothing to reduce
        (dict(price=str(bid), clientOid="x" * 51), "40304"),
        (dict(price=str(bid), marginCoin="BTC"), "40778"),
    ]
    for fields, code in cases:
        status, reply = place(sim, **fields)
        assert status == 400 and reply["code"] == code, (fields, reply)
    status, reply = place(sim, price=str(bid * Decimal("0.9")).split(".")[0], clientOid="dup-1")
    assert status == 200 and reply["data"]["clientOid"] == "dup-1"
    assert place(sim, price=str(bid * Decimal("0.9")).split(".")[0], clientOid="dup-1")[1]["code"] == "40786"
    # refused orders never existed; the resting one is queryable by its clientOid
    status, detail = rest(
        sim,
        "GET",
        "/api/v2/mix/order/detail",
        {"symbol": "NVDAUSDT", "productType": "USDT-FUTURES", "clientOid": "dup-1"},
    )
    assert detail["data"]["status"] == "live" and detail["data"]["force"] == "gtc"
    status, pending = rest(sim, "GET", "/api/v2/mix/order/orders-pending", {"productType": "USDT-FUTURES"})
    assert [o["clientOid"] for o in pending["data"]["entrustedList"]] == ["dup-1"]
    status, cancel = rest(
        sim,
        "POST",
        "/api/v2/mix/order/cancel-all-orders",
        body={"productType": "USDT-FUTURES", "marginCoin": "USDT"},
    )
    assert [o["clientOid"] for o in cancel["data"]["successList"]] == ["dup-1"]
    assert (
        rest(
            sim,
            "POST",
            "/api/v2/mix/order/cancel-order",
            body={"symbol": "NVDAUSDT", "productType": "USDT-FUTURES", "clientOid": "dup-1"},
        )[1]["code"]
        == "40768"
    )


def test_ioc_fok_and_post_only_that_cannot_execute_are_created_then_canceled(sim):
    bid, ask = book_top(sim)
    out = {}
    for name, fields in {
        "ioc": dict(force="ioc", price=str(bid)),
        "fok": dict(force="fok", price=str(ask), size="100000"),
        "post_only": dict(force="post_only", price=str(ask)),
    }.items():
        status, reply = place(sim, clientOid=f"cx-{name}", **fields)
        assert status == 200, reply
        _, detail = rest(
            sim,
            "GET",
            "/api/v2/mix/order/detail",
            {"symbol": "NVDAUSDT", "productType": "USDT-FUTURES", "orderId": reply["data"]["orderId"]},
        )
        out[name] = (detail["data"]["status"], detail["data"]["baseVolume"], detail["data"]["force"])
    assert out == {
        "ioc": ("canceled", "0.00", "ioc"),
        "fok": ("canceled", "0.00", "fok"),
        "post_only": ("canceled", "0.00", "post_only"),
    }
    status, reply = place(
        sim,
        force="fok",
        price=str(ask * Decimal("1.01")).split(".")[0] + ".00",
        size="2",
        clientOid="fok-fills",
    )
    _, detail = rest(
        sim,
        "GET",
        "/api/v2/mix/order/detail",
        {"symbol": "NVDAUSDT", "productType": "USDT-FUTURES", "clientOid": "fok-fills"},
    )
    assert detail["data"]["status"] == "filled" and detail["data"]["baseVolume"] == "2.00"


def test_position_mode_cannot_change_with_a_position_and_is_reported(sim):
    _, reply = rest(
        sim,
        "GET",
        "/api/v2/mix/account/account",
        {"symbol": "NVDAUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT"},
    )
    assert reply["data"]["posMode"] == "one_way_mode"
    positions = rest(
        sim, "GET", "/api/v2/mix/position/all-position", {"productType": "USDT-FUTURES", "marginCoin": "USDT"}
    )[1]["data"]
    if not positions:
        place(sim, orderType="market", size="1")
    _, reply = rest(
        sim,
        "POST",
        "/api/v2/mix/account/set-position-mode",
        body={"productType": "USDT-FUTURES", "posMode": "hedge_mode"},
    )
    assert reply["code"] == "40920"


def test_funding_settlement_writes_a_bill_and_the_history(sim):
    _, positions = rest(
        sim, "GET", "/api/v2/mix/position/all-position", {"productType": "USDT-FUTURES", "marginCoin": "USDT"}
    )
    if not positions["data"]:
        place(sim, orderType="market", size="1")
    assert sim.settle_funding("NVDAUSDT", "0.0003") >= 1
    _, bills = rest(
        sim,
        "GET",
        "/api/v2/mix/account/bill",
        {"productType": "USDT-FUTURES", "businessType": "contract_settle_fee"},
    )
    bill = bills["data"]["bills"][0]
    assert bill["symbol"] == "NVDAUSDT" and Decimal(bill["amount"]) < 0  # a long pays a positive rate
    _, hist = rest(
        sim,
        "GET",
        "/api/v2/mix/market/history-fund-rate",
        {"symbol": "NVDAUSDT", "productType": "USDT-FUTURES"},
        sign=False,
    )
    assert hist["data"][0]["fundingRate"] == "0.0003" and hist["data"][0]["fundingTime"] == bill["cTime"]
    state = sim.state()
    assert state["accounts"][UID]["positions"]["NVDAUSDT"] != "0"


def test_http_faults_apply_to_rest_but_not_to_the_websocket_paths(sim):
    sim.set_faults(http_error_next=[429])
    r = requests.get(f"{sim.http_url}/api/v2/public/time", timeout=5)
    assert r.status_code == 429
    sim.set_faults(http_error_next=[502])

    async def connect():
        async with websockets.connect(sim.ws_url.replace("/public", "/private"), close_timeout=0.2) as ws:
            await ws.send("ping")
            return await ws.recv()

    assert asyncio.run(connect()) == "pong"
    assert requests.get(f"{sim.http_url}/api/v2/public/time", timeout=5).status_code == 502
    wait_for(lambda: sim.state()["faults"]["injected"].get("http_error", 0) >= 2, 2, "faults counted")


def test_default_markets_agree_with_the_registry():
    from adapters.bitget.symbols import instrument_id
    from catalog.registry import default_registry
    from venuesim.fronts.bitget.universe import build_universe

    reg = default_registry()
    listed = {str(m.instrument_id): m for m in reg.markets_where(venue="BITGET")}
    u = build_universe()
    for m in u.markets.values():
        iid = str(instrument_id(m.product, m.symbol))
        spec = listed.get(iid)
        if spec is None:
            continue  # a simulator-only market
        assert (m.tick, m.size_multiplier, m.min_trade_usdt) == (spec.tick, spec.lot, spec.min_notional), iid
        if not m.is_spot:
            assert m.fund_interval == spec.funding_interval_hours, iid
    assert {"NVDAUSDT-PERP.BITGET", "BTCUSDT-PERP.BITGET", "BTCUSDT-SPOT.BITGET"} <= {
        str(instrument_id(m.product, m.symbol)) for m in u.markets.values()
    }


def test_fill_and_order_history_queries_follow_the_pages(sim):
    from venuesim.core.model import Side
    from venuesim.core.model import Tif

    _, ask = book_top(sim)
    start = int(time.time() * 1000) - 1000

    def trade_many():
        for _ in range(130):
            sim.exchange.place(UID, "NVDAUSDT", Side.BUY, ask * Decimal("1.01"), Decimal("0.1"), Tif.IOC)
            sim.exchange.place(UID, "NVDAUSDT", Side.SELL, ask * Decimal("0.99"), Decimal("0.1"), Tif.IOC)

    sim.call(trade_many)

    async def read():
        client = BitgetHttpClient(sim.http_url, signer=signer())
        try:
            return await client.fills_all(start_ms=start), await client.orders_history(start_ms=start)
        finally:
            await client.close()

    fills, orders = asyncio.run(read())
    assert len(fills) >= 260 and len({f.tradeId for f in fills}) == len(fills)
    assert [int(f.tradeId) for f in fills] == sorted((int(f.tradeId) for f in fills), reverse=True)
    assert len(orders) >= 260
