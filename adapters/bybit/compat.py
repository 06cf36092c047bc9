"""Venue replies that Nautilus 1.221's built-in Bybit schemas refuse, made acceptable before they
reach them.

The built-in decodes every reply into strict msgspec structs written against older API docs. Real
replies we hold (`shared/data/nautilus_trader/bybit`) differ in ways that would make whole requests
fail - one instrument without `maxMktOrderQty` loses every linear instrument, one order with
`orderIv: null` loses the order list (reconciliation), a wallet coin without `totalOrderIM` loses
the account state at connect:

    instruments-info (linear, inverse)   lotSizeFilter without maxMktOrderQty / minNotionalValue /
                                         postOnlyMaxOrderQty
    order/realtime, order/history        null in string fields (orderIv, triggerPrice, ...)
    account/wallet-balance, `wallet`     coins without totalOrderIM, usdValue, bonus, ...;
                                         `totalPerpUpl` spelled with a lower-case l
    market/recent-trade                  no retExtInfo

`normalize_rest` / `normalize_wallet_message` fill what is missing with the value the venue means
by leaving it out (the order limit for a missing market-order limit, "0" for an absent amount, ""
for a null string) and leave everything else byte-for-byte alone (replies that need nothing are
not re-encoded).
"""

from __future__ import annotations

from typing import Any

import msgspec

ORDER_OPTIONAL = {"avgPrice", "blockTradeId", "tpslMode"}  # the built-in accepts null for these
COIN_AMOUNTS = (
    "equity", "usdValue", "walletBalance", "borrowAmount", "availableToWithdraw", "accruedInterest",
    "totalOrderIM", "totalPositionIM", "totalPositionMM", "unrealisedPnl", "cumRealisedPnl", "bonus",
    "locked", "spotHedgingQty",
)  # fmt: skip
ACCOUNT_AMOUNTS = (
    "totalEquity", "accountIMRate", "totalMarginBalance", "totalInitialMargin", "totalAvailableBalance",
    "accountMMRate", "totalPerpUPL", "totalWalletBalance", "accountLTV", "totalMaintenanceMargin",
)  # fmt: skip

_decode = msgspec.json.Decoder()
_encode = msgspec.json.Encoder()


def _fill_lot_filter(item: dict[str, Any]) -> bool:
    lot = item.get("lotSizeFilter")
    if not isinstance(lot, dict):
        return False
    changed = False
    max_qty = lot.get("maxOrderQty", "0")
    for key, default in (
        ("maxMktOrderQty", max_qty),
        ("postOnlyMaxOrderQty", max_qty),
        ("minNotionalValue", "0"),
    ):
        if key not in lot:
            lot[key] = default
            changed = True
    return changed


def _fill_order(item: dict[str, Any]) -> bool:
    changed = False
    for key, value in item.items():
        if value is None and key not in ORDER_OPTIONAL:
            item[key] = ""
            changed = True
    return changed


def _fill_wallet(account: dict[str, Any]) -> bool:
    changed = False
    if "totalPerpUPL" not in account and "totalPerpUpl" in account:
        account["totalPerpUPL"] = account["totalPerpUpl"]
        changed = True
    if "accountType" not in account:
        account["accountType"] = "UNIFIED"
        changed = True
    for key in ACCOUNT_AMOUNTS:
        if account.get(key) is None:
            account[key] = "0"
            changed = True
    for coin in account.get("coin") or []:
        for key in COIN_AMOUNTS:
            if coin.get(key) is None:
                coin[key] = "0"
                changed = True
        if coin.get("availableToBorrow") is None:
            coin["availableToBorrow"] = ""
            changed = True
        for key in ("collateralSwitch", "marginCollateral"):
            if coin.get(key) is None:
                coin[key] = True
                changed = True
    return changed


def normalize_rest(path: str, raw: bytes) -> bytes:
    """The reply to `path` in the shape the built-in schemas accept."""
    if not (
        path.endswith(("/market/instruments-info", "/order/realtime", "/order/history"))
        or path.endswith(("/account/wallet-balance", "/market/recent-trade"))
    ):
        return raw
    doc = _decode.decode(raw)
    result = doc.get("result") if isinstance(doc, dict) else None
    if not isinstance(result, dict):
        return raw
    items = result.get("list") or []
    changed = False
    if path.endswith("/market/instruments-info"):
        for item in items:
            if "contractType" in item:  # linear and inverse; spot and option have other filters
                changed |= _fill_lot_filter(item)
    elif path.endswith(("/order/realtime", "/order/history")):
        for item in items:
            changed |= _fill_order(item)
    elif path.endswith("/account/wallet-balance"):
        for account in items:
            changed |= _fill_wallet(account)
    elif "retExtInfo" not in doc:
        doc["retExtInfo"] = {}
        changed = True
    return _encode.encode(doc) if changed else raw


def normalize_wallet_message(raw: bytes) -> bytes:
    """A private `wallet` push in the shape the built-in's stream schema accepts."""
    doc = _decode.decode(raw)
    changed = False
    for account in doc.get("data") or []:
        changed |= _fill_wallet(account)
    return _encode.encode(doc) if changed else raw
