"""Per-venue fee and latency models for the simulated venues, driven by the registry."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.backtest.config import FeeModelConfig
from nautilus_trader.backtest.config import LatencyModelConfig
from nautilus_trader.backtest.models import FeeModel
from nautilus_trader.backtest.models import LatencyModel
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.objects import Money

from catalog.registry import Liquidity
from catalog.registry import Registry
from catalog.registry import default_registry

NANOS_PER_MS = 1_000_000


class RegistryFeeModelConfig(FeeModelConfig, frozen=True):
    registry_path: str | None = None


class RegistryFeeModel(FeeModel):
    """Maker/taker fees from the registry's dated schedule, as in force when the order was last updated
    (the fill happens within that order's latency window, well inside one schedule period).
    Instruments not in the registry fall back to their own maker/taker fees."""

    def __init__(self, config: RegistryFeeModelConfig | None = None) -> None:
        path = config.registry_path if config else None
        self._registry: Registry = Registry.load(path) if path else default_registry()
        self._cache: dict[tuple[str, int, int], Decimal] = {}

    def get_commission(self, order, fill_qty, fill_px, instrument) -> Money:
        liquidity: Liquidity = "maker" if order.liquidity_side == LiquiditySide.MAKER else "taker"
        ts = order.ts_last
        day = ts // 86_400_000_000_000
        key = (instrument.id.value, day, order.liquidity_side)
        rate = self._cache.get(key)
        if rate is None:
            market = self._registry.find_market(instrument.id)
            if market is None:
                rate = instrument.maker_fee if liquidity == "maker" else instrument.taker_fee
            else:
                rate = market.fee(liquidity, ts)
            self._cache[key] = rate
        notional = instrument.notional_value(fill_qty, fill_px).as_decimal()
        return Money(notional * rate, instrument.quote_currency)


class VenueLatencyConfig(LatencyModelConfig, frozen=True):
    pass


def latency_model_config(latency_ms: float) -> dict:
    """The `ImportableLatencyModelConfig.config` for a round-trip one-way latency in ms."""
    return {"base_latency_nanos": int(latency_ms * NANOS_PER_MS)}


__all__ = ["LatencyModel", "RegistryFeeModel", "RegistryFeeModelConfig", "latency_model_config"]
