"""The venuesim Bybit v5 front seen from a plain HTTP / WebSocket client: authentication and its
errors, order rules and their codes, paging, the streams' sequencing, faults and rate limits; and
its replies carry every field the venue's recorded replies carry."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
import requests
import websockets
from bybit_support import KEY
from bybit_support import OTHER_KEY
from bybit_support import OTHER_SECRET
from bybit_support import SECRET
from bybit_support import UID
from bybit_support import bbo
from bybit_support import running_sim
from bybit_support import signed

pytestmark = pytest.mark.timeout(90)
RO_KEY, RO_SECRET = "readOnlyKey3003", "readOnlySecret3003xyz"


@pytest.fixture(scope="module")
def sim():
    accounts = [
        {"uid": UID, "api_key": KEY, "api_secret": SECRET, "coins": {"USDT": "100000", "BTC": "1"}},
        {"uid": "2002", "api_key": OTHER_KEY, "api_secret": OTHER_SECRET, "coins": {"USDT": "50"}},
        {"uid": "3003", "api_key": RO_KEY, "api_secret": RO_SECRET, "trade": False},
    ]
    with running_sim(accounts=accounts, tick_secs=None) as s:
        yield s


@pytest.fixture(autouse=True)
def clean(sim):
    yield
    sim.reset_faults()
    signed(sim, "POST", "/v5/order/cancel-all", {"category": "linear", "settleCoin": "USDT"})
    signed(sim, "POST", "/v5/order/cancel-all", {"category": "spot"})


def public(sim, path: str, **params) -> dict:
    return requests.get(f"{sim.http_url}{path}", params=params, timeout=5).json()


def order(sim, **params) -> dict:
    return signed(sim, "POST", "/v5/order/create", {"category": "linear", "symbol": "BTCUSDT", **params})


def view(sim, order_id: str, category: str = "linear") -> dict:
    return signed(sim, "GET", "/v5/order/realtime", {"category": category, "orderId": order_id})["result"][
        "list"
    ][0]


# -- authentication -----------------------------------------------------------------------------------------
def test_signed_requests_are_verified_and_errors_say_why(sim):
    ok = signed(sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
    assert ok["retCode"] == 0 and ok["result"]["list"][0]["accountType"] == "UNIFIED"
    bad_sig = signed(sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"}, secret="wrong")
    assert bad_sig["retCode"] == 10004 and bad_sig["retMsg"].startswith("error sign! origin_string[")
    assert KEY in bad_sig["retMsg"] and SECRET not in bad_sig["retMsg"]
    unknown = signed(sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"}, key="nobody")
    assert unknown == {**unknown, "retCode": 10003, "retMsg": "API key is invalid."}
    stale = signed(sim, "GET", "/v5/order/realtime", {"category": "spot"}, ts=int(time.time() * 1000) - 6000)
    assert stale["retCode"] == 10002 and "recv_window[5000]" in stale["retMsg"]
    wide = signed(
        sim, "GET", "/v5/order/realtime", {"category": "spot"}, ts=int(time.time() * 1000) - 6000, recv=10000
    )
    assert wide["retCode"] == 0  # a wider recv window admits it
    future = signed(sim, "GET", "/v5/order/realtime", {"category": "spot"}, ts=int(time.time() * 1000) + 2000)
    assert future["retCode"] == 10002
    # the signature covers the exact body bytes sent
    ts = str(int(time.time() * 1000))
    body = json.dumps(
        {
            "category": "linear",
            "symbol": "BTCUSDT",
            "side": "Buy",
            "orderType": "Limit",
            "qty": "0.01",
            "price": "1000",
        }
    )
    sig = hmac.new(SECRET.encode(), f"{ts}{KEY}5000{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "X-BAPI-API-KEY": KEY,
        "X-BAPI-TIMESTAMP": ts,
        "X-BAPI-RECV-WINDOW": "5000",
        "X-BAPI-SIGN": sig,
    }
    tampered = requests.post(
        f"{sim.http_url}/v5/order/create", data=body.replace("0.01", "0.02"), headers=headers, timeout=5
    )
    assert tampered.json()["retCode"] == 10004
    read_only = order(sim, side="Buy", orderType="Limit", qty="0.01", price="1000") | {}
    assert read_only["retCode"] == 0
    ro = signed(sim, "POST", "/v5/order/create", {"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                "orderType": "Limit", "qty": "0.01", "price": "1000"}, key=RO_KEY, secret=RO_SECRET)  # fmt: skip
    assert ro["retCode"] == 10005
    assert (
        signed(sim, "GET", "/v5/order/realtime", {"category": "spot"}, key=RO_KEY, secret=RO_SECRET)[
            "retCode"
        ]
        == 0
    )


# -- order rules ---------------------------------------------------------------------------------------------
def test_order_validation_codes(sim):
    bid, ask = bbo(sim)
    cases = [
        (dict(side="Buy", orderType="Limit", qty="0.0015", price="60000"), 10001, "qtyStep"),
        (dict(side="Buy", orderType="Limit", qty="0.01", price="60000.05"), 10001, "tickSize"),
        (dict(side="Buy", orderType="Limit", qty="0.001", price="1000"), 110094, "minimum order value"),
        (dict(side="Hold", orderType="Limit", qty="0.01", price="60000"), 10001, "side invalid"),
        (
            dict(side="Buy", orderType="Limit", qty="0.01", price="60000", triggerPrice="61000"),
            10001,
            "conditional",
        ),
        (
            dict(side="Buy", orderType="Limit", qty="0.01", price="60000", positionIdx=1),
            10001,
            "position idx",
        ),
        (dict(side="Sell", orderType="Market", qty="0.01", reduceOnly=True), 110017, "reduce-only"),
        (dict(side="Buy", orderType="Limit", qty="100", price=str(bid)), 110007, "not enough"),
    ]
    for params, code, text in cases:
        reply = order(sim, **params)
        assert reply["retCode"] == code and text in reply["retMsg"], (params, reply)
    spot = signed(sim, "POST", "/v5/order/create", {"category": "spot", "symbol": "BTCUSDT", "side": "Sell",
                  "orderType": "Limit", "qty": "2", "price": str(ask)})  # fmt: skip
    assert spot["retCode"] == 170131  # only 1 BTC in the wallet
    time.sleep(1.0)  # ten order requests a second per account is the venue's limit (see the 10006 test)
    first = order(sim, side="Buy", orderType="Limit", qty="0.01", price="60000", orderLinkId="dup-1")
    assert first["retCode"] == 0
    dup = order(sim, side="Buy", orderType="Limit", qty="0.01", price="60000", orderLinkId="dup-1")
    assert (dup["retCode"], dup["retMsg"]) == (110072, "OrderLinkedID is duplicate")
    other = signed(sim, "POST", "/v5/order/create", {"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                   "orderType": "Limit", "qty": "0.005", "price": "60000", "orderLinkId": "dup-1"},
                   key=OTHER_KEY, secret=OTHER_SECRET)  # fmt: skip
    assert other["retCode"] == 0  # link ids are per account


def test_immediate_orders_that_cannot_trade_are_cancelled_with_the_venue_reason(sim):
    bid, ask = bbo(sim)
    post_only = order(sim, side="Buy", orderType="Limit", qty="0.01", price=str(ask), timeInForce="PostOnly")
    assert post_only["retCode"] == 0  # accepted, then cancelled: an ack is not a fill
    v = view(sim, post_only["result"]["orderId"])
    assert (v["orderStatus"], v["rejectReason"]) == ("Cancelled", "EC_PostOnlyWillTakeLiquidity")
    ioc = order(sim, side="Buy", orderType="Limit", qty="0.01", price=str(bid - 100), timeInForce="IOC")
    v = view(sim, ioc["result"]["orderId"])
    assert (v["orderStatus"], v["rejectReason"], v["cumExecQty"]) == (
        "Cancelled",
        "EC_NoImmediateQtyToFill",
        "0.000",
    )
    fok = order(
        sim, side="Buy", orderType="Limit", qty="5", price=str(ask), timeInForce="FOK"
    )  # > the best level
    v = view(sim, fok["result"]["orderId"])
    assert (v["orderStatus"], v["cumExecQty"]) == ("Cancelled", "0.000")
    sim.set_faults(reject_next=1, reject_reason="EC_PerCancelRequest")
    rejected = order(sim, side="Buy", orderType="Limit", qty="0.01", price="60000")
    v = view(sim, rejected["result"]["orderId"])
    assert (v["orderStatus"], v["rejectReason"]) == ("Rejected", "EC_PerCancelRequest")


def test_partial_fills_amend_keeps_the_order_id_and_counts_the_fills(sim):
    bid, ask = bbo(sim)
    sim.set_faults(partial_fill_fraction="0.5")
    placed = order(
        sim,
        side="Buy",
        orderType="Limit",
        qty="0.02",
        price=str(ask),
        timeInForce="GTC",
        orderLinkId="amend-me",
    )
    oid = placed["result"]["orderId"]
    v = view(sim, oid)
    assert (v["orderStatus"], v["cumExecQty"], v["leavesQty"]) == ("PartiallyFilled", "0.010", "0.010")
    sim.reset_faults()
    low = (bid - 200).quantize(Decimal("0.1"))
    amended = signed(sim, "POST", "/v5/order/amend", {"category": "linear", "symbol": "BTCUSDT",
                     "orderLinkId": "amend-me", "qty": "0.03", "price": str(low)})  # fmt: skip
    assert amended["result"] == {"orderId": oid, "orderLinkId": "amend-me"}
    v = view(sim, oid)
    assert (v["qty"], v["price"], v["cumExecQty"], v["leavesQty"], v["orderStatus"]) == (
        "0.030",
        str(low),
        "0.010",
        "0.020",
        "PartiallyFilled",
    )
    below = signed(
        sim,
        "POST",
        "/v5/order/amend",
        {"category": "linear", "symbol": "BTCUSDT", "orderId": oid, "qty": "0.01"},
    )
    assert below["retCode"] == 110063
    fills = signed(sim, "GET", "/v5/execution/list", {"category": "linear", "orderId": oid})["result"]["list"]
    assert [f["execQty"] for f in fills] == ["0.010"] and fills[0]["orderLinkId"] == "amend-me"
    cancel = signed(
        sim, "POST", "/v5/order/cancel", {"category": "linear", "symbol": "BTCUSDT", "orderId": oid}
    )
    assert cancel["retCode"] == 0
    assert (
        signed(sim, "POST", "/v5/order/cancel", {"category": "linear", "symbol": "BTCUSDT", "orderId": oid})[
            "retCode"
        ]
        == 110001
    )
    done = signed(sim, "GET", "/v5/order/history", {"category": "linear", "orderId": oid})["result"]["list"][
        0
    ]
    assert (done["orderStatus"], done["cancelType"], done["cumExecQty"]) == (
        "Cancelled",
        "CancelByUser",
        "0.010",
    )


def test_spot_market_buy_in_quote_coin_and_fees_in_the_received_coin(sim):
    before = {c["coin"]: Decimal(c["walletBalance"]) for c in
              signed(sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})["result"]["list"][0]["coin"]}  # fmt: skip
    r = signed(
        sim,
        "POST",
        "/v5/order/create",
        {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "1000"},
    )  # 1,000 USDT worth: marketUnit defaults to quoteCoin
    fills = signed(sim, "GET", "/v5/execution/list", {"category": "spot", "orderId": r["result"]["orderId"]})[
        "result"
    ]["list"]
    qty = sum(Decimal(f["execQty"]) for f in fills)
    cost = sum(Decimal(f["execValue"]) for f in fills)
    assert Decimal("999") < cost <= Decimal("1000") and {f["feeCurrency"] for f in fills} == {"BTC"}
    after = {c["coin"]: Decimal(c["walletBalance"]) for c in
             signed(sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})["result"]["list"][0]["coin"]}  # fmt: skip
    fee = sum(Decimal(f["execFee"]) for f in fills)
    assert after["BTC"] == before["BTC"] + qty - fee and after["USDT"] == before["USDT"] - cost
    v = view(sim, r["result"]["orderId"], "spot")
    assert (v["orderStatus"], v["marketUnit"], v["price"]) == ("Filled", "quoteCoin", "0")


# -- queries and paging --------------------------------------------------------------------------------------
def test_instruments_page_with_cursor_and_klines_page_newest_first(sim):
    seen, cursor = [], ""
    while True:
        page = public(sim, "/v5/market/instruments-info", category="linear", limit=2, cursor=cursor)["result"]
        seen += [i["symbol"] for i in page["list"]]
        cursor = page["nextPageCursor"]
        if not cursor:
            break
    assert seen == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "NVDAUSDT"]
    start = sim.front.history.start_ms - 10 * 3_600_000
    rows = public(sim, "/v5/market/kline", category="linear", symbol="BTCUSDT", interval="60",
                  start=start, end=start + 5 * 3_600_000)["result"]["list"]  # fmt: skip
    assert [int(r[0]) for r in rows] == [
        start // 3_600_000 * 3_600_000 + h * 3_600_000 for h in (5, 4, 3, 2, 1)
    ] or len(rows) == 6
    minutes = public(
        sim, "/v5/market/kline", category="linear", symbol="BTCUSDT", interval="1", end=start, limit=3
    )
    starts = [int(r[0]) for r in minutes["result"]["list"]]
    assert starts == sorted(starts, reverse=True) and len(starts) == 3 and starts[0] <= start
    hourly = [r for r in rows if int(r[0]) == starts[0] // 3_600_000 * 3_600_000]
    assert all(Decimal(r[2]) >= Decimal(r[3]) for r in rows) and hourly is not None
    only_start = public(
        sim, "/v5/market/funding/history", category="linear", symbol="BTCUSDT", startTime=start
    )
    assert only_start["retCode"] == 10001
    funding = public(sim, "/v5/market/funding/history", category="linear", symbol="BTCUSDT", limit=3)[
        "result"
    ]["list"]
    times = [int(f["fundingRateTimestamp"]) for f in funding]
    assert times == sorted(times, reverse=True) and all(t % (8 * 3_600_000) == 0 for t in times)


def test_replies_carry_every_field_of_the_recorded_venue_replies(sim, shared_data):
    bybit = shared_data / "nautilus_trader" / "bybit"

    def keys(name: str, path: tuple) -> set:
        doc = json.loads((bybit / name).read_text())
        for p in path:
            doc = doc[p]
        return set(doc)

    _bid, ask = bbo(sim)
    r = order(sim, side="Buy", orderType="Limit", qty="0.01", price=str(ask), timeInForce="IOC")
    oid = r["result"]["orderId"]
    ours = {
        "order": signed(sim, "GET", "/v5/order/history", {"category": "linear", "orderId": oid})["result"][
            "list"
        ][0],
        "execution": signed(sim, "GET", "/v5/execution/list", {"category": "linear", "orderId": oid})[
            "result"
        ]["list"][0],
        "position": signed(sim, "GET", "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})[
            "result"
        ]["list"][0],
        "wallet": signed(sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})["result"][
            "list"
        ][0],
        "linear": public(sim, "/v5/market/instruments-info", category="linear", symbol="BTCUSDT")["result"][
            "list"
        ][0],
        "spot": public(sim, "/v5/market/instruments-info", category="spot", symbol="BTCUSDT")["result"][
            "list"
        ][0],
        "book": public(sim, "/v5/market/orderbook", category="linear", symbol="BTCUSDT")["result"],
        "trade": public(sim, "/v5/market/recent-trade", category="linear", symbol="BTCUSDT", limit=1)[
            "result"
        ]["list"][0],
        "fee": signed(sim, "GET", "/v5/account/fee-rate", {"category": "linear"})["result"]["list"][0],
        "info": signed(sim, "GET", "/v5/account/info", {})["result"],
        "ticker": public(sim, "/v5/market/tickers", category="linear", symbol="BTCUSDT")["result"]["list"][0],
    }
    recorded = {
        "order": keys("http_get_orders_realtime.json", ("result", "list", 0)),
        "execution": keys("http_get_executions.json", ("result", "list", 0)),
        "position": keys("http_get_positions.json", ("result", "list", 0)),
        "wallet": keys("http_get_wallet_balance.json", ("result", "list", 0)),
        "linear": keys("http_get_instruments_linear.json", ("result", "list", 0)),
        "spot": keys("http_get_instruments_spot.json", ("result", "list", 0)),
        "book": keys("http_get_orderbook.json", ("result",)),
        "trade": keys("http_get_trades_recent.json", ("result", "list", 0)),
        "fee": keys("http_get_fee_rate.json", ("result", "list", 0)),
        "info": keys("http_get_account_info.json", ("result",)),
        "ticker": keys("ws_ticker_linear.json", ("data",)),
    }
    for name, fields in recorded.items():
        assert fields <= set(ours[name]), f"{name}: missing {sorted(fields - set(ours[name]))}"
    coin = keys("http_get_wallet_balance.json", ("result", "list", 0, "coin", 0))
    assert coin <= set(ours["wallet"]["coin"][0])


# -- streams -------------------------------------------------------------------------------------------------
async def _collect(url: str, requests_: list[dict], n: int, after=None, timeout: float = 1.0) -> list[dict]:
    out: list[dict] = []
    async with websockets.connect(url, close_timeout=0.2) as ws:
        for r in requests_:
            await ws.send(json.dumps(r))
        if after is not None:
            await asyncio.get_running_loop().run_in_executor(None, after)
        try:
            while len(out) < n:
                out.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
        except (TimeoutError, websockets.ConnectionClosed):
            pass
    return out


def test_orderbook_stream_snapshot_then_deltas_rebuild_the_venue_book(sim):
    url = sim.front.ws_urls()["linear"]
    msgs = asyncio.run(
        _collect(
            url,
            [{"op": "subscribe", "args": ["orderbook.50.BTCUSDT"], "req_id": "b1"}],
            12,
            after=lambda: sim.tick("linear:BTCUSDT", n=10),
        )
    )
    ack, frames = msgs[0], msgs[1:]
    assert ack["success"] is True and ack["req_id"] == "b1" and ack["op"] == "subscribe"
    assert frames[0]["type"] == "snapshot" and all(f["type"] == "delta" for f in frames[1:])
    us = [f["data"]["u"] for f in frames]
    assert us == list(range(us[0], us[0] + len(us)))  # u counts up by one per message
    seqs = [f["data"]["seq"] for f in frames]
    assert seqs == sorted(seqs)
    book: dict[str, dict[str, str]] = {"b": {}, "a": {}}
    for f in frames:
        for side in ("b", "a"):
            for px, sz in f["data"][side]:
                if sz == "0":
                    book[side].pop(px, None)
                else:
                    book[side][px] = sz
    rest = public(sim, "/v5/market/orderbook", category="linear", symbol="BTCUSDT", limit=50)["result"]
    assert rest["u"] == us[-1]
    assert {px: sz for px, sz in rest["b"]} == book["b"] and {px: sz for px, sz in rest["a"]} == book["a"]


def test_subscription_replies_and_pings(sim):
    url = sim.front.ws_urls()["linear"]
    msgs = asyncio.run(
        _collect(
            url,
            [
                {"op": "subscribe", "args": ["orderbook.3.BTCUSDT"], "req_id": "bad"},
                {"op": "subscribe", "args": ["tickers.BTCUSDT"]},
                {"op": "subscribe", "args": ["tickers.BTCUSDT"]},
                {"op": "ping", "req_id": "p"},
            ],
            5,
        )
    )
    replies = [m for m in msgs if "topic" not in m]
    bad, dup, pong, ack = (
        replies  # refusals and pongs at once; an accepted subscription after a network delay
    )
    assert bad["success"] is False and "orderbook.3.BTCUSDT" in bad["ret_msg"] and bad["req_id"] == "bad"
    assert dup["success"] is False and "already subscribed" in dup["ret_msg"]
    assert pong == {**pong, "op": "ping", "ret_msg": "pong", "req_id": "p"}
    assert ack["success"] is True and ack["op"] == "subscribe"
    snapshot = next(m for m in msgs if "topic" in m)
    assert msgs.index(ack) < msgs.index(snapshot)  # the snapshot follows its ack
    assert (
        snapshot["type"] == "snapshot"
        and snapshot["data"]["symbol"] == "BTCUSDT"
        and "fundingRate" in snapshot["data"]
    )
    spot = asyncio.run(
        _collect(sim.front.ws_urls()["spot"], [{"op": "subscribe", "args": ["tickers.ETHUSDT"]}], 1)
    )
    assert spot[0]["success"] is False  # ETHUSDT is listed for linear only


def test_private_stream_needs_auth_then_pushes_orders_executions_positions_wallet(sim):
    url = sim.front.ws_urls()["private"]
    expires = int(time.time() * 1000) + 5000

    def auth(secret: str, when: int = expires) -> dict:
        sig = hmac.new(secret.encode(), f"GET/realtime{when}".encode(), hashlib.sha256).hexdigest()
        return {"op": "auth", "args": [KEY, when, sig], "req_id": "a"}

    early = asyncio.run(_collect(url, [{"op": "subscribe", "args": ["order"]}], 1))
    assert early[0]["success"] is False and early[0]["ret_msg"] == "Request not authorized"
    wrong = asyncio.run(_collect(url, [auth("bad")], 1))
    assert wrong[0] == {**wrong[0], "success": False, "op": "auth"}
    expired = asyncio.run(_collect(url, [auth(SECRET, int(time.time() * 1000) - 1)], 1))
    assert expired[0]["success"] is False
    bid, _ask = bbo(sim)

    def trade() -> None:
        order(
            sim,
            side="Sell",
            orderType="Limit",
            qty="0.01",
            price=str(bid),
            timeInForce="IOC",
            orderLinkId="ws-push",
        )

    msgs = asyncio.run(
        _collect(
            url,
            [auth(SECRET), {"op": "subscribe", "args": ["order", "execution", "position.linear", "wallet"]}],
            8,
            after=trade,
        )
    )
    assert msgs[0] == {**msgs[0], "success": True, "op": "auth", "req_id": "a"}
    assert any(m.get("op") == "subscribe" and m["success"] for m in msgs)
    pushes = [m for m in msgs if "topic" in m]
    topics = [m["topic"] for m in pushes]
    assert topics[:4] == ["execution", "order", "position.linear", "wallet"]  # fill first, then its order
    execution, order_msg = pushes[0]["data"][0], pushes[1]["data"][0]
    assert (
        execution["orderLinkId"] == "ws-push"
        and execution["execType"] == "Trade"
        and execution["category"] == "linear"
    )
    assert order_msg["orderStatus"] == "Filled" and order_msg["cumExecQty"] == "0.010"


def test_http_faults_and_lost_order_replies(sim):
    sim.set_faults(http_error_next=[502])
    assert requests.get(f"{sim.http_url}/v5/market/time", timeout=5).status_code == 502
    assert public(sim, "/v5/market/time")["retCode"] == 0
    sim.set_faults(drop_ack_next=1)
    with pytest.raises(requests.ConnectionError):
        order(sim, side="Buy", orderType="Limit", qty="0.01", price="60000", orderLinkId="lost-reply")
    # the order exists: a client that lost the reply finds it by its link id instead of placing it again
    found = signed(sim, "GET", "/v5/order/realtime", {"category": "linear", "orderLinkId": "lost-reply"})[
        "result"
    ]["list"]
    assert [o["orderStatus"] for o in found] == ["New"]
    assert (
        order(sim, side="Buy", orderType="Limit", qty="0.01", price="60000", orderLinkId="lost-reply")[
            "retCode"
        ]
        == 110072
    )


def test_private_rate_limit_answers_10006_with_reset_headers(sim):
    time.sleep(1.0)  # a fresh one-second window
    replies = []
    for i in range(12):
        ts = str(int(time.time() * 1000))
        body = json.dumps({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                           "qty": "0.01", "price": "50000", "orderLinkId": f"burst-{i}"})  # fmt: skip
        sig = hmac.new(SECRET.encode(), f"{ts}{KEY}5000{body}".encode(), hashlib.sha256).hexdigest()
        replies.append(requests.post(f"{sim.http_url}/v5/order/create", data=body, timeout=5, headers={
            "X-BAPI-API-KEY": KEY, "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": "5000", "X-BAPI-SIGN": sig}))  # fmt: skip
    codes = [r.json()["retCode"] for r in replies]
    assert codes[:10] == [0] * 10 and 10006 in codes[10:]
    limited = replies[codes.index(10006)]
    assert limited.json()["retMsg"] == "Too many visits!" and limited.headers["X-Bapi-Limit"] == "10"
    assert (
        limited.headers["X-Bapi-Limit-Status"] == "0"
        and int(limited.headers["X-Bapi-Limit-Reset-Timestamp"]) > 0
    )
    time.sleep(1.0)  # leave a fresh window to the next test


def test_funding_settlement_is_an_execution_and_a_transaction(sim):
    eth = {"category": "linear", "symbol": "ETHUSDT"}
    assert (
        signed(sim, "POST", "/v5/order/create", {**eth, "side": "Sell", "orderType": "Market", "qty": "1"})[
            "retCode"
        ]
        == 0
    )
    sim.settle_funding("linear:ETHUSDT", "0.0004")
    funding = signed(sim, "GET", "/v5/execution/list", {"category": "linear", "execType": "Funding"})[
        "result"
    ]["list"][0]
    log = signed(sim, "GET", "/v5/account/transaction-log", {"accountType": "UNIFIED", "type": "SETTLEMENT"})[
        "result"
    ]["list"][0]
    size = Decimal(log["size"])
    assert size < 0 and funding["side"] == "Sell" and funding["execType"] == "Funding"
    # a short receives a positive rate: execFee (paid) is negative, the log's funding (received) positive
    assert Decimal(funding["execFee"]) == -Decimal(log["funding"]) < 0
    assert Decimal(funding["feeRate"]) == Decimal(log["feeRate"]) == Decimal("-0.0004")
    assert Decimal(funding["execQty"]) == -size
    assert abs(Decimal(funding["execValue"]) * Decimal("0.0004") - Decimal(log["funding"])) < Decimal(
        "0.000001"
    )
    assert funding["symbol"] == "ETHUSDT" and funding["orderId"].endswith("-Sell")
    signed(
        sim,
        "POST",
        "/v5/order/create",
        {**eth, "side": "Buy", "orderType": "Market", "qty": "1", "reduceOnly": True},
    )


# -- accounts from `arb venuesim run` -------------------------------------------------------------------------
def test_auto_accounts_admit_any_key_signed_with_the_shared_secret():
    with running_sim(accounts=[], auto_accounts=True, tick_secs=None) as s:
        bad = signed(
            s, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"}, key="k1", secret="nope"
        )
        assert bad["retCode"] == 10004 and s.front.describe()["keys"] == {}
        ok = signed(
            s,
            "GET",
            "/v5/account/wallet-balance",
            {"accountType": "UNIFIED"},
            key="k1",
            secret="venuesim-secret",
        )
        assert ok["retCode"] == 0, ok
        coins = {c["coin"]: c["walletBalance"] for c in ok["result"]["list"][0]["coin"]}
        assert coins == {"USDT": "100000"}
        again = signed(s, "GET", "/v5/account/info", {}, key="k1", secret="venuesim-secret")
        k2 = signed(s, "GET", "/v5/account/info", {}, key="k2", secret="venuesim-secret")
        assert again["retCode"] == 0 and k2["retCode"] == 0
        keys = s.front.describe()["keys"]
        assert set(keys) == {"k1", "k2"} and keys["k1"]["uid"] != keys["k2"]["uid"]


def test_cli_hands_each_front_the_account_form_it_understands():
    import argparse

    from arb.cli import UserError
    from venuesim.cli import add_parser
    from venuesim.cli import build_sims

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    hl = "0x1111111111111111111111111111111111111111"
    args = parser.parse_args(
        ["venuesim", "run", "--venue", "hyperliquid", "--venue", "bybit", "--account", f"{hl}=2500",
         "--account", "1001:cliKey:cliSecret=700"]
    )  # fmt: skip
    hyper, bybit = build_sims(args)
    assert bybit.front.describe()["keys"] == {"cliKey": {"uid": "1001", "trade": True}}
    assert bybit.front.acct.account("1001").spot == {"USDT": Decimal("700")}
    assert hl in hyper.state()["accounts"]
    only = parser.parse_args(["venuesim", "run", "--venue", "bybit", "--account", f"{hl}=5"])
    with pytest.raises(UserError, match=r"--account 0x1111.*=5: bybit accounts are UID:API_KEY:API_SECRET"):
        build_sims(only)
