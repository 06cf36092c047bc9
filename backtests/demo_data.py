"""Where the notebooks find data when no path is given: the demo catalog and demo results, built on
first use (the same synthetic catalog and config as `make demo`), under `<project>/var/demo/`.

    demo_catalog()          var/demo/catalog (generated if absent)
    demo_results()          the latest results of the demo config (run if there are none)
    demo_variant_results()  the latest results of the demo config with a stricter scalp entry
                            (`entry_bps` 25 instead of 15), to compare against
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from backtests.analysis import find_results

DEMO_CONFIG = Path(__file__).resolve().parent / "configs" / "demo.toml"
VARIANT_NAME = "demo-strict"
VARIANT_OVERRIDES: dict[str, dict[str, Any]] = {"scalp": {"entry_bps": 25}}


def project_root(start: Path | None = None) -> Path:
    """The nearest folder holding this project's pyproject.toml, from `start` (default: cwd) upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "backtests").is_dir():
            return folder
    return here


def demo_dir() -> Path:
    return project_root() / "var" / "demo"


def demo_catalog(path: str | Path | None = None) -> Path:
    from catalog.synth import generate
    from catalog.synth import read_manifest

    catalog = Path(path) if path is not None else demo_dir() / "catalog"
    if read_manifest(catalog) is None:
        generate(catalog, overwrite=True)
    return catalog


def run_demo_config(
    name: str = "demo", overrides: dict[str, dict[str, Any]] | None = None, catalog: Path | None = None
) -> Path:
    """Run the demo config (strategy settings overridden per kind) and return its results folder."""
    from backtests.config import parse_config
    from backtests.runner import run_backtest

    raw = tomllib.loads(DEMO_CONFIG.read_text())
    raw = copy.deepcopy(raw)
    raw["backtest"].update(
        name=name, catalog=str(catalog or demo_catalog()), results=str(demo_dir() / "results"), progress=False
    )
    for strategy in raw.get("strategies", []):
        strategy.update((overrides or {}).get(strategy["kind"], {}))
    return run_backtest(parse_config(raw, path=DEMO_CONFIG)).results_dir


def _latest_or_run(name: str, overrides: dict[str, dict[str, Any]] | None) -> Path:
    found = find_results(demo_dir() / "results", name=name)
    return found[-1] if found else run_demo_config(name, overrides)


def demo_results() -> Path:
    return _latest_or_run("demo", None)


def demo_variant_results() -> Path:
    return _latest_or_run(VARIANT_NAME, VARIANT_OVERRIDES)
