"""A Unified Trading Account over the matching core: one wallet per coin shared by spot and linear
(the account's perp collateral *is* its USDT wallet), positions, margin and what is available for
a new order - and the `wallet-balance` / `position/list` shapes the venue reports them in.

Margin model (regular margin, one-way mode): a position's initial margin is notional at mark /
leverage, maintenance margin `MMR` x notional; an open order reserves qty x price / leverage
(linear) or its cost (spot buy) or its quantity (spot sell, in the base coin).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from venuesim.core.accounts import Account
from venuesim.core.accounts import unrealized_pnl
from venuesim.core.exchange import SimExchange
from venuesim.core.model import ZERO
from venuesim.core.model import Side
from venuesim.fronts.bybit.protocol import fmt
from venuesim.fronts.bybit.universe import SETTLE_COIN
from venuesim.fronts.bybit.universe import BybitMarket
from venuesim.fronts.bybit.universe import Universe

MMR = Decimal("0.005")
USD_PLACES = 8


@dataclass
class PositionMeta:
    created_ms: int
    updated_ms: int
    seq: int = 0
    cum_realised: Decimal = ZERO
    cur_realised: Decimal = ZERO


def unify(acct: Account) -> Account:
    """Make the account's perp collateral and its spot wallet one and the same (UTA)."""
    if acct.collateral is not acct.spot:
        for coin, amount in acct.collateral.items():
            acct.spot[coin] = acct.spot.get(coin, ZERO) + amount
        acct.collateral = acct.spot
    return acct


