"""Pure arithmetic of the carry signal: funding normalisation, expected yield, allocation.

Rates are per the venue's own interval (a Hyperliquid hourly rate, a Bybit 8-hour rate, ...);
everything is compared per hour. A positive rate means longs pay shorts. A pair is long one leg and
short the other, so it earns `rate_per_hour(short) - rate_per_hour(long)` per hour on its notional
(a spot leg pays and receives no funding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOURS_PER_YEAR = 24 * 365
BPS = 1e4


def rate_per_hour(rate: float, interval_hours: float) -> float:
    return rate / interval_hours


def apr(rate: float, interval_hours: float) -> float:
    return rate_per_hour(rate, interval_hours) * HOURS_PER_YEAR


def differential_per_hour(long_rate_h: float, short_rate_h: float) -> float:
    """What the pair earns per hour per unit notional: the short receives, the long pays."""
    return short_rate_h - long_rate_h


def expected_yield_bps(
    diff_per_hour: float, horizon_hours: float, round_trip_fees_bps: float, slippage_bps: float
) -> float:
    """Net yield over the planned hold, in bps of one leg's notional."""
    return diff_per_hour * horizon_hours * BPS - round_trip_fees_bps - slippage_bps


def round_trip_fees_bps(taker_fee_long: float, taker_fee_short: float) -> float:
    """Entering and leaving both legs at the taker rate."""
    return 2 * (taker_fee_long + taker_fee_short) * BPS


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


@dataclass(frozen=True)
class Candidate:
    asset: str
    yield_bps: float
    min_notional: float  # the smallest per-leg notional both legs accept


def allocate(
    candidates: list[Candidate], capital: float, max_per_asset: float, max_assets: int | None
) -> dict[str, float]:
    """Per-leg notional per asset.

    Only positive yields count. The best `max_assets` (None = all) share `capital` in proportion to
    their yield, each capped at `max_per_asset`. An asset whose share falls under its minimum order
    is dropped and the rest re-split (pivot), worst yield first, until every share is tradeable.
    """
    pool = sorted((c for c in candidates if c.yield_bps > 0), key=lambda c: (-c.yield_bps, c.asset))
    if max_assets is not None:
        pool = pool[:max_assets]
    while pool:
        total = sum(c.yield_bps for c in pool)
        shares = {c.asset: min(capital * c.yield_bps / total, max_per_asset) for c in pool}
        too_small = [c for c in pool if shares[c.asset] < c.min_notional]
        if not too_small:
            return shares
        pool.remove(min(too_small, key=lambda c: (c.yield_bps, c.asset)))
    return {}


def liquidation_price(entry: float, long: bool, leverage: float, maintenance_margin: float) -> float:
    """Isolated-margin estimate: the price at which the leg's margin is used up."""
    if long:
        return entry * (1 - 1 / leverage + maintenance_margin)
    return entry * (1 + 1 / leverage - maintenance_margin)
