"""The results folder of one backtest run, and its summary.

    <results>/<name>-<UTC time>/
        summary.json            PnL split (trading, fees, funding), per venue and per strategy,
                                reconciliation with the venues' accounts, config + hash, data range,
                                package versions, run statistics
        orders.parquet          one row per order
        fills.parquet           one row per fill
        positions.parquet       positions, including closed cycles (snapshots)
        account.parquet         account state history, all venues
        funding_payments.parquet  the funding ledger (exact decimal strings)
        <table>.parquet         tables a strategy publishes (e.g. leg-risk metrics)
        config.toml             the config as given

Money sums use Decimal. Totals across venues add USDC, USDT and USD at par (stated in the summary).
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.model.enums import PriceType
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.position import Position

from catalog.funding import FundingPayment
from catalog.funding import funding_payments_to_table

USD_LIKE = ("USD", "USDC", "USDT")
TABLES = ("orders", "fills", "positions", "account", "funding_payments")


def _f(x: Decimal) -> float:
    return float(round(x, 8))


def config_hash(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("nautilus-arb", "nautilus_trader", "pandas", "pyarrow", "numpy"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # pragma: no cover - a missing package is reported as such
            out[pkg] = "not installed"
    return out


@dataclass
class PnlBucket:
    currency: str = ""
    trading: Decimal = Decimal(0)  # gross of fees: realized + unrealized
    realized: Decimal = Decimal(0)  # net of fees (Nautilus convention)
    unrealized: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    funding: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.trading - self.fees + self.funding

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "trading": _f(self.trading),
            "fees": _f(self.fees),
            "funding": _f(self.funding),
            "net": _f(self.net),
            "realized": _f(self.realized),
            "unrealized": _f(self.unrealized),
        }


def _all_positions(engine: BacktestEngine) -> list[Position]:
    return list(engine.cache.positions()) + list(engine.cache.position_snapshots())


def pnl_buckets(
    engine: BacktestEngine, ledger: list[FundingPayment]
) -> tuple[dict[str, PnlBucket], dict[str, PnlBucket]]:
    """PnL per venue and per strategy, from positions (incl. closed cycles) and the funding ledger."""
    by_venue: dict[str, PnlBucket] = defaultdict(PnlBucket)
    by_strategy: dict[str, PnlBucket] = defaultdict(PnlBucket)
    position_strategy: dict[str, str] = {}
    for position in _all_positions(engine):
        venue = position.instrument_id.venue.value
        strategy = position.strategy_id.value
        position_strategy[position.id.value] = strategy
        fees = sum((c.as_decimal() for c in position.commissions()), Decimal(0))
        realized = position.realized_pnl.as_decimal() if position.realized_pnl is not None else Decimal(0)
        unrealized = Decimal(0)
        if position.is_open:
            price = engine.cache.price(position.instrument_id, PriceType.MID) or engine.cache.price(
                position.instrument_id, PriceType.LAST
            )
            if price is not None:
                unrealized = position.unrealized_pnl(price).as_decimal()
        currency = position.settlement_currency.code
        for bucket in (by_venue[venue], by_strategy[strategy]):
            bucket.currency = currency if bucket.currency in ("", currency) else "USD-equivalent"
            bucket.realized += realized
            bucket.unrealized += unrealized
            bucket.fees += fees
            bucket.trading += realized + fees + unrealized
    for payment in ledger:
        venue = payment.instrument_id.venue.value
        by_venue[venue].funding += payment.amount
        by_venue[venue].currency = by_venue[venue].currency or payment.currency.code
        strategy = position_strategy.get(payment.position_id or "", "unattributed")
        by_strategy[strategy].funding += payment.amount
    return dict(by_venue), dict(by_strategy)


def account_reconciliation(
    engine: BacktestEngine, venue: str, bucket: PnlBucket, starting: Decimal
) -> dict[str, Any]:
    """The venue account must have moved by exactly realized PnL (net of fees) + funding."""
    account = engine.cache.account_for_venue(Venue(venue))
    if account is None:
        return {"error": "no account"}
    currency = account.base_currency or next(iter(account.balances()), None)
    ending = account.balance_total(currency).as_decimal() if currency else Decimal(0)
    expected = bucket.realized + bucket.funding
    return {
        "currency": currency.code if currency else None,
        "starting_balance": _f(starting),
        "ending_balance": _f(ending),
        "account_change": _f(ending - starting),
        "expected_change": _f(expected),
        "difference": _f(ending - starting - expected),
    }


def _to_arrow_friendly(df: pd.DataFrame) -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame()
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
        if "index" in df.columns:
            df = df.rename(columns={"index": "ts"})
    for col in df.columns:
        if (col == "ts" or col.startswith("ts_")) and pd.api.types.is_integer_dtype(df[col]):
            df[col] = pd.to_datetime(df[col], unit="ns", utc=True)  # UTC ns -> datetime everywhere
        elif df[col].dtype == object:
            df[col] = df[col].map(lambda v: None if v is None else str(v))
    return df


def write_table(df: pd.DataFrame, path: Path) -> None:
    df = _to_arrow_friendly(df)
    table = pa.Table.from_pandas(df, preserve_index=False) if not df.empty else pa.table({})
    pq.write_table(table, path)


def write_results(
    engine: BacktestEngine,
    out: Path,
    ledger: list[FundingPayment],
    run_info: dict[str, Any],
    starting_balances: dict[str, Decimal],
    config_text: str | None = None,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    trader = engine.trader
    orders = trader.generate_orders_report()
    fills = trader.generate_fills_report()
    positions = trader.generate_positions_report()
    accounts = []
    for venue in engine.list_venues():
        report = trader.generate_account_report(venue)
        if report is not None and not report.empty:
            report = report.copy()
            report["venue"] = venue.value
            accounts.append(report)
    write_table(orders, out / "orders.parquet")
    write_table(fills, out / "fills.parquet")
    write_table(positions, out / "positions.parquet")
    write_table(pd.concat(accounts) if accounts else pd.DataFrame(), out / "account.parquet")
    pq.write_table(
        funding_payments_to_table(sorted(ledger, key=lambda p: (p.ts_event, p.instrument_id.value))),
        out / "funding_payments.parquet",
    )

    strategy_summaries: dict[str, Any] = {}
    extra_tables: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for component in [*trader.strategies(), *trader.actors()]:
        tables = getattr(component, "results_tables", None)
        if callable(tables):
            for name, df in tables().items():
                if df is not None and not df.empty:
                    df = df.copy()
                    df["strategy_id"] = component.id.value
                    extra_tables[name].append(df)
    for strategy in trader.strategies():
        summary = getattr(strategy, "results_summary", None)
        if callable(summary):
            strategy_summaries[strategy.id.value] = summary()
    for name, frames in extra_tables.items():
        write_table(pd.concat(frames, ignore_index=True), out / f"{name}.parquet")

    by_venue, by_strategy = pnl_buckets(engine, ledger)
    total = PnlBucket(currency="USD-equivalent")
    for bucket in by_venue.values():
        total.trading += bucket.trading
        total.realized += bucket.realized
        total.unrealized += bucket.unrealized
        total.fees += bucket.fees
        total.funding += bucket.funding
    venues_out = {}
    for venue in sorted({v.value for v in engine.list_venues()}):
        bucket = by_venue.get(venue, PnlBucket())
        venues_out[venue] = {
            **bucket.as_dict(),
            "account": account_reconciliation(
                engine, venue, bucket, starting_balances.get(venue, Decimal(0))
            ),
        }
    summary = {
        **run_info,
        "pnl": {
            **total.as_dict(),
            "note": "totals add USDC, USDT and USD at par; trading is gross of fees; net = trading - fees + funding",
        },
        "pnl_by_venue": venues_out,
        "pnl_by_strategy": {k: v.as_dict() for k, v in sorted(by_strategy.items())},
        "strategies": strategy_summaries,
        "counts": {
            "orders": len(orders),
            "fills": len(fills),
            "positions": len(_all_positions(engine)),
            "funding_payments": len(ledger),
        },
        "tables": sorted([*TABLES, *extra_tables]),
        "versions": versions(),
        "python_executable": sys.executable,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False, default=str))
    if config_text is not None:
        (out / "config.toml").write_text(config_text)
    return summary


def summary_table(summary: dict[str, Any]) -> str:
    """The run's PnL split as a plain-text table (per venue, per strategy, total)."""
    cols = ("trading", "fees", "funding", "net")
    lines = [f"{summary.get('name', 'backtest')}  {summary['data']['start']} .. {summary['data']['end']}"]
    header = f"{'':<28}{'ccy':>8}" + "".join(f"{c:>14}" for c in cols)
    lines.append(header)
    lines.append("-" * len(header))

    def row(label: str, d: dict[str, Any]) -> str:
        ccy = "USD*" if d.get("currency") == "USD-equivalent" else d.get("currency", "")
        return f"{label:<28}{ccy:>8}" + "".join(f"{d[c]:>14,.2f}" for c in cols)

    for venue, d in summary["pnl_by_venue"].items():
        lines.append(row(f"venue {venue}", d))
    for strategy, d in summary["pnl_by_strategy"].items():
        lines.append(row(f"strategy {strategy}"[:28], d))
    lines.append("-" * len(header))
    lines.append(row("total", summary["pnl"]))
    c = summary["counts"]
    run = summary.get("run", {})
    lines.append(
        f"orders {c['orders']}  fills {c['fills']}  positions {c['positions']}  funding payments {c['funding_payments']}"
        f"  |  {run.get('events', 0):,} events in {run.get('wall_seconds', 0):.1f}s"
    )
    lines.append("* USD-equivalent: USDC, USDT and USD added at par")
    return "\n".join(lines)


def load(path: str | Path):
    """Read a results folder back into one object of DataFrames (see `backtests.analysis.load_results`)."""
    from backtests.analysis import load_results

    return load_results(path)
