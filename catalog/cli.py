"""`arb catalog ...`: build, inspect and load catalogs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from arb.errors import UserError
from catalog.synth import SynthParams


def add_parser(sub) -> None:
    p = sub.add_parser("catalog", help="build, inspect and load Parquet catalogs")
    cs = p.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND", required=True)

    s = cs.add_parser("synth", help="write the deterministic synthetic multi-venue dataset")
    s.add_argument("path", help="catalog folder to create")
    s.add_argument("--seed", type=int, default=SynthParams.seed)
    s.add_argument("--start", default=SynthParams.start, help="UTC start (default %(default)s)")
    s.add_argument("--days", type=float, default=SynthParams.days)
    s.add_argument(
        "--quote-rate-scale",
        type=float,
        default=SynthParams.quote_rate_scale,
        help="multiply every venue's quote rate",
    )
    s.add_argument("--force", action="store_true", help="replace an existing catalog at PATH")
    s.set_defaults(func=_synth)

    i = cs.add_parser("info", help="what a catalog holds")
    i.add_argument("path")
    i.set_defaults(func=_info)

    _add_load_parser(cs)

    _add_download_parser(cs)

    f = cs.add_parser("formats", help="list the file format presets `arb catalog load` knows")
    f.add_argument("kind", nargs="?", choices=["funding", "quotes", "trades", "bars"])
    f.set_defaults(func=_formats)


def _synth(args: argparse.Namespace) -> int:
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


def _add_load_parser(cs) -> None:
    from catalog.formats import KINDS
    from catalog.formats import TIME_UNITS

    p = cs.add_parser(
        "load",
        help="load a real data file (funding history, quotes, trades, bars) into a catalog",
        description="Parse FILE with a format preset (see `arb catalog formats`) or an explicit column "
        "mapping and write the objects, plus the instrument definition if missing, to the catalog. "
        "Re-loading replaces the rows in the loaded time range (no duplicates).",
    )
    p.add_argument("kind", choices=KINDS)
    p.add_argument("file")
    p.add_argument("--instrument", required=True, help="instrument id, e.g. BTC-USD-PERP.HYPERLIQUID")
    p.add_argument("--catalog", required=True, help="catalog folder (created if missing)")
    p.add_argument("--format", help="format preset (arb catalog formats KIND lists them)")
    p.add_argument("--columns", help="explicit mapping FIELD=COLUMN,... (on top of --format if given)")
    p.add_argument("--time-unit", choices=TIME_UNITS, help="unit of the time columns (overrides the preset)")
    p.add_argument("--tz-offset-hours", type=float, help="naive ISO times are local time at this UTC offset")
    p.add_argument("--symbol", help="venue symbol to select in a file holding several (e.g. BTCUSDT)")
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="skip and count malformed rows (default: stop)"
    )
    p.add_argument(
        "--mode",
        choices=["replace", "skip"],
        default="replace",
        help="rows already in the catalog in the loaded range: replace them (default) or keep them",
    )
    p.add_argument("--price-precision", type=int, help="for an instrument that is not in the registry")
    p.add_argument("--size-precision", type=int, help="for an instrument that is not in the registry")
    p.add_argument("--market-kind", choices=["perp", "spot"], help="for an instrument not in the registry")
    p.add_argument("--quote", help="quote currency for an instrument not in the registry")
    g = p.add_argument_group("funding")
    g.add_argument(
        "--announce",
        choices=["settlement", "previous"],
        default="settlement",
        help="publish a rate at its settlement (default, no look-ahead) or one interval before",
    )
    g.add_argument("--interval-hours", type=float, help="funding interval for --announce previous")
    g.add_argument("--snap-to-hour", action="store_true", help="round settlement times to the whole hour")
    g = p.add_argument_group("quotes")
    g.add_argument("--default-size", help="size shown on both sides when the file has no sizes")
    g = p.add_argument_group("bars")
    g.add_argument("--bar-spec", help="bar length when the file does not say, e.g. 1-MINUTE-LAST")
    p.set_defaults(func=_load)  # fmt: skip


def _load(args: argparse.Namespace) -> int:
    from catalog.formats import parse_columns
    from catalog.loaders import InstrumentSpec
    from catalog.loaders import LoaderError
    from catalog.loaders import iso
    from catalog.loaders import load
    from catalog.loaders import load_into_catalog
    from catalog.registry import RegistryError
    from catalog.store import open_catalog

    only = {
        "funding": ("announce", "interval_hours", "snap_to_hour"),
        "quotes": ("default_size",),
        "bars": ("bar_spec",),
    }
    defaults = {"announce": "settlement", "snap_to_hour": False}
    for kind, names in only.items():
        for name in names:
            value = getattr(args, name)
            if kind != args.kind and value not in (None, defaults.get(name)):
                raise UserError(f"--{name.replace('_', '-')} applies to {kind} only")
    if (args.price_precision is None) != (args.size_precision is None):
        raise UserError("give both --price-precision and --size-precision")
    try:
        spec = (
            InstrumentSpec(args.price_precision, args.size_precision, args.market_kind, quote=args.quote)
            if args.price_precision is not None
            else None
        )
        kwargs: dict = dict(
            columns=parse_columns(args.columns) if args.columns else None,
            time_unit=args.time_unit,
            tz_offset_hours=args.tz_offset_hours,
            symbol=args.symbol,
            on_error="skip" if args.skip_bad_rows else "raise",
            spec=spec,
        )
        for name in only.get(args.kind, ()):
            kwargs[name] = getattr(args, name)
        result = load(args.kind, args.file, args.instrument, args.format, **kwargs)
        catalog = open_catalog(args.catalog, must_exist=False)
        report = load_into_catalog(catalog, result, mode=args.mode)
    except (LoaderError, RegistryError) as e:
        raise UserError(str(e)) from None
    print(f"loaded {result.summary()}")
    if result.skipped:
        print(f"skipped {result.skipped:,} bad row(s); first reasons:")
        for reason in result.skip_reasons:
            print(f"  {reason}")
    for note in result.notes:
        print(f"note: {note}")
    if args.kind == "funding" and args.announce == "previous":
        last = result.objects[-1].next_funding_ns
        print(
            f"note: rates published one interval before their settlement (look-ahead); last settlement {iso(last)}"
        )
    parts = [f"wrote {report.written:,} to {catalog.path}"]
    if report.replaced:
        parts.append(f"replaced {report.replaced:,} existing rows in that range")
    if report.already_covered:
        parts.append(f"kept the catalog's rows for {report.already_covered:,} loaded rows already covered")
    if report.instrument_added:
        parts.append(f"added the instrument definition {result.instrument_id}")
    print("; ".join(parts))
    return 0


def _formats(args: argparse.Namespace) -> int:
    from catalog.formats import presets

    for fmt in presets(args.kind):
        print(f"{fmt.kind:<8} {fmt.name:<22} {fmt.description}")
    return 0


def _add_download_parser(cs) -> None:
    p = cs.add_parser(
        "download",
        help="download venue history (instruments, klines, funding, recent trades) into a catalog",
        description="Download history with the venue's own SDK into a catalog, paced under the venue's rate "
        "limits. Finished windows are recorded next to the catalog (.downloads/), so re-running after an "
        "interruption continues where it stopped and never writes a row twice.",
    )
    p.add_argument("venue", choices=["bybit"])
    p.add_argument("--symbols", required=True, help="comma-separated, e.g. BTCUSDT-LINEAR,BTCUSDT-SPOT")
    p.add_argument("--start", required=True, help="UTC start (ISO date or time)")
    p.add_argument("--end", required=True, help="UTC end (ISO date or time)")
    p.add_argument("--catalog", required=True, help="catalog folder (created if missing)")
    p.add_argument(
        "--types", default="instruments,bars,funding,trades", help="any of instruments,bars,funding,trades"
    )
    p.add_argument(
        "--interval", default="1", help="kline interval: 1 3 5 15 30 60 120 240 360 720 (minutes) or D"
    )
    p.add_argument("--base-url", help="REST endpoint override (e.g. a venuesim front)")
    p.add_argument("--testnet", action="store_true", help="use the venue's testnet")
    p.add_argument("--rate", type=float, default=10.0, help="at most this many requests per second")
    p.set_defaults(func=_download)


def _download(args: argparse.Namespace) -> int:
    import pandas as pd

    from adapters.bybit.history import BybitDownloader
    from adapters.bybit.history import parse_target
    from adapters.common.errors import VenueError
    from arb.progress import TqdmProgress
    from catalog.store import open_catalog

    def utc(name: str, value: str) -> pd.Timestamp:
        try:
            ts = pd.Timestamp(value)
        except ValueError as e:
            raise UserError(f"--{name}: {e}") from None
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")

    start, end = utc("start", args.start), utc("end", args.end)
    symbols = [s for s in args.symbols.split(",") if s.strip()]
    kinds = tuple(k.strip() for k in args.types.split(",") if k.strip())
    catalog = open_catalog(args.catalog, must_exist=False)
    try:
        downloader = BybitDownloader(
            catalog,
            base_url=args.base_url,
            testnet=args.testnet,
            rate=args.rate,
            interval=args.interval,
            kinds=kinds,
        )
        targets = [parse_target(s) for s in symbols]
        bar = TqdmProgress(
            downloader.pages(targets, start.value // 1_000_000, end.value // 1_000_000), "bybit", "pages"
        )
        downloader.progress = bar.update
        try:
            report = downloader.run(symbols, start.value, end.value)
        finally:
            bar.close()
    except VenueError as e:
        raise UserError(str(e)) from None
    for key, n in sorted(report.written.items()):
        print(f"wrote {n:,} {key}")
    if report.skipped_windows:
        print(f"skipped {report.skipped_windows:,} window(s) already downloaded")
    for note in report.notes:
        print(f"note: {note}")
    print(f"{report.requests:,} requests ({report.waits} rate-limit/retry waits) into {catalog.path}")
    return 0
