"""Instrument-id conventions (agree with `catalog/registry.toml`):

    main-dex perp        BTC            -> BTC-USD-PERP.HYPERLIQUID
    HIP-3 builder perp   xyz:NVDA       -> xyz:NVDA-USD-PERP.HYPERLIQUID   (raw symbol xyz:NVDA)
    spot pair            @107 (HYPE/USDC) -> HYPE-USDC-SPOT.HYPERLIQUID    (raw symbol @107)
                         PURR/USDC      -> PURR-USDC-SPOT.HYPERLIQUID      (raw symbol PURR/USDC)

Perps say "USD" in the id whatever the dex's collateral token (the instrument's quote/settlement
currency carries the real token, USDC on the main dex). Spot ids use token names, so they are the
same on mainnet, testnet and the simulator although `@index` differs between networks.
"""

from __future__ import annotations

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol

from adapters.hyperliquid.constants import HYPERLIQUID_VENUE

PERP_SUFFIX = "-USD-PERP"
SPOT_SUFFIX = "-SPOT"


def perp_instrument_id(coin: str) -> InstrumentId:
    return InstrumentId(Symbol(f"{coin}{PERP_SUFFIX}"), HYPERLIQUID_VENUE)


def spot_instrument_id(base: str, quote: str) -> InstrumentId:
    return InstrumentId(Symbol(f"{base}-{quote}{SPOT_SUFFIX}"), HYPERLIQUID_VENUE)


def perp_coin(instrument_id: InstrumentId) -> str | None:
    """The venue coin of a perp instrument id, None if the id is not a Hyperliquid perp."""
    s = instrument_id.symbol.value
    if instrument_id.venue != HYPERLIQUID_VENUE or not s.endswith(PERP_SUFFIX):
        return None
    return s[: -len(PERP_SUFFIX)]


def dex_of(coin: str) -> str:
    """The perp dex of a coin: "" for the main dex, "xyz" for "xyz:NVDA"."""
    return coin.split(":", 1)[0] if ":" in coin else ""
