"""Backtest run configuration (TOML) and its validation.

Everything is checked before a run starts; an error names the field (as `section.key`) and, where
there is a fixed set, the allowed values.

    [backtest]
    name = "demo"                 # results sub-folder prefix
    catalog = "var/catalog"       # Parquet catalog (relative paths: to the current directory)
    results = "var/results"       # where result folders go
    start = "2025-03-03T00:00Z"   # optional, default: start of the catalog data
    end = "2025-03-05T00:00Z"     # optional, default: end of the catalog data
    chunk_size = 200000           # rows streamed per chunk (memory stays flat)
    log_level = "WARNING"
    registry = "my.toml"          # optional registry file layered over the package one
    equity_every_s = 300          # marked-to-market equity sample per venue (results table `equity`); 0 = off

    [venues.HYPERLIQUID]          # one table per simulated venue
    balance = "100000"            # starting balance in the venue's settlement currency
    leverage = 5
    latency_ms = 60               # default: the registry's figure for the venue
    book_type = "L1_MBP"

    [data]
    assets = ["BTC"]              # optional filter; default: what the strategies need
    types = ["quotes", "funding"]

    [[strategies]]
    kind = "scalp"                # see `arb backtest kinds`
    name = "scalp-btc"
    ...                           # the kind's own settings
"""

from __future__ import annotations

import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd
from nautilus_trader.config import StrategyConfig

from catalog.registry import Registry
from catalog.registry import RegistryError
from catalog.registry import default_registry
from strategies.kinds import StrategyKind
from strategies.kinds import own_fields
from strategies.kinds import strategy_kinds

BOOK_TYPES = ("L1_MBP", "L2_MBP", "L3_MBO")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "OFF")
DATA_TYPES = {
    "quotes": "quote_tick",
    "trades": "trade_tick",
    "funding": "funding_rate_update",
    "depth10": "order_book_depth10",
    "book": "order_book_delta",
    "mark": "mark_price_update",
}


class ConfigError(ValueError):
    """An invalid run configuration. The message names the field and the allowed values."""


class BacktestSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    name: str = "backtest"
    catalog: str
    results: str = "var/results"
    start: str | None = None
    end: str | None = None
    chunk_size: int = 200_000
    log_level: str = "WARNING"
    registry: str | None = None
    progress: bool = True
    equity_every_s: float = 300.0  # marked-to-market equity sampling (simulated seconds); 0 = off


class VenueSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    balance: str = "100000"
    leverage: float = 5.0
    latency_ms: float | None = None
    book_type: str = "L1_MBP"


class DataSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    assets: list[str] | None = None
    instruments: list[str] = []
    types: list[str] = msgspec.field(default_factory=lambda: ["quotes", "funding"])


@dataclass(frozen=True)
class StrategyEntry:
    kind: StrategyKind
    name: str
    config: StrategyConfig
    raw: dict[str, Any]

    @property
    def order_id_tag(self) -> str:
        return self.config.order_id_tag or ""


@dataclass(frozen=True)
class RunConfig:
    backtest: BacktestSection
    venues: dict[str, VenueSection]
    data: DataSection
    strategies: tuple[StrategyEntry, ...]
    registry: Registry
    source: dict[str, Any]
    path: Path | None = None

    @property
    def start_ns(self) -> int | None:
        return pd.Timestamp(self.backtest.start).value if self.backtest.start else None

    @property
    def end_ns(self) -> int | None:
        return pd.Timestamp(self.backtest.end).value if self.backtest.end else None


# -- error messages ------------------------------------------------------------------------------
_PATH_SEG = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+|\.\.\.)\]")


def _struct_at(tp: Any, path: str) -> Any:
    """The msgspec Struct type found at a msgspec error path like `$.pairs[0]`."""
    for name, _index in _PATH_SEG.findall(path):
        tp = _unwrap(tp)
        if name:
            hints = typing.get_type_hints(tp)
            tp = hints.get(name)
        else:
            args = typing.get_args(_unwrap_optional(tp))
            tp = args[-1] if args else None
        if tp is None:
            return None
    return _unwrap(tp)


