"""Shared pieces of the Bitget front: the reply envelope, the venue's error codes and texts, and
parameter parsing.

Every reply is `{"code": "00000", "msg": "success", "requestTime": <ms>, "data": ...}`; an error is
HTTP 400 with `{"code": "<5 digits>", "msg": "...", "requestTime", "data": null}` (Bitget's REST
error table lists HTTP 400 for all of them). Texts are the table's; where the venue's text has a
placeholder the front fills it in.
"""

from __future__ import annotations

import json
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from aiohttp import web

from venuesim.core.model import now_ms

# (code, message) as in Bitget's REST error table
ACCESS_KEY_EMPTY = ("40001", "ACCESS_KEY cannot be empty")
ACCESS_SIGN_EMPTY = ("40002", "ACCESS_SIGN cannot be empty")
TIMESTAMP_INVALID = ("40005", "Invalid ACCESS_TIMESTAMP")
INVALID_KEY = ("40006", "Invalid ACCESS_KEY")
TIMESTAMP_EXPIRED = ("40008", "Request timestamp expired")
SIGN_ERROR = ("40009", "sign signature error")
PASSPHRASE_EMPTY = ("40011", "ACCESS_PASSPHRASE cannot be empty")
PASSPHRASE_WRONG = ("40012", "apikey/password is incorrect")
PARAM_ERROR = "40017"  # "Parameter verification failed {0}"
PARAM_EMPTY = "40019"  # "Parameter {0} cannot be empty"
PARAM_BAD = "40020"  # "Parameter {0} error"
ENVIRONMENT = ("40099", "exchange environment is incorrect")  # demo key without paptrading (text unconfirmed)
SYMBOL_MISSING = ("40034", "Parameter symbol does not exist")
CLIENT_OID_TOO_LONG = ("40304", "clientOid or clientOrderId length cannot greater than 50")
BATCH_TOO_LARGE = ("40306", "Batch processing orders can only process up to 50")
ORDER_NOT_FOUND = ("40768", "Order does not exist")
INSUFFICIENT_BALANCE = ("40754", "balance not enough")
POSITION_NOT_ENOUGH = ("40757", "Not enough position is available.")
DUPLICATE_CLIENT_OID = ("40786", "Duplicate clientOid")
SIZE_SCALE = "40808"  # "Parameter verification exception {0}"
POS_MODE_BUSY = ("40920", "Position or order exists, the position mode cannot be switched")
MODIFY_ONLY_NEW = ("40922", "Only work order modifications are allowed")
MODIFY_BOTH = ("40925", "price or size must be passed in together")
PRICE_SCALE = "41103"  # "param {0} error"
NO_ORDER_TO_CANCEL = ("43004", "There is no order to cancel")
SPOT_INSUFFICIENT = ("43012", "Insufficient balance")
MIN_NOTIONAL = "45110"  # "less than the minimum amount {0} USDT"
MIN_QTY = ("45111", "less than the minimum order quantity")
PRICE_STEP = "45115"  # "The price you enter should be a multiple of {0}"
TRADE_PAUSED = ("40308", "The contract is being temporarily maintained")


class BgError(Exception):
    """A venue error reply: HTTP 400 (unless `status`) with the venue's code and text."""

    def __init__(self, code: str, msg: str, status: int = 400) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    @classmethod
    def of(cls, pair: tuple[str, str]) -> BgError:
        return cls(pair[0], pair[1])


def envelope(data: Any) -> dict[str, Any]:
    return {"code": "00000", "msg": "success", "requestTime": now_ms(), "data": data}


def ok(data: Any) -> web.Response:
    return web.Response(
        text=json.dumps(envelope(data), separators=(",", ":")), content_type="application/json"
    )


def error_response(e: BgError) -> web.Response:
    body = {"code": e.code, "msg": e.msg, "requestTime": now_ms(), "data": None}
    return web.Response(
        status=e.status, text=json.dumps(body, separators=(",", ":")), content_type="application/json"
    )


def require(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise BgError(PARAM_EMPTY, f"Parameter {name} cannot be empty")
    return str(value)


def decimal_param(params: dict[str, Any], name: str, required: bool = True) -> Decimal | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise BgError(PARAM_EMPTY, f"Parameter {name} cannot be empty")
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise BgError(PARAM_BAD, f"Parameter {name} error") from None
    if not d.is_finite():
        raise BgError(PARAM_BAD, f"Parameter {name} error")
    return d


def int_param(params: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(str(value))
    except ValueError:
        raise BgError(PARAM_BAD, f"Parameter {name} error") from None


def num(value: Decimal | int | float | None) -> str:
    """A plain decimal string without exponent or trailing zeros ("0" for zero)."""
    if value is None:
        return ""
    d = Decimal(value)
    if d == 0:
        return "0"
    text = f"{d.normalize():f}"
    return text
