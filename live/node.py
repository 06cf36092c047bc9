"""Build and run a live or sandbox `TradingNode` from a node config.

The strategies are the backtest ones, unchanged; only the node differs:

* live: each venue's data and execution clients (`live/venues.py`);
* sandbox: each venue's live data client, and our `ArbSandboxExecutionClient` (Nautilus's simulated
  execution plus registry fees, latency and funding settlement) in place of its execution client.

Shutdown: the first SIGINT/SIGTERM stops entries, cancels working orders and, with
`flatten_on_stop`, closes every pair leg by leg (less liquid leg first), then stops the node once
the strategies are flat (or after `stop_timeout_s`). A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from nautilus_trader.cache.config import CacheConfig
from nautilus_trader.common.config import DatabaseConfig
from nautilus_trader.common.config import ImportableActorConfig
from nautilus_trader.config import LiveExecEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.trading.config import ImportableStrategyConfig

from live.config import NodeRunConfig
from live.sandbox import SandboxLiveExecClientFactory
from live.sandbox import sandbox_config
from strategies.base import PairStrategy


def _instruments(cfg: NodeRunConfig) -> list[list[str]]:
    return [entry.kind.instruments(entry.config, cfg.registry) for entry in cfg.strategies]


def build_node_config(cfg: NodeRunConfig, mode: str) -> TradingNodeConfig:
    node = cfg.node
    data_clients: dict[str, Any] = {}
    exec_clients: dict[str, Any] = {}
    instruments = [i for ids in _instruments(cfg) for i in ids]
    for name, venue in cfg.venues.items():
        assert venue.adapter is not None
        data_clients[name] = venue.adapter.data_config(venue.adapter_settings)
        if mode == "live":
            exec_clients[name] = venue.adapter.exec_config(venue.adapter_settings)
        else:
            spec = cfg.registry.venue(name)
            spot = [
                i
                for i in instruments
                if i.endswith(f".{name}") and (m := cfg.registry.find_market(i)) and m.kind == "spot"
            ]
            exec_clients[name] = sandbox_config(
                venue=name,
                balance=venue.balance,
                currency=spec.settlement_currency,
                leverage=venue.leverage,
                latency_ms=venue.latency_ms if venue.latency_ms is not None else spec.latency_ms,
                funding_every_s=venue.funding_every_s,
                registry_path=node.registry,
                spot_ids=spot,
            )
    # Each instrument is claimed by the first strategy trading it: positions a restart finds on the
    # venue are then that strategy's, not "external" ones nobody manages.
    claimed: set[str] = set()
    strategies = []
    for entry, ids in zip(cfg.strategies, _instruments(cfg), strict=True):
        claims = [i for i in ids if i not in claimed]
        claimed.update(claims)
        config = {**entry.config.dict(), "external_order_claims": claims}
        strategies.append(
            ImportableStrategyConfig(
                strategy_path=entry.kind.strategy_path,
                config_path=f"{type(entry.config).__module__}:{type(entry.config).__name__}",
                config=config,
            )
        )
    actors = [
        ImportableActorConfig(
            actor_path="live.ops:StatusLine",
            config_path="live.ops:StatusConfig",
            config={
                "node": node.name,
                "interval_s": node.status_interval_s,
                "venues": sorted(cfg.venues),
                "component_id": "StatusLine",
            },
        )
    ]
    if node.equity_every_s > 0:
        actors.append(
            ImportableActorConfig(
                actor_path="backtests.equity:EquityRecorder",
                config_path="backtests.equity:EquityRecorderConfig",
                config={
                    "venues": sorted(cfg.venues),
                    "interval_s": node.equity_every_s,
                    "component_id": "EquityRecorder",
                },
            )
        )
    if cfg.notify is not None:
        n = cfg.notify
        actors.append(
            ImportableActorConfig(
                actor_path="live.ops:Notifier",
                config_path="live.ops:NotifierConfig",
                config={
                    "node": node.name,
                    "webhook_url": n.webhook_url,
                    "telegram_token_env": n.telegram_token_env,
                    "telegram_chat_id": n.telegram_chat_id,
                    "telegram_api_url": n.telegram_api_url,
                    "discord_webhook_env": n.discord_webhook_env,
                    "events": list(n.events),
                    "timeout_s": n.timeout_s,
                    "component_id": "Notifier",
                },
            )
        )
    redis = cfg.redis
    cache = None
    if redis is not None:
        host, port, _db = redis
        cache = CacheConfig(
            database=DatabaseConfig(type="redis", host=host, port=port),
            use_instance_id=False,
            flush_on_start=False,
        )
    Path(node.log_dir).mkdir(parents=True, exist_ok=True)
    return TradingNodeConfig(
        trader_id=node.trader_id,
        logging=LoggingConfig(
            log_level=node.log_level, log_level_file="INFO", log_directory=node.log_dir, log_colors=False
        ),
        cache=cache,
        data_clients=data_clients,
        exec_clients=exec_clients,
        exec_engine=LiveExecEngineConfig(
            reconciliation=True,
            reconciliation_lookback_mins=node.reconciliation_lookback_mins,
            inflight_check_interval_ms=2_000,
            open_check_interval_secs=10.0,
        ),
        strategies=strategies,
        actors=actors,
        load_state=redis is not None,
        save_state=redis is not None,
        timeout_connection=30.0,
        timeout_reconciliation=15.0,
        timeout_portfolio=10.0,
        timeout_disconnection=5.0,
        timeout_post_stop=2.0,
    )


def build_node(cfg: NodeRunConfig, mode: str, loop: asyncio.AbstractEventLoop | None = None) -> TradingNode:
    node = TradingNode(config=build_node_config(cfg, mode), loop=loop)
    for name, venue in cfg.venues.items():
        assert venue.adapter is not None
        node.add_data_client_factory(name, venue.adapter.data_factory)
        node.add_exec_client_factory(
            name, venue.adapter.exec_factory if mode == "live" else SandboxLiveExecClientFactory
        )
    node.build()
    for strategy in node.trader.strategies():
        if isinstance(strategy, PairStrategy):
            strategy.reconcile_on_start = True
            strategy.orphan_policy = cfg.node.orphan_policy
    return node


class GracefulShutdown:
    """First signal: stop entering, cancel, flatten leg by leg (if configured), then stop. Second: now."""

    def __init__(self, node: TradingNode, cfg: NodeRunConfig, mode: str = "live") -> None:
        self.node = node
        self.cfg = cfg
        self.mode = mode
        self.session_dir: Path | None = None
        self.signals = 0
        self._task: asyncio.Task | None = None

    def strategies(self) -> list[PairStrategy]:
        return [s for s in self.node.trader.strategies() if isinstance(s, PairStrategy)]

    def on_signal(self, sig: int | None = None) -> None:
        self.signals += 1
        log = self.node.kernel.logger
        if self.signals > 1:
            log.warning("second stop signal: stopping now, without waiting for positions to close")
            self.node.stop()
            self.node.kernel.loop.call_later(10.0, lambda: os._exit(130))
            return
        name = signal.Signals(sig).name if sig else "duration reached"
        log.warning(
            f"{name}: stopping entries, cancelling orders"
            + (", closing pairs leg by leg" if self.cfg.node.flatten_on_stop else "")
        )
        self._task = self.node.kernel.loop.create_task(self._stop())

    async def _stop(self) -> None:
        log = self.node.kernel.logger
        try:
            await self._wind_down()
        except Exception as e:  # the node must stop whatever went wrong on the way
            log.error(
                f"graceful stop failed ({type(e).__name__}: {e}): stopping now\n{traceback.format_exc()}"
            )
        try:
            self.session_dir = write_session(self.node, self.cfg, self.mode)
        except Exception as e:
            log.error(
                f"could not write the session results ({type(e).__name__}: {e})\n{traceback.format_exc()}"
            )
        await self.node.stop_async()

    async def _wind_down(self) -> None:
        for strategy in self.strategies():
            if strategy.is_running:
                strategy.begin_shutdown(flatten=self.cfg.node.flatten_on_stop)
        if not self.cfg.node.flatten_on_stop:
            return
        deadline = self.node.kernel.loop.time() + self.cfg.node.stop_timeout_s
        while self.node.kernel.loop.time() < deadline:
            if all(s.is_flat() for s in self.strategies()):
                return
            await asyncio.sleep(0.2)
        open_legs = {
            str(p.instrument_id): str(p.signed_decimal_qty()) for p in self.node.cache.positions_open()
        }
        self.node.kernel.logger.error(
            f"positions still open after {self.cfg.node.stop_timeout_s}s: stopping anyway ({open_legs})"
        )


def run_node(cfg: NodeRunConfig, mode: str, duration_s: float | None = None) -> int:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node = build_node(cfg, mode, loop)
    shutdown = GracefulShutdown(node, cfg, mode)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown.on_signal, sig)  # replaces Nautilus's immediate stop
    if duration_s is not None:
        loop.call_later(duration_s, shutdown.on_signal, None)
    try:
        node.run()
    finally:
        with contextlib.suppress(Exception):
            node.dispose()
    return 0 if shutdown.signals <= 1 else 130


def write_session(node: TradingNode, cfg: NodeRunConfig, mode: str) -> Path:
    """What the strategies did in this run, like a backtest's results folder (strategy tables and a
    summary), so live and sandbox sessions are analysed with the same tools."""
    import json

    import pandas as pd

    from backtests.equity import EquityRecorder
    from backtests.results import versions
    from backtests.results import write_table

    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%S")
    out = Path(cfg.node.results) / f"{cfg.node.name}-{mode}-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    summaries = {}
    frames: dict[str, list] = {}
    for strategy in node.trader.strategies():
        if isinstance(strategy, PairStrategy):
            summaries[strategy.id.value] = strategy.results_summary()
    for component in [*node.trader.strategies(), *node.trader.actors()]:
        if isinstance(component, EquityRecorder):
            component.sample(component.clock.timestamp_ns())  # the session's last state
        tables = getattr(component, "results_tables", None)
        if callable(tables):
            for name, df in tables().items():
                if not df.empty:
                    frames.setdefault(name, []).append(df.assign(strategy_id=component.id.value))
    for name, dfs in frames.items():
        write_table(pd.concat(dfs, ignore_index=True), out / f"{name}.parquet")
    summary = {
        "name": cfg.node.name,
        "mode": mode,
        "trader_id": cfg.node.trader_id,
        "config": cfg.source,
        "strategies": summaries,
        "versions": versions(),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    node.kernel.logger.info(f"session results: {out}")
    return out


def dry_run(cfg: NodeRunConfig, mode: str, out=sys.stdout) -> int:
    """What would run: venues, credentials (present/absent, never their values), strategies and
    the instruments they trade, state store, notifications, logs."""
    say = lambda text: print(text, file=out)  # noqa: E731
    say(f"{mode} node '{cfg.node.name}' (trader {cfg.node.trader_id})")
    for name, venue in cfg.venues.items():
        assert venue.adapter is not None
        say(
            f"  venue {name}: data {venue.adapter.data_factory.__name__}, execution "
            + (
                venue.adapter.exec_factory.__name__
                if mode == "live"
                else "sandbox (simulated fills, registry fees, funding settlement)"
            )
        )
        for key, value in sorted(venue.adapter_settings.items()):
            say(f"    {key} = {value!r}")
        if mode == "live":
            for env in venue.adapter.secrets(venue.adapter_settings):
                var = env.split(" ")[0]
                say(f"    credential {env}: {'present' if os.environ.get(var) else 'absent'}")
        else:
            say(f"    sandbox balance {venue.balance}, leverage {venue.leverage}")
    for entry, ids in zip(cfg.strategies, _instruments(cfg), strict=True):
        say(f"  strategy {entry.name} ({entry.kind.name}): {', '.join(ids)}")
    say(f"  state: {cfg.node.state or 'in memory (a restart cannot recognise open pairs)'}")
    if cfg.notify is not None:
        channels = [
            c
            for c, on in (
                ("webhook", cfg.notify.webhook_url),
                ("telegram", cfg.notify.telegram_token_env),
                ("discord", cfg.notify.discord_webhook_env),
            )
            if on
        ]
        say(f"  notifications: {', '.join(channels) or 'none'} on {', '.join(cfg.notify.events)}")
    say(f"  logs: {cfg.node.log_dir} (rotated daily)")
    say(
        f"  on stop: {'close pairs leg by leg' if cfg.node.flatten_on_stop else 'leave positions open'}; orphans at start: {cfg.node.orphan_policy}"
    )
    return 0
