"""Live and sandbox node configuration (TOML), validated before anything starts.

[node]
name = "nvda-scalp"
trader_id = "ARB-001"
log_dir = "var/logs"            # log files, rotated daily
log_level = "INFO"
state = "redis://127.0.0.1:6379/0"  # optional: Redis-backed cache, for restart safety
flatten_on_stop = true          # SIGINT/SIGTERM closes pairs leg by leg before stopping
stop_timeout_s = 60             # how long a graceful stop may take before stopping anyway
orphan_policy = "flatten"       # an unpaired leg found at start: "flatten" or "rehedge"
status_interval_s = 30          # the console status line
equity_every_s = 60             # marked-to-market equity per venue in the session results (0 = off)
registry = "my.toml"            # optional registry layered over the package one

[venues.HYPERLIQUID]            # adapter settings (see live/venues.py) + sandbox settings
testnet = true
base_url_http = "http://127.0.0.1:8080"
balance = "100000"              # sandbox only

[notify]                        # optional
webhook_url = "http://..."      # generic JSON POST
telegram_token_env = "TELEGRAM_BOT_TOKEN"
telegram_chat_id = "12345"
discord_webhook_env = "DISCORD_WEBHOOK_URL"
events = ["entry", "exit", "orphan", "kill_switch", "disconnect"]

[[strategies]]                  # exactly as in backtest configs
kind = "scalp"
...
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import msgspec

from backtests.config import ConfigError
from backtests.config import StrategyEntry
from backtests.config import _choice
from backtests.config import _convert
from backtests.config import load_registry
from backtests.config import parse_strategies
from backtests.config import strategy_instruments
from catalog.registry import Registry
from live.venues import SANDBOX_SETTINGS
from live.venues import VENUE_ADAPTERS
from live.venues import VenueAdapter

EVENTS = ("entry", "exit", "orphan", "kill_switch", "disconnect", "emergency", "start", "stop")
MODES = ("live", "sandbox")


class NodeSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    name: str = "arb"
    trader_id: str = "ARB-001"
    log_dir: str = "var/logs"
    log_level: str = "INFO"
    state: str | None = None
    flatten_on_stop: bool = True
    stop_timeout_s: float = 60.0
    orphan_policy: str = "flatten"
    status_interval_s: float = 30.0
    equity_every_s: float = 60.0  # marked-to-market equity per venue into the session's results; 0 = off
    registry: str | None = None
    reconciliation_lookback_mins: int | None = 1440
    results: str = "var/live"  # each run writes <results>/<name>-<UTC time>/ when it stops


class NotifySection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    webhook_url: str | None = None
    telegram_token_env: str | None = None
    telegram_chat_id: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    discord_webhook_env: str | None = None
    events: list[str] = msgspec.field(default_factory=lambda: list(EVENTS))
    timeout_s: float = 5.0


@dataclass(frozen=True)
class VenueSettings:
    name: str
    adapter: VenueAdapter | None
    adapter_settings: dict[str, Any]
    balance: str
    leverage: float
    latency_ms: float | None
    funding_every_s: float | None


@dataclass(frozen=True)
class NodeRunConfig:
    node: NodeSection
    venues: dict[str, VenueSettings]
    notify: NotifySection | None
    strategies: tuple[StrategyEntry, ...]
    registry: Registry
    source: dict[str, Any]
    path: Path | None = None

    @property
    def redis(self) -> tuple[str, int, int] | None:
        if not self.node.state:
            return None
        url = urlparse(self.node.state)
        return url.hostname or "127.0.0.1", url.port or 6379, int((url.path or "/0").strip("/") or 0)


def load_node_config(path: str | Path, mode: str) -> NodeRunConfig:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file not found: {p}")
    try:
        raw = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    return parse_node_config(raw, mode, path=p)


def parse_node_config(raw: dict[str, Any], mode: str, path: Path | None = None) -> NodeRunConfig:
    _choice(mode, MODES, "mode")
    sections = {"node", "venues", "notify", "strategies"}
    unknown = set(raw) - sections
    if unknown:
        raise ConfigError(f"unknown section '{sorted(unknown)[0]}' (allowed: {', '.join(sorted(sections))})")
    node = _convert(raw.get("node", {}), NodeSection, "node")
    _choice(node.log_level, ("DEBUG", "INFO", "WARNING", "ERROR"), "node.log_level")
    _choice(node.orphan_policy, ("flatten", "rehedge"), "node.orphan_policy")
    for key in ("status_interval_s", "equity_every_s"):
        if getattr(node, key) < 0:
            raise ConfigError(
                f"node.{key}: must be >= 0 seconds (0 turns it off), got {getattr(node, key):g}"
            )
    if node.state is not None and urlparse(node.state).scheme != "redis":
        raise ConfigError(
            f"node.state: '{node.state}' is not a redis:// URL (the only state store supported)"
        )
    registry = load_registry(node.registry, "node.registry")

    venues_raw = raw.get("venues") or {}
    if not venues_raw:
        raise ConfigError(
            f"missing section [venues.<NAME>] (venues with an adapter: {', '.join(sorted(VENUE_ADAPTERS))})"
        )
    venues = {}
    for name, body in venues_raw.items():
        where = f"venues.{name}"
        _choice(name, sorted(registry.venues), where)
        if name not in VENUE_ADAPTERS:
            raise ConfigError(
                f"{where}: no live adapter for {name} yet (venues with an adapter: {', '.join(sorted(VENUE_ADAPTERS))})"
            )
        adapter = VENUE_ADAPTERS[name]()
        allowed = {**adapter.settings, **SANDBOX_SETTINGS}
        for key in body:
            if key not in allowed:
                raise ConfigError(f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
        settings = {k: v for k, v in body.items() if k in adapter.settings}
        try:
            adapter.data_config(settings)
            adapter.exec_config(settings)
        except (TypeError, ValueError, msgspec.ValidationError) as e:
            raise ConfigError(f"{where}: {e}") from None
        venues[name] = VenueSettings(
            name=name,
            adapter=adapter,
            adapter_settings=settings,
            balance=str(body.get("balance", "100000")),
            leverage=float(body.get("leverage", 5)),
            latency_ms=float(body["latency_ms"]) if "latency_ms" in body else None,
            funding_every_s=float(body["funding_every_s"]) if "funding_every_s" in body else None,
        )

    notify = _convert(raw["notify"], NotifySection, "notify") if "notify" in raw else None
    if notify is not None:
        for i, event in enumerate(notify.events):
            _choice(event, EVENTS, f"notify.events[{i}]")
        if notify.telegram_token_env and not notify.telegram_chat_id:
            raise ConfigError("notify.telegram_chat_id: required with telegram_token_env")

    strategies = parse_strategies(raw.get("strategies") or [], registry)
    strategy_instruments(strategies, venues, registry)
    return NodeRunConfig(node, venues, notify, tuple(strategies), registry, raw, path)
