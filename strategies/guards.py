"""Risk guards shared by the strategies: when not to enter, and when to stop altogether.

`Guards.entry_block(...)` answers "may this strategy open a pair on this asset now?" with None or
the reason it may not (the reasons are counted, and the heartbeat shows them). The kill switch
(consecutive losses or equity drawdown) is permanent for the run: the owner flattens and stops
entering. A `RateBudget` counts orders per venue in rolling hour/day windows against configured caps
(e.g. Paradex's zero-fee order caps) and says when a venue's budget is nearly spent; adapters that
learn the venue's real remaining budget can feed it with `RateBudget.report()`.
"""

from __future__ import annotations

from collections import Counter
from collections import deque
from decimal import Decimal

import msgspec

NANOS_PER_DAY = 86_400_000_000_000
NANOS_PER_HOUR = 3_600_000_000_000


class RateCap(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    per_hour: int | None = None
    per_day: int | None = None


class GuardConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    max_quote_age_ms: int = 5_000
    cooldown_s: float = 30.0
    max_position_usd_per_asset: float | None = None
    max_position_usd_total: float | None = None
    max_loss_per_trade_usd: float | None = None
    daily_loss_limit_usd: float | None = None
    kill_after_consecutive_losses: int | None = 5
    kill_drawdown_pct: float | None = 10.0
    min_free_balance_usd: float | None = None
    rate_caps: dict[str, RateCap] = {}
    rate_budget_reserve: float = 0.1  # pause entries when less than this fraction of a cap is left


class RateBudget:
    def __init__(self, caps: dict[str, RateCap], reserve: float) -> None:
        self.caps = caps
        self.reserve = reserve
        self._sent: dict[str, deque[int]] = {v: deque() for v in caps}
        self._reported: dict[str, tuple[int | None, int | None]] = {}

    def record(self, venue: str, ts: int) -> None:
        if venue in self._sent:
            self._sent[venue].append(ts)

    def report(self, venue: str, remaining_hour: int | None, remaining_day: int | None) -> None:
        """Hook for adapters that read the venue's own remaining budget."""
        self._reported[venue] = (remaining_hour, remaining_day)

    def remaining(self, venue: str, now: int) -> tuple[int | None, int | None]:
        cap = self.caps.get(venue)
        if cap is None:
            return self._reported.get(venue, (None, None))
        sent = self._sent[venue]
        while sent and sent[0] <= now - NANOS_PER_DAY:
            sent.popleft()
        last_hour = sum(1 for t in sent if t > now - NANOS_PER_HOUR)
        hour = None if cap.per_hour is None else cap.per_hour - last_hour
        day = None if cap.per_day is None else cap.per_day - len(sent)
        reported = self._reported.get(venue)
        if reported:
            hour = (
                min(x for x in (hour, reported[0]) if x is not None)
                if (hour is not None or reported[0] is not None)
                else None
            )
            day = (
                min(x for x in (day, reported[1]) if x is not None)
                if (day is not None or reported[1] is not None)
                else None
            )
        return hour, day

    def nearly_spent(self, venue: str, now: int, orders_needed: int = 2) -> bool:
        cap = self.caps.get(venue)
        hour, day = self.remaining(venue, now)
        hour_cap = cap.per_hour if cap and cap.per_hour else None
        day_cap = cap.per_day if cap and cap.per_day else None
        if hour is not None and hour - orders_needed < self.reserve * (hour_cap or 0):
            return True
        return day is not None and day - orders_needed < self.reserve * (day_cap or 0)


class Guards:
    def __init__(self, config: GuardConfig) -> None:
        self.config = config
        self.rate_budget = RateBudget(config.rate_caps, config.rate_budget_reserve)
        self.blocked: Counter[str] = Counter()
        self.killed_reason: str | None = None
        self.halted: str | None = None  # entries stopped without flattening (e.g. a node shutting down)
        self._cooldown_until: dict[str, int] = {}
        self._paused_until: dict[str, tuple[int, str]] = {}
        self._consecutive_losses = 0
        self._day: int | None = None
        self._day_pnl = Decimal(0)
        self._peak_equity: float | None = None

    # -- entry gate -----------------------------------------------------------------------------
    def entry_block(
        self,
        asset: str,
        now: int,
        quote_ts: tuple[int, ...],
        venues: tuple[str, ...],
        notional_usd: float,
        asset_exposure_usd: float,
        total_exposure_usd: float,
        free_balances_usd: dict[str, float],
        feeds_stale: bool = False,
    ) -> str | None:
        reason = self._reason(
            asset,
            now,
            quote_ts,
            venues,
            notional_usd,
            asset_exposure_usd,
            total_exposure_usd,
            free_balances_usd,
            feeds_stale,
        )
        if reason is not None:
            self.blocked[reason.split(":")[0]] += 1
        return reason

    def _reason(
        self,
        asset,
        now,
        quote_ts,
        venues,
        notional_usd,
        asset_exposure_usd,
        total_exposure_usd,
        free_balances_usd,
        feeds_stale,
    ) -> str | None:
        c = self.config
        if self.killed_reason:
            return "kill_switch"
        if self.halted:
            return self.halted
        if (
            c.daily_loss_limit_usd is not None
            and self._today(now)
            and -self._day_pnl >= Decimal(str(c.daily_loss_limit_usd))
        ):
            return "daily_loss_limit"
        if feeds_stale or any(now - t > c.max_quote_age_ms * 1_000_000 for t in quote_ts):
            return "stale_quote"
        if now < self._cooldown_until.get(asset, 0):
            return "cooldown"
        paused = self._paused_until.get(asset)
        if paused is not None and now < paused[0]:
            return paused[1]
        if (
            c.max_position_usd_per_asset is not None
            and asset_exposure_usd + notional_usd > c.max_position_usd_per_asset
        ):
            return "max_position_asset"
        if (
            c.max_position_usd_total is not None
            and total_exposure_usd + notional_usd > c.max_position_usd_total
        ):
            return "max_position_total"
        if c.min_free_balance_usd is not None:
            for venue in venues:
                if free_balances_usd.get(venue, 0.0) < c.min_free_balance_usd:
                    return f"low_balance:{venue}"
        for venue in venues:
            if self.rate_budget.nearly_spent(venue, now):
                return f"rate_budget:{venue}"
        return None

    # -- bookkeeping ----------------------------------------------------------------------------
    def _today(self, now: int) -> bool:
        day = now // NANOS_PER_DAY
        if day != self._day:
            self._day = day
            self._day_pnl = Decimal(0)
        return True

    def start_cooldown(self, asset: str, now: int) -> None:
        self._cooldown_until[asset] = now + int(self.config.cooldown_s * 1e9)

    def pause(self, asset: str, until: int, reason: str) -> None:
        """Block entries on `asset` until `until` (e.g. a flash-crash pause)."""
        self._paused_until[asset] = (until, reason)

    def on_trade_closed(self, net_pnl: Decimal, now: int) -> None:
        self._today(now)
        self._day_pnl += net_pnl
        self._consecutive_losses = self._consecutive_losses + 1 if net_pnl < 0 else 0
        n = self.config.kill_after_consecutive_losses
        if n is not None and self._consecutive_losses >= n and not self.killed_reason:
            self.killed_reason = f"{self._consecutive_losses} consecutive losing trades"

    def on_equity(self, equity_usd: float) -> None:
        if self._peak_equity is None or equity_usd > self._peak_equity:
            self._peak_equity = equity_usd
        limit = self.config.kill_drawdown_pct
        if limit is not None and self._peak_equity and not self.killed_reason:
            drawdown = (self._peak_equity - equity_usd) / self._peak_equity * 100
            if drawdown >= limit:
                self.killed_reason = f"equity drawdown {drawdown:.2f}% >= {limit}%"

    def trade_loss_exceeded(self, mtm_pnl: Decimal) -> bool:
        limit = self.config.max_loss_per_trade_usd
        return limit is not None and -mtm_pnl >= Decimal(str(limit))

    def halt(self, reason: str) -> None:
        self.halted = self.halted or reason

    def resume(self, reason: str) -> None:
        if self.halted == reason:
            self.halted = None

    def kill(self, reason: str) -> None:
        self.killed_reason = self.killed_reason or reason

    @property
    def day_pnl(self) -> Decimal:
        return self._day_pnl
