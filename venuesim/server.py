"""Running a simulated venue: its front on a loopback port, the price ticker, funding schedule and
the control API.

Control API (JSON over HTTP, mounted on every front's port next to the venue routes):

    GET    /_sim/state                         markets (mid, bbo, funding), accounts, faults, counters
    POST   /_sim/price    {"market", "mid"}    set a market's mid            } engineered
    POST   /_sim/price    {"market", "shift_bps"}  jump by N bps             } dislocations
    POST   /_sim/tick     {"market"?, "n"?}    advance the price path N steps
    POST   /_sim/funding  {"market"?, "rate"?, "settle"?=true}  set a rate and/or settle funding now
    POST   /_sim/faults   {...}                change faults (see venuesim.faults); DELETE resets
    POST   /_sim/ws/drop  {"refuse_ms"?}       drop every WebSocket now
    POST   /_sim/accounts {"address", "collateral"?, "spot"?, ...front extras}  create/fund

The same operations are methods of `VenueSim` (`set_mid`, `shift`, `tick`, `settle_funding`,
`set_faults`, `drop_sockets`, `fund`, `state`); they are safe to call from any thread, which is how
tests drive a simulator that runs in a background thread (`SimThread`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import socket
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.core.exchange import SimExchange
from venuesim.faults import Faults
from venuesim.fronts.base import Front
from venuesim.fronts.base import json_response


def on_loop(method: Callable) -> Callable:
    """Run a VenueSim method on the simulator's loop thread, waiting for its result."""

    @functools.wraps(method)
    def wrapper(self: VenueSim, *args, **kwargs):
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            return method(self, *args, **kwargs)
        fut: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                result = method(self, *args, **kwargs)
                if asyncio.iscoroutine(result):
                    task = loop.create_task(result)
                    task.add_done_callback(
                        lambda t: (
                            fut.set_exception(t.exception()) if t.exception() else fut.set_result(t.result())
                        )
                    )
                else:
                    fut.set_result(result)
            except BaseException as e:
                fut.set_exception(e)

        loop.call_soon_threadsafe(run)
        return fut.result(timeout=30)

    return wrapper


