"""`arb bench adapter hyperliquid`: adapter latency against venuesim, printed as JSON.

- frame_to_object: real WebSocket frames captured from the simulator (l2Book, bbo, trades,
  activeAssetCtx) are fed one by one into the data client's frame handler; the time from frame-in
  to the Nautilus object arriving at the data engine's endpoint is recorded per channel.
- order_to_wire: LIMIT post-only orders go through the execution client's submit path (wire build,
  tick rounding, signing, JSON encoding); the time from the submit call to the request bytes being
  handed to the HTTP transport is recorded, and the full round trip to the parsed venue ack.

Both run without a TradingNode (a message bus with stand-in engine endpoints) so the numbers are the
adapter's own cost, not the engine's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import websockets
from eth_account import Account
from nautilus_trader.model.identifiers import InstrumentId

from adapters.common.bench import BenchBus
from adapters.common.bench import time_frames
from adapters.common.bench import time_orders
from adapters.common.credentials import Secret
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.data import HyperliquidDataClient
from adapters.hyperliquid.execution import HyperliquidExecutionClient
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.signing import HyperliquidSigner

BENCH_KEY = "0x" + "be" * 32  # throwaway: exists only on the benchmark's own simulator
BTC = InstrumentId.from_str("BTC-USD-PERP.HYPERLIQUID")


async def _capture_frames(ws_url: str, sim, n: int) -> list[str]:
    """Real frames as the simulator pushes them: subscribe, advance the price path in batches,
    drain the socket."""
    frames: list[str] = []
    loop = asyncio.get_running_loop()
    async with websockets.connect(ws_url, max_size=None, close_timeout=0.5) as ws:
        for sub in (
            {"type": "l2Book", "coin": "BTC"},
            {"type": "bbo", "coin": "BTC"},
            {"type": "trades", "coin": "BTC"},
            {"type": "activeAssetCtx", "coin": "BTC"},
        ):
            await ws.send(json.dumps({"method": "subscribe", "subscription": sub}))
        acks = 0
        while acks < 4:  # tick only once every stream is subscribed, so all four channels are sampled
            text = await asyncio.wait_for(ws.recv(), 10)
            if isinstance(text, str) and "subscriptionResponse" in text:
                acks += 1
        deadline = time.monotonic() + 120
        while len(frames) < n and time.monotonic() < deadline:
            await loop.run_in_executor(None, sim.tick, None, max(1, min(250, (n - len(frames)) // 3)))
            try:
                while len(frames) < n:
                    text = await asyncio.wait_for(ws.recv(), 0.2)
                    if (
                        isinstance(text, str)
                        and text.startswith('{"channel":"')
                        and "subscriptionResponse" not in text
                    ):
                        frames.append(text)
            except TimeoutError:
                continue
    return frames


async def _bench(sim, n_frames: int, n_orders: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    bus = BenchBus()
    http = HyperliquidHttpClient(sim.http_url)
    provider = HyperliquidInstrumentProvider(http, perp_dexs=["xyz"])
    await provider.initialize()
    for instrument in provider.get_all().values():
        bus.cache.add_instrument(instrument)

    # frame -> object
    data_cfg = HyperliquidDataClientConfig(testnet=True, base_url_http=sim.http_url, stale_feed_secs=None)
    data = HyperliquidDataClient(loop, http, bus.msgbus, bus.cache, bus.clock, provider, data_cfg)
    data._ctx_kinds["BTC"] = {"mark", "index", "funding"}
    frames = await _capture_frames(sim.ws_url, sim, n_frames)
    frame_stats = time_frames(
        bus, data.websocket._on_frame, frames, lambda frame: frame[12 : frame.index('"', 12)]
    )

    # order -> bytes on wire
    signer = HyperliquidSigner(Secret(BENCH_KEY), is_mainnet=False)
    exec_http = HyperliquidHttpClient(sim.http_url, signer=signer)
    exec_cfg = HyperliquidExecClientConfig(testnet=True, base_url_http=sim.http_url)
    client = HyperliquidExecutionClient(
        loop, exec_http, bus.msgbus, bus.cache, bus.clock, provider, exec_cfg, signer.address
    )
    mid = Decimal(str(sim.state()["markets"]["BTC"]["mid"]))
    orders = await time_orders(bus, client._submit, exec_http, BTC, mid, n_orders)
    resting = sim.call(lambda: len(sim.exchange.open_orders(signer.address)))
    await http.close()
    await exec_http.close()
    return {
        "frame_to_object": frame_stats,
        **orders,
        "orders_resting_on_sim": resting,
        "malformed_frames": data.frame_stats.malformed_count,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from venuesim.fronts.hyperliquid import create
    from venuesim.server import SimThread

    address = Account.from_key(BENCH_KEY).address
    sim = create(accounts=[{"address": address}], tick_secs=None, synthetic_trades=True)
    with SimThread(sim):
        result = asyncio.run(_bench(sim, int(args.frames), int(args.orders)))
    result["venue"] = "hyperliquid"
    result["frames"] = int(args.frames)
    result["orders"] = int(args.orders)
    return result
