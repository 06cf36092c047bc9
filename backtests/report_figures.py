"""Plotly figures of a results folder, one function per chart (used by the report and the notebooks).

Each takes the frames it plots (see `backtests.analysis` / `backtests.performance`) and returns a
`go.Figure`. Long series are reduced to at most `max_points` buckets per trace (keeping each bucket's
maximum edge, so no trigger crossing disappears) to keep the report small and quick to draw.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtests.performance import ATTRIBUTION_COLUMNS

TEMPLATE = "plotly_white"
MAX_POINTS = 1500
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _layout(fig: go.Figure, title: str, height: int = 380, **kwargs) -> go.Figure:
    layout = {
        "title": {"text": title, "x": 0.01},
        "template": TEMPLATE,
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        "legend": {"orientation": "h", "y": -0.15},
        "hovermode": "x unified",
    }
    fig.update_layout(**(layout | kwargs))
    return fig


def utc(times: pd.Series | pd.Index) -> pd.Series | pd.Index:
    """Times as naive UTC at microsecond resolution: what plotly.js draws without shifting them."""
    if isinstance(times, pd.Index):
        return times.tz_convert(None).floor("us") if times.tz is not None else times.floor("us")
    if times.dt.tz is not None:
        times = times.dt.tz_convert(None)
    return times.dt.floor("us")


def downsample(df: pd.DataFrame, ts: str, agg: dict[str, str], max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most `max_points` rows: equal time buckets, each aggregated by `agg` (column -> 'max', 'last', ...);
    the bucket's row is stamped with its first time."""
    if len(df) <= max_points:
        return df
    t = df[ts].astype("int64").to_numpy()
    span = max(1, int(t[-1] - t[0]))
    bucket = ((t - t[0]) * (max_points - 1) // span).astype(np.int64)
    out = df.groupby(bucket).agg({ts: "first", **agg})
    return out.reset_index(drop=True)


def equity_figure(equity: pd.DataFrame, unrealized: float | None = None, marked: bool = False) -> go.Figure:
    """Change of equity since the start: the total and each venue (balances, or marked to market)."""
    shape = "linear" if marked else "hv"
    fig = go.Figure()
    change = equity - equity.iloc[0]
    for i, venue in enumerate(c for c in change.columns if c != "total"):
        fig.add_trace(
            go.Scatter(
                x=utc(change.index),
                y=change[venue],
                name=venue,
                mode="lines",
                line={"width": 1.2, "shape": shape, "color": COLORS[(i + 1) % len(COLORS)]},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=utc(change.index),
            y=change["total"],
            name="total",
            mode="lines",
            line={"width": 2.6, "shape": shape, "color": "#111"},
        )
    )
    if unrealized is not None and len(change):
        fig.add_trace(
            go.Scatter(
                x=utc(change.index[-1:]),
                y=[change["total"].iloc[-1] + unrealized],
                name="total incl. open positions (end)",
                mode="markers",
                marker={"symbol": "diamond", "size": 11, "color": "#111"},
            )
        )
    title = (
        "Equity change since the start (marked to market, USD-eq)"
        if marked
        else "Equity change since the start (account balances, USD-eq)"
    )
    return _layout(fig, title, yaxis_title="USD")


def drawdown_figure(dd: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=utc(dd.index),
            y=dd["drawdown"],
            name="drawdown",
            mode="lines",
            fill="tozeroy",
            line={"shape": "hv", "color": "#d62728"},
            customdata=dd["drawdown_pct"] * 100,
            hovertemplate="%{y:,.2f} USD (%{customdata:.3f}%)<extra></extra>",
        )
    )
    return _layout(fig, "Drawdown of total equity from its running peak", height=300, yaxis_title="USD")


LABELS = {
    "spread_capture": "spread capture",
    "basis": "basis (carry)",
    "slippage": "entry slippage",
    "rollback": "roll-back cost",
    "open_and_other": "open / other",
    "fees": "fees",
    "funding": "funding",
    "net": "net",
}


def attribution_figure(attribution: pd.DataFrame) -> go.Figure:
    """Waterfall of the total row: contributions to net, then net."""
    total = attribution.loc["total"]
    parts = [c for c in ATTRIBUTION_COLUMNS if c != "net"]
    fig = go.Figure(
        go.Waterfall(
            x=[LABELS[c] for c in parts] + ["net"],
            y=[float(total[c]) for c in parts] + [float(total["net"])],
            measure=["relative"] * len(parts) + ["total"],
            text=[f"{float(total[c]):,.2f}" for c in [*parts, "net"]],
            textposition="outside",
            connector={"line": {"color": "#999"}},
            increasing={"marker": {"color": "#2ca02c"}},
            decreasing={"marker": {"color": "#d62728"}},
            totals={"marker": {"color": "#1f77b4"}},
        )
    )
    return _layout(fig, "PnL attribution, all strategies (USD-eq)", height=380, hovermode="closest")