def _unwrap_optional(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType", None)) and args:
        return args[0]
    return tp


def _unwrap(tp: Any) -> Any:
    tp = _unwrap_optional(tp)
    return tp


def _fields_of(tp: Any) -> list[str]:
    if isinstance(tp, type) and issubclass(tp, StrategyConfig):
        return own_fields(tp)
    return list(getattr(tp, "__struct_fields__", ()))


def _none_tokens(raw: Any) -> Any:
    """TOML has no null: `"none"` turns an optional setting off (e.g. `flash_crash_pct = "none"`)."""
    if isinstance(raw, str) and raw.lower() == "none":
        return None
    if isinstance(raw, dict):
        return {k: _none_tokens(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_none_tokens(v) for v in raw]
    return raw


def _convert(raw: Any, tp: type, where: str) -> Any:
    raw = _none_tokens(raw)
    try:
        return msgspec.convert(raw, tp, strict=False)
    except msgspec.ValidationError as e:
        msg = str(e)
        m = re.match(r"(.*) - at `\$(.*)`$", msg)
        text, path = (m.group(1), m.group(2)) if m else (msg, "")
        field_path = where + path.replace("[...]", "")
        unknown = re.match(r"Object contains unknown field `(.+)`", text)
        if unknown:
            allowed = _fields_of(_struct_at(tp, "$" + path))
            raise ConfigError(
                f"{field_path}: unknown key '{unknown.group(1)}' (allowed: {', '.join(sorted(allowed))})"
            ) from None
        missing = re.match(r"Object missing required field `(.+)`", text)
        if missing:
            raise ConfigError(f"{field_path}: missing required key '{missing.group(1)}'") from None
        raise ConfigError(f"{field_path}: {text}") from None


def _choice(value: str, allowed: typing.Iterable[str], where: str) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise ConfigError(f"{where}: '{value}' is not allowed (allowed: {', '.join(allowed)})")
    return value


# -- loading -------------------------------------------------------------------------------------
def load_config(path: str | Path) -> RunConfig:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file not found: {p}")
    try:
        raw = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    return parse_config(raw, path=p)


def parse_config(raw: dict[str, Any], path: Path | None = None) -> RunConfig:
    sections = {"backtest", "venues", "data", "strategies"}
    unknown = set(raw) - sections
    if unknown:
        raise ConfigError(f"unknown section '{sorted(unknown)[0]}' (allowed: {', '.join(sorted(sections))})")
    if "backtest" not in raw:
        raise ConfigError("missing section [backtest] (it needs at least 'catalog')")
    backtest = _convert(raw["backtest"], BacktestSection, "backtest")
    _choice(backtest.log_level, LOG_LEVELS, "backtest.log_level")
    if backtest.chunk_size <= 0:
        raise ConfigError("backtest.chunk_size: must be positive")
    if backtest.equity_every_s < 0:
        raise ConfigError(
            f"backtest.equity_every_s: must be >= 0 seconds (0 turns it off), got {backtest.equity_every_s:g}"
        )
    for key in ("start", "end"):
        value = getattr(backtest, key)
        if value is not None:
            try:
                pd.Timestamp(value)
            except (ValueError, TypeError):
                raise ConfigError(
                    f"backtest.{key}: '{value}' is not a timestamp (use ISO 8601, e.g. 2025-03-03T00:00:00Z)"
                ) from None
    if backtest.start and backtest.end and pd.Timestamp(backtest.start) >= pd.Timestamp(backtest.end):
        raise ConfigError(
            f"backtest.start/end: empty time range ({backtest.start} is not before {backtest.end})"
        )

    registry = load_registry(backtest.registry, "backtest.registry")

    venues_raw = raw.get("venues") or {}
    if not venues_raw:
        raise ConfigError(
            f"missing section [venues.<NAME>] (known venues: {', '.join(sorted(registry.venues))})"
        )
    venues = {}
    for name, body in venues_raw.items():
        _choice(name, sorted(registry.venues), f"venues.{name}")
        venue = _convert(body, VenueSection, f"venues.{name}")
        _choice(venue.book_type, BOOK_TYPES, f"venues.{name}.book_type")
        if venue.leverage <= 0:
            raise ConfigError(f"venues.{name}.leverage: must be positive")
        _balance(venue.balance, registry.venue(name).settlement_currency, f"venues.{name}.balance")
        venues[name] = venue

    data = _convert(raw.get("data", {}), DataSection, "data")
    for i, t in enumerate(data.types):
        _choice(t, DATA_TYPES, f"data.types[{i}]")
    if "quotes" not in data.types:
        raise ConfigError(
            "data.types: must include 'quotes' (the simulated venues match orders against them)"
        )
    for i, asset in enumerate(data.assets or []):
        _choice(asset, registry.assets(), f"data.assets[{i}]")

    entries = parse_strategies(raw.get("strategies") or [], registry)
    return RunConfig(backtest, venues, data, tuple(entries), registry, raw, path)


def parse_strategies(raw: list[Any], registry: Registry) -> list[StrategyEntry]:
    """The `[[strategies]]` of a backtest or node config (the same in every node)."""
    kinds = strategy_kinds()
    entries = []
    tags: set[str] = set()
    for i, body in enumerate(raw):
        where = f"strategies[{i}]"
        if not isinstance(body, dict) or "kind" not in body:
            raise ConfigError(f"{where}: missing required key 'kind' (allowed: {', '.join(sorted(kinds))})")
        kind = kinds[_choice(body["kind"], sorted(kinds), f"{where}.kind")]
        name = str(body.get("name") or f"{kind.name}{i}")
        tag = re.sub(r"[^A-Za-z0-9]", "", name) or f"S{i}"
        if tag in tags:
            raise ConfigError(f"{where}.name: '{name}' is used twice (strategy names must be unique)")
        tags.add(tag)
        settings = {k: v for k, v in body.items() if k not in ("kind", "name")}
        allowed = own_fields(kind.config_cls)
        extra_keys = sorted(set(settings) - set(allowed))
        if extra_keys:
            raise ConfigError(
                f"{where}: unknown key '{extra_keys[0]}' (allowed: {', '.join(sorted([*allowed, 'kind', 'name']))})"
            )
        config = _convert({**settings, "order_id_tag": tag}, kind.config_cls, where)
        check = getattr(config, "check", None)
        if callable(check):
            try:
                check(registry)
            except (ValueError, RegistryError) as e:
                raise ConfigError(f"{where}: {e}") from None
        entries.append(StrategyEntry(kind=kind, name=name, config=config, raw=body))
    if not entries:
        raise ConfigError(f"no [[strategies]] (kinds: {', '.join(sorted(kinds))})")
    return entries


def strategy_instruments(
    strategies: list[StrategyEntry] | tuple[StrategyEntry, ...], venues: Any, registry: Registry
) -> list[list[str]]:
    """The instruments each strategy trades; every one must be on a configured venue."""
    out = []
    for i, entry in enumerate(strategies):
        try:
            ids = entry.kind.instruments(entry.config, registry)
        except (ValueError, RegistryError) as e:
            raise ConfigError(f"strategies[{i}]: {e}") from None
        for instrument_id in ids:
            venue = instrument_id.rsplit(".", 1)[-1]
            if venue not in venues:
                raise ConfigError(
                    f"strategies[{i}] ({entry.name}) uses {instrument_id} but there is no [venues.{venue}] section "
                    f"(configured venues: {', '.join(sorted(venues))})"
                )
        out.append(ids)
    return out


def load_registry(extra: str | None, where: str) -> Registry:
    try:
        return Registry.load(extra=[extra]) if extra else default_registry()
    except RegistryError as e:
        raise ConfigError(f"{where}: {e}") from None


def _balance(value: str, currency: str, where: str) -> str:
    parts = value.split()
    try:
        amount = float(parts[0])
    except (ValueError, IndexError):
        raise ConfigError(
            f'{where}: \'{value}\' is not an amount (e.g. "100000" or "100000 {currency}")'
        ) from None
    if amount <= 0:
        raise ConfigError(f"{where}: must be positive")
    if len(parts) > 1 and parts[1] != currency:
        raise ConfigError(f"{where}: currency {parts[1]} is not the venue's settlement currency {currency}")
    return f"{parts[0]} {currency}"


def starting_balance(venue: VenueSection, currency: str) -> str:
    return _balance(venue.balance, currency, "balance")
