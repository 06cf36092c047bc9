"""A WebSocket that stays up: heartbeat, reconnect with backoff, resubscribe, stale-feed detection.

The venue module supplies the messages (subscribe payloads, heartbeat) and a frame handler; this
class owns the connection lifecycle:

- heartbeat: `heartbeat_message` is sent every `heartbeat_secs`; if nothing at all arrives for
  `idle_timeout_secs` the connection is presumed dead and replaced.
- reconnect: any close or error reconnects after an exponential backoff with jitter, then sends
  every active subscription again and calls `on_connected(reconnected=True)` so the venue client can
  resynchronise over REST (missed fills, order states, book snapshots).
- stale feed: a subscription with `stale_after_secs` that receives no frame for that long (the venue
  module attributes frames to subscriptions with `mark_message(key)`) is declared stale:
  `on_stale([subs])` is called and the connection is recycled. The first frame after that calls
  `on_live(sub)`. Venue clients turn both into `FeedStatus` data (see `adapters.common.feed_status`).
- frame handler errors are caught, counted (`stats["handler_errors"]`) and logged; they never
  stop the reader.
- venues that limit messages per second (Bitget: 10/s, pings included) pass `resubscribe_frames`,
  which turns the active subscriptions into the (batched) frames sent after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from nautilus_trader.common.component import Logger
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect

from adapters.common.backoff import Backoff
from adapters.common.credentials import redact
from adapters.common.errors import TransportError

Frame = str | bytes


@dataclass
class WsSubscription:
    key: str
    subscribe: Frame
    unsubscribe: Frame | None = None
    stale_after_secs: float | None = None
    last_message: float = field(default=0.0, compare=False)
    stale: bool = field(default=False, compare=False)
    messages: int = field(default=0, compare=False)


async def _maybe_await(result: object) -> None:
    if inspect.isawaitable(result):
        await result


class ReconnectingWebSocket:
    def __init__(
        self,
        url: str,
        *,
        venue: str,
        on_message: Callable[[Frame], None],
        heartbeat_message: Frame | None = None,
        heartbeat_secs: float = 20.0,
        idle_timeout_secs: float = 60.0,
        connect_timeout_secs: float = 10.0,
        backoff: Backoff | None = None,
        on_connected: Callable[[bool], Awaitable[None] | None] | None = None,
        on_disconnected: Callable[[str], None] | None = None,
        on_stale: Callable[[list[WsSubscription]], None] | None = None,
        on_live: Callable[[WsSubscription], None] | None = None,
        resubscribe_frames: Callable[[list[WsSubscription]], list[Frame]] | None = None,
        logger: Logger | None = None,
        name: str = "ws",
    ) -> None:
        self.url = url
        self.venue = venue
        self.name = name
        self._on_message = on_message
        self._heartbeat_message = heartbeat_message
        self._heartbeat_secs = heartbeat_secs
        self._idle_timeout = idle_timeout_secs
        self._connect_timeout = connect_timeout_secs
        self._backoff = backoff or Backoff(initial=0.1, maximum=10.0)
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._on_stale = on_stale
        self._on_live = on_live
        self._resubscribe_frames = resubscribe_frames
        self._log = logger or Logger(f"{venue}WebSocket[{name}]")
        self._subs: dict[str, WsSubscription] = {}
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task | None = None
        self._closing = False
        self._connected = asyncio.Event()
        self._last_any = 0.0
        self._connections = 0
        self.stats: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"ReconnectingWebSocket(venue={self.venue}, name={self.name}, url={self.url})"

    # -- public API ------------------------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        return self._ws is not None and self._connected.is_set()

    @property
    def reconnects(self) -> int:
        return max(0, self._connections - 1)

    @property
    def subscriptions(self) -> dict[str, WsSubscription]:
        return dict(self._subs)

    async def connect(self, wait: bool = True) -> None:
        """Start the connection loop; with `wait`, return once connected (TransportError on timeout)."""
        if self._runner is None or self._runner.done():
            self._closing = False
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name=f"{self.venue}-{self.name}"
            )
        if wait:
            try:
                await asyncio.wait_for(self._connected.wait(), self._connect_timeout)
            except TimeoutError:
                raise TransportError(
                    f"WebSocket {self.url} not connected after {self._connect_timeout}s", venue=self.venue
                ) from None

    async def close(self) -> None:
        self._closing = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
        self._runner = None
        self._connected.clear()

    async def subscribe(self, sub: WsSubscription, send: bool = True) -> None:
        """Register `sub` (resent on every reconnect) and send it now if connected, unless `send`
        is False (the venue module sends it itself, e.g. batched with others)."""
        sub.last_message = time.monotonic()  # the stale clock starts at subscription time
        self._subs[sub.key] = sub
        if send and self.is_connected:
            await self.send(sub.subscribe)

    async def unsubscribe(self, key: str) -> None:
        sub = self._subs.pop(key, None)
        if sub is not None and sub.unsubscribe is not None and self.is_connected:
            await self.send(sub.unsubscribe)

    def has_subscription(self, key: str) -> bool:
        return key in self._subs

    async def send(self, frame: Frame) -> None:
        ws = self._ws
        if ws is None:
            raise TransportError(f"WebSocket {self.name} is not connected", venue=self.venue)
        try:
            await ws.send(frame)
            self.stats["sent"] += 1
        except Exception as e:
            raise TransportError(f"send failed on {self.name}: {redact(e)}", venue=self.venue) from None

    def mark_message(self, key: str) -> None:
        """Attribute a frame to a subscription (resets its stale clock; ends a stale episode)."""
        sub = self._subs.get(key)
        if sub is None:
            return
        sub.last_message = time.monotonic()
        sub.messages += 1
        if sub.stale:
            sub.stale = False
            if self._on_live is not None:
                self._on_live(sub)

    def force_reconnect(self, reason: str) -> None:
        ws = self._ws
        if ws is None:
            return
        self._log.warning(f"Recycling connection: {reason}")
        self.stats["forced_reconnects"] += 1
        asyncio.get_running_loop().create_task(ws.close())

    # -- connection loop -------------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._closing:
            reason = "closed"
            try:
                async with connect(
                    self.url,
                    open_timeout=self._connect_timeout,
                    ping_interval=None,  # venues here use application-level heartbeats
                    max_size=None,
                    close_timeout=1.0,
                ) as ws:
                    await self._serve(ws)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                reason = f"{type(e).__name__}: {redact(e)}"
                self.stats["connect_errors" if self._ws is None else "errors"] += 1
            finally:
                was_connected = self._ws is not None
                self._ws = None
                self._connected.clear()
                if was_connected and self._on_disconnected is not None:
                    with contextlib.suppress(Exception):
                        self._on_disconnected(reason)
            if self._closing:
                break
            delay = self._backoff.next_delay()
            self._log.warning(f"Disconnected ({reason}); reconnecting in {delay:.2f}s")
            await asyncio.sleep(delay)

    async def _serve(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._connections += 1
        reconnected = self._connections > 1
        self._backoff.reset()
        now = time.monotonic()
        self._last_any = now
        subs = list(self._subs.values())
        for sub in subs:
            sub.last_message = now
        frames = self._resubscribe_frames(subs) if self._resubscribe_frames else [s.subscribe for s in subs]
        for frame in frames:
            await ws.send(frame)
        self._connected.set()
        if reconnected:
            self.stats["reconnects"] += 1
            self._log.info(f"Reconnected; resubscribed {len(self._subs)} subscription(s)")
        if self._on_connected is not None:
            try:
                await _maybe_await(self._on_connected(reconnected))
            except Exception as e:
                self.stats["handler_errors"] += 1
                self._log.error(f"on_connected failed: {redact(e)}")
        helpers = [
            asyncio.get_running_loop().create_task(self._heartbeat(ws)),
            asyncio.get_running_loop().create_task(self._watchdog(ws)),
        ]
        try:
            async for frame in ws:
                self._last_any = time.monotonic()
                self.stats["received"] += 1
                try:
                    self._on_message(frame)
                except Exception as e:
                    self.stats["handler_errors"] += 1
                    self._log.error(f"frame handler failed: {type(e).__name__}: {redact(e)}")
        finally:
            for t in helpers:
                t.cancel()
            for t in helpers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t

    async def _heartbeat(self, ws: ClientConnection) -> None:
        if self._heartbeat_message is None:
            return
        while True:
            await asyncio.sleep(self._heartbeat_secs)
            with contextlib.suppress(Exception):
                await ws.send(self._heartbeat_message)
                self.stats["heartbeats"] += 1

    def _check_interval(self) -> float:
        limits = [s.stale_after_secs for s in self._subs.values() if s.stale_after_secs]
        limits.append(self._idle_timeout)
        return max(0.02, min(1.0, min(limits) / 4))

    async def _watchdog(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self._check_interval())
            now = time.monotonic()
            if now - self._last_any > self._idle_timeout:
                self.stats["idle_timeouts"] += 1
                self._log.warning(f"No frame for {self._idle_timeout:.1f}s; recycling the connection")
                await ws.close()
                return
            newly_stale = [
                s
                for s in self._subs.values()
                if s.stale_after_secs and not s.stale and now - s.last_message > s.stale_after_secs
            ]
            if newly_stale:
                for s in newly_stale:
                    s.stale = True
                self.stats["stale_episodes"] += len(newly_stale)
                keys = ", ".join(s.key for s in newly_stale)
                self._log.warning(f"Stale feed ({keys}); recycling the connection")
                if self._on_stale is not None:
                    with contextlib.suppress(Exception):
                        self._on_stale(newly_stale)
                await ws.close()
                return
