"""A self-contained HTML report of one results folder (`arb report RESULTS_DIR`, `make demo`).

One file, no network needed to open it: plotly.js is inlined once, every chart is a plotly div.
Sections appear only when the results support them:

    overview        run, data range, key figures                      summary.json
    pnl             PnL per venue / strategy, account reconciliation  summary.json
    equity          equity change, total and per venue                account
    drawdown        drawdown of total equity                          account
    attribution     spread capture, basis, slippage, roll-back,       summary.json (+ trades, leg_risk, fills)
                    open/other, fees, funding
    trades          pair-level trades                                 trades
    scalp-spreads   edge vs trigger per pair, entries and exits       spread_samples (+ trades)
    scalp-edges     edge histogram                                    spread_samples
    leg-risk        fill ratios, orphans, roll-back cost, latency     leg_risk (+ summary)
    carry-funding   funding APR per venue                             funding_rates
    carry-ledger    predicted vs accrued vs realised funding          carry_ledger
    carry-basis     basis mark-to-market per pair                     carry_ledger
    funding         funding payments per instrument                   funding_payments
    run             config, versions                                  summary.json
"""

from __future__ import annotations

import html
import json
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from backtests import performance as perf
from backtests import report_figures as figs
from backtests.analysis import Results
from backtests.analysis import load_results
from backtests.analysis import venue_of

MAX_TRADE_ROWS = 1000
MISSING = "\u2013"  # en dash
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class Section:
    id: str
    title: str
    parts: list[str] = field(default_factory=list)
    figures: int = 0

    def text(self, paragraph: str) -> Section:
        self.parts.append(f"<p>{paragraph}</p>")
        return self

    def table(self, df: pd.DataFrame, caption: str | None = None, **kwargs) -> Section:
        self.parts.append(html_table(df, caption, **kwargs))
        return self

    def figure(self, name: str, fig: go.Figure) -> Section:
        div = pio.to_html(
            fig, full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG, div_id=f"fig-{name}"
        )
        self.parts.append(f'<div class="figure" data-figure="{html.escape(name)}">{div}</div>')
        self.figures += 1
        return self

    def render(self) -> str:
        body = "\n".join(self.parts)
        return f'<section id="{self.id}"><h2>{html.escape(self.title)}</h2>\n{body}\n</section>'


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return MISSING
    if isinstance(value, pd.Timestamp):
        return MISSING if pd.isna(value) else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, Decimal):  # exact money: every digit
        return f"{value:,f}"
    if isinstance(value, numbers.Real):
        text = f"{value:,.2f}"
        return "0.00" if text == "-0.00" else text
    return str(value)


def html_table(
    df: pd.DataFrame, caption: str | None = None, index: bool = True, formats: dict | None = None
) -> str:
    """A plain HTML table; numbers right-aligned with thousands separators, times in UTC."""
    formats = formats or {}
    head = [html.escape(str(n)) for n in (df.index.names if index else [])]
    head = ["" if h == "None" else h for h in head]
    cols = [html.escape(str(c)) for c in df.columns]
    rows = []
    for idx, row in zip(df.index, df.itertuples(index=False), strict=True):
        cells = []
        if index:
            for v in idx if isinstance(idx, tuple) else (idx,):
                cells.append(f"<th>{html.escape(_fmt(v))}</th>")
        for col, v in zip(df.columns, row, strict=True):
            text = formats[col](v) if col in formats else _fmt(v)
            num = isinstance(v, numbers.Real | Decimal) and not isinstance(v, bool | np.bool_)
            cells.append(f'<td class="{"num" if num else ""}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    header = "".join(f"<th>{h}</th>" for h in head + cols)
    return f'<table class="data">{cap}<thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _definitions(items: dict[str, str]) -> str:
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items.items())
    return f'<dl class="definitions">{rows}</dl>'


