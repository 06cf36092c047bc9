"""Shared pieces of the Hyperliquid front: the venue's 422 error, wire limits, and the state every
part of the front (info, exchange, stream) works on."""

from __future__ import annotations

import json
import re
from decimal import ROUND_FLOOR
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from aiohttp import web

from venuesim.fronts.base import Front
from venuesim.fronts.hyperliquid.auth import Authenticator
from venuesim.fronts.hyperliquid.universe import Universe

DESERIALIZE_ERROR = "Failed to deserialize the JSON body into the target type"
CLOID = re.compile(r"^0x[0-9a-fA-F]{32}$")
INTERVAL_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000,
    "2h": 7_200_000, "4h": 14_400_000, "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000,
    "3d": 259_200_000, "1w": 604_800_000, "1M": 2_592_000_000,
}  # fmt: skip
CANCEL_MISSING = "Order was never placed, already canceled, or filled. asset={asset}"


class BadRequest(Exception):
    """The body does not deserialize: the venue answers 422 with a plain-text message."""


def parse_decimal(value: Any, what: str) -> Decimal:
    if not isinstance(value, str):
        raise BadRequest(f"{what}: expected a decimal string, got {type(value).__name__}")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise BadRequest(f"{what}: invalid decimal {value!r}") from None
    if not d.is_finite():
        raise BadRequest(f"{what}: invalid decimal {value!r}")
    return d


def price_ok(px: Decimal, max_decimals: int) -> bool:
    """5 significant figures and at most `max_decimals` decimals; integers always allowed."""
    if px <= 0:
        return False
    if px == px.to_integral_value():
        return True
    t = px.normalize().as_tuple()
    decimals = -int(t.exponent)
    sig = len(t.digits)
    return decimals <= max_decimals and sig <= 5


def size_ok(sz: Decimal, sz_decimals: int) -> bool:
    return sz > 0 and sz == sz.quantize(Decimal(1).scaleb(-sz_decimals), rounding=ROUND_FLOOR)


class FrontState(Front):
    """Attributes and helpers the info, exchange and stream parts share (set up by HyperliquidFront)."""

    u: Universe
    auth: Authenticator
    default_collateral: Decimal

    async def _read_json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.text())
        except json.JSONDecodeError as e:
            raise BadRequest(f"{DESERIALIZE_ERROR}: {e}") from None
        if not isinstance(body, dict):
            raise BadRequest(f"{DESERIALIZE_ERROR}: expected a JSON object")
        return body
