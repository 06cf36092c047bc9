"""Pure arithmetic of the signals: edges, executable prices, triggers, sizing. Checkable by hand.

Conventions: an *edge* is what opening (or closing) a pair earns at executable prices, in basis
points of the buy price: `edge_bps = (sell_price / buy_price - 1) x 10^4`. Positive = the sell leg is
dearer than the buy leg.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from decimal import ROUND_FLOOR
from decimal import Decimal

BPS = 1e4


def edge_bps(buy_price: float, sell_price: float) -> float:
    return (sell_price / buy_price - 1.0) * BPS


def walk_book(levels: Sequence[tuple[float, float]], quantity: float) -> tuple[float, float]:
    """Volume-weighted price to take `quantity` from `levels` [(price, size), ...] best first.
    Returns (vwap, filled): `filled` < `quantity` when the book is too thin."""
    remaining = quantity
    cost = 0.0
    for price, size in levels:
        take = size if size < remaining else remaining
        cost += take * price
        remaining -= take
        if remaining <= 0:
            break
    filled = quantity - max(remaining, 0.0)
    return (cost / filled if filled > 0 else float("nan")), filled


def entry_floor_bps(
    taker_fee_buy: float, taker_fee_sell: float, slippage_bps: float, entry_bps: float
) -> float:
    """The least edge worth entering: both legs' taker fees + slippage buffer + the required margin."""
    return (taker_fee_buy + taker_fee_sell) * BPS + slippage_bps + entry_bps


def dynamic_trigger(rolling_mean: float, k_bps: float, floor_bps: float) -> float:
    """max(rolling_mean(edge) + k, floor): a persistent basis does not look like an opportunity."""
    return max(rolling_mean + k_bps, floor_bps)


def captured_fraction(entry_spread_bps: float, current_spread_bps: float) -> float:
    """How much of the entry dislocation has reverted (1 = back to zero spread)."""
    if entry_spread_bps == 0:
        return 0.0
    return (entry_spread_bps - current_spread_bps) / entry_spread_bps


def coarser_lot(lot_a: Decimal, lot_b: Decimal) -> Decimal:
    return max(lot_a, lot_b)


def round_to_lot(quantity: Decimal, lot: Decimal) -> Decimal:
    return (quantity / lot).to_integral_value(rounding=ROUND_FLOOR) * lot


def size_check(quantity: Decimal, price: Decimal, min_size: Decimal, min_notional: Decimal) -> str | None:
    """Why a leg of `quantity` at `price` cannot be sent, or None if it can."""
    if quantity <= 0:
        return "quantity rounds to zero"
    if quantity < min_size:
        return f"quantity {quantity} below min size {min_size}"
    if quantity * price < min_notional:
        return f"notional {quantity * price:.2f} below min notional {min_notional}"
    return None


class RollingMean:
    """Mean of the last `window` samples in O(1) per sample. The running sum is recomputed exactly
    once per window so float error cannot accumulate over long runs. `ready_flag` is for owners that
    gate on a warm-up count of their own."""

    __slots__ = ("_n", "_sum", "_values", "ready_flag", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self._values: deque[float] = deque()
        self._sum = 0.0
        self._n = 0
        self.ready_flag = False

    def add(self, value: float) -> None:
        values = self._values
        values.append(value)
        self._sum += value
        if len(values) > self.window:
            self._sum -= values.popleft()
        self._n += 1
        if self._n % self.window == 0:
            self._sum = math.fsum(values)

    @property
    def count(self) -> int:
        return len(self._values)

    @property
    def ready(self) -> bool:
        return len(self._values) >= self.window

    @property
    def mean(self) -> float:
        return self._sum / len(self._values) if self._values else float("nan")


class BucketMean:
    """Mean of the last `window` samples, advanced a bucket of `bucket` samples at a time.

    The caller accumulates a bucket's sum itself (three float additions per sample on the hot path)
    and hands it over with `roll()`; the mean then covers the last `window // bucket` complete
    buckets. With the scalp defaults (600-sample window, 30-sample buckets) the trigger lags a true
    sample-by-sample rolling mean by at most 30 samples (5 % of the window).
    """

    __slots__ = ("_sums", "bucket", "nbuckets", "samples", "total")

    def __init__(self, window: int, bucket: int) -> None:
        self.bucket = max(1, bucket)
        self.nbuckets = max(1, window // self.bucket)
        self._sums: deque[float] = deque()
        self.total = 0.0
        self.samples = 0

    def roll(self, bucket_sum: float) -> None:
        sums = self._sums
        sums.append(bucket_sum)
        self.total += bucket_sum
        if len(sums) > self.nbuckets:
            self.total -= sums.popleft()
        self.samples += self.bucket
        if self.samples % (self.bucket * self.nbuckets) == 0:
            self.total = math.fsum(sums)  # no float drift over long runs

    @property
    def mean(self) -> float:
        n = len(self._sums)
        return self.total / (n * self.bucket) if n else float("nan")
