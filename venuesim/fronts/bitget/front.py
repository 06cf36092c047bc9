"""The Bitget protocol front: the v2 REST API under `/api/v2/...` and the WebSockets
`/v2/ws/public` and `/v2/ws/private`, with the venue's message shapes, HMAC signature checks and
error codes (see `market`, `trade`, `stream`, `auth`).

Not simulated: hedge position mode trading (an account can be put in hedge mode to test a
client's check, but orders are then refused), isolated margin accounting (accepted, booked as
cross), plan / trigger / TP-SL orders, copy trading, transfers, UTA (`/api/v3`) endpoints.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.fronts.base import Front
from venuesim.fronts.bitget.auth import ApiKey
from venuesim.fronts.bitget.auth import Authenticator
from venuesim.fronts.bitget.state import HEDGE
from venuesim.fronts.bitget.state import ONE_WAY
from venuesim.fronts.bitget.stream import StreamApi
from venuesim.fronts.bitget.stream import new_stream_state
from venuesim.fronts.bitget.universe import PERP_GROUP
from venuesim.fronts.bitget.universe import Universe

WS_PATHS = ("/v2/ws/public", "/v2/ws/private")


class BitgetFront(StreamApi):
    name = "bitget"

    def __init__(
        self,
        sim,
        universe: Universe,
        auth: Authenticator,
        default_collateral: Decimal,
        max_messages_per_sec: int | None = 10,
    ) -> None:
        super().__init__(sim)
        self.u = universe
        self.auth = auth
        self.default_collateral = default_collateral
        self.max_messages_per_sec = max_messages_per_sec
        self.meta = {}
        self.pos_mode = {}
        self.last_pushed = {}
        self.hidden = set()
        self.bills = {}
        self._fok_kill = False
        for name, value in new_stream_state().items():
            setattr(self, name, value)
        auth.on_new_key = self._fund_new_key

    def ws_path(self) -> str:
        return WS_PATHS[0]

    @web.middleware
    async def _http_faults(self, request, handler):
        if request.path in WS_PATHS:
            return await handler(request)
        return await Front._http_faults(self, request, handler)

    def _fund_new_key(self, key: ApiKey) -> None:
        self.exchange.ensure_account(
            key.uid, {PERP_GROUP: self.default_collateral}, {"USDT": self.default_collateral}
        )

    def control_account(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /_sim/accounts`: {"api_key", "secret", "passphrase", "uid"?, "demo"?, "collateral"?,
        "spot"?, "position_mode"?}. `address` is accepted for `api_key` (`arb venuesim run --account
        KEY[:SECRET[:PASSPHRASE]]=AMOUNT`); a collateral given per margin group (as that flag builds
        it for every venue) counts once, as the USDT futures balance."""
        raw_key = str(body.get("api_key") or body.get("address") or "")
        parts = raw_key.split(":")
        key = parts[0]
        if not key:
            raise ValueError("an account needs 'api_key'")
        secret = str(body.get("secret") or (parts[1] if len(parts) > 1 else self.auth.default_secret))
        passphrase = str(
            body.get("passphrase") or (parts[2] if len(parts) > 2 else self.auth.default_passphrase)
        )
        existing = self.auth.keys.get(key)
        uid = str(body.get("uid") or (existing.uid if existing else 1_000_000 + len(self.auth.keys) + 1))
        self.auth.add(ApiKey(key, secret, passphrase, uid, bool(body.get("demo", False))))
        collateral = body.get("collateral")
        if isinstance(collateral, dict):
            amount = max((Decimal(str(v)) for v in collateral.values()), default=None)
        elif collateral is not None:
            amount = Decimal(str(collateral))
        else:
            amount = None if existing else self.default_collateral
        spot = body.get("spot")
        if spot is None and not existing:
            spot = {"USDT": self.default_collateral}
        spot_amounts = {("USDT" if k == "USDC" else k): Decimal(str(v)) for k, v in (spot or {}).items()}
        self.exchange.ensure_account(uid, {PERP_GROUP: amount} if amount is not None else None, spot_amounts)
        mode = body.get("position_mode")
        if mode is not None:
            if mode not in (ONE_WAY, HEDGE):
                raise ValueError(f"position_mode must be {ONE_WAY!r} or {HEDGE!r}")
            self.pos_mode[uid] = mode
        return {"api_key": key, "uid": uid}

    def describe(self) -> dict[str, Any]:
        return {
            "ws_private": f"ws://{self.sim.host}:{self.sim.port}{WS_PATHS[1]}",
            "api_keys": {k: v.uid for k, v in self.auth.keys.items()},
            "position_modes": dict(self.pos_mode),
            "auth_failures": dict(self.auth.failures),
            "symbols": {m.key: {"symbol": m.symbol, "product": m.product} for m in self.u.markets.values()},
        }

    def routes(self, app: web.Application) -> None:
        self.market_routes(app)
        self.trade_routes(app)
        self.stream_routes(app)

        async def checksum(request: web.Request) -> web.Response:
            body = await request.json() if request.can_read_body else {}
            self.corrupt_checksums(int(body.get("corrupt_next", 1)))
            return web.json_response({"ok": True, "result": {"corrupt_next": self._corrupt_next}})

        app.router.add_post("/_sim/bitget/checksum", checksum)
