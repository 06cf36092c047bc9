"""Funding settlement for simulated venues (backtest and sandbox).

`FundingSettlementModule` is a Nautilus `SimulationModule`, one per simulated venue. At each funding
time it settles every open perpetual position on its venue:

    amount = -signed_qty x mark_price x rate      (a long pays a positive rate)

credits or debits the account through `SimulatedExchange.adjust_account`, publishes a
`FundingPayment` on the message bus (strategies account funding only from those), and appends it to
its own ledger, which is the source of truth for results (see Nautilus issue #3704).

Where the rates and times come from: module `pre_process` never sees `FundingRateUpdate` in 1.221,
but a module is an Actor registered on the message bus, and the data engine publishes every funding
update on `data.funding_rates.<venue>.<symbol>`. The module subscribes to those. An update announces
the rate for one settlement time: `next_funding_ns` when the venue gives it, otherwise the next
boundary of the market's funding interval from the registry. The settlement itself runs on a clock
alert at exactly that time, so a fill that lands after the funding time is not charged and a position
closed before it pays nothing. An update that arrives at (or after) its own settlement time, such as a
historical settlement record, is settled on arrival.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from nautilus_trader.accounting.accounts.base import Account
from nautilus_trader.backtest.config import SimulationModuleConfig
from nautilus_trader.backtest.modules import SimulationModule
from nautilus_trader.common.component import Logger
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.enums import PriceType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.objects import AccountBalance
from nautilus_trader.model.objects import Money

from arb.clock import on_loop
from catalog.funding import FundingPayment
from catalog.funding import funding_amount
from catalog.funding import funding_payment_topic
from catalog.registry import NANOS_PER_HOUR
from catalog.registry import Registry
from catalog.registry import default_registry


class FundingSettlementConfig(SimulationModuleConfig, frozen=True):
    """
    venue: the simulated venue this module settles (also makes the component id unique).
    registry_path: registry file for funding intervals (default: the package registry).
    default_interval_hours: interval for instruments that are not in the registry and whose
        updates carry no `next_funding_ns`.
    """

    venue: str | None = None
    registry_path: str | None = None
    default_interval_hours: int = 8
    run_key: str | None = None  # lets the runner find this run's modules (and ledgers) afterwards
    settle_every_s: float | None = None  # rehearsal only: settle every N s at the latest rate (sandbox)


class FundingSettlementModule(SimulationModule):
    _by_run_key: dict[str, list[FundingSettlementModule]] = {}

    def __init__(self, config: FundingSettlementConfig | None = None) -> None:
        config = config or FundingSettlementConfig()
        if config.component_id is None and config.venue:
            config = FundingSettlementConfig(
                venue=config.venue,
                registry_path=config.registry_path,
                default_interval_hours=config.default_interval_hours,
                run_key=config.run_key,
                settle_every_s=config.settle_every_s,
                component_id=f"FundingSettlement-{config.venue}",
            )
        super().__init__(config)
        if config.run_key:
            FundingSettlementModule._by_run_key.setdefault(config.run_key, []).append(self)
        self._registry: Registry = (
            Registry.load(config.registry_path) if config.registry_path else default_registry()
        )
        self._default_interval_ns = config.default_interval_hours * NANOS_PER_HOUR
        self.ledger: list[FundingPayment] = []
        # instrument -> settlement time -> rate announced for it (the latest announcement wins)
        self._pending: dict[InstrumentId, dict[int, Decimal]] = {}
        self._alerts: set[int] = set()
        self._settled: set[tuple[InstrumentId, int]] = set()
        self._latest: dict[InstrumentId, Decimal] = {}
        self._settle_every_ns = int(config.settle_every_s * 1e9) if config.settle_every_s else None
        self.missing_mark_count = 0

    @classmethod
    def take(cls, run_key: str) -> list[FundingSettlementModule]:
        """The modules created for one run (and forget them)."""
        return cls._by_run_key.pop(run_key, [])

    # -- wiring ----------------------------------------------------------------------------------
    def register_base(self, portfolio, msgbus, cache, clock) -> None:  # type: ignore[override]
        super().register_base(portfolio, msgbus, cache, clock)
        msgbus.subscribe(topic=f"data.funding_rates.{self.exchange.id}.*", handler=self._on_funding_rate)
        if self._settle_every_ns:
            # Accelerated funding for offline rehearsals: every N seconds, at the latest rate.
            self.clock.set_timer(
                name=f"funding-every-{self.exchange.id}",
                interval=timedelta(microseconds=self._settle_every_ns // 1000),
                callback=on_loop(self.clock, self._on_accelerated_tick),
            )

    def _on_accelerated_tick(self, event: TimeEvent) -> None:
        for instrument_id, rate in list(self._latest.items()):
            self._settle(instrument_id, event.ts_event, rate)

    def process(self, ts_now: int) -> None:
        pass  # settlement runs on clock alerts, see `_on_funding_rate`

    def pre_process(self, data) -> None:
        pass

    def reset(self) -> None:
        self.ledger.clear()
        self._pending.clear()
        self._alerts.clear()
        self._settled.clear()

    def log_diagnostics(self, logger: Logger) -> None:
        total: dict[str, Decimal] = {}
        for p in self.ledger:
            total[p.currency.code] = total.get(p.currency.code, Decimal(0)) + p.amount
        summary = ", ".join(f"{v} {k}" for k, v in total.items()) or "none"
        logger.info(f"{self.exchange.id} funding settled: {len(self.ledger)} payments, net {summary}")

    # -- funding ---------------------------------------------------------------------------------
    def _settlement_time(self, update: FundingRateUpdate) -> int:
        if update.next_funding_ns:
            return int(update.next_funding_ns)
        market = self._registry.find_market(update.instrument_id)
        nxt = market.next_funding_time(update.ts_event) if market else None
        if nxt is None:
            step = self._default_interval_ns
            nxt = (update.ts_event // step + 1) * step
        return nxt

    def _on_funding_rate(self, update: FundingRateUpdate) -> None:
        if self._settle_every_ns:
            self._latest[update.instrument_id] = Decimal(update.rate)
            return
        settle_at = self._settlement_time(update)
        now = self.clock.timestamp_ns()
        rate = Decimal(update.rate)
        if settle_at <= now:
            self._settle(update.instrument_id, settle_at, rate)
            return
        self._pending.setdefault(update.instrument_id, {})[settle_at] = rate
        if settle_at not in self._alerts:
            self._alerts.add(settle_at)
            self.clock.set_time_alert_ns(
                name=f"funding-{self.exchange.id}-{settle_at}",
                alert_time_ns=settle_at,
                callback=on_loop(self.clock, self._on_funding_time),
            )

    def _on_funding_time(self, event: TimeEvent) -> None:
        settle_at = event.ts_event
        self._alerts.discard(settle_at)
        for instrument_id, by_time in self._pending.items():
            rate = by_time.pop(settle_at, None)
            if rate is not None:
                self._settle(instrument_id, settle_at, rate)

    def _mark_price(self, instrument_id: InstrumentId) -> Decimal | None:
        mark = self.cache.mark_price(instrument_id)
        if mark is not None:
            return mark.value.as_decimal()
        for price_type in (PriceType.MID, PriceType.LAST):
            price = self.cache.price(instrument_id, price_type)
            if price is not None:
                return price.as_decimal()
        return None

    def _settle(self, instrument_id: InstrumentId, settle_at: int, rate: Decimal) -> None:
        key = (instrument_id, settle_at)
        if key in self._settled:
            return
        self._settled.add(key)
        instrument = self.cache.instrument(instrument_id)
        if instrument is None or isinstance(instrument, CurrencyPair):
            return  # spot has no funding
        positions = self.cache.positions_open(venue=self.exchange.id, instrument_id=instrument_id)
        if not positions:
            return
        mark = self._mark_price(instrument_id)
        if mark is None:
            self.missing_mark_count += 1
            self._log.error(
                f"{instrument_id}: no mark/mid/last price at funding time {settle_at}; not settled"
            )
            return
        currency = instrument.get_settlement_currency()
        now = self.clock.timestamp_ns()
        for position in positions:
            qty = position.signed_decimal_qty()
            if qty == 0:
                continue
            amount = funding_amount(qty, mark, rate, currency.precision)
            payment = FundingPayment(
                instrument_id=instrument_id,
                position_quantity=qty,
                mark_price=mark,
                rate=rate,
                amount=amount,
                currency=currency,
                position_id=position.id.value,
                ts_event=settle_at,
                ts_init=now,
            )
            if amount != 0:
                self._adjust_account(Money(amount, currency))
            self.ledger.append(payment)
            self.msgbus.publish(topic=funding_payment_topic(instrument_id), msg=payment)

    def _adjust_account(self, adjustment: Money) -> None:
        # Nautilus #3704: `adjust_account` mutates the account's current AccountBalance in place, and
        # that object is shared with the last AccountState event, so history would be rewritten.
        # Hand the account a fresh copy first; the mutation then lands on an object no past event holds.
        account: Account | None = self.cache.account_for_venue(self.exchange.id)
        if account is not None:
            current = account.balance(adjustment.currency)
            if current is not None:
                account.update_balances([AccountBalance(current.total, current.locked, current.free)])
        self.exchange.adjust_account(adjustment)
