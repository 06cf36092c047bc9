"""The venue-agnostic matching core (markets, price paths, books, accounts, funding)."""

from venuesim.core.exchange import MatchingFaults
from venuesim.core.exchange import SimExchange
from venuesim.core.model import MarketSpec
from venuesim.core.pricepath import PricePath
from venuesim.core.pricepath import ReplayPath

__all__ = ["MarketSpec", "MatchingFaults", "PricePath", "ReplayPath", "SimExchange"]
