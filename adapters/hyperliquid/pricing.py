"""Hyperliquid's price and size rules, applied when an order is built.

Size: at most `szDecimals` decimals. Price: at most 5 significant figures and at most
`MAX_DECIMALS - szDecimals` decimals (6 for perps, 8 for spot); an integer price is always valid.
The wire form of a number is its shortest decimal string without trailing zeros: the venue hashes
the action's msgpack bytes, so "65000.0" and "65000" sign differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import ROUND_HALF_EVEN
from decimal import Decimal

from adapters.hyperliquid.constants import PERP_MAX_DECIMALS
from adapters.hyperliquid.constants import PRICE_SIG_FIGS
from adapters.hyperliquid.constants import SPOT_MAX_DECIMALS


class PriceRuleError(ValueError):
    pass


def to_wire(value: Decimal) -> str:
    """Decimal -> venue string: no exponent, no trailing zeros, never "-0"."""
    d = Decimal(value)
    if d == 0:
        return "0"
    text = f"{d.normalize():f}"
    return text


@dataclass(frozen=True)
class PriceRule:
    sz_decimals: int
    is_spot: bool = False

    @property
    def max_decimals(self) -> int:
        return (SPOT_MAX_DECIMALS if self.is_spot else PERP_MAX_DECIMALS) - self.sz_decimals

    @property
    def lot(self) -> Decimal:
        return Decimal(1).scaleb(-self.sz_decimals)

    def is_valid_price(self, px: Decimal) -> bool:
        if not px.is_finite() or px <= 0:
            return False
        if px == px.to_integral_value():
            return True
        t = px.normalize().as_tuple()
        decimals = -t.exponent  # type: ignore[operator]
        return decimals <= self.max_decimals and len(t.digits) <= PRICE_SIG_FIGS

    def round_price(self, px: Decimal, mode: str = "nearest") -> Decimal:
        """The valid price nearest `px` ("nearest"), or the valid one at/below ("down") or at/above ("up")."""
        if not px.is_finite() or px <= 0:
            raise PriceRuleError(f"price must be positive, got {px}")
        rounding = {"nearest": ROUND_HALF_EVEN, "down": ROUND_FLOOR, "up": ROUND_CEILING}[mode]
        exp = max(px.adjusted() - PRICE_SIG_FIGS + 1, -self.max_decimals)
        if exp > 0:
            exp = 0  # integers are always allowed: never round 123456 to 123460
        out = px.quantize(Decimal(1).scaleb(exp), rounding=rounding)
        if out <= 0:
            raise PriceRuleError(
                f"price {px} rounds to {out}: below the smallest price with {self.max_decimals} decimals"
            )
        # Rounding up can add a digit (99999.5 -> 100000), which is still valid: integers always are.
        return out

    def is_valid_size(self, sz: Decimal) -> bool:
        return sz.is_finite() and sz > 0 and sz == sz.quantize(self.lot, rounding=ROUND_FLOOR)

    def round_size(self, sz: Decimal) -> Decimal:
        return sz.quantize(self.lot, rounding=ROUND_FLOOR)

    def check(self, px: Decimal, sz: Decimal) -> None:
        """Raise `PriceRuleError` naming the field if the order would break a rule."""
        if not self.is_valid_price(px):
            raise PriceRuleError(
                f"price {px} breaks the tick rule (5 significant figures and at most "
                f"{self.max_decimals} decimals; integers always allowed)"
            )
        if not self.is_valid_size(sz):
            raise PriceRuleError(f"size {sz} breaks the lot rule (at most {self.sz_decimals} decimals, > 0)")
