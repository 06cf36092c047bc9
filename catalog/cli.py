"""`arb catalog ...`: build, inspect and load catalogs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from arb.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("catalog", help="build, inspect and load Parquet catalogs")
    cs = p.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND", required=True)

    s = cs.add_parser("synth", help="write the deterministic synthetic multi-venue dataset")
    s.add_argument("path", help="catalog folder to create")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--start", default="2025-03-03T00:00:00Z", help="UTC start (default %(default)s)")
    s.add_argument("--days", type=float, default=2.0)
    s.add_argument("--quote-rate-scale", type=float, default=1.0, help="multiply every venue's quote rate")
    s.add_argument("--force", action="store_true", help="replace an existing catalog at PATH")
    s.set_defaults(func=_synth)

    i = cs.add_parser("info", help="what a catalog holds")
    i.add_argument("path")
    i.set_defaults(func=_info)


def _synth(args: argparse.Namespace) -> int:
    from catalog.synth import SynthParams
    from catalog.synth import generate

    params = SynthParams(
        seed=args.seed, start=args.start, days=args.days, quote_rate_scale=args.quote_rate_scale
    )
    try:
        result = generate(
            args.path, params, progress=lambda m: print(m, file=sys.stderr), overwrite=args.force
        )
    except FileExistsError as e:
        raise UserError(str(e)) from None
    print(
        f"wrote {result.total_quotes:,} quotes and {sum(result.funding_updates.values()):,} funding updates "
        f"for {len(result.quotes)} instruments to {result.path}"
    )
    return 0


def _info(args: argparse.Namespace) -> int:
    from catalog.store import open_catalog

    try:
        catalog = open_catalog(args.path)
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    root = Path(args.path) / "data"
    out: dict[str, dict[str, int]] = {}
    for type_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        import pyarrow.parquet as pq

        for ident in sorted(p for p in type_dir.iterdir() if p.is_dir()):
            rows = sum(pq.ParquetFile(f).metadata.num_rows for f in ident.glob("*.parquet"))
            out.setdefault(type_dir.name, {})[ident.name] = rows
    print(json.dumps({"path": str(catalog.path), "data": out}, indent=2))
    return 0
