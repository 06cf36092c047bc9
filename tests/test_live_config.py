"""Node configs: the examples are valid, and bad ones fail before anything starts, naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtests.config import ConfigError
from live.config import load_node_config
from live.config import parse_node_config
from live.node import build_node_config

CONFIGS = sorted(
    p
    for p in (Path(__file__).parent.parent / "live" / "configs").glob("*.toml")
    if not p.name.startswith("venuesim")
)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
@pytest.mark.parametrize("mode", ["live", "sandbox"])
def test_example_configs_validate_and_build(path, mode):
    cfg = load_node_config(path, mode)
    node = build_node_config(cfg, mode)
    assert set(node.data_clients) == set(cfg.venues)
    assert len(node.strategies) == len(cfg.strategies)


def base() -> dict:
    return {
        "node": {"name": "t"},
        "venues": {"HYPERLIQUID": {"testnet": True}},
        "strategies": [
            {
                "kind": "scalp",
                "quantity": "0.01",
                "pairs": [{"asset": "BTC", "venues": ["HYPERLIQUID:spot", "HYPERLIQUID:perp"]}],
            }
        ],
    }


def error_of(raw: dict, mode: str = "live") -> str:
    with pytest.raises(ConfigError) as e:
        parse_node_config(raw, mode)
    return str(e.value)


def test_bad_node_configs_name_the_field():
    raw = base()
    raw["node"]["stat"] = "redis://x"
    assert error_of(raw).startswith("node: unknown key 'stat' (allowed: ")
    raw = base()
    raw["node"]["state"] = "postgres://x"
    assert (
        error_of(raw) == "node.state: 'postgres://x' is not a redis:// URL (the only state store supported)"
    )
    raw = base()
    raw["node"]["orphan_policy"] = "ignore"
    assert error_of(raw) == "node.orphan_policy: 'ignore' is not allowed (allowed: flatten, rehedge)"
    raw = base()
    raw["node"]["equity_every_s"] = -1
    assert error_of(raw) == "node.equity_every_s: must be >= 0 seconds (0 turns it off), got -1"
    raw = base()
    raw["venues"]["HYPERLIQUID"]["perp_dex"] = ["xyz"]
    assert error_of(raw).startswith("venues.HYPERLIQUID: unknown key 'perp_dex' (allowed: ")
    raw = base()
    raw["notify"] = {"telegram_token_env": "TOKEN"}
    assert error_of(raw) == "notify.telegram_chat_id: required with telegram_token_env"
    raw = base()
    raw["notify"] = {"events": ["entry", "fills"]}
    assert error_of(raw).startswith("notify.events[1]: 'fills' is not allowed (allowed: entry, exit, orphan,")
    raw = base()
    raw["strategies"][0]["pairs"] = [{"asset": "BTC", "venues": ["HYPERLIQUID", "BYBIT"]}]
    assert error_of(raw).startswith(
        "strategies[0] (scalp0) uses BTCUSDT-LINEAR.BYBIT but there is no [venues.BYBIT] section"
    )


def test_a_venue_without_a_live_adapter_is_refused():
    raw = base()
    raw["venues"]["PARADEX"] = {}
    assert error_of(raw).startswith(
        "venues.PARADEX: no live adapter for PARADEX yet (venues with an adapter: "
    )
