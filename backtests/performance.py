"""The arithmetic of the report and notebooks: equity curve, drawdown, PnL attribution, trade and
leg-risk statistics, the carry funding ledger. Pure functions of the results tables (see
`backtests.analysis`), so each figure can be checked by hand.

Money: the account balances, the funding ledger and the fills are exact (`Decimal`); sums that must
reconcile with the summary are done in `Decimal`. Curves for plotting are floats. USD, USDC and USDT
are added at par, as in the summary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

USD_LIKE = ("USD", "USDC", "USDT")
BPS = 1e4


# -- equity and drawdown --------------------------------------------------------------------------
def equity_curve(account: pd.DataFrame, currencies: tuple[str, ...] = USD_LIKE) -> pd.DataFrame:
    """Account equity (balance `total`) per venue and their sum, at every account event.

    Index: `ts` (UTC). Columns: one per venue, then `total`. Each venue's balance holds its last value
    between its own events (and its first value before them). The balance moves with realised PnL,
    fees and funding; open positions are not marked (their unrealised PnL is in the summary).
    """
    if account.empty:
        return pd.DataFrame(columns=["total"], index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    df = account[account["currency"].isin(currencies)]
    values = df.assign(total=df["total"].map(float))
    wide = (
        values.groupby(["ts", "venue", "currency"], sort=True)["total"].last().unstack(["venue", "currency"])
    )
    wide = wide.sort_index().ffill().bfill()
    per_venue = wide.T.groupby(level="venue").sum().T
    per_venue = per_venue[sorted(per_venue.columns)]
    per_venue.columns.name = None
    per_venue["total"] = per_venue.sum(axis=1)
    per_venue.index.name = "ts"
    return per_venue


def marked_equity_curve(equity: pd.DataFrame) -> pd.DataFrame:
    """Marked-to-market equity (the results table `equity`) per venue and their sum, at every sample.

    Index: `ts` (UTC). Columns: one per venue, then `total`. Unlike `equity_curve`, open positions are
    marked at mid at each sample, so a pair's basis moves show while it is held.
    """
    if equity.empty:
        return pd.DataFrame(columns=["total"], index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    wide = equity.pivot_table(index="ts", columns="venue", values="equity", aggfunc="last").sort_index()
    wide = wide.ffill().bfill()
    wide = wide[sorted(wide.columns)]
    wide.columns.name = None
    wide["total"] = wide.sum(axis=1)
    wide.index.name = "ts"
    return wide


def best_equity_curve(account: pd.DataFrame, equity: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The marked-to-market curve when the run recorded one, else the account-balance curve; and
    whether it is marked."""
    if not equity.empty:
        return marked_equity_curve(equity), True
    return equity_curve(account), False


def account_changes(account: pd.DataFrame, currencies: tuple[str, ...] = USD_LIKE) -> dict[str, Decimal]:
    """Exact change of each venue's balance over the run: last `total` - first `total`."""
    out: dict[str, Decimal] = {}
    for (venue, _currency), g in account[account["currency"].isin(currencies)].groupby(["venue", "currency"]):
        g = g.sort_values("ts", kind="stable")
        out[venue] = out.get(venue, Decimal(0)) + g["total"].iloc[-1] - g["total"].iloc[0]
    return out


def drawdown(equity: pd.Series) -> pd.DataFrame:
    """Running peak, drawdown (equity - peak, <= 0) and drawdown as a fraction of the peak."""
    peak = equity.cummax()
    dd = equity - peak
    return pd.DataFrame(
        {"equity": equity, "peak": peak, "drawdown": dd, "drawdown_pct": (dd / peak).where(peak != 0, 0.0)}
    )


@dataclass(frozen=True)
class Drawdown:
    amount: float  # deepest equity - peak (<= 0)
    pct: float  # the same as a fraction of that peak (<= 0)
    peak_ts: pd.Timestamp | None
    trough_ts: pd.Timestamp | None
    recovered_ts: pd.Timestamp | None  # first time back at the peak (None: not recovered)


def max_drawdown(equity: pd.Series) -> Drawdown:
    if equity.empty:
        return Drawdown(0.0, 0.0, None, None, None)
    dd = drawdown(equity)
    trough = dd["drawdown"].idxmin()
    amount = float(dd.loc[trough, "drawdown"])
    if amount == 0:
        return Drawdown(0.0, 0.0, None, None, None)
    before = equity.loc[:trough]
    peak_ts = before.idxmax()
    after = equity.loc[trough:]
    back = after[after >= equity.loc[peak_ts]]
    return Drawdown(
        amount=amount,
        pct=float(dd.loc[trough, "drawdown_pct"]),
        peak_ts=peak_ts,
        trough_ts=trough,
        recovered_ts=back.index[0] if len(back) else None,
    )


