"""Public REST: server time, contracts and spot symbols, books, tickers, funding (current rate,
next time, history), candles and recent trades, in the shapes of Bitget's v2 replies."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuesim.core.model import Side
from venuesim.core.model import now_ms
from venuesim.fronts.bitget import protocol as p
from venuesim.fronts.bitget.state import FrontState
from venuesim.fronts.bitget.universe import BgMarket

HOUR_MS = 3_600_000
GRANULARITY_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1H": 3_600_000,
    "4H": 14_400_000, "6H": 21_600_000, "12H": 43_200_000, "1D": 86_400_000, "3D": 259_200_000,
    "1W": 604_800_000, "1M": 2_592_000_000, "6Hutc": 21_600_000, "12Hutc": 43_200_000,
    "1Dutc": 86_400_000, "3Dutc": 259_200_000, "1Wutc": 604_800_000, "1Mutc": 2_592_000_000,
}  # fmt: skip
SPOT_GRANULARITY = {
    "1min": "1m", "3min": "3m", "5min": "5m", "15min": "15m", "30min": "30m", "1h": "1H", "4h": "4H",
    "6h": "6H", "12h": "12H", "1day": "1D", "3day": "3D", "1week": "1W", "1M": "1M",
    "6Hutc": "6Hutc", "12Hutc": "12Hutc", "1Dutc": "1Dutc", "3Dutc": "3Dutc", "1Wutc": "1Wutc",
    "1Mutc": "1Mutc",
}  # fmt: skip
OTHER_PRODUCTS = {"COIN-FUTURES", "USDC-FUTURES", "SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def next_funding_ms(interval_hours: int, now: int | None = None) -> int:
    step = interval_hours * HOUR_MS
    t = now if now is not None else now_ms()
    return (t // step + 1) * step


class MarketApi(FrontState):
    def _public(self, fn: Callable[[dict[str, str]], Any]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                return p.ok(fn(self._query(request)))
            except p.BgError as e:
                return p.error_response(e)

        return handler

    def market_routes(self, app: web.Application) -> None:
        get = app.router.add_get
        get("/api/v2/public/time", self._public(lambda q: {"serverTime": str(now_ms())}))
        get("/api/v2/mix/market/contracts", self._public(self._contracts))
        get("/api/v2/spot/public/symbols", self._public(self._symbols))
        get("/api/v2/spot/public/coins", self._public(self._coins))
        get("/api/v2/margin/currencies", self._public(lambda q: []))
        get("/api/v2/mix/market/merge-depth", self._public(self._merge_depth))
        get("/api/v2/spot/market/orderbook", self._public(self._spot_book))
        get("/api/v2/spot/market/merge-depth", self._public(self._spot_book))
        get("/api/v2/mix/market/ticker", self._public(lambda q: [self._ticker(self._perp(q))]))
        get("/api/v2/mix/market/tickers", self._public(self._tickers))
        get("/api/v2/spot/market/tickers", self._public(self._spot_tickers))
        get("/api/v2/mix/market/symbol-price", self._public(self._symbol_price))
        get("/api/v2/mix/market/current-fund-rate", self._public(self._current_fund_rate))
        get("/api/v2/mix/market/funding-time", self._public(self._funding_time))
        get("/api/v2/mix/market/history-fund-rate", self._public(self._history_fund_rate))
        get("/api/v2/mix/market/open-interest", self._public(self._open_interest))
        get("/api/v2/mix/market/candles", self._public(self._mix_candles))
        get("/api/v2/mix/market/history-candles", self._public(self._mix_candles))
        get("/api/v2/spot/market/candles", self._public(self._spot_candles))
        get("/api/v2/spot/market/history-candles", self._public(self._spot_candles))
        get("/api/v2/mix/market/fills", self._public(lambda q: self._trades(self._perp(q), q)))
        get("/api/v2/mix/market/fills-history", self._public(lambda q: self._trades(self._perp(q), q)))
        get("/api/v2/spot/market/fills", self._public(lambda q: self._trades(self._spot(q), q)))

    # -- instruments -----------------------------------------------------------------------------
    def _contract(self, m: BgMarket) -> dict[str, Any]:
        return {
            "symbol": m.symbol,
            "baseCoin": m.base,
            "quoteCoin": m.quote,
            "buyLimitPriceRatio": "0.05",
            "sellLimitPriceRatio": "0.05",
            "feeRateUpRatio": "0.005",
            "makerFeeRate": p.num(m.spec.maker_fee),
            "takerFeeRate": p.num(m.spec.taker_fee),
            "openCostUpRatio": "0.01",
            "supportMarginCoins": ["USDT"],
            "minTradeNum": p.num(m.min_trade_num),
            "priceEndStep": str(m.price_end_step),
            "volumePlace": str(m.volume_place),
            "pricePlace": str(m.price_place),
            "sizeMultiplier": p.num(m.size_multiplier),
            "symbolType": "perpetual",
            "minTradeUSDT": p.num(m.min_trade_usdt),
            "maxSymbolOrderNum": "999999",
            "maxProductOrderNum": "999999",
            "maxPositionNum": "150",
            "symbolStatus": m.status,
            "offTime": "-1",
            "limitOpenTime": "-1",
            "deliveryTime": "",
            "deliveryStartTime": "",
            "deliveryPeriod": "",
            "launchTime": "",
            "fundInterval": str(m.fund_interval),
            "minLever": "1",
            "maxLever": str(m.max_leverage),
            "posLimit": "0.05",
            "maintainTime": "",
            "maxMarketOrderQty": p.num(m.size_multiplier * 1_000_000),
            "maxOrderQty": p.num(m.size_multiplier * 10_000_000),
        }

    def _contracts(self, q: dict[str, str]) -> list[dict[str, Any]]:
        product = (q.get("productType") or "").upper()
        if product in OTHER_PRODUCTS:
            return []  # the simulator lists USDT-M perpetuals only
        if product != "USDT-FUTURES":
            raise p.BgError(p.PARAM_BAD, "Parameter productType error")
        symbol = (q.get("symbol") or "").upper()
        return [self._contract(m) for m in self.u.perps() if not symbol or m.symbol == symbol]

    def _symbols(self, q: dict[str, str]) -> list[dict[str, Any]]:
        symbol = (q.get("symbol") or "").upper()
        return [
            {
                "symbol": m.symbol,
                "baseCoin": m.base,
                "quoteCoin": m.quote,
                "minTradeAmount": p.num(m.min_trade_num),
                "maxTradeAmount": "10000000000",
                "takerFeeRate": p.num(m.spec.taker_fee),
                "makerFeeRate": p.num(m.spec.maker_fee),
                "pricePrecision": str(m.price_place),
                "quantityPrecision": str(m.volume_place),
                "quotePrecision": str(m.price_place + m.volume_place),
                "status": m.status,
                "minTradeUSDT": p.num(m.min_trade_usdt),
                "buyLimitPriceRatio": "0.05",
                "sellLimitPriceRatio": "0.05",
                "areaSymbol": "no",
                "orderQuantity": "200",
                "openTime": "",
            }
            for m in self.u.spots()
            if not symbol or m.symbol == symbol
        ]

    def _coins(self, q: dict[str, str]) -> list[dict[str, Any]]:
        coins = sorted({m.base for m in self.u.spots()} | {"USDT"})
        return [
            {"coinId": str(i + 1), "coin": c, "transfer": "true", "chains": []} for i, c in enumerate(coins)
        ]

    # -- books, tickers --------------------------------------------------------------------------
    def _levels(self, m: BgMarket, depth: int) -> tuple[list[list[str]], list[list[str]]]:
        bids, asks = self.exchange.book(m.key, depth=depth)
        return [[m.px(px), m.sz(sz)] for px, sz, _ in bids], [[m.px(px), m.sz(sz)] for px, sz, _ in asks]

    @staticmethod
    def _depth_limit(q: dict[str, str], default: int) -> int:
        limit = q.get("limit") or str(default)
        if limit == "max":
            return 150
        n = p.int_param({"limit": limit}, "limit", default) or default
        return max(1, min(n, 150))

    def _merge_depth(self, q: dict[str, str]) -> dict[str, Any]:
        m = self._perp(q)
        bids, asks = self._levels(m, self._depth_limit(q, 100))
        return {
            "asks": asks,
            "bids": bids,
            "ts": str(now_ms()),
            "scale": p.num(m.tick),
            "precision": q.get("precision") or "scale0",
            "isMaxPrecision": "YES",
        }

    def _spot_book(self, q: dict[str, str]) -> dict[str, Any]:
        m = self._spot(q)
        bids, asks = self._levels(m, self._depth_limit(q, 100))
        return {"asks": asks, "bids": bids, "ts": str(now_ms())}

    def _last_price(self, m: BgMarket) -> Decimal:
        st = self.exchange.market(m.key)
        return st.trades[-1].price if st.trades else st.mark

    def _ticker(self, m: BgMarket) -> dict[str, Any]:
        st = self.exchange.market(m.key)
        bids, asks = self.exchange.book(m.key, depth=1)
        last = self._last_price(m)
        opened = st.prev_day_px or last
        common = {
            "symbol": m.symbol,
            "lastPr": m.px(last),
            "askPr": m.px(asks[0][0]) if asks else "",
            "bidPr": m.px(bids[0][0]) if bids else "",
            "bidSz": m.sz(bids[0][1]) if bids else "",
            "askSz": m.sz(asks[0][1]) if asks else "",
            "high24h": m.px(max(last, opened)),
            "low24h": m.px(min(last, opened)),
            "ts": str(now_ms()),
            "change24h": p.num(((last - opened) / opened).quantize(Decimal("0.00001"))) if opened else "0",
            "baseVolume": p.num(st.day_base),
            "quoteVolume": p.num(st.day_notional),
            "usdtVolume": p.num(st.day_notional),
            "openUtc": m.px(opened),
            "changeUtc24h": "0",
            "open24h": m.px(opened),
        }
        if m.is_spot:
            return common | {"open": m.px(opened)}
        return common | {
            "indexPrice": m.px(st.oracle),
            "fundingRate": p.num(st.funding_rate),
            "holdingAmount": m.sz(self.exchange.open_interest(m.key)),
            "deliveryStartTime": None,
            "deliveryTime": None,
            "deliveryStatus": "",
            "markPrice": m.px(st.mark),
            "nextFundingTime": str(next_funding_ms(m.fund_interval)),
        }

    def _tickers(self, q: dict[str, str]) -> list[dict[str, Any]]:
        product = (q.get("productType") or "").upper()
        if product in OTHER_PRODUCTS:
            return []
        if product != "USDT-FUTURES":
            raise p.BgError(p.PARAM_BAD, "Parameter productType error")
        return [self._ticker(m) for m in self.u.perps()]

    def _spot_tickers(self, q: dict[str, str]) -> list[dict[str, Any]]:
        symbol = (q.get("symbol") or "").upper()
        return [self._ticker(m) for m in self.u.spots() if not symbol or m.symbol == symbol]

    def _symbol_price(self, q: dict[str, str]) -> list[dict[str, Any]]:
        m = self._perp(q)
        st = self.exchange.market(m.key)
        return [
            {
                "symbol": m.symbol,
                "price": m.px(self._last_price(m)),
                "indexPrice": m.px(st.oracle),
                "markPrice": m.px(st.mark),
                "ts": str(now_ms()),
            }
        ]

    def _open_interest(self, q: dict[str, str]) -> dict[str, Any]:
        m = self._perp(q)
        return {
            "openInterestList": [{"symbol": m.symbol, "size": m.sz(self.exchange.open_interest(m.key))}],
            "ts": str(now_ms()),
        }

    # -- funding ---------------------------------------------------------------------------------
    def _current_fund_rate(self, q: dict[str, str]) -> list[dict[str, Any]]:
        m = self._perp(q)
        st = self.exchange.market(m.key)
        return [
            {
                "symbol": m.symbol,
                "fundingRate": p.num(st.funding_rate),
                "fundingRateInterval": str(m.fund_interval),
                "nextUpdate": str(next_funding_ms(m.fund_interval)),
                "minFundingRate": "-0.003",
                "maxFundingRate": "0.003",
            }
        ]

    def _funding_time(self, q: dict[str, str]) -> list[dict[str, Any]]:
        m = self._perp(q)
        return [
            {
                "symbol": m.symbol,
                "nextFundingTime": str(next_funding_ms(m.fund_interval)),
                "ratePeriod": str(m.fund_interval),
            }
        ]

    def _history_fund_rate(self, q: dict[str, str]) -> list[dict[str, Any]]:
        m = self._perp(q)
        size = max(1, min(100, p.int_param(q, "pageSize", 20) or 20))
        page = max(1, p.int_param(q, "pageNo", 1) or 1)
        rows = list(reversed(self.exchange.market(m.key).funding_history))  # newest first
        chunk = rows[(page - 1) * size : page * size]
        return [
            {"symbol": m.symbol, "fundingRate": p.num(rate), "fundingTime": str(t)} for t, rate, _ in chunk
        ]

    # -- candles, trades -------------------------------------------------------------------------
    def _candles(
        self, m: BgMarket, step: int, start: int | None, end: int | None, limit: int
    ) -> list[list[str]]:
        buckets: dict[int, list[Decimal]] = {}  # open ms -> [o, h, l, c, base volume, quote volume]
        prev_vol = None
        for ts, mid, vol in self.exchange.market(m.key).ticks:
            traded = Decimal(0) if prev_vol is None else max(Decimal(0), vol - prev_vol)
            prev_vol = vol
            t0 = ts - ts % step
            if (start is not None and t0 < start) or (end is not None and t0 > end):
                continue
            c = buckets.get(t0)
            if c is None:
                buckets[t0] = c = [mid, mid, mid, mid, Decimal(0), Decimal(0)]
            c[1], c[2], c[3] = max(c[1], mid), min(c[2], mid), mid
            c[4] += traded
            c[5] += traded * mid
        rows = []
        for t0 in sorted(buckets)[-limit:]:
            o, h, low, close, v, qv = buckets[t0]
            rnd = m.spec.round_price
            rows.append(
                [str(t0), m.px(rnd(o, False)), m.px(rnd(h, True)), m.px(rnd(low, False)), m.px(rnd(close, False)),
                 m.sz(v), p.num(qv.quantize(Decimal("0.0001"))), p.num(qv.quantize(Decimal("0.0001")))]
            )  # fmt: skip
        return rows

    def _mix_candles(self, q: dict[str, str]) -> list[list[str]]:
        m = self._perp(q)
        g = p.require(q, "granularity")
        step = GRANULARITY_MS.get(g)
        if step is None:
            raise p.BgError(p.PARAM_BAD, "Parameter granularity error")
        limit = max(1, min(1000, p.int_param(q, "limit", 100) or 100))
        rows = self._candles(m, step, p.int_param(q, "startTime"), p.int_param(q, "endTime"), limit)
        return [r[:7] for r in rows]

    def _spot_candles(self, q: dict[str, str]) -> list[list[str]]:
        m = self._spot(q)
        g = SPOT_GRANULARITY.get(p.require(q, "granularity"))
        if g is None:
            raise p.BgError(p.PARAM_BAD, "Parameter granularity error")
        limit = max(1, min(1000, p.int_param(q, "limit", 100) or 100))
        return self._candles(
            m, GRANULARITY_MS[g], p.int_param(q, "startTime"), p.int_param(q, "endTime"), limit
        )

    def _trade(self, t, m: BgMarket) -> dict[str, Any]:
        return {
            "tradeId": str(t.tid),
            "price": m.px(t.price),
            "size": m.sz(t.size),
            "side": "buy" if t.side is Side.BUY else "sell",
            "ts": str(t.time),
            "symbol": m.symbol,
        }

    def _trades(self, m: BgMarket, q: dict[str, str]) -> list[dict[str, Any]]:
        limit = max(1, min(1000, p.int_param(q, "limit", 100) or 100))
        trades = list(self.exchange.market(m.key).trades)[-limit:]
        return [self._trade(t, m) for t in reversed(trades)]  # newest first