class UnifiedAccount:
    def __init__(self, exchange: SimExchange, universe: Universe) -> None:
        self.exchange = exchange
        self.u = universe
        self.meta: dict[tuple[str, str], PositionMeta] = {}

    def account(self, uid: str) -> Account:
        return unify(self.exchange.ensure_account(uid))

    def leverage(self, uid: str, m: BybitMarket) -> Decimal:
        return Decimal(self.account(uid).lev(m.spec))

    def mark(self, m: BybitMarket) -> Decimal:
        return self.exchange.market(m.key).mark

    def usd_price(self, coin: str) -> Decimal:
        if coin in ("USDT", "USDC"):
            return Decimal(1)
        spot = self.u.get("spot", f"{coin}USDT") or self.u.get("linear", f"{coin}USDT")
        return self.mark(spot) if spot else ZERO

    # -- margin figures (USDT) -----------------------------------------------------------------
    def position_im(self, uid: str) -> Decimal:
        acct = self.account(uid)
        total = ZERO
        for m in self.u.of("linear"):
            pos = acct.positions.get(m.key)
            if pos is not None and pos.szi:
                total += abs(pos.szi) * self.mark(m) / self.leverage(uid, m)
        return total

    def position_mm(self, uid: str) -> Decimal:
        acct = self.account(uid)
        return sum(
            (
                abs(p.szi) * self.mark(m) * MMR
                for m in self.u.of("linear")
                if (p := acct.positions.get(m.key)) is not None and p.szi
            ),
            ZERO,
        )

    def upl(self, uid: str) -> Decimal:
        acct = self.account(uid)
        return sum(
            (
                unrealized_pnl(p, self.mark(m))
                for m in self.u.of("linear")
                if (p := acct.positions.get(m.key)) is not None and p.szi
            ),
            ZERO,
        )

    def order_im(self, uid: str) -> Decimal:
        total = ZERO
        for o in self.exchange.open_orders(uid):
            m = self.u.by_key.get(o.market)
            if m is not None and not m.is_spot and not o.reduce_only:
                total += o.size * o.price / self.leverage(uid, m)
        return total

    def locked(self, uid: str) -> dict[str, Decimal]:
        """Coins reserved by open spot orders."""
        return self.exchange.spot_hold(uid)

    def available(self, uid: str, coin: str = SETTLE_COIN) -> Decimal:
        """What a new order may use of `coin`."""
        acct = self.account(uid)
        free = acct.spot.get(coin, ZERO) - self.locked(uid).get(coin, ZERO)
        if coin == SETTLE_COIN:
            free += min(self.upl(uid), ZERO) - self.position_im(uid) - self.order_im(uid)
        return free

    def increase(self, uid: str, m: BybitMarket, side: Side, qty: Decimal) -> Decimal:
        """How much of `qty` would increase the position (the rest reduces it)."""
        pos = self.account(uid).positions.get(m.key)
        szi = pos.szi if pos is not None else ZERO
        if szi == 0 or (szi > 0) == (side is Side.BUY):
            return qty
        return max(ZERO, qty - abs(szi))

    # -- wire shapes ------------------------------------------------------------------------------
    def wallet(self, uid: str, coins: list[str] | None = None) -> dict[str, Any]:
        acct = self.account(uid)
        locked = self.locked(uid)
        upl, im, mm, oim = self.upl(uid), self.position_im(uid), self.position_mm(uid), self.order_im(uid)
        names = [c for c in self.u.coins() if c == SETTLE_COIN or acct.spot.get(c)]
        names += [c for c in acct.spot if c not in names]
        if coins:
            names = [c for c in names if c in coins]
        rows = []
        total_wallet = ZERO
        for coin in names:
            balance = acct.spot.get(coin, ZERO)
            is_settle = coin == SETTLE_COIN
            coin_upl = upl if is_settle else ZERO
            equity = balance + coin_upl
            price = self.usd_price(coin)
            total_wallet += balance * price
            rows.append(
                {
                    "coin": coin,
                    "equity": fmt(equity),
                    "usdValue": fmt((equity * price).quantize(Decimal(1).scaleb(-USD_PLACES))),
                    "walletBalance": fmt(balance),
                    "free": "",
                    "locked": fmt(locked.get(coin, ZERO)),
                    "spotHedgingQty": "0",
                    "borrowAmount": "0",
                    "availableToBorrow": "",
                    "availableToWithdraw": fmt(max(ZERO, self.available(uid, coin))),
                    "accruedInterest": "0",
                    "totalOrderIM": fmt(oim if is_settle else ZERO),
                    "totalPositionIM": fmt(im if is_settle else ZERO),
                    "totalPositionMM": fmt(mm if is_settle else ZERO),
                    "unrealisedPnl": fmt(coin_upl),
                    "cumRealisedPnl": fmt(self.cum_realised(uid) if is_settle else ZERO),
                    "bonus": "0",
                    "collateralSwitch": True,
                    "marginCollateral": True,
                    "spotBorrow": "0",
                }
            )
        margin_balance = total_wallet + upl
        q = Decimal(1).scaleb(-USD_PLACES)
        return {
            "accountType": "UNIFIED",
            "accountLTV": "0",
            "accountIMRate": fmt((im + oim) / margin_balance if margin_balance > 0 else ZERO, 4),
            "accountMMRate": fmt(mm / margin_balance if margin_balance > 0 else ZERO, 4),
            "totalEquity": fmt(margin_balance.quantize(q)),
            "totalWalletBalance": fmt(total_wallet.quantize(q)),
            "totalMarginBalance": fmt(margin_balance.quantize(q)),
            "totalAvailableBalance": fmt(max(ZERO, margin_balance - im - oim).quantize(q)),
            "totalPerpUPL": fmt(upl.quantize(q)),
            "totalInitialMargin": fmt((im + oim).quantize(q)),
            "totalMaintenanceMargin": fmt(mm.quantize(q)),
            "coin": rows,
        }

    def cum_realised(self, uid: str) -> Decimal:
        return sum((meta.cum_realised for (u, _), meta in self.meta.items() if u == uid), ZERO)

    def position(self, uid: str, m: BybitMarket, ws: bool = False) -> dict[str, Any]:
        acct = self.account(uid)
        pos = acct.positions.get(m.key)
        szi = pos.szi if pos is not None else ZERO
        entry = pos.entry_px if pos is not None and szi else ZERO
        mark = self.mark(m)
        lev = self.leverage(uid, m)
        size = abs(szi)
        im = size * mark / lev
        meta = self.meta.get((uid, m.key)) or PositionMeta(0, 0)
        if szi > 0:
            liq = entry * (1 - 1 / lev + MMR)
        elif szi < 0:
            liq = entry * (1 + 1 / lev - MMR)
        else:
            liq = ZERO
        rec: dict[str, Any] = {
            "positionIdx": 0,
            "riskId": 1,
            "riskLimitValue": "2000000",
            "symbol": m.symbol,
            "side": "Buy" if szi > 0 else "Sell" if szi < 0 else "",
            "size": m.qty(size),
            "avgPrice": m.px(entry) if szi else "0",
            "positionValue": fmt(size * entry),
            "tradeMode": 0,
            "positionStatus": "Normal",
            "autoAddMargin": 0,
            "adlRankIndicator": 2 if szi else 0,
            "leverage": fmt(lev),
            "positionBalance": fmt(im.quantize(Decimal("0.00000001"))),
            "markPrice": m.px(mark),
            "liqPrice": m.px(liq) if szi else "",
            "bustPrice": "",
            "positionMM": fmt((size * mark * MMR).quantize(Decimal("0.00000001"))),
            "positionIM": fmt(im.quantize(Decimal("0.00000001"))),
            "positionIMByMp": fmt(im.quantize(Decimal("0.00000001"))),
            "positionMMByMp": fmt((size * mark * MMR).quantize(Decimal("0.00000001"))),
            "tpslMode": "Full",
            "takeProfit": "0",
            "stopLoss": "0",
            "trailingStop": "0",
            "sessionAvgPrice": "",
            "unrealisedPnl": fmt(unrealized_pnl(pos, mark) if pos is not None else ZERO),
            "curRealisedPnl": fmt(meta.cur_realised),
            "cumRealisedPnl": fmt(meta.cum_realised),
            "seq": meta.seq,
            "isReduceOnly": False,
            "mmrSysUpdatedTime": "",
            "leverageSysUpdatedTime": "",
            "createdTime": str(meta.created_ms),
            "updatedTime": str(meta.updated_ms),
        }
        if ws:
            rec["category"] = m.category
            rec["entryPrice"] = rec.pop("avgPrice")
        return rec