# -- sections -------------------------------------------------------------------------------------
def overview_section(r: Results) -> Section:
    s = r.summary
    pnl = s.get("pnl", {})
    data = s.get("data", {})
    run = s.get("run", {})
    stats = perf.trade_stats(r.trades)
    equity, marked = perf.best_equity_curve(r.account, r.equity)
    dd = perf.max_drawdown(equity["total"]) if not equity.empty else None
    capital = r.starting_capital
    figures = {
        "net PnL (USD-eq)": pnl.get("net"),
        "trading, gross of fees": pnl.get("trading"),
        "fees": pnl.get("fees"),
        "funding": pnl.get("funding"),
        "unrealised at the end": pnl.get("unrealized"),
        "return on starting capital": f"{float(pnl.get('net', 0)) / float(capital) * 100:.3f}%"
        if capital
        else None,
        f"max drawdown ({'marked to market' if marked else 'account balances'})": (
            f"{dd.amount:,.2f} ({dd.pct * 100:.3f}%)" if dd else None
        ),
        "trades (closed / open)": f"{stats['closed']} / {stats['open']}",
        "win rate (closed)": f"{stats['win_rate'] * 100:.1f}%" if stats["closed"] else None,
    }
    info = {
        "run": f"{s.get('name', '')}  ({r.label})",
        "run id": s.get("run_id"),
        "config hash": s.get("config_hash"),
        "data": f"{data.get('start', '?')} .. {data.get('end', '?')}",
        "instruments": ", ".join(data.get("instruments", [])),
        "events": f"{run.get('events', 0):,} in {run.get('wall_seconds', 0):.1f} s",
    }
    sec = Section("overview", "Overview")
    sec.table(pd.DataFrame({"value": list(info.values())}, index=list(info)), "Run")
    sec.table(pd.DataFrame({"value": list(figures.values())}, index=list(figures)), "Key figures")
    return sec


PNL_COLUMNS = ["currency", "trading", "fees", "funding", "net", "realized", "unrealized"]


def pnl_section(r: Results) -> Section:
    s = r.summary
    rows = {f"venue {v}": d for v, d in s.get("pnl_by_venue", {}).items()}
    rows |= {f"strategy {k}": d for k, d in s.get("pnl_by_strategy", {}).items()}
    rows["total"] = s.get("pnl", {})
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=PNL_COLUMNS)
    sec = Section("pnl", "PnL by venue and strategy")
    sec.text(html.escape(s.get("pnl", {}).get("note", "")))
    sec.table(table)
    recon = {v: d["account"] for v, d in s.get("pnl_by_venue", {}).items() if "account" in d}
    if recon:
        sec.text(
            "Each venue's account must have moved by exactly its realised PnL (net of fees) plus funding: "
            "the difference column is that check."
        )
        sec.table(pd.DataFrame.from_dict(recon, orient="index"), "Account reconciliation")
    return sec


def equity_sections(r: Results) -> list[Section]:
    equity, marked = perf.best_equity_curve(r.account, r.equity)
    if equity.empty:
        return []
    eq = Section("equity", "Equity curve")
    if marked:
        every = r.summary.get("config", {}).get("backtest", {}).get("equity_every_s", 300)
        eq.text(
            "Equity is each venue's account balance (USD-like currencies at par) plus the unrealised PnL of "
            f"its open positions marked at mid, sampled every {every} s and at the end. "
            "Legs of one pair sit on different venues, so per-venue curves move in opposite directions: "
            "their sum is the strategy's result."
        )
        eq.figure("equity", figs.equity_figure(equity, None, marked=True))
    else:
        unrealized = r.summary.get("pnl", {}).get("unrealized")
        eq.text(
            "Equity is each venue's account balance (total, USD-like currencies at par): it moves with "
            "realised PnL, fees and funding. This run recorded no marked-to-market samples "
            "(`backtest.equity_every_s = 0`), so open positions are not marked along the way; the diamond "
            "adds the unrealised PnL of the positions still open at the end. Legs of one pair settle on "
            "different venues, so per-venue curves move in opposite directions: their sum is the "
            "strategy's result."
        )
        eq.figure("equity", figs.equity_figure(equity, unrealized))
    dd = perf.drawdown(equity["total"])
    worst = perf.max_drawdown(equity["total"])
    dsec = Section("drawdown", "Drawdown")
    dsec.text(
        f"Drawdown = total equity - its running peak. Deepest: {worst.amount:,.2f} USD ({worst.pct * 100:.3f}%)"
        + (
            f", from {_fmt(worst.peak_ts)} to {_fmt(worst.trough_ts)} UTC"
            if worst.trough_ts is not None
            else ""
        )
        + (f", recovered {_fmt(worst.recovered_ts)}" if worst.recovered_ts is not None else "")
        + "."
    )
    dsec.figure("drawdown", figs.drawdown_figure(dd))
    return [eq, dsec]


