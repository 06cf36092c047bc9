"""Deterministic synthetic multi-venue dataset (the embedded default for `make demo`).

Model, per asset:

* **Latent price**: geometric Brownian motion on a 1-second grid (`vol_annual`).
* **Venue mid** = latent x (1 + (basis + dislocation) / 10^4). The *basis* is a slow Ornstein-Uhlenbeck
  wander around the venue's `basis_bps` (3 h reversion). *Dislocations* arrive as a Poisson process
  (`dislocations_per_day` per asset): one venue's mid jumps by a lognormal size (`dislocation_bps_median`,
  `dislocation_bps_sigma`: most are large enough to trade, the small ones are false signals that fees eat),
  ramps in over a few seconds and mean-reverts with half-life ~`dislocation_half_life_s`.
* **Quotes**: a Poisson stream per venue (`quote_hz` x `quote_rate_scale`); each quote adds iid
  microstructure noise (`noise_bps`) to the mid, quotes a spread around `spread_bps` (x the asset's
  `spread_mult`, lognormal jitter), rounds bid down and ask up to the registry tick, and shows a
  top-of-book size around `depth_usd` notional (lognormal) rounded to the lot.
* **Funding** (perps only), in bps per 8 h: a common OU component per asset (`funding_mean_bps_8h`,
  `funding_vol_bps_8h`, `funding_reversion_hours`; large enough relative to the mean to flip sign), plus a
  per-venue OU component (`venue_funding_vol_bps_8h`) around the venue's `funding_bias_bps_8h`, plus
  *divergences* (`divergences_per_day` per asset) where one venue's rate moves `divergence_bps_8h` away for
  6-36 h. The rate for a settlement at T on a venue with interval h is the mean of that series over the
  hours (T-h, T], scaled to h/8. Each interval's rate is announced hourly from the start of the interval
  as a `FundingRateUpdate` with `next_funding_ns = T`; earlier announcements are noisy predictions that
  converge, the last one (one hour before T) is the settled rate.

Same `SynthParams` -> byte-identical catalog: every random stream is derived from (`seed`, asset, venue)
with NumPy's `SeedSequence`, nothing depends on wall-clock time or dict/set ordering, and the Parquet
writer is deterministic.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from catalog.funding import register_funding_types
from catalog.registry import NANOS_PER_HOUR
from catalog.registry import MarketSpec
from catalog.registry import Registry
from catalog.registry import default_registry
from catalog.writer import write_quote_arrays

NANOS = 1_000_000_000
SECONDS_PER_YEAR = 365 * 86_400
MANIFEST = "synth_manifest.json"


@dataclass(frozen=True)
class VenueStyle:
    quote_hz: float = 0.5  # mean quote updates per second (before `quote_rate_scale`)
    spread_bps: float = 2.0  # median quoted spread
    depth_usd: float = 100_000.0  # median top-of-book size (USD notional) on each side
    noise_bps: float = 0.8  # iid microstructure noise on each quoted mid
    basis_bps: float = 0.0  # long-run premium of this venue's mid over the latent price
    basis_vol_bps: float = 1.5  # stdev of the slow basis wander
    funding_bias_bps_8h: float = 0.0  # long-run offset of this venue's funding from the common rate


@dataclass(frozen=True)
class AssetSpec:
    asset: str
    price: float
    vol_annual: float
    perps: tuple[str, ...]
    spots: tuple[str, ...] = ()
    spread_mult: float = 1.0
    funding_mean_bps_8h: float = 1.0


DEFAULT_ASSETS = (
    AssetSpec(
        "BTC", 95_000.0, 0.55, ("HYPERLIQUID", "BITGET", "BYBIT"), spots=("BYBIT",), funding_mean_bps_8h=1.0
    ),
    AssetSpec(
        "ETH", 3_400.0, 0.70, ("HYPERLIQUID", "BITGET", "BYBIT"), spread_mult=1.2, funding_mean_bps_8h=1.0
    ),
    AssetSpec(
        "SOL", 180.0, 0.85, ("HYPERLIQUID", "BITGET", "ASTER"), spread_mult=1.6, funding_mean_bps_8h=1.2
    ),
    AssetSpec(
        "NVDA", 180.0, 0.45, ("HYPERLIQUID", "BITGET", "BYBIT"), spread_mult=2.5, funding_mean_bps_8h=0.8
    ),
)

DEFAULT_VENUES = {
    "HYPERLIQUID": VenueStyle(0.6, 1.5, 150_000, 0.6, 0.5, 1.5, 0.4),
    "BYBIT": VenueStyle(0.7, 1.0, 300_000, 0.5, 0.0, 1.0, 0.0),
    "BITGET": VenueStyle(0.5, 2.0, 120_000, 0.8, -0.5, 1.5, -0.3),
    "ASTER": VenueStyle(0.3, 3.0, 40_000, 1.2, 1.0, 2.0, 0.8),
    "LIGHTER": VenueStyle(0.5, 1.5, 80_000, 0.8, 0.0, 1.5, 0.2),
    "PARADEX": VenueStyle(0.4, 2.0, 60_000, 0.8, 0.0, 1.5, 0.0),
}


@dataclass(frozen=True)
class SynthParams:
    seed: int = 7
    start: str = "2025-03-03T00:00:00Z"
    days: float = 3.0
    assets: tuple[AssetSpec, ...] = DEFAULT_ASSETS
    venues: dict[str, VenueStyle] = field(default_factory=lambda: dict(DEFAULT_VENUES))
    quote_rate_scale: float = 0.7
    dislocations_per_day: float = 10.0
    dislocation_bps_median: float = 30.0
    dislocation_bps_sigma: float = 0.6
    dislocation_half_life_s: float = 60.0
    funding_vol_bps_8h: float = 1.5
    funding_reversion_hours: float = 24.0
    venue_funding_vol_bps_8h: float = 0.8
    divergences_per_day: float = 1.0
    divergence_bps_8h: float = 6.0

    @property
    def start_ns(self) -> int:
        return (
            pd.Timestamp(self.start).tz_convert("UTC").value
            if pd.Timestamp(self.start).tzinfo
            else pd.Timestamp(self.start, tz="UTC").value
        )

    @property
    def end_ns(self) -> int:
        return self.start_ns + int(self.days * 86_400) * NANOS

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class SynthResult:
    path: Path
    quotes: dict[str, int]
    funding_updates: dict[str, int]
    dislocations: list[dict]
    manifest: dict

    @property
    def total_quotes(self) -> int:
        return sum(self.quotes.values())


def _rng(seed: int, *keys: str) -> np.random.Generator:
    # Stable integer keys from names, so adding an asset or venue does not shift the others' streams.
    spawn = tuple(int.from_bytes(hashlib.sha256(k.encode()).digest()[:4], "little") for k in keys)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn))


def ou_path(
    rng: np.random.Generator, n: int, dt: float, mean: float, sd: float, tau: float, x0: float | None = None
) -> np.ndarray:
    """Exact OU discretisation: stationary stdev `sd`, reversion time `tau` (same units as `dt`)."""
    a = float(np.exp(-dt / tau))
    shocks = rng.standard_normal(n) * sd * np.sqrt(1 - a * a)
    out = np.empty(n)
    x = mean if x0 is None else x0
    for i in range(n):
        x = mean + a * (x - mean) + shocks[i]
        out[i] = x
    return out


def latent_path(rng: np.random.Generator, seconds: int, price: float, vol_annual: float) -> np.ndarray:
    sigma = vol_annual / np.sqrt(SECONDS_PER_YEAR)
    steps = rng.standard_normal(seconds) * sigma - 0.5 * sigma * sigma
    steps[0] = 0.0
    return price * np.exp(np.cumsum(steps))


def _dislocations(rng: np.random.Generator, p: SynthParams, spec: AssetSpec, seconds: int) -> list[dict]:
    venues = [(v, "perp") for v in spec.perps] + [(v, "spot") for v in spec.spots]
    count = rng.poisson(p.dislocations_per_day * p.days)
    events = []
    for _ in range(count):
        venue, kind = venues[rng.integers(len(venues))]
        events.append(
            {
                "asset": spec.asset,
                "venue": venue,
                "kind": kind,
                "t0_s": int(rng.integers(60, max(61, seconds - 600))),
                "bps": float(
                    np.sign(rng.standard_normal())
                    * p.dislocation_bps_median
                    * np.exp(p.dislocation_bps_sigma * rng.standard_normal())
                ),
                "half_life_s": float(p.dislocation_half_life_s * np.exp(0.4 * rng.standard_normal())),
                "ramp_s": int(rng.integers(1, 6)),
            }
        )
    events.sort(key=lambda e: (e["t0_s"], e["venue"], e["kind"]))
    return events


def _offset_bps(events: list[dict], venue: str, kind: str, seconds: int) -> np.ndarray:
    out = np.zeros(seconds)
    for e in events:
        if e["venue"] != venue or e["kind"] != kind:
            continue
        t0, hl, ramp = e["t0_s"], e["half_life_s"], e["ramp_s"]
        t1 = min(seconds, t0 + int(12 * hl) + ramp)
        t = np.arange(t1 - t0, dtype=float)
        shape = np.minimum(1.0, (t + 1) / ramp) * np.power(0.5, np.maximum(0.0, t - ramp) / hl)
        out[t0:t1] += e["bps"] * shape
    return out


def _quotes(rng, p: SynthParams, spec: AssetSpec, market: MarketSpec, style: VenueStyle, mid: np.ndarray):
    seconds = len(mid)
    n = rng.poisson(style.quote_hz * p.quote_rate_scale * seconds)
    offsets = np.sort(rng.integers(0, seconds * NANOS, size=n, dtype=np.int64))
    ts = offsets + p.start_ns
    m = mid[offsets // NANOS] * (1 + style.noise_bps * 1e-4 * rng.standard_normal(n))
    half = m * style.spread_bps * spec.spread_mult * 0.5e-4 * np.exp(0.3 * rng.standard_normal(n))
    tick = float(market.tick)
    bid = np.floor((m - half) / tick).astype(np.int64)
    ask = np.maximum(np.ceil((m + half) / tick).astype(np.int64), bid + 1)
    # price units at price_precision: ticks x (tick / 10^-pp)
    tick_units = int(market.tick.scaleb(market.price_precision))
    lot_units = int(market.lot.scaleb(market.size_precision))
    min_lots = max(1, int(market.min_size / market.lot))
    base_size = style.depth_usd / m
    sizes = []
    for _ in range(2):
        lots = np.maximum(
            min_lots, np.round(base_size * np.exp(0.5 * rng.standard_normal(n)) / float(market.lot))
        ).astype(np.int64)
        sizes.append(lots * lot_units)
    return ts, bid * tick_units, ask * tick_units, sizes[0], sizes[1]


def _funding_updates(
    rng, p: SynthParams, market: MarketSpec, style: VenueStyle, hourly_8h_bps: np.ndarray
) -> list[FundingRateUpdate]:
    """Announcements for every settlement in the window; see the module docstring."""
    start, end = p.start_ns, p.end_ns
    out: list[FundingRateUpdate] = []
    settle = market.next_funding_time(start)
    while settle is not None and settle <= end:
        hours = market.funding_interval_at(settle - 1) or 1
        h_end = (settle - start) // NANOS_PER_HOUR  # hour index of the settlement
        window = hourly_8h_bps[max(0, h_end - hours) : h_end] if h_end > 0 else hourly_8h_bps[:1]
        rate_bps = float(window.mean()) * hours / 8.0 if len(window) else 0.0
        rate = Decimal(f"{rate_bps * 1e-4:.8f}")
        first = max(start, settle - hours * NANOS_PER_HOUR)
        announce = list(range(first, settle, NANOS_PER_HOUR))
        for k, ts in enumerate(announce):
            remaining = len(announce) - 1 - k
            noisy = (
                rate
                if remaining == 0
                else Decimal(f"{(rate_bps + 0.3 * remaining / hours * rng.standard_normal()) * 1e-4:.8f}")
            )
            out.append(
                FundingRateUpdate(
                    market.instrument_id, noisy, ts_event=ts, ts_init=ts, next_funding_ns=settle
                )
            )
        settle = market.next_funding_time(settle)
    return out


def generate(
    path: str | Path,
    params: SynthParams | None = None,
    registry: Registry | None = None,
    progress: Callable[[str], None] | None = None,
    overwrite: bool = False,
) -> SynthResult:
    """Write the synthetic dataset into a new catalog at `path`."""
    p = params or SynthParams()
    reg = registry or default_registry()
    register_funding_types()
    root = Path(path)
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"catalog path {root} is not empty (pass overwrite=True / --force to replace it)"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    catalog = ParquetDataCatalog(str(root))
    seconds = int(p.days * 86_400)
    hours = seconds // 3600 + 2
    say = progress or (lambda _msg: None)

    instruments = []
    quotes: dict[str, int] = {}
    funding_counts: dict[str, int] = {}
    all_updates: list[FundingRateUpdate] = []
    all_events: list[dict] = []
    for spec in p.assets:
        say(f"{spec.asset}: latent path over {p.days:g} days")
        rng = _rng(p.seed, spec.asset, "latent")
        latent = latent_path(rng, seconds, spec.price, spec.vol_annual)
        events = _dislocations(_rng(p.seed, spec.asset, "dislocations"), p, spec, seconds)
        all_events.extend(events)
        common = ou_path(
            _rng(p.seed, spec.asset, "funding"),
            hours,
            1.0,
            spec.funding_mean_bps_8h,
            p.funding_vol_bps_8h,
            p.funding_reversion_hours,
        )
        divergence = {venue: np.zeros(hours) for venue in spec.perps}
        drng = _rng(p.seed, spec.asset, "divergence")
        for _ in range(drng.poisson(p.divergences_per_day * p.days)):
            venue = spec.perps[int(drng.integers(len(spec.perps)))]
            h0, length = int(drng.integers(0, hours)), int(drng.integers(6, 37))
            bps = (1.0 if drng.random() < 0.5 else -1.0) * p.divergence_bps_8h
            divergence[venue][h0 : h0 + length] += bps
            all_events.append(
                {
                    "asset": spec.asset,
                    "venue": venue,
                    "kind": "funding-divergence",
                    "t0_s": h0 * 3600,
                    "bps": bps,
                    "hours": length,
                }
            )
        for kind, venues in (("perp", spec.perps), ("spot", spec.spots)):
            for venue in venues:
                market = reg.market(spec.asset, venue, kind)  # type: ignore[arg-type]
                style = p.venues.get(venue, VenueStyle())
                instrument = market.to_instrument(p.start_ns)
                instruments.append(instrument)
                vr = _rng(p.seed, spec.asset, venue, kind)
                basis = ou_path(vr, seconds // 60 + 1, 60.0, style.basis_bps, style.basis_vol_bps, 3 * 3600.0)
                basis_1s = np.repeat(basis, 60)[:seconds]
                mid = latent * (1 + (basis_1s + _offset_bps(events, venue, kind, seconds)) * 1e-4)
                ts, bid, ask, bid_sz, ask_sz = _quotes(vr, p, spec, market, style, mid)
                write_quote_arrays(catalog, instrument, ts, bid, ask, bid_sz, ask_sz)
                quotes[instrument.id.value] = len(ts)
                say(f"  {instrument.id}: {len(ts):,} quotes")
                if kind == "perp":
                    frng = _rng(p.seed, spec.asset, venue, "funding")
                    own = ou_path(
                        frng, hours, 1.0, style.funding_bias_bps_8h, p.venue_funding_vol_bps_8h, 12.0
                    )
                    series = common + own + divergence[venue]
                    updates = _funding_updates(frng, p, market, style, series)
                    all_updates.extend(updates)
                    funding_counts[instrument.id.value] = len(updates)

    catalog.write_data(instruments)
    all_updates.sort(key=lambda u: (u.ts_init, u.instrument_id.value))
    if all_updates:
        catalog.write_data(all_updates)
    manifest = {
        "generator": "nautilus-arb catalog synth",
        "params": json.loads(p.to_json()),
        "start": pd.Timestamp(p.start_ns, tz="UTC").isoformat(),
        "end": pd.Timestamp(p.end_ns, tz="UTC").isoformat(),
        "instruments": sorted(quotes),
        "quotes": quotes,
        "funding_updates": funding_counts,
        "events": all_events,
        "files": _file_hashes(root),
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return SynthResult(root, quotes, funding_counts, all_events, manifest)


def _file_hashes(root: Path) -> dict[str, str]:
    out = {}
    for f in sorted(root.rglob("*.parquet")):
        out[str(f.relative_to(root))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def read_manifest(path: str | Path) -> dict | None:
    f = Path(path) / MANIFEST
    return json.loads(f.read_text()) if f.exists() else None


def quotes_per_second(p: SynthParams) -> float:
    """Expected quote arrivals per second across every instrument of `p`."""
    return sum(
        p.venues.get(venue, VenueStyle()).quote_hz * p.quote_rate_scale
        for spec in p.assets
        for venue in (*spec.perps, *spec.spots)
    )
