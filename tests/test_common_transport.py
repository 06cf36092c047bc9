"""adapters/common: secrets stay secret, HTTP retries honour the venue, the WebSocket comes back on
its own (resubscribed), stale feeds are detected, and ordering/de-duplication helpers behave."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest
import websockets
from aiohttp import web
from nautilus_trader.model.identifiers import InstrumentId

from adapters.common.credentials import Secret
from adapters.common.credentials import read_dotenv
from adapters.common.credentials import redact
from adapters.common.credentials import resolve_secret
from adapters.common.errors import RateLimitError
from adapters.common.errors import RequestError
from adapters.common.errors import ServerError
from adapters.common.errors import TransportError
from adapters.common.errors import VenueError
from adapters.common.feed_status import FeedHealth
from adapters.common.feed_status import FeedStatus
from adapters.common.feed_status import feed_status_topic
from adapters.common.http import HttpTransport
from adapters.common.http import parse_retry_after
from adapters.common.ratelimit import Quota
from adapters.common.ratelimit import RateLimiter
from adapters.common.sequencing import MonotonicGuard
from adapters.common.sequencing import RecentIds
from adapters.common.sequencing import SequenceTracker
from adapters.common.sequencing import Verdict
from adapters.common.websocket import ReconnectingWebSocket
from adapters.common.websocket import WsSubscription

pytestmark = pytest.mark.timeout(30)

SECRET = "0x" + "9f3a" * 16


# -- secrets ---------------------------------------------------------------------------------------
def test_secret_never_prints_and_is_redacted_everywhere():
    s = Secret(SECRET)
    assert SECRET not in repr(s) and SECRET not in str(s) and SECRET not in f"{s}"
    assert s.reveal() == SECRET
    assert redact(f"key={SECRET} bare={SECRET[2:].upper()}") == "key=*** bare=***"
    err = VenueError(f"signing with {SECRET} failed", venue="X")
    assert SECRET not in str(err) and "***" in str(err)
    with pytest.raises(TypeError):
        __import__("pickle").dumps(s)


def test_secret_lookup_order_explicit_then_env_then_dotenv(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text('# comment\nexport ARB_TEST_KEY="from-dotenv-123456"\nOTHER=x # trailing\n')
    assert read_dotenv(env) == {"ARB_TEST_KEY": "from-dotenv-123456", "OTHER": "x"}
    monkeypatch.delenv("ARB_TEST_KEY", raising=False)
    assert resolve_secret(None, "ARB_TEST_KEY", env).reveal() == "from-dotenv-123456"
    monkeypatch.setenv("ARB_TEST_KEY", "from-env-12345678")
    assert resolve_secret(None, "ARB_TEST_KEY", env).reveal() == "from-env-12345678"
    assert resolve_secret("explicit-12345678", "ARB_TEST_KEY", env).reveal() == "explicit-12345678"
    monkeypatch.delenv("ARB_TEST_KEY")
    assert resolve_secret(None, "ARB_TEST_KEY", tmp_path / "missing.env") is None


# -- rate limiting / HTTP ---------------------------------------------------------------------------
def test_rate_limiter_makes_heavy_requests_wait_for_their_weight():
    async def main():
        limiter = RateLimiter({"rest": Quota(10, 1.0)})  # 10 weight per second
        t0 = time.monotonic()
        await limiter.acquire(8)
        await limiter.acquire(8)  # needs 6 more tokens: ~0.6 s
        assert 0.45 < time.monotonic() - t0 < 5.0
        with pytest.raises(KeyError, match="unknown rate-limit bucket"):
            await limiter.acquire(1, ["nope"])

    asyncio.run(main())


def test_retry_after_header_forms():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None


@contextlib.asynccontextmanager
async def flaky_server():
    """A real HTTP server answering from a script of (status, headers, body) per request."""
    script: list[tuple[int, dict, str]] = []
    seen: list[float] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(time.monotonic())
        status, headers, body = script.pop(0) if script else (200, {}, '{"ok":true}')
        return web.Response(status=status, headers=headers, text=body)

    app = web.Application()
    app.router.add_post("/x", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", script, seen
    await runner.cleanup()


def test_http_retries_429_after_retry_after_then_5xx_then_succeeds():
    async def main():
        async with flaky_server() as (url, script, seen):
            script += [(429, {"Retry-After": "0.3"}, "slow down"), (502, {}, "bad gateway")]
            http = HttpTransport(url, venue="TESTVENUE", max_retries=3)
            assert json.loads(await http.post("/x", b"{}")) == {"ok": True}
            assert len(seen) == 3
            assert seen[1] - seen[0] >= 0.28  # waited as the venue asked
            assert http.stats["rate_limited"] == 1 and http.stats["retries"] == 2
            await http.close()

    asyncio.run(main())


def test_http_errors_are_classified_with_the_venue_text():
    async def main():
        async with flaky_server() as (url, script, _):
            http = HttpTransport(url, venue="TESTVENUE", max_retries=1)
            script.append((422, {}, "Failed to deserialize the JSON body: missing field `coin`"))
            with pytest.raises(
                RequestError, match="HTTP 422: Failed to deserialize the JSON body: missing field `coin`"
            ):
                await http.post("/x", b"{}")
            script += [(503, {}, "down"), (503, {}, "down")]
            with pytest.raises(ServerError, match="TESTVENUE: HTTP 503"):
                await http.post("/x", b"{}")
            script += [(429, {}, "no")]
            with pytest.raises(RateLimitError):
                await http.post("/x", b"{}", retry=False)
            await http.close()
            dead = HttpTransport("http://127.0.0.1:9", venue="TESTVENUE", max_retries=1)
            with pytest.raises(TransportError, match=r"TESTVENUE: .* on POST http://127\.0\.0\.1:9/x"):
                await dead.post("/x", b"{}")
            await dead.close()

    asyncio.run(main())


# -- WebSocket --------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def ws_server():
    """Echoes each subscription back as a data frame; `control` lets a test drop or mute it."""
    control = {"connections": 0, "subscribes": [], "mute": False, "sockets": set()}

    async def serve(ws):
        control["connections"] += 1
        control["sockets"].add(ws)
        try:
            async for msg in ws:
                control["subscribes"].append(msg)
                if not control["mute"]:
                    await ws.send(json.dumps({"channel": "data", "key": json.loads(msg)["key"]}))
        finally:
            control["sockets"].discard(ws)

    async with websockets.serve(serve, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}", control


async def _until(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


def test_websocket_reconnects_and_resubscribes():
    async def main():
        async with ws_server() as (url, control):
            frames, connected = [], []
            ws = ReconnectingWebSocket(
                url, venue="T", on_message=frames.append, on_connected=connected.append
            )
            await ws.connect()
            await ws.subscribe(WsSubscription("a", json.dumps({"key": "a"})))
            await _until(lambda: len(frames) == 1)
            for sock in list(control["sockets"]):
                await sock.close()  # the venue drops us
            await _until(lambda: connected == [False, True] and len(frames) == 2)
            assert control["connections"] == 2
            assert control["subscribes"] == ['{"key": "a"}', '{"key": "a"}']  # resubscribed by itself
            assert ws.reconnects == 1
            await ws.close()

    asyncio.run(main())


def test_websocket_declares_a_silent_subscription_stale_and_recycles():
    async def main():
        async with ws_server() as (url, control):
            stale, live, frames = [], [], []
            ws = ReconnectingWebSocket(
                url,
                venue="T",
                on_message=lambda f: (frames.append(f), ws.mark_message(json.loads(f)["key"])),
                on_stale=stale.extend,
                on_live=live.append,
            )
            await ws.connect()
            await ws.subscribe(WsSubscription("book", json.dumps({"key": "book"}), stale_after_secs=0.3))
            await _until(lambda: len(frames) == 1)
            control["mute"] = True
            await _until(lambda: stale and stale[0].key == "book", timeout=3)
            control["mute"] = False  # the venue recovers: the resubscribe after the recycle brings data back
            await _until(lambda: live and live[0].key == "book", timeout=5)
            assert control["connections"] >= 2 and ws.stats["stale_episodes"] == 1
            await ws.close()

    asyncio.run(main())


def test_websocket_handler_errors_are_counted_not_fatal():
    async def main():
        async with ws_server() as (url, _):
            seen = []

            def handler(frame):
                seen.append(frame)
                raise ValueError("boom")

            ws = ReconnectingWebSocket(url, venue="T", on_message=handler)
            await ws.connect()
            await ws.subscribe(WsSubscription("a", json.dumps({"key": "a"})))
            await ws.subscribe(WsSubscription("b", json.dumps({"key": "b"})))
            await _until(lambda: len(seen) == 2)
            assert ws.stats["handler_errors"] == 2 and ws.is_connected
            await ws.close()

    asyncio.run(main())


# -- sequencing / feed status ---------------------------------------------------------------------
def test_sequence_tracker_detects_gaps_and_duplicates_until_resnapshot():
    t = SequenceTracker()
    assert t.check("BTC", 5) is Verdict.FIRST
    t.reset("BTC", 10)
    assert t.check("BTC", 11) is Verdict.NEXT
    assert t.check("BTC", 11) is Verdict.DUPLICATE
    assert t.check("BTC", 13) is Verdict.GAP
    assert t.needs_snapshot("BTC") and t.check("BTC", 14) is Verdict.FIRST
    t.reset("BTC", 20)
    assert t.check("BTC", 21) is Verdict.NEXT and (t.gaps, t.duplicates) == (1, 1)


def test_snapshot_guard_and_recent_ids():
    g = MonotonicGuard()
    assert g.accept("l2Book:BTC", 100) and not g.accept("l2Book:BTC", 100) and not g.accept("l2Book:BTC", 99)
    assert g.accept("l2Book:BTC", 101) and g.dropped == 2
    ids = RecentIds(capacity=2)
    assert ids.add(1) and not ids.add(1) and ids.add(2) and ids.add(3)
    assert 1 not in ids and ids.duplicates == 1


def test_feed_status_topic_and_health():
    iid = InstrumentId.from_str("xyz:NVDA-USD-PERP.HYPERLIQUID")
    assert feed_status_topic(iid) == "data.FeedStatus.HYPERLIQUID.xyz:NVDA-USD-PERP"
    health = FeedHealth()
    assert health.is_live(iid)
    health.update(FeedStatus(iid, "stale", "bbo:xyz:NVDA", "silent 10s", 1, 2, 2))
    assert not health.is_live(iid)
    status = FeedStatus.from_dict(FeedStatus.to_dict(health.status(iid)))
    assert status.state == "stale" and status.instrument_id == iid
    with pytest.raises(ValueError, match=r"FeedStatus\.state must be one of"):
        FeedStatus(iid, "weird", "x", "", 0, 0, 0)
