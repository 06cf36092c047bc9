"""A strategy that subscribes like ours and does nothing: the benchmark baseline."""

from __future__ import annotations

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy


class NoopConfig(StrategyConfig, frozen=True):
    instruments: tuple[str, ...] = ()


class NoopStrategy(Strategy):
    def __init__(self, config: NoopConfig) -> None:
        super().__init__(config)
        self.quotes = 0

    def on_start(self) -> None:
        for value in self.config.instruments:
            instrument_id = InstrumentId.from_str(value)
            self.subscribe_quote_ticks(instrument_id)
            self.subscribe_funding_rates(instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.quotes += 1

    def on_funding_rate(self, funding_rate: FundingRateUpdate) -> None:
        pass
