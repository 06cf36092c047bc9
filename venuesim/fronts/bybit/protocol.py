"""Bybit v5 wire conventions shared by every part of the front: the response envelope, error codes
and texts, number formatting and parameter parsing.

Every REST reply is HTTP 200 with `{"retCode", "retMsg", "result", "retExtInfo", "time"}`; an error
is a non-zero `retCode` (docs "Error Code"). Texts marked "wording unconfirmed" follow the docs'
description of the code, not a captured reply.
"""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from aiohttp import web

from venuesim.core.model import now_ms

# -- error codes (docs/v5/error.mdx) ------------------------------------------------------------------
PARAM_ERROR = 10001
TIMESTAMP_ERROR = 10002
INVALID_KEY = 10003
SIGN_ERROR = 10004
PERMISSION_DENIED = 10005
RATE_LIMIT = 10006
ORDER_NOT_EXISTS = 110001
INSUFFICIENT_AVAILABLE = 110007
ORDER_FINISHED = 110008
REDUCE_ONLY_RULE = 110017
QTY_NOT_ABOVE_FILLED = 110063
LEVERAGE_NOT_MODIFIED = 110043
POSITION_MODE_NOT_MODIFIED = 110025
DUPLICATE_LINK_ID = 110072
BELOW_MIN_NOTIONAL = 110094
SPOT_INSUFFICIENT_BALANCE = 170131
SPOT_QTY_TOO_SMALL = 170136
SPOT_QTY_DECIMALS = 170137
SPOT_ORDER_NOT_EXISTS = 170213

MSG = {
    PARAM_ERROR: "params error: {detail}",
    TIMESTAMP_ERROR: (
        "invalid request, please check your server timestamp or recv_window param. "
        "req_timestamp[{ts}],server_timestamp[{now}],recv_window[{recv}]"
    ),
    INVALID_KEY: "API key is invalid.",
    SIGN_ERROR: "error sign! origin_string[{origin}]",
    PERMISSION_DENIED: "Permission denied, please check your API key permissions.",
    RATE_LIMIT: "Too many visits!",
    ORDER_NOT_EXISTS: "order not exists or too late to cancel",
    INSUFFICIENT_AVAILABLE: "ab not enough for new order",
    ORDER_FINISHED: "The order has been filled or cancelled.",  # wording unconfirmed
    REDUCE_ONLY_RULE: "current position is zero, cannot fix reduce-only order qty",
    QTY_NOT_ABOVE_FILLED: "The number of contracts modified cannot be less than or equal to the filled quantity",
    LEVERAGE_NOT_MODIFIED: "leverage not modified",
    POSITION_MODE_NOT_MODIFIED: "Position mode is not modified",
    DUPLICATE_LINK_ID: "OrderLinkedID is duplicate",
    BELOW_MIN_NOTIONAL: "Order does not meet minimum order value {min} USDT",  # wording unconfirmed
    SPOT_INSUFFICIENT_BALANCE: "Insufficient balance.",
    SPOT_QTY_TOO_SMALL: "Order quantity is lower than the minimum.",  # wording unconfirmed
    SPOT_QTY_DECIMALS: "Order quantity has too many decimals.",
    SPOT_ORDER_NOT_EXISTS: "Order does not exist.",
}

# Order reject / cancel reasons as the venue reports them in `rejectReason`
EC_NO_ERROR = "EC_NoError"
EC_POST_ONLY = "EC_PostOnlyWillTakeLiquidity"
EC_NO_IMMEDIATE = "EC_NoImmediateQtyToFill"
EC_FOK_NOT_FILLED = "EC_FOKOrderNotFullyFilled"  # wording unconfirmed

CATEGORIES = ("spot", "linear", "inverse", "option")
KLINE_MS = {
    "1": 60_000, "3": 180_000, "5": 300_000, "15": 900_000, "30": 1_800_000, "60": 3_600_000,
    "120": 7_200_000, "240": 14_400_000, "360": 21_600_000, "720": 43_200_000, "D": 86_400_000,
    "W": 604_800_000, "M": 2_592_000_000,  # a month is bucketed by calendar (see history.bucket_start)
}  # fmt: skip


class BybitError(Exception):
    """A request the venue answers with a non-zero retCode."""

    def __init__(self, code: int, message: str | None = None, **fmt: Any) -> None:
        self.code = code
        self.message = message if message is not None else MSG.get(code, "error").format(**fmt)
        super().__init__(f"{code}: {self.message}")


def param_error(detail: str) -> BybitError:
    return BybitError(PARAM_ERROR, detail=detail)


def envelope(
    result: Any, code: int = 0, msg: str = "OK", ext: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": ext or {}, "time": now_ms()}


def reply(payload: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(payload, separators=(",", ":")), content_type="application/json", headers=headers
    )


def error_reply(e: BybitError, headers: dict[str, str] | None = None) -> web.Response:
    return reply(envelope({}, e.code, e.message), headers)


# -- numbers -------------------------------------------------------------------------------------------
def fmt(d: Decimal | int | None, places: int | None = None) -> str:
    """A venue number string: fixed point, `places` decimals when given, else no trailing zeros."""
    if d is None:
        return ""
    d = Decimal(d)
    if places is not None:
        return f"{d.quantize(Decimal(1).scaleb(-places)):f}"
    if d == d.to_integral_value():
        return f"{d.quantize(Decimal(1)):f}"
    return f"{d.normalize():f}"


def decimals_of(step: Decimal) -> int:
    return max(0, -int(step.normalize().as_tuple().exponent))


def parse_decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise param_error(f"{name} invalid")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise param_error(f"{name} invalid") from None
    if not d.is_finite():
        raise param_error(f"{name} invalid")
    return d


def parse_int(value: Any, name: str, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        raise param_error(f"{name} invalid") from None


def new_order_id() -> str:
    return str(uuid.uuid4())


def new_exec_id() -> str:
    return str(uuid.uuid4())


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        key, _, value = text.partition("=")
        if key != "offset":
            raise ValueError(text)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise param_error("cursor invalid") from None
