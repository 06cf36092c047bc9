"""`arb demo` (what `make demo` runs): build the synthetic catalog if absent, run the demo config,
print the summary table and where the results (and report) are."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "backtests" / "configs" / "demo.toml"
DEMO_CATALOG = Path("var/demo/catalog")


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="synthetic catalog (if absent) -> demo backtest -> summary and report")
    p.add_argument("--config", default=str(DEMO_CONFIG))
    p.add_argument("--catalog", default=str(DEMO_CATALOG))
    p.add_argument("--out", help="results folder")
    p.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    import tomllib

    from arb.progress import bar_factory
    from backtests.config import parse_config
    from backtests.results import summary_table
    from backtests.runner import run_backtest
    from catalog.synth import generate
    from catalog.synth import read_manifest

    catalog = Path(args.catalog)
    if read_manifest(catalog) is None:
        print(f"building the synthetic catalog at {catalog} ...", file=sys.stderr)
        result = generate(catalog, progress=lambda m: print(m, file=sys.stderr), overwrite=True)
        print(
            f"  {result.total_quotes:,} quotes, {sum(result.funding_updates.values()):,} funding updates",
            file=sys.stderr,
        )
    raw = tomllib.loads(Path(args.config).read_text())
    raw.setdefault("backtest", {})["catalog"] = str(catalog)
    config = parse_config(raw, path=Path(args.config))
    outcome = run_backtest(config, out=args.out, progress=bar_factory("demo backtest"))
    print(summary_table(outcome.summary))
    print(f"results: {outcome.results_dir}")
    report = _write_report(outcome.results_dir)
    if report:
        print(f"report:  {report}")
    return 0


def _write_report(results_dir: Path) -> Path | None:
    try:
        from backtests.report import write_report
    except ImportError:
        return None
    return write_report(results_dir, results_dir / "report.html")
