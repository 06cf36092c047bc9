"""The `/ws` WebSocket: subscriptions, heartbeat replies, snapshots on subscribe, and the core's
events turned into the venue's push messages."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from venuesim.core.model import BookEvent
from venuesim.core.model import FillEvent
from venuesim.core.model import FundingEvent
from venuesim.core.model import FundingRateEvent
from venuesim.core.model import OrderEvent
from venuesim.core.model import SimEvent
from venuesim.core.model import TradeEvent
from venuesim.core.model import now_ms
from venuesim.fronts.base import FaultySocket
from venuesim.fronts.hyperliquid import wire
from venuesim.fronts.hyperliquid.info import InfoApi
from venuesim.fronts.hyperliquid.protocol import INTERVAL_MS
from venuesim.fronts.hyperliquid.protocol import BadRequest


class StreamApi(InfoApi):
    _subs: dict[str, set[FaultySocket]]
    _sock_subs: dict[FaultySocket, dict[str, dict[str, Any]]]
    _last_bbo: dict[str, tuple]

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        accepted = await self.accept_ws(request)
        if accepted is None:
            return web.Response(status=503, text="venuesim: refusing connections (fault injection)")
        ws, sock = accepted
        sock.send("Websocket connection established.", data=False)
        try:
            async for text in self.ws_messages(ws):
                self._on_ws_text(sock, text)
        finally:
            self._forget(sock)
            await sock.close()
        return ws

    def _forget(self, sock: FaultySocket) -> None:
        for ident in self._sock_subs.pop(sock, {}):
            self._subs[ident].discard(sock)
        self.sockets.discard(sock)

    def _ws_error(self, sock: FaultySocket, message: str) -> None:
        sock.send(json.dumps({"channel": "error", "data": message}), data=False)

    def _on_ws_text(self, sock: FaultySocket, text: str) -> None:
        try:
            msg = json.loads(text)
        except json.JSONDecodeError:
            self._ws_error(sock, f"Invalid message: {text[:100]}")
            return
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            sock.send('{"channel":"pong"}', data=False)
            return
        if method in ("subscribe", "unsubscribe"):
            sub = msg.get("subscription")
            try:
                ident = self._identifier(sub)
            except (BadRequest, KeyError, TypeError) as e:
                self._ws_error(sock, f"Invalid subscription {json.dumps(sub)}: {e}")
                return
            if method == "subscribe":
                if ident in self._sock_subs[sock]:
                    self._ws_error(sock, f"Already subscribed: {json.dumps(sub)}")
                    return
                self._sock_subs[sock][ident] = sub
                self._subs[ident].add(sock)
                sock.send(json.dumps({"channel": "subscriptionResponse", "data": msg}), data=False)
                self._initial(sock, sub)
            else:
                if self._sock_subs[sock].pop(ident, None) is None:
                    self._ws_error(sock, f"Already unsubscribed: {json.dumps(sub)}")
                    return
                self._subs[ident].discard(sock)
                sock.send(json.dumps({"channel": "subscriptionResponse", "data": msg}), data=False)
            return
        self._ws_error(sock, f"Unknown method: {text[:100]}")

    def _identifier(self, sub: Any) -> str:
        if not isinstance(sub, dict):
            raise BadRequest("subscription must be an object")
        kind = sub["type"]
        if kind in ("l2Book", "bbo", "trades", "activeAssetCtx"):
            return f"{kind}:{self._market(sub['coin']).coin}"
        if kind == "candle":
            if sub["interval"] not in INTERVAL_MS:
                raise BadRequest(f"unknown interval {sub['interval']}")
            return f"candle:{self._market(sub['coin']).coin}:{sub['interval']}"
        if kind == "allMids":
            return f"allMids:{sub.get('dex') or ''}"
        if kind in ("orderUpdates", "userFills", "userFundings", "userEvents"):
            return f"{kind}:{self._user(sub)}"
        raise BadRequest(f"unknown subscription type {kind!r}")

    def _push(self, ident: str, channel: str, data: Any) -> None:
        socks = self._subs.get(ident)
        if not socks:
            return
        text = json.dumps({"channel": channel, "data": data}, separators=(",", ":"))
        for s in list(socks):
            s.send(text)

    def _initial(self, sock: FaultySocket, sub: dict[str, Any]) -> None:
        kind = sub["type"]

        def send(channel, data):
            return sock.send(json.dumps({"channel": channel, "data": data}, separators=(",", ":")))

        if kind == "l2Book":
            send("l2Book", self._book(self._market(sub["coin"])))
        elif kind == "bbo":
            send("bbo", self._bbo(self._market(sub["coin"])))
        elif kind == "activeAssetCtx":
            m = self._market(sub["coin"])
            send(
                "activeAssetCtx" if m.spec.kind == "perp" else "activeSpotAssetCtx",
                {"coin": m.coin, "ctx": self._asset_ctx(m)},
            )
        elif kind == "allMids":
            send("allMids", {"mids": self._mids(sub.get("dex") or None)})
        elif kind == "userFills":
            user = self._user(sub)
            fills = [wire.fill(f, self.u.by_key[f.market]) for f in self._fills(user)][-100:]
            send("userFills", {"isSnapshot": True, "user": user, "fills": fills})
        elif kind == "userFundings":
            user = self._user(sub)
            acct = self.exchange.account(user)
            rows = [
                {"time": e.time, **{k: v for k, v in self._funding_delta(e).items() if k != "type"}}
                for e in (acct.fundings if acct else [])
            ][-100:]
            send("userFundings", {"isSnapshot": True, "user": user, "fundings": rows})

    def on_event(self, event: SimEvent) -> None:
        if isinstance(event, BookEvent):
            m = self.u.by_key[event.market]
            if self._subs.get(f"l2Book:{m.coin}"):
                self._push(f"l2Book:{m.coin}", "l2Book", self._book(m))
            if self._subs.get(f"bbo:{m.coin}"):
                bbo = self._bbo(m)
                key = tuple(json.dumps(x) for x in bbo["bbo"])
                if self._last_bbo.get(m.coin) != key:
                    self._last_bbo[m.coin] = key
                    self._push(f"bbo:{m.coin}", "bbo", bbo)
            if self._subs.get(f"activeAssetCtx:{m.coin}"):
                channel = "activeAssetCtx" if m.spec.kind == "perp" else "activeSpotAssetCtx"
                self._push(f"activeAssetCtx:{m.coin}", channel, {"coin": m.coin, "ctx": self._asset_ctx(m)})
            for interval in INTERVAL_MS:
                ident = f"candle:{m.coin}:{interval}"
                if self._subs.get(ident):
                    candles = self._candles(m, interval, now_ms() - INTERVAL_MS[interval], now_ms())
                    if candles:
                        self._push(ident, "candle", candles[-1])
            for dex in {"", m.dex if m.dex != "spot" else ""}:
                if self._subs.get(f"allMids:{dex}"):
                    self._push(f"allMids:{dex}", "allMids", {"mids": self._mids(dex or None)})
        elif isinstance(event, TradeEvent):
            m = self.u.by_key[event.trade.market]
            self._push(f"trades:{m.coin}", "trades", [self._trade(event.trade, m)])
        elif isinstance(event, FillEvent):
            f = event.fill
            data = wire.fill(f, self.u.by_key[f.market])
            self._push(f"userFills:{f.user}", "userFills", {"user": f.user, "fills": [data]})
            self._push(f"userEvents:{f.user}", "user", {"fills": [data]})
        elif isinstance(event, OrderEvent):
            o = event.order
            self._push(
                f"orderUpdates:{o.user}", "orderUpdates", [wire.order_update(o, self.u.by_key[o.market])]
            )
        elif isinstance(event, FundingEvent):
            e = event.entry
            delta = self._funding_delta(e)
            row = {"time": e.time, **{k: v for k, v in delta.items() if k != "type"}}
            self._push(f"userFundings:{e.user}", "userFundings", {"user": e.user, "fundings": [row]})
            self._push(
                f"userEvents:{e.user}", "user", {"funding": {k: v for k, v in row.items() if k != "time"}}
            )
        elif isinstance(event, FundingRateEvent):
            m = self.u.by_key[event.market]
            if self._subs.get(f"activeAssetCtx:{m.coin}"):
                self._push(
                    f"activeAssetCtx:{m.coin}", "activeAssetCtx", {"coin": m.coin, "ctx": self._asset_ctx(m)}
                )

    async def drop_sockets(self, refuse_ms: int = 0) -> int:
        dropped = await super().drop_sockets(refuse_ms)
        for sock in list(self._sock_subs):
            self._forget(sock)
        return dropped
