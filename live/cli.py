"""`arb live run CONFIG` and `arb sandbox run CONFIG`: the same strategies, a real or simulated venue."""

from __future__ import annotations

import argparse

from arb.errors import UserError


def add_parser(sub) -> None:
    for mode, help_text in (
        ("live", "run a live TradingNode (venue adapters, real orders)"),
        (
            "sandbox",
            "run a sandbox TradingNode (live data, simulated execution with fees, latency and funding)",
        ),
    ):
        p = sub.add_parser(mode, help=help_text)
        ps = p.add_subparsers(dest=f"{mode}_command", metavar="SUBCOMMAND", required=True)
        r = ps.add_parser("run", help=f"run a {mode} node from a TOML config (see live/configs/)")
        r.add_argument("config")
        r.add_argument(
            "--dry-run",
            action="store_true",
            help="validate, resolve instruments and credentials, print what would run",
        )
        r.add_argument("--duration", type=float, help="stop gracefully after this many seconds")
        r.set_defaults(func=_run, mode=mode)


def _run(args: argparse.Namespace) -> int:
    from backtests.config import ConfigError
    from live.config import load_node_config
    from live.node import dry_run
    from live.node import run_node

    try:
        cfg = load_node_config(args.config, args.mode)
    except ConfigError as e:
        raise UserError(f"{args.config}: {e}") from None
    if args.dry_run:
        return dry_run(cfg, args.mode)
    return run_node(cfg, args.mode, duration_s=args.duration)
