"""Nautilus order -> Hyperliquid order wire, with the venue's rules applied before signing.

- time in force: GTC -> "Gtc", IOC -> "Ioc", post-only GTC -> "Alo" (FOK, GTD, DAY: refused -
  the venue has none of them). MARKET -> an "Ioc" limit `slippage_bps` through the last quote
  (the venue has no market orders; the official SDK does the same with 5 %).
- price: rounded to the tick rule on the passive side (buys down, sells up) so rounding never
  makes an order more aggressive; sizes must already be on the lot (`szDecimals`).
- minimum notional ($10 / 10 quote units) checked locally, except for reduce-only orders.
- `cloid`: 16 bytes derived from the ClientOrderId, stable across restarts: the idempotency handle.
The wire dict's key order is part of the signature (msgpack of exactly this dict is hashed).
"""

from __future__ import annotations

import hashlib
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

from adapters.hyperliquid.assets import HlAsset
from adapters.hyperliquid.constants import MIN_ORDER_NOTIONAL
from adapters.hyperliquid.pricing import PriceRuleError
from adapters.hyperliquid.pricing import to_wire


class OrderBuildError(ValueError):
    """An order the venue would refuse, caught before signing (message names the field)."""


def cloid_for(client_order_id: ClientOrderId) -> str:
    """The venue client order id: 16 bytes derived from the Nautilus id (stable across restarts)."""
    return "0x" + hashlib.blake2b(client_order_id.value.encode(), digest_size=16).hexdigest()


def venue_tif(order: Order) -> str:
    if order.order_type == OrderType.MARKET:
        return "Ioc"
    if order.is_post_only:
        if order.time_in_force != TimeInForce.GTC:
            raise OrderBuildError("post-only orders must be GTC on Hyperliquid")
        return "Alo"
    tif = order.time_in_force
    if tif == TimeInForce.GTC:
        return "Gtc"
    if tif == TimeInForce.IOC:
        return "Ioc"
    raise OrderBuildError(
        f"time_in_force {time_in_force_to_str(tif)} is not supported by Hyperliquid (GTC, IOC, post-only GTC)"
    )


def limit_price(
    order: Order, asset: HlAsset, quote: QuoteTick | None, slippage_bps: int, price: Price | None = None
) -> Decimal:
    rule = asset.rule
    try:
        if order.order_type == OrderType.LIMIT:
            px = (price or order.price).as_decimal()
            return rule.round_price(px, "down" if order.side == OrderSide.BUY else "up")
        if order.order_type == OrderType.MARKET:
            if quote is None:
                raise OrderBuildError(
                    f"MARKET order on {order.instrument_id} needs a quote (subscribe to quotes first): "
                    "Hyperliquid has no market orders, they are IOC limits around the quote"
                )
            slip = Decimal(slippage_bps) / 10_000
            if order.side == OrderSide.BUY:
                return rule.round_price(quote.ask_price.as_decimal() * (1 + slip), "up")
            return rule.round_price(quote.bid_price.as_decimal() * (1 - slip), "down")
    except PriceRuleError as e:
        raise OrderBuildError(f"price: {e}") from None
    raise OrderBuildError(f"order type {order.order_type.name} is not supported (LIMIT, MARKET)")


def order_wire(
    order: Order,
    asset: HlAsset,
    *,
    quote: QuoteTick | None = None,
    slippage_bps: int = 50,
    quantity: Quantity | None = None,
    price: Price | None = None,
) -> dict[str, Any]:
    tif = venue_tif(order)
    sz = (quantity or order.quantity).as_decimal()
    if not asset.rule.is_valid_size(sz):
        raise OrderBuildError(
            f"quantity {sz} breaks the lot rule of {asset.coin} (at most {asset.sz_decimals} decimals)"
        )
    px = limit_price(order, asset, quote, slippage_bps, price)
    if px * sz < MIN_ORDER_NOTIONAL and not order.is_reduce_only:
        raise OrderBuildError(
            f"notional {px * sz} is below the venue minimum of {MIN_ORDER_NOTIONAL} {asset.quote}"
        )
    return {
        "a": asset.asset,
        "b": order.side == OrderSide.BUY,
        "p": to_wire(px),
        "s": to_wire(sz),
        "r": order.is_reduce_only,
        "t": {"limit": {"tif": tif}},
        "c": cloid_for(order.client_order_id),
    }
