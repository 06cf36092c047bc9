"""The canonical instrument registry."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from catalog.registry import Registry
from catalog.registry import RegistryError
from catalog.registry import default_registry


def ns(text: str) -> int:
    return pd.Timestamp(text, tz="UTC").value


def test_fees_are_dated_so_old_periods_use_old_fees():
    reg = default_registry()
    paradex = reg.market("BTC", "PARADEX")
    assert paradex.fee("maker", ns("2026-07-02")) == Decimal("0")
    assert paradex.fee("maker", ns("2026-07-03")) == Decimal("0.00003")
    kraken = reg.market("BTC", "KRAKEN")
    assert kraken.fee("taker", ns("2024-05-31")) == Decimal("0.0026")
    assert kraken.fee("taker", ns("2024-06-01")) == Decimal("0.0040")
    with pytest.raises(RegistryError, match="no 'perp' fees in force"):
        reg.venue("PARADEX").fee_rate("perp", ns("2020-01-01"))


def test_funding_intervals_per_venue_and_symbol():
    reg = default_registry()
    assert reg.market("BTC", "HYPERLIQUID").funding_interval_hours == 1
    assert reg.market("BTC", "LIGHTER").funding_interval_hours == 1
    assert reg.market("BTC", "BYBIT").funding_interval_hours == 8
    assert reg.market("BTC", "BITGET").funding_interval_hours == 8
    assert reg.market("SOL", "ASTER").funding_interval_hours == 4
    assert reg.market("BTC", "ASTER").funding_interval_hours == 8
    assert reg.market("BTC", "BYBIT", "spot").funding_interval_hours is None
    btc = reg.market("BTC", "BYBIT")
    assert btc.next_funding_time(ns("2025-01-01T07:59:59")) == ns("2025-01-01T08:00")
    assert btc.next_funding_time(ns("2025-01-01T08:00")) == ns("2025-01-01T16:00")


def test_instrument_specs_become_nautilus_instruments():
    reg = default_registry()
    nvda = reg.market("NVDA", "HYPERLIQUID")
    instrument = nvda.to_instrument(ns("2025-01-01"))
    assert str(instrument.id) == "xyz:NVDA-USD-PERP.HYPERLIQUID"
    assert (instrument.price_precision, instrument.size_precision) == (2, 3)
    assert instrument.min_notional.as_decimal() == Decimal("10")
    assert instrument.taker_fee == Decimal("0.00090")  # HIP-3 fee class
    spot = reg.market("BTC", "BYBIT", "spot").to_instrument(ns("2025-01-01"))
    assert type(spot).__name__ == "CurrencyPair" and spot.quote_currency.code == "USDT"


def test_lookup_errors_name_the_allowed_values():
    reg = default_registry()
    with pytest.raises(RegistryError, match=r"unknown venue 'FTX' \(known venues: ASTER, BINANCE, BITGET"):
        reg.market("BTC", "FTX")
    with pytest.raises(
        RegistryError, match=r"unknown asset 'DOGE' \(known assets: BTC, ETH, HYPE, NVDA, SOL\)"
    ):
        reg.market("DOGE", "BYBIT")
    with pytest.raises(RegistryError, match=r"no spot market for SOL on BYBIT"):
        reg.market("SOL", "BYBIT", "spot")
    assert reg.market("BTC", "BYBIT").kind == "perp"  # perp is the default leg when a venue has both


def test_a_user_file_adds_and_replaces_entries(tmp_path):
    extra = tmp_path / "mine.toml"
    extra.write_text(
        """
[[markets]]
asset = "BTC"
venue = "BYBIT"
kind = "perp"
symbol = "BTCUSDT"
instrument_id = "BTCUSDT-LINEAR.BYBIT"
tick = "0.5"
lot = "0.001"
min_size = "0.001"
min_notional = "5"
funding_interval_hours = 4
funding_interval_changes = [{ since = "2025-06-01", hours = 1 }]
"""
    )
    reg = Registry.load(extra=[extra])
    btc = reg.market("BTC", "BYBIT")
    assert btc.tick == Decimal("0.5")
    assert btc.funding_interval_at(ns("2025-05-31")) == 4
    assert btc.funding_interval_at(ns("2025-06-02")) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('[[markets]]\nasset="BTC"\nvenue="BYBIT"\nkind="perp"\ntik="1"\n')
    with pytest.raises(RegistryError, match=r"unknown key\(s\) tik"):
        Registry.load(extra=[bad])