def attribution_section(r: Results) -> Section:
    attribution = perf.pnl_attribution(r.summary, r.trades, r.leg_risk, r.fills)
    sec = Section("attribution", "PnL attribution")
    sec.text(
        "Each column is a signed contribution to net PnL (USD-eq); every row adds up to the strategy's net "
        "in the summary. Definitions:"
    )
    sec.parts.append(_definitions(perf.ATTRIBUTION_DEFINITIONS))
    sec.table(attribution.rename(columns=figs.LABELS))
    sec.figure("attribution", figs.attribution_figure(attribution))
    return sec


TRADE_COLUMNS = [
    "pair_id",
    "kind",
    "asset",
    "long_instrument",
    "short_instrument",
    "quantity",
    "entry_ts",
    "exit_ts",
    "exit_reason",
    "expected_edge_bps",
    "entry_edge_bps",
    "exit_edge_bps",
    "pnl_trading",
    "fees",
    "funding",
    "net",
]


def trades_section(r: Results) -> Section | None:
    if not r.has("trades"):
        return None
    t = r.trades.sort_values("entry_ts", kind="stable")
    stats = perf.trade_stats(t)
    sec = Section("trades", "Trades")
    by_kind = t.groupby("kind").agg(
        trades=("pair_id", "size"),
        open=("exit_ts", lambda s: int(s.isna().sum())),
        pnl_trading=("pnl_trading", "sum"),
        fees=("fees", "sum"),
        funding=("funding", "sum"),
        net=("net", "sum"),
    )
    sec.text(
        f"{stats['trades']} pair trades ({stats['closed']} closed, {stats['open']} open); closed: "
        f"{stats['wins']} won, {stats['losses']} lost. Edges in bps; money in USD-eq. "
        "Open pairs are marked at the last quotes (their exit columns are empty)."
    )
    sec.table(by_kind, "Per kind")
    shown = t[[c for c in TRADE_COLUMNS if c in t.columns]].head(MAX_TRADE_ROWS)
    note = f" (first {MAX_TRADE_ROWS} of {len(t)})" if len(t) > MAX_TRADE_ROWS else ""
    sec.parts.append('<div class="scroll">')
    sec.table(shown, f"All trades{note}", index=False, formats={"quantity": lambda q: f"{q:g}"})
    sec.parts.append("</div>")
    return sec


def _token(token: str) -> tuple[str, str]:
    venue, _, kind = token.partition(":")
    return venue, kind or "perp"


def _instrument_token(instrument_id: str) -> tuple[str, str]:
    from catalog.registry import default_registry

    market = default_registry().find_market(instrument_id)
    if market is not None:
        return market.venue, market.kind
    return venue_of(instrument_id), "spot" if "SPOT" in instrument_id.upper() else "perp"


