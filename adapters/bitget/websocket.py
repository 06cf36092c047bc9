"""Bitget v2 WebSocket: subscriptions, the plain-text `ping` heartbeat, login on the private
socket, and routing of pushes to the owning client.

- Subscribe: `{"op":"subscribe","args":[{"instType","channel","instId"}...]}`; the venue accepts at
  most 10 messages per second per connection (pings included), so subscriptions made together are
  sent as one message, and so are the resubscriptions after a reconnect.
- Pushes: `{"action":"snapshot"|"update","arg":{...},"data":[...],"ts"}`; events: `{"event":
  "subscribe"|"unsubscribe"|"login"|"error","code","msg"}`; the heartbeat reply is the text `pong`.
- Private socket: after connecting, `{"op":"login","args":[{apiKey, passphrase, timestamp (s),
  sign}]}`; subscriptions are sent only once the venue answers `{"event":"login","code":0}` (a
  subscription before login is refused with 30004). A refused login (30005, 30011-30015) is
  reported through `login_error` and the venue closes the socket.
Subscription keys are `instType:channel:instId` (or `:coin` for the account channel), so a frame
is attributed to its subscription for stale-feed detection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import msgspec
from nautilus_trader.common.component import Logger

from adapters.bitget import schemas as s
from adapters.bitget.constants import BITGET
from adapters.bitget.constants import WS_LOGIN_FAILED
from adapters.bitget.constants import WS_PING
from adapters.bitget.constants import WS_PONG
from adapters.bitget.signing import BitgetSigner
from adapters.common.credentials import redact
from adapters.common.errors import MalformedMessageError
from adapters.common.frames import FrameStats
from adapters.common.websocket import Frame
from adapters.common.websocket import ReconnectingWebSocket
from adapters.common.websocket import WsSubscription

MALFORMED = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    MalformedMessageError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    ArithmeticError,
)
MAX_ARGS_PER_MESSAGE = 50
COALESCE_SECS = 0.02

Handler = Callable[[s.WsArg, str | None, bytes, Any], None]


def subscription_key(arg: dict[str, Any]) -> str:
    inst = arg.get("instId") if arg.get("instId") is not None else arg.get("coin", "")
    return f"{arg['instType']}:{arg['channel']}:{inst}"


def arg_key(arg: s.WsArg) -> str:
    inst = arg.instId if arg.instId is not None else (arg.coin or "")
    return f"{arg.instType}:{arg.channel}:{inst}"


def _op(op: str, args: list[dict[str, Any]]) -> str:
    return s.encode({"op": op, "args": args}).decode()


def batched(args: list[dict[str, Any]], op: str = "subscribe") -> list[str]:
    return [_op(op, args[i : i + MAX_ARGS_PER_MESSAGE]) for i in range(0, len(args), MAX_ARGS_PER_MESSAGE)]


class BitgetWebSocket:
    def __init__(
        self,
        url: str,
        *,
        handler: Handler,
        stats: FrameStats,
        logger: Logger,
        heartbeat_secs: float = 30.0,
        signer: BitgetSigner | None = None,
        on_connected: Callable[[bool], Awaitable[None] | None] | None = None,
        on_disconnected: Callable[[str], None] | None = None,
        on_stale: Callable[[list[WsSubscription]], None] | None = None,
        on_live: Callable[[WsSubscription], None] | None = None,
        on_malformed: Callable[[str], None] | None = None,
        name: str = "public",
    ) -> None:
        self._handler = handler
        self._signer = signer
        self._user_on_connected = on_connected
        self._on_malformed = on_malformed
        self._stats = stats
        self._log = logger
        self._args: dict[str, dict[str, Any]] = {}
        self._pending: list[dict[str, Any]] = []
        self._flush_task: asyncio.Task | None = None
        self._login_task: asyncio.Task | None = None
        self.logged_in = asyncio.Event()
        self.login_error: str | None = None
        self.login_attempted = asyncio.Event()
        self._reconnected = False
        self.ws = ReconnectingWebSocket(
            url,
            venue=BITGET,
            on_message=self._on_frame,
            heartbeat_message=WS_PING,
            heartbeat_secs=heartbeat_secs,
            idle_timeout_secs=max(heartbeat_secs * 2.5, 5.0),
            on_connected=self._on_connected,
            on_disconnected=self._on_disconnected_wrapper(on_disconnected),
            on_stale=on_stale,
            on_live=on_live,
            resubscribe_frames=self._resubscribe_frames,
            logger=logger,
            name=name,
        )

    @property
    def private(self) -> bool:
        return self._signer is not None

    # -- lifecycle -------------------------------------------------------------------------------
    async def connect(self) -> None:
        await self.ws.connect(wait=True)

    async def close(self) -> None:
        for task in (self._flush_task, self._login_task):
            if task is not None:
                task.cancel()
        await self.ws.close()

    async def wait_logged_in(self, timeout: float) -> str | None:
        """None once logged in; the venue's refusal text (or a timeout text) otherwise."""
        try:
            await asyncio.wait_for(self.login_attempted.wait(), timeout)
        except TimeoutError:
            return f"no login reply within {timeout:g}s"
        return None if self.logged_in.is_set() else self.login_error

    def _on_disconnected_wrapper(self, user: Callable[[str], None] | None) -> Callable[[str], None]:
        def on_disconnected(reason: str) -> None:
            self.logged_in.clear()
            if user is not None:
                user(reason)

        return on_disconnected

    async def _on_connected(self, reconnected: bool) -> None:
        self._reconnected = reconnected
        if self._signer is None:
            if self._user_on_connected is not None:
                result = self._user_on_connected(reconnected)
                if asyncio.iscoroutine(result):
                    await result
            return
        # The reader starts only after this returns: send the login now, subscribe on its reply.
        self.logged_in.clear()
        await self.ws.send(s.encode(self._signer.ws_login()).decode())

    async def _after_login(self) -> None:
        args = list(self._args.values())
        for frame in batched(args):
            await self.ws.send(frame)
        if self._user_on_connected is not None:
            result = self._user_on_connected(self._reconnected)
            if asyncio.iscoroutine(result):
                await result

    def _resubscribe_frames(self, subs: list[WsSubscription]) -> list[Frame]:
        if self.private:
            return []  # private subscriptions follow the login
        args = [self._args[sub.key] for sub in subs if sub.key in self._args]
        return list(batched(args))

    # -- subscriptions ---------------------------------------------------------------------------
    async def subscribe(self, arg: dict[str, Any], stale_after_secs: float | None = None) -> str:
        key = subscription_key(arg)
        if key in self._args:
            return key
        self._args[key] = arg
        await self.ws.subscribe(
            WsSubscription(
                key=key,
                subscribe=_op("subscribe", [arg]),
                unsubscribe=_op("unsubscribe", [arg]),
                stale_after_secs=stale_after_secs,
            ),
            send=False,
        )
        if self.ws.is_connected and (not self.private or self.logged_in.is_set()):
            self._pending.append(arg)
            if self._flush_task is None or self._flush_task.done():
                self._flush_task = asyncio.get_running_loop().create_task(self._flush())
        return key

    async def _flush(self) -> None:
        await asyncio.sleep(COALESCE_SECS)  # subscriptions made together go out as one message
        args, self._pending = self._pending, []
        for frame in batched(args):
            with contextlib.suppress(Exception):
                await self.ws.send(frame)

    async def unsubscribe(self, arg: dict[str, Any]) -> None:
        key = subscription_key(arg)
        self._args.pop(key, None)
        await self.ws.unsubscribe(key)

    async def resubscribe(self, arg: dict[str, Any]) -> None:
        """Unsubscribe and subscribe again: the venue answers with a fresh snapshot."""
        if not self.ws.is_connected:
            return
        await self.ws.send(_op("unsubscribe", [arg]))
        await self.ws.send(_op("subscribe", [arg]))

    def mark(self, key: str) -> None:
        self.ws.mark_message(key)

    # -- frames ----------------------------------------------------------------------------------
    def _on_frame(self, frame: Frame) -> None:
        raw = frame.encode() if isinstance(frame, str) else frame
        if raw == b"pong" or raw == WS_PONG.encode():
            return
        try:
            msg = s.Decoders.ws.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            self._stats.malformed("envelope", e, raw)
            if self._on_malformed is not None:
                self._on_malformed("envelope")
            return
        if msg.event is not None:
            self._on_event(msg)
            return
        if msg.arg is None or s.is_null(msg.data):
            self._stats.malformed("envelope", "push without arg or data", raw)
            if self._on_malformed is not None:
                self._on_malformed("envelope")
            return
        channel = msg.arg.channel
        self._stats.received(channel)
        try:
            self._handler(msg.arg, msg.action, bytes(msg.data), msg.ts)
        except MALFORMED as e:
            self._stats.malformed(channel, e, raw)
            if self._on_malformed is not None:
                self._on_malformed(channel)
        except Exception as e:  # a handler bug must not kill the reader either
            self._stats.counts["handler_errors"] += 1
            self._log.exception(f"Handler for channel {channel} failed", e)

    def _on_event(self, msg: s.WsMessage) -> None:
        event = msg.event
        code = str(msg.code) if msg.code is not None else None
        if event == "login":
            if code in (None, "0"):
                self.logged_in.set()
                self.login_error = None
                self.login_attempted.set()
                self._log.info("Logged in to the private WebSocket")
                self._login_task = asyncio.get_running_loop().create_task(self._after_login())
            else:
                self._login_failed(code, msg.msg)
            return
        if event == "error":
            if code in WS_LOGIN_FAILED and self.private and not self.logged_in.is_set():
                self._login_failed(code, msg.msg)
                return
            self._stats.ignored(f"venue_error:{code}")
            self._log.error(f"Venue WebSocket error {code}: {redact(msg.msg or '')}")
            return
        self._stats.ignored(f"event:{event}")

    def _login_failed(self, code: str | None, text: str | None) -> None:
        self.login_error = f"WebSocket login refused: {code}: {redact(text or '')}"
        self.login_attempted.set()
        self._log.error(self.login_error)
