"""`POST /info`: market metadata, books, trades, candles, funding, and account queries, shaped
like the venue's replies (see `tests/test_hyperliquid_payloads.py` for the field-by-field check
against recorded venue replies)."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.core.model import Fill
from venuesim.core.model import FundingEntry
from venuesim.core.model import SimOrder
from venuesim.core.model import now_ms
from venuesim.fronts.base import json_response
from venuesim.fronts.hyperliquid import wire
from venuesim.fronts.hyperliquid.protocol import CLOID
from venuesim.fronts.hyperliquid.protocol import DESERIALIZE_ERROR
from venuesim.fronts.hyperliquid.protocol import INTERVAL_MS
from venuesim.fronts.hyperliquid.protocol import BadRequest
from venuesim.fronts.hyperliquid.protocol import FrontState
from venuesim.fronts.hyperliquid.universe import HlMarket


class InfoApi(FrontState):
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

    def _bbo(self, m: HlMarket) -> dict[str, Any]:
        bids, asks = self.exchange.book(m.spec.key, depth=1)
        return {
            "coin": m.coin,
            "time": now_ms(),
            "bbo": [wire.level(*bids[0]) if bids else None, wire.level(*asks[0]) if asks else None],
        }
