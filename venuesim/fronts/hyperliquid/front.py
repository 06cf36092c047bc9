"""The Hyperliquid protocol front: `POST /info`, `POST /exchange` and the `/ws` WebSocket, with
the venue's message shapes, signature checks and error texts.

Supported info types: meta, metaAndAssetCtxs, allPerpMetas, perpDexs, spotMeta,
spotMetaAndAssetCtxs, allMids, l2Book (nSigFigs), recentTrades, candleSnapshot, fundingHistory,
predictedFundings, clearinghouseState (dex), spotClearinghouseState, openOrders (dex),
frontendOpenOrders (dex), orderStatus, historicalOrders, userFills, userFillsByTime, userFunding,
userFees, userRateLimit, userRole, userAbstraction, extraAgents, maxBuilderFee, exchangeStatus.
Exchange actions: order, cancel, cancelByCloid, modify, batchModify, scheduleCancel,
updateLeverage, noop, setReferrer, approveAgent, approveBuilderFee.
WebSocket subscriptions: l2Book, bbo, trades, candle, allMids, activeAssetCtx (channel
`activeSpotAssetCtx` for spot), orderUpdates, userFills, userFundings, userEvents (channel `user`);
`{"method":"ping"}` -> `{"channel":"pong"}`. Not simulated: WS `post` requests, trigger (TP/SL)
orders, TWAP, transfers and withdrawals (they answer `{"status":"err"}` naming the action).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.fronts.base import FaultySocket
from venuesim.fronts.hyperliquid.actions import ExchangeApi
from venuesim.fronts.hyperliquid.auth import Authenticator
from venuesim.fronts.hyperliquid.stream import StreamApi
from venuesim.fronts.hyperliquid.universe import Universe


class HyperliquidFront(ExchangeApi, StreamApi):
    name = "hyperliquid"

    def __init__(self, sim, universe: Universe, auth: Authenticator, default_collateral: Decimal) -> None:
        super().__init__(sim)
        self.u = universe
        self.auth = auth
        self.default_collateral = default_collateral
        auth.on_new_user = self._fund_new_user
        # subscriptions: identifier -> sockets ; socket -> identifiers
        self._subs: dict[str, set[FaultySocket]] = defaultdict(set)
        self._sock_subs: dict[FaultySocket, dict[str, dict[str, Any]]] = defaultdict(dict)
        self._last_bbo: dict[str, tuple] = {}
        self._schedule_cancel: dict[str, int] = {}

    def _fund_new_user(self, address: str) -> None:
        collateral = {dex: self.default_collateral for dex in self.u.dexes}
        self.exchange.ensure_account(address, collateral, {"USDC": self.default_collateral})

    def control_account(self, body: dict[str, Any]) -> dict[str, Any]:
        address = body["address"].lower()
        self.auth.add_user(address)
        collateral = {k: Decimal(str(v)) for k, v in (body.get("collateral") or {}).items()}
        spot = {k: Decimal(str(v)) for k, v in (body.get("spot") or {}).items()}
        self.exchange.ensure_account(address, collateral, spot)
        for agent in body.get("agents", []):
            if isinstance(agent, str):
                self.auth.add_agent(address, agent)
            else:
                self.auth.add_agent(address, agent["address"], agent.get("name", ""))
        for vault in body.get("vaults", []):
            v = vault if isinstance(vault, str) else vault["address"]
            self.auth.add_vault(v, address)
            default = {dex: self.default_collateral for dex in self.u.dexes}
            vc = default if isinstance(vault, str) else vault.get("collateral", default)
            self.exchange.ensure_account(v, {k: Decimal(str(x)) for k, x in vc.items()})
        return {"address": address}

    def describe(self) -> dict[str, Any]:
        reg = self.auth.registry
        return {
            "chain": "Mainnet" if self.auth.is_mainnet else "Testnet",
            "perp_dexs": self.u.dexes,
            "assets": {m.coin: m.asset for m in self.u.by_asset.values()},
            "agents": {a: m for a, (m, _) in reg.agents.items()},
            "vaults": dict(reg.vaults),
        }

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/info", self._info)
        app.router.add_post("/exchange", self._exchange)
        app.router.add_get("/ws", self._ws)
