"""Instrument-id conventions (agree with `catalog/registry.toml`):

    USDT-M perpetual (incl. stock perps)   BTCUSDT / NVDAUSDT  -> BTCUSDT-PERP.BITGET / NVDAUSDT-PERP.BITGET
    spot pair                              BTCUSDT             -> BTCUSDT-SPOT.BITGET

The raw symbol is the venue symbol (`BTCUSDT`). The same symbol exists in spot and futures, so the
venue side is always keyed by (product type, symbol): `USDT-FUTURES` for perps (WebSocket instType
`USDT-FUTURES`) and `SPOT`.
"""

from __future__ import annotations

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol

from adapters.bitget.constants import BITGET_VENUE
from adapters.bitget.constants import SPOT
from adapters.bitget.constants import USDT_FUTURES

PERP_SUFFIX = "-PERP"
SPOT_SUFFIX = "-SPOT"


def perp_instrument_id(symbol: str) -> InstrumentId:
    return InstrumentId(Symbol(f"{symbol}{PERP_SUFFIX}"), BITGET_VENUE)


def spot_instrument_id(symbol: str) -> InstrumentId:
    return InstrumentId(Symbol(f"{symbol}{SPOT_SUFFIX}"), BITGET_VENUE)


def instrument_id(product_type: str, symbol: str) -> InstrumentId:
    if product_type.upper() == SPOT:
        return spot_instrument_id(symbol)
    return perp_instrument_id(symbol)


def venue_symbol(iid: InstrumentId) -> tuple[str, str] | None:
    """(product type, venue symbol) of a Bitget instrument id; None if it is not one."""
    if iid.venue != BITGET_VENUE:
        return None
    s = iid.symbol.value
    if s.endswith(PERP_SUFFIX):
        return USDT_FUTURES, s[: -len(PERP_SUFFIX)]
    if s.endswith(SPOT_SUFFIX):
        return SPOT, s[: -len(SPOT_SUFFIX)]
    return None
