"""The strategy kinds a TOML config can name, and what market data each needs.

A kind maps `kind = "..."` in a config to the Nautilus strategy class, its config class, and a
function listing the instruments the strategy trades or watches (the runner loads their data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nautilus_trader.config import StrategyConfig

from catalog.registry import Registry


@dataclass(frozen=True)
class StrategyKind:
    name: str
    strategy_path: str
    config_cls: type[StrategyConfig]
    instruments: Callable[[Any, Registry], list[str]]  # (the kind's config, registry) -> instrument ids
    summary: str
    bench_config: Callable[[list[str]], dict] | None = (
        None  # a config over given instruments, for `arb bench`
    )


def _noop_instruments(config, registry: Registry) -> list[str]:
    return list(config.instruments)


def strategy_kinds() -> dict[str, StrategyKind]:
    from strategies.noop import NoopConfig
    from strategies.scripted import ScriptedConfig
    from strategies.scripted import scripted_instruments

    kinds = [
        StrategyKind(
            "noop",
            "strategies.noop:NoopStrategy",
            NoopConfig,
            _noop_instruments,
            "subscribes and does nothing (benchmark baseline)",
        ),
        StrategyKind(
            "scripted",
            "strategies.scripted:ScriptedStrategy",
            ScriptedConfig,
            scripted_instruments,
            "market orders at fixed times (checks and tests)",
        ),
    ]
    from strategies.carry import CARRY_KIND
    from strategies.scalp import SCALP_KIND

    kinds += [SCALP_KIND, CARRY_KIND]
    return {k.name: k for k in kinds}


def own_fields(config_cls: type[StrategyConfig]) -> list[str]:
    """The fields a config file may set: those the kind declares, not Nautilus's base fields."""
    base = set(StrategyConfig.__struct_fields__)
    return [f for f in config_cls.__struct_fields__ if f not in base]
