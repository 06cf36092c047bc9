"""Replays a list of market orders at fixed times.

For checking fee, latency and funding assumptions by hand ("what would a 0.5 BTC long held from
01:30 to 09:30 have paid?") and for tests that need positions at known times.

    [[strategies]]
    kind = "scripted"
    orders = [
      { at = "2025-03-03T00:30:00Z", instrument = "BTC-USD-PERP.HYPERLIQUID", side = "BUY", quantity = "0.5" },
    ]
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pandas as pd
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import DataType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from arb.clock import on_loop
from catalog.funding import FundingPayment


class ScriptedOrder(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    at: str
    instrument: str
    side: str
    quantity: str
    reduce_only: bool = False


class ScriptedConfig(StrategyConfig, frozen=True):
    orders: tuple[ScriptedOrder, ...] = ()

    def check(self, registry) -> None:
        for i, o in enumerate(self.orders):
            if o.side not in ("BUY", "SELL"):
                raise ValueError(f"orders[{i}].side: '{o.side}' is not allowed (allowed: BUY, SELL)")
            if Decimal(o.quantity) <= 0:
                raise ValueError(f"orders[{i}].quantity: must be positive")
            pd.Timestamp(o.at)


class ScriptedStrategy(Strategy):
    def __init__(self, config: ScriptedConfig) -> None:
        super().__init__(config)
        self.funding_payments: list[FundingPayment] = []

    def on_start(self) -> None:
        self.subscribe_data(DataType(FundingPayment))
        now = self.clock.timestamp_ns()
        for i, order in enumerate(self.config.orders):
            at = pd.Timestamp(order.at).value
            if at <= now:
                self.log.warning(f"scripted order {i} at {order.at} is before the run start; skipped")
                continue
            self.clock.set_time_alert_ns(
                name=f"scripted-{i}", alert_time_ns=at, callback=on_loop(self.clock, self._fire)
            )

    def _fire(self, event: TimeEvent) -> None:
        spec = self.config.orders[int(event.name.split("-")[1])]
        instrument = self.cache.instrument(InstrumentId.from_str(spec.instrument))
        order = self.order_factory.market(
            instrument_id=instrument.id,
            order_side=OrderSide.BUY if spec.side == "BUY" else OrderSide.SELL,
            quantity=instrument.make_qty(Decimal(spec.quantity)),
            time_in_force=TimeInForce.IOC,
            reduce_only=spec.reduce_only,
        )
        self.submit_order(order)

    def on_data(self, data) -> None:
        if isinstance(data, FundingPayment):
            self.funding_payments.append(data)

    def on_stop(self) -> None:
        pass


def scripted_instruments(config: ScriptedConfig, registry) -> list[str]:
    return list(dict.fromkeys(o.instrument for o in config.orders))
