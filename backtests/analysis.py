"""Reading a results folder back (the writer is `backtests.results`): one `Results` object with
pandas DataFrames for every table and the summary, plus `compare` for two runs side by side.

    r = load_results("var/demo/results/demo-20250303T000000")   # also `backtests.results.load`
    r.fills, r.account, r.trades, r.summary["pnl"]["net"]
    compare(r, load_results(other))                              # key figures, one row each

Loading makes the exact columns exact again: account balances, fill prices, quantities and commissions,
realised PnL and the funding ledger come back as `Decimal` (they are stored as decimal strings), and
every timestamp is `datetime64[ns, UTC]`. A table the run did not produce is an empty frame with its
documented columns, and `Results.has(name)` says whether it was there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from backtests import tables

CORE_TABLES = ("orders", "fills", "positions", "account", "funding_payments")
STRATEGY_TABLES = tuple(tables.SCHEMAS)
ALL_TABLES = CORE_TABLES + STRATEGY_TABLES

# Columns an empty core table still has, so code reading it needs no special case.
CORE_COLUMNS = {
    "orders": [
        "client_order_id",
        "strategy_id",
        "instrument_id",
        "side",
        "type",
        "quantity",
        "status",
        "ts_init",
    ],
    "fills": [
        "client_order_id",
        "strategy_id",
        "instrument_id",
        "venue",
        "order_side",
        "last_qty",
        "last_px",
        "commission",
        "commission_currency",
        "ts_event",
    ],
    "positions": ["position_id", "strategy_id", "instrument_id", "realized_pnl", "realized_pnl_currency"],
    "account": ["ts", "venue", "currency", "total", "free", "locked"],
    "funding_payments": [
        "instrument_id",
        "venue",
        "position_quantity",
        "mark_price",
        "rate",
        "amount",
        "currency",
        "position_id",
        "ts_event",
        "ts_init",
    ],
}


def to_decimal(value: Any) -> Decimal | None:
    """'100000.00000000' -> Decimal; None/NaN/'' -> None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None


