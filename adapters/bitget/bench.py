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
from nautilus_trader.model.identifiers import InstrumentId

from adapters.bitget.books import L2Book
from adapters.bitget.config import BitgetDataClientConfig
from adapters.bitget.config import BitgetExecClientConfig
from adapters.bitget.data import BitgetDataClient
from adapters.bitget.execution import BitgetExecutionClient
from adapters.bitget.http import BitgetHttpClient
from adapters.bitget.providers import BitgetInstrumentProvider
from adapters.bitget.signing import BitgetSigner
from adapters.common.bench import BenchBus
from adapters.common.bench import time_frames
from adapters.common.bench import time_orders
from adapters.common.credentials import Secret
from adapters.common.ratelimit import Quota
from adapters.common.ratelimit import RateLimiter

# throwaway credentials: they exist only on the benchmark's own simulator
BENCH_KEY, BENCH_SECRET, BENCH_PASSPHRASE = "bench-key-0001", "bench-secret-0001", "bench-pass"
SYMBOL = "BTCUSDT"
BTC = InstrumentId.from_str("BTCUSDT-PERP.BITGET")
CHANNELS = ("books", "books1", "trade", "ticker")


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
    bus = BenchBus()
    http = BitgetHttpClient(sim.http_url)
    provider = BitgetInstrumentProvider(http)
    await provider.initialize()
    for instrument in provider.get_all().values():
        bus.cache.add_instrument(instrument)

    # frame -> object
    data_cfg = BitgetDataClientConfig(base_url_http=sim.http_url, stale_feed_secs=None)
    data = BitgetDataClient(loop, http, bus.msgbus, bus.cache, bus.clock, provider, data_cfg)
    key = f"USDT-FUTURES:books:{SYMBOL}"
    data._books[key] = L2Book()
    data._book_args[key] = {"instType": "USDT-FUTURES", "channel": "books", "instId": SYMBOL}
    data._quote_keys.add(f"USDT-FUTURES:books1:{SYMBOL}")
    data._ticker_kinds[f"USDT-FUTURES:ticker:{SYMBOL}"] = {"mark", "index", "funding"}
    frames = await _capture_frames(sim.ws_url, sim, n_frames)
    messages = [json.loads(f) for f in frames]
    channels = {f: m["arg"]["channel"] for f, m in zip(frames, messages, strict=True)}
    frame_stats = time_frames(bus, data.websocket._on_frame, frames, channels.__getitem__)
    book_levels = [
        sum(len(d["asks"]) + len(d["bids"]) for d in m["data"])
        for m in messages
        if m["arg"]["channel"] == "books" and m["action"] == "update"
    ]
    # the simulator re-quotes its whole synthetic book every step, so its updates are large
    frame_stats["books_levels_per_update"] = round(statistics.fmean(book_levels), 1) if book_levels else 0

    # order -> bytes on wire
    signer = BitgetSigner(Secret(BENCH_KEY), Secret(BENCH_SECRET), Secret(BENCH_PASSPHRASE))
    # the venue's 10 orders/s per UID would make this a measure of the limiter: lift it here
    unlimited = RateLimiter({name: Quota(1e9, 1.0) for name in ("public", "trade", "batch", "private")})
    exec_http = BitgetHttpClient(sim.http_url, signer=signer, rate_limiter=unlimited)
    exec_cfg = BitgetExecClientConfig(base_url_http=sim.http_url)
    client = BitgetExecutionClient(loop, exec_http, bus.msgbus, bus.cache, bus.clock, provider, exec_cfg)
    mid = Decimal(str(sim.state()["markets"][SYMBOL]["mid"]))
    orders = await time_orders(bus, client._submit, exec_http, BTC, mid, n_orders)
    for timer in client._ack_timers.values():
        timer.cancel()
    resting = sim.call(lambda: len(sim.exchange.open_orders(sim.front.auth.keys[BENCH_KEY].uid)))
    await http.close()
    await exec_http.close()
    return {
        "frame_to_object": frame_stats,
        **orders,
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
