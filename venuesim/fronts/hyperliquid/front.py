"""The Hyperliquid protocol front: `POST /info`, `POST /exchange` and the `/ws` WebSocket, with
the venue's message shapes, signature checks and error texts.

Supported info types: meta, metaAndAssetCtxs, allPerpMetas, perpDexs, spotMeta,
spotMetaAndAssetCtxs, allMids, l2Book (nSigFigs), recentTrades, candleSnapshot, fundingHistory,
predictedFundings, clearinghouseState (dex), spotClearinghouseState, openOrders (dex),
frontendOpenOrders (dex), orderStatus, historicalOrders, userFills, userFillsByTime, userFunding,
userFees, userRateLimit, userRole, userAbstraction, extraAgents, maxBuilderFee, exchangeStatus.
Exchange actions: order, cancel, cancelByCloid, modify, batchModify, scheduleCancel,
updateLeverage, noop, setReferrer, approveAgent, approveBuilderFee.
WebSocket subscriptions: l2Book, bbo, trades, candle, allMids, activeAssetCtx (channel
`activeSpotAssetCtx` for spot), orderUpdates, userFills, userFundings, userEvents (channel `user`);
`{"method":"ping"}` -> `{"channel":"pong"}`. Not simulated: WS `post` requests, trigger (TP/SL)
orders, TWAP, transfers and withdrawals (they answer `{"status":"err"}` naming the action).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from aiohttp import web

from venuesim.core.model import BookEvent
from venuesim.core.model import Fill
from venuesim.core.model import FillEvent
from venuesim.core.model import FundingEntry
from venuesim.core.model import FundingEvent
from venuesim.core.model import FundingRateEvent
from venuesim.core.model import OrderEvent
from venuesim.core.model import OrderStatus
from venuesim.core.model import PlaceResult
from venuesim.core.model import Reject
from venuesim.core.model import Side
from venuesim.core.model import SimEvent
from venuesim.core.model import SimOrder
from venuesim.core.model import Tif
from venuesim.core.model import TradeEvent
from venuesim.core.model import now_ms
from venuesim.fronts.base import FaultySocket
from venuesim.fronts.base import Front
from venuesim.fronts.base import json_response
from venuesim.fronts.hyperliquid import wire
from venuesim.fronts.hyperliquid.auth import USER_SIGNED_TYPES
from venuesim.fronts.hyperliquid.auth import Authenticator
from venuesim.fronts.hyperliquid.auth import AuthError
from venuesim.fronts.hyperliquid.universe import HlMarket
from venuesim.fronts.hyperliquid.universe import Universe

DESERIALIZE_ERROR = "Failed to deserialize the JSON body into the target type"
CLOID = re.compile(r"^0x[0-9a-fA-F]{32}$")
INTERVAL_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000,
    "2h": 7_200_000, "4h": 14_400_000, "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000,
    "3d": 259_200_000, "1w": 604_800_000, "1M": 2_592_000_000,
}  # fmt: skip
CANCEL_MISSING = "Order was never placed, already canceled, or filled. asset={asset}"


class BadRequest(Exception):
    """The body does not deserialize: the venue answers 422 with a plain-text message."""


def _dec(value: Any, what: str) -> Decimal:
    if not isinstance(value, str):
        raise BadRequest(f"{what}: expected a decimal string, got {type(value).__name__}")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise BadRequest(f"{what}: invalid decimal {value!r}") from None
    if not d.is_finite():
        raise BadRequest(f"{what}: invalid decimal {value!r}")
    return d


def price_ok(px: Decimal, max_decimals: int) -> bool:
    """5 significant figures and at most `max_decimals` decimals; integers always allowed."""
    if px <= 0:
        return False
    if px == px.to_integral_value():
        return True
    t = px.normalize().as_tuple()
    decimals = -int(t.exponent)
    sig = len(t.digits)
    return decimals <= max_decimals and sig <= 5


def size_ok(sz: Decimal, sz_decimals: int) -> bool:
    return sz > 0 and sz == sz.quantize(Decimal(1).scaleb(-sz_decimals), rounding=ROUND_FLOOR)


class HyperliquidFront(Front):
    name = "hyperliquid"

    def __init__(self, sim, universe: Universe, auth: Authenticator, default_collateral: Decimal) -> None:
        super().__init__(sim)
        self.u = universe
        self.auth = auth
        self.default_collateral = default_collateral
        auth.on_new_user = self._fund_new_user
        # subscriptions: identifier -> sockets ; socket -> identifiers
        self._subs: dict[str, set[FaultySocket]] = defaultdict(set)
        self._sock_subs: dict[FaultySocket, dict[str, dict[str, Any]]] = defaultdict(dict)
        self._last_bbo: dict[str, tuple] = {}
        self._schedule_cancel: dict[str, int] = {}

    # -- accounts ----------------------------------------------------------------------------------
    def _fund_new_user(self, address: str) -> None:
        collateral = {dex: self.default_collateral for dex in self.u.dexes}
        self.exchange.ensure_account(address, collateral, {"USDC": self.default_collateral})

    def control_account(self, body: dict[str, Any]) -> dict[str, Any]:
        address = body["address"].lower()
        self.auth.add_user(address)
        collateral = {k: Decimal(str(v)) for k, v in (body.get("collateral") or {}).items()}
        spot = {k: Decimal(str(v)) for k, v in (body.get("spot") or {}).items()}
        self.exchange.ensure_account(address, collateral, spot)
        for agent in body.get("agents", []):
            if isinstance(agent, str):
                self.auth.add_agent(address, agent)
            else:
                self.auth.add_agent(address, agent["address"], agent.get("name", ""))
        for vault in body.get("vaults", []):
            v = vault if isinstance(vault, str) else vault["address"]
            self.auth.add_vault(v, address)
            default = {dex: self.default_collateral for dex in self.u.dexes}
            vc = default if isinstance(vault, str) else vault.get("collateral", default)
            self.exchange.ensure_account(v, {k: Decimal(str(x)) for k, x in vc.items()})
        return {"address": address}

    def describe(self) -> dict[str, Any]:
        reg = self.auth.registry
        return {
            "chain": "Mainnet" if self.auth.is_mainnet else "Testnet",
            "perp_dexs": self.u.dexes,
            "assets": {m.coin: m.asset for m in self.u.by_asset.values()},
            "agents": {a: m for a, (m, _) in reg.agents.items()},
            "vaults": dict(reg.vaults),
        }

    # -- routes ----------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_post("/info", self._info)
        app.router.add_post("/exchange", self._exchange)
        app.router.add_get("/ws", self._ws)

    async def _read_json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.text())
        except json.JSONDecodeError as e:
            raise BadRequest(f"{DESERIALIZE_ERROR}: {e}") from None
        if not isinstance(body, dict):
            raise BadRequest(f"{DESERIALIZE_ERROR}: expected a JSON object")
        return body

    # -- /info -----------------------------------------------------------------------------------
    async def _info(self, request: web.Request) -> web.Response:
        try:
            body = await self._read_json(request)
            kind = body.get("type")
            handler = getattr(self, f"_info_{kind}", None) if isinstance(kind, str) else None
            if handler is None:
                raise BadRequest(f"{DESERIALIZE_ERROR}: unknown variant `{kind}`")
            return json_response(handler(body))
        except BadRequest as e:
            return web.Response(status=422, text=str(e))
        except KeyError as e:
            return web.Response(status=422, text=f"{DESERIALIZE_ERROR}: missing field {e}")

    def _dex(self, body: dict[str, Any]) -> str:
        dex = body.get("dex") or ""
        if dex not in self.u.dexes:
            raise BadRequest(f"{DESERIALIZE_ERROR}: unknown perp dex {dex!r}")
        return dex

    def _meta(self, dex: str) -> dict[str, Any]:
        return {
            "universe": [
                {
                    "szDecimals": m.sz_decimals,
                    "name": m.coin,
                    "maxLeverage": m.spec.max_leverage,
                    "marginTableId": m.spec.max_leverage,
                }
                | ({"onlyIsolated": True, "marginMode": "strictIsolated"} if dex else {})
                for m in self.u.perps.get(dex, [])
            ],
            "marginTables": [],
            "collateralToken": 0,
        }

    def _asset_ctx(self, m: HlMarket) -> dict[str, Any]:
        st = self.exchange.market(m.spec.key)
        bid, ask = self.exchange.best_bid_ask(m.spec.key)
        common = {
            "prevDayPx": wire.num(st.prev_day_px),
            "dayNtlVlm": wire.num(st.day_notional),
            "markPx": wire.num(st.mark),
            "midPx": wire.num(st.mid) if bid is not None and ask is not None else None,
            "dayBaseVlm": wire.num(st.day_base),
        }
        if m.spec.kind == "spot":
            return {
                **common,
                "circulatingSupply": "1000000000.0",
                "coin": m.coin,
                "totalSupply": "1000000000.0",
            }
        return {
            "funding": wire.num(st.funding_rate),
            "openInterest": wire.num(self.exchange.open_interest(m.spec.key) + 1000),
            "prevDayPx": common["prevDayPx"],
            "dayNtlVlm": common["dayNtlVlm"],
            "premium": wire.num(st.premium),
            "oraclePx": wire.num(st.oracle),
            "markPx": common["markPx"],
            "midPx": common["midPx"],
            "impactPxs": [wire.num(bid), wire.num(ask)] if bid is not None and ask is not None else None,
            "dayBaseVlm": common["dayBaseVlm"],
        }

    def _spot_meta(self) -> dict[str, Any]:
        return {
            "universe": [
                {
                    "tokens": [self.u.token_index(m.spec.base), self.u.token_index(m.spec.quote)],
                    "name": m.coin,
                    "index": m.index,
                    "isCanonical": m.index == 0,
                }
                for m in self.u.spots
            ],
            "tokens": self.u.tokens,
        }

    def _info_meta(self, b):
        return self._meta(self._dex(b))

    def _info_metaAndAssetCtxs(self, b):
        dex = self._dex(b)
        return [self._meta(dex), [self._asset_ctx(m) for m in self.u.perps.get(dex, [])]]

    def _info_allPerpMetas(self, b):
        return [self._meta(d) for d in self.u.dexes]

    def _info_perpDexs(self, b):
        out: list[Any] = [None]
        for d in self.u.dexes[1:]:
            out.append(
                {
                    "name": d,
                    "fullName": f"{d} (venuesim builder dex)",
                    "deployer": "0x" + "d" * 40,
                    "oracleUpdater": None,
                    "feeRecipient": None,
                    "assetToStreamingOiCap": [],
                    "subDeployers": [],
                    "deployerFeeScale": "1.0",
                    "lastDeployerFeeScaleChangeTime": "1970-01-01T00:00:00",
                    "assetToFundingMultiplier": [],
                    "assetToFundingInterestRate": [],
                }
            )
        return out

    def _info_spotMeta(self, b):
        return self._spot_meta()

    def _info_spotMetaAndAssetCtxs(self, b):
        return [self._spot_meta(), [self._asset_ctx(m) for m in self.u.spots]]

    def _mids(self, dex: str | None) -> dict[str, str]:
        out = {}
        markets = self.u.perps.get(dex or "", []) + (self.u.spots if not dex else [])
        for m in markets:
            out[m.coin] = wire.num(self.exchange.market(m.spec.key).mid)
        return out

    def _info_allMids(self, b):
        return self._mids(self._dex(b))

    def _market(self, coin: Any) -> HlMarket:
        m = self.u.resolve_coin(coin) if isinstance(coin, str) else None
        if m is None:
            raise BadRequest(f"{DESERIALIZE_ERROR}: unknown coin {coin!r}")
        return m

    def _book(self, m: HlMarket, n_sig_figs: int | None = None) -> dict[str, Any]:
        bids, asks = self.exchange.book(m.spec.key, depth=200 if n_sig_figs else 20)
        if n_sig_figs:
            bids = self._aggregate(bids, n_sig_figs, ROUND_FLOOR)
            asks = self._aggregate(asks, n_sig_figs, ROUND_CEILING)
        return {
            "coin": m.coin,
            "time": now_ms(),
            "levels": [[wire.level(*lv) for lv in bids[:20]], [wire.level(*lv) for lv in asks[:20]]],
        }

    @staticmethod
    def _aggregate(levels, sig: int, rounding) -> list[tuple[Decimal, Decimal, int]]:
        out: dict[Decimal, list] = {}
        for px, sz, n in levels:
            exp = px.adjusted() - sig + 1
            key = (
                px.quantize(Decimal(1).scaleb(exp), rounding=rounding)
                if exp > 0 or px != px.to_integral_value()
                else px
            )
            lv = out.setdefault(key, [Decimal(0), 0])
            lv[0] += sz
            lv[1] += n
        return [(px, v[0], v[1]) for px, v in out.items()]

    def _info_l2Book(self, b):
        sig = b.get("nSigFigs")
        if sig is not None and sig not in (2, 3, 4, 5):
            raise BadRequest(f"{DESERIALIZE_ERROR}: nSigFigs must be 2..5 or null")
        return self._book(self._market(b["coin"]), sig)

    def _trade(self, t, m: HlMarket) -> dict[str, Any]:
        return {
            "coin": m.coin,
            "side": t.side.value,
            "px": wire.num(t.price),
            "sz": wire.num(t.size),
            "time": t.time,
            "hash": t.hash,
            "tid": t.tid,
            "users": [t.buyer, t.seller],
        }

    def _info_recentTrades(self, b):
        m = self._market(b["coin"])
        trades = list(self.exchange.market(m.spec.key).trades)[-20:]
        return [self._trade(t, m) for t in reversed(trades)]

    def _candles(self, m: HlMarket, interval: str, start: int, end: int) -> list[dict[str, Any]]:
        step = INTERVAL_MS.get(interval)
        if step is None:
            raise BadRequest(f"{DESERIALIZE_ERROR}: unknown interval {interval!r}")
        buckets: dict[int, dict[str, Any]] = {}
        prev_vol = None
        for ts, mid, vol in self.exchange.market(m.spec.key).ticks:
            traded = Decimal(0) if prev_vol is None else max(Decimal(0), vol - prev_vol)
            prev_vol = vol
            if ts < start or ts > end:
                continue
            t0 = ts - ts % step
            c = buckets.get(t0)
            if c is None:
                buckets[t0] = c = {
                    "t": t0,
                    "T": t0 + step - 1,
                    "s": m.coin,
                    "i": interval,
                    "o": mid,
                    "c": mid,
                    "h": mid,
                    "l": mid,
                    "v": Decimal(0),
                    "n": 0,
                }
            c["c"] = mid
            c["h"] = max(c["h"], mid)
            c["l"] = min(c["l"], mid)
            c["v"] += traded
            c["n"] += 1
        out = []
        for t0 in sorted(buckets):
            c = buckets[t0]
            rnd = m.spec.round_price
            out.append(
                {
                    **c,
                    "o": wire.num(rnd(c["o"], False)),
                    "c": wire.num(rnd(c["c"], False)),
                    "h": wire.num(rnd(c["h"], True)),
                    "l": wire.num(rnd(c["l"], False)),
                    "v": wire.num(c["v"]),
                }
            )
        return out[-5000:]

    def _info_candleSnapshot(self, b):
        req = b["req"]
        m = self._market(req["coin"])
        return self._candles(m, req["interval"], int(req["startTime"]), int(req.get("endTime") or now_ms()))

    def _info_fundingHistory(self, b):
        m = self._market(b["coin"])
        start, end = int(b["startTime"]), int(b.get("endTime") or now_ms())
        hist = self.exchange.market(m.spec.key).funding_history
        rows = [(t, r, p) for t, r, p in hist if start <= t <= end]
        return [
            {"coin": m.coin, "fundingRate": wire.num(r), "premium": wire.num(p), "time": t}
            for t, r, p in rows[:500]
        ]

    def _info_predictedFundings(self, b):
        out = []
        for m in self.u.perps.get("", []):
            st = self.exchange.market(m.spec.key)
            nxt = (now_ms() // 3_600_000 + 1) * 3_600_000
            out.append(
                [
                    m.coin,
                    [
                        [
                            "HlPerp",
                            {
                                "fundingRate": wire.num(st.funding_rate),
                                "nextFundingTime": nxt,
                                "fundingIntervalHours": 1,
                            },
                        ]
                    ],
                ]
            )
        return out

    def _user(self, b: dict[str, Any]) -> str:
        user = b.get("user")
        if not isinstance(user, str) or not re.fullmatch(r"0x[0-9a-fA-F]{40}", user):
            raise BadRequest(f"{DESERIALIZE_ERROR}: invalid user address {user!r}")
        return user.lower()

    def _info_clearinghouseState(self, b):
        user, dex = self._user(b), self._dex(b)
        view = self.exchange.margin(user, dex)
        acct = self.exchange.account(user)
        positions = []
        ntl = Decimal(0)
        signed_ntl = Decimal(0)
        for m in self.u.perps.get(dex, []):
            pos = acct.positions.get(m.spec.key) if acct else None
            if pos is None or pos.szi == 0:
                continue
            mark = self.exchange.market(m.spec.key).mark
            lev = acct.lev(m.spec)
            value = abs(pos.szi) * mark
            ntl += value
            signed_ntl += pos.szi * mark
            upnl = pos.szi * (mark - pos.entry_px)
            margin_used = value / lev
            positions.append(
                {
                    "type": "oneWay",
                    "position": {
                        "coin": m.coin,
                        "szi": wire.num(pos.szi),
                        "leverage": {"type": "isolated" if dex else "cross", "value": lev}
                        | ({"rawUsd": wire.num(-pos.szi * pos.entry_px + margin_used)} if dex else {}),
                        "entryPx": wire.num(pos.entry_px.quantize(Decimal("0.000001"))),
                        "positionValue": wire.num(value.quantize(Decimal("0.000001"))),
                        "unrealizedPnl": wire.num(upnl.quantize(Decimal("0.000001"))),
                        "returnOnEquity": wire.num(
                            (upnl / margin_used).quantize(Decimal("0.00000001")) if margin_used else 0
                        ),
                        "liquidationPx": None,
                        "marginUsed": wire.num(margin_used.quantize(Decimal("0.000001"))),
                        "maxLeverage": m.spec.max_leverage,
                        "cumFunding": {
                            "allTime": wire.num(pos.cum_funding_all),
                            "sinceOpen": wire.num(pos.cum_funding_open),
                            "sinceChange": wire.num(pos.cum_funding_open),
                        },
                    },
                }
            )
        q = Decimal("0.000001")
        summary = {
            "accountValue": wire.num(view.account_value.quantize(q)),
            "totalNtlPos": wire.num(ntl.quantize(q)),
            "totalRawUsd": wire.num((view.account_value - signed_ntl).quantize(q)),
            "totalMarginUsed": wire.num(view.margin_used.quantize(q)),
        }
        return {
            "marginSummary": summary,
            "crossMarginSummary": summary,
            "crossMaintenanceMarginUsed": wire.num((view.margin_used / 2).quantize(q)),
            "withdrawable": wire.num(view.withdrawable.quantize(q)),
            "assetPositions": positions,
            "time": now_ms(),
        }

    def _info_spotClearinghouseState(self, b):
        user = self._user(b)
        acct = self.exchange.account(user)
        hold = self.exchange.spot_hold(user)
        balances = []
        for token, total in sorted(
            (acct.spot if acct else {}).items(), key=lambda kv: self.u.token_index(kv[0])
        ):
            balances.append(
                {
                    "coin": token,
                    "token": self.u.token_index(token),
                    "total": wire.num(total),
                    "hold": wire.num(hold.get(token, Decimal(0))),
                    "entryNtl": "0.0",
                }
            )
        return {"balances": balances}

    def _orders_of(self, user: str, dex: str | None) -> list[tuple[SimOrder, HlMarket]]:
        out = []
        for o in self.exchange.open_orders(user):
            m = self.u.by_key[o.market]
            if dex is None or (m.dex == dex or (dex == "" and m.dex == "spot")):
                out.append((o, m))
        return out

    def _info_openOrders(self, b):
        return [wire.open_order(o, m) for o, m in self._orders_of(self._user(b), self._dex(b))]

    def _info_frontendOpenOrders(self, b):
        return [wire.frontend_order(o, m) for o, m in self._orders_of(self._user(b), self._dex(b))]

    def _info_orderStatus(self, b):
        user = self._user(b)
        oid = b.get("oid")
        order = None
        if isinstance(oid, int):
            order = self.exchange.orders.get(oid)
            if order is not None and order.user != user:
                order = None
        elif isinstance(oid, str) and CLOID.match(oid):
            order = self.exchange.order_by_cloid(user, oid)
        else:
            raise BadRequest(f"{DESERIALIZE_ERROR}: oid must be an integer or a 16-byte hex cloid")
        if order is None:
            return {"status": "unknownOid"}
        m = self.u.by_key[order.market]
        return {
            "status": "order",
            "order": {
                "order": wire.frontend_order(order, m),
                "status": wire.order_status_string(order),
                "statusTimestamp": order.status_timestamp,
            },
        }

    def _info_historicalOrders(self, b):
        user = self._user(b)
        acct = self.exchange.account(user)
        rows = []
        for o in list(acct.closed_orders if acct else [])[::-1] + self.exchange.open_orders(user)[::-1]:
            m = self.u.by_key[o.market]
            rows.append(
                {
                    "order": wire.frontend_order(o, m),
                    "status": wire.order_status_string(o),
                    "statusTimestamp": o.status_timestamp,
                }
            )
        rows.sort(key=lambda r: r["statusTimestamp"], reverse=True)
        return rows[:2000]

    def _fills(self, user: str) -> list[Fill]:
        acct = self.exchange.account(user)
        return list(acct.fills) if acct else []

    def _info_userFills(self, b):
        user = self._user(b)
        return [wire.fill(f, self.u.by_key[f.market]) for f in reversed(self._fills(user))][:2000]

    def _info_userFillsByTime(self, b):
        user = self._user(b)
        start, end = int(b["startTime"]), int(b.get("endTime") or now_ms())
        rows = [f for f in self._fills(user) if start <= f.time <= end]
        return [wire.fill(f, self.u.by_key[f.market]) for f in rows][:2000]

    def _funding_delta(self, e: FundingEntry) -> dict[str, Any]:
        return {
            "type": "funding",
            "coin": self.u.by_key[e.market].coin,
            "usdc": wire.num(e.amount),
            "szi": wire.num(e.szi),
            "fundingRate": wire.num(e.rate),
            "nSamples": None,
        }

    def _info_userFunding(self, b):
        user = self._user(b)
        start, end = int(b["startTime"]), int(b.get("endTime") or now_ms())
        acct = self.exchange.account(user)
        rows = [e for e in (acct.fundings if acct else []) if start <= e.time <= end]
        return [{"time": e.time, "hash": "0x" + "0" * 64, "delta": self._funding_delta(e)} for e in rows]

    def _info_userFees(self, b):
        self._user(b)
        return {
            "dailyUserVlm": [],
            "feeSchedule": {"cross": "0.00045", "add": "0.00015", "spotCross": "0.0007", "spotAdd": "0.0004"},
            "userCrossRate": "0.00045",
            "userAddRate": "0.00015",
            "userSpotCrossRate": "0.0007",
            "userSpotAddRate": "0.0004",
            "activeReferralDiscount": "0.0",
            "trial": None,
            "feeTrialReward": "0.0",
            "nextTrialAvailableTimestamp": None,
            "stakingLink": None,
            "activeStakingDiscount": None,
        }

    def _info_userRateLimit(self, b):
        self._user(b)
        return {"cumVlm": "0.0", "nRequestsUsed": 0, "nRequestsCap": 10000, "nRequestsSurplus": 0}

    def _info_userRole(self, b):
        return self.auth.role(self._user(b))

    def _info_userAbstraction(self, b):
        self._user(b)
        return "disabled"

    def _info_extraAgents(self, b):
        user = self._user(b)
        return [
            {"name": name, "address": a, "validUntil": now_ms() + 180 * 86_400_000}
            for a, (master, name) in self.auth.registry.agents.items()
            if master == user
        ]

    def _info_maxBuilderFee(self, b):
        user = self._user(b)
        rate = self.auth.registry.builder_fees.get((user, str(b.get("builder", "")).lower()))
        return 0 if rate is None else int(Decimal(rate.rstrip("%")) * 1000)

    def _info_exchangeStatus(self, b):
        return {"time": now_ms(), "specialStatuses": None}

    # -- /exchange -------------------------------------------------------------------------------
    async def _exchange(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._read_json(request)
            action, nonce, signature = body["action"], body["nonce"], body["signature"]
            if not isinstance(action, dict) or not isinstance(nonce, int) or not isinstance(signature, dict):
                raise BadRequest(f"{DESERIALIZE_ERROR}: action/nonce/signature have the wrong type")
            if not {"r", "s", "v"} <= set(signature):
                raise BadRequest(f"{DESERIALIZE_ERROR}: signature needs r, s, v")
            kind = action.get("type")
            vault = body.get("vaultAddress")
            expires = body.get("expiresAfter")
            try:
                if kind in USER_SIGNED_TYPES:
                    ident = self.auth.verify_user_signed(action, nonce, signature)
                else:
                    ident = self.auth.verify_l1(action, nonce, signature, vault, expires)
            except AuthError as e:
                return json_response({"status": "err", "response": str(e)})
            handler = getattr(self, f"_act_{kind}", None) if isinstance(kind, str) else None
            if handler is None:
                return json_response(
                    {"status": "err", "response": f"venuesim does not simulate action {kind!r}"}
                )
            payload = handler(ident.user, action)
        except BadRequest as e:
            return web.Response(status=422, text=str(e))
        except KeyError as e:
            return web.Response(status=422, text=f"{DESERIALIZE_ERROR}: missing field {e}")
        return await self.ack(request, payload)

    @staticmethod
    def _ok(kind: str, statuses: list[Any] | None = None) -> dict[str, Any]:
        if statuses is None:
            return {"status": "ok", "response": {"type": kind}}
        return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}

    def _parse_order(self, w: dict[str, Any]) -> tuple[HlMarket | None, dict[str, Any]]:
        if not isinstance(w, dict) or not {"a", "b", "p", "s", "r", "t"} <= set(w):
            raise BadRequest(f"{DESERIALIZE_ERROR}: order needs a, b, p, s, r, t")
        tif_raw = (w["t"].get("limit") or {}).get("tif") if isinstance(w["t"], dict) else None
        if "trigger" in (w["t"] or {}):
            return None, {"error": "venuesim does not simulate trigger (TP/SL) orders"}
        if tif_raw not in ("Gtc", "Ioc", "Alo", "FrontendMarket"):
            raise BadRequest(f"{DESERIALIZE_ERROR}: unknown tif {tif_raw!r}")
        cloid = w.get("c")
        if cloid is not None and (not isinstance(cloid, str) or not CLOID.match(cloid)):
            raise BadRequest(f"{DESERIALIZE_ERROR}: cloid must be 0x + 32 hex digits")
        m = self.u.by_asset.get(w["a"]) if isinstance(w["a"], int) else None
        parsed = {
            "px": _dec(w["p"], "p"),
            "sz": _dec(w["s"], "s"),
            "is_buy": bool(w["b"]),
            "reduce_only": bool(w["r"]),
            "tif": Tif.IOC if tif_raw in ("Ioc", "FrontendMarket") else Tif(tif_raw),
            "cloid": cloid,
            "asset": w["a"],
        }
        return m, parsed

    def _validate(self, m: HlMarket | None, o: dict[str, Any]) -> str | None:
        if m is None:
            return f"Invalid asset: {o['asset']}"
        maxd = (6 if m.spec.kind == "perp" else 8) - m.sz_decimals
        if not price_ok(o["px"], maxd):
            return f"Price must be divisible by tick size. asset={m.asset}"
        if o["sz"] == 0:
            return "Order has zero size."
        if not size_ok(o["sz"], m.sz_decimals):
            return "Order has invalid size."
        if o["px"] * o["sz"] < m.spec.min_notional:
            kind = "" if m.spec.kind == "perp" else " in quote token"
            return f"Order must have minimum value of $10{kind}. asset={m.asset}"
        return None

    def _status(self, m: HlMarket, result: PlaceResult) -> dict[str, Any]:
        o = result.order
        cloid = {"cloid": o.cloid} if o.cloid else {}
        if o.status is OrderStatus.REJECTED:
            if o.reject is Reject.INJECTED:
                return {"error": self.sim.faults.matching.reject_reason}
            extra = ""
            if o.reject is Reject.POST_ONLY_WOULD_CROSS:
                bid, ask = self.exchange.best_bid_ask(m.spec.key)
                extra = f"{wire.num(bid) if bid else '-'}@{wire.num(ask) if ask else '-'}"
            return {"error": wire.reject_message(o.reject or Reject.INJECTED, m.asset, extra)}
        if o.status is OrderStatus.OPEN:
            return {"resting": {"oid": o.oid, **cloid}}
        return {
            "filled": {
                "totalSz": wire.num(o.filled),
                "avgPx": wire.num(o.avg_px or o.price),
                "oid": o.oid,
                **cloid,
            }
        }

    def _place(self, user: str, w: dict[str, Any]) -> dict[str, Any]:
        m, o = self._parse_order(w)
        if "error" in o:
            return o
        error = self._validate(m, o)
        if error:
            return {"error": error}
        assert m is not None
        if o["cloid"] and self.exchange.order_by_cloid(user, o["cloid"]) is not None:
            return {"error": f"Duplicate cloid {o['cloid']}. asset={m.asset}"}  # wording unconfirmed
        result = self.exchange.place(
            user,
            m.spec.key,
            Side.BUY if o["is_buy"] else Side.SELL,
            o["px"],
            o["sz"],
            o["tif"],
            o["reduce_only"],
            o["cloid"],
        )
        return self._status(m, result)

    def _act_order(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        orders = action.get("orders")
        if not isinstance(orders, list):
            raise BadRequest(f"{DESERIALIZE_ERROR}: orders must be a list")
        if action.get("grouping", "na") not in ("na", "normalTpsl", "positionTpsl") and not isinstance(
            action.get("grouping"), dict
        ):
            raise BadRequest(f"{DESERIALIZE_ERROR}: unknown grouping")
        return self._ok("order", [self._place(user, w) for w in orders])

    def _cancel_one(self, user: str, asset: Any, oid: int | None = None, cloid: str | None = None) -> Any:
        m = self.u.by_asset.get(asset) if isinstance(asset, int) else None
        order = None
        if m is not None:
            if oid is not None:
                o = self.exchange.orders.get(oid)
                order = self.exchange.cancel(user, oid) if o is not None and o.market == m.spec.key else None
            elif cloid is not None:
                o = self.exchange.order_by_cloid(user, cloid)
                order = (
                    self.exchange.cancel(user, o.oid) if o is not None and o.market == m.spec.key else None
                )
        return "success" if order is not None else {"error": CANCEL_MISSING.format(asset=asset)}

    def _act_cancel(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        cancels = action.get("cancels")
        if not isinstance(cancels, list) or not all(
            isinstance(c, dict) and "a" in c and "o" in c for c in cancels
        ):
            raise BadRequest(f"{DESERIALIZE_ERROR}: cancels need a and o")
        return self._ok("cancel", [self._cancel_one(user, c["a"], oid=c["o"]) for c in cancels])

    def _act_cancelByCloid(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        cancels = action.get("cancels")
        if not isinstance(cancels, list) or not all(
            isinstance(c, dict) and "asset" in c and "cloid" in c for c in cancels
        ):
            raise BadRequest(f"{DESERIALIZE_ERROR}: cancels need asset and cloid")
        return self._ok("cancel", [self._cancel_one(user, c["asset"], cloid=c["cloid"]) for c in cancels])

    def _modify_one(self, user: str, mod: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(mod, dict) or "oid" not in mod or "order" not in mod:
            raise BadRequest(f"{DESERIALIZE_ERROR}: modify needs oid and order")
        m, o = self._parse_order(mod["order"])
        if "error" in o:
            return o
        error = self._validate(m, o)
        if error:
            return {"error": error}
        assert m is not None
        ref = mod["oid"]
        existing = (
            self.exchange.orders.get(ref)
            if isinstance(ref, int)
            else self.exchange.order_by_cloid(user, str(ref))
        )
        if existing is None or existing.status is not OrderStatus.OPEN or existing.user != user:
            return {"error": "Cannot modify canceled or filled order"}
        result = self.exchange.modify(
            user,
            existing.oid,
            Side.BUY if o["is_buy"] else Side.SELL,
            o["px"],
            o["sz"],
            o["tif"],
            o["reduce_only"],
            o["cloid"],
        )
        if result is None:
            return {"error": "Cannot modify canceled or filled order"}
        return self._status(m, result)

    def _act_modify(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        status = self._modify_one(user, action)
        if "error" in status:
            return {"status": "err", "response": status["error"]}
        return self._ok("default")

    def _act_batchModify(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        mods = action.get("modifies")
        if not isinstance(mods, list):
            raise BadRequest(f"{DESERIALIZE_ERROR}: modifies must be a list")
        return self._ok("batchModify", [self._modify_one(user, mod) for mod in mods])

    def _act_scheduleCancel(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        t = action.get("time")
        if t is None:
            self._schedule_cancel.pop(user, None)
            return self._ok("default")
        if not isinstance(t, int) or t < now_ms() + 5000:
            return {
                "status": "err",
                "response": "Scheduled cancel time too early, must be at least 5 seconds from now.",
            }
        self._schedule_cancel[user] = t
        asyncio.get_running_loop().call_later((t - now_ms()) / 1000, self._fire_schedule_cancel, user, t)
        return self._ok("default")

    def _fire_schedule_cancel(self, user: str, t: int) -> None:
        if self._schedule_cancel.get(user) == t:
            del self._schedule_cancel[user]
            self.exchange.cancel_all(user)

    def _act_updateLeverage(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        asset = action.get("asset")
        m = self.u.by_asset.get(asset) if isinstance(asset, int) else None
        if m is None or m.spec.kind != "perp":
            return {"status": "err", "response": f"Invalid asset {action.get('asset')}"}
        try:
            self.exchange.set_leverage(user, m.spec.key, int(action["leverage"]))
        except ValueError as e:
            return {"status": "err", "response": str(e)}
        return self._ok("default")

    def _act_noop(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        return self._ok("default")

    def _act_setReferrer(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        return self._ok("default")

    def _act_approveAgent(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        self.auth.add_agent(user, action["agentAddress"], action.get("agentName") or "")
        return self._ok("default")

    def _act_approveBuilderFee(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        self.auth.registry.builder_fees[(user, str(action["builder"]).lower())] = str(action["maxFeeRate"])
        return self._ok("default")

    # -- WebSocket -------------------------------------------------------------------------------
    async def _ws(self, request: web.Request) -> web.StreamResponse:
        accepted = await self.accept_ws(request)
        if accepted is None:
            return web.Response(status=503, text="venuesim: refusing connections (fault injection)")
        ws, sock = accepted
        sock.send("Websocket connection established.", data=False)
        try:
            async for text in self.ws_messages(ws):
                self._on_ws_text(sock, text)
        finally:
            self._forget(sock)
            await sock.close()
        return ws

    def _forget(self, sock: FaultySocket) -> None:
        for ident in self._sock_subs.pop(sock, {}):
            self._subs[ident].discard(sock)
        self.sockets.discard(sock)

    def _ws_error(self, sock: FaultySocket, message: str) -> None:
        sock.send(json.dumps({"channel": "error", "data": message}), data=False)

    def _on_ws_text(self, sock: FaultySocket, text: str) -> None:
        try:
            msg = json.loads(text)
        except json.JSONDecodeError:
            self._ws_error(sock, f"Invalid message: {text[:100]}")
            return
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            sock.send('{"channel":"pong"}', data=False)
            return
        if method in ("subscribe", "unsubscribe"):
            sub = msg.get("subscription")
            try:
                ident = self._identifier(sub)
            except (BadRequest, KeyError, TypeError) as e:
                self._ws_error(sock, f"Invalid subscription {json.dumps(sub)}: {e}")
                return
            if method == "subscribe":
                if ident in self._sock_subs[sock]:
                    self._ws_error(sock, f"Already subscribed: {json.dumps(sub)}")
                    return
                self._sock_subs[sock][ident] = sub
                self._subs[ident].add(sock)
                sock.send(json.dumps({"channel": "subscriptionResponse", "data": msg}), data=False)
                self._initial(sock, sub)
            else:
                if self._sock_subs[sock].pop(ident, None) is None:
                    self._ws_error(sock, f"Already unsubscribed: {json.dumps(sub)}")
                    return
                self._subs[ident].discard(sock)
                sock.send(json.dumps({"channel": "subscriptionResponse", "data": msg}), data=False)
            return
        self._ws_error(sock, f"Unknown method: {text[:100]}")

    def _identifier(self, sub: Any) -> str:
        if not isinstance(sub, dict):
            raise BadRequest("subscription must be an object")
        kind = sub["type"]
        if kind in ("l2Book", "bbo", "trades", "activeAssetCtx"):
            return f"{kind}:{self._market(sub['coin']).coin}"
        if kind == "candle":
            if sub["interval"] not in INTERVAL_MS:
                raise BadRequest(f"unknown interval {sub['interval']}")
            return f"candle:{self._market(sub['coin']).coin}:{sub['interval']}"
        if kind == "allMids":
            return f"allMids:{sub.get('dex') or ''}"
        if kind in ("orderUpdates", "userFills", "userFundings", "userEvents"):
            return f"{kind}:{self._user(sub)}"
        raise BadRequest(f"unknown subscription type {kind!r}")

    def _push(self, ident: str, channel: str, data: Any) -> None:
        socks = self._subs.get(ident)
        if not socks:
            return
        text = json.dumps({"channel": channel, "data": data}, separators=(",", ":"))
        for s in list(socks):
            s.send(text)

    def _initial(self, sock: FaultySocket, sub: dict[str, Any]) -> None:
        kind = sub["type"]

        def send(channel, data):
            return sock.send(json.dumps({"channel": channel, "data": data}, separators=(",", ":")))

        if kind == "l2Book":
            send("l2Book", self._book(self._market(sub["coin"])))
        elif kind == "bbo":
            send("bbo", self._bbo(self._market(sub["coin"])))
        elif kind == "activeAssetCtx":
            m = self._market(sub["coin"])
            send(
                "activeAssetCtx" if m.spec.kind == "perp" else "activeSpotAssetCtx",
                {"coin": m.coin, "ctx": self._asset_ctx(m)},
            )
        elif kind == "allMids":
            send("allMids", {"mids": self._mids(sub.get("dex") or None)})
        elif kind == "userFills":
            user = self._user(sub)
            fills = [wire.fill(f, self.u.by_key[f.market]) for f in self._fills(user)][-100:]
            send("userFills", {"isSnapshot": True, "user": user, "fills": fills})
        elif kind == "userFundings":
            user = self._user(sub)
            acct = self.exchange.account(user)
            rows = [
                {"time": e.time, **{k: v for k, v in self._funding_delta(e).items() if k != "type"}}
                for e in (acct.fundings if acct else [])
            ][-100:]
            send("userFundings", {"isSnapshot": True, "user": user, "fundings": rows})

    def _bbo(self, m: HlMarket) -> dict[str, Any]:
        bids, asks = self.exchange.book(m.spec.key, depth=1)
        return {
            "coin": m.coin,
            "time": now_ms(),
            "bbo": [wire.level(*bids[0]) if bids else None, wire.level(*asks[0]) if asks else None],
        }

    # -- core events -> pushes -------------------------------------------------------------------
    def on_event(self, event: SimEvent) -> None:
        if isinstance(event, BookEvent):
            m = self.u.by_key[event.market]
            if self._subs.get(f"l2Book:{m.coin}"):
                self._push(f"l2Book:{m.coin}", "l2Book", self._book(m))
            if self._subs.get(f"bbo:{m.coin}"):
                bbo = self._bbo(m)
                key = tuple(json.dumps(x) for x in bbo["bbo"])
                if self._last_bbo.get(m.coin) != key:
                    self._last_bbo[m.coin] = key
                    self._push(f"bbo:{m.coin}", "bbo", bbo)
            if self._subs.get(f"activeAssetCtx:{m.coin}"):
                channel = "activeAssetCtx" if m.spec.kind == "perp" else "activeSpotAssetCtx"
                self._push(f"activeAssetCtx:{m.coin}", channel, {"coin": m.coin, "ctx": self._asset_ctx(m)})
            for interval in INTERVAL_MS:
                ident = f"candle:{m.coin}:{interval}"
                if self._subs.get(ident):
                    candles = self._candles(m, interval, now_ms() - INTERVAL_MS[interval], now_ms())
                    if candles:
                        self._push(ident, "candle", candles[-1])
            for dex in {"", m.dex if m.dex != "spot" else ""}:
                if self._subs.get(f"allMids:{dex}"):
                    self._push(f"allMids:{dex}", "allMids", {"mids": self._mids(dex or None)})
        elif isinstance(event, TradeEvent):
            m = self.u.by_key[event.trade.market]
            self._push(f"trades:{m.coin}", "trades", [self._trade(event.trade, m)])
        elif isinstance(event, FillEvent):
            f = event.fill
            data = wire.fill(f, self.u.by_key[f.market])
            self._push(f"userFills:{f.user}", "userFills", {"user": f.user, "fills": [data]})
            self._push(f"userEvents:{f.user}", "user", {"fills": [data]})
        elif isinstance(event, OrderEvent):
            o = event.order
            self._push(
                f"orderUpdates:{o.user}", "orderUpdates", [wire.order_update(o, self.u.by_key[o.market])]
            )
        elif isinstance(event, FundingEvent):
            e = event.entry
            delta = self._funding_delta(e)
            row = {"time": e.time, **{k: v for k, v in delta.items() if k != "type"}}
            self._push(f"userFundings:{e.user}", "userFundings", {"user": e.user, "fundings": [row]})
            self._push(
                f"userEvents:{e.user}", "user", {"funding": {k: v for k, v in row.items() if k != "time"}}
            )
        elif isinstance(event, FundingRateEvent):
            m = self.u.by_key[event.market]
            if self._subs.get(f"activeAssetCtx:{m.coin}"):
                self._push(
                    f"activeAssetCtx:{m.coin}", "activeAssetCtx", {"coin": m.coin, "ctx": self._asset_ctx(m)}
                )

    async def drop_sockets(self, refuse_ms: int = 0) -> int:
        dropped = await super().drop_sockets(refuse_ms)
        for sock in list(self._sock_subs):
            self._forget(sock)
        return dropped
