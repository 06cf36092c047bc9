"""Market history the simulator can serve from before it started, so a downloader has pages to
walk: one-minute candles and funding settlements for `history_days` before the start, generated
from a seed (the same seed and start minute give the same history), joined to what the running
simulator produces (candles from the prices the front observes, settlements the core records).

The generated path is a random walk that ends at each market's start price, so history and live
data meet without a jump. Higher intervals aggregate the one-minute candles; weeks start on
Monday and months on the 1st (UTC), as on the venue.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from decimal import ROUND_HALF_EVEN
from decimal import Decimal

from venuesim.core.exchange import SimExchange
from venuesim.fronts.bybit.protocol import KLINE_MS
from venuesim.fronts.bybit.universe import BybitMarket

MINUTE = 60_000
DAY = 86_400_000
WEEK_OFFSET = 4 * DAY  # 1970-01-01 was a Thursday; weeks start on Monday


def bucket_start(ts: int, interval: str) -> int:
    if interval == "M":
        d = datetime.fromtimestamp(ts / 1000, tz=UTC)
        return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp() * 1000)
    step = KLINE_MS[interval]
    if interval == "W":
        return (ts - WEEK_OFFSET) // step * step + WEEK_OFFSET
    return ts // step * step


def bucket_end(start: int, interval: str) -> int:
    """Last millisecond of the bucket starting at `start`."""
    if interval == "M":
        d = datetime.fromtimestamp(start / 1000, tz=UTC)
        nxt = datetime(d.year + d.month // 12, d.month % 12 + 1, 1, tzinfo=UTC)
        return int(nxt.timestamp() * 1000) - 1
    return start + KLINE_MS[interval] - 1


@dataclass
class Candle:
    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    turnover: Decimal

    def merge(self, other: Candle) -> None:
        self.high = max(self.high, other.high)
        self.low = min(self.low, other.low)
        self.close = other.close
        self.volume += other.volume
        self.turnover += other.turnover


class MarketHistory:
    def __init__(self, exchange: SimExchange, start_ms: int, history_days: float, seed: int) -> None:
        self.exchange = exchange
        self.start_ms = start_ms // MINUTE * MINUTE  # history covers whole minutes before this
        self.minutes = int(history_days * 1440)
        self.seed = seed
        self._minutes: dict[str, list[Candle]] = {}
        self._funding: dict[str, list[tuple[int, Decimal]]] = {}
        self._live: dict[str, list[Candle]] = {}
        self._traded: dict[str, Decimal] = {}

    def _rng(self, m: BybitMarket, what: str) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}:{m.key}:{what}:{self.start_ms}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def _q(self, m: BybitMarket, x: float) -> Decimal:
        return (Decimal(repr(x)) / m.tick).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * m.tick

    def history_minutes(self, m: BybitMarket) -> list[Candle]:
        """Generated one-minute candles for [start - history, start), oldest first."""
        cached = self._minutes.get(m.key)
        if cached is not None:
            return cached
        rng = self._rng(m, "kline")
        vol = max(m.spec.vol_bps, 0.5) / 10_000
        closes = [float(m.spec.price)]
        for _ in range(self.minutes):
            closes.append(closes[-1] * math.exp(-rng.gauss(0.0, vol)))
        closes.reverse()  # closes[i] is the close of minute i; the last one is the start price
        out = []
        base_volume = float(m.spec.level_notional) / float(m.spec.price) * 0.2
        for i in range(self.minutes):
            o, c = closes[i], closes[i + 1]
            spread = abs(rng.gauss(0.0, vol / 2))
            h, low = max(o, c) * (1 + spread), min(o, c) * (1 - spread)
            v = Decimal(repr(base_volume * rng.lognormvariate(0.0, 0.5))).quantize(m.qty_step)
            t0 = self.start_ms - (self.minutes - i) * MINUTE
            oq, cq, hq, lq = (self._q(m, x) for x in (o, c, h, low))
            out.append(
                Candle(t0, oq, max(hq, oq, cq), min(lq, oq, cq), cq, v, (v * cq).quantize(Decimal("0.0001")))
            )
        self._minutes[m.key] = out
        return out

    def observe(self, m: BybitMarket, ts: int, mid: Decimal, traded_total: Decimal) -> None:
        """Feed the running simulator's price and cumulative traded size into its live candles."""
        live = self._live.setdefault(m.key, [])
        last_total = self._traded.get(m.key)
        self._traded[m.key] = traded_total
        traded = Decimal(0) if last_total is None else max(Decimal(0), traded_total - last_total)
        px = self._q(m, float(mid))
        t0 = max(ts, self.start_ms) // MINUTE * MINUTE
        if live and live[-1].start == t0:
            c = live[-1]
            c.high, c.low, c.close = max(c.high, px), min(c.low, px), px
        else:
            opening = live[-1].close if live else px
            c = Candle(t0, opening, max(opening, px), min(opening, px), px, Decimal(0), Decimal(0))
            live.append(c)
        c.volume += traded
        c.turnover += traded * px

    def live_minutes(self, m: BybitMarket) -> list[Candle]:
        return self._live.get(m.key, [])

    def candles(self, m: BybitMarket, interval: str, start: int, end: int) -> list[Candle]:
        """Candles of `interval` whose start lies in [start, end], oldest first."""
        hist = self.history_minutes(m)
        first = bucket_start(start, interval)
        lo = bisect.bisect_left(hist, first, key=lambda c: c.start)
        last = bucket_end(bucket_start(end, interval), interval)  # the last candle is whole
        hi = bisect.bisect_right(hist, last, key=lambda c: c.start)
        minutes = hist[lo:hi]
        if last >= self.start_ms:
            minutes += [c for c in self.live_minutes(m) if self.start_ms <= c.start <= last]
        buckets: dict[int, Candle] = {}
        for c in minutes:
            b = bucket_start(c.start, interval)
            agg = buckets.get(b)
            if agg is None:
                buckets[b] = Candle(b, c.open, c.high, c.low, c.close, c.volume, c.turnover)
            else:
                agg.merge(c)
        return [buckets[b] for b in sorted(buckets) if start <= b <= end]

    # -- funding ---------------------------------------------------------------------------------
    def funding(self, m: BybitMarket) -> list[tuple[int, Decimal]]:
        """Settled funding (time ms, rate), oldest first: generated history, then what the running
        simulator settled."""
        cached = self._funding.get(m.key)
        if cached is None:
            rng = self._rng(m, "funding")
            step = m.funding_interval_min * MINUTE
            first = (self.start_ms - self.minutes * MINUTE) // step * step + step
            cached = []
            rate = 0.0001
            t = first
            while t < self.start_ms:
                rate = 0.0001 + 0.8 * (rate - 0.0001) + rng.gauss(0.0, 0.00005)
                cached.append((t, Decimal(repr(round(rate, 6))).normalize()))
                t += step
            self._funding[m.key] = cached
        live = [(t, r) for t, r, _ in self.exchange.market(m.key).funding_history]
        return cached + live
