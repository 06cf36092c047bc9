"""State and helpers the public, trading and stream parts of the Bitget front share: the universe,
the authenticator, per-order metadata the core does not keep (client id as sent, force, order type),
the accounts' position mode, and the shapes of orders, fills, positions and accounts on the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import unquote

from aiohttp import web

from venuesim.core.model import ZERO
from venuesim.core.model import Fill
from venuesim.core.model import OrderStatus
from venuesim.core.model import Reject
from venuesim.core.model import Side
from venuesim.core.model import SimOrder
from venuesim.core.model import now_ms
from venuesim.fronts.base import Front
from venuesim.fronts.bitget import protocol as p
from venuesim.fronts.bitget.auth import ApiKey
from venuesim.fronts.bitget.auth import Authenticator
from venuesim.fronts.bitget.auth import AuthError
from venuesim.fronts.bitget.universe import PERP_GROUP
from venuesim.fronts.bitget.universe import BgMarket
from venuesim.fronts.bitget.universe import Universe

ONE_WAY = "one_way_mode"
HEDGE = "hedge_mode"
MARKET_SLIPPAGE = Decimal("0.05")  # how far through the book a market order may sweep


@dataclass
class OrderMeta:
    """What the venue remembers about an order beyond the core's record."""

    client_oid: str
    order_type: str  # limit | market
    force: str  # gtc | ioc | fok | post_only
    price: str  # as the client sent it ("0" for market orders)
    size: str
    product: str  # USDT-FUTURES | SPOT
    margin_mode: str = "crossed"
    cancel_reason: str = ""


