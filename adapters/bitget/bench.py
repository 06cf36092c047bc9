"""`arb bench adapter bitget`: adapter latency against venuesim, printed as JSON.

- frame_to_object: real WebSocket frames captured from the simulator's Bitget front (books with
  checksums, books1, trade, ticker) are fed one by one into the data client's frame handler; the
  time from frame-in to the Nautilus object arriving at the data engine's endpoint is recorded per
  channel (books: local book update + CRC32 checksum verification + deltas).
- order_to_wire: LIMIT post-only orders go through the execution client's submit path (request
  body, tick rounding, clientOid, JSON encoding, HMAC signing of the headers happens in the same
  call); the time from the submit call to the request bytes being handed to the HTTP transport is
  recorded, and the full round trip to the parsed venue reply.

Both run without a TradingNode (a message bus with stand-in engine endpoints) so the numbers are the
adapter's own cost, not the engine's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from decimal import Decimal
from typing import Any

import websockets
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.model.identifiers import TraderId

from adapters.bitget.books import L2Book
from adapters.bitget.config import BitgetDataClientConfig
from adapters.bitget.config import BitgetExecClientConfig
from adapters.bitget.data import BitgetDataClient
from adapters.bitget.execution import BitgetExecutionClient
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.providers import BitgetInstrumentProvider
from adapters.bitget.signing import BitgetSigner
from adapters.common.credentials import Secret
from adapters.common.ratelimit import Quota
from adapters.common.ratelimit import RateLimiter

# throwaway credentials: they exist only on the benchmark's own simulator
BENCH_KEY, BENCH_SECRET, BENCH_PASSPHRASE = "bench-key-0001", "bench-secret-0001", "bench-pass"
SYMBOL = "BTCUSDT"
BTC = InstrumentId.from_str("BTCUSDT-PERP.BITGET")
CHANNELS = ("books", "books1", "trade", "ticker")


def _pct(samples: list[int]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1000, 2)

    return {
        "n": len(ordered),
        "p50_us": q(0.50),
        "p99_us": q(0.99),
        "mean_us": round(statistics.fmean(ordered) / 1000, 2),
    }


async def _capture_frames(ws_url: str, sim, n: int) -> list[str]:
    """Real frames as the simulator pushes them: subscribe, advance the price path in batches,
    drain the socket (the first books frame is the snapshot the handler needs)."""
    frames: list[str] = []
    loop = asyncio.get_running_loop()
    args = [{"instType": "USDT-FUTURES", "channel": c, "instId": SYMBOL} for c in CHANNELS]
    async with websockets.connect(ws_url, max_size=None, close_timeout=0.5) as ws:
        await ws.send(json.dumps({"op": "subscribe", "args": args}))
        deadline = time.monotonic() + 120
        while len(frames) < n and time.monotonic() < deadline:
            await loop.run_in_executor(None, sim.tick, None, max(1, min(100, (n - len(frames)) // 4)))
            try:
                while len(frames) < n:
                    text = await asyncio.wait_for(ws.recv(), 0.2)
                    if isinstance(text, str) and text.startswith('{"action"'):
                        frames.append(text)
            except TimeoutError:
                continue
    return frames


async def _bench(sim, n_frames: int, n_orders: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    clock = LiveClock()
    msgbus = MessageBus(TraderId("BENCH-001"), clock)
    cache = Cache()
    delivered: list[int] = []
    msgbus.register("DataEngine.process", lambda data: delivered.append(time.perf_counter_ns()))
    msgbus.register("ExecEngine.process", lambda event: None)

    http = BitgetHttpClient(sim.http_url)
    provider = BitgetInstrumentProvider(http)
    await provider.initialize()
    for instrument in provider.get_all().values():
        cache.add_instrument(instrument)

    # frame -> object
    data_cfg = BitgetDataClientConfig(base_url_http=sim.http_url, stale_feed_secs=None)
    data = BitgetDataClient(loop, http, msgbus, cache, clock, provider, data_cfg)
    key = f"USDT-FUTURES:books:{SYMBOL}"
    data._books[key] = L2Book()
    data._book_args[key] = {"instType": "USDT-FUTURES", "channel": "books", "instId": SYMBOL}
    data._quote_keys.add(f"USDT-FUTURES:books1:{SYMBOL}")
    data._ticker_kinds[f"USDT-FUTURES:ticker:{SYMBOL}"] = {"mark", "index", "funding"}
    frames = await _capture_frames(sim.ws_url, sim, n_frames)
    per_channel: dict[str, list[int]] = {}
    book_levels: list[int] = []
    on_frame = data.websocket._on_frame
    for frame in frames:
        msg = json.loads(frame)
        channel = msg["arg"]["channel"]
        if channel == "books" and msg["action"] == "update":
            book_levels.append(sum(len(d["asks"]) + len(d["bids"]) for d in msg["data"]))
        delivered.clear()
        t0 = time.perf_counter_ns()
        on_frame(frame)
        if delivered:
            per_channel.setdefault(channel, []).append(delivered[-1] - t0)
    frame_stats: dict[str, Any] = {c: _pct(v) for c, v in per_channel.items()}
    frame_stats["all"] = _pct([x for v in per_channel.values() for x in v])
    frame_stats["frames_captured"] = len(frames)
    # the simulator re-quotes its whole synthetic book every step, so its updates are large
    frame_stats["books_levels_per_update"] = round(statistics.fmean(book_levels), 1) if book_levels else 0

    # order -> bytes on wire
    signer = BitgetSigner(Secret(BENCH_KEY), Secret(BENCH_SECRET), Secret(BENCH_PASSPHRASE))
    # the venue's 10 orders/s per UID would make this a measure of the limiter: lift it here
    unlimited = RateLimiter({name: Quota(1e9, 1.0) for name in ("public", "trade", "batch", "private")})
    exec_http = BitgetHttpClient(sim.http_url, signer=signer, rate_limiter=unlimited)
    exec_cfg = BitgetExecClientConfig(base_url_http=sim.http_url)
    client = BitgetExecutionClient(loop, exec_http, msgbus, cache, clock, provider, exec_cfg)
    factory = OrderFactory(TraderId("BENCH-001"), StrategyId("Bench-001"), clock)
    instrument = cache.instrument(BTC)
    mid = Decimal(str(sim.state()["markets"][SYMBOL]["mid"]))
    wire_ns: list[int] = []
    ack_ns: list[int] = []
    sent_at: list[int] = []
    exec_http.on_send = lambda body, t: sent_at.append(t)
    for i in range(n_orders):
        # post-only bids 5-10% below the market rest without filling (and exercise tick rounding)
        px = mid * (Decimal("0.90") + Decimal(i % 50) / 1000) + Decimal("0.37")
        order = factory.limit(
            BTC, OrderSide.BUY, instrument.make_qty(Decimal("0.001")), instrument.make_price(px),
            time_in_force=TimeInForce.GTC, post_only=True,
        )  # fmt: skip
        cache.add_order(order)
        sent_at.clear()
        t0 = time.perf_counter_ns()
        await client._submit([order])
        t1 = time.perf_counter_ns()
        if sent_at:
            wire_ns.append(sent_at[0] - t0)
            ack_ns.append(t1 - t0)
    for timer in client._ack_timers.values():
        timer.cancel()
    resting = sim.call(lambda: len(sim.exchange.open_orders(sim.front.auth.keys[BENCH_KEY].uid)))
    await http.close()
    await exec_http.close()
    return {
        "frame_to_object": frame_stats,
        "order_to_wire": _pct(wire_ns),
        "order_round_trip_ack": _pct(ack_ns),
        "orders_resting_on_sim": resting,
        "malformed_frames": data.frame_stats.malformed_count,
        "checksum_mismatches": data.book_stats["checksum_mismatches"],
        "rest_rate_limiter": "lifted for the order benchmark (the venue allows 10 orders/s per UID)",
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from venuesim.fronts.bitget import create
    from venuesim.server import SimThread

    account = {
        "api_key": BENCH_KEY,
        "secret": BENCH_SECRET,
        "passphrase": BENCH_PASSPHRASE,
        "collateral": "10000000",
    }
    sim = create(accounts=[account], tick_secs=None, synthetic_trades=True, max_messages_per_sec=None)
    with SimThread(sim):
        result = asyncio.run(_bench(sim, int(args.frames), int(args.orders)))
    result["venue"] = "bitget"
    result["frames"] = int(args.frames)
    result["orders"] = int(args.orders)
    return result
