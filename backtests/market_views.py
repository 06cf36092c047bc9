"""Views of a catalog's market data for exploration (the funding and spread notebooks): funding across
venues normalised per hour and to APR, and cross-venue executable spreads.

Funding: a `FundingRateUpdate` carries the rate for the venue's own interval and, in our catalogs,
`next_funding_ns` (the settlement it is for). The interval comes from the registry (what the venue
settles on at that time), else from the spacing of the settlements in the data. Rates are compared
per hour and annualised with the carry strategy's own functions (`strategies.carry_math`).

Spreads: the executable edge of buying on A and selling on B is `bid_B / ask_A - 1` (bps, before
fees), on a regular time grid where each venue shows its latest quote (so a fast-quoting venue does
not weigh more than a slow one).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import QuoteTick

from catalog.registry import NANOS_PER_HOUR
from catalog.registry import Registry
from catalog.registry import default_registry
from catalog.store import ArbCatalog
from strategies import carry_math as cm

BPS = 1e4


def _asset_venue(registry: Registry, instrument_id: str) -> tuple[str, str]:
    market = registry.find_market(instrument_id)
    if market is not None:
        return market.asset, market.venue
    symbol, _, venue = instrument_id.rpartition(".")
    return symbol.split("-")[0].split(":")[-1], venue


def funding_updates(
    catalog: ArbCatalog, registry: Registry | None = None, instrument_ids: list[str] | None = None
) -> pd.DataFrame:
    """Every FundingRateUpdate in the catalog, normalised.

    Columns: ts, instrument_id, venue, asset, rate (per the venue's interval), next_funding_ts,
    interval_hours, rate_per_hour, apr (rate_per_hour x 8760).
    """
    reg = registry or default_registry()
    updates = catalog.query(FundingRateUpdate, identifiers=instrument_ids)
    columns = ["ts", "instrument_id", "venue", "asset", "rate", "next_funding_ts", "interval_hours",
               "rate_per_hour", "apr"]  # fmt: skip
    if not updates:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(
        {
            "ts": [u.ts_event for u in updates],
            "instrument_id": [u.instrument_id.value for u in updates],
            "rate": [float(u.rate) for u in updates],
            "next_funding_ns": [u.next_funding_ns for u in updates],
        }
    )
    intervals = []
    spacing = _settlement_spacing_hours(df)
    for iid, nxt in zip(df["instrument_id"], df["next_funding_ns"], strict=True):
        market = reg.find_market(iid)
        hours = market.funding_interval_at(int(nxt) - 1) if market is not None and pd.notna(nxt) else None
        intervals.append(float(hours) if hours else spacing.get(iid, np.nan))
    df["interval_hours"] = intervals
    where = [_asset_venue(reg, iid) for iid in df["instrument_id"]]
    df["asset"] = [w[0] for w in where]
    df["venue"] = [w[1] for w in where]
    df["rate_per_hour"] = [
        cm.rate_per_hour(r, h) for r, h in zip(df["rate"], df["interval_hours"], strict=True)
    ]
    df["apr"] = df["rate_per_hour"] * cm.HOURS_PER_YEAR
    df["ts"] = pd.to_datetime(df["ts"], unit="ns", utc=True)
    df["next_funding_ts"] = pd.to_datetime(df["next_funding_ns"], unit="ns", utc=True)
    return df.sort_values(["ts", "instrument_id"], kind="stable").reset_index(drop=True)[columns]


def _settlement_spacing_hours(df: pd.DataFrame) -> dict[str, float]:
    out = {}
    for iid, g in df.dropna(subset=["next_funding_ns"]).groupby("instrument_id"):
        times = np.unique(g["next_funding_ns"].astype("int64"))
        if len(times) > 1:
            out[iid] = float(np.median(np.diff(times)) / NANOS_PER_HOUR)
    return out


def settled_funding(updates: pd.DataFrame) -> pd.DataFrame:
    """One row per settlement: the last rate announced before it (what was paid)."""
    last = updates.sort_values("ts", kind="stable").groupby(["instrument_id", "next_funding_ts"]).tail(1)
    return last.sort_values(["next_funding_ts", "instrument_id"], kind="stable").reset_index(drop=True)


def hourly_apr(updates: pd.DataFrame, freq: str = "1h") -> pd.DataFrame:
    """APR per (asset, venue) on a regular grid: the latest announcement in force at each time."""
    if updates.empty:
        return pd.DataFrame()
    wide = updates.pivot_table(index="ts", columns=["asset", "venue"], values="apr", aggfunc="last")
    grid = pd.date_range(wide.index.min().floor(freq), wide.index.max().ceil(freq), freq=freq, tz="UTC")
    out = wide.reindex(wide.index.union(grid)).sort_index().ffill().reindex(grid)
    out.index.name = "ts"
    return out


def funding_differentials(hourly: pd.DataFrame, asset: str) -> pd.DataFrame:
    """For each venue pair A/B of `asset` (A before B alphabetically): APR(A) - APR(B) over time. A carry
    pair short A and long B earns this differential."""
    venues = sorted(hourly[asset].columns)
    return pd.DataFrame(
        {f"{a} - {b}": hourly[(asset, a)] - hourly[(asset, b)] for a, b in combinations(venues, 2)},
        index=hourly.index,
    )


def differential_matrix(hourly: pd.DataFrame, asset: str) -> pd.DataFrame:
    """Venue x venue: mean over time of APR(row) - APR(column)."""
    a = hourly[asset]
    venues = sorted(a.columns)
    return pd.DataFrame(
        [[float((a[r] - a[c]).mean()) for c in venues] for r in venues],
        index=pd.Index(venues, name="short (receives)"),
        columns=pd.Index(venues, name="long (pays)"),
    )


# -- quotes and spreads ---------------------------------------------------------------------------
def quotes(catalog: ArbCatalog, instrument_id: str, start=None, end=None) -> pd.DataFrame:
    """Top of book of one instrument: ts (UTC), bid, ask, mid (floats)."""
    ticks = catalog.query(QuoteTick, identifiers=[instrument_id], start=start, end=end)
    n = len(ticks)
    bid = np.fromiter((q.bid_price.as_double() for q in ticks), float, n)
    ask = np.fromiter((q.ask_price.as_double() for q in ticks), float, n)
    ts = np.fromiter((q.ts_event for q in ticks), np.int64, n)
    return pd.DataFrame(
        {"ts": pd.to_datetime(ts, unit="ns", utc=True), "bid": bid, "ask": ask, "mid": (bid + ask) / 2}
    )


def cross_venue_spread(a: pd.DataFrame, b: pd.DataFrame, every: str = "1s") -> pd.DataFrame:
    """On a regular grid from when both venues have quoted: each side's latest quote, and

    edge_ab_bps = bid_b / ask_a - 1 (buy on A, sell on B), edge_ba_bps = bid_a / ask_b - 1,
    mid_bps = mid_b / mid_a - 1, best_bps = the larger of the two edges.
    """
    if a.empty or b.empty:
        return pd.DataFrame(columns=["ts", "edge_ab_bps", "edge_ba_bps", "mid_bps", "best_bps"])
    start = max(a["ts"].iloc[0], b["ts"].iloc[0]).ceil(every)
    end = min(a["ts"].iloc[-1], b["ts"].iloc[-1])
    grid = pd.DataFrame({"ts": pd.date_range(start, end, freq=every)})
    if grid.empty:
        return pd.DataFrame(columns=["ts", "edge_ab_bps", "edge_ba_bps", "mid_bps", "best_bps"])
    m = pd.merge_asof(grid, a[["ts", "bid", "ask", "mid"]], on="ts")
    m = pd.merge_asof(m, b[["ts", "bid", "ask", "mid"]], on="ts", suffixes=("_a", "_b"))
    out = pd.DataFrame(
        {
            "ts": m["ts"],
            "edge_ab_bps": (m["bid_b"] / m["ask_a"] - 1) * BPS,
            "edge_ba_bps": (m["bid_a"] / m["ask_b"] - 1) * BPS,
            "mid_bps": (m["mid_b"] / m["mid_a"] - 1) * BPS,
        }
    )
    out["best_bps"] = out[["edge_ab_bps", "edge_ba_bps"]].max(axis=1)
    return out


def round_trip_taker_bps(registry: Registry, a: str, b: str, ts: int) -> float:
    """Taker fees of entering and leaving both legs, in bps of one leg's notional."""
    fa = registry.market_for(a).fee("taker", ts)
    fb = registry.market_for(b).fee("taker", ts)
    return cm.round_trip_fees_bps(float(fa), float(fb))


def spread_stats(spreads: dict[str, pd.DataFrame], threshold_bps: dict[str, float]) -> pd.DataFrame:
    """Per pair: quantiles of the best edge and the share of time it clears the pair's threshold
    (e.g. its round-trip taker fees)."""
    rows = {}
    for pair, s in spreads.items():
        best = s["best_bps"].dropna()
        q = (
            best.quantile([0.5, 0.9, 0.99, 0.999])
            if len(best)
            else pd.Series(np.nan, index=[0.5, 0.9, 0.99, 0.999])
        )
        thr = threshold_bps.get(pair, np.nan)
        rows[pair] = {
            "samples": len(best),
            "mean_mid_bps": float(s["mid_bps"].mean()),
            "p50_best_bps": float(q[0.5]),
            "p90_best_bps": float(q[0.9]),
            "p99_best_bps": float(q[0.99]),
            "p99.9_best_bps": float(q[0.999]),
            "max_best_bps": float(best.max()) if len(best) else np.nan,
            "threshold_bps": thr,
            "share_above_threshold_pct": float((best > thr).mean() * 100) if len(best) else np.nan,
        }
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "pair"
    return df