def spread_figure(samples: pd.DataFrame, trades: pd.DataFrame, pair: str) -> go.Figure:
    """One scalp pair: executable edge per direction with its trigger, entries and exits."""
    fig = go.Figure()
    for i, (direction, g) in enumerate(samples.groupby("direction", sort=True)):
        g = downsample(g.sort_values("ts"), "ts", {"edge_bps": "max", "trigger_bps": "last"})
        color = COLORS[i % len(COLORS)]
        fig.add_trace(
            go.Scatter(x=utc(g["ts"]), y=g["edge_bps"], name=f"edge: {direction}", mode="lines",
                       line={"width": 1, "color": color})
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=utc(g["ts"]), y=g["trigger_bps"], name=f"trigger: {direction}", mode="lines",
                       line={"width": 1.5, "dash": "dash", "color": color})
        )  # fmt: skip
    if not trades.empty:
        text = trades["pair_id"] + "<br>net " + trades["net"].map("{:,.2f}".format)
        fig.add_trace(
            go.Scatter(x=utc(trades["entry_ts"]), y=trades["entry_edge_bps"], name="entry", mode="markers",
                       marker={"symbol": "triangle-up", "size": 10, "color": "#2ca02c"}, text=text)
        )  # fmt: skip
        closed = trades[trades["exit_ts"].notna()]
        fig.add_trace(
            go.Scatter(x=utc(closed["exit_ts"]), y=closed["exit_edge_bps"], name="exit", mode="markers",
                       marker={"symbol": "x", "size": 9, "color": "#d62728"}, text=text[closed.index])
        )  # fmt: skip
    return _layout(fig, f"Spread {pair}: edge vs trigger (bps)", height=360, yaxis_title="bps",
                   hovermode="closest")  # fmt: skip


def edge_histogram(samples: pd.DataFrame, trades: pd.DataFrame) -> go.Figure:
    """Distribution of the best executable edge per sample, per pair, with the edges traded at."""
    fig = go.Figure()
    best = samples.groupby(["pair", "ts"], sort=False)["edge_bps"].max().reset_index()
    lo, hi = np.nanpercentile(best["edge_bps"], [0.1, 99.9]) if len(best) else (0.0, 1.0)
    if len(trades):
        hi = max(hi, float(np.nanmax(trades["expected_edge_bps"])))
    bins = {"start": math.floor(lo), "end": math.ceil(hi) + 1, "size": max(0.25, (hi - lo) / 120)}
    for i, (pair, g) in enumerate(best.groupby("pair", sort=True)):
        fig.add_trace(
            go.Histogram(x=g["edge_bps"], name=pair, histnorm="percent", xbins=bins, opacity=0.55,
                         marker_color=COLORS[i % len(COLORS)])
        )  # fmt: skip
    if len(trades):
        fig.add_trace(
            go.Histogram(x=trades["expected_edge_bps"], name="entries (edge at decision)", histnorm="percent",
                         xbins=bins, opacity=0.9, marker_color="#111")
        )  # fmt: skip
    fig.update_layout(barmode="overlay")
    return _layout(fig, "Edge distribution (best direction per sample, % of samples)", height=360,
                   xaxis_title="edge, bps", yaxis_title="%", hovermode="closest")  # fmt: skip


def hedge_latency_figure(leg_risk: pd.DataFrame) -> go.Figure:
    """Hedge latency (first -> last fill of the legs) per strategy and purpose."""
    fig = go.Figure()
    for (sid, purpose), g in leg_risk.groupby(["strategy_id", "purpose"], sort=True):
        lat = g["hedge_latency_ms"].dropna()
        fig.add_trace(go.Box(y=lat, name=f"{sid} {purpose}", boxpoints="all", jitter=0.4, pointpos=0))
    return _layout(fig, "Hedge latency per execution (ms)", height=340, yaxis_title="ms",
                   hovermode="closest", showlegend=False)  # fmt: skip


def funding_rates_figure(funding_rates: pd.DataFrame) -> go.Figure:
    """Funding per venue as APR (rate per hour x 8760), one panel per asset."""
    assets = sorted(funding_rates["asset"].unique())
    fig = make_subplots(rows=len(assets), cols=1, shared_xaxes=True, subplot_titles=assets,
                        vertical_spacing=0.08 if len(assets) > 1 else 0.0)  # fmt: skip
    venues = sorted(funding_rates["venue"].unique())
    in_legend: set[str] = set()
    for row, asset in enumerate(assets, start=1):
        a = funding_rates[funding_rates["asset"] == asset]
        for venue, g in a.groupby("venue", sort=True):
            g = g.sort_values("ts")
            fig.add_trace(
                go.Scatter(x=utc(g["ts"]), y=g["apr"] * 100, name=venue, legendgroup=venue, showlegend=venue not in in_legend,
                           mode="lines", line={"shape": "hv", "color": COLORS[venues.index(venue) % len(COLORS)]},
                           customdata=g["interval_hours"],
                           hovertemplate="%{y:.2f}% APR (every %{customdata:g} h)"),
                row=row, col=1,
            )  # fmt: skip
            in_legend.add(venue)
        fig.update_yaxes(title_text="APR %", row=row, col=1)
    return _layout(fig, "Funding rates per venue, normalised to APR", height=160 + 200 * len(assets),
                   legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"})  # fmt: skip


def funding_ledger_figure(cumulative: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    styles = {
        "predicted": ("#7f7f7f", "dash"),
        "accrued": ("#1f77b4", "solid"),
        "realised": ("#2ca02c", "solid"),
    }
    for col, (color, dash) in styles.items():
        fig.add_trace(
            go.Scatter(x=utc(cumulative.index), y=cumulative[col], name=col, mode="lines",
                       line={"shape": "hv", "color": color, "dash": dash, "width": 2})
        )  # fmt: skip
    return _layout(fig, "Carry funding: predicted vs accrued vs realised (cumulative, USD-eq)", height=340,
                   yaxis_title="USD")  # fmt: skip


def basis_figure(carry_ledger: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for i, (pair_id, g) in enumerate(carry_ledger.groupby("pair_id", sort=False)):
        g = g.sort_values("ts")
        fig.add_trace(
            go.Scatter(x=utc(g["ts"]), y=g["basis_mtm"], name=pair_id, mode="lines+markers",
                       line={"color": COLORS[i % len(COLORS)]}, marker={"size": 4})
        )  # fmt: skip
    return _layout(fig, "Carry basis mark-to-market per pair (USD-eq)", height=340, yaxis_title="USD")
