"""`arb bench backtest`: events/s of each strategy against a no-op strategy, in one process, on the
same generated data; and the peak RSS of long runs streamed from a catalog (in fresh processes).

Adapters add their own `arb bench adapter <venue>` through BENCH_ADAPTERS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_ROOT = Path("var/bench")

# venue -> "module:function(args) -> dict" for `arb bench adapter <venue>`
BENCH_ADAPTERS: dict[str, str] = {
    "hyperliquid": "adapters.hyperliquid.bench:run",
    "bitget": "adapters.bitget.bench:run",
}


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="benchmarks (backtest throughput and memory, adapter latency)")
    bs = p.add_subparsers(dest="bench_command", metavar="SUBCOMMAND", required=True)
    b = bs.add_parser(
        "backtest", help="events/s of each strategy vs a no-op strategy; peak RSS of a streamed run"
    )
    b.add_argument("--json", action="store_true", help="print JSON only")
    b.add_argument("--days", type=float, default=1.0, help="days of synthetic data for the throughput runs")
    b.add_argument("--quote-rate-scale", type=float, default=1.0)
    b.add_argument("--rss-quotes", type=int, default=10_000_000, help="quotes in the memory run (0 to skip)")
    b.add_argument(
        "--strategies", default="all", help="comma-separated kinds to time (default: every trading kind)"
    )
    b.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="interleaved runs of each; the best is reported (default %(default)s)",
    )
    b.set_defaults(func=_bench_backtest)

    a = bs.add_parser(
        "adapter", help="frame-in -> Nautilus object and order -> bytes-on-wire latency against venuesim"
    )
    a.add_argument("venue", help=f"one of: {', '.join(sorted(BENCH_ADAPTERS)) or '(none yet)'}")
    a.add_argument("--json", action="store_true")
    a.add_argument("--frames", type=int, default=20_000)
    a.add_argument("--orders", type=int, default=500)
    a.set_defaults(func=_bench_adapter)


def _bench_adapter(args: argparse.Namespace) -> int:
    import importlib

    from arb.errors import UserError

    target = BENCH_ADAPTERS.get(args.venue.lower())
    if target is None:
        raise UserError(
            f"no adapter benchmark for '{args.venue}' (available: {', '.join(sorted(BENCH_ADAPTERS)) or 'none'})"
        )
    module, func = target.split(":")
    result = getattr(importlib.import_module(module), func)(args)
    print(json.dumps(result, indent=2))
    return 0


# -- backtest throughput ---------------------------------------------------------------------------
def bench_catalog(days: float, scale: float, log=print) -> Path:
    from catalog.synth import SynthParams
    from catalog.synth import generate
    from catalog.synth import read_manifest

    params = SynthParams(days=days, quote_rate_scale=scale)
    path = BENCH_ROOT / f"catalog-d{days:g}-x{scale:g}"
    manifest = read_manifest(path)
    if manifest is None or manifest["params"] != json.loads(params.to_json()):
        log(f"generating {path} ...")
        generate(path, params, overwrite=True)
    return path


def _all_instruments(catalog: Path) -> list[str]:
    from catalog.synth import read_manifest

    manifest = read_manifest(catalog)
    if manifest is None:
        raise FileNotFoundError(f"{catalog} has no synthetic-catalog manifest")
    return list(manifest["instruments"])


def bench_strategy_configs(instruments: list[str]) -> dict[str, dict[str, Any]]:
    """One config per trading strategy kind, over the same instruments the no-op watches."""
    from strategies.kinds import strategy_kinds

    out: dict[str, dict[str, Any]] = {}
    for name, kind in strategy_kinds().items():
        if kind.bench_config is not None:
            out[name] = kind.bench_config(instruments)
    return out


def _run(catalog: Path, strategy: dict[str, Any], venues: list[str]) -> dict[str, Any]:
    from backtests.config import parse_config
    from backtests.runner import run_backtest

    raw = {
        "backtest": {
            "name": f"bench-{strategy['kind']}",
            "catalog": str(catalog),
            "results": str(BENCH_ROOT / "results"),
            "log_level": "ERROR",
            "progress": False,
        },
        "venues": {v: {"balance": "1000000"} for v in venues},
        "strategies": [strategy],
    }
    outcome = run_backtest(parse_config(raw))
    return {
        "events": outcome.events,
        "seconds": round(outcome.wall_seconds, 3),
        "events_per_s": round(outcome.events / outcome.wall_seconds, 1),
        "orders": outcome.summary["counts"]["orders"],
    }


def _bench_backtest(args: argparse.Namespace) -> int:
    def log(msg: str) -> None:
        print(msg, file=sys.stderr)

    catalog = bench_catalog(args.days, args.quote_rate_scale, log)
    instruments = _all_instruments(catalog)
    venues = sorted({i.rsplit(".", 1)[1] for i in instruments})
    configs = {"noop": {"kind": "noop", "name": "noop", "instruments": instruments}}
    wanted = None if args.strategies == "all" else set(args.strategies.split(","))
    for name, config in bench_strategy_configs(instruments).items():
        if wanted is None or name in wanted:
            configs[name] = config
    # Interleaved repeats, best of each: a busy machine slows single runs, not the best one.
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for i in range(max(1, args.repeat)):
        for name, config in configs.items():
            log(f"{name} (run {i + 1}/{args.repeat}) ...")
            runs[name].append(_run(catalog, config, venues))
    best = {name: max(r, key=lambda x: x["events_per_s"]) for name, r in runs.items()}
    noop = best.pop("noop")
    noop["all_runs_events_per_s"] = [r["events_per_s"] for r in runs["noop"]]
    result: dict[str, Any] = {
        "catalog": str(catalog),
        "instruments": len(instruments),
        "repeat": args.repeat,
        "noop": noop,
        "strategies": {},
    }
    for name, r in best.items():
        r["ratio_vs_noop"] = round(r["events_per_s"] / noop["events_per_s"], 3)
        r["all_runs_events_per_s"] = [x["events_per_s"] for x in runs[name]]
        result["strategies"][name] = r
    if args.rss_quotes > 0:
        result["memory"] = memory_runs(args.rss_quotes, log)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(json.dumps(result, indent=2))
    return 0


# -- memory ----------------------------------------------------------------------------------------
def memory_runs(quotes: int, log=print) -> dict[str, Any]:
    """Peak RSS of a no-op run over `quotes` streamed quotes, and over a tenth of that, each in a
    fresh process: flat memory means the two peaks are close."""
    from catalog.synth import SynthParams
    from catalog.synth import generate
    from catalog.synth import quotes_per_second
    from catalog.synth import read_manifest

    per_second = quotes_per_second(SynthParams(quote_rate_scale=4.0))
    out = {}
    for label, n in (("small", quotes // 10), ("large", quotes)):
        params = SynthParams(days=round(n / per_second / 86_400, 3), quote_rate_scale=4.0)
        path = BENCH_ROOT / f"catalog-rss-{n}"
        manifest = read_manifest(path)
        if manifest is None or manifest["params"] != json.loads(params.to_json()):
            log(f"generating {path} ({n:,} quotes) ...")
            generate(path, params, overwrite=True)
        log(f"memory run over {path} ...")
        proc = subprocess.run(
            [sys.executable, "-m", "arb.bench", "rss", str(path)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:  # pragma: no cover - surfaced to the user
            raise RuntimeError(f"memory run failed: {proc.stderr[-2000:]}")
        out[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["note"] = "peak RSS of a fresh process running the no-op strategy over the streamed catalog"
    return out


def _peak_rss_kb() -> int:
    """This process's own peak RSS. `ru_maxrss` would also count the parent's pages the child
    shared between fork and exec (the benchmark parent is large), so read VmHWM where Linux has it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_child(catalog: str) -> None:
    from backtests.config import parse_config
    from backtests.runner import run_backtest
    from catalog.synth import read_manifest

    manifest = read_manifest(catalog)
    if manifest is None:
        raise FileNotFoundError(f"{catalog} has no synthetic-catalog manifest")
    instruments = manifest["instruments"]
    venues = sorted({i.rsplit(".", 1)[1] for i in instruments})
    raw = {
        "backtest": {
            "name": "bench-rss",
            "catalog": catalog,
            "results": str(BENCH_ROOT / "results"),
            "log_level": "ERROR",
            "progress": False,
            "chunk_size": 200_000,
        },
        "venues": {v: {"balance": "1000000"} for v in venues},
        "strategies": [{"kind": "noop", "name": "noop", "instruments": instruments}],
    }
    t0 = time.perf_counter()
    outcome = run_backtest(parse_config(raw))
    wall = time.perf_counter() - t0
    peak_kb = _peak_rss_kb()
    print(
        json.dumps(
            {
                "quotes": sum(manifest["quotes"].values()),
                "events": outcome.events,
                "seconds": round(wall, 1),
                "peak_rss_mb": round(peak_kb / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "rss":
        _rss_child(sys.argv[2])
