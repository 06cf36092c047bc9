"""Accounts of the matching core: perp collateral per margin group, spot balances, positions,
history (fills, funding, orders) and the margin check used before an order is accepted."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from venuesim.core.model import ZERO
from venuesim.core.model import FundingEntry
from venuesim.core.model import MarketSpec
from venuesim.core.model import Position
from venuesim.core.model import SimOrder

HISTORY = 2000  # fills/orders kept per account, like a venue's "last 2000" endpoints


@dataclass
class Account:
    address: str  # lowercase 0x address (or any venue user key)
    collateral: dict[str, Decimal] = field(default_factory=dict)  # margin group -> amount
    spot: dict[str, Decimal] = field(default_factory=dict)  # token -> total
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    fills: deque = field(default_factory=lambda: deque(maxlen=HISTORY))
    fundings: deque = field(default_factory=lambda: deque(maxlen=HISTORY))
    closed_orders: deque = field(default_factory=lambda: deque(maxlen=HISTORY))

    def position(self, market: str) -> Position:
        return self.positions.setdefault(market, Position())

    def lev(self, spec: MarketSpec) -> int:
        return self.leverage.get(spec.key, min(10, spec.max_leverage))

    def record_funding(self, entry: FundingEntry) -> None:
        self.fundings.append(entry)


def unrealized_pnl(pos: Position, mark: Decimal) -> Decimal:
    return pos.szi * (mark - pos.entry_px) if pos.szi else ZERO


class MarginView:
    """Perp margin of one account in one margin group at current marks."""

    def __init__(
        self,
        account: Account,
        group: str,
        specs: dict[str, MarketSpec],
        marks: dict[str, Decimal],
        open_orders: list[SimOrder],
    ) -> None:
        self.account = account
        self.group = group
        self.specs = {k: s for k, s in specs.items() if s.kind == "perp" and s.group == group}
        self.marks = marks
        self.open_orders = [o for o in open_orders if o.market in self.specs]

    @property
    def collateral(self) -> Decimal:
        return self.account.collateral.get(self.group, ZERO)

    @property
    def account_value(self) -> Decimal:
        return self.collateral + sum(
            (unrealized_pnl(p, self.marks[k]) for k, p in self.account.positions.items() if k in self.specs),
            ZERO,
        )

    @property
    def notional(self) -> Decimal:
        return sum(
            (abs(p.szi) * self.marks[k] for k, p in self.account.positions.items() if k in self.specs), ZERO
        )

    def position_margin(self) -> Decimal:
        return sum(
            (
                abs(p.szi) * self.marks[k] / self.account.lev(self.specs[k])
                for k, p in self.account.positions.items()
                if k in self.specs
            ),
            ZERO,
        )

    def order_margin(self) -> Decimal:
        return sum(
            (o.size * o.price / self.account.lev(self.specs[o.market]) for o in self.open_orders), ZERO
        )

    @property
    def margin_used(self) -> Decimal:
        return self.position_margin()

    @property
    def withdrawable(self) -> Decimal:
        return max(ZERO, self.account_value - self.position_margin() - self.order_margin())

    def can_open(self, spec: MarketSpec, signed_size: Decimal, price: Decimal) -> bool:
        """Whether the account can carry `signed_size` more of `spec` at `price` (reducing is free)."""
        pos = self.account.positions.get(spec.key, Position())
        new = pos.szi + signed_size
        if abs(new) <= abs(pos.szi) and (new == 0 or (new > 0) == (pos.szi > 0)):
            return True
        increase = abs(new) - (abs(pos.szi) if (new > 0) == (pos.szi > 0) else 0)
        needed = increase * price / self.account.lev(spec)
        return needed <= self.account_value - self.position_margin() - self.order_margin()
