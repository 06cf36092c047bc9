"""Private REST: order actions (create, amend, cancel, cancel-all and their batch forms, also used
by the `/v5/trade` WebSocket), order / execution / position / wallet / transaction-log queries and
account settings, with the venue's validation rules and error codes.

What a request may ask for and what it gets:
- `Limit` (GTC, IOC, FOK, PostOnly) and `Market` orders; a market order is an IOC through a 5 %
  protection band (linear reports that band as its price; spot reports "0"); a spot market buy's
  `qty` is in the quote coin unless `marketUnit=baseCoin`.
- One-way position mode only (`positionIdx` 0); regular (cross) margin; leverage per symbol.
- Refused with a named error (not simulated): conditional / TP-SL orders (`triggerPrice`,
  `takeProfit`, `stopLoss`), spot margin (`isLeverage=1`), hedge mode, inverse and option.
- Orders the account cannot afford are refused synchronously (110007 linear, 170131 spot), as are
  reduce-only orders that would not reduce (110017). A post-only order that would take liquidity,
  and an IOC/market order with nothing to fill, are accepted and then `Cancelled` with the venue's
  `rejectReason`; an injected reject (`reject_next`) is accepted and then `Rejected`.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal
from typing import Any

from venuesim.core.model import ZERO
from venuesim.core.model import OrderStatus
from venuesim.core.model import PlaceResult
from venuesim.core.model import Reject
from venuesim.core.model import Side
from venuesim.core.model import SimOrder
from venuesim.core.model import Tif
from venuesim.core.model import now_ms
from venuesim.fronts.bybit import protocol as p
from venuesim.fronts.bybit.market import MarketApi
from venuesim.fronts.bybit.protocol import BybitError
from venuesim.fronts.bybit.protocol import decode_cursor
from venuesim.fronts.bybit.protocol import encode_cursor
from venuesim.fronts.bybit.protocol import fmt
from venuesim.fronts.bybit.protocol import param_error
from venuesim.fronts.bybit.protocol import parse_decimal
from venuesim.fronts.bybit.protocol import parse_int
from venuesim.fronts.bybit.records import BybitOrder
from venuesim.fronts.bybit.universe import SETTLE_COIN
from venuesim.fronts.bybit.universe import BybitMarket

LINK_ID = re.compile(r"^[A-Za-z0-9_\-.:]{1,36}$")
MARKET_BAND = Decimal("0.05")
TIFS = ("GTC", "IOC", "FOK", "PostOnly")
CORE_TIF = {"GTC": Tif.GTC, "PostOnly": Tif.ALO, "IOC": Tif.IOC, "FOK": Tif.IOC}
NOT_SIMULATED = ("triggerPrice", "takeProfit", "stopLoss")
BATCH_MAX = {"spot": 10, "linear": 20}
WEEK_MS = 7 * 86_400_000
SPOT_DUPLICATE_LINK_ID = 170141
SPOT_PRICE_DECIMALS = 170134
SPOT_BELOW_MIN_AMOUNT = 170140
NOT_MODIFIED = 34040


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


class TradeApi(MarketApi):
    # -- lookups ----------------------------------------------------------------------------------
    def trading_market(self, params: dict[str, Any]) -> BybitMarket:
        category = self.category(params)
        if category not in ("spot", "linear"):
            raise param_error(f"category {category!r} is not simulated by venuesim (spot, linear)")
        return self.market(params, category)

    def find_order(self, uid: str, m: BybitMarket, params: dict[str, Any]) -> BybitOrder:
        order_id, link = params.get("orderId"), params.get("orderLinkId")
        if not order_id and not link:
            raise param_error("orderId or orderLinkId is required")
        view = self.orders.get(str(order_id)) if order_id else self.by_link.get((uid, str(link)))
        if view is None or view.uid != uid or view.market is not m:
            raise BybitError(p.SPOT_ORDER_NOT_EXISTS if m.is_spot else p.ORDER_NOT_EXISTS)
        return view

    # -- order actions ------------------------------------------------------------------------------
    def create_order(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        m = self.trading_market(params)
        side = params.get("side")
        if side not in ("Buy", "Sell"):
            raise param_error(f"side invalid: {side!r}")
        order_type = params.get("orderType")
        if order_type not in ("Market", "Limit"):
            raise param_error(f"orderType invalid: {order_type!r}")
        for name in NOT_SIMULATED:
            if params.get(name) not in (None, "", "0", 0):
                raise param_error(f"{name}: venuesim does not simulate conditional or TP/SL orders")
        if _truthy(params.get("isLeverage", 0)):
            raise param_error("isLeverage=1: venuesim does not simulate spot margin trading")
        if (parse_int(params.get("positionIdx"), "positionIdx", 0) or 0) != 0:
            raise BybitError(p.PARAM_ERROR, "position idx not match position mode")
        link = params.get("orderLinkId") or ""
        if link:
            if not isinstance(link, str) or not LINK_ID.match(link):
                raise param_error("orderLinkId must be 1-36 characters of letters, digits, _ and -")
            if (uid, link) in self.by_link:
                if m.is_spot:
                    raise BybitError(SPOT_DUPLICATE_LINK_ID, "Duplicate clientOrderId.")
                raise BybitError(p.DUPLICATE_LINK_ID)
        tif = params.get("timeInForce") or "GTC"
        if tif not in TIFS:
            raise param_error(f"timeInForce invalid: {tif!r}")
        side_ = Side.BUY if side == "Buy" else Side.SELL
        reduce_only = _truthy(params.get("reduceOnly")) and not m.is_spot
        qty = parse_decimal(params.get("qty"), "qty")
        market_unit = ""
        if order_type == "Market":
            tif = "IOC"
            price = self._protection_price(m, side_)
            if m.is_spot:
                market_unit = params.get("marketUnit") or ("quoteCoin" if side == "Buy" else "baseCoin")
                if market_unit not in ("baseCoin", "quoteCoin"):
                    raise param_error(f"marketUnit invalid: {market_unit!r}")
                if market_unit == "quoteCoin":
                    qty = self._base_for_quote(m, side_, qty)
        else:
            price = parse_decimal(params.get("price"), "price")
            if not m.on_tick(price):
                if m.is_spot:
                    raise BybitError(SPOT_PRICE_DECIMALS, "Order price has too many decimals.")
                raise param_error(f"price {params.get('price')} is not a multiple of tickSize {fmt(m.tick)}")
        self._check_qty(m, qty, price if order_type == "Limit" else self._reference_price(m, side_))
        self._check_funds(uid, m, side_, qty, price, reduce_only)
        if tif == "FOK" and self._fillable(uid, m, side_, price) < qty:
            core = SimOrder(0, uid, m.key, side_, price, qty, qty, Tif.IOC, reduce_only, None, now_ms())
            core.status, core.status_timestamp = OrderStatus.CANCELED, now_ms()
            view = self._register(
                uid, m, link, side, order_type, tif, price, qty, reduce_only, core, market_unit
            )
            view.reject_reason = p.EC_FOK_NOT_FILLED
            self.handle_view_change(view)
            return {"orderId": view.order_id, "orderLinkId": link}
        with self.capturing() as events:
            result = self.exchange.place(uid, m.key, side_, price, qty, CORE_TIF[tif], reduce_only, None)
        self._refuse_if_unaffordable(m, result, events)
        view = self._register(
            uid, m, link, side, order_type, tif, price, qty, reduce_only, result.order, market_unit
        )
        for event in events:
            self.handle(event)
        self.handle_view_change(view)
        return {"orderId": view.order_id, "orderLinkId": link}

    def _register(
        self, uid, m, link, side, order_type, tif, price, qty, reduce_only, core, market_unit
    ) -> BybitOrder:
        st = self.exchange.market(m.key)
        t = now_ms()
        view = BybitOrder(
            order_id=p.new_order_id(), link_id=link, uid=uid, market=m, side=side, order_type=order_type,
            tif=tif, price=price, qty=qty, reduce_only=reduce_only, core=core, created_ms=t, updated_ms=t,
            last_price_on_created=m.px(st.trades[-1].price if st.trades else st.mark), market_unit=market_unit,
        )  # fmt: skip
        self.orders[view.order_id] = view
        if core.oid:
            self.by_oid[core.oid] = view
        if link:
            self.by_link[(uid, link)] = view
        return view

    def handle_view_change(self, view: BybitOrder) -> None:
        self._dirty_orders[view.order_id] = None
        self._touch(view.uid, view.market)
        self._schedule()

    def _refuse_if_unaffordable(self, m: BybitMarket, result: PlaceResult, events: list) -> None:
        order = result.order
        if order.status is not OrderStatus.REJECTED:
            return
        codes = {
            Reject.INSUFFICIENT_MARGIN: p.INSUFFICIENT_AVAILABLE,
            Reject.INSUFFICIENT_SPOT_BALANCE: p.SPOT_INSUFFICIENT_BALANCE,
            Reject.REDUCE_ONLY_WOULD_INCREASE: p.REDUCE_ONLY_RULE,
        }
        code = codes.get(order.reject)  # type: ignore[arg-type]
        if code is None:
            return
        for event in events:
            if getattr(event, "order", None) is not order:
                self.handle(event)
        raise BybitError(code)

    def _protection_price(self, m: BybitMarket, side: Side) -> Decimal:
        bid, ask = self.exchange.best_bid_ask(m.key)
        ref = (ask if side is Side.BUY else bid) or self.exchange.market(m.key).mark
        raw = ref * (1 + MARKET_BAND) if side is Side.BUY else ref * (1 - MARKET_BAND)
        rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
        return (raw / m.tick).to_integral_value(rounding=rounding) * m.tick

    def _reference_price(self, m: BybitMarket, side: Side) -> Decimal:
        bid, ask = self.exchange.best_bid_ask(m.key)
        return (ask if side is Side.BUY else bid) or self.exchange.market(m.key).mark

    def _base_for_quote(self, m: BybitMarket, side: Side, amount: Decimal) -> Decimal:
        """A spot market order given in quote coin: the base quantity that amount buys (sells for)
        walking the book."""
        bids, asks = self.exchange.book(m.key, depth=1000)
        base, left = ZERO, amount
        for px, sz, _ in asks if side is Side.BUY else bids:
            cost = px * sz
            if cost >= left:
                base += left / px
                left = ZERO
                break
            base += sz
            left -= cost
        return base.quantize(m.qty_step, rounding=ROUND_FLOOR)

    def _check_qty(self, m: BybitMarket, qty: Decimal, price: Decimal) -> None:
        if qty <= 0:
            raise param_error("qty must be positive")
        if not m.on_step(qty):
            if m.is_spot:
                raise BybitError(p.SPOT_QTY_DECIMALS)
            raise param_error(f"qty {fmt(qty)} is not a multiple of qtyStep {fmt(m.qty_step)}")
        if qty < m.min_qty:
            if m.is_spot:
                raise BybitError(p.SPOT_QTY_TOO_SMALL)
            raise param_error(f"qty {fmt(qty)} is below minOrderQty {fmt(m.min_qty)}")
        if qty > m.max_qty:
            raise param_error(f"qty {fmt(qty)} is above maxOrderQty {fmt(m.max_qty)}")
        if qty * price < m.min_notional:
            if m.is_spot:
                raise BybitError(SPOT_BELOW_MIN_AMOUNT, "Order value exceeded lower limit.")
            raise BybitError(p.BELOW_MIN_NOTIONAL, min=fmt(m.min_notional))

    def _check_funds(
        self, uid: str, m: BybitMarket, side: Side, qty: Decimal, price: Decimal, reduce_only: bool
    ) -> None:
        if m.is_spot:
            if side is Side.BUY:
                need, coin = qty * min(price, self._reference_price(m, side) * (1 + MARKET_BAND)), m.quote
            else:
                need, coin = qty, m.base
            if self.acct.available(uid, coin) < need:
                raise BybitError(p.SPOT_INSUFFICIENT_BALANCE)
            return
        pos = self.acct.account(uid).positions.get(m.key)
        szi = pos.szi if pos is not None else ZERO
        if reduce_only:
            if szi == 0 or (szi > 0) == (side is Side.BUY) or qty > abs(szi):
                raise BybitError(p.REDUCE_ONLY_RULE)
            return
        increase = self.acct.increase(uid, m, side, qty)
        if increase and increase * price / self.acct.leverage(uid, m) > self.acct.available(uid, SETTLE_COIN):
            raise BybitError(p.INSUFFICIENT_AVAILABLE)

    def _fillable(self, uid: str, m: BybitMarket, side: Side, price: Decimal) -> Decimal:
        bids, asks = self.exchange.book(m.key, depth=1000)
        own = sum(
            (o.size for o in self.exchange.open_orders(uid, m.key) if o.side is not side), ZERO
        )  # own resting orders do not fill
        levels = asks if side is Side.BUY else bids
        total = sum((sz for px, sz, _ in levels if (px <= price if side is Side.BUY else px >= price)), ZERO)
        return total - own

    def amend_order(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        m = self.trading_market(params)
        view = self.find_order(uid, m, params)
        if not view.is_open:
            raise BybitError(p.ORDER_NOT_EXISTS if not m.is_spot else p.SPOT_ORDER_NOT_EXISTS)
        for name in NOT_SIMULATED:
            if params.get(name) not in (None, "", "0", 0):
                raise param_error(f"{name}: venuesim does not simulate conditional or TP/SL orders")
        qty = parse_decimal(params["qty"], "qty") if params.get("qty") not in (None, "") else view.qty
        price = (
            parse_decimal(params["price"], "price") if params.get("price") not in (None, "") else view.price
        )
        if qty == view.qty and price == view.price:
            raise BybitError(
                NOT_MODIFIED, "The order remains unchanged as the parameters entered match the existing ones."
            )
        if not m.on_tick(price):
            raise param_error(f"price {fmt(price)} is not a multiple of tickSize {fmt(m.tick)}")
        if not m.on_step(qty):
            raise param_error(f"qty {fmt(qty)} is not a multiple of qtyStep {fmt(m.qty_step)}")
        if qty <= view.cum_qty:
            raise BybitError(p.QTY_NOT_ABOVE_FILLED)
        side = view.core.side
        remaining = qty - view.cum_qty
        old = view.core
        # funds: what the amended order needs beyond what the resting one already reserves
        if m.is_spot and side is Side.BUY:
            extra = remaining * price - old.size * old.price
            if extra > 0 and self.acct.available(uid, m.quote) < extra:
                raise BybitError(p.SPOT_INSUFFICIENT_BALANCE)
        elif m.is_spot:
            if remaining > old.size and self.acct.available(uid, m.base) < remaining - old.size:
                raise BybitError(p.SPOT_INSUFFICIENT_BALANCE)
        elif not view.reduce_only:
            lev = self.acct.leverage(uid, m)
            extra = (remaining * price - old.size * old.price) / lev
            if extra > 0 and extra > self.acct.available(uid, SETTLE_COIN):
                raise BybitError(p.INSUFFICIENT_AVAILABLE)
        with self.capturing() as events:
            result = self.exchange.modify(
                uid, old.oid, side, price, remaining, old.tif, view.reduce_only, None
            )
        if result is None:
            raise BybitError(p.ORDER_NOT_EXISTS if not m.is_spot else p.SPOT_ORDER_NOT_EXISTS)
        view.prior_filled += old.filled
        view.prior_value += old.notional
        self.by_oid.pop(old.oid, None)
        view.core = result.order
        self.by_oid[result.order.oid] = view
        view.qty, view.price = qty, price
        view.updated_ms = now_ms()
        for event in events:
            self.handle(event)
        self.handle_view_change(view)
        return {"orderId": view.order_id, "orderLinkId": view.link_id}

    def cancel_order(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        m = self.trading_market(params)
        view = self.find_order(uid, m, params)
        self._cancel(uid, view)
        return {"orderId": view.order_id, "orderLinkId": view.link_id}

    def _cancel(self, uid: str, view: BybitOrder) -> None:
        if not view.is_open:
            raise BybitError(p.SPOT_ORDER_NOT_EXISTS if view.market.is_spot else p.ORDER_NOT_EXISTS)
        with self.capturing() as events:
            canceled = self.exchange.cancel(uid, view.core.oid)
        if canceled is None:
            raise BybitError(p.SPOT_ORDER_NOT_EXISTS if view.market.is_spot else p.ORDER_NOT_EXISTS)
        view.cancel_type = "CancelByUser"
        for event in events:
            self.handle(event)
        self.handle_view_change(view)

    def cancel_all(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        if category not in ("spot", "linear"):
            raise param_error(f"category {category!r} is not simulated by venuesim (spot, linear)")
        symbol, base, settle = params.get("symbol"), params.get("baseCoin"), params.get("settleCoin")
        if category == "linear" and not (symbol or base or settle):
            raise param_error("symbol, baseCoin or settleCoin is required for linear")
        done = []
        for view in list(self.orders.values()):
            vm = view.market
            if view.uid != uid or vm.category != category or not view.is_open:
                continue
            if (
                (symbol and vm.symbol != symbol)
                or (base and vm.base != base)
                or (settle and vm.quote != settle)
            ):
                continue
            self._cancel(uid, view)
            done.append({"orderId": view.order_id, "orderLinkId": view.link_id})
        return {"list": done, "success": "1"}

    def batch(self, uid: str, params: dict[str, Any], action: str) -> tuple[dict[str, Any], dict[str, Any]]:
        category = self.category(params)
        requests = params.get("request")
        if not isinstance(requests, list) or not requests:
            raise param_error("request must be a non-empty list")
        most = BATCH_MAX.get(category, 20)
        if len(requests) > most:
            raise param_error(f"at most {most} orders per batch request for {category}")
        fn = {"create": self.create_order, "amend": self.amend_order, "cancel": self.cancel_order}[action]
        results, ext = [], []
        for item in requests:
            item = {**item, "category": category}
            try:
                ids = fn(uid, item)
                ext.append({"code": 0, "msg": "OK"})
            except BybitError as e:
                ids = {"orderId": "", "orderLinkId": item.get("orderLinkId") or ""}
                ext.append({"code": e.code, "msg": e.message})
            row = {"category": category, "symbol": item.get("symbol", ""), **ids}
            if action == "create":
                row["createAt"] = str(now_ms()) if ids["orderId"] else ""
            results.append(row)
        return {"list": results}, {"list": ext}

    # -- queries --------------------------------------------------------------------------------------
    def _page(self, rows: list, params: dict[str, Any], default: int, most: int) -> tuple[list, str]:
        limit = parse_int(params.get("limit"), "limit", default) or default
        if not 1 <= limit <= most:
            raise param_error(f"limit must be in [1, {most}]")
        offset = decode_cursor(params.get("cursor"))
        more = offset + limit < len(rows)
        return rows[offset : offset + limit], encode_cursor(offset + limit) if more else ""

    def _orders_for(self, uid: str, params: dict[str, Any]) -> tuple[str, list[BybitOrder]]:
        """The account's orders of a category, selected as the venue does: by `orderId`, else by
        `orderLinkId`, else by `symbol` / `baseCoin` / `settleCoin` (docs: "orderId > orderLinkId >
        symbol > baseCoin" - the other parameters are then ignored)."""
        category = self.category(params)
        views = [v for v in self.orders.values() if v.uid == uid and v.market.category == category]
        if params.get("orderId"):
            views = [v for v in views if v.order_id == params["orderId"]]
        elif params.get("orderLinkId"):
            views = [v for v in views if v.link_id == params["orderLinkId"]]
        else:
            if params.get("symbol"):
                views = [v for v in views if v.market.symbol == params["symbol"]]
            if params.get("baseCoin"):
                views = [v for v in views if v.market.base == params["baseCoin"]]
            if params.get("settleCoin"):
                views = [v for v in views if v.market.quote == params["settleCoin"]]
        for v in views:
            v.refresh(self.sim.faults.matching.reject_reason)
        views.sort(key=lambda v: (v.created_ms, v.order_id), reverse=True)
        return category, views

    def get_open_orders(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        if category == "linear" and not any(
            params.get(k) for k in ("symbol", "baseCoin", "settleCoin", "orderId", "orderLinkId")
        ):
            raise param_error("symbol, baseCoin or settleCoin is required for linear")
        category, views = self._orders_for(uid, params)
        if not (params.get("orderId") or params.get("orderLinkId")):
            open_only = parse_int(params.get("openOnly"), "openOnly", 0)
            views = (
                [v for v in views if v.is_open]
                if open_only == 0
                else [v for v in views if not v.is_open][:500]
            )
        page, cursor = self._page(views, params, 20, 50)
        return {"category": category, "list": [v.record() for v in page], "nextPageCursor": cursor}

    def get_order_history(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        category, views = self._orders_for(uid, params)
        end = parse_int(params.get("endTime"), "endTime", now_ms()) or now_ms()
        start = parse_int(params.get("startTime"), "startTime", end - WEEK_MS) or end - WEEK_MS
        if end - start > WEEK_MS:
            raise param_error("the time range between startTime and endTime must not exceed 7 days")
        views = [v for v in views if start <= v.created_ms <= end]
        if params.get("orderStatus"):
            views = [v for v in views if v.status == params["orderStatus"]]
        page, cursor = self._page(views, params, 20, 50)
        return {"category": category, "list": [v.record() for v in page], "nextPageCursor": cursor}

    def get_executions(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        rows = [e for e in self.executions[uid] if e.market.category == category]
        end = parse_int(params.get("endTime"), "endTime", now_ms()) or now_ms()
        start = parse_int(params.get("startTime"), "startTime", end - WEEK_MS) or end - WEEK_MS
        if end - start > WEEK_MS:
            raise param_error("the time range between startTime and endTime must not exceed 7 days")
        rows = [e for e in rows if start <= e.time_ms <= end]
        for key, attr in (("symbol", "symbol"), ("baseCoin", "base")):
            if params.get(key):
                rows = [e for e in rows if getattr(e.market, attr) == params[key]]
        if params.get("orderId"):
            rows = [e for e in rows if e.order_id == params["orderId"]]
        if params.get("orderLinkId"):
            rows = [e for e in rows if e.link_id == params["orderLinkId"]]
        if params.get("execType"):
            rows = [e for e in rows if e.exec_type == params["execType"]]
        rows.sort(key=lambda e: (e.time_ms, e.seq), reverse=True)
        page, cursor = self._page(rows, params, 50, 100)
        return {"category": category, "list": [e.record() for e in page], "nextPageCursor": cursor}

    def get_positions(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        if category != "linear":
            raise param_error(f"category {category!r}: positions are for linear (and inverse/option)")
        if params.get("symbol"):
            markets = [self.market(params, category)]
        elif params.get("settleCoin") or params.get("baseCoin"):
            acct = self.acct.account(uid)
            markets = [
                m
                for m in self.u.of("linear")
                if (not params.get("settleCoin") or m.quote == params["settleCoin"])
                and (not params.get("baseCoin") or m.base == params["baseCoin"])
                and (pos := acct.positions.get(m.key)) is not None
                and pos.szi != 0
            ]
        else:
            raise param_error("symbol, baseCoin or settleCoin is required")
        page, cursor = self._page(markets, params, 20, 200)
        return {
            "category": category,
            "list": [self.acct.position(uid, m) for m in page],
            "nextPageCursor": cursor,
        }

    def get_wallet(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("accountType") != "UNIFIED":
            raise param_error(f"accountType {params.get('accountType')!r} invalid: this is a UNIFIED account")
        coins = str(params["coin"]).split(",") if params.get("coin") else None
        return {"list": [self.acct.wallet(uid, coins)]}

    def get_fee_rate(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        markets = self.u.of(category)
        if params.get("symbol"):
            markets = [m for m in markets if m.symbol == params["symbol"]]
        if params.get("baseCoin"):
            markets = [m for m in markets if m.base == params["baseCoin"]]
        return {
            "list": [
                {
                    "symbol": m.symbol,
                    "baseCoin": "",
                    "takerFeeRate": fmt(m.spec.taker_fee),
                    "makerFeeRate": fmt(m.spec.maker_fee),
                }
                for m in markets
            ]
        }

    def get_account_info(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "marginMode": "REGULAR_MARGIN",
            "updatedTime": str(self.history.start_ms),
            "unifiedMarginStatus": 5,
            "dcpStatus": "OFF",
            "timeWindow": 10,
            "smpGroup": 0,
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF",
        }

    def get_transaction_log(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        rows = list(self.transactions[uid])
        end = parse_int(params.get("endTime"), "endTime", now_ms()) or now_ms()
        start = parse_int(params.get("startTime"), "startTime", end - WEEK_MS) or end - WEEK_MS
        if end - start > WEEK_MS:
            raise param_error("the time range between startTime and endTime must not exceed 7 days")
        rows = [t for t in rows if start <= t.time_ms <= end]
        for key, get in (
            ("category", lambda t: t.market.category),
            ("currency", lambda t: t.currency),
            ("baseCoin", lambda t: t.market.base),
            ("type", lambda t: t.type),
        ):
            if params.get(key):
                rows = [t for t in rows if get(t) == params[key]]
        rows.sort(key=lambda t: (t.time_ms, int(t.id)), reverse=True)
        page, cursor = self._page(rows, params, 20, 50)
        return {"list": [t.record() for t in page], "nextPageCursor": cursor}

    def get_coin_info(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        coins = self.u.coins()
        if params.get("coin"):
            coins = [c for c in coins if c == params["coin"]]
        chain = {
            "confirmation": "1", "chainType": "ETH", "withdrawFee": "0", "depositMin": "0",
            "withdrawMin": "0", "chain": "ETH", "chainDeposit": "1", "chainWithdraw": "1",
            "minAccuracy": "8", "withdrawPercentageFee": "0",
        }  # fmt: skip
        return {"rows": [{"name": c, "coin": c, "remainAmount": "1000000", "chains": [chain]} for c in coins]}

    def get_api_key_info(self, uid: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        api_key = self.auth.keys[key]
        return {
            "id": "1", "note": "venuesim", "apiKey": key, "readOnly": 0 if api_key.trade else 1,
            "secret": "", "permissions": {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"],
            "Wallet": ["AccountTransfer"], "Options": [], "Derivatives": [], "CopyTrading": [],
            "BlockTrade": [], "Exchange": [], "NFT": []}, "ips": ["*"], "type": 1, "deadlineDay": -1,
            "expiredAt": "", "createdAt": "2024-01-01T00:00:00Z", "unified": 1, "uta": 1,
            "userID": int(uid) if uid.isdigit() else 0, "inviterID": 0, "vipLevel": "No VIP",
            "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "", "isMaster": True,
        }  # fmt: skip

    # -- settings ---------------------------------------------------------------------------------------
    def set_leverage(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        m = self.trading_market(params)
        if m.is_spot:
            raise param_error("category spot has no leverage")
        buy = parse_decimal(params.get("buyLeverage"), "buyLeverage")
        sell = parse_decimal(params.get("sellLeverage"), "sellLeverage")
        if buy != sell:
            raise param_error("buyLeverage must equal sellLeverage in one-way mode")
        if not 1 <= buy <= m.max_leverage:
            raise param_error(f"leverage {fmt(buy)} outside [1, {m.max_leverage}]")
        if buy == self.acct.leverage(uid, m):
            raise BybitError(p.LEVERAGE_NOT_MODIFIED)
        self.exchange.set_leverage(uid, m.key, buy)  # type: ignore[arg-type]
        self._touch(uid, m)
        self._schedule()
        return {}

    def switch_mode(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        mode = parse_int(params.get("mode"), "mode")
        if mode == 0:
            raise BybitError(p.POSITION_MODE_NOT_MODIFIED)
        raise param_error("mode 3 (hedge mode): venuesim simulates one-way mode only")

    def set_margin_mode(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("setMarginMode")
        if mode != "REGULAR_MARGIN":
            raise param_error(f"setMarginMode {mode!r}: venuesim simulates REGULAR_MARGIN only")
        return {"reasons": []}

    def trading_stop(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        raise param_error("/v5/position/trading-stop: venuesim does not simulate TP/SL or trailing stops")
