"""Bitget protocol front for venuesim (v2 API: USDT-M perpetuals incl. stock perps, and spot)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from venuesim.core.exchange import SimExchange
from venuesim.core.pricepath import PricePath
from venuesim.fronts.bitget.auth import Authenticator
from venuesim.fronts.bitget.front import BitgetFront
from venuesim.fronts.bitget.universe import DEFAULT_MARKETS
from venuesim.fronts.bitget.universe import build_universe
from venuesim.server import VenueSim

__all__ = ["DEFAULT_MARKETS", "BitgetFront", "create"]


def create(
    *,
    markets: list[dict[str, Any]] | None = None,
    accounts: list[dict[str, Any]] | None = None,
    auto_accounts: bool = False,
    default_collateral: str | Decimal = "100000",
    host: str = "127.0.0.1",
    port: int = 0,
    tick_secs: float | None = 0.5,
    funding_secs: float | None = None,
    seed: int = 7,
    paths: dict[str, PricePath] | None = None,
    synthetic_trades: bool = True,
    timestamp_window_ms: int = 30_000,
    max_messages_per_sec: int | None = 10,
    is_mainnet: bool = False,  # accepted for `arb venuesim run` uniformity; Bitget has no networks
) -> VenueSim:
    """A Bitget simulator (not started: `await sim.start()` or run it in a `SimThread`).

    `accounts`: [{"api_key", "secret", "passphrase", "uid"?, "demo"?, "collateral"? (USDT futures
    balance), "spot"? ({coin: amount}), "position_mode"? ("one_way_mode" | "hedge_mode")}]. An
    account without "collateral" gets `default_collateral` USDT in futures and in spot.
    `auto_accounts`: an unknown API key gets a funded account on first use, with the secret
    `venuesim-secret` and passphrase `venuesim` (not venue behaviour; for manual rehearsal only).
    Core market keys are the perp symbols (`NVDAUSDT`) and `<SYMBOL>-SPOT` for spot pairs.
    """
    universe = build_universe(markets or DEFAULT_MARKETS)
    exchange = SimExchange(universe.specs(), seed=seed, paths=paths, synthetic_trades=synthetic_trades)
    auth = Authenticator(window_ms=timestamp_window_ms, auto_accounts=auto_accounts)
    collateral = Decimal(str(default_collateral))

    def front(sim: VenueSim) -> BitgetFront:
        return BitgetFront(sim, universe, auth, collateral, max_messages_per_sec)

    sim = VenueSim(
        exchange, front, host=host, port=port, tick_secs=tick_secs, funding_secs=funding_secs, seed=seed
    )
    for acct in accounts or []:
        sim.front.control_account(dict(acct))
    return sim
