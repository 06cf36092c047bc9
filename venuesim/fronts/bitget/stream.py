"""The WebSockets `/v2/ws/public` and `/v2/ws/private`: subscriptions, the plain-text ping, login,
snapshots on subscribe, and the core's events turned into Bitget's pushes.

- Public: books (first a snapshot, then updates of the changed levels with the CRC32 checksum of the
  top 25 and a `seq`), books1/5/15 (snapshots), ticker, trade, candle<granularity>.
- Private (after `login`): orders, fill, positions, account for USDT-FUTURES (instId / coin
  `default`) and orders, fill, account for SPOT (instId a symbol or `default`).
- Errors: 30001 unknown channel/symbol, 30002 bad request, 30003 unknown op, 30004 private
  channel before login, 30006 more than `max_messages_per_sec` messages in a second (the socket
  is then closed, as the venue does), login refusals 30011-30015 (then closed).
Fault injection: every data push goes through `FaultySocket`; `corrupt_checksums(n)` makes the next
n book updates carry a wrong checksum (control route `POST /_sim/bitget/checksum`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections import deque
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.core.model import BookEvent
from venuesim.core.model import Fill
from venuesim.core.model import FillEvent
from venuesim.core.model import FundingEvent
from venuesim.core.model import FundingRateEvent
from venuesim.core.model import OrderEvent
from venuesim.core.model import OrderStatus
from venuesim.core.model import PlaceResult
from venuesim.core.model import Side
from venuesim.core.model import SimEvent
from venuesim.core.model import SimOrder
from venuesim.core.model import TradeEvent
from venuesim.core.model import now_ms
from venuesim.fronts.base import FaultySocket
from venuesim.fronts.bitget import protocol as p
from venuesim.fronts.bitget.auth import AuthError
from venuesim.fronts.bitget.market import GRANULARITY_MS
from venuesim.fronts.bitget.market import MarketApi
from venuesim.fronts.bitget.trade import VISIBLE_REJECTS
from venuesim.fronts.bitget.trade import TradeApi
from venuesim.fronts.bitget.universe import BgMarket

BOOK_STATE_LEVELS = 50
CHECKSUM_LEVELS = 25
SNAPSHOT_CHANNELS = {"books1": 1, "books5": 5, "books15": 15}
PUBLIC_INST = ("USDT-FUTURES", "SPOT")
PRIVATE_CHANNELS = {"orders", "fill", "positions", "account"}


def crc32_signed(text: str) -> int:
    import zlib

    v = zlib.crc32(text.encode())
    return v - (1 << 32) if v >= (1 << 31) else v


def checksum(bids: list[list[str]], asks: list[list[str]]) -> int:
    parts: list[str] = []
    bids, asks = bids[:CHECKSUM_LEVELS], asks[:CHECKSUM_LEVELS]
    for i in range(max(len(bids), len(asks))):
        if i < len(bids):
            parts += bids[i]
        if i < len(asks):
            parts += asks[i]
    return crc32_signed(":".join(parts))


class Conn:
    """One accepted socket: its subscriptions, login and message-rate window."""

    def __init__(self, sock: FaultySocket, private: bool) -> None:
        self.sock = sock
        self.private = private
        self.uid: str | None = None
        self.subs: set[tuple] = set()
        self.recent: deque[float] = deque()


class StreamApi(MarketApi, TradeApi):
    conns: dict[FaultySocket, Conn]
    subs: dict[tuple, set[Conn]]
    book_state: dict[str, tuple[list[list[str]], list[list[str]]]]
    book_seq: dict[str, int]
    last_snapshot: dict[tuple[str, str], str]
    deferred: list[SimEvent]
    max_messages_per_sec: int | None
    _corrupt_next: int

    def stream_routes(self, app: web.Application) -> None:
        app.router.add_get("/v2/ws/public", self._ws_public)
        app.router.add_get("/v2/ws/private", self._ws_private)

    def corrupt_checksums(self, n: int = 1) -> None:
        self._corrupt_next += int(n)

    # -- connections -----------------------------------------------------------------------------
    async def _ws_public(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, private=False)

    async def _ws_private(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, private=True)

    async def _serve(self, request: web.Request, private: bool) -> web.StreamResponse:
        accepted = await self.accept_ws(request)
        if accepted is None:
            return web.Response(status=503, text="venuesim: refusing connections (fault injection)")
        ws, sock = accepted
        conn = Conn(sock, private)
        self.conns[sock] = conn
        try:
            async for text in self.ws_messages(ws):
                if self._rate_exceeded(conn):
                    self._error(conn, "30006", "request too many")
                    await asyncio.sleep(0.05)
                    break
                self._on_text(conn, text)
                if sock.closed:
                    break
        finally:
            self._forget(conn)
            await sock.close()
        return ws

    def _rate_exceeded(self, conn: Conn) -> bool:
        limit = self.max_messages_per_sec
        if not limit:
            return False
        now = time.monotonic()
        conn.recent.append(now)
        while conn.recent and now - conn.recent[0] > 1.0:
            conn.recent.popleft()
        return len(conn.recent) > limit

    def _forget(self, conn: Conn) -> None:
        for key in conn.subs:
            self.subs[key].discard(conn)
        conn.subs.clear()
        self.conns.pop(conn.sock, None)
        self.sockets.discard(conn.sock)

    async def drop_sockets(self, refuse_ms: int = 0) -> int:
        dropped = await super().drop_sockets(refuse_ms)
        for conn in list(self.conns.values()):
            self._forget(conn)
        return dropped

    @staticmethod
    def _send(conn: Conn, payload: Any, data: bool = True) -> None:
        conn.sock.send(
            payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":")), data
        )

    def _error(
        self, conn: Conn, code: str, msg: str, arg: dict[str, Any] | None = None, op: str | None = None
    ) -> None:
        payload: dict[str, Any] = {"event": "error", "code": int(code), "msg": msg}
        if arg is not None:
            payload["arg"] = arg
        if op is not None:
            payload["op"] = op
        self._send(conn, payload, data=False)

    # -- client messages -------------------------------------------------------------------------
    def _on_text(self, conn: Conn, text: str) -> None:
        if text == "ping":
            self._send(conn, "pong", data=False)
            return
        try:
            msg = json.loads(text)
        except json.JSONDecodeError:
            self._error(conn, "30002", "Illegal request")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("args"), list):
            self._error(conn, "30002", "Illegal request")
            return
        op = msg.get("op")
        if op == "login":
            self._login(conn, msg["args"])
        elif op in ("subscribe", "unsubscribe"):
            for arg in msg["args"]:
                self._subscription(conn, op, arg)
        else:
            self._error(conn, "30003", "Invalid op")

    def _login(self, conn: Conn, args: list[Any]) -> None:
        if not conn.private:
            self._error(conn, "30002", "Illegal request", op="login")
            return
        arg = args[0] if args and isinstance(args[0], dict) else {}
        try:
            api = self.auth.verify_ws_login(arg)
        except AuthError as e:
            self._error(conn, e.code, e.msg, op="login")
            asyncio.get_running_loop().create_task(self._close_later(conn))  # the venue disconnects
            return
        conn.uid = api.uid
        self._send(conn, {"event": "login", "code": 0, "msg": ""}, data=False)

    async def _close_later(self, conn: Conn) -> None:
        await asyncio.sleep(0.05)
        await conn.sock.close()

    def _key(self, conn: Conn, arg: dict[str, Any]) -> tuple | str:
        """The subscription key for `arg`, or an error text."""
        inst = str(arg.get("instType") or "").upper()
        channel = str(arg.get("channel") or "")
        if conn.private:
            if channel not in PRIVATE_CHANNELS or inst not in PUBLIC_INST:
                return f"instType:{inst},channel:{channel} doesn't exist"
            if conn.uid is None:
                return "login"
            target = str(arg.get("coin") if channel == "account" else arg.get("instId") or "default").upper()
            return (conn.uid, inst, channel, "default" if target == "DEFAULT" else target)
        symbol = str(arg.get("instId") or "").upper()
        m = self.u.lookup(inst, symbol) if inst in PUBLIC_INST else None
        ok_channel = channel in ("books", "ticker", "trade", *SNAPSHOT_CHANNELS) or (
            channel.startswith("candle") and channel[len("candle") :] in GRANULARITY_MS
        )
        if m is None or not ok_channel:
            return f"instType:{inst},channel:{channel},instId:{symbol} doesn't exist"
        return (m.key, channel)

    def _subscription(self, conn: Conn, op: str, arg: Any) -> None:
        if not isinstance(arg, dict):
            self._error(conn, "30002", "Illegal request", op=op)
            return
        key = self._key(conn, arg)
        if key == "login":
            self._error(conn, "30004", "User needs to log in", arg=arg, op=op)
            return
        if isinstance(key, str):
            self._error(conn, "30001", key, arg=arg, op=op)
            return
        if op == "subscribe":
            self._send(conn, {"event": "subscribe", "arg": arg}, data=False)
            others = bool(self.subs.get(key))
            conn.subs.add(key)
            self.subs[key].add(conn)
            self._initial(conn, key, arg, others)
        else:
            conn.subs.discard(key)
            self.subs[key].discard(conn)
            self._send(conn, {"event": "unsubscribe", "arg": arg}, data=False)

    # -- pushes ----------------------------------------------------------------------------------
    def _arg(self, m: BgMarket, channel: str) -> dict[str, Any]:
        return {"instType": m.product, "channel": channel, "instId": m.symbol}

    def _push(self, key: tuple, arg: dict[str, Any], data: list[Any], action: str = "snapshot") -> None:
        conns = self.subs.get(key)
        if not conns:
            return
        text = json.dumps({"action": action, "arg": arg, "data": data, "ts": now_ms()}, separators=(",", ":"))
        for conn in list(conns):
            conn.sock.send(text)

    def _book_snapshot(self, m: BgMarket) -> dict[str, Any]:
        bids, asks = self.book_state[m.key]
        return {
            "asks": asks,
            "bids": bids,
            "checksum": checksum(bids, asks),
            "seq": self.book_seq[m.key],
            "ts": str(now_ms()),
        }

    def _initial(self, conn: Conn, key: tuple, arg: dict[str, Any], others: bool) -> None:
        if len(key) == 4:
            self._initial_private(conn, key, arg)
            return
        m = self.u.markets[key[0]]
        channel = key[1]
        send = lambda data, action="snapshot": self._send(  # noqa: E731
            conn, {"action": action, "arg": self._arg(m, channel), "data": data, "ts": now_ms()}
        )
        if channel == "books":
            if not others or m.key not in self.book_state:
                self.book_state[m.key] = self._levels(m, BOOK_STATE_LEVELS)
                self.book_seq[m.key] = self.book_seq.get(m.key, 0) + 1
            send([self._book_snapshot(m)])
        elif channel in SNAPSHOT_CHANNELS:
            bids, asks = self._levels(m, SNAPSHOT_CHANNELS[channel])
            send(
                [
                    {
                        "asks": asks,
                        "bids": bids,
                        "checksum": 0,
                        "seq": self.book_seq.get(m.key, 0),
                        "ts": str(now_ms()),
                    }
                ]
            )
        elif channel == "ticker":
            send([self._ws_ticker(m)])
        elif channel == "trade":
            trades = list(self.exchange.market(m.key).trades)[-50:]
            send([self._ws_trade(t, m) for t in reversed(trades)])
        elif channel.startswith("candle"):
            step = GRANULARITY_MS[channel[len("candle") :]]
            send(self._candles(m, step, None, None, 100))

    def _initial_private(self, conn: Conn, key: tuple, arg: dict[str, Any]) -> None:
        uid, inst, channel, _ = key
        if channel == "account":
            data = [self._ws_account(uid)] if inst == "USDT-FUTURES" else self._spot_assets(uid)
            self._send(conn, {"action": "snapshot", "arg": arg, "data": data, "ts": now_ms()})
        elif channel == "positions" and inst == "USDT-FUTURES":
            self._send(
                conn, {"action": "snapshot", "arg": arg, "data": self._open_positions(uid), "ts": now_ms()}
            )

    def _ws_ticker(self, m: BgMarket) -> dict[str, Any]:
        t = self._ticker(m)
        t = {"instId": m.symbol, **t, "symbolType": 1, "deliveryPrice": "0"}
        for k in ("deliveryStartTime", "deliveryTime", "deliveryStatus", "usdtVolume", "changeUtc24h"):
            t.pop(k, None)
        return t

    def _ws_trade(self, t, m: BgMarket) -> dict[str, Any]:
        return {
            "ts": str(t.time),
            "price": m.px(t.price),
            "size": m.sz(t.size),
            "side": "buy" if t.side is Side.BUY else "sell",
            "tradeId": str(t.tid),
        }

    def _ws_account(self, uid: str) -> dict[str, Any]:
        a = self._futures_account(uid)
        return {
            "marginCoin": "USDT",
            "frozen": a["locked"],
            "available": a["available"],
            "maxOpenPosAvailable": a["crossedMaxAvailable"],
            "maxTransferOut": a["maxTransferOut"],
            "equity": a["accountEquity"],
            "usdtEquity": a["usdtEquity"],
            "crossedRiskRate": "0",
            "unrealizedPL": a["unrealizedPL"],
        }

    def _ws_order(self, o: SimOrder, fill: Fill | None = None) -> dict[str, Any]:
        """An `orders` push: the order's state, plus the details of `fill` when it reports one."""
        m = self.u.markets[o.market]
        r = self._order(o)
        data: dict[str, Any] = {
            "instId": m.symbol,
            "orderId": r["orderId"],
            "clientOId": r["clientOid"],
            "price": r["price"],
            "size": r["size"],
            "orderType": r["orderType"],
            "force": r["force"],
            "side": r["side"],
            "accBaseVolume": r["baseVolume"],
            "priceAvg": r["priceAvg"],
            "status": r["status"],
            "enterPointSource": "API",
            "notionalUsd": p.num(o.orig_size * o.price),
            "cTime": r["cTime"],
            "uTime": str(now_ms()),
        }
        if not m.is_spot:
            data |= {
                "marginCoin": "USDT",
                "marginMode": r["marginMode"],
                "leverage": r["leverage"],
                "posMode": r["posMode"],
                "posSide": "net",
                "tradeSide": r["tradeSide"],
                "reduceOnly": r["reduceOnly"].lower(),
                "stpMode": "none",
                "pnl": p.num(fill.closed_pnl) if fill else "0",
                "totalProfits": r["totalProfits"],
                "cancelReason": r["cancelReason"],
            }
        if fill is not None:
            data |= {
                "fillPrice": m.px(fill.price),
                "tradeId": str(fill.tid),
                "baseVolume": m.sz(fill.size),
                "fillTime": str(fill.time),
                "fillFee": p.num(-fill.fee),
                "fillFeeCoin": fill.fee_token,
                "fillNotionalUsd": p.num(fill.price * fill.size),
                "tradeScope": "T" if fill.crossed else "M",
                "feeDetail": [{"feeCoin": fill.fee_token, "fee": p.num(-self._order_fees(o))}],
            }
        return data

    def _private_push(self, uid: str, inst: str, channel: str, target: str, data: list[Any]) -> None:
        arg_target = "coin" if channel == "account" else "instId"
        for t in {"default", target}:
            key = (uid, inst, channel, t)
            if self.subs.get(key):
                self._push(key, {"instType": inst, "channel": channel, arg_target: t}, data)

    def _push_order(self, o: SimOrder, fill: Fill | None = None) -> None:
        m = self.u.markets[o.market]
        data = self._ws_order(o, fill)
        self.last_pushed[o.oid] = data["status"]
        self._private_push(o.user, m.product, "orders", m.symbol, [data])

    # -- core events -----------------------------------------------------------------------------
    def _after_place(self, result: PlaceResult) -> None:
        events, self.deferred = self.deferred, []
        for e in events:
            self.on_event(e)

    def _push_replaced(self, order: SimOrder) -> None:
        data = self._ws_order(order)
        data["status"] = "canceled"
        m = self.u.markets[order.market]
        self.last_pushed[order.oid] = "canceled"
        self._private_push(order.user, m.product, "orders", m.symbol, [data])

    def _order_known(self, oid: int) -> bool:
        return oid in self.meta or oid in self.hidden

    def on_event(self, event: SimEvent) -> None:
        if isinstance(event, BookEvent):
            self._on_book(self.u.markets[event.market])
        elif isinstance(event, TradeEvent):
            m = self.u.markets[event.trade.market]
            self._push((m.key, "trade"), self._arg(m, "trade"), [self._ws_trade(event.trade, m)], "update")
        elif isinstance(event, OrderEvent):
            o = event.order
            if not self._order_known(o.oid):
                self.deferred.append(event)  # placed just now: pushed once its metadata is recorded
                return
            self._on_order(o)
        elif isinstance(event, FillEvent):
            f = event.fill
            if not self._order_known(f.oid):
                self.deferred.append(event)
                return
            self._on_fill(f)
        elif isinstance(event, FundingEvent):
            e = event.entry
            m = self.u.markets[e.market]
            self._bill(e.user, m.symbol, e.amount, Decimal(0), "contract_settle_fee", e.time)
            self._private_push(e.user, "USDT-FUTURES", "account", "default", [self._ws_account(e.user)])
            self._private_push(e.user, "USDT-FUTURES", "positions", "default", self._open_positions(e.user))
        elif isinstance(event, FundingRateEvent):
            m = self.u.markets[event.market]
            self._push((m.key, "ticker"), self._arg(m, "ticker"), [self._ws_ticker(m)])

    def _on_order(self, o: SimOrder) -> None:
        if o.oid in self.hidden:
            return
        if o.status is OrderStatus.REJECTED:
            meta = self.meta.get(o.oid)
            if o.reject in VISIBLE_REJECTS or (meta is not None and meta.cancel_reason == "fok_cancel"):
                self._push_order(o)
            return
        if o.status is OrderStatus.FILLED and self.last_pushed.get(o.oid) == "filled":
            return  # already announced with its last fill
        self._push_order(o)

    def _on_fill(self, f: Fill) -> None:
        if f.oid in self.hidden:
            return
        m = self.u.markets[f.market]
        o = self.exchange.orders.get(f.oid)
        if o is not None:
            self._push_order(o, f)
        self._private_push(f.user, m.product, "fill", m.symbol, [self._fill(f)])
        if m.is_spot:
            self._private_push(f.user, "SPOT", "account", "default", self._spot_assets(f.user))
            return
        side = "buy" if f.side is Side.BUY else "sell"
        self._bill(f.user, m.symbol, f.closed_pnl, -f.fee, side, f.time)
        self._private_push(f.user, "USDT-FUTURES", "positions", "default", self._positions_after(f.user, m))
        self._private_push(f.user, "USDT-FUTURES", "account", "default", [self._ws_account(f.user)])

    def _positions_after(self, uid: str, m: BgMarket) -> list[dict[str, Any]]:
        rows = self._open_positions(uid)
        if all(r["symbol"] != m.symbol for r in rows):
            row = self._position(uid, m)
            if row is not None:
                rows.append(row)  # the closed position, with total 0
        return rows

    def _on_book(self, m: BgMarket) -> None:
        key = m.key
        if self.subs.get((key, "books")):
            old_bids, old_asks = self.book_state.get(key, ([], []))
            bids, asks = self._levels(m, BOOK_STATE_LEVELS)
            changed_bids = self._diff(old_bids, bids)
            changed_asks = self._diff(old_asks, asks)
            if changed_bids or changed_asks:
                self.book_state[key] = (bids, asks)
                self.book_seq[key] = self.book_seq.get(key, 0) + 1
                cs = checksum(bids, asks)
                if self._corrupt_next > 0:
                    self._corrupt_next -= 1
                    self.sim.faults.count("bitget_bad_checksum")
                    cs = cs + 1 if cs < (1 << 31) - 1 else cs - 1
                data = {
                    "asks": changed_asks,
                    "bids": changed_bids,
                    "checksum": cs,
                    "seq": self.book_seq[key],
                    "ts": str(now_ms()),
                }
                self._push((key, "books"), self._arg(m, "books"), [data], "update")
        for channel, depth in SNAPSHOT_CHANNELS.items():
            if self.subs.get((key, channel)):
                bids, asks = self._levels(m, depth)
                digest = json.dumps([bids, asks])
                if self.last_snapshot.get((key, channel)) != digest:
                    self.last_snapshot[(key, channel)] = digest
                    data = {
                        "asks": asks,
                        "bids": bids,
                        "checksum": 0,
                        "seq": self.book_seq.get(key, 0),
                        "ts": str(now_ms()),
                    }
                    self._push((key, channel), self._arg(m, channel), [data])
        if self.subs.get((key, "ticker")):
            self._push((key, "ticker"), self._arg(m, "ticker"), [self._ws_ticker(m)])
        for g, step in GRANULARITY_MS.items():
            channel = f"candle{g}"
            if self.subs.get((key, channel)):
                now = now_ms()
                rows = self._candles(m, step, now - step, now, 1)
                if rows:
                    self._push((key, channel), self._arg(m, channel), rows[-1:], "update")

    @staticmethod
    def _diff(old: list[list[str]], new: list[list[str]]) -> list[list[str]]:
        before = {px: sz for px, sz in old}
        after = {px: sz for px, sz in new}
        changes = [[px, sz] for px, sz in new if before.get(px) != sz]
        changes += [[px, "0"] for px in before if px not in after]
        return changes


def new_stream_state() -> dict[str, Any]:
    return {
        "conns": {},
        "subs": defaultdict(set),
        "book_state": {},
        "book_seq": {},
        "last_snapshot": {},
        "deferred": [],
        "_corrupt_next": 0,
    }
