"""Invalid run configs fail before anything runs, naming the field and the allowed values."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from backtests.config import ConfigError
from backtests.config import parse_config
from backtests.runner import plan
from catalog.synth import SynthParams
from catalog.synth import generate


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("cfg")
    generate(root / "catalog", SynthParams(days=0.25, quote_rate_scale=0.2, seed=5))
    return root / "catalog"


def base(catalog, **strategy) -> dict:
    return {
        "backtest": {"catalog": str(catalog), "results": "unused", "log_level": "ERROR"},
        "venues": {"HYPERLIQUID": {}, "BYBIT": {}},
        "strategies": [
            {
                "kind": "scalp",
                "notional_usd": 1000,
                "pairs": [{"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]}],
                **strategy,
            }
        ],
    }


def error_of(raw: dict) -> str:
    with pytest.raises(ConfigError) as e:
        plan(parse_config(raw))
    return str(e.value)


def test_a_valid_config_resolves_instruments_and_range(catalog):
    p = plan(parse_config(base(catalog)))
    assert p.instruments == ["BTC-USD-PERP.HYPERLIQUID", "BTCUSDT-LINEAR.BYBIT"]
    assert p.start_ns < p.end_ns
    assert set(p.data_types) == {"quotes", "funding"}


def test_unknown_key_names_the_field_and_the_allowed_keys(catalog):
    raw = base(catalog)
    raw["backtest"]["chunksize"] = 10
    assert error_of(raw) == (
        "backtest: unknown key 'chunksize' (allowed: catalog, chunk_size, end, equity_every_s, log_level, name, progress, registry, results, start)"
    )


def test_a_negative_equity_interval_is_refused(catalog):
    raw = base(catalog)
    raw["backtest"]["equity_every_s"] = -5
    assert error_of(raw) == "backtest.equity_every_s: must be >= 0 seconds (0 turns it off), got -5"


def test_unknown_strategy_setting_lists_the_kind_settings(catalog):
    message = error_of(base(catalog, entry=5))
    assert message.startswith("strategies[0]: unknown key 'entry' (allowed: ")
    assert "entry_bps" in message and "order_id_tag" not in message


def test_nested_unknown_key_names_its_path(catalog):
    message = error_of(base(catalog, guards={"cooldown": 5}))
    assert message.startswith("strategies[0].guards: unknown key 'cooldown' (allowed: ")
    assert "cooldown_s" in message


def test_unknown_venue_kind_and_asset(catalog):
    raw = base(catalog)
    raw["venues"]["FTX"] = {}
    assert error_of(raw).startswith(
        "venues.FTX: 'FTX' is not allowed (allowed: ASTER, BINANCE, BITGET, BYBIT, HYPERLIQUID"
    )
    raw = base(catalog)
    raw["strategies"][0]["kind"] = "scalper"
    assert (
        error_of(raw)
        == "strategies[0].kind: 'scalper' is not allowed (allowed: carry, noop, scalp, scripted)"
    )
    message = error_of(base(catalog, pairs=[{"asset": "DOGE", "venues": ["HYPERLIQUID", "BYBIT"]}]))
    assert (
        message == "strategies[0]: pairs[0]: unknown asset 'DOGE' (known assets: BTC, ETH, HYPE, NVDA, SOL)"
    )


def test_wrong_type_names_the_field(catalog):
    message = error_of(base(catalog, warmup="lots"))
    assert message == "strategies[0].warmup: Expected `int`, got `str`"


def test_strategy_on_a_venue_without_a_section(catalog):
    raw = base(catalog, pairs=[{"asset": "BTC", "venues": ["HYPERLIQUID", "BITGET"]}])
    assert error_of(raw) == (
        "strategies[0] (scalp0) uses BTCUSDT-PERP.BITGET but there is no [venues.BITGET] section (configured venues: BYBIT, HYPERLIQUID)"
    )


def test_missing_catalog_and_missing_instruments(catalog, tmp_path):
    raw = base(catalog)
    raw["backtest"]["catalog"] = str(tmp_path / "nowhere")
    assert error_of(raw).startswith(f"backtest.catalog: no catalog at {tmp_path / 'nowhere'}")
    message = error_of(base(catalog, pairs=[{"asset": "SOL", "venues": ["HYPERLIQUID", "BYBIT"]}]))
    assert message.startswith("backtest.catalog: no quotes for SOLUSDT-LINEAR.BYBIT in ")
    assert "(instruments with quotes: BTC-USD-PERP.HYPERLIQUID, " in message


def test_empty_time_ranges(catalog):
    raw = base(catalog)
    raw["backtest"].update(start="2025-03-04T00:00:00Z", end="2025-03-03T00:00:00Z")
    assert (
        error_of(raw)
        == "backtest.start/end: empty time range (2025-03-04T00:00:00Z is not before 2025-03-03T00:00:00Z)"
    )
    raw["backtest"].update(start="2030-01-01T00:00:00Z", end="2030-01-02T00:00:00Z")
    message = error_of(raw)
    assert re.match(
        r"backtest.start/end: empty time range: the data covers 2025-03-03 .* \.\. 2025-03-03 .*, the config asks for 2030-01-01T00:00:00Z \.\. 2030-01-02T00:00:00Z",
        message,
    )
    raw["backtest"].update(start="yesterday-ish", end=None)
    assert error_of(raw).startswith("backtest.start: 'yesterday-ish' is not a timestamp")


def test_cli_reports_a_bad_config_with_exit_code_2_and_runs_nothing(catalog, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(
        f'[backtest]\ncatalog = "{catalog}"\nresults = "{tmp_path / "out"}"\n[venues.HYPERLIQUID]\nbalanse = "1"\n[[strategies]]\nkind = "noop"\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "arb", "backtest", "run", str(config)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"error: {config}: venues.HYPERLIQUID: unknown key 'balanse' (allowed: balance, book_type, latency_ms, leverage)"
    )
    assert not (tmp_path / "out").exists()
