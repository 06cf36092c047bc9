"""`arb backtest ...`: run, validate and list strategy kinds."""

from __future__ import annotations

import argparse
import sys

from arb.errors import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("backtest", help="run backtests from TOML configs")
    bs = p.add_subparsers(dest="backtest_command", metavar="SUBCOMMAND", required=True)

    r = bs.add_parser("run", help="run a backtest and write its results folder")
    r.add_argument("config", help="TOML config (see backtests/configs/)")
    r.add_argument("--out", help="results folder (default: <results>/<name>-<UTC time>)")
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.set_defaults(func=_run)

    v = bs.add_parser("validate", help="check a config against the registry and catalog without running")
    v.add_argument("config")
    v.set_defaults(func=_validate)

    k = bs.add_parser("kinds", help="list the strategy kinds a config can use, with their settings")
    k.set_defaults(func=_kinds)


def _run(args: argparse.Namespace) -> int:
    import json

    from arb.progress import bar_factory
    from backtests.config import ConfigError
    from backtests.results import summary_table
    from backtests.runner import run_backtest

    try:
        outcome = run_backtest(args.config, out=args.out, progress=bar_factory("backtest", "events"))
    except ConfigError as e:
        raise UserError(f"{args.config}: {e}") from None
    if args.json:
        print(json.dumps(outcome.summary, indent=2, default=str))
    else:
        print(summary_table(outcome.summary))
        print(f"results: {outcome.results_dir}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    import pandas as pd

    from backtests.config import ConfigError
    from backtests.config import load_config
    from backtests.runner import plan

    try:
        p = plan(load_config(args.config))
    except ConfigError as e:
        raise UserError(f"{args.config}: {e}") from None
    print(
        f"ok: {len(p.config.strategies)} strategies, {len(p.instruments)} instruments, "
        f"{pd.Timestamp(p.start_ns, tz='UTC')} .. {pd.Timestamp(p.end_ns, tz='UTC')}"
    )
    for t, ids in p.data_types.items():
        print(f"  {t}: {', '.join(ids)}")
    return 0


def _kinds(args: argparse.Namespace) -> int:
    from strategies.kinds import own_fields
    from strategies.kinds import strategy_kinds

    for kind in strategy_kinds().values():
        print(f"{kind.name}: {kind.summary}")
        defaults = kind.config_cls.__struct_defaults__
        fields = kind.config_cls.__struct_fields__
        offset = len(fields) - len(defaults)
        for f in own_fields(kind.config_cls):
            idx = fields.index(f) - offset
            default = defaults[idx] if idx >= 0 else "(required)"
            print(f"    {f} = {default!r}", file=sys.stdout)
    return 0
