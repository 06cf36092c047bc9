"""`arb`: the command line. Each area registers its own subcommands (see COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import importlib
import sys

from arb import __version__
from arb.errors import UserError

# module path -> it defines `add_parser(subparsers)`; the parser's `func(args)` returns an exit code
COMMAND_MODULES = [
    "catalog.cli",
    "backtests.cli",
    "backtests.report_cli",
    "arb.bench",
    "arb.demo",
    "live.cli",
    "venuesim.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arb", description="nautilus-arb: cross-venue crypto arbitrage on NautilusTrader"
    )
    parser.add_argument("--version", action="version", version=f"nautilus-arb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