class FrontState(Front):
    u: Universe
    auth: Authenticator
    default_collateral: Decimal
    meta: dict[int, OrderMeta]
    pos_mode: dict[str, str]
    last_pushed: dict[int, str]

    # -- requests --------------------------------------------------------------------------------
    @staticmethod
    def _query(request: web.Request) -> dict[str, str]:
        return dict(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))

    async def _body(self, request: web.Request) -> tuple[str, dict[str, Any]]:
        text = await request.text()
        if not text:
            return text, {}
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            raise p.BgError("40017", "Parameter verification failed: body is not JSON") from None
        if not isinstance(body, dict):
            raise p.BgError("40017", "Parameter verification failed: body must be a JSON object")
        return text, body

    async def _authenticate(self, request: web.Request, body_text: str = "") -> ApiKey:
        query = unquote(request.rel_url.raw_query_string)
        try:
            return self.auth.verify_rest(request.method, request.path, query, body_text, request.headers)
        except AuthError as e:
            raise p.BgError(e.code, e.msg) from None

    def _perp(self, params: dict[str, Any]) -> BgMarket:
        product = str(params.get("productType") or "").upper()
        if product not in ("USDT-FUTURES",):
            raise p.BgError(p.PARAM_BAD, "Parameter productType error")
        return self._market(params, "USDT-FUTURES")

    def _spot(self, params: dict[str, Any]) -> BgMarket:
        return self._market(params, "SPOT")

    def _market(self, params: dict[str, Any], product: str) -> BgMarket:
        symbol = p.require(params, "symbol")
        m = self.u.lookup(product, symbol)
        if m is None:
            raise p.BgError("40034", f"Parameter {symbol} does not exist")
        return m

    # -- wire shapes -----------------------------------------------------------------------------
    def _status(self, o: SimOrder) -> str:
        if o.status is OrderStatus.OPEN:
            return "partially_filled" if o.filled > 0 else "live"
        if o.status is OrderStatus.FILLED:
            return "filled"
        return "canceled"  # canceled, IOC remainder, IOC/FOK/post-only without a match

    def _order_fees(self, o: SimOrder) -> Decimal:
        acct = self.exchange.account(o.user)
        return sum((f.fee for f in (acct.fills if acct else []) if f.oid == o.oid), ZERO)

    def _order_pnl(self, o: SimOrder) -> Decimal:
        acct = self.exchange.account(o.user)
        return sum((f.closed_pnl for f in (acct.fills if acct else []) if f.oid == o.oid), ZERO)

    def _order(self, o: SimOrder) -> dict[str, Any]:
        m = self.u.markets[o.market]
        meta = self.meta.get(o.oid)
        side = "buy" if o.side is Side.BUY else "sell"
        avg = m.px(o.avg_px) if o.avg_px is not None else ""
        base = {
            "symbol": m.symbol,
            "size": meta.size if meta else m.sz(o.orig_size),
            "orderId": str(o.oid),
            "clientOid": meta.client_oid if meta else (o.cloid or ""),
            "baseVolume": m.sz(o.filled),
            "priceAvg": avg,
            "fee": p.num(-self._order_fees(o)),
            "price": meta.price if meta else m.px(o.price),
            "status": self._status(o),
            "side": side,
            "force": meta.force if meta else "gtc",
            "orderType": meta.order_type if meta else "limit",
            "quoteVolume": p.num(o.notional),
            "enterPointSource": "API",
            "orderSource": "market" if meta and meta.order_type == "market" else "normal",
            "cTime": str(o.timestamp),
            "uTime": str(o.status_timestamp or o.timestamp),
        }
        if m.is_spot:
            return base | {"feeDetail": json.dumps(self._spot_fee_detail(o))}
        acct = self.exchange.account(o.user)
        return base | {
            "totalProfits": p.num(self._order_pnl(o)),
            "posSide": "net",
            "marginCoin": "USDT",
            "leverage": str(acct.lev(m.spec) if acct else 10),
            "marginMode": meta.margin_mode if meta else "crossed",
            "reduceOnly": "YES" if o.reduce_only else "NO",
            "tradeSide": f"{side}_single",
            "posMode": self.pos_mode.get(o.user, ONE_WAY),
            "cancelReason": meta.cancel_reason if meta and self._status(o) == "canceled" else "",
            "presetStopSurplusPrice": "",
            "presetStopLossPrice": "",
        }

    def _spot_fee_detail(self, o: SimOrder) -> dict[str, Any]:
        acct = self.exchange.account(o.user)
        fills = [f for f in (acct.fills if acct else []) if f.oid == o.oid]
        if not fills:
            return {}
        coin = fills[-1].fee_token
        total = sum((f.fee for f in fills), ZERO)
        return {"newFees": {"c": 0, "d": 0, "deduction": False, "r": p.num(-total), "t": p.num(-total), "totalDeductionFee": 0},
                coin: {"deduction": False, "feeCoinCode": coin, "totalDeductionFee": 0, "totalFee": p.num(-total)}}  # fmt: skip

    def _fill(self, f: Fill) -> dict[str, Any]:
        m = self.u.markets[f.market]
        side = "buy" if f.side is Side.BUY else "sell"
        meta = self.meta.get(f.oid)
        fee = {"feeCoin": f.fee_token, "deduction": "no", "totalDeductionFee": "0", "totalFee": p.num(-f.fee)}
        base = {
            "tradeId": str(f.tid),
            "symbol": m.symbol,
            "orderId": str(f.oid),
            "side": side,
            "orderType": meta.order_type if meta else "limit",
            "tradeScope": "taker" if f.crossed else "maker",
            "feeDetail": [fee] if not m.is_spot else fee,
            "cTime": str(f.time),
            "uTime": str(f.time),
        }
        if m.is_spot:
            return base | {"priceAvg": m.px(f.price), "size": m.sz(f.size), "amount": p.num(f.price * f.size)}
        closing = f.start_position != 0 and (f.start_position > 0) != (f.side is Side.BUY)
        return base | {
            "price": m.px(f.price),
            "baseVolume": m.sz(f.size),
            "quoteVolume": p.num(f.price * f.size),
            "profit": p.num(f.closed_pnl),
            "enterPointSource": "API",
            "tradeSide": ("reduce_" if closing else "") + f"{side}_single",
            "posMode": self.pos_mode.get(f.user, ONE_WAY),
        }

    def _position(self, user: str, m: BgMarket) -> dict[str, Any] | None:
        acct = self.exchange.account(user)
        pos = acct.positions.get(m.key) if acct else None
        if acct is None or pos is None:
            return None
        st = self.exchange.market(m.key)
        size = abs(pos.szi)
        lev = acct.lev(m.spec)
        upl = pos.szi * (st.mark - pos.entry_px) if pos.szi else ZERO
        return {
            "symbol": m.symbol,
            "marginCoin": "USDT",
            "holdSide": "long" if pos.szi >= 0 else "short",
            "openDelegateSize": "0",
            "marginSize": p.num((size * st.mark / lev).quantize(Decimal("0.00000001"))),
            "available": m.sz(size),
            "locked": "0",
            "total": m.sz(size),
            "leverage": str(lev),
            "achievedProfits": "0",
            "openPriceAvg": m.px(pos.entry_px) if pos.szi else "0",
            "marginMode": "crossed",
            "posMode": self.pos_mode.get(user, ONE_WAY),
            "unrealizedPL": p.num(upl.quantize(Decimal("0.00000001"))),
            "liquidationPrice": "0",
            "keepMarginRate": "0.004",
            "markPrice": m.px(st.mark),
            "marginRatio": "0",
            "breakEvenPrice": m.px(pos.entry_px) if pos.szi else "0",
            "totalFee": p.num(-pos.cum_funding_open) if pos.cum_funding_open else "",
            "deductedFee": "0",
            "assetMode": "single",
            "cTime": str(now_ms()),
            "uTime": str(now_ms()),
        }

    def _open_positions(self, user: str) -> list[dict[str, Any]]:
        out = []
        for m in self.u.perps():
            row = self._position(user, m)
            if row is not None and Decimal(row["total"]) != 0:
                out.append(row)
        return out

    def _futures_account(self, user: str) -> dict[str, Any]:
        view = self.exchange.margin(user, PERP_GROUP)
        equity = view.account_value
        upl = equity - view.collateral
        available = view.withdrawable
        return {
            "marginCoin": "USDT",
            "locked": "0",
            "available": p.num(view.collateral.quantize(Decimal("0.00000001"))),
            "crossedMaxAvailable": p.num(available.quantize(Decimal("0.00000001"))),
            "isolatedMaxAvailable": p.num(available.quantize(Decimal("0.00000001"))),
            "maxTransferOut": p.num(available.quantize(Decimal("0.00000001"))),
            "accountEquity": p.num(equity.quantize(Decimal("0.00000001"))),
            "usdtEquity": p.num(equity.quantize(Decimal("0.00000001"))),
            "btcEquity": "0",
            "crossedRiskRate": "0",
            "unrealizedPL": p.num(upl.quantize(Decimal("0.00000001"))),
            "coupon": "0",
            "crossedUnrealizedPL": p.num(upl.quantize(Decimal("0.00000001"))),
            "isolatedUnrealizedPL": "0",
            "marginMode": "crossed",
            "posMode": self.pos_mode.get(user, ONE_WAY),
            "assetMode": "single",
        }

    def _spot_assets(self, user: str) -> list[dict[str, Any]]:
        acct = self.exchange.account(user)
        hold = self.exchange.spot_hold(user)
        out = []
        for coin, total in sorted((acct.spot if acct else {}).items()):
            frozen = hold.get(coin, ZERO)
            out.append(
                {
                    "coin": coin,
                    "available": p.num(total - frozen),
                    "frozen": p.num(frozen),
                    "locked": "0",
                    "limitAvailable": "0",
                    "uTime": str(now_ms()),
                }
            )
        return out

    def _reject_code(self, reject: Reject | None) -> tuple[str, str]:
        if reject is Reject.INSUFFICIENT_MARGIN:
            return ("40762", "The order amount exceeds the balance")
        if reject is Reject.INSUFFICIENT_SPOT_BALANCE:
            return p.SPOT_INSUFFICIENT
        if reject is Reject.REDUCE_ONLY_WOULD_INCREASE:
            return p.POSITION_NOT_ENOUGH
        return ("45001", self.sim.faults.matching.reject_reason)