# -- trades ---------------------------------------------------------------------------------------
def trade_stats(trades: pd.DataFrame) -> dict[str, Any]:
    """Counts and PnL of the pair-level trades (closed = has an exit)."""
    closed = trades[trades["exit_ts"].notna()] if not trades.empty else trades
    wins = int((closed["net"] > 0).sum()) if not closed.empty else 0
    hold = (closed["exit_ts"] - closed["entry_ts"]).dt.total_seconds() if not closed.empty else pd.Series()
    return {
        "trades": len(trades),
        "closed": len(closed),
        "open": len(trades) - len(closed),
        "wins": wins,
        "losses": len(closed) - wins,
        "win_rate": wins / len(closed) if len(closed) else math.nan,
        "net_closed": float(closed["net"].sum()) if not closed.empty else 0.0,
        "avg_net": float(closed["net"].mean()) if not closed.empty else math.nan,
        "best": float(closed["net"].max()) if not closed.empty else math.nan,
        "worst": float(closed["net"].min()) if not closed.empty else math.nan,
        "mean_hold_s": float(hold.mean()) if len(hold) else math.nan,
    }


# -- PnL attribution ------------------------------------------------------------------------------
ATTRIBUTION_COLUMNS = (
    "spread_capture",
    "basis",
    "slippage",
    "rollback",
    "open_and_other",
    "fees",
    "funding",
    "net",
)

ATTRIBUTION_DEFINITIONS = {
    "spread_capture": "closed scalp pairs: the price PnL they would have made had they filled at the edge seen "
    "when the entry was decided and without roll-backs = pnl_trading + entry slippage + the pair's "
    "roll-back price loss",
    "basis": "closed carry pairs: the same for carry pairs, i.e. the price PnL of the basis between the legs",
    "slippage": "-(expected_edge_bps - entry_edge_bps) / 10^4 x entry notional (quantity x long-leg entry "
    "VWAP): the edge lost between the decision and the fills; closed scalp pairs (a carry pair's expected "
    "edge is a funding yield, not a price edge)",
    "rollback": "-(flatten_cost - the fees of the flattened quantity), every execution: the price lost "
    "flattening orphaned legs, including entries that never opened a pair (leg_risk.flatten_cost "
    "includes those fees; they stay in fees so nothing counts twice)",
    "open_and_other": "trading PnL (summary) not in a closed pair or a roll-back: pairs and positions still "
    "open at the end, marked at the last prices, and delta repairs",
    "fees": "-fees of every fill (summary)",
    "funding": "funding received (+) / paid (-) (summary, from the FundingPayment ledger)",
    "net": "trading - fees + funding (summary); every row adds up to it",
}


