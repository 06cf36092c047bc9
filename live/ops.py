"""Operations: a status line on the console, and notifications (Telegram, Discord, a generic webhook)
on entries, exits, orphan flattening, the kill switch and feed disconnects.

Strategies publish operational events on `events.arb.<kind>` (see `strategies.base.PairStrategy.notify`);
adapters publish `FeedStatus` on `data.FeedStatus.<VENUE>.<SYMBOL>`. Sending never blocks trading and
never raises: a failed POST is logged (without the token) and counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import aiohttp
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.model.identifiers import Venue

from adapters.common.credentials import redact
from arb.clock import on_loop
from strategies.base import EVENTS_TOPIC


class NotifierConfig(ActorConfig, frozen=True, kw_only=True):
    node: str = "arb"
    webhook_url: str | None = None
    telegram_token_env: str | None = None
    telegram_chat_id: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    discord_webhook_env: str | None = None
    events: list[str] = []
    timeout_s: float = 5.0


class Notifier(Actor):
    def __init__(self, config: NotifierConfig) -> None:
        super().__init__(config)
        self.sent = 0
        self.failed = 0
        self._tasks: set[asyncio.Task] = set()
        self._feed_state: dict[str, str] = {}

    def on_start(self) -> None:
        self.msgbus.subscribe(topic=f"{EVENTS_TOPIC}.*", handler=self._on_event)
        self.msgbus.subscribe(topic="data.FeedStatus.*", handler=self._on_feed_status)
        self._on_event({"kind": "start", "strategy": "-", "text": f"node {self.config.node} started"})

    def on_stop(self) -> None:
        self._on_event({"kind": "stop", "strategy": "-", "text": f"node {self.config.node} stopping"})

    def _on_feed_status(self, status: Any) -> None:
        key = f"{getattr(status, 'instrument_id', '')}"
        state = str(getattr(status, "status", "")).lower()
        previous = self._feed_state.get(key)
        self._feed_state[key] = state
        if state != "live" and previous != state:
            self._on_event({"kind": "disconnect", "strategy": "-", "text": f"feed {key} is {state}"})
        elif state == "live" and previous not in (None, "live"):
            self._on_event({"kind": "disconnect", "strategy": "-", "text": f"feed {key} is live again"})

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("kind") not in self.config.events:
            return
        text = f"[{self.config.node}] {event['kind']}: {event['text']}"
        payload = {
            "node": self.config.node,
            **{k: v for k, v in event.items() if isinstance(v, str | int | float | bool)},
        }
        for target in self._targets(text, payload):
            task = asyncio.get_event_loop().create_task(self._post(*target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _targets(self, text: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
        c = self.config
        out = []
        if c.webhook_url:
            out.append((c.webhook_url, {**payload, "message": text}, "webhook"))
        if c.telegram_token_env:
            token = os.environ.get(c.telegram_token_env)
            if token:
                out.append(
                    (
                        f"{c.telegram_api_url}/bot{token}/sendMessage",
                        {"chat_id": c.telegram_chat_id, "text": text},
                        "telegram",
                    )
                )
        if c.discord_webhook_env:
            url = os.environ.get(c.discord_webhook_env)
            if url:
                out.append((url, {"content": text}, "discord"))
        return out

    async def _post(self, url: str, body: dict[str, Any], channel: str) -> None:
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, json=body) as resp,
            ):
                if resp.status >= 300:
                    raise RuntimeError(f"HTTP {resp.status}")
            self.sent += 1
        except Exception as e:  # a notification failure must never touch trading
            self.failed += 1
            self.log.warning(f"{channel} notification failed: {redact(e)}")


class StatusConfig(ActorConfig, frozen=True, kw_only=True):
    node: str = "arb"
    interval_s: float = 30.0
    venues: list[str] = []


class StatusLine(Actor):
    """One line every `interval_s`: uptime, venues, open pairs, positions, balances."""

    def __init__(self, config: StatusConfig) -> None:
        super().__init__(config)
        self._t0 = time.monotonic()

    def on_start(self) -> None:
        import pandas as pd

        if self.config.interval_s <= 0:
            return  # off: the line is still written once when the node stops
        self.clock.set_timer(
            "status",
            interval=pd.Timedelta(seconds=self.config.interval_s),
            callback=on_loop(self.clock, self._tick),
        )

    def line(self) -> str:
        up = int(time.monotonic() - self._t0)
        parts = [f"status {self.config.node}: up {up // 3600:02d}:{up // 60 % 60:02d}:{up % 60:02d}"]
        pairs = 0
        for strategy_id in self.cache.strategy_ids():
            raw = self.cache.get(f"arb.pairs.{strategy_id}")
            if raw:
                pairs += len(json.loads(raw.decode()).get("pairs", []))
        parts.append(f"open pairs {pairs}")
        positions = {str(p.instrument_id): str(p.signed_decimal_qty()) for p in self.cache.positions_open()}
        parts.append(f"positions {positions or 'flat'}")
        for venue in self.config.venues:
            account = self.cache.account_for_venue(Venue(venue))
            if account is not None:
                balances = ", ".join(f"{b.total}" for b in account.balances().values())
                parts.append(f"{venue} {balances}")
        return " | ".join(parts)

    def on_stop(self) -> None:
        self.log.info(self.line())

    def _tick(self, event: TimeEvent) -> None:
        self.log.info(self.line())
