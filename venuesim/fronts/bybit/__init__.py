"""Bybit v5 protocol front for venuesim: spot and linear (USDT perpetual) markets of a Unified
Trading Account, REST + public/private/trade WebSockets.

    protocol.py   envelope, error codes and texts, number formatting, cursors
    universe.py   markets (from the canonical registry by default) and their instrument records
    auth.py       API keys, X-BAPI-* HMAC and recv-window checks, WebSocket auth
    account.py    the unified account: wallet, positions, margin, availability; their wire shapes
    records.py    orders (kept across amends), executions, transaction-log entries; their shapes
    history.py    candles and funding from before the simulator started, joined to live data
    state.py      core events -> records and coalesced pushes
    market.py     public REST
    trade.py      private REST: order actions and queries
    stream.py     WebSockets
    front.py      routes, rate limits, the control-API account hook

Quick start:

    from venuesim.fronts.bybit import create
    from venuesim.server import SimThread
    sim = create(accounts=[{"uid": "1001", "api_key": "KEY", "api_secret": "SECRET"}])
    with SimThread(sim):
        urls = sim.front.ws_urls()   # BybitDataClientConfig(base_url_http=sim.http_url), ws: urls["linear"], ...
        sim.shift("linear:BTCUSDT", 50)        # markets are "<category>:<symbol>" in the control API
        sim.settle_funding("linear:BTCUSDT", "0.0003")
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from venuesim.core.exchange import SimExchange
from venuesim.core.pricepath import PricePath
from venuesim.fronts.bybit.auth import AUTO_SECRET
from venuesim.fronts.bybit.auth import Authenticator
from venuesim.fronts.bybit.front import BybitFront
from venuesim.fronts.bybit.history import MarketHistory
from venuesim.fronts.bybit.universe import build_universe
from venuesim.fronts.bybit.universe import linked_paths
from venuesim.fronts.bybit.universe import registry_markets
from venuesim.server import VenueSim

__all__ = ["BybitFront", "create", "registry_markets"]


def create(
    *,
    markets: list[dict[str, Any]] | None = None,
    accounts: list[dict[str, Any]] | None = None,
    default_collateral: str | Decimal = "100000",
    history_days: float = 30.0,
    public_limit: int = 600,
    public_window_ms: int = 5000,
    ban_ms: int = 600_000,
    ws_reply_delay_ms: float = 20.0,
    host: str = "127.0.0.1",
    port: int = 0,
    tick_secs: float | None = 0.5,
    funding_secs: float | None = None,
    seed: int = 7,
    paths: dict[str, PricePath] | None = None,
    synthetic_trades: bool = True,
    is_mainnet: bool = False,  # accepted for `arb venuesim run`; Bybit keys are not network-bound
    auto_accounts: bool = False,
) -> VenueSim:
    """A Bybit simulator (not started: `await sim.start()` or run it in a `SimThread`).

            `markets`: [{"symbol", "category": "spot"|"linear", "tick", "qty_step", "min_qty", "min_notional",
            "price", "funding_interval_min", "maker_fee", "taker_fee", ...}]; default: the registry's Bybit
            markets. `accounts`: [{"uid", "api_key", "api_secret", "trade"?, "coins"?: {coin: amount}}]; an
            account without "coins" gets `default_collateral` USDT. A linear perp whose base also trades spot follows the spot price with a mean-reverting basis
        (`basis_noise_bps`, `basis_reversion` per market). `history_days` of candles and funding
            are served from before the start. `public_limit`/`public_window_ms`/`ban_ms`: the per-IP limit of
            public endpoints (over it: HTTP 403 and a ban). `ws_reply_delay_ms`: subscriptions are answered
    after this delay, as across a network (see `stream.StreamApi._later`). `auto_accounts`: any API key
    signed with the secret `venuesim-secret` gets an account with `default_collateral` USDT on first use."""
    universe = build_universe(markets)
    paths = {**linked_paths(universe, seed), **(paths or {})}
    exchange = SimExchange(universe.specs(), seed=seed, paths=paths, synthetic_trades=synthetic_trades)
    history = MarketHistory(exchange, time.time_ns() // 1_000_000, history_days, seed)
    collateral = Decimal(str(default_collateral))

    def front(sim: VenueSim) -> BybitFront:
        return BybitFront(
            sim,
            universe,
            Authenticator(AUTO_SECRET if auto_accounts else None),
            history,
            collateral,
            public_limit,
            public_window_ms,
            ban_ms,
            ws_reply_delay_ms,
        )

    sim = VenueSim(
        exchange, front, host=host, port=port, tick_secs=tick_secs, funding_secs=funding_secs, seed=seed
    )
    for acct in accounts or []:
        sim.front.control_account(dict(acct))
    return sim