def _exec_fills(
    fills: pd.DataFrame, strategy_id: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    if fills.empty or pd.isna(start):
        return fills.iloc[0:0]
    end = start if pd.isna(end) else end
    mask = (fills["strategy_id"] == strategy_id) & (fills["ts_event"] >= start) & (fills["ts_event"] <= end)
    return fills[mask]


def entry_notional(trades: pd.DataFrame, leg_risk: pd.DataFrame, fills: pd.DataFrame) -> pd.Series:
    """Per trade (aligned with `trades`): quantity x VWAP of the long leg's buys during the pair's entry
    execution; NaN where unknown."""
    out = pd.Series(np.nan, index=trades.index, dtype=float)
    if trades.empty or leg_risk.empty or fills.empty:
        return out
    entries = leg_risk[leg_risk["purpose"] == "entry"].drop_duplicates(["strategy_id", "pair_id"])
    entries = entries.set_index(["strategy_id", "pair_id"])
    for i, t in trades.iterrows():
        key = (t["strategy_id"], t["pair_id"])
        if key not in entries.index or not t["quantity"]:
            continue
        e = entries.loc[key]
        f = _exec_fills(fills, t["strategy_id"], e["ts_submit"], e["ts_done"])
        f = f[(f["instrument_id"] == t["long_instrument"]) & (f["order_side"] == "BUY")]
        qty = sum(f["last_qty"], Decimal(0))
        if qty > 0:
            vwap = sum((q * p for q, p in zip(f["last_qty"], f["last_px"], strict=True)), Decimal(0)) / qty
            out[i] = float(vwap) * float(t["quantity"])
    return out


def entry_slippage(trades: pd.DataFrame, notional: pd.Series) -> pd.Series:
    """Per trade (aligned with `trades`), the entry slippage cost in USD (positive = edge lost between
    the decision and the fills); 0 where it cannot be priced and for non-scalp pairs."""
    if trades.empty:
        return pd.Series(dtype=float)
    lost_bps = trades["expected_edge_bps"] - trades["entry_edge_bps"]
    cost = (lost_bps / BPS * notional.reindex(trades.index)).where(trades["kind"] == "scalp")
    return cost.fillna(0.0)


def rollback_costs(leg_risk: pd.DataFrame, fills: pd.DataFrame) -> pd.DataFrame:
    """Per execution with a roll-back: flatten_cost split into its fees and its price loss.

    The fills of the execution are those of its strategy between `ts_submit` and `ts_done`. On each
    instrument the leg fills first (and retries on the same side); fills on the other side flatten it.
    The roll-back's fees are the flatten fills' fees plus the leg's fees pro rata of the flattened
    quantity; its price loss is the rest of flatten_cost. Without fills the whole cost counts as price.
    """
    columns = ["exec_id", "pair_id", "strategy_id", "flatten_cost", "rollback_fees", "rollback_price"]
    rows = []
    if leg_risk.empty:
        return pd.DataFrame(columns=columns)
    for e in leg_risk[leg_risk["flatten_cost"].fillna(0) != 0].itertuples(index=False):
        cost = Decimal(str(e.flatten_cost))
        fees = Decimal(0)
        f = _exec_fills(fills, e.strategy_id, e.ts_submit, e.ts_done)
        for _, on in f.sort_values("ts_event", kind="stable").groupby("instrument_id", sort=False):
            side = on["order_side"].iloc[0]
            leg, flat = on[on["order_side"] == side], on[on["order_side"] != side]
            filled = sum(leg["last_qty"], Decimal(0))
            flattened = sum(flat["last_qty"], Decimal(0))
            if flattened and filled:
                fees += sum(leg["commission"], Decimal(0)) * min(flattened / filled, Decimal(1))
                fees += sum(flat["commission"], Decimal(0))
        rows.append([e.exec_id, e.pair_id, e.strategy_id, float(cost), float(fees), float(cost - fees)])
    return pd.DataFrame(rows, columns=columns)


def pnl_attribution(
    summary: dict[str, Any], trades: pd.DataFrame, leg_risk: pd.DataFrame, fills: pd.DataFrame
) -> pd.DataFrame:
    """PnL split per strategy (rows, then `total`) into ATTRIBUTION_COLUMNS, each a signed contribution
    to net (see ATTRIBUTION_DEFINITIONS): the columns of every row add up to the summary's net."""
    slippage = entry_slippage(trades, entry_notional(trades, leg_risk, fills))
    rollbacks = rollback_costs(leg_risk, fills)
    rollback_by_pair = (
        rollbacks.groupby(["strategy_id", "pair_id"])["rollback_price"].sum() if not rollbacks.empty else {}
    )
    rows = {}
    for sid, bucket in sorted(summary.get("pnl_by_strategy", {}).items()):
        row = dict.fromkeys(ATTRIBUTION_COLUMNS, 0.0)
        if not trades.empty:
            closed = trades[(trades["strategy_id"] == sid) & trades["exit_ts"].notna()]
            for i, t in closed.iterrows():
                slip = float(slippage[i])
                back = float(rollback_by_pair.get((sid, t["pair_id"]), 0.0))
                row["spread_capture" if t["kind"] == "scalp" else "basis"] += t["pnl_trading"] + slip + back
                row["slippage"] -= slip
        mine = rollbacks[rollbacks["strategy_id"] == sid] if not rollbacks.empty else rollbacks
        row["rollback"] = -float(mine["rollback_price"].sum()) if not mine.empty else 0.0
        row["fees"] = -float(bucket.get("fees", 0.0))
        row["funding"] = float(bucket.get("funding", 0.0))
        row["net"] = float(bucket.get("net", 0.0))
        explained = sum(row[c] for c in ATTRIBUTION_COLUMNS if c not in ("open_and_other", "net"))
        row["open_and_other"] = row["net"] - explained
        rows[sid] = row
    df = pd.DataFrame.from_dict(rows, orient="index", columns=list(ATTRIBUTION_COLUMNS))
    df.loc["total"] = df.sum(axis=0) if len(df) else 0.0
    df.index.name = "strategy"
    return df


# -- leg risk -------------------------------------------------------------------------------------
def leg_risk_stats(leg_risk: pd.DataFrame) -> dict[str, Any]:
    """Executions, orphans, roll-back cost, retries and hedge latency over the given executions."""
    lat = leg_risk["hedge_latency_ms"].dropna() if not leg_risk.empty else pd.Series(dtype=float)
    n = len(leg_risk)
    orphans = int(leg_risk["orphan"].astype(bool).sum()) if n else 0
    return {
        "executions": n,
        "orphans": orphans,
        "orphan_rate": orphans / n if n else math.nan,
        "flatten_cost": float(leg_risk["flatten_cost"].sum()) if n else 0.0,
        "retries": int(leg_risk["retries"].sum()) if n else 0,
        "hedge_latency_ms_mean": float(lat.mean()) if len(lat) else math.nan,
        "hedge_latency_ms_p50": float(lat.quantile(0.5)) if len(lat) else math.nan,
        "hedge_latency_ms_p95": float(lat.quantile(0.95)) if len(lat) else math.nan,
        "hedge_latency_ms_max": float(lat.max()) if len(lat) else math.nan,
        "unhedged_notional_s": float(leg_risk["unhedged_notional_s"].sum()) if n else 0.0,
    }


def leg_risk_table(leg_risk: pd.DataFrame) -> pd.DataFrame:
    """leg_risk_stats per strategy and purpose (entry / exit / repair)."""
    if leg_risk.empty:
        return pd.DataFrame()
    rows = {key: leg_risk_stats(g) for key, g in leg_risk.groupby(["strategy_id", "purpose"], sort=True)}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.names = ["strategy", "purpose"]
    return df


# -- funding --------------------------------------------------------------------------------------
def funding_by_venue(funding_payments: pd.DataFrame) -> dict[str, Decimal]:
    """Exact funding received (+) / paid (-) per venue from the FundingPayment ledger."""
    out: dict[str, Decimal] = {}
    for venue, g in funding_payments.groupby("venue"):
        out[venue] = sum(g["amount"], Decimal(0))
    return out


def funding_ledger(carry_ledger: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """Per carry pair: funding predicted vs accrued, and realised (accrued, once the pair is closed)."""
    if carry_ledger.empty:
        return pd.DataFrame()
    g = carry_ledger.groupby("pair_id", sort=False)
    df = pd.DataFrame(
        {
            "settlements": g.size(),
            "predicted": g["predicted"].sum(),
            "accrued": g["accrued"].sum(),
            "basis_mtm": g["basis_mtm"].last(),
            "fees": g["fees_total"].last(),
        }
    )
    info = trades.set_index("pair_id") if not trades.empty else pd.DataFrame(columns=["asset", "exit_ts"])
    df.insert(0, "asset", info["asset"].reindex(df.index))
    closed = info["exit_ts"].reindex(df.index).notna()
    df["realised"] = df["accrued"].where(closed, 0.0)
    df["accrued_minus_predicted"] = df["accrued"] - df["predicted"]
    df["state"] = np.where(closed, "closed", "open")
    return df


def cumulative_funding(carry_ledger: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """Over time, all carry pairs: cumulative predicted, cumulative accrued, and realised (the funding
    of pairs closed by then, stepping up at each exit)."""
    if carry_ledger.empty:
        return pd.DataFrame(columns=["predicted", "accrued", "realised"])
    led = carry_ledger.sort_values("ts", kind="stable")
    by_ts = led.groupby("ts")[["predicted", "accrued"]].sum().cumsum()
    closed = trades[(trades["kind"] == "carry") & trades["exit_ts"].notna()] if not trades.empty else trades
    steps = []
    for t in closed.itertuples(index=False):
        total = led.loc[(led["pair_id"] == t.pair_id) & (led["ts"] <= t.exit_ts), "accrued"].sum()
        steps.append((t.exit_ts, float(total)))
    index = by_ts.index.union(pd.DatetimeIndex([s[0] for s in steps], tz="UTC"))
    out = by_ts.reindex(index).ffill().fillna(0.0)
    realised = pd.Series(0.0, index=index)
    for ts, total in steps:
        realised[realised.index >= ts] += total
    out["realised"] = realised
    out.index.name = "ts"
    return out
