"""Hyperliquid wire shapes produced by the simulator (field names and order as the venue sends
them), and the venue's words for the core's rejections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from venuesim.core.model import Fill
from venuesim.core.model import OrderStatus
from venuesim.core.model import Reject
from venuesim.core.model import SimOrder
from venuesim.core.model import Tif
from venuesim.fronts.hyperliquid.universe import HlMarket

# orderStatus / historicalOrders status strings for rejections
REJECT_STATUS = {
    Reject.IOC_NO_MATCH: "iocCancelRejected",
    Reject.POST_ONLY_WOULD_CROSS: "badAloPxRejected",
    Reject.INSUFFICIENT_MARGIN: "perpMarginRejected",
    Reject.INSUFFICIENT_SPOT_BALANCE: "insufficientSpotBalanceRejected",
    Reject.REDUCE_ONLY_WOULD_INCREASE: "reduceOnlyRejected",
    Reject.INJECTED: "rejected",
}


def num(x: Decimal | int | float) -> str:
    """Decimal string as the venue prints it: no exponent, trailing zeros dropped, `1.0` for 1."""
    d = Decimal(x)
    if d == d.to_integral_value():
        return f"{d.quantize(Decimal(1)):f}.0"
    return f"{d.normalize():f}"


def reject_message(reason: Reject, asset: int, extra: str = "") -> str:
    if reason is Reject.IOC_NO_MATCH:
        return f"Order could not immediately match against any resting orders. asset={asset}"
    if reason is Reject.POST_ONLY_WOULD_CROSS:
        return f"Post only order would have immediately matched, bbo was {extra}. asset={asset}"
    if reason is Reject.INSUFFICIENT_MARGIN:
        return f"Insufficient margin to place order. asset={asset}"
    if reason is Reject.INSUFFICIENT_SPOT_BALANCE:
        return f"Insufficient spot balance asset={asset}"
    if reason is Reject.REDUCE_ONLY_WOULD_INCREASE:
        return f"Reduce only order would increase position. asset={asset}"
    return extra or "Order rejected"


def level(px: Decimal, sz: Decimal, n: int) -> dict[str, Any]:
    return {"px": num(px), "sz": num(sz), "n": n}


def open_order(o: SimOrder, m: HlMarket) -> dict[str, Any]:
    out: dict[str, Any] = {
        "coin": m.coin,
        "side": o.side.value,
        "limitPx": num(o.price),
        "sz": num(o.size),
        "oid": o.oid,
        "timestamp": o.timestamp,
        "origSz": num(o.orig_size),
    }
    if o.cloid:
        out["cloid"] = o.cloid
    if o.reduce_only:
        out["reduceOnly"] = True
    return out


def frontend_order(o: SimOrder, m: HlMarket) -> dict[str, Any]:
    return {
        "coin": m.coin,
        "side": o.side.value,
        "limitPx": num(o.price),
        "sz": num(o.size),
        "oid": o.oid,
        "timestamp": o.timestamp,
        "triggerCondition": "N/A",
        "isTrigger": False,
        "triggerPx": "0.0",
        "children": [],
        "isPositionTpsl": False,
        "reduceOnly": o.reduce_only,
        "orderType": "Limit",
        "origSz": num(o.orig_size),
        "tif": o.tif.value if o.tif is not Tif.IOC else "Ioc",
        "cloid": o.cloid,
    }


def order_status_string(o: SimOrder) -> str:
    if o.status is OrderStatus.REJECTED:
        return REJECT_STATUS.get(o.reject, "rejected") if o.reject else "rejected"
    return o.status.value


def order_update(o: SimOrder, m: HlMarket) -> dict[str, Any]:
    return {
        "order": open_order(o, m),
        "status": order_status_string(o),
        "statusTimestamp": o.status_timestamp,
    }


def fill(f: Fill, m: HlMarket) -> dict[str, Any]:
    out: dict[str, Any] = {
        "coin": m.coin,
        "px": num(f.price),
        "sz": num(f.size),
        "side": f.side.value,
        "time": f.time,
        "startPosition": num(f.start_position),
        "dir": f.direction,
        "closedPnl": num(f.closed_pnl),
        "hash": f.hash,
        "oid": f.oid,
        "crossed": f.crossed,
        "fee": num(f.fee),
        "tid": f.tid,
        "feeToken": f.fee_token,
        "twapId": None,
    }
    if f.cloid:
        out["cloid"] = f.cloid
    return out