def trades_for_pair(trades: pd.DataFrame, pair: str) -> pd.DataFrame:
    """The scalp trades of a spread pair label '<ASSET> <VENUE_A>/<VENUE_B>' (a token may carry ':spot')."""
    asset, _, venues = pair.partition(" ")
    want = sorted(_token(v) for v in venues.split("/"))
    if trades.empty:
        return trades
    mask = [
        t.asset == asset
        and t.kind == "scalp"
        and sorted([_instrument_token(t.long_instrument), _instrument_token(t.short_instrument)]) == want
        for t in trades.itertuples(index=False)
    ]
    return trades[mask]


def scalp_sections(r: Results) -> list[Section]:
    if not r.has("spread_samples"):
        return []
    samples = r.spread_samples
    spreads = Section("scalp-spreads", "Scalp: spreads per pair")
    spreads.text(
        "Executable edge of each direction (sell price / buy price - 1, before fees) as the strategy sampled "
        "it, with the dynamic trigger in force (dashed; absent during warm-up). Long series are shown as the "
        "maximum edge per time bucket. Triangles: entries at the realised entry edge; crosses: exits at the "
        "realised closing edge."
    )
    for i, (pair, g) in enumerate(samples.groupby("pair", sort=True)):
        spreads.figure(f"spread-{i}", figs.spread_figure(g, trades_for_pair(r.trades, pair), pair))
    edges = Section("scalp-edges", "Scalp: edge distribution")
    scalp_trades = r.trades[r.trades["kind"] == "scalp"] if r.has("trades") else r.trades
    quant = samples.groupby("pair")["edge_bps"].describe(percentiles=[0.5, 0.9, 0.99])
    edges.table(quant, "Edge per pair and direction sample (bps)")
    edges.figure("edge-histogram", figs.edge_histogram(samples, scalp_trades))
    return [spreads, edges]


def leg_risk_section(r: Results) -> Section | None:
    if not r.has("leg_risk"):
        return None
    sec = Section("leg-risk", "Leg risk (execution)")
    sec.text(
        "Per strategy and purpose: executions, orphans (a leg left unhedged and flattened), roll-back cost "
        "(leg_risk.flatten_cost: price loss plus fees of the flattened quantity), retries, hedge latency "
        "(first fill -> last fill of the legs) and time-weighted unhedged notional (USD x s)."
    )
    sec.table(perf.leg_risk_table(r.leg_risk).round(3))
    ratios = {
        sid: s.get("fill_ratio_by_venue", {})
        for sid, s in r.summary.get("strategies", {}).items()
        if s.get("fill_ratio_by_venue")
    }
    if ratios:
        sec.table(pd.DataFrame.from_dict(ratios, orient="index"), "Fill ratio by venue (filled / ordered)")
    sec.figure("hedge-latency", figs.hedge_latency_figure(r.leg_risk))
    return sec


def carry_sections(r: Results) -> list[Section]:
    out = []
    if r.has("funding_rates"):
        sec = Section("carry-funding", "Carry: funding rates per venue")
        sec.text(
            "The rates the carry strategy saw, normalised per hour from each venue's interval "
            "(rate / interval hours) and annualised (x 24 x 365), so hourly and 8-hourly venues compare."
        )
        sec.figure("funding-rates", figs.funding_rates_figure(r.funding_rates))
        out.append(sec)
    if r.has("carry_ledger"):
        ledger = Section("carry-ledger", "Carry: funding ledger")
        ledger.text(
            "Predicted: what the strategy expected for each settlement (first announced rate x position). "
            "Accrued: the FundingPayment amounts of both legs. Realised: the funding of pairs closed by then."
        )
        ledger.table(perf.funding_ledger(r.carry_ledger, r.trades), "Per pair (USD-eq)")
        ledger.figure(
            "funding-ledger", figs.funding_ledger_figure(perf.cumulative_funding(r.carry_ledger, r.trades))
        )
        out.append(ledger)
        basis = Section("carry-basis", "Carry: basis mark-to-market")
        basis.text(
            "Both legs' price PnL at each settlement: what closing the pair then would have made or lost."
        )
        basis.figure("basis-mtm", figs.basis_figure(r.carry_ledger))
        out.append(basis)
    return out


