"""Hyperliquid WebSocket: subscription messages, the application-level ping, and routing of
frames to the owning client by channel.

Frames are `{"channel": ..., "data": ...}`; the envelope is decoded once with the data kept raw,
and the client decodes `data` with the typed decoder for that channel. The first frame after
connecting is the plain-text banner `Websocket connection established.`. Subscription keys follow
the official SDK's identifiers (`l2Book:BTC`, `userFills:0xabc...`) so a frame can be attributed to
its subscription for stale-feed detection.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import msgspec
from nautilus_trader.common.component import Logger

from adapters.common.errors import MalformedMessageError
from adapters.common.frames import FrameStats
from adapters.common.websocket import Frame
from adapters.common.websocket import ReconnectingWebSocket
from adapters.common.websocket import WsSubscription
from adapters.hyperliquid import schemas as s
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.constants import WS_CONNECTED_BANNER
from adapters.hyperliquid.constants import WS_PING

CONTROL_CHANNELS = frozenset({"pong", "subscriptionResponse", "post"})
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


def subscription_key(sub: dict[str, Any]) -> str:
    kind = sub["type"]
    if kind in ("l2Book", "bbo", "trades", "activeAssetCtx"):
        return f"{kind}:{sub['coin']}"
    if kind == "candle":
        return f"candle:{sub['coin']}:{sub['interval']}"
    if kind in ("orderUpdates", "userFills", "userFundings", "userEvents"):
        return f"{kind}:{sub['user'].lower()}"
    if kind == "allMids":
        return f"allMids:{sub.get('dex') or ''}"
    return kind


class HyperliquidWebSocket:
    def __init__(
        self,
        url: str,
        *,
        handler: Callable[[str, bytes], None],
        stats: FrameStats,
        logger: Logger,
        heartbeat_secs: float = 30.0,
        on_connected: Callable[[bool], Awaitable[None] | None] | None = None,
        on_disconnected: Callable[[str], None] | None = None,
        on_stale: Callable[[list[WsSubscription]], None] | None = None,
        on_live: Callable[[WsSubscription], None] | None = None,
        on_malformed: Callable[[str], None] | None = None,
        name: str = "public",
    ) -> None:
        self._handler = handler
        self._on_malformed = on_malformed
        self._stats = stats
        self._log = logger
        self.ws = ReconnectingWebSocket(
            url,
            venue=HYPERLIQUID,
            on_message=self._on_frame,
            heartbeat_message=WS_PING,
            heartbeat_secs=heartbeat_secs,
            idle_timeout_secs=max(heartbeat_secs * 2, 5.0),
            on_connected=on_connected,
            on_disconnected=on_disconnected,
            on_stale=on_stale,
            on_live=on_live,
            logger=logger,
            name=name,
        )

    async def connect(self) -> None:
        await self.ws.connect(wait=True)

    async def close(self) -> None:
        await self.ws.close()

    async def subscribe(self, sub: dict[str, Any], stale_after_secs: float | None = None) -> str:
        key = subscription_key(sub)
        if not self.ws.has_subscription(key):
            await self.ws.subscribe(
                WsSubscription(
                    key=key,
                    subscribe=s.encode({"method": "subscribe", "subscription": sub}).decode(),
                    unsubscribe=s.encode({"method": "unsubscribe", "subscription": sub}).decode(),
                    stale_after_secs=stale_after_secs,
                )
            )
        return key

    async def unsubscribe(self, sub: dict[str, Any]) -> None:
        await self.ws.unsubscribe(subscription_key(sub))

    def mark(self, key: str) -> None:
        self.ws.mark_message(key)

    def _on_frame(self, frame: Frame) -> None:
        raw = frame.encode() if isinstance(frame, str) else frame
        if raw == WS_CONNECTED_BANNER.encode():
            return
        try:
            env = s.Decoders.envelope.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            self._stats.malformed("envelope", e, raw)
            if self._on_malformed is not None:
                self._on_malformed("envelope")
            return
        channel = env.channel
        if channel in CONTROL_CHANNELS:
            return
        if channel == "error":
            self._log.error(f"Venue WebSocket error: {bytes(env.data)[:300]!r}")
            self._stats.ignored("venue_error")
            return
        self._stats.received(channel)
        try:
            self._handler(channel, bytes(env.data))
        except MALFORMED as e:
            self._stats.malformed(channel, e, raw)
            if self._on_malformed is not None:
                self._on_malformed(channel)
        except Exception as e:  # a handler bug must not kill the reader either
            self._stats.counts["handler_errors"] += 1
            self._log.exception(f"Handler for channel {channel} failed", e)
