"""Harness for node tests: a Hyperliquid venuesim with a spot and a perp of BTC, nodes run as real
`arb live|sandbox run` processes (signals, restarts and kills are real), Redis, and an HTTP receiver
for notifications. Conditions are polled on the node's output and the simulator's state."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web
from eth_account import Account
from hl_support import TIMEOUT_SCALE

from venuesim.core.pricepath import PricePath
from venuesim.fronts.hyperliquid import DEFAULT_MARKETS
from venuesim.fronts.hyperliquid import create
from venuesim.server import SimThread

KEY = "0x" + "4c" * 32  # throwaway: it exists only on the local simulator
ADDRESS = Account.from_key(KEY).address.lower()
PERP, SPOT = "BTC", "UBTC/USDC"
PERP_ID, SPOT_ID = "BTC-USD-PERP.HYPERLIQUID", "UBTC-USDC-SPOT.HYPERLIQUID"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def hl_sim(vol_bps: float = 0.2, **kwargs: Any):
    """BTC perp and UBTC spot at the same price, each wandering a little (so quotes keep coming)."""
    markets = [*DEFAULT_MARKETS, {"coin": SPOT, "kind": "spot", "sz_decimals": 5, "price": "65000"}]
    paths = {
        PERP: PricePath(Decimal("65000"), vol_bps=vol_bps, seed=1),
        SPOT: PricePath(Decimal("65000"), vol_bps=vol_bps, seed=2),
    }
    sim = create(markets=markets, accounts=[{"address": ADDRESS}], tick_secs=0.1, paths=paths, **kwargs)
    with SimThread(sim):
        yield sim


def toml_value(v: Any) -> str:
    if v is None:
        return '"none"'  # how our configs say "off"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def write_toml(path: Path, doc: dict[str, Any]) -> Path:
    lines: list[str] = []
    for section, body in doc.items():
        if section == "strategies":
            for strategy in body:
                lines.append("[[strategies]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in strategy.items()]
        elif section == "venues":
            for venue, settings in body.items():
                lines.append(f"[venues.{venue}]")
                lines += [f"{k} = {toml_value(v)}" for k, v in settings.items()]
        else:
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in body.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def node_config(tmp: Path, sim, strategy: dict[str, Any], name: str = "test", **node: Any) -> dict[str, Any]:
    venue = {
        "testnet": True,
        "base_url_http": sim.http_url,
        "perp_dexs": ["xyz"],
        "stale_feed_secs": 30.0,
        "balance": "100000",
        "latency_ms": 10,
    }
    venue.update(node.pop("venue", {}))
    doc: dict[str, Any] = {
        "node": {
            "name": name,
            "log_dir": str(tmp / "logs"),
            "results": str(tmp / "sessions"),
            "status_interval_s": 2.0,
            "equity_every_s": 0.05,
            "stop_timeout_s": 20.0,
            **node.pop("node", {}),
        },
        "venues": {"HYPERLIQUID": venue},
    }
    if "notify" in node:
        doc["notify"] = node.pop("notify")
    doc["strategies"] = [strategy]
    return doc


def scalp_spot_perp(**overrides: Any) -> dict[str, Any]:
    s = {
        "kind": "scalp",
        "name": "scalp",
        "quantity": "0.01",
        "warmup": 5,
        "window": 30,
        "trigger_update_samples": 1,
        "sample_interval_ms": 200,
        "entry_bps": 10.0,
        "trigger_k_bps": 5.0,
        "heartbeat_minutes": 0,
        "max_hold_s": 600.0,
        "pairs": [{"asset": "BTC", "venues": ["HYPERLIQUID:spot", "HYPERLIQUID:perp"]}],
    }
    s.update(overrides)
    return s


class NodeProcess:
    """`arb <mode> run CONFIG` in a child process; its output goes to a file we can poll."""

    def __init__(
        self,
        config: Path,
        mode: str,
        out: Path,
        duration: float | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.out = out
        args = [sys.executable, "-m", "arb", mode, "run", str(config)]
        if duration is not None:
            args += ["--duration", str(duration)]
        full_env = {**os.environ, "HYPERLIQUID_TESTNET_PRIVATE_KEY": KEY, **(env or {})}
        self._fh = out.open("w")
        self.proc = subprocess.Popen(
            args, stdout=self._fh, stderr=subprocess.STDOUT, env=full_env, start_new_session=True
        )

    def text(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 60.0, after: int = 0) -> re.Match:
        timeout *= TIMEOUT_SCALE
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            m = rx.search(self.text(), after)
            if m:
                return m
            if self.proc.poll() is not None:
                m = rx.search(self.text(), after)
                if m:
                    return m
                raise AssertionError(
                    f"node exited ({self.proc.returncode}) before /{pattern}/:\n{self.text()[-4000:]}"
                )
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for /{pattern}/:\n{self.text()[-4000:]}")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 60.0) -> int:
        """A graceful stop (SIGTERM, as an operator would), then the exit code."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait(timeout * TIMEOUT_SCALE)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._fh.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._fh.close()


def session_dir(tmp: Path) -> Path:
    sessions = sorted((tmp / "sessions").glob("*"))
    assert sessions, "the node wrote no session results"
    return sessions[-1]


def sim_positions(sim) -> dict[str, Decimal]:
    """Signed perp positions and spot balances (other than USDC) the simulator holds for our account."""

    def read(ex):
        acct = ex.accounts.get(ADDRESS)
        out: dict[str, Decimal] = {}
        if acct is None:
            return out
        for market, pos in acct.positions.items():
            if pos.szi != 0:
                out[market] = pos.szi
        for token, amount in acct.spot.items():
            if token != "USDC" and amount != 0:
                out[token] = amount
        return out

    return sim.call(read, sim.exchange)


def sim_fills(sim) -> list[Any]:
    """The simulator's own record of our fills, oldest first."""
    return sim.call(
        lambda ex: list(ex.accounts[ADDRESS].fills) if ADDRESS in ex.accounts else [], sim.exchange
    )


@contextlib.contextmanager
def redis_server(tmp: Path):
    exe = shutil.which("redis-server")
    if exe is None:
        import pytest

        pytest.skip("redis-server is not installed (.ci/run installs it from Debian packages)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class Receiver:
    """An HTTP endpoint on loopback that records the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []  # what arrived at /hook (the generic webhook)
        self.posts: list[tuple[str, dict[str, Any]]] = []  # every POST: (path, body)
        self.port = free_port()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        import asyncio

        async def hook(request: web.Request) -> web.Response:
            body = await request.json()
            if request.path == "/hook":
                self.bodies.append(body)
            self.posts.append((request.path, body))
            return web.json_response({"ok": True})

        async def main() -> None:
            app = web.Application()
            app.router.add_post("/{tail:.*}", hook)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            self._started.set()
            while True:
                await asyncio.sleep(3600)

        asyncio.run(main())

    def __enter__(self) -> Receiver:
        self._thread.start()
        self._started.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        pass
