"""`arb report RESULTS_DIR [--out report.html]`: the self-contained HTML report of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from arb.errors import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write the HTML report of a backtest results folder")
    p.add_argument("results", help="results folder (the one with summary.json)")
    p.add_argument("--out", help="HTML file to write (default: RESULTS/report.html)")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from backtests.report import write_report

    results = Path(args.results)
    if not (results / "summary.json").is_file():
        raise UserError(f"{results}: not a results folder (no summary.json); run `arb backtest run` first")
    out = write_report(results, args.out)
    print(f"report: {out}")
    return 0
