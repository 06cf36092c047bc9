"""The Bybit v5 protocol front: REST under `/v5/...` with `X-BAPI-*` HMAC authentication and
recv-window checks, rate limits with the venue's headers and codes, and the WebSockets of
`stream.py`.

REST routes (GET unless noted):
    public   /v5/market/time, instruments-info, tickers, orderbook, kline, mark-price-kline,
             index-price-kline, funding/history, recent-trade
    orders   POST /v5/order/create, amend, cancel, cancel-all, create-batch, amend-batch,
             cancel-batch; /v5/order/realtime, /v5/order/history, /v5/execution/list
    position /v5/position/list; POST /v5/position/set-leverage, switch-mode, trading-stop (refused)
    account  /v5/account/wallet-balance, fee-rate, info, transaction-log;
             POST /v5/account/set-margin-mode; /v5/asset/coin/query-info; /v5/user/query-api
WebSockets: /v5/public/spot, /v5/public/linear, /v5/private, /v5/trade.

Rate limits (docs "Rate Limit Rules"): per IP on public endpoints (`public_limit` requests per
`public_window_ms`; over it: HTTP 403 "access too frequent" and a ban of `ban_ms`), per UID and
endpoint per second on private ones (over it: retCode 10006 with `X-Bapi-Limit-*` headers).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections import deque
from collections.abc import Awaitable
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from venuesim.core.model import now_ms
from venuesim.fronts.bybit.auth import Authenticator
from venuesim.fronts.bybit.history import MarketHistory
from venuesim.fronts.bybit.protocol import RATE_LIMIT
from venuesim.fronts.bybit.protocol import BybitError
from venuesim.fronts.bybit.protocol import envelope
from venuesim.fronts.bybit.protocol import error_reply
from venuesim.fronts.bybit.protocol import param_error
from venuesim.fronts.bybit.protocol import reply
from venuesim.fronts.bybit.stream import StreamApi
from venuesim.fronts.bybit.universe import SETTLE_COIN
from venuesim.fronts.bybit.universe import Universe

WS_PATHS = ("/v5/public/spot", "/v5/public/linear", "/v5/private", "/v5/trade")
ORDER_LIMIT = 10  # per second per UID on linear order endpoints (spot: 20)
QUERY_LIMIT = 50


class BybitFront(StreamApi):
    def __init__(
        self,
        sim,
        universe: Universe,
        auth: Authenticator,
        history: MarketHistory,
        default_collateral: Decimal,
        public_limit: int = 600,
        public_window_ms: int = 5000,
        ban_ms: int = 600_000,
        ws_reply_delay_ms: float = 20.0,
    ) -> None:
        super().__init__(sim, universe, auth, history)
        self.init_stream()
        self.ws_reply_delay_ms = ws_reply_delay_ms
        self.default_collateral = default_collateral
        self.public_limit = public_limit
        self.public_window_ms = public_window_ms
        self.ban_ms = ban_ms
        self._public_hits: dict[str, deque[int]] = defaultdict(deque)
        self._banned_until: dict[str, int] = {}
        self._private_hits: dict[tuple[str, str], deque[int]] = defaultdict(deque)
        self.rejected_by_limit = 0
        auth.on_new = lambda key: self.control_account({"uid": key.uid})  # auto accounts
        for m in universe.markets:
            st = self.exchange.market(m.key)
            history.observe(m, now_ms(), st.mid, st.day_base)
        public: dict[str, Callable[[dict[str, Any]], Any]] = {
            "/v5/market/time": self.get_time,
            "/v5/market/instruments-info": self.get_instruments,
            "/v5/market/tickers": self.get_tickers,
            "/v5/market/orderbook": self.get_orderbook,
            "/v5/market/kline": self.get_kline,
            "/v5/market/mark-price-kline": self.get_price_kline,
            "/v5/market/index-price-kline": self.get_price_kline,
            "/v5/market/funding/history": self.get_funding_history,
            "/v5/market/recent-trade": self.get_recent_trades,
        }
        self._public: dict[str, Callable[[dict[str, Any]], Any]] = public
        # path -> (method, handler, is an order action, needs trade permission)
        self._private: dict[str, tuple[str, Callable[..., Any] | None, bool]] = {
            "/v5/order/create": ("POST", self.create_order, True),
            "/v5/order/amend": ("POST", self.amend_order, True),
            "/v5/order/cancel": ("POST", self.cancel_order, True),
            "/v5/order/cancel-all": ("POST", self.cancel_all, True),
            "/v5/order/create-batch": ("POST", lambda uid, p: self.batch(uid, p, "create"), True),
            "/v5/order/amend-batch": ("POST", lambda uid, p: self.batch(uid, p, "amend"), True),
            "/v5/order/cancel-batch": ("POST", lambda uid, p: self.batch(uid, p, "cancel"), True),
            "/v5/order/realtime": ("GET", self.get_open_orders, False),
            "/v5/order/history": ("GET", self.get_order_history, False),
            "/v5/execution/list": ("GET", self.get_executions, False),
            "/v5/position/list": ("GET", self.get_positions, False),
            "/v5/position/set-leverage": ("POST", self.set_leverage, True),
            "/v5/position/switch-mode": ("POST", self.switch_mode, True),
            "/v5/position/trading-stop": ("POST", self.trading_stop, True),
            "/v5/account/wallet-balance": ("GET", self.get_wallet, False),
            "/v5/account/fee-rate": ("GET", self.get_fee_rate, False),
            "/v5/account/info": ("GET", self.get_account_info, False),
            "/v5/account/transaction-log": ("GET", self.get_transaction_log, False),
            "/v5/account/set-margin-mode": ("POST", self.set_margin_mode, True),
            "/v5/asset/coin/query-info": ("GET", self.get_coin_info, False),
            "/v5/user/query-api": ("GET", None, False),  # answered with the calling key's details
        }

    # -- wiring -------------------------------------------------------------------------------------
    def ws_path(self) -> str:
        return "/v5/public/linear"

    def ws_urls(self) -> dict[str, str]:
        base = f"ws://{self.sim.host}:{self.sim.port}"
        return {"spot": f"{base}/v5/public/spot", "linear": f"{base}/v5/public/linear",
                "private": f"{base}/v5/private", "trade": f"{base}/v5/trade"}  # fmt: skip

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v5/public/spot", self.ws_public_spot)
        app.router.add_get("/v5/public/linear", self.ws_public_linear)
        app.router.add_get("/v5/private", self.ws_private)
        app.router.add_get("/v5/trade", self.ws_trade)
        for path in self._public:
            app.router.add_get(path, self._serve_public)
        for path, (method, _, _) in self._private.items():
            app.router.add_route(method, path, self._serve_private)

    @web.middleware
    async def _http_faults(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ):
        if request.path in WS_PATHS:
            return await handler(request)  # WebSocket upgrades are not REST requests
        return await super()._http_faults(request, handler)

    def describe(self) -> dict[str, Any]:
        return {
            "ws": self.ws_urls(),
            "keys": {k.key: {"uid": k.uid, "trade": k.trade} for k in self.auth.keys.values()},
            "instrument_ids": {m.key: f"{m.symbol}-{m.category.upper()}.BYBIT" for m in self.u.markets},
            "rejected_by_rate_limit": self.rejected_by_limit,
        }

    def control_account(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /_sim/accounts {"uid"|"address", "api_key", "api_secret", "trade"?, "coins"?}`:
        create an account (and key), crediting `coins` ({coin: amount}; default USDT collateral)."""
        uid = str(body.get("uid") or body.get("address") or "")
        if not uid:
            raise KeyError("uid")
        if body.get("api_key"):
            self.add_key(body["api_key"], body["api_secret"], uid, bool(body.get("trade", True)))
        coins = body.get("coins")
        if (
            coins is None
            and "collateral" not in body
            and "spot" not in body
            and not self.acct.account(uid).spot
        ):
            coins = {SETTLE_COIN: str(self.default_collateral)}
        for source in (coins or {}, body.get("spot") or {}, body.get("collateral") or {}):
            for coin, amount in source.items():
                acct = self.acct.account(uid)
                acct.spot[coin] = acct.spot.get(coin, Decimal(0)) + Decimal(str(amount))
        self.uids.add(uid)
        self._dirty_wallets[uid] = None
        self._schedule()
        return {"uid": uid, "coins": {c: str(v) for c, v in self.acct.account(uid).spot.items()}}

    # -- REST ---------------------------------------------------------------------------------------
    @staticmethod
    def _query(request: web.Request) -> tuple[str, dict[str, Any]]:
        raw = request.rel_url.raw_query_string
        return raw, dict(parse_qsl(raw, keep_blank_values=True))

    def _limited_public(self, request: web.Request) -> web.Response | None:
        ip = request.remote or "?"
        t = now_ms()
        if self._banned_until.get(ip, 0) > t:
            self.rejected_by_limit += 1
            return web.Response(status=403, text="access too frequent")
        hits = self._public_hits[ip]
        while hits and hits[0] <= t - self.public_window_ms:
            hits.popleft()
        if len(hits) >= self.public_limit:
            self._banned_until[ip] = t + self.ban_ms
            self.rejected_by_limit += 1
            return web.Response(status=403, text="access too frequent")
        hits.append(t)
        return None

    async def _serve_public(self, request: web.Request) -> web.StreamResponse:
        limited = self._limited_public(request)
        if limited is not None:
            return limited
        _, params = self._query(request)
        try:
            return reply(envelope(self._public[request.path](params)))
        except BybitError as e:
            return error_reply(e)

    def _private_limit(self, uid: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, str]]:
        limit, bucket = QUERY_LIMIT, path
        if path.startswith("/v5/order/") and path not in ("/v5/order/realtime", "/v5/order/history"):
            # order endpoints are counted per category group: spot 20/s, derivatives 10/s
            spot = params.get("category") == "spot"
            limit, bucket = (20, f"{path}:spot") if spot else (ORDER_LIMIT, path)
        t = now_ms()
        hits = self._private_hits[(uid, bucket)]
        while hits and hits[0] <= t - 1000:
            hits.popleft()
        reset = (hits[0] + 1000) if hits else t + 1000
        headers = {
            "X-Bapi-Limit": str(limit),
            "X-Bapi-Limit-Status": str(max(0, limit - len(hits) - 1)),
            "X-Bapi-Limit-Reset-Timestamp": str(reset),
            "Timenow": str(t),
        }
        if len(hits) >= limit:
            return -1, headers
        hits.append(t)
        return limit, headers

    async def _serve_private(self, request: web.Request) -> web.StreamResponse:
        _, handler, is_action = self._private[request.path]
        if request.method == "GET":
            payload, params = self._query(request)
        else:
            payload = await request.text()
            try:
                params = json.loads(payload) if payload else {}
            except json.JSONDecodeError:
                return error_reply(param_error("request body is not valid JSON"))
            if not isinstance(params, dict):
                return error_reply(param_error("request body must be a JSON object"))
        try:
            key = self.auth.verify_rest(request.headers, payload, needs_trade=is_action)
        except BybitError as e:
            return error_reply(e)
        allowed, headers = self._private_limit(key.uid, request.path, params)
        if allowed < 0:
            self.rejected_by_limit += 1
            return error_reply(BybitError(RATE_LIMIT), headers)
        ext: dict[str, Any] = {}
        try:
            if handler is None:
                result = self.get_api_key_info(key.uid, params, key.key)
            else:
                result = handler(key.uid, params)
            if isinstance(result, tuple):
                result, ext = result
        except BybitError as e:
            return error_reply(e, headers)
        except (KeyError, ValueError, TypeError) as e:
            return error_reply(param_error(str(e)), headers)
        payload_out = envelope(result, ext=ext)
        if not is_action:
            return reply(payload_out, headers)
        response = await self.ack(request, payload_out)
        response.headers.update(headers)
        return response