class VenueSim:
    def __init__(
        self,
        exchange: SimExchange,
        front: Callable[[VenueSim], Front],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tick_secs: float | None = 0.5,
        funding_secs: float | None = None,
        seed: int = 11,
    ) -> None:
        self.exchange = exchange
        self.faults = Faults(exchange.faults, seed=seed)
        self.host = host
        self.port = port
        self.tick_secs = tick_secs
        self.funding_secs = funding_secs
        self.front = front(self)
        exchange.add_listener(self.front.on_event)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    @property
    def venue(self) -> str:
        return self.front.name

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}{self.front.ws_path()}"

    def urls(self) -> dict[str, str]:
        return {"http": self.http_url, "ws": self.ws_url, "control": f"{self.http_url}/_sim/state"}

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        app = self.front.build_app()
        self._control_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))  # port 0: the OS picks a free port (parallel tests never collide)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        if self.tick_secs:
            self._tasks.append(self._loop.create_task(self._every(self.tick_secs, self.exchange.tick)))
        if self.funding_secs:
            self._tasks.append(
                self._loop.create_task(self._every(self.funding_secs, self.exchange.settle_funding))
            )

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()
        await self.front.drop_sockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _every(self, seconds: float, action: Callable[[], Any]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                action()
            except Exception as e:  # a rehearsal must not die on one bad step
                print(f"venuesim: periodic {getattr(action, '__name__', action)} failed: {e}")

    # -- control operations (any thread) ---------------------------------------------------------
    @on_loop
    def set_mid(self, market: str, mid: Decimal | str | float) -> None:
        self.exchange.set_mid(market, Decimal(str(mid)))

    @on_loop
    def shift(self, market: str, bps: float) -> None:
        self.exchange.shift(market, float(bps))

    @on_loop
    def tick(self, market: str | None = None, n: int = 1) -> None:
        for _ in range(n):
            self.exchange.tick(market)

    @on_loop
    def settle_funding(self, market: str | None = None, rate: Decimal | str | None = None) -> int:
        return len(self.exchange.settle_funding(market, None if rate is None else Decimal(str(rate))))

    @on_loop
    def set_funding_rate(self, market: str, rate: Decimal | str) -> None:
        self.exchange.set_funding_rate(market, Decimal(str(rate)))

    @on_loop
    def set_faults(self, **values: Any) -> None:
        self.faults.update(values)

    @on_loop
    def reset_faults(self) -> None:
        self.faults.reset()

    @on_loop
    def drop_sockets(self, refuse_ms: int = 0):
        return self.front.drop_sockets(refuse_ms)

    @on_loop
    def fund(self, address: str, **body: Any) -> dict[str, Any]:
        return self.front.control_account({"address": address, **body})

    @on_loop
    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run any function on the simulator thread (inspect or mutate the core safely)."""
        return fn(*args)

    @on_loop
    def state(self) -> dict[str, Any]:
        markets = {}
        for key, m in self.exchange.markets.items():
            bid, ask = self.exchange.best_bid_ask(key)
            markets[key] = {
                "kind": m.spec.kind,
                "mid": str(m.mid),
                "bid": str(bid) if bid is not None else None,
                "ask": str(ask) if ask is not None else None,
                "mark": str(m.mark),
                "oracle": str(m.oracle),
                "funding_rate": str(m.funding_rate) if m.spec.kind == "perp" else None,
                "resting_orders": len(m.bids) + len(m.asks),
            }
        accounts = {
            a.address: {
                "collateral": {g: str(v) for g, v in a.collateral.items()},
                "spot": {t: str(v) for t, v in a.spot.items()},
                "positions": {k: str(p.szi) for k, p in a.positions.items() if p.szi},
            }
            for a in self.exchange.accounts.values()
        }
        return {
            "venue": self.venue,
            "urls": self.urls(),
            "markets": markets,
            "accounts": accounts,
            "faults": self.faults.as_dict(),
            "requests": self.front.requests,
            "sockets": len(self.front.sockets),
            **self.front.describe(),
        }

    # -- HTTP control routes ---------------------------------------------------------------------
    def _control_routes(self, app: web.Application) -> None:
        async def body(request: web.Request) -> dict[str, Any]:
            if not request.can_read_body:
                return {}
            return await request.json()

        def guarded(fn):
            async def handler(request: web.Request) -> web.Response:
                try:
                    result = fn(await body(request))
                    if asyncio.iscoroutine(result):
                        result = await result
                    return json_response({"ok": True, "result": result})
                except (KeyError, ValueError, TypeError) as e:
                    return json_response({"ok": False, "error": f"{type(e).__name__}: {e}"}, status=400)

            return handler

        def price(b: dict[str, Any]):
            if "mid" in b:
                self.exchange.set_mid(b["market"], Decimal(str(b["mid"])))
            elif "shift_bps" in b:
                self.exchange.shift(b["market"], float(b["shift_bps"]))
            else:
                raise ValueError("give 'mid' or 'shift_bps'")
            return {"mid": str(self.exchange.market(b["market"]).mid)}

        def tick(b: dict[str, Any]):
            for _ in range(int(b.get("n", 1))):
                self.exchange.tick(b.get("market"))

        def funding(b: dict[str, Any]):
            rate = b.get("rate")
            if not b.get("settle", True):
                self.exchange.set_funding_rate(b["market"], Decimal(str(rate)))
                return {"settled": 0}
            entries = self.exchange.settle_funding(
                b.get("market"), None if rate is None else Decimal(str(rate))
            )
            return {"settled": len(entries)}

        def faults(b: dict[str, Any]):
            self.faults.update(b)
            return self.faults.as_dict()

        app.router.add_get("/_sim/state", guarded(lambda b: self.state()))
        app.router.add_post("/_sim/price", guarded(price))
        app.router.add_post("/_sim/tick", guarded(tick))
        app.router.add_post("/_sim/funding", guarded(funding))
        app.router.add_post("/_sim/faults", guarded(faults))
        app.router.add_delete("/_sim/faults", guarded(lambda b: self.faults.reset()))
        app.router.add_post(
            "/_sim/ws/drop", guarded(lambda b: self.front.drop_sockets(int(b.get("refuse_ms", 0))))
        )
        app.router.add_post("/_sim/accounts", guarded(self.front.control_account))


class SimThread:
    """Run simulators on a background thread with their own event loop (tests, notebooks, the CLI
    next to a TradingNode). Use as a context manager."""

    def __init__(self, *sims: VenueSim) -> None:
        self.sims = list(sims)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="venuesim", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def boot() -> None:
            for s in self.sims:
                await s.start()

        try:
            self._loop.run_until_complete(boot())
        except BaseException as e:
            self._error = e
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    def start(self) -> SimThread:
        self._thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise RuntimeError(f"venuesim failed to start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def shutdown() -> None:
            for s in self.sims:
                await s.stop()

        fut = asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        with contextlib.suppress(Exception):
            fut.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> SimThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
