"""The WebSockets: public `/v5/public/{spot,linear}`, private `/v5/private` and order entry
`/v5/trade`, with the venue's subscribe / auth / ping replies and push shapes.

Public topics: `orderbook.{1,50,200,500,1000}.{symbol}` (a snapshot on subscribe, then deltas whose
`u` counts up per topic and whose `seq` is a cross sequence; level 1 is pushed as snapshots),
`publicTrade.{symbol}`, `tickers.{symbol}` (linear: snapshot then deltas of the changed fields;
spot: snapshots) and `kline.{interval}.{symbol}` (`confirm=true` once a candle has closed).
Private topics (after `auth`): `order`, `execution`, `execution.fast`, `position`, `wallet`, each
also by category (`order.linear`, ...). Order entry: `order.create|amend|cancel` and their
`-batch` forms, answered with the request's `reqId`.

Control replies (acks, pongs, auth) are never faulted; data pushes go through the transport faults.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.core.model import Side
from venuesim.core.model import Trade
from venuesim.core.model import now_ms
from venuesim.fronts.base import FaultySocket
from venuesim.fronts.bybit.auth import FUTURE_TOLERANCE_MS
from venuesim.fronts.bybit.history import bucket_end
from venuesim.fronts.bybit.history import bucket_start
from venuesim.fronts.bybit.protocol import KLINE_MS
from venuesim.fronts.bybit.protocol import TIMESTAMP_ERROR
from venuesim.fronts.bybit.protocol import BybitError
from venuesim.fronts.bybit.protocol import fmt
from venuesim.fronts.bybit.state import trade_id
from venuesim.fronts.bybit.trade import TradeApi
from venuesim.fronts.bybit.universe import BybitMarket

BOOK_DEPTHS = {"spot": (1, 50, 200, 1000), "linear": (1, 50, 200, 500, 1000)}
SPOT_MAX_ARGS = 10
PRIVATE_TOPICS = ("order", "execution", "execution.fast", "position", "wallet")
TRADE_OPS = {
    "order.create": ("single", "create"),
    "order.amend": ("single", "amend"),
    "order.cancel": ("single", "cancel"),
    "order.create-batch": ("batch", "create"),
    "order.amend-batch": ("batch", "amend"),
    "order.cancel-batch": ("batch", "cancel"),
}


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


@dataclass(eq=False)  # a connection is itself: hashed by identity
class Conn:
    sock: FaultySocket
    kind: str  # "spot" | "linear" | "private" | "trade"
    conn_id: str = field(default_factory=lambda: uuid.uuid4().hex[:20] + "-" + uuid.uuid4().hex[:3])
    uid: str | None = None
    topics: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)  # subscriptions being answered


@dataclass
class BookTopic:
    market: BybitMarket
    depth: int
    bids: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
    u: int = 0


class StreamApi(TradeApi):
    ws_reply_delay_ms: float = 20.0

    def init_stream(self) -> None:
        self.conns: dict[FaultySocket, Conn] = {}
        self.subs: dict[str, set[Conn]] = defaultdict(set)  # "<kind>|<topic>" -> connections
        self._book_topics: dict[str, BookTopic] = {}  # "<category>|orderbook.<d>.<symbol>"
        self._tickers: dict[str, dict[str, Any]] = {}
        self._klines: dict[str, dict[str, Any]] = {}

    # -- connections ---------------------------------------------------------------------------------
    async def ws_public_spot(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "spot")

    async def ws_public_linear(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "linear")

    async def ws_private(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "private")

    async def ws_trade(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "trade")

    async def _serve(self, request: web.Request, kind: str) -> web.StreamResponse:
        accepted = await self.accept_ws(request)
        if accepted is None:
            return web.Response(status=503, text="venuesim: refusing connections (fault injection)")
        ws, sock = accepted
        conn = self.conns[sock] = Conn(sock, kind)
        try:
            async for text in self.ws_messages(ws):
                try:
                    msg = json.loads(text)
                except json.JSONDecodeError:
                    msg = None
                if not isinstance(msg, dict):
                    self._reply(
                        conn, {"success": False, "ret_msg": f"Invalid message: {text[:100]}", "op": ""}
                    )
                    continue
                if kind == "trade":
                    await self._on_trade(conn, msg)
                else:
                    self._on_message(conn, msg)
        finally:
            self._forget(conn)
            await sock.close()
        return ws

    def _forget(self, conn: Conn) -> None:
        for topic in conn.topics:
            self.subs[f"{conn.kind}|{topic}"].discard(conn)
        self.conns.pop(conn.sock, None)
        self.sockets.discard(conn.sock)

    async def drop_sockets(self, refuse_ms: int = 0) -> int:
        dropped = await super().drop_sockets(refuse_ms)
        for conn in list(self.conns.values()):
            self._forget(conn)
        return dropped

    @staticmethod
    def _reply(conn: Conn, payload: dict[str, Any]) -> None:
        conn.sock.send(dumps(payload), data=False)

    # -- public and private requests ----------------------------------------------------------------------
    def _on_message(self, conn: Conn, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        req_id = msg.get("req_id")
        rid = {"req_id": req_id} if req_id is not None else {}
        if op == "ping":
            if conn.kind == "private":
                self._reply(conn, {**rid, "op": "pong", "args": [str(now_ms())], "conn_id": conn.conn_id})
            else:
                self._reply(
                    conn, {"success": True, "ret_msg": "pong", "conn_id": conn.conn_id, **rid, "op": "ping"}
                )
            return
        if op == "auth":
            if conn.kind != "private":
                self._ack(conn, "auth", False, "auth is for private connections", rid)
                return
            if conn.uid is not None:
                self._ack(conn, "auth", False, "Repeat auth", rid)  # wording unconfirmed
                return
            try:
                conn.uid = self.auth.verify_ws(msg.get("args")).uid
            except ValueError as e:
                self._ack(conn, "auth", False, str(e), rid)
                return
            self._ack(conn, "auth", True, "", rid)
            return
        if op not in ("subscribe", "unsubscribe"):
            self._ack(conn, str(op), False, f"Invalid op: {op}", rid)  # wording unconfirmed
            return
        args = msg.get("args")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args) or not args:
            self._ack(conn, op, False, "args must be a non-empty list of topics", rid)
            return
        if conn.kind == "private" and conn.uid is None:
            self._ack(conn, op, False, "Request not authorized", rid)  # wording unconfirmed
            return
        if conn.kind == "spot" and len(args) > SPOT_MAX_ARGS:
            self._ack(conn, op, False, f"args size >{SPOT_MAX_ARGS}", rid)  # wording unconfirmed
            return
        bad = [a for a in args if not self._valid_topic(conn.kind, a)]
        if bad:
            self._ack(conn, op, False, f"Invalid topic: {', '.join(bad)}", rid)
            return
        if op == "subscribe":
            dup = [a for a in args if a in conn.topics or a in conn.pending]
            if dup:
                self._ack(conn, op, False, f"error:already subscribed,topic:{dup[0]}", rid)
                return
            if conn.kind == "private":
                # Pushes flow from now on (an order placed right after subscribing must not be missed);
                # only the reply waits.
                for a in args:
                    self._subscribe(conn, a)
                self._later(lambda: self._ack(conn, op, True, "", rid))
                return
            conn.pending.update(args)

            def complete() -> None:
                conn.pending.difference_update(args)
                if conn.sock.closed:
                    return
                self._ack(conn, op, True, "" if conn.kind != "spot" else "subscribe", rid)
                for a in args:
                    self._subscribe(conn, a)

            self._later(complete)
        else:
            for a in args:
                conn.topics.discard(a)
                self.subs[f"{conn.kind}|{a}"].discard(conn)
            self._ack(conn, op, True, "", rid)

    def _later(self, fn) -> None:
        """Answer a subscription after `ws_reply_delay_ms`, as a venue across a network does: clients
        such as pybit register the callback for a topic only after sending its subscribe, and a reply
        (or a public snapshot) that beats them - possible only on a loopback - breaks them."""
        loop = self.sim._loop
        if self.ws_reply_delay_ms and loop is not None:
            loop.call_later(self.ws_reply_delay_ms / 1000, fn)
        else:
            fn()

    def _ack(self, conn: Conn, op: str, ok: bool, msg: str, rid: dict[str, Any]) -> None:
        self._reply(conn, {"success": ok, "ret_msg": msg, "conn_id": conn.conn_id, **rid, "op": op})

    def _valid_topic(self, kind: str, topic: str) -> bool:
        if kind == "private":
            base, _, category = topic.partition(".")
            if topic in PRIVATE_TOPICS:
                return True
            if topic.startswith("execution.fast."):
                return topic.rsplit(".", 1)[1] in ("spot", "linear", "inverse", "option")
            return (
                base in PRIVATE_TOPICS
                and base != "wallet"
                and category in ("spot", "linear", "inverse", "option")
            )
        parts = topic.split(".")
        if parts[0] == "orderbook" and len(parts) == 3:
            return (
                parts[1].isdigit()
                and int(parts[1]) in BOOK_DEPTHS[kind]
                and self.u.get(kind, parts[2]) is not None
            )
        if parts[0] in ("publicTrade", "tickers") and len(parts) == 2:
            return self.u.get(kind, parts[1]) is not None
        if parts[0] == "kline" and len(parts) == 3:
            return parts[1] in KLINE_MS and self.u.get(kind, parts[2]) is not None
        return False

    def _subscribe(self, conn: Conn, topic: str) -> None:
        """Add the subscription and send what the venue sends on subscribe."""
        parts = topic.split(".")
        m = self.u.get(conn.kind, parts[-1]) if conn.kind in ("spot", "linear") else None
        if m is not None and parts[0] == "orderbook":
            bt = self._book_topic(m, int(parts[1]))
            self._advance_book(bt)  # bring the other subscribers up to date first: one snapshot per `u`
        conn.topics.add(topic)
        self.subs[f"{conn.kind}|{topic}"].add(conn)
        if m is None:
            return  # private topics have no snapshot on subscribe
        if parts[0] == "orderbook":
            self._send(conn, self._book_frame(bt, "snapshot", bt.bids, bt.asks))
        elif parts[0] == "tickers":
            ticker = self.ticker(m)
            self._tickers[f"{conn.kind}|{topic}"] = ticker
            self._send(
                conn,
                {"topic": topic, "type": "snapshot", "data": ticker, "cs": self.next_seq(), "ts": now_ms()},
            )
        elif parts[0] == "kline":
            candle = self._kline_now(m, parts[1])
            self._send(conn, {"topic": topic, "data": [candle], "ts": now_ms(), "type": "snapshot"})

    @staticmethod
    def _send(conn: Conn, payload: dict[str, Any]) -> None:
        conn.sock.send(dumps(payload))

    def _push(self, key: str, payload: dict[str, Any]) -> None:
        conns = self.subs.get(key)
        if not conns:
            return
        text = dumps(payload)
        for conn in list(conns):
            conn.sock.send(text)

    # -- public pushes ----------------------------------------------------------------------------------
    def push_trade(self, m: BybitMarket, trade: Trade) -> None:
        topic = f"publicTrade.{m.symbol}"
        if not self.subs.get(f"{m.category}|{topic}"):
            return
        t = now_ms()
        data = {
            "T": trade.time, "s": m.symbol, "S": "Buy" if trade.side is Side.BUY else "Sell",
            "v": m.qty(trade.size), "p": m.px(trade.price), "L": "ZeroPlusTick",
            "i": trade_id(m.key, trade.tid), "BT": False, "RPI": False, "seq": trade.tid,
        }  # fmt: skip
        self._push(f"{m.category}|{topic}", {"topic": topic, "type": "snapshot", "ts": t, "data": [data]})

    def refresh_market(self, m: BybitMarket) -> None:
        st = self.exchange.market(m.key)
        self.history.observe(m, now_ms(), st.mid, st.day_base)
        for bt in [bt for bt in self._book_topics.values() if bt.market is m]:
            self._advance_book(bt)
        prefix = f"{m.category}|"
        topic = f"tickers.{m.symbol}"
        if self.subs.get(prefix + topic):
            self._push_ticker(m, prefix + topic, topic)
        for interval in KLINE_MS:
            topic = f"kline.{interval}.{m.symbol}"
            if self.subs.get(prefix + topic):
                self._push_kline(m, prefix + topic, topic, interval)

    def _book_topic(self, m: BybitMarket, depth: int) -> BookTopic:
        key = f"{m.category}|orderbook.{depth}.{m.symbol}"
        bt = self._book_topics.get(key)
        if bt is None:
            bt = self._book_topics[key] = BookTopic(m, depth)
        return bt

    def _book_frame(
        self, bt: BookTopic, kind: str, bids: dict[str, str], asks: dict[str, str]
    ) -> dict[str, Any]:
        m = bt.market
        t = now_ms()
        order = sorted(bids, key=lambda px: -float(px)), sorted(asks, key=float)
        return {
            "topic": f"orderbook.{bt.depth}.{m.symbol}",
            "type": kind,
            "ts": t,
            "data": {
                "s": m.symbol,
                "b": [[px, bids[px]] for px in order[0]],
                "a": [[px, asks[px]] for px in order[1]],
                "u": bt.u,
                "seq": self.next_seq(),
            },
            "cts": t,
        }

    def _advance_book(self, bt: BookTopic) -> None:
        b, a = self.book_levels(bt.market, bt.depth)
        bids, asks = dict((px, sz) for px, sz in b), dict((px, sz) for px, sz in a)
        if bids == bt.bids and asks == bt.asks and bt.u:
            return
        key = f"{bt.market.category}|orderbook.{bt.depth}.{bt.market.symbol}"
        bt.u += 1
        self.book_seq[bt.market.key] = bt.u
        if bt.depth == 1 or bt.u == 1:
            bt.bids, bt.asks = bids, asks
            self._push(key, self._book_frame(bt, "snapshot", bids, asks))
            return
        d_bids = {px: sz for px, sz in bids.items() if bt.bids.get(px) != sz}
        d_bids.update({px: "0" for px in bt.bids if px not in bids})
        d_asks = {px: sz for px, sz in asks.items() if bt.asks.get(px) != sz}
        d_asks.update({px: "0" for px in bt.asks if px not in asks})
        bt.bids, bt.asks = bids, asks
        self._push(key, self._book_frame(bt, "delta", d_bids, d_asks))

    def _push_ticker(self, m: BybitMarket, key: str, topic: str) -> None:
        ticker = self.ticker(m)
        last = self._tickers.get(key)
        if last == ticker:
            return
        self._tickers[key] = ticker
        if m.is_spot or last is None:
            self._push(
                key,
                {"topic": topic, "ts": now_ms(), "type": "snapshot", "cs": self.next_seq(), "data": ticker},
            )
            return
        delta = {k: v for k, v in ticker.items() if last.get(k) != v}
        delta["symbol"] = m.symbol
        self._push(
            key, {"topic": topic, "type": "delta", "data": delta, "cs": self.next_seq(), "ts": now_ms()}
        )

    def _kline_now(self, m: BybitMarket, interval: str, start: int | None = None) -> dict[str, Any]:
        t = now_ms()
        b = bucket_start(t, interval) if start is None else start
        candles = self.history.candles(m, interval, b, b)
        c = candles[-1] if candles else None
        mark = self.exchange.market(m.key).mark
        end = bucket_end(b, interval)
        return {
            "start": b,
            "end": end,
            "interval": interval,
            "open": m.px(c.open if c else mark),
            "close": m.px(c.close if c else mark),
            "high": m.px(c.high if c else mark),
            "low": m.px(c.low if c else mark),
            "volume": m.qty(c.volume if c else Decimal(0)),
            "turnover": fmt(c.turnover if c else Decimal(0)),
            "confirm": t > end,
            "timestamp": t,
        }

    def _push_kline(self, m: BybitMarket, key: str, topic: str, interval: str) -> None:
        last = self._klines.get(key)
        now_start = bucket_start(now_ms(), interval)
        if last is not None and last["start"] != now_start and not last["confirm"]:
            final = self._kline_now(m, interval, last["start"])
            final["confirm"] = True
            self._push(key, {"topic": topic, "data": [final], "ts": now_ms(), "type": "snapshot"})
        candle = self._kline_now(m, interval)
        same = last is not None and {k: v for k, v in last.items() if k != "timestamp"} == {
            k: v for k, v in candle.items() if k != "timestamp"
        }
        self._klines[key] = candle
        if not same:
            self._push(key, {"topic": topic, "data": [candle], "ts": now_ms(), "type": "snapshot"})

    # -- private pushes -----------------------------------------------------------------------------------
    def push_private(self, uid: str, topic: str, category: str | None, records: list[dict[str, Any]]) -> None:
        keys = [topic] if category is None else [topic, f"{topic}.{category}"]
        for name in keys:
            conns = [c for c in self.subs.get(f"private|{name}", ()) if c.uid == uid]
            if not conns:
                continue
            text = dumps({"id": uuid.uuid4().hex, "topic": name, "creationTime": now_ms(), "data": records})
            for conn in conns:
                conn.sock.send(text)

    # -- order entry over WebSocket -------------------------------------------------------------------------
    async def _on_trade(self, conn: Conn, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        req_id = msg.get("reqId")
        if op == "ping":
            self._reply(
                conn,
                {
                    "op": "pong",
                    "args": [str(now_ms())],
                    "connId": conn.conn_id,
                    **({"reqId": req_id} if req_id else {}),
                },
            )
            return
        if op == "auth":
            if conn.uid is not None:
                self._reply(
                    conn, {"retCode": 20001, "retMsg": "Repeat auth", "op": "auth", "connId": conn.conn_id}
                )
                return
            try:
                conn.uid = self.auth.verify_ws(msg.get("args")).uid
            except ValueError as e:
                self._reply(
                    conn,
                    {
                        "retCode": 10004 if "sign" in str(e) else 10003,
                        "retMsg": str(e),
                        "op": "auth",
                        "connId": conn.conn_id,
                    },
                )
                return
            self._reply(conn, {"retCode": 0, "retMsg": "OK", "op": "auth", "connId": conn.conn_id})
            return
        spec = TRADE_OPS.get(str(op))
        base: dict[str, Any] = {"reqId": req_id, "op": op, "connId": conn.conn_id}
        if spec is None:
            self._reply(
                conn, {**base, "retCode": 10404, "retMsg": f"Invalid op: {op}", "data": {}, "retExtInfo": {}}
            )
            return
        if conn.uid is None:
            self._reply(
                conn,
                {**base, "retCode": 10003, "retMsg": "Request not authorized", "data": {}, "retExtInfo": {}},
            )
            return
        header = msg.get("header") or {}
        ext: dict[str, Any] = {}
        try:
            ts, recv = int(header.get("X-BAPI-TIMESTAMP", 0)), int(header.get("X-BAPI-RECV-WINDOW", 5000))
            now = now_ms()
            if not (now - recv <= ts < now + FUTURE_TOLERANCE_MS):
                raise BybitError(TIMESTAMP_ERROR, ts=ts, now=now, recv=recv)
            args = msg.get("args")
            if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
                raise BybitError(10001, "params error: args must hold one request object")
            if not self.auth.uid_keys(conn.uid) or not any(k.trade for k in self.auth.uid_keys(conn.uid)):
                raise BybitError(10005)
            kind, action = spec
            if kind == "single":
                fn = {"create": self.create_order, "amend": self.amend_order, "cancel": self.cancel_order}[
                    action
                ]
                data: dict[str, Any] = fn(conn.uid, args[0])
            else:
                data, ext = self.batch(conn.uid, args[0], action)
            code, text = 0, "OK"
        except BybitError as e:
            data, code, text = {}, e.code, e.message
        except (ValueError, TypeError) as e:
            data, code, text = {}, 10001, f"params error: {e}"
        t = self.sim.faults.transport
        if t.ack_delay_ms:
            await asyncio.sleep(t.ack_delay_ms / 1000)
        if self.sim.faults.take_drop_ack():
            return  # the action happened; its reply is lost
        self._reply(
            conn,
            {
                **base, "retCode": code, "retMsg": text, "data": data, "retExtInfo": ext,
                "header": {"X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "9",
                           "X-Bapi-Limit-Reset-Timestamp": str(now_ms() + 1000), "Traceid": uuid.uuid4().hex,
                           "Timenow": str(now_ms())},
            },
        )  # fmt: skip
