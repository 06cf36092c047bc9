"""The built-in Bybit WebSocket client, with its reconnection handled on the event loop.

Nautilus 1.221's Rust WebSocket client calls `post_reconnection` (the built-in's `reconnect`) on one
of its own threads, and the built-in schedules re-authentication and resubscription there with
`loop.create_task`, which is not thread-safe: the task sits unnoticed until something else wakes
the loop - on a quiet node that is the next 20 s heartbeat, so the stream stays unsubscribed that
long after every reconnection. This subclass hands the reconnection to the loop thread
(`call_soon_threadsafe`), and runs `on_reconnected` there as soon as the transport is back (before
the resubscription), so REST recovery can start at once; and reports an unreadable frame
(`on_unreadable`) instead of letting it raise into the transport thread.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from nautilus_trader.adapters.bybit.websocket.client import BybitWebSocketClient


class BybitArbWebSocketClient(BybitWebSocketClient):
    on_reconnected: Callable[[], None] | None = None
    on_unreadable: Callable[[bytes], None] | None = None

    def _msg_handler(self, raw: bytes) -> None:
        # The built-in decodes every frame before dispatching it; an unreadable one would raise into
        # the transport thread and be gone. It may have been a fill: say so.
        try:
            self._decoder_ws_message_general.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self._log.warning(f"Unreadable frame on {self.channel_type} channel ({len(raw)} bytes)")
            if self.on_unreadable is not None:
                self.on_unreadable(raw)
            return
        super()._msg_handler(raw)

    def reconnect(self) -> None:
        self._loop.call_soon_threadsafe(self._reconnect_on_loop)

    def _reconnect_on_loop(self) -> None:
        BybitWebSocketClient.reconnect(self)
        if self.on_reconnected is not None and self._is_running:
            self.on_reconnected()


def adopt(
    client: BybitWebSocketClient,
    on_reconnected: Callable[[], None] | None = None,
    on_unreadable: Callable[[bytes], None] | None = None,
) -> None:
    """Make a built-in client (already constructed by the built-in data or exec client) ours; the
    subclass adds no state but the optional callbacks."""
    client.__class__ = BybitArbWebSocketClient
    client.on_reconnected = on_reconnected  # type: ignore[attr-defined]
    client.on_unreadable = on_unreadable  # type: ignore[attr-defined]