def funding_section(r: Results) -> Section | None:
    if not r.has("funding_payments"):
        return None
    fp = r.funding_payments
    table = fp.groupby(["venue", "instrument_id", "currency"]).agg(
        payments=("amount", "size"), amount=("amount", lambda a: sum(a, Decimal(0)))
    )
    sec = Section("funding", "Funding payments")
    sec.text("Every FundingPayment settled on the strategies' positions (received +, paid -), exact sums.")
    sec.table(table)
    return sec


def run_section(r: Results) -> Section:
    s = r.summary
    sec = Section("run", "Run details")
    sec.table(pd.DataFrame({"version": s.get("versions", {})}), "Versions")
    config = html.escape(json.dumps(s.get("config", {}), indent=2, default=str))
    sec.parts.append(f"<details><summary>Config (hash {html.escape(str(s.get('config_hash')))})</summary>"
                     f"<pre>{config}</pre></details>")  # fmt: skip
    return sec


BUILDERS: list[Callable[[Results], Section | list[Section] | None]] = [
    overview_section,
    pnl_section,
    equity_sections,
    attribution_section,
    trades_section,
    scalp_sections,
    leg_risk_section,
    carry_sections,
    funding_section,
    run_section,
]


def build_sections(r: Results) -> list[Section]:
    out: list[Section] = []
    for build in BUILDERS:
        made = build(r)
        if made is None:
            continue
        out.extend(made if isinstance(made, list) else [made])
    return out


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #16324f; color: #fff; padding: 14px 28px; }
header h1 { margin: 0; font-size: 20px; } header p { margin: 4px 0 0; opacity: .85; }
nav { padding: 8px 28px; background: #e9eef3; position: sticky; top: 0; z-index: 10; }
nav a { margin-right: 14px; color: #16324f; text-decoration: none; white-space: nowrap; }
main { padding: 4px 28px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 6px 18px 14px; margin: 16px 0; }
h2 { font-size: 17px; color: #16324f; }
table.data { border-collapse: collapse; margin: 8px 0 14px; font-size: 12.5px; }
table.data caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.data th, table.data td { border-bottom: 1px solid #eee; padding: 3px 9px; text-align: left; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data thead th { background: #f3f5f7; position: sticky; top: 0; }
.scroll { max-height: 520px; overflow: auto; } .scroll td, .scroll th { white-space: nowrap; }
dl.definitions { font-size: 12.5px; } dl.definitions dt { font-weight: 600; } dl.definitions dd { margin: 0 0 6px 18px; }
.figure { margin: 6px 0 14px; }
pre { font-size: 12px; background: #f6f6f6; padding: 8px; overflow: auto; }
"""


def render(r: Results, sections: list[Section]) -> str:
    nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    body = "\n".join(s.render() for s in sections)
    figures = sum(s.figures for s in sections)
    data = r.summary.get("data", {})
    title = f"nautilus-arb report: {r.name}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
<script>{get_plotlyjs()}</script>
</head>
<body data-figures="{figures}" data-sections="{" ".join(s.id for s in sections)}">
<header><h1>{html.escape(title)}</h1>
<p>{html.escape(r.label)} &middot; data {html.escape(str(data.get("start", "?")))} .. {html.escape(str(data.get("end", "?")))} (UTC)
&middot; config {html.escape(str(r.summary.get("config_hash", "")))}</p></header>
<nav>{nav}</nav>
<main>
{body}
</main>
</body></html>
"""


def build_report(results: Results | str | Path) -> str:
    r = results if isinstance(results, Results) else load_results(results)
    return render(r, build_sections(r))


def write_report(results_dir: str | Path, out_path: str | Path | None = None) -> Path:
    """Write the report of `results_dir` to `out_path` (default: `<results_dir>/report.html`)."""
    out = Path(out_path) if out_path is not None else Path(results_dir) / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_report(results_dir), encoding="utf-8")
    return out
