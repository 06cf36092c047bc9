"""Hyperliquid protocol front for venuesim (perps, spot `@index` pairs, HIP-3 builder dexes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from venuesim.core.exchange import SimExchange
from venuesim.core.pricepath import PricePath
from venuesim.fronts.hyperliquid.auth import Authenticator
from venuesim.fronts.hyperliquid.front import HyperliquidFront
from venuesim.fronts.hyperliquid.universe import DEFAULT_MARKETS
from venuesim.fronts.hyperliquid.universe import build_universe
from venuesim.server import VenueSim

__all__ = ["DEFAULT_MARKETS", "HyperliquidFront", "create"]


def create(
    *,
    markets: list[dict[str, Any]] | None = None,
    accounts: list[dict[str, Any]] | None = None,
    is_mainnet: bool = False,
    auto_accounts: bool = False,
    default_collateral: str | Decimal = "100000",
    host: str = "127.0.0.1",
    port: int = 0,
    tick_secs: float | None = 0.5,
    funding_secs: float | None = None,
    seed: int = 7,
    paths: dict[str, PricePath] | None = None,
    synthetic_trades: bool = True,
) -> VenueSim:
    """A Hyperliquid simulator (not started: `await sim.start()` or run it in a `SimThread`).

    `accounts`: [{"address", "collateral": {dex: amount}, "spot": {token: amount},
    "agents": [address | {"address", "name"}], "vaults": [address | {"address", "collateral"}]}].
    An account without "collateral" gets `default_collateral` USDC on every perp dex and in spot.
    `is_mainnet`: which network signatures must be made for (source "a" vs "b"); clients pointed at
    a non-mainnet URL (the Python SDK, ccxt in sandbox mode) sign for testnet, the default here.
    `auto_accounts`: any valid signer gets a funded account on first use (not venue behaviour; for
    manual rehearsal only).
    """
    universe = build_universe(markets or DEFAULT_MARKETS)
    exchange = SimExchange(universe.specs(), seed=seed, paths=paths, synthetic_trades=synthetic_trades)
    auth = Authenticator(is_mainnet=is_mainnet, auto_accounts=auto_accounts)
    collateral = Decimal(str(default_collateral))

    def front(sim: VenueSim) -> HyperliquidFront:
        return HyperliquidFront(sim, universe, auth, collateral)

    sim = VenueSim(
        exchange, front, host=host, port=port, tick_secs=tick_secs, funding_secs=funding_secs, seed=seed
    )
    for acct in accounts or []:
        body = dict(acct)
        if "collateral" not in body:
            body["collateral"] = {dex: collateral for dex in universe.dexes}
            body.setdefault("spot", {"USDC": collateral})
        sim.front.control_account(body)
    return sim
