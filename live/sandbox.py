"""Sandbox execution: live market data, Nautilus's simulated execution per venue, extended so the
simulated venues charge the registry's fees, wait the venue's latency and settle funding.

Nautilus's `SandboxExecutionClient` matches orders in a `SimulatedExchange` fed by the node's live
data. We build the same client with:

* the registry's dated fee model and a latency model (`latency_ms`),
* a `FundingSettlementModule`, bound to the node's live clock so settlements happen at the venue's
  funding times (or every `funding_every_s` seconds in a rehearsal), crediting the simulated account
  and publishing `FundingPayment` exactly as in a backtest, so carry can be rehearsed.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from nautilus_trader.adapters.sandbox.config import SandboxExecutionClientConfig
from nautilus_trader.adapters.sandbox.execution import SandboxExecutionClient
from nautilus_trader.backtest.engine import SimulatedExchange
from nautilus_trader.backtest.execution_client import BacktestExecClient
from nautilus_trader.backtest.models import FillModel
from nautilus_trader.backtest.models import LatencyModel
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.component import TestClock
from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.live.execution_client import LiveExecutionClient
from nautilus_trader.live.factories import LiveExecClientFactory
from nautilus_trader.model.enums import account_type_from_str
from nautilus_trader.model.enums import book_type_from_str
from nautilus_trader.model.enums import oms_type_from_str
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.portfolio.base import PortfolioFacade

from backtests.funding import FundingSettlementConfig
from backtests.funding import FundingSettlementModule
from backtests.models import RegistryFeeModel
from backtests.models import RegistryFeeModelConfig

NANOS_PER_MS = 1_000_000


class ArbSandboxExecClientConfig(SandboxExecutionClientConfig, frozen=True, kw_only=True):
    latency_ms: float = 0.0
    funding_every_s: float | None = None
    registry_path: str | None = None


class ArbSandboxExecutionClient(SandboxExecutionClient):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        portfolio: PortfolioFacade,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: ArbSandboxExecClientConfig,
    ) -> None:
        # Same construction as Nautilus's sandbox client, with our fee, latency and funding models.
        venue = Venue(config.venue)
        oms_type = oms_type_from_str(config.oms_type)
        account_type = account_type_from_str(config.account_type)
        base_currency = Currency.from_str(config.base_currency) if config.base_currency else None
        self.test_clock = TestClock()
        LiveExecutionClient.__init__(
            self,
            loop=loop,
            client_id=ClientId(config.venue),
            venue=venue,
            oms_type=oms_type,
            account_type=account_type,
            base_currency=base_currency,
            instrument_provider=InstrumentProvider(),
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=None,
        )
        self.exchange = SimulatedExchange(
            venue=venue,
            oms_type=oms_type,
            account_type=account_type,
            starting_balances=[Money.from_str(b) for b in config.starting_balances],
            base_currency=base_currency,
            default_leverage=config.default_leverage,
            leverages={
                InstrumentId.from_str(k): Decimal(str(v)) for k, v in (config.leverages or {}).items()
            },
            modules=[],
            portfolio=portfolio,
            msgbus=self._msgbus,
            cache=cache,
            clock=self.test_clock,
            fill_model=FillModel(),
            fee_model=RegistryFeeModel(RegistryFeeModelConfig(registry_path=config.registry_path)),
            latency_model=LatencyModel(int(config.latency_ms * NANOS_PER_MS)) if config.latency_ms else None,
            book_type=book_type_from_str(config.book_type),
            frozen_account=config.frozen_account,
            bar_execution=config.bar_execution,
            trade_execution=config.trade_execution,
            reject_stop_orders=config.reject_stop_orders,
            support_gtd_orders=config.support_gtd_orders,
            support_contingent_orders=config.support_contingent_orders,
            use_position_ids=config.use_position_ids,
            use_random_ids=config.use_random_ids,
            use_reduce_only=config.use_reduce_only,
            use_message_queue=False,  # real time: no internal message queue
        )
        self._client = BacktestExecClient(
            exchange=self.exchange, msgbus=msgbus, cache=cache, clock=self.test_clock
        )
        self.exchange.register_client(self._client)
        self.exchange.initialize_account()
        # The funding module runs on the node's live clock, so its settlement alerts fire in real time.
        self.funding = FundingSettlementModule(
            FundingSettlementConfig(
                venue=config.venue,
                registry_path=config.registry_path,
                settle_every_s=config.funding_every_s,
            )
        )
        self.funding.register_venue(self.exchange)
        self.funding.register_base(portfolio=portfolio, msgbus=msgbus, cache=cache, clock=clock)
        self.exchange.modules.append(self.funding)
        self._latency = config.latency_ms > 0
        self._drain_task: asyncio.Task | None = None

    def connect(self) -> None:
        super().connect()
        if self._latency:
            # Orders in flight are released when market data arrives; this also releases them when the
            # market is quiet, so the latency is the configured one, not "until the next quote".
            self._drain_task = self._loop.create_task(self._drain_in_flight())

    def disconnect(self) -> None:
        if self._drain_task is not None:
            self._drain_task.cancel()
            self._drain_task = None
        super().disconnect()

    async def _drain_in_flight(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            now = self._clock.timestamp_ns()
            if now > self.test_clock.timestamp_ns():
                self.exchange.process(now)


class SandboxLiveExecClientFactory(LiveExecClientFactory):
    """Builds `ArbSandboxExecutionClient`s. The class name matters: Nautilus's node builder hands the
    node's portfolio only to a factory of exactly this name."""

    @staticmethod
    def create(loop, name, config, portfolio, msgbus, cache, clock):  # type: ignore[override]
        return ArbSandboxExecutionClient(
            loop=loop, portfolio=portfolio, msgbus=msgbus, cache=cache, clock=clock, config=config
        )


def sandbox_config(
    venue: str,
    balance: str,
    currency: str,
    leverage: float,
    latency_ms: float,
    funding_every_s: float | None,
    registry_path: str | None,
    spot_ids: list[str],
) -> ArbSandboxExecClientConfig:
    return ArbSandboxExecClientConfig(
        venue=venue,
        starting_balances=[f"{Decimal(balance.split()[0])} {currency}"],
        base_currency=currency,
        oms_type="NETTING",
        account_type="MARGIN",
        default_leverage=Decimal(str(leverage)),
        leverages={i: 1.0 for i in spot_ids},
        latency_ms=latency_ms,
        funding_every_s=funding_every_s,
        registry_path=registry_path,
    )
