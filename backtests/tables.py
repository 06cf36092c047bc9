"""Tables the strategies add to a results folder (beside orders/fills/positions/account/funding).

A strategy (or an actor such as `backtests.equity.EquityRecorder`) exposes `results_tables() -> dict[str, pd.DataFrame]`; the results writer stores each as
`<name>.parquet` with an added `strategy_id` column. These are the names and columns the report and
notebooks rely on. Times are `datetime64[ns, UTC]`; money columns are USD-equivalent floats (the
exact ledgers are in `funding_payments.parquet` and the fills).
"""

from __future__ import annotations

import pandas as pd

# One row per position pair, from entry to exit (both strategies).
TRADES = "trades"
TRADES_COLUMNS = {
    "pair_id": "str: unique id of the position pair",
    "kind": "str: 'scalp' or 'carry'",
    "asset": "str: canonical asset (BTC, NVDA, ...)",
    "long_instrument": "str: instrument id of the long leg",
    "short_instrument": "str: instrument id of the short leg",
    "quantity": "float: base quantity of each leg",
    "entry_ts": "datetime: first entry fill",
    "exit_ts": "datetime: last exit fill (NaT while open)",
    "exit_reason": "str: take_profit, stop_loss, max_hold, funding_reversal, kill_switch, end_of_run, ...",
    "expected_edge_bps": "float: edge at the executable prices when the entry was decided",
    "entry_edge_bps": "float: realised entry edge from the fill prices",
    "exit_edge_bps": "float: realised exit edge from the fill prices (NaN while open)",
    "pnl_trading": "float: price PnL of both legs, gross of fees",
    "fees": "float: fees of both legs, entry and exit",
    "funding": "float: funding received (+) or paid (-) by both legs",
    "net": "float: pnl_trading - fees + funding",
}

# Scalp: the spread series the signal saw, per pair and direction, at the recording interval.
SPREAD_SAMPLES = "spread_samples"
SPREAD_SAMPLES_COLUMNS = {
    "ts": "datetime",
    "pair": "str: '<ASSET> <VENUE_A>/<VENUE_B>'",
    "direction": "str: 'buy <VENUE_A> sell <VENUE_B>' or the reverse",
    "edge_bps": "float: executable edge before fees (sell price / buy price - 1, in bps)",
    "trigger_bps": "float: the dynamic trigger in force (NaN during warm-up)",
}

# Leg execution: one row per execution (entry, exit, repair) of a pair.
LEG_RISK = "leg_risk"
LEG_RISK_COLUMNS = {
    "exec_id": "str",
    "pair_id": "str",
    "purpose": "str: 'entry', 'exit', 'repair'",
    "ts_submit": "datetime: legs submitted",
    "ts_done": "datetime: execution finished (hedged, flattened or abandoned)",
    "hedge_latency_ms": "float: first fill -> last fill of the legs (NaN if one leg never filled)",
    "unhedged_notional_s": "float: time-weighted unhedged notional, USD x seconds",
    "retries": "int: shortfall retries sent",
    "orphan": "bool: a leg was left unhedged and flattened",
    "flatten_cost": "float: cost of flattening/rolling back, USD (0 if none)",
    "expected_edge_bps": "float",
    "realized_edge_bps": "float",
    "outcome": "str: 'hedged', 'flattened', 'nothing_filled', 'repaired'",
}

# Carry: the funding ledger per pair, one row per settlement seen on either leg.
CARRY_LEDGER = "carry_ledger"
CARRY_LEDGER_COLUMNS = {
    "pair_id": "str",
    "ts": "datetime: settlement time",
    "instrument_id": "str: the leg that settled",
    "predicted": "float: funding the strategy expected for this settlement",
    "accrued": "float: FundingPayment amount received (+) / paid (-)",
    "realized_total": "float: cumulative funding of the pair so far",
    "basis_mtm": "float: mark-to-market of the basis (both legs' price PnL) at that time",
    "fees_total": "float: fees paid by the pair so far",
}

# Carry: the funding rates the strategy saw, normalised.
FUNDING_RATES = "funding_rates"
FUNDING_RATES_COLUMNS = {
    "ts": "datetime",
    "instrument_id": "str",
    "venue": "str",
    "asset": "str",
    "rate": "float: per the venue's interval",
    "interval_hours": "float",
    "rate_per_hour": "float",
    "apr": "float: rate_per_hour x 24 x 365",
}

# Marked-to-market equity per venue at the recording interval (`backtests.equity.EquityRecorder`).
EQUITY = "equity"
EQUITY_COLUMNS = {
    "ts": "datetime",
    "venue": "str",
    "balance": "float: account balance, USD-like currencies at par",
    "unrealized": "float: unrealised PnL of the open positions, marked at mid",
    "equity": "float: balance + unrealized",
    "unpriced": "int: open positions with no price yet (not marked)",
}

SCHEMAS = {
    TRADES: TRADES_COLUMNS,
    SPREAD_SAMPLES: SPREAD_SAMPLES_COLUMNS,
    LEG_RISK: LEG_RISK_COLUMNS,
    CARRY_LEDGER: CARRY_LEDGER_COLUMNS,
    FUNDING_RATES: FUNDING_RATES_COLUMNS,
    EQUITY: EQUITY_COLUMNS,
}


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """A DataFrame with exactly the documented columns (in order), datetimes as UTC."""
    columns = list(SCHEMAS[name])
    df = pd.DataFrame(rows, columns=columns)
    for col, doc in SCHEMAS[name].items():
        if doc.startswith("datetime"):
            df[col] = pd.to_datetime(df[col], utc=True)
    return df
