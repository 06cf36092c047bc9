"""What a venue front is, and the plumbing every front shares.

A front speaks one venue's protocol on its own loopback port: it builds an aiohttp application
(REST routes and a WebSocket route), translates requests into calls on the shared
`SimExchange`, and turns the core's events into that venue's push messages. To add a venue
(Bitget, Bybit v5, ...): subclass `Front`, implement `routes()` and `on_event()`, keep every
outgoing WebSocket frame going through a `FaultySocket` (so transport faults apply), wrap replies to
order actions in `self.ack(...)` (ack delay / lost acks), and register the class in
`venuesim.fronts.FRONTS`. The simulator mounts the control API (`/_sim/...`) next to the venue's
routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from abc import ABC
from abc import abstractmethod
from collections.abc import Awaitable
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from aiohttp import WSMsgType
from aiohttp import web

from venuesim.core.model import SimEvent

if TYPE_CHECKING:
    from venuesim.server import VenueSim

MALFORMED_FRAMES = (
    '{"channel":"l2Book","data":{"coin":',  # truncated JSON
    "\x00\xffnot-json\xfe",
    '{"channel":"trades","data":[{"coin":"BTC","px":"not-a-number","sz":1}]}',
    '{"channel":"unknownChannel","data":42}',
)


class FaultySocket:
    """An accepted WebSocket whose outgoing frames pass through the transport faults.

    Frames are queued and written by one task, so the core's synchronous event callbacks never
    block, and the order of frames is exactly the order of events (unless a fault reorders it).
    """

    def __init__(self, ws: web.WebSocketResponse, front: Front) -> None:
        self.ws = ws
        self.front = front
        self.queue: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()
        self.sent = 0
        self._held: str | None = None
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())
        self.closed = False

    def send(self, text: str, data: bool = True) -> None:
        """Queue a frame; `data=False` for control replies (pong, acks) that faults leave alone."""
        if not self.closed:
            self.queue.put_nowait((text, data))

    async def _write_loop(self) -> None:
        faults = self.front.sim.faults
        try:
            while True:
                text, is_data = await self.queue.get()
                t = faults.transport
                if is_data:
                    if t.ws_silent:
                        faults.count("ws_silent_dropped")
                        continue
                    if t.ws_malformed_next > 0 or (
                        t.ws_malformed_rate and faults.rng.random() < t.ws_malformed_rate
                    ):
                        if t.ws_malformed_next > 0:
                            t.ws_malformed_next -= 1
                        faults.count("ws_malformed")
                        await self._write(
                            MALFORMED_FRAMES[faults.injected["ws_malformed"] % len(MALFORMED_FRAMES)]
                        )
                        continue
                    if t.ws_out_of_order_next > 0 and self._held is None:
                        t.ws_out_of_order_next -= 1
                        faults.count("ws_out_of_order")
                        self._held = text
                        continue
                    copies = 1
                    if t.ws_duplicate_next > 0:
                        t.ws_duplicate_next -= 1
                        faults.count("ws_duplicate")
                        copies = 2
                    for _ in range(copies):
                        await self._write(text)
                    if self._held is not None:
                        held, self._held = self._held, None
                        await self._write(held)
                else:
                    await self._write(text)
        except (asyncio.CancelledError, ConnectionResetError, RuntimeError):
            pass

    async def _write(self, text: str) -> None:
        if self.ws.closed:
            return
        await self.ws.send_str(text)
        self.sent += 1
        limit = self.front.sim.faults.transport.ws_drop_after_frames
        if limit is not None and self.sent >= limit:
            self.front.sim.faults.count("ws_drop_after_frames")
            await self.close()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._writer.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()


class Front(ABC):
    name: str = "front"

    def __init__(self, sim: VenueSim) -> None:
        self.sim = sim
        self.exchange = sim.exchange
        self.sockets: set[FaultySocket] = set()
        self._refuse_until = 0.0
        self.requests = 0

    # -- to implement ----------------------------------------------------------------------------
    @abstractmethod
    def routes(self, app: web.Application) -> None:
        """Add the venue's REST and WebSocket routes."""

    @abstractmethod
    def on_event(self, event: SimEvent) -> None:
        """Turn one core event into this venue's push messages."""

    def ws_path(self) -> str:
        return "/ws"

    def describe(self) -> dict[str, Any]:
        """Venue-specific facts for `GET /_sim/state` (accounts, agents, ...)."""
        return {}

    def control_account(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /_sim/accounts`: create/fund an account; fronts add venue-specific keys."""
        acct = self.exchange.ensure_account(body["address"], body.get("collateral"), body.get("spot"))
        return {"address": acct.address}

    # -- shared plumbing -------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._http_faults])
        self.routes(app)
        return app

    @web.middleware
    async def _http_faults(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ):
        if request.path.startswith("/_sim") or request.path == self.ws_path():
            return await handler(request)
        self.requests += 1
        status = self.sim.faults.take_http_error()
        if status is not None:
            headers = {}
            retry_after = self.sim.faults.transport.retry_after_secs
            if status == 429 and retry_after is not None:
                headers["Retry-After"] = f"{retry_after:g}"
            text = "Too many requests" if status == 429 else "Bad gateway (venuesim injected fault)"
            return web.Response(status=status, text=text, headers=headers)
        return await handler(request)

    async def ack(self, request: web.Request, payload: Any) -> web.StreamResponse:
        """Reply to an action, applying ack delay / lost-ack faults (the action already happened)."""
        t = self.sim.faults.transport
        if t.ack_delay_ms:
            await asyncio.sleep(t.ack_delay_ms / 1000)
        if self.sim.faults.take_drop_ack():
            transport = request.transport
            if transport is not None:
                transport.close()
            raise ConnectionResetError("venuesim: reply dropped by fault injection")
        return json_response(payload)

    async def accept_ws(self, request: web.Request) -> tuple[web.WebSocketResponse, FaultySocket] | None:
        if time.monotonic() < self._refuse_until:
            return None
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        sock = FaultySocket(ws, self)
        self.sockets.add(sock)
        return ws, sock

    async def ws_messages(self, ws: web.WebSocketResponse):
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                yield msg.data
            elif msg.type == WSMsgType.BINARY:
                yield msg.data.decode("utf-8", "replace")
            elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break

    async def drop_sockets(self, refuse_ms: int = 0) -> int:
        self._refuse_until = time.monotonic() + refuse_ms / 1000
        socks = list(self.sockets)
        for s in socks:
            await s.close()
        self.sockets.clear()
        return len(socks)


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(payload, separators=(",", ":")), content_type="application/json"
    )
