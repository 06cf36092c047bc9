"""`arb venuesim run`: start simulated venues for manual rehearsal and print their URLs.

    arb venuesim run                                   # Hyperliquid on a free port, prices tick every 0.5 s
    arb venuesim run --port 8080 --account 0xYOURADDR=250000
    arb venuesim run --auto-accounts --funding-secs 60 --faults '{"ws_drop_after_frames": 500}'
    arb venuesim run --replay-catalog var/catalog --replay BTC=BTC-USD-PERP.HYPERLIQUID
    arb venuesim run --venue bitget --venue hyperliquid --account MYKEY:MYSECRET:MYPASS=100000 \
        --account 0xYOURADDR=100000       # both fronts (each takes the account form it understands)
    arb venuesim run --venue bybit --port 18081 --account 1001:venuesim-key:venuesim-secret=100000

Point a node at it with `base_url_http=<http>` and `testnet=True` (clients sign for testnet when the
URL is not mainnet). Steer the scenario through the control API printed at start (see
`venuesim.server`), e.g. an engineered dislocation:

    curl -X POST <http>/_sim/price -d '{"market": "BTC", "shift_bps": 150}'
    curl -X POST <http>/_sim/funding -d '{"market": "BTC", "rate": "0.0005"}'
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any


def add_parser(sub) -> None:
    p = sub.add_parser("venuesim", help="protocol-faithful local venue simulators (rehearse offline)")
    vs = p.add_subparsers(dest="venuesim_command", metavar="SUBCOMMAND", required=True)
    r = vs.add_parser("run", help="start simulated venue(s) and print their URLs")
    r.add_argument("--venue", action="append", help="venue front to start (repeatable; default hyperliquid)")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, default=0, help="first port (0 = any free port)")
    r.add_argument("--tick-secs", type=float, default=0.5, help="price path step interval (0 = manual only)")
    r.add_argument("--funding-secs", type=float, default=None, help="settle funding every N seconds")
    r.add_argument(
        "--account",
        action="append",
        default=[],
        help="account to create and fund: 0xADDRESS[=COLLATERAL] (hyperliquid), "
        "API_KEY[:SECRET[:PASSPHRASE]][=COLLATERAL] (bitget), UID:API_KEY:API_SECRET[=USDT] (bybit; "
        "with bitget as well, give accounts per venue in --config)",
    )
    r.add_argument(
        "--auto-accounts",
        action="store_true",
        help="fund any valid signer on first use (bitget: any API key, secret venuesim-secret, passphrase "
        "venuesim; bybit: any API key, secret venuesim-secret)",
    )
    r.add_argument("--mainnet-signatures", action="store_true", help="expect mainnet-signed actions")
    r.add_argument("--faults", default=None, help="JSON object of faults (see venuesim.faults)")
    r.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML file: [hyperliquid] / [bitget] / [bybit] markets/accounts/faults",
    )
    r.add_argument("--replay-catalog", default=None, help="catalog whose quotes drive the price paths")
    r.add_argument(
        "--replay", action="append", default=[], help="MARKET=INSTRUMENT_ID to replay from the catalog"
    )
    r.add_argument("--seed", type=int, default=7)
    r.add_argument(
        "--duration", type=float, default=None, help="stop after N seconds (default: until Ctrl-C)"
    )
    r.set_defaults(func=_run)


def build_sims(args: argparse.Namespace) -> list[Any]:
    from arb.cli import UserError
    from venuesim.core.pricepath import ReplayPath
    from venuesim.fronts import create_sim

    file_cfg: dict[str, Any] = {}
    if args.config is not None:
        if not args.config.exists():
            raise UserError(f"venuesim config not found: {args.config}")
        file_cfg = tomllib.loads(args.config.read_text())
    faults = json.loads(args.faults) if args.faults else {}
    if not isinstance(faults, dict):
        raise UserError("--faults must be a JSON object")
    paths = {}
    for spec in args.replay:
        if "=" not in spec or not args.replay_catalog:
            raise UserError("--replay needs MARKET=INSTRUMENT_ID and --replay-catalog")
        market, iid = spec.split("=", 1)
        paths[market] = ReplayPath.from_catalog(args.replay_catalog, iid)
    sims = []
    for i, venue in enumerate(args.venue or ["hyperliquid"]):
        cfg = dict(file_cfg.get(venue, {}))
        venue_faults = {**cfg.pop("faults", {}), **faults}
        accounts = list(cfg.pop("accounts", []))
        for a in args.account:
            address, _, amount = a.partition("=")
            entry: dict[str, Any]
            if venue == "bybit":  # UID:API_KEY:API_SECRET[=USDT]; other forms are for the other fronts
                parts = address.split(":")
                if len(parts) != 3:
                    if len(args.venue or []) > 1:
                        continue
                    raise UserError(f"--account {a}: bybit accounts are UID:API_KEY:API_SECRET[=USDT]")
                entry = {"uid": parts[0], "api_key": parts[1], "api_secret": parts[2]}
                if amount:
                    entry["coins"] = {"USDT": Decimal(amount)}
            else:
                entry = {"address": address}
                if amount:
                    entry["collateral"] = {"": Decimal(amount), "xyz": Decimal(amount)}
                    entry["spot"] = {"USDC": Decimal(amount)}
            accounts.append(entry)
        try:
            sim = create_sim(
                venue,
                accounts=accounts,
                auto_accounts=args.auto_accounts or cfg.pop("auto_accounts", False),
                is_mainnet=args.mainnet_signatures,
                host=args.host,
                port=args.port + i if args.port else 0,
                tick_secs=args.tick_secs or None,
                funding_secs=args.funding_secs,
                seed=args.seed,
                paths=paths or None,
                **cfg,
            )
        except (KeyError, ValueError, TypeError) as e:
            raise UserError(f"venuesim {venue}: {e}") from None
        if venue_faults:
            try:
                sim.faults.update(venue_faults)
            except ValueError as e:
                raise UserError(str(e)) from None
        sims.append(sim)
    return sims


def _run(args: argparse.Namespace) -> int:
    sims = build_sims(args)

    async def main() -> None:
        for sim in sims:
            await sim.start()
            print(json.dumps({"venue": sim.venue, **sim.urls()}), flush=True)
        print(
            "control API: GET /_sim/state; POST /_sim/price {market, mid|shift_bps}, /_sim/tick, "
            "/_sim/funding {market?, rate?}, /_sim/faults {...}, /_sim/ws/drop, /_sim/accounts {address}",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            if args.duration:
                await asyncio.wait_for(stop.wait(), args.duration)
            else:
                await stop.wait()
        except TimeoutError:
            pass
        for sim in sims:
            await sim.stop()
        print("venuesim stopped", flush=True)

    asyncio.run(main())
    return 0
