"""The synthetic dataset: deterministic, and it has what the strategies need."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import QuoteTick

from catalog.registry import default_registry
from catalog.store import open_catalog
from catalog.synth import SynthParams
from catalog.synth import generate

PARAMS = SynthParams(days=1.0, quote_rate_scale=0.5, seed=3)


def _tree(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    return generate(root / "a", PARAMS)


def test_same_seed_gives_a_byte_identical_catalog(synth, tmp_path):
    again = generate(tmp_path / "b", PARAMS)
    assert _tree(synth.path) == _tree(again.path)
    other = generate(tmp_path / "c", SynthParams(days=1.0, quote_rate_scale=0.5, seed=4))
    assert _tree(other.path) != _tree(synth.path)


def test_refuses_to_overwrite_a_catalog_without_force(synth):
    with pytest.raises(FileExistsError, match="not empty"):
        generate(synth.path, PARAMS)


def test_assets_on_three_venues_with_spot_and_perp_on_one(synth):
    registry = default_registry()
    by_asset: dict[str, set[str]] = {}
    kinds = set()
    for instrument_id in synth.quotes:
        m = registry.market_for(instrument_id)
        by_asset.setdefault(m.asset, set()).add(m.venue)
        kinds.add((m.asset, m.venue, m.kind))
    assert {"BTC", "ETH", "SOL", "NVDA"} <= set(by_asset)
    assert all(len(v) >= 3 for v in by_asset.values())
    assert ("BTC", "BYBIT", "spot") in kinds and ("BTC", "BYBIT", "perp") in kinds


def test_quotes_are_valid_and_track_one_latent_price(synth):
    catalog = open_catalog(synth.path)
    mids = {}
    for instrument_id in ("BTC-USD-PERP.HYPERLIQUID", "BTCUSDT-PERP.BITGET", "BTCUSDT-LINEAR.BYBIT"):
        quotes = catalog.query(QuoteTick, identifiers=[instrument_id])
        assert len(quotes) == synth.quotes[instrument_id]
        bids = np.array([q.bid_price.as_double() for q in quotes])
        asks = np.array([q.ask_price.as_double() for q in quotes])
        assert (asks > bids).all()
        hours = np.array([q.ts_init for q in quotes]) // 3_600_000_000_000
        mids[instrument_id] = {h: ((bids + asks) / 2)[hours == h].mean() for h in np.unique(hours)}
    # hourly mean mids of the venues stay within a few tens of bps of each other
    for h in mids["BTC-USD-PERP.HYPERLIQUID"]:
        values = [m[h] for m in mids.values() if h in m]
        assert max(values) / min(values) - 1 < 0.005


def test_funding_follows_each_venue_interval_with_flips_and_divergences(synth):
    catalog = open_catalog(synth.path)
    registry = default_registry()
    for instrument_id in ("BTC-USD-PERP.HYPERLIQUID", "BTCUSDT-LINEAR.BYBIT", "SOLUSDT-PERP.ASTER"):
        updates = catalog.query(FundingRateUpdate, identifiers=[instrument_id])
        settlements = sorted({u.next_funding_ns for u in updates})
        steps = {b - a for a, b in itertools.pairwise(settlements)}
        hours = registry.market_for(instrument_id).funding_interval_hours
        assert steps == {hours * 3_600_000_000_000}
        assert all(s % (hours * 3_600_000_000_000) == 0 for s in settlements)  # aligned to 00:00 UTC
    assert not any(i.endswith("SPOT.BYBIT") for i in synth.funding_updates)
    kinds = {e["kind"] for e in synth.dislocations}
    assert "funding-divergence" in kinds and "perp" in kinds
    sizes = [abs(e["bps"]) for e in synth.dislocations if e["kind"] in ("perp", "spot")]
    assert min(sizes) < 20 < max(sizes)  # small false signals and tradeable ones


def test_funding_rates_change_sign_somewhere():
    result_rates = []
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        r = generate(Path(d) / "c", SynthParams(days=3.0, quote_rate_scale=0.05, seed=7))
        catalog = open_catalog(r.path)
        result_rates = [float(u.rate) for u in catalog.query(FundingRateUpdate)]
    assert min(result_rates) < 0 < max(result_rates)
