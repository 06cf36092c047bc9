"""Public REST (`/v5/market/*`): server time, instruments, tickers, order book, klines (last, mark
and index price), funding history and recent trades - with the venue's paging and limits.

Paging as on the venue: `instruments-info` pages linear symbols with `cursor`/`nextPageCursor`
(spot is one page); `kline` returns up to `limit` candles ending at `end`, newest first;
`funding/history` returns up to `limit` settlements ending at `endTime`, newest first, and refuses
`startTime` alone.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from venuesim.core.model import Side
from venuesim.core.model import now_ms
from venuesim.fronts.bybit.history import bucket_start
from venuesim.fronts.bybit.protocol import CATEGORIES
from venuesim.fronts.bybit.protocol import KLINE_MS
from venuesim.fronts.bybit.protocol import BybitError
from venuesim.fronts.bybit.protocol import decode_cursor
from venuesim.fronts.bybit.protocol import encode_cursor
from venuesim.fronts.bybit.protocol import fmt
from venuesim.fronts.bybit.protocol import param_error
from venuesim.fronts.bybit.protocol import parse_int
from venuesim.fronts.bybit.state import FrontState
from venuesim.fronts.bybit.state import trade_id
from venuesim.fronts.bybit.universe import BybitMarket

INSTRUMENTS_PAGE = 500
DAY_STATS_MS = 1000  # 24 h statistics are recomputed at most this often
BOOK_LIMITS = {"spot": (1, 200), "linear": (25, 500)}  # (default, max) levels per side


class MarketApi(FrontState):
    def category(self, params: dict[str, Any], default: str | None = None) -> str:
        category = params.get("category") or default
        if category is None:
            raise param_error("category is required")
        if category not in CATEGORIES:
            raise param_error(f"category {category!r} invalid")
        return category

    def market(self, params: dict[str, Any], category: str) -> BybitMarket:
        symbol = params.get("symbol")
        if not symbol:
            raise param_error("symbol is required")
        m = self.u.get(category, str(symbol))
        if m is None:
            raise param_error(f"symbol invalid: {symbol}")
        return m

    # -- endpoints ----------------------------------------------------------------------------------
    def get_time(self, params: dict[str, Any]) -> dict[str, Any]:
        ns = time.time_ns()
        return {"timeSecond": str(ns // 1_000_000_000), "timeNano": str(ns)}

    def get_instruments(self, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        markets = self.u.of(category)
        if params.get("symbol"):
            markets = [m for m in markets if m.symbol == str(params["symbol"]).upper()]
        if params.get("baseCoin"):
            markets = [m for m in markets if m.base == params["baseCoin"]]
        if params.get("status") and params["status"] != "Trading":
            markets = []
        out: dict[str, Any] = {"category": category}
        if category == "spot":
            return {**out, "list": [m.instrument_info() for m in markets], "nextPageCursor": ""}
        limit = parse_int(params.get("limit"), "limit", INSTRUMENTS_PAGE) or INSTRUMENTS_PAGE
        if not 1 <= limit <= 1000:
            raise param_error("limit must be in [1, 1000]")
        offset = decode_cursor(params.get("cursor"))
        page = markets[offset : offset + limit]
        more = offset + limit < len(markets)
        return {
            **out,
            "list": [m.instrument_info() for m in page],
            "nextPageCursor": encode_cursor(offset + limit) if more else "",
        }

    def ticker(self, m: BybitMarket) -> dict[str, Any]:
        st = self.exchange.market(m.key)
        bids, asks = self.exchange.book(m.key, depth=1)
        last = st.trades[-1].price if st.trades else st.mark
        t = now_ms()
        cached = self._day_stats.get(m.key)
        if cached is None or t - cached[0] > DAY_STATS_MS:
            day = self.history.candles(m, "60", t - 86_400_000, t)
            cached = self._day_stats[m.key] = (
                t,
                day[0].open if day else last,
                max((c.high for c in day), default=last),
                min((c.low for c in day), default=last),
                sum((c.volume for c in day), Decimal(0)),
                sum((c.turnover for c in day), Decimal(0)),
                day[-1].open if day else last,
            )
        _, prev24, high, low, volume, turnover, prev1h = cached
        common = {
            "symbol": m.symbol,
            "bid1Price": m.px(bids[0][0]) if bids else "",
            "bid1Size": m.qty(bids[0][1]) if bids else "",
            "ask1Price": m.px(asks[0][0]) if asks else "",
            "ask1Size": m.qty(asks[0][1]) if asks else "",
            "lastPrice": m.px(last),
            "prevPrice24h": m.px(prev24),
            "price24hPcnt": fmt(
                ((last / prev24) - 1).quantize(Decimal("0.000001")) if prev24 else Decimal(0)
            ),
            "highPrice24h": m.px(max(high, last)),
            "lowPrice24h": m.px(min(low, last)),
            "turnover24h": fmt(turnover.quantize(Decimal("0.0001"))),
            "volume24h": m.qty(volume),
        }
        if m.is_spot:
            return {**common, "usdIndexPrice": m.px(st.oracle)}
        step = m.funding_interval_min * 60_000
        oi = self.exchange.open_interest(m.key)
        trades = list(st.trades)[-2:]
        if len(trades) == 2 and trades[1].price != trades[0].price:
            direction = "PlusTick" if trades[1].price > trades[0].price else "MinusTick"
        else:
            direction = "ZeroPlusTick"
        return {
            **common,
            "tickDirection": direction,
            "indexPrice": m.px(st.oracle),
            "markPrice": m.px(st.mark),
            "prevPrice1h": m.px(prev1h),
            "openInterest": m.qty(oi),
            "openInterestValue": fmt((oi * st.mark).quantize(Decimal("0.01"))),
            "fundingRate": fmt(st.funding_rate),
            "nextFundingTime": str((now_ms() // step + 1) * step),
            "predictedDeliveryPrice": "",
            "basisRate": "",
            "deliveryFeeRate": "",
            "deliveryTime": "0",
            "basis": "",
            "fundingIntervalHour": str(m.funding_interval_min // 60),
            "fundingCap": "0.005",
            "preOpenPrice": "",
            "preQty": "",
            "curPreListingPhase": "",
        }

    def get_tickers(self, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        if params.get("symbol"):
            markets = [self.market(params, category)]
        else:
            markets = [
                m for m in self.u.of(category) if not params.get("baseCoin") or m.base == params["baseCoin"]
            ]
        return {"category": category, "list": [self.ticker(m) for m in markets]}

    def book_levels(self, m: BybitMarket, depth: int) -> tuple[list[list[str]], list[list[str]]]:
        bids, asks = self.exchange.book(m.key, depth=depth)
        return (
            [[m.px(px), m.qty(sz)] for px, sz, _ in bids],
            [[m.px(px), m.qty(sz)] for px, sz, _ in asks],
        )

    def get_orderbook(self, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        m = self.market(params, category)
        default, most = BOOK_LIMITS.get(category, (25, 500))
        limit = parse_int(params.get("limit"), "limit", default) or default
        if not 1 <= limit <= most:
            raise param_error(f"limit must be in [1, {most}]")
        b, a = self.book_levels(m, limit)
        t = now_ms()
        seq = self.book_seq.get(m.key, 0)
        return {"s": m.symbol, "b": b, "a": a, "ts": t, "u": seq, "seq": seq, "cts": t}

    def _kline_rows(self, params: dict[str, Any], with_volume: bool) -> dict[str, Any]:
        category = self.category(params, default="linear")
        m = self.market(params, category)
        interval = str(params.get("interval", ""))
        if interval not in KLINE_MS:
            raise param_error(f"interval invalid: {interval!r}")
        limit = parse_int(params.get("limit"), "limit", 200) or 200
        if not 1 <= limit <= 1000:
            raise param_error("limit must be in [1, 1000]")
        end = parse_int(params.get("end"), "end", now_ms()) or now_ms()
        start = parse_int(params.get("start"), "start", 0) or 0
        if start > end:
            raise param_error("start must not be after end")
        # candles whose start lies in [start, end]; the newest `limit` of them, newest first
        first = max(start, bucket_start(end, interval) - (limit + 1) * KLINE_MS[interval])
        candles = self.history.candles(m, interval, first, end)[-limit:]
        rows = []
        for c in reversed(candles):
            row = [str(c.start), m.px(c.open), m.px(c.high), m.px(c.low), m.px(c.close)]
            if with_volume:
                row += [m.qty(c.volume), fmt(c.turnover)]
            rows.append(row)
        return {"symbol": m.symbol, "category": category, "list": rows}

    def get_kline(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._kline_rows(params, with_volume=True)

    def get_price_kline(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("category", "linear") != "linear":
            raise param_error("category invalid: mark/index klines are for linear and inverse")
        return self._kline_rows(params, with_volume=False)

    def get_funding_history(self, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        if category != "linear":
            raise param_error(f"category {category!r} has no funding")
        m = self.market(params, category)
        start = parse_int(params.get("startTime"), "startTime")
        end = parse_int(params.get("endTime"), "endTime")
        if start is not None and end is None:
            raise BybitError(10001, "params error: endTime is required when startTime is given")
        limit = parse_int(params.get("limit"), "limit", 200) or 200
        if not 1 <= limit <= 200:
            raise param_error("limit must be in [1, 200]")
        end = now_ms() if end is None else end
        rows = [(t, r) for t, r in self.history.funding(m) if t <= end and (start is None or t >= start)]
        rows = rows[-limit:]
        return {
            "category": category,
            "list": [
                {"symbol": m.symbol, "fundingRate": fmt(r), "fundingRateTimestamp": str(t)}
                for t, r in reversed(rows)
            ],
        }

    def get_recent_trades(self, params: dict[str, Any]) -> dict[str, Any]:
        category = self.category(params)
        m = self.market(params, category)
        default, most = (60, 60) if m.is_spot else (500, 1000)
        limit = parse_int(params.get("limit"), "limit", default) or default
        if not 1 <= limit <= most:
            raise param_error(f"limit must be in [1, {most}]")
        trades = list(self.exchange.market(m.key).trades)[-limit:]
        return {
            "category": category,
            "list": [
                {
                    "execId": trade_id(m.key, t.tid),
                    "symbol": m.symbol,
                    "price": m.px(t.price),
                    "size": m.qty(t.size),
                    "side": "Buy" if t.side is Side.BUY else "Sell",
                    "time": str(t.time),
                    "isBlockTrade": False,
                    "isRPITrade": False,
                    "seq": str(t.tid),
                }
                for t in reversed(trades)
            ],
        }
