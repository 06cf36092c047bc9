"""Nautilus order -> Bitget order request, with the venue's rules applied before sending.

Futures (`/api/v2/mix/order/place-order`, one-way position mode):
- `side` buy/sell, `reduceOnly` YES/NO (`tradeSide` is ignored in one-way mode), `marginMode`,
  `marginCoin` USDT, `size` in base coin on the contract's lot (sizeMultiplier).
- LIMIT -> `orderType: limit` with `force` gtc / ioc / fok, or post_only (post-only GTC); MARKET ->
  `orderType: market`. GTD / DAY and other TIFs are refused (the venue has none).
- price rounded to the tick (priceEndStep x 10^-pricePlace) on the passive side (buys down, sells
  up), so rounding never makes an order more aggressive.
- size below minTradeNum or off the lot, and notional below minTradeUSDT (except reduce-only), are
  refused locally naming the field.
Spot (`/api/v2/spot/trade/place-order`): same, except a MARKET order becomes an IOC limit
`slippage_bps` through the last quote (a spot market buy is sized in quote coin on Bitget, which
cannot express "buy this base quantity").

`clientOid`: the ClientOrderId itself when it is short and plain enough (stable across restarts,
readable on the venue), else `h` + 32 hex of its blake2b digest; a modified order (the venue
replaces it with a new order that needs a new client id) gets `<clientOid>_r<n>`.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.enums import time_in_force_to_str
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order

from adapters.bitget.constants import CLIENT_OID_MAX_LEN
from adapters.bitget.constants import MARGIN_COIN
from adapters.bitget.constants import USDT_FUTURES
from adapters.bitget.markets import BitgetMarket

_PLAIN = re.compile(r"^[A-Za-z0-9\-]+$")
_REVISION = re.compile(r"^(.+)_r(\d+)$")
REVISION_ROOM = 6  # "_r" + up to 4 digits


class OrderBuildError(ValueError):
    """An order the venue would refuse, caught before sending (the message names the field)."""


def client_oid(coid: ClientOrderId, revision: int = 0) -> str:
    text = coid.value
    if not (_PLAIN.match(text) and len(text) <= CLIENT_OID_MAX_LEN - REVISION_ROOM):
        text = "h" + hashlib.blake2b(coid.value.encode(), digest_size=16).hexdigest()
    return f"{text}_r{revision}" if revision else text


def base_client_oid(oid: str) -> tuple[str, int]:
    """(the original clientOid, revision) of a venue clientOid."""
    m = _REVISION.match(oid)
    return (m.group(1), int(m.group(2))) if m else (oid, 0)


def to_wire(value: Decimal, decimals: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-decimals)):f}"


def force(order: Order) -> str:
    if order.is_post_only:
        if order.time_in_force != TimeInForce.GTC:
            raise OrderBuildError("post-only orders must be GTC on Bitget")
        return "post_only"
    tif = order.time_in_force
    if tif == TimeInForce.GTC:
        return "gtc"
    if tif == TimeInForce.IOC:
        return "ioc"
    if tif == TimeInForce.FOK:
        return "fok"
    raise OrderBuildError(
        f"time_in_force {time_in_force_to_str(tif)} is not supported by Bitget (GTC, IOC, FOK, post-only GTC)"
    )


def check_size(size: Decimal, m: BitgetMarket) -> None:
    if not m.is_on_lot(size):
        raise OrderBuildError(f"quantity {size} is not a multiple of the lot {m.lot} of {m.symbol}")
    if size < m.min_qty:
        raise OrderBuildError(f"quantity {size} is below the minimum {m.min_qty} of {m.symbol}")


def limit_price(order: Order, m: BitgetMarket, price: Price | None = None) -> Decimal:
    px = (price or order.price).as_decimal()
    return m.round_price(px, "down" if order.side == OrderSide.BUY else "up")


def order_body(
    order: Order,
    m: BitgetMarket,
    *,
    margin_mode: str = "crossed",
    quote: QuoteTick | None = None,
    slippage_bps: int = 50,
    revision: int = 0,
) -> dict[str, Any]:
    """The place-order request body (futures or spot) for `order`."""
    if not m.tradable:
        raise OrderBuildError(f"{m.symbol} is not trading (status {m.status})")
    size = order.quantity.as_decimal()
    check_size(size, m)
    side = "buy" if order.side == OrderSide.BUY else "sell"
    body: dict[str, Any] = {"symbol": m.symbol}
    px: Decimal | None = None
    if order.order_type == OrderType.LIMIT:
        px = limit_price(order, m)
        body.update(
            {
                "side": side,
                "orderType": "limit",
                "force": force(order),
                "price": to_wire(px, m.price_precision),
            }
        )
    elif order.order_type == OrderType.MARKET:
        if m.is_spot:
            if quote is None:
                raise OrderBuildError(
                    f"MARKET order on {order.instrument_id} needs a quote (subscribe to quotes first): "
                    "spot market orders are sent as IOC limits around the quote"
                )
            slip = Decimal(slippage_bps) / 10_000
            if order.side == OrderSide.BUY:
                px = m.round_price(quote.ask_price.as_decimal() * (1 + slip), "up")
            else:
                px = m.round_price(quote.bid_price.as_decimal() * (1 - slip), "down")
            body.update(
                {"side": side, "orderType": "limit", "force": "ioc", "price": to_wire(px, m.price_precision)}
            )
        else:
            body.update({"side": side, "orderType": "market"})
            if quote is not None:
                px = (
                    quote.ask_price.as_decimal()
                    if order.side == OrderSide.BUY
                    else quote.bid_price.as_decimal()
                )
    else:
        raise OrderBuildError(f"order type {order.order_type.name} is not supported (LIMIT, MARKET)")
    if px is not None and px * size < m.min_notional and not order.is_reduce_only:
        raise OrderBuildError(
            f"notional {px * size} is below the venue minimum of {m.min_notional} {m.quote}"
        )
    body["size"] = to_wire(size, m.size_precision)
    body["clientOid"] = client_oid(order.client_order_id, revision)
    if m.is_spot:
        if order.is_reduce_only:
            raise OrderBuildError("reduce-only orders are not supported on spot markets")
        return body
    body.update(
        {
            "productType": USDT_FUTURES,
            "marginMode": margin_mode,
            "marginCoin": MARGIN_COIN,
            "reduceOnly": "YES" if order.is_reduce_only else "NO",
        }
    )
    return body


def modify_body(
    order: Order, m: BitgetMarket, venue_order_id: str | None, current_oid: str, new_oid: str,
    quantity: Quantity | None, price: Price | None,
) -> dict[str, Any]:  # fmt: skip
    """`modify-order` body: price and size are always both sent (the venue requires both when
    either changes; the order is replaced by a new one under `newClientOid`)."""
    if order.order_type != OrderType.LIMIT:
        raise OrderBuildError("only LIMIT orders can be modified on Bitget")
    if m.is_spot:
        raise OrderBuildError("spot orders cannot be modified on Bitget (cancel and place a new one)")
    size = (quantity or order.quantity).as_decimal()
    check_size(size, m)
    px = limit_price(order, m, price)
    body: dict[str, Any] = {
        "symbol": m.symbol,
        "productType": USDT_FUTURES,
        "marginCoin": MARGIN_COIN,
        "newClientOid": new_oid,
        "newSize": to_wire(size, m.size_precision),
        "newPrice": to_wire(px, m.price_precision),
    }
    if venue_order_id:
        body["orderId"] = venue_order_id
    else:
        body["clientOid"] = current_oid
    return body
