"""Marked-to-market equity over a run, per venue: the results table `equity`.

Account balances alone move only when something is realised (a fill closes, a fee is paid, funding
settles), so a carry pair held for weeks shows a flat balance while its basis swings. The
`EquityRecorder` actor samples every `interval_s` (on the run's clock: simulated time in a backtest,
wall time in a live or sandbox node), and once more when it stops:

    equity = balance (USD-like currencies at par) + unrealised PnL of the open positions at mid

Positions are marked at the mid of the last quote, as the summary marks the positions still open at
the end, so the last sample of a backtest equals the final balance plus `summary.pnl.unrealized`.
A position with no price yet contributes nothing and is counted in `unpriced`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.model.enums import PriceType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Price
from nautilus_trader.model.position import Position

from arb.clock import on_loop
from backtests import tables

USD_LIKE = ("USD", "USDC", "USDT")
TIMER = "arb-equity"


@dataclass(frozen=True)
class VenueEquity:
    balance: Decimal
    unrealized: Decimal
    unpriced: int  # open positions with no price to mark them at

    @property
    def equity(self) -> Decimal:
        return self.balance + self.unrealized


def venue_equity(
    balances: Iterable[tuple[str, Decimal]],
    positions: Iterable[Position],
    price_of: Callable[[InstrumentId], Price | None],
    currencies: Iterable[str] = USD_LIKE,
) -> VenueEquity:
    """One venue's equity from its balances (currency code, total) and its open positions."""
    counted = set(currencies)
    balance = sum((total for code, total in balances if code in counted), Decimal(0))
    unrealized = Decimal(0)
    unpriced = 0
    for position in positions:
        price = price_of(position.instrument_id)
        if price is None:
            unpriced += 1
            continue
        pnl = position.unrealized_pnl(price)
        if pnl.currency.code in counted:
            unrealized += pnl.as_decimal()
    return VenueEquity(balance, unrealized, unpriced)


class EquityRecorderConfig(ActorConfig, frozen=True, kw_only=True):
    venues: list[str]
    interval_s: float = 300.0
    currencies: tuple[str, ...] = USD_LIKE


class EquityRecorder(Actor):
    def __init__(self, config: EquityRecorderConfig) -> None:
        super().__init__(config)
        if config.interval_s <= 0:
            raise ValueError(f"interval_s: must be positive, got {config.interval_s}")
        self._venues = [Venue(v) for v in config.venues]
        self._rows: list[dict] = []

    def on_start(self) -> None:
        self.sample(self.clock.timestamp_ns())
        self.clock.set_timer(
            TIMER, pd.Timedelta(seconds=self.config.interval_s), callback=on_loop(self.clock, self._on_timer)
        )

    def on_stop(self) -> None:
        if TIMER in self.clock.timer_names:
            self.clock.cancel_timer(TIMER)
        self.sample(self.clock.timestamp_ns())

    def _on_timer(self, event: TimeEvent) -> None:
        self.sample(event.ts_event)

    def _mid(self, instrument_id: InstrumentId) -> Price | None:
        return self.cache.price(instrument_id, PriceType.MID) or self.cache.price(
            instrument_id, PriceType.LAST
        )

    def sample(self, ts: int) -> None:
        for venue in self._venues:
            account = self.cache.account_for_venue(venue)
            balances = (
                [(c.code, b.total.as_decimal()) for c, b in account.balances().items()]
                if account is not None
                else []
            )
            e = venue_equity(
                balances, self.cache.positions_open(venue=venue), self._mid, self.config.currencies
            )
            self._rows.append(
                {
                    "ts": ts,
                    "venue": venue.value,
                    "balance": float(e.balance),
                    "unrealized": float(e.unrealized),
                    "equity": float(e.equity),
                    "unpriced": e.unpriced,
                }
            )

    def results_tables(self) -> dict[str, pd.DataFrame]:
        return {tables.EQUITY: tables.frame(tables.EQUITY, self._rows)}
