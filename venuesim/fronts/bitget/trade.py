"""Private REST: futures and spot orders (place, batch, cancel, cancel-all, modify, close), order /
fill / position / account / bill queries, position mode and leverage - each signed request
verified by `auth` first, each order validated with the venue's rules and error codes.

Venue behaviour reproduced:
- Placing is asynchronous: the reply is `{orderId, clientOid}`; the outcome (live, filled,
  canceled) arrives on the private WebSocket and in the order queries. An IOC / FOK / post-only
  order that cannot do what it asks is created and canceled (not refused); refusals that the venue
  makes synchronously (balance, reduce-only, size/price rules, duplicate clientOid) are HTTP 400
  with the venue's code, and such an order never exists for the queries.
- Modify (price and size together) replaces the order by a new one under `newClientOid`; the old
  one is canceled. Only orders without fills can be modified.
- One-way position mode; `set-position-mode` is refused while positions or orders are open.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.core.model import OrderStatus
from venuesim.core.model import PlaceResult
from venuesim.core.model import Reject
from venuesim.core.model import Side
from venuesim.core.model import SimOrder
from venuesim.core.model import Tif
from venuesim.core.model import now_ms
from venuesim.fronts.bitget import protocol as p
from venuesim.fronts.bitget.auth import ApiKey
from venuesim.fronts.bitget.state import HEDGE
from venuesim.fronts.bitget.state import MARKET_SLIPPAGE
from venuesim.fronts.bitget.state import ONE_WAY
from venuesim.fronts.bitget.state import FrontState
from venuesim.fronts.bitget.state import OrderMeta
from venuesim.fronts.bitget.universe import BgMarket

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FORCES = {"gtc": Tif.GTC, "ioc": Tif.IOC, "fok": Tif.IOC, "post_only": Tif.ALO}
VISIBLE_REJECTS = (Reject.IOC_NO_MATCH, Reject.POST_ONLY_WOULD_CROSS)


class TradeApi(FrontState):
    hidden: set[int]
    bills: dict[str, list[dict[str, Any]]]
    _fok_kill: bool

    def _private(
        self, fn: Callable[[ApiKey, dict[str, Any]], Any], *, post: bool = False, action: bool = False
    ) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                if post:
                    text, params = await self._body(request)
                else:
                    text, params = "", self._query(request)
                api = await self._authenticate(request, text)
                data = fn(api, params)
            except p.BgError as e:
                return p.error_response(e)
            if action:
                return await self.ack(request, p.envelope(data))
            return p.ok(data)

        return handler

    def trade_routes(self, app: web.Application) -> None:
        get, post = app.router.add_get, app.router.add_post
        pv = self._private
        post("/api/v2/mix/order/place-order", pv(self._place_order, post=True, action=True))
        post("/api/v2/mix/order/batch-place-order", pv(self._batch_place, post=True, action=True))
        post("/api/v2/mix/order/cancel-order", pv(self._cancel_order, post=True, action=True))
        post("/api/v2/mix/order/batch-cancel-orders", pv(self._batch_cancel, post=True, action=True))
        post("/api/v2/mix/order/cancel-all-orders", pv(self._cancel_all, post=True, action=True))
        post("/api/v2/mix/order/modify-order", pv(self._modify_order, post=True, action=True))
        post("/api/v2/mix/order/close-positions", pv(self._close_positions, post=True, action=True))
        get("/api/v2/mix/order/detail", pv(self._detail))
        get("/api/v2/mix/order/orders-pending", pv(self._pending))
        get("/api/v2/mix/order/orders-history", pv(self._history))
        get("/api/v2/mix/order/fills", pv(self._fills))
        get("/api/v2/mix/order/fill-history", pv(self._fills))
        get("/api/v2/mix/position/all-position", pv(self._all_positions))
        get("/api/v2/mix/position/single-position", pv(self._single_position))
        get("/api/v2/mix/account/accounts", pv(lambda api, q: [self._futures_account(api.uid)]))
        get("/api/v2/mix/account/account", pv(self._account))
        get("/api/v2/mix/account/bill", pv(self._bills))
        post("/api/v2/mix/account/set-position-mode", pv(self._set_position_mode, post=True))
        post("/api/v2/mix/account/set-leverage", pv(self._set_leverage, post=True))
        post("/api/v2/mix/account/set-margin-mode", pv(self._set_margin_mode, post=True))
        post("/api/v2/spot/trade/place-order", pv(self._spot_place, post=True, action=True))
        post("/api/v2/spot/trade/batch-orders", pv(self._spot_batch, post=True, action=True))
        post("/api/v2/spot/trade/cancel-order", pv(self._spot_cancel, post=True, action=True))
        post("/api/v2/spot/trade/cancel-symbol-order", pv(self._spot_cancel_symbol, post=True, action=True))
        get("/api/v2/spot/trade/orderInfo", pv(self._spot_order_info))
        get("/api/v2/spot/trade/unfilled-orders", pv(self._spot_unfilled))
        get("/api/v2/spot/trade/history-orders", pv(self._spot_history))
        get("/api/v2/spot/trade/fills", pv(self._spot_fills))
        get("/api/v2/spot/account/assets", pv(self._spot_assets_query))

    # -- validation ------------------------------------------------------------------------------
    def _check_size(self, m: BgMarket, size: Decimal) -> None:
        exp = -size.normalize().as_tuple().exponent  # type: ignore[operator]
        if exp > m.volume_place:
            raise p.BgError(
                p.SIZE_SCALE,
                f"Parameter verification exception size checkBDScale error value={size} checkScale={m.volume_place}",
            )
        if size <= 0 or (size / m.size_multiplier) != (size / m.size_multiplier).to_integral_value():
            raise p.BgError(
                p.SIZE_SCALE, f"Parameter verification exception size multiple of {p.num(m.size_multiplier)}"
            )
        if size < m.min_trade_num:
            raise p.BgError(*p.MIN_QTY)

    def _check_price(self, m: BgMarket, px: Decimal) -> None:
        exp = -px.normalize().as_tuple().exponent  # type: ignore[operator]
        if px <= 0 or exp > m.price_place:
            raise p.BgError(p.PRICE_SCALE, "param price scale error error")
        if (px / m.tick) != (px / m.tick).to_integral_value():
            raise p.BgError(p.PRICE_STEP, f"The price you enter should be a multiple of {p.num(m.tick)}")

    def _check_client_oid(self, uid: str, oid: Any) -> str | None:
        if oid in (None, ""):
            return None
        oid = str(oid)
        if len(oid) > 50:
            raise p.BgError(*p.CLIENT_OID_TOO_LONG)
        if self.exchange.order_by_cloid(uid, oid) is not None:
            raise p.BgError(*p.DUPLICATE_CLIENT_OID)
        return oid

    def _sweep_price(self, m: BgMarket, side: Side) -> Decimal:
        bid, ask = self.exchange.best_bid_ask(m.key)
        ref = ask if side is Side.BUY else bid
        if ref is None:
            raise p.BgError("40721", "Market price list is not allowed at present")
        return m.spec.round_price(
            ref * (1 + MARKET_SLIPPAGE if side is Side.BUY else 1 - MARKET_SLIPPAGE), side is Side.BUY
        )

    def _fok_fillable(self, m: BgMarket, uid: str, side: Side, px: Decimal, size: Decimal) -> bool:
        st = self.exchange.market(m.key)
        if side is Side.BUY:
            synth = sum((lv[1] for lv in st.synth_asks if lv[0] <= px), Decimal(0))
            users = sum((o.size for o in st.asks if o.user != uid and o.price <= px), Decimal(0))
        else:
            synth = sum((lv[1] for lv in st.synth_bids if lv[0] >= px), Decimal(0))
            users = sum((o.size for o in st.bids if o.user != uid and o.price >= px), Decimal(0))
        return synth + users >= size

    def _submit(
        self, api: ApiKey, m: BgMarket, b: dict[str, Any], margin_mode: str = "crossed"
    ) -> dict[str, str]:
        """Validate and place one order (futures or spot); the reply `{orderId, clientOid}`."""
        uid = api.uid
        if not m.is_spot and self.pos_mode.get(uid, ONE_WAY) == HEDGE:
            raise p.BgError("45109", "The current account is a two-way position")  # one-way only simulated
        if m.status not in ("normal", "online"):
            raise p.BgError(*p.TRADE_PAUSED)
        side_text = str(b.get("side") or "").lower()
        if side_text not in ("buy", "sell"):
            raise p.BgError(p.PARAM_BAD, "Parameter side error")
        side = Side.BUY if side_text == "buy" else Side.SELL
        order_type = str(b.get("orderType") or "").lower()
        if order_type not in ("limit", "market"):
            raise p.BgError(p.PARAM_BAD, "Parameter orderType error")
        force = str(b.get("force") or "gtc").lower().replace(" ", "_")
        if force not in FORCES:
            raise p.BgError(p.PARAM_BAD, "Parameter force error")
        size = p.decimal_param(b, "size")
        assert size is not None
        if m.is_spot and order_type == "market" and side is Side.BUY:
            # a spot market buy is sized in quote coin: buy what that amount reaches at the ask
            _, ask = self.exchange.best_bid_ask(m.key)
            if ask is None:
                raise p.BgError("40721", "Market price list is not allowed at present")
            quote_amount = size
            size = (quote_amount / ask).quantize(m.spec.lot, rounding="ROUND_FLOOR")
            if size <= 0:
                raise p.BgError(*p.MIN_QTY)
        else:
            self._check_size(m, size)
        reduce_only = str(b.get("reduceOnly") or "NO").upper() == "YES"
        if order_type == "limit":
            px = p.decimal_param(b, "price")
            assert px is not None
            self._check_price(m, px)
            price_text = str(b["price"])
            tif = FORCES[force]
        else:
            px = self._sweep_price(m, side)
            price_text = "0"
            tif = Tif.IOC
        if not reduce_only and px * size < m.min_trade_usdt and order_type == "limit":
            raise p.BgError(p.MIN_NOTIONAL, f"less than the minimum amount {p.num(m.min_trade_usdt)} USDT")
        if order_type == "market" and not reduce_only:
            mid = self.exchange.market(m.key).mid
            if mid * size < m.min_trade_usdt:
                raise p.BgError(
                    p.MIN_NOTIONAL, f"less than the minimum amount {p.num(m.min_trade_usdt)} USDT"
                )
        client_oid = self._check_client_oid(uid, b.get("clientOid"))
        kill = force == "fok" and order_type == "limit" and not self._fok_fillable(m, uid, side, px, size)
        self._fok_kill = kill
        if kill:
            self.exchange.faults.reject_next += 1  # the core records the order and refuses it at once
        try:
            result = self.exchange.place(
                uid, m.key, side, px, size, tif, reduce_only and not m.is_spot, client_oid
            )
        finally:
            self._fok_kill = False
        o = result.order
        self.meta[o.oid] = OrderMeta(
            client_oid=client_oid or str(o.oid), order_type=order_type, force=force, price=price_text,
            size=str(b.get("size")) if not (m.is_spot and order_type == "market" and side is Side.BUY) else m.sz(size),
            product=m.product, margin_mode=margin_mode,
        )  # fmt: skip
        refused = o.status is OrderStatus.REJECTED and not (kill or o.reject in VISIBLE_REJECTS)
        if refused:
            self.hidden.add(o.oid)
        elif kill:
            self.meta[o.oid].cancel_reason = "fok_cancel"
        self._after_place(result)
        if refused:
            raise p.BgError(*self._reject_code(o.reject))
        return {"orderId": str(o.oid), "clientOid": client_oid or str(o.oid)}

    def _after_place(self, result: PlaceResult) -> None:
        """Hook for the stream part: push what happened to a placed order (its metadata is known now)."""

    def _perp_common(self, b: dict[str, Any]) -> tuple[BgMarket, str]:
        m = self._perp(b)
        coin = str(b.get("marginCoin") or "")
        if coin.upper() != "USDT":
            raise p.BgError(
                "40778", f"Coin pair {m.symbol} does not support {coin or '(empty)'} currency as margin"
            )
        mode = str(b.get("marginMode") or "crossed").lower()
        if mode not in ("crossed", "isolated"):
            raise p.BgError(p.PARAM_BAD, "Parameter marginMode error")
        return m, mode

    # -- futures orders --------------------------------------------------------------------------
    def _place_order(self, api: ApiKey, b: dict[str, Any]) -> dict[str, str]:
        m, mode = self._perp_common(b)
        return self._submit(api, m, b, mode)

    def _batch_place(self, api: ApiKey, b: dict[str, Any]) -> dict[str, Any]:
        m, mode = self._perp_common(b)
        orders = b.get("orderList")
        if not isinstance(orders, list) or not orders:
            raise p.BgError(p.PARAM_EMPTY, "Parameter orderList cannot be empty")
        if len(orders) > 50:
            raise p.BgError(*p.BATCH_TOO_LARGE)
        success, failure = [], []
        for item in orders:
            if not isinstance(item, dict):
                raise p.BgError(p.PARAM_BAD, "Parameter orderList error")
            try:
                success.append(self._submit(api, m, item, mode))
            except p.BgError as e:
                failure.append(
                    {
                        "orderId": "",
                        "clientOid": str(item.get("clientOid") or ""),
                        "errorMsg": e.msg,
                        "errorCode": e.code,
                    }
                )
        return {"successList": success, "failureList": failure}

    def _find(self, uid: str, params: dict[str, Any], m: BgMarket | None = None) -> SimOrder | None:
        order: SimOrder | None = None
        oid = params.get("orderId")
        if oid not in (None, ""):
            try:
                order = self.exchange.orders.get(int(str(oid)))
            except ValueError:
                raise p.BgError("40402", "orderId or clientOId format error") from None
        elif params.get("clientOid") not in (None, ""):
            order = self.exchange.order_by_cloid(uid, str(params["clientOid"]))
        if order is None or order.user != uid.lower() or order.oid in self.hidden:
            return None
        if m is not None and order.market != m.key:
            return None
        return order

    def _cancel_one(self, api: ApiKey, m: BgMarket, params: dict[str, Any]) -> dict[str, str]:
        if params.get("orderId") in (None, "") and params.get("clientOid") in (None, ""):
            raise p.BgError("40924", "orderId and clientOid must have one")
        order = self._find(api.uid, params, m)
        if order is None or order.status is not OrderStatus.OPEN:
            raise p.BgError(*p.ORDER_NOT_FOUND)
        meta = self.meta.get(order.oid)
        if meta is not None:
            meta.cancel_reason = "normal_cancel"
        self.exchange.cancel(api.uid, order.oid)
        return {"orderId": str(order.oid), "clientOid": meta.client_oid if meta else (order.cloid or "")}

    def _cancel_order(self, api: ApiKey, b: dict[str, Any]) -> dict[str, str]:
        return self._cancel_one(api, self._perp(b), b)

    def _batch_cancel(self, api: ApiKey, b: dict[str, Any]) -> dict[str, Any]:
        m = self._perp(b)
        items = b.get("orderIdList")
        if not isinstance(items, list) or not items:
            raise p.BgError(p.PARAM_EMPTY, "Parameter orderIdList cannot be empty")
        success, failure = [], []
        for item in items:
            try:
                success.append(self._cancel_one(api, m, item if isinstance(item, dict) else {}))
            except p.BgError as e:
                item = item if isinstance(item, dict) else {}
                failure.append({"orderId": str(item.get("orderId") or ""), "clientOid": str(item.get("clientOid") or ""),
                                "errorMsg": e.msg, "errorCode": e.code})  # fmt: skip
        return {"successList": success, "failureList": failure}

    def _cancel_all(self, api: ApiKey, b: dict[str, Any]) -> dict[str, Any]:
        product = str(b.get("productType") or "").upper()
        if product != "USDT-FUTURES":
            raise p.BgError(p.PARAM_BAD, "Parameter productType error")
        symbol = str(b.get("symbol") or "").upper()
        success = []
        for o in self.exchange.open_orders(api.uid):
            m = self.u.markets[o.market]
            if m.is_spot or (symbol and m.symbol != symbol):
                continue
            success.append(self._cancel_one(api, m, {"orderId": str(o.oid)}))
        if not success:
            raise p.BgError("22001", "No order to cancel")
        return {"successList": success, "failureList": []}

    def _modify_order(self, api: ApiKey, b: dict[str, Any]) -> dict[str, str]:
        m = self._perp(b)
        new_oid = p.require(b, "newClientOid")
        order = self._find(api.uid, b, m)
        if order is None:
            raise p.BgError(*p.ORDER_NOT_FOUND)
        meta = self.meta.get(order.oid)
        if order.status is not OrderStatus.OPEN or order.filled > 0 or (meta and meta.order_type != "limit"):
            raise p.BgError(*p.MODIFY_ONLY_NEW)
        new_size = p.decimal_param(b, "newSize", required=False)
        new_price = p.decimal_param(b, "newPrice", required=False)
        if (new_size is None) != (new_price is None):
            raise p.BgError(*p.MODIFY_BOTH)
        if new_size is None or new_price is None:
            return {
                "orderId": str(order.oid),
                "clientOid": meta.client_oid if meta else "",
            }  # TP/SL only: no-op
        self._check_size(m, new_size)
        self._check_price(m, new_price)
        if len(new_oid) > 50:
            raise p.BgError(*p.CLIENT_OID_TOO_LONG)
        if self.exchange.order_by_cloid(api.uid, new_oid) is not None:
            raise p.BgError(*p.DUPLICATE_CLIENT_OID)
        if meta is not None:
            meta.cancel_reason = "normal_cancel"
        self._push_replaced(order)
        result = self.exchange.modify(
            api.uid, order.oid, order.side, new_price, new_size, order.tif, order.reduce_only, new_oid
        )
        if result is None:
            raise p.BgError(*p.MODIFY_ONLY_NEW)
        o = result.order
        self.meta[o.oid] = OrderMeta(
            client_oid=new_oid, order_type="limit", force=meta.force if meta else "gtc", price=str(b["newPrice"]),
            size=str(b["newSize"]), product=m.product, margin_mode=meta.margin_mode if meta else "crossed",
        )  # fmt: skip
        if o.status is OrderStatus.REJECTED and o.reject not in VISIBLE_REJECTS:
            self.hidden.add(o.oid)
        self._after_place(result)
        return {"orderId": str(order.oid), "clientOid": meta.client_oid if meta else ""}

    def _push_replaced(self, order: SimOrder) -> None:
        """Hook for the stream part: the order a modify replaces is announced as canceled."""

    def _close_positions(self, api: ApiKey, b: dict[str, Any]) -> dict[str, Any]:
        symbol = str(b.get("symbol") or "").upper()
        acct = self.exchange.account(api.uid)
        success = []
        for m in self.u.perps():
            pos = acct.positions.get(m.key) if acct else None
            if pos is None or pos.szi == 0 or (symbol and m.symbol != symbol):
                continue
            side = "sell" if pos.szi > 0 else "buy"
            body = {"side": side, "orderType": "market", "size": m.sz(abs(pos.szi)), "reduceOnly": "YES"}
            success.append(self._submit(api, m, body))
        if not success:
            raise p.BgError("22002", "No position to close")
        return {"successList": success, "failureList": []}

    # -- futures queries -------------------------------------------------------------------------
    def _detail(self, api: ApiKey, q: dict[str, Any]) -> dict[str, Any]:
        m = self._perp(q)
        if q.get("orderId") in (None, "") and q.get("clientOid") in (None, ""):
            raise p.BgError("40924", "orderId and clientOid must have one")
        order = self._find(api.uid, q, m)
        if order is None:
            raise p.BgError("40109", "The data of the order cannot be found, please confirm the order number")
        return self._order(order)

    def _visible(self, orders: list[SimOrder]) -> list[SimOrder]:
        return [o for o in orders if o.oid not in self.hidden]

    def _user_orders(self, uid: str, spot: bool, open_only: bool) -> list[SimOrder]:
        acct = self.exchange.account(uid)
        if open_only:
            orders = self.exchange.open_orders(uid)
        else:
            orders = [o for o in (acct.closed_orders if acct else []) if o.status is not OrderStatus.OPEN]
        return [o for o in self._visible(orders) if self.u.markets[o.market].is_spot == spot]

    @staticmethod
    def _in_range(t: int, q: dict[str, Any]) -> bool:
        start, end = p.int_param(q, "startTime"), p.int_param(q, "endTime")
        return (start is None or t >= start) and (end is None or t <= end)

    def _page(self, rows: list[SimOrder], q: dict[str, Any]) -> list[SimOrder]:
        rows = sorted(rows, key=lambda o: -o.oid)
        less = p.int_param(q, "idLessThan")
        if less is not None:
            rows = [o for o in rows if o.oid < less]
        limit = max(1, min(100, p.int_param(q, "limit", 100) or 100))
        return rows[:limit]

    def _filter(self, orders: list[SimOrder], q: dict[str, Any]) -> list[SimOrder]:
        symbol = str(q.get("symbol") or "").upper()
        out = []
        for o in orders:
            if symbol and self.u.markets[o.market].symbol != symbol:
                continue
            if q.get("orderId") not in (None, "") and str(o.oid) != str(q["orderId"]):
                continue
            meta = self.meta.get(o.oid)
            if q.get("clientOid") not in (None, "") and (meta is None or meta.client_oid != q["clientOid"]):
                continue
            if not self._in_range(o.timestamp, q):
                continue
            out.append(o)
        return out

    def _pending(self, api: ApiKey, q: dict[str, Any]) -> dict[str, Any]:
        rows = self._page(self._filter(self._user_orders(api.uid, False, True), q), q)
        return {
            "entrustedList": [self._order(o) for o in rows] or None,
            "endId": str(rows[-1].oid) if rows else None,
        }

    def _history(self, api: ApiKey, q: dict[str, Any]) -> dict[str, Any]:
        rows = self._page(self._filter(self._user_orders(api.uid, False, False), q), q)
        return {
            "entrustedList": [self._order(o) for o in rows] or None,
            "endId": str(rows[-1].oid) if rows else None,
        }

    def _user_fills(self, uid: str, spot: bool, q: dict[str, Any]) -> list[Any]:
        acct = self.exchange.account(uid)
        symbol = str(q.get("symbol") or "").upper()
        out = []
        for f in acct.fills if acct else []:
            m = self.u.markets[f.market]
            if m.is_spot != spot or (symbol and m.symbol != symbol):
                continue
            if q.get("orderId") not in (None, "") and str(f.oid) != str(q["orderId"]):
                continue
            if not self._in_range(f.time, q):
                continue
            out.append(f)
        out.sort(key=lambda f: -f.tid)
        less = p.int_param(q, "idLessThan")
        if less is not None:
            out = [f for f in out if f.tid < less]
        limit = max(1, min(100, p.int_param(q, "limit", 100) or 100))
        return out[:limit]

    def _fills(self, api: ApiKey, q: dict[str, Any]) -> dict[str, Any]:
        if str(q.get("productType") or "").upper() != "USDT-FUTURES":
            raise p.BgError(p.PARAM_BAD, "Parameter productType error")
        rows = self._user_fills(api.uid, False, q)
        return {
            "fillList": [self._fill(f) for f in rows] or None,
            "endId": str(rows[-1].tid) if rows else None,
        }

    def _all_positions(self, api: ApiKey, q: dict[str, Any]) -> list[dict[str, Any]]:
        if str(q.get("productType") or "").upper() != "USDT-FUTURES":
            return []
        return self._open_positions(api.uid)

    def _single_position(self, api: ApiKey, q: dict[str, Any]) -> list[dict[str, Any]]:
        m = self._perp(q)
        row = self._position(api.uid, m)
        return [row] if row is not None and Decimal(row["total"]) != 0 else []

    def _account(self, api: ApiKey, q: dict[str, Any]) -> dict[str, Any]:
        self._perp(q)
        return self._futures_account(api.uid)

    def _bills(self, api: ApiKey, q: dict[str, Any]) -> dict[str, Any]:
        kind = q.get("businessType")
        rows = [
            b for b in reversed(self.bills.get(api.uid, []))
            if (not kind or b["businessType"] == kind) and self._in_range(int(b["cTime"]), q)
        ]  # fmt: skip
        less = p.int_param(q, "idLessThan")
        if less is not None:
            rows = [b for b in rows if int(b["billId"]) < less]
        limit = max(1, min(100, p.int_param(q, "limit", 20) or 20))
        rows = rows[:limit]
        return {"bills": rows, "endId": rows[-1]["billId"] if rows else None}

    def _set_position_mode(self, api: ApiKey, b: dict[str, Any]) -> dict[str, str]:
        mode = str(b.get("posMode") or "")
        if mode not in (ONE_WAY, HEDGE):
            raise p.BgError(p.PARAM_BAD, "Parameter posMode error")
        if self._open_positions(api.uid) or any(
            not self.u.markets[o.market].is_spot for o in self.exchange.open_orders(api.uid)
        ):
            raise p.BgError(*p.POS_MODE_BUSY)
        self.pos_mode[api.uid] = mode
        return {"posMode": mode}

    def _set_leverage(self, api: ApiKey, b: dict[str, Any]) -> dict[str, Any]:
        m, mode = self._perp_common(b)
        lev = p.int_param(b, "leverage")
        if lev is None or not 1 <= lev <= m.max_leverage:
            raise p.BgError("40797", "Exceeded the maximum settable leverage")
        self.exchange.set_leverage(api.uid, m.key, lev)
        return {"symbol": m.symbol, "marginCoin": "USDT", "longLeverage": str(lev), "shortLeverage": str(lev),
                "crossMarginLeverage": str(lev), "marginMode": mode}  # fmt: skip

    def _set_margin_mode(self, api: ApiKey, b: dict[str, Any]) -> dict[str, Any]:
        m, mode = self._perp_common(b)
        return {
            "symbol": m.symbol,
            "marginCoin": "USDT",
            "longLeverage": "10",
            "shortLeverage": "10",
            "marginMode": mode,
        }

    # -- spot ------------------------------------------------------------------------------------
    def _spot_place(self, api: ApiKey, b: dict[str, Any]) -> dict[str, str]:
        return self._submit(api, self._spot(b), b)

    def _spot_batch(self, api: ApiKey, b: dict[str, Any]) -> dict[str, Any]:
        orders = b.get("orderList")
        if not isinstance(orders, list) or not orders:
            raise p.BgError(p.PARAM_EMPTY, "Parameter orderList cannot be empty")
        if len(orders) > 50:
            raise p.BgError(*p.BATCH_TOO_LARGE)
        success, failure = [], []
        for item in orders:
            item = {"symbol": b.get("symbol"), **item} if isinstance(item, dict) else {}
            try:
                success.append(self._submit(api, self._spot(item), item))
            except p.BgError as e:
                failure.append(
                    {
                        "orderId": "",
                        "clientOid": str(item.get("clientOid") or ""),
                        "errorMsg": e.msg,
                        "errorCode": e.code,
                    }
                )
        return {"successList": success, "failureList": failure}

    def _spot_cancel(self, api: ApiKey, b: dict[str, Any]) -> dict[str, str]:
        return self._cancel_one(api, self._spot(b), b)

    def _spot_cancel_symbol(self, api: ApiKey, b: dict[str, Any]) -> dict[str, str]:
        m = self._spot(b)
        for o in self.exchange.open_orders(api.uid, m.key):
            self._cancel_one(api, m, {"orderId": str(o.oid)})
        return {"symbol": m.symbol}

    def _spot_order_info(self, api: ApiKey, q: dict[str, Any]) -> list[dict[str, Any]]:
        if q.get("orderId") in (None, "") and q.get("clientOid") in (None, ""):
            raise p.BgError("40924", "orderId and clientOid must have one")
        order = self._find(api.uid, q)
        if order is None or not self.u.markets[order.market].is_spot:
            raise p.BgError("40109", "The data of the order cannot be found, please confirm the order number")
        return [self._order(order)]

    def _spot_unfilled(self, api: ApiKey, q: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            self._order(o) for o in self._page(self._filter(self._user_orders(api.uid, True, True), q), q)
        ]

    def _spot_history(self, api: ApiKey, q: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            self._order(o) for o in self._page(self._filter(self._user_orders(api.uid, True, False), q), q)
        ]

    def _spot_fills(self, api: ApiKey, q: dict[str, Any]) -> list[dict[str, Any]]:
        self._spot(q)
        return [self._fill(f) for f in self._user_fills(api.uid, True, q)]

    def _spot_assets_query(self, api: ApiKey, q: dict[str, Any]) -> list[dict[str, Any]]:
        coin = str(q.get("coin") or "").upper()
        return [a for a in self._spot_assets(api.uid) if not coin or a["coin"] == coin]

    # -- bills -----------------------------------------------------------------------------------
    def _bill(
        self, uid: str, symbol: str, amount: Decimal, fee: Decimal, kind: str, t: int | None = None
    ) -> None:
        rows = self.bills.setdefault(uid, [])
        view = self.exchange.margin(uid, "USDT-FUTURES")
        rows.append(
            {
                "billId": str(10_000_000 + sum(len(r) for r in self.bills.values())),
                "symbol": symbol,
                "amount": p.num(amount),
                "fee": p.num(fee),
                "feeByCoupon": "",
                "businessType": kind,
                "coin": "USDT",
                "balance": p.num(view.collateral),
                "cTime": str(t if t is not None else now_ms()),
            }
        )
