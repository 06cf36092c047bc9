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
import statistics
import time
from decimal import Decimal
from typing import Any

import websockets
from eth_account import Account
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.model.identifiers import TraderId

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
    clock = LiveClock()
    msgbus = MessageBus(TraderId("BENCH-001"), clock)
    cache = Cache()
    delivered: list[int] = []
    msgbus.register("DataEngine.process", lambda data: delivered.append(time.perf_counter_ns()))
    msgbus.register("ExecEngine.process", lambda event: None)

    http = HyperliquidHttpClient(sim.http_url)
    provider = HyperliquidInstrumentProvider(http, perp_dexs=["xyz"])
    await provider.initialize()
    for instrument in provider.get_all().values():
        cache.add_instrument(instrument)

    # frame -> object
    data_cfg = HyperliquidDataClientConfig(testnet=True, base_url_http=sim.http_url, stale_feed_secs=None)
    data = HyperliquidDataClient(loop, http, msgbus, cache, clock, provider, data_cfg)
    data._ctx_kinds["BTC"] = {"mark", "index", "funding"}
    frames = await _capture_frames(sim.ws_url, sim, n_frames)
    per_channel: dict[str, list[int]] = {}
    on_frame = data.websocket._on_frame
    for frame in frames:
        channel = frame[12 : frame.index('"', 12)]
        delivered.clear()
        t0 = time.perf_counter_ns()
        on_frame(frame)
        if delivered:
            per_channel.setdefault(channel, []).append(delivered[-1] - t0)
    frame_stats = {c: _pct(v) for c, v in per_channel.items()}
    frame_stats["all"] = _pct([x for v in per_channel.values() for x in v])
    frame_stats["frames_captured"] = len(frames)  # type: ignore[assignment]

    # order -> bytes on wire
    signer = HyperliquidSigner(Secret(BENCH_KEY), is_mainnet=False)
    exec_http = HyperliquidHttpClient(sim.http_url, signer=signer)
    exec_cfg = HyperliquidExecClientConfig(testnet=True, base_url_http=sim.http_url)
    client = HyperliquidExecutionClient(
        loop, exec_http, msgbus, cache, clock, provider, exec_cfg, signer.address
    )
    factory = OrderFactory(TraderId("BENCH-001"), StrategyId("Bench-001"), clock)
    instrument = cache.instrument(BTC)
    mid = Decimal(str(sim.state()["markets"]["BTC"]["mid"]))
    wire_ns: list[int] = []
    ack_ns: list[int] = []
    sent_at: list[int] = []
    exec_http.on_send = lambda body, t: sent_at.append(t)
    for i in range(n_orders):
        # post-only bids 5-10% below the market rest without filling (and exercise tick rounding)
        px = mid * (Decimal("0.90") + Decimal(i % 50) / 1000) + Decimal("0.37")
        order = factory.limit(
            BTC,
            OrderSide.BUY,
            instrument.make_qty(Decimal("0.001")),
            instrument.make_price(px),
            time_in_force=TimeInForce.GTC,
            post_only=True,
        )
        cache.add_order(order)
        sent_at.clear()
        t0 = time.perf_counter_ns()
        await client._submit([order])
        t1 = time.perf_counter_ns()
        if sent_at:
            wire_ns.append(sent_at[0] - t0)
            ack_ns.append(t1 - t0)
    resting = sim.call(lambda: len(sim.exchange.open_orders(signer.address)))
    await http.close()
    await exec_http.close()
    return {
        "frame_to_object": frame_stats,
        "order_to_wire": _pct(wire_ns),
        "order_round_trip_ack": _pct(ack_ns),
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