def split_money(value: Any) -> tuple[Decimal | None, str | None]:
    """'5.97395946 USDT' -> (Decimal('5.97395946'), 'USDT')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    parts = str(value).split()
    return to_decimal(parts[0]), (parts[1] if len(parts) > 1 else None)


def venue_of(instrument_id: str) -> str:
    return str(instrument_id).rsplit(".", 1)[-1]


def _utc(series: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(series):
        return pd.to_datetime(series.astype("int64"), unit="ns", utc=True)
    if series.dtype == object:  # written as text, with missing values as '<NA>' / 'None' / 'NaT'
        series = series.where(~series.isin(["<NA>", "None", "NaT", "nan", ""]), None)
        return pd.to_datetime(series, utc=True, format="ISO8601")
    return pd.to_datetime(series, utc=True)


def _decimals(df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    for col in columns:
        if col in df.columns:
            df[col] = df[col].map(to_decimal).astype(object)


def _prepare_account(df: pd.DataFrame) -> pd.DataFrame:
    _decimals(df, ("total", "free", "locked"))
    return df


def _prepare_fills(df: pd.DataFrame) -> pd.DataFrame:
    _decimals(df, ("last_qty", "last_px"))
    money = df["commission"].map(split_money)
    df["commission"] = money.map(lambda m: m[0]).astype(object)
    df["commission_currency"] = money.map(lambda m: m[1])
    df["venue"] = df["instrument_id"].map(venue_of)
    return df


def _prepare_positions(df: pd.DataFrame) -> pd.DataFrame:
    if "realized_pnl" in df.columns:
        money = df["realized_pnl"].map(split_money)
        df["realized_pnl"] = money.map(lambda m: m[0]).astype(object)
        df["realized_pnl_currency"] = money.map(lambda m: m[1])
    _decimals(df, ("quantity", "peak_qty"))
    return df


def _prepare_funding_payments(df: pd.DataFrame) -> pd.DataFrame:
    _decimals(df, ("position_quantity", "mark_price", "rate", "amount"))
    df["venue"] = df["instrument_id"].map(venue_of)
    return df


PREPARE = {
    "account": _prepare_account,
    "fills": _prepare_fills,
    "positions": _prepare_positions,
    "funding_payments": _prepare_funding_payments,
}


def _empty(name: str) -> pd.DataFrame:
    if name in tables.SCHEMAS:
        return tables.frame(name, []).assign(strategy_id=pd.Series(dtype=object))
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CORE_COLUMNS[name]})


def read_table(folder: Path, name: str) -> pd.DataFrame | None:
    """One table of a results folder as written, with types restored; None if absent or empty."""
    path = folder / f"{name}.parquet"
    if not path.exists():
        return None
    df = pq.read_table(path).to_pandas()
    if df.empty or len(df.columns) == 0:
        return None
    for col in df.columns:
        if col == "ts" or col.startswith("ts_") or col.endswith("_ts"):
            df[col] = _utc(df[col])
    prepare = PREPARE.get(name)
    return prepare(df) if prepare else df


@dataclass(frozen=True)
class Results:
    """Everything one backtest wrote. Tables are DataFrames (empty if the run did not produce them)."""

    path: Path
    summary: dict[str, Any] = field(repr=False)
    orders: pd.DataFrame = field(repr=False)
    fills: pd.DataFrame = field(repr=False)
    positions: pd.DataFrame = field(repr=False)
    account: pd.DataFrame = field(repr=False)
    funding_payments: pd.DataFrame = field(repr=False)
    trades: pd.DataFrame = field(repr=False)
    spread_samples: pd.DataFrame = field(repr=False)
    leg_risk: pd.DataFrame = field(repr=False)
    carry_ledger: pd.DataFrame = field(repr=False)
    funding_rates: pd.DataFrame = field(repr=False)
    equity: pd.DataFrame = field(repr=False)
    present: frozenset[str] = field(default_factory=frozenset)

    def has(self, name: str) -> bool:
        """The run produced this table, with at least one row."""
        return name in self.present

    def table(self, name: str) -> pd.DataFrame:
        if name not in ALL_TABLES:
            raise KeyError(f"no table '{name}' (tables: {', '.join(ALL_TABLES)})")
        return getattr(self, name)

    @property
    def name(self) -> str:
        return str(self.summary.get("name", self.path.name))

    @property
    def label(self) -> str:
        """The folder name (`<name>-<UTC time>`): unique per run."""
        return self.path.name

    @property
    def strategy_kinds(self) -> dict[str, str]:
        """strategy id -> 'scalp' | 'carry' | ... (from the strategies' own summaries)."""
        return {sid: str(s.get("kind", "")) for sid, s in self.summary.get("strategies", {}).items()}

    def strategies_of_kind(self, kind: str) -> list[str]:
        return [sid for sid, k in self.strategy_kinds.items() if k == kind]

    @property
    def starting_capital(self) -> Decimal:
        """Sum of the venues' starting balances (USD-like currencies at par)."""
        return sum(
            (
                Decimal(str(v["account"]["starting_balance"]))
                for v in self.summary.get("pnl_by_venue", {}).values()
                if "starting_balance" in v.get("account", {})
            ),
            Decimal(0),
        )


def load_results(path: str | Path) -> Results:
    folder = Path(path)
    summary_path = folder / "summary.json"
    if not summary_path.exists():
        raise FileNotFoundError(f"not a results folder: {folder} (no summary.json)")
    summary = json.loads(summary_path.read_text())
    frames: dict[str, pd.DataFrame] = {}
    present = set()
    for name in ALL_TABLES:
        df = read_table(folder, name)
        if df is None:
            frames[name] = _empty(name)
        else:
            frames[name] = df
            present.add(name)
    return Results(path=folder, summary=summary, present=frozenset(present), **frames)


def find_results(root: str | Path, name: str | None = None) -> list[Path]:
    """Results folders under `root` (oldest first), optionally only those of the run named `name`."""
    base = Path(root)
    if not base.is_dir():
        return []
    found = []
    for summary in base.glob("*/summary.json"):
        if name is not None:
            try:
                if json.loads(summary.read_text()).get("name") != name:
                    continue
            except json.JSONDecodeError:
                continue
        found.append(summary.parent)
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


# -- comparison --------------------------------------------------------------------------------------
def key_figures(results: Results) -> dict[str, float]:
    """The figures two runs are compared on (USD-equivalent; NaN where a run has nothing to say)."""
    from backtests import performance as perf

    s = results.summary
    pnl = s.get("pnl", {})
    figures: dict[str, float] = {
        "net": pnl.get("net", math.nan),
        "trading": pnl.get("trading", math.nan),
        "fees": pnl.get("fees", math.nan),
        "funding": pnl.get("funding", math.nan),
        "unrealized": pnl.get("unrealized", math.nan),
    }
    capital = results.starting_capital
    figures["return_pct"] = float(Decimal(str(figures["net"])) / capital * 100) if capital else math.nan
    equity, _marked = perf.best_equity_curve(results.account, results.equity)
    if not equity.empty:
        dd = perf.max_drawdown(equity["total"])
        figures["max_drawdown"] = dd.amount
        figures["max_drawdown_pct"] = dd.pct * 100
    else:
        figures["max_drawdown"] = figures["max_drawdown_pct"] = math.nan
    for sid, d in sorted(s.get("pnl_by_strategy", {}).items()):
        figures[f"net {sid}"] = d.get("net", math.nan)
    stats = perf.trade_stats(results.trades)
    figures["trades"] = stats["trades"]
    figures["win_rate_pct"] = stats["win_rate"] * 100 if stats["trades"] else math.nan
    counts = s.get("counts", {})
    for key in ("orders", "fills", "funding_payments"):
        figures[key] = counts.get(key, math.nan)
    legs = perf.leg_risk_stats(results.leg_risk)
    figures["executions"] = legs["executions"]
    figures["orphans"] = legs["orphans"]
    figures["flatten_cost"] = legs["flatten_cost"]
    figures["hedge_latency_ms_p95"] = legs["hedge_latency_ms_p95"]
    run = s.get("run", {})
    figures["wall_seconds"] = run.get("wall_seconds", math.nan)
    return {k: float(v) for k, v in figures.items()}


def compare(a: Results, b: Results, names: tuple[str, str] | None = None) -> pd.DataFrame:
    """Key figures of two runs: one row per figure, a column per run and `change` (b - a)."""
    na, nb = names or (a.label, b.label)
    if na == nb:
        na, nb = f"{na} (a)", f"{nb} (b)"
    fa, fb = key_figures(a), key_figures(b)
    index = list(dict.fromkeys([*fa, *fb]))
    df = pd.DataFrame(
        {na: [fa.get(k, math.nan) for k in index], nb: [fb.get(k, math.nan) for k in index]},
        index=pd.Index(index, name="figure"),
    )
    df["change"] = df[nb] - df[na]
    return df


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        for i, v in enumerate(d):
            out.update(_flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = d
    return out


def config_diff(a: Results, b: Results) -> pd.DataFrame:
    """The config settings that differ between two runs (dotted keys), with each run's value."""
    ca, cb = _flatten(a.summary.get("config", {})), _flatten(b.summary.get("config", {}))
    keys = sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
    return pd.DataFrame(
        {"a": [ca.get(k) for k in keys], "b": [cb.get(k) for k in keys]},
        index=pd.Index(keys, name="setting"),
    )
