"""Bitget REST over the common `HttpTransport` (rate limited, retried on 429/5xx/transport errors):
public market endpoints, signed account/trade endpoints, and the venue's error codes classified
into the common taxonomy.

Every reply is `{"code": "00000", "msg": "success", "requestTime", "data"}`; an error is HTTP 400
(or 429) with the same envelope and a five-digit `code`. Errors carry the venue's code and text in
their message (`"43012: Insufficient balance"`), so a rejected order names Bitget's own reason.
Signed requests are re-signed on every attempt (the timestamp must be within 30 s of the
venue's clock); a retried order cannot execute twice because the venue refuses a second order
with the same `clientOid` (40786), which the execution client resolves by querying that clientOid.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
from nautilus_trader.common.component import Logger

from adapters.bitget import schemas as s
from adapters.bitget.constants import AUTH_CODES
from adapters.bitget.constants import BITGET
from adapters.bitget.constants import MARGIN_COIN
from adapters.bitget.constants import ORDER_NOT_FOUND_CODES
from adapters.bitget.constants import ORDER_REJECT_CODES
from adapters.bitget.constants import RATE_BATCH_PER_SEC
from adapters.bitget.constants import RATE_LIMIT_CODES
from adapters.bitget.constants import RATE_PRIVATE_PER_SEC
from adapters.bitget.constants import RATE_PUBLIC_PER_SEC
from adapters.bitget.constants import RATE_TRADE_PER_SEC
from adapters.bitget.constants import SUCCESS_CODE
from adapters.bitget.constants import USDT_FUTURES
from adapters.bitget.signing import BitgetSigner
from adapters.bitget.signing import query_string
from adapters.common.errors import AuthenticationError
from adapters.common.errors import ConfigurationError
from adapters.common.errors import MalformedMessageError
from adapters.common.errors import OrderRejectedError
from adapters.common.errors import RateLimitError
from adapters.common.errors import RequestError
from adapters.common.errors import VenueError
from adapters.common.http import HttpTransport
from adapters.common.ratelimit import Quota
from adapters.common.ratelimit import RateLimiter

PAGE = 100  # rows per page of the paged queries
MAX_PAGES = 50


class OrderNotFoundError(RequestError):
    """The venue does not know the order (never placed, or no longer queryable)."""


def default_rate_limiter() -> RateLimiter:
    return RateLimiter(
        {
            "public": Quota(RATE_PUBLIC_PER_SEC, 1.0),
            "trade": Quota(RATE_TRADE_PER_SEC, 1.0),
            "batch": Quota(RATE_BATCH_PER_SEC, 1.0),
            "private": Quota(RATE_PRIVATE_PER_SEC, 1.0),
        }
    )


def venue_error(code: str, msg: str | None, status: int | None = None) -> VenueError:
    """A Bitget `{code, msg}` -> the common taxonomy; the message is `"<code>: <msg>"`."""
    text = f"{code}: {msg or ''}".rstrip(": ")
    if code in AUTH_CODES:
        return AuthenticationError(text, venue=BITGET, status=status)
    if code in RATE_LIMIT_CODES:
        return RateLimitError(text, venue=BITGET, status=status)
    if code in ORDER_NOT_FOUND_CODES:
        return OrderNotFoundError(text, venue=BITGET, status=status)
    if code in ORDER_REJECT_CODES:
        return OrderRejectedError(text, venue=BITGET, status=status)
    return RequestError(text, venue=BITGET, status=status)


def error_code(error: VenueError) -> str | None:
    """The venue's five-digit code of an error raised by this client, if any."""
    head = error.message.split(":", 1)[0]
    return head if head.isdigit() else None


def _reclassify(error: VenueError) -> VenueError:
    """An HTTP 4xx whose body is a Bitget envelope -> the error its code means."""
    if error.body is None or error.status is None or error.status >= 500:
        return error
    try:
        reply = s.Decoders.reply.decode(error.body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return error
    return venue_error(reply.code, reply.msg, error.status)


class BitgetHttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        signer: BitgetSigner | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout_secs: float = 10.0,
        max_retries: int = 3,
        logger: Logger | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.transport = HttpTransport(
            self.base_url,
            venue=BITGET,
            rate_limiter=rate_limiter or default_rate_limiter(),
            timeout_secs=timeout_secs,
            max_retries=max_retries,
            logger=logger,
        )
        # Called with the request body right before it is written (benchmarks: order -> bytes on wire).
        self.on_send: Callable[[bytes, int], None] | None = None

    def __repr__(self) -> str:
        return f"BitgetHttpClient(base_url={self.base_url}, signer={self.signer!r})"

    async def close(self) -> None:
        await self.transport.close()

    # -- plumbing --------------------------------------------------------------------------------
    @staticmethod
    def _data(raw: bytes, path: str, decoder: msgspec.json.Decoder | None) -> Any:
        try:
            reply = s.Decoders.reply.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise MalformedMessageError(f"{path}: {e} (body {raw[:200]!r})", venue=BITGET) from None
        if reply.code != SUCCESS_CODE:
            raise venue_error(reply.code, reply.msg)
        if decoder is None:
            return None if s.is_null(reply.data) else msgspec.json.decode(reply.data)
        if s.is_null(reply.data):
            raise MalformedMessageError(f"{path}: reply has no data", venue=BITGET)
        try:
            return decoder.decode(reply.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise MalformedMessageError(
                f"{path}: {e} (data {bytes(reply.data)[:200]!r})", venue=BITGET
            ) from None

    def _require_signer(self) -> BitgetSigner:
        if self.signer is None:
            raise ConfigurationError("no API key configured: cannot call private endpoints", venue=BITGET)
        return self.signer

    async def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        decoder: msgspec.json.Decoder | None = None,
        *,
        signed: bool = False,
        bucket: str = "public",
    ) -> Any:
        query = query_string(params)
        target = f"{path}?{query}" if query else path
        headers = None
        if signed:
            signer = self._require_signer()

            def headers() -> dict[str, str]:
                return signer.rest_headers("GET", path, query)

        try:
            raw = await self.transport.request("GET", target, buckets=[bucket], headers=headers)
        except VenueError as e:
            raise _reclassify(e) from None
        return self._data(raw, path, decoder)

    async def post(
        self,
        path: str,
        body: dict[str, Any],
        decoder: msgspec.json.Decoder | None = None,
        *,
        bucket: str = "trade",
        retry: bool = True,
    ) -> Any:
        signer = self._require_signer()
        payload = s.encode(body)
        text = payload.decode()

        def headers() -> dict[str, str]:
            return signer.rest_headers("POST", path, "", text)

        if self.on_send is not None:
            self.on_send(payload, time.perf_counter_ns())
        try:
            raw = await self.transport.post(path, payload, buckets=[bucket], retry=retry, headers=headers)
        except VenueError as e:
            raise _reclassify(e) from None
        return self._data(raw, path, decoder)

    # -- public market data ----------------------------------------------------------------------
    async def server_time(self) -> int:
        return int((await self.get("/api/v2/public/time", None, s.Decoders.server_time)).serverTime)

    async def contracts(
        self, product_type: str = USDT_FUTURES, symbol: str | None = None
    ) -> list[s.Contract]:
        params = {"productType": product_type, "symbol": symbol}
        return await self.get("/api/v2/mix/market/contracts", params, s.Decoders.contracts)

    async def spot_symbols(self, symbol: str | None = None) -> list[s.SpotSymbol]:
        return await self.get("/api/v2/spot/public/symbols", {"symbol": symbol}, s.Decoders.spot_symbols)

    async def merge_depth(self, symbol: str, limit: str = "max", product_type: str = USDT_FUTURES) -> s.Depth:
        params = {"symbol": symbol, "productType": product_type, "precision": "scale0", "limit": limit}
        return await self.get("/api/v2/mix/market/merge-depth", params, s.Decoders.depth)

    async def spot_orderbook(self, symbol: str, limit: int = 150) -> s.Depth:
        params = {"symbol": symbol, "type": "step0", "limit": limit}
        return await self.get("/api/v2/spot/market/orderbook", params, s.Decoders.depth)

    async def ticker(self, symbol: str, product_type: str = USDT_FUTURES) -> list[s.Ticker]:
        params = {"symbol": symbol, "productType": product_type}
        return await self.get("/api/v2/mix/market/ticker", params, s.Decoders.tickers)

    async def current_fund_rate(
        self, symbol: str, product_type: str = USDT_FUTURES
    ) -> list[s.CurrentFundRate]:
        params = {"symbol": symbol, "productType": product_type}
        return await self.get("/api/v2/mix/market/current-fund-rate", params, s.Decoders.current_fund_rate)

    async def funding_time(self, symbol: str, product_type: str = USDT_FUTURES) -> list[s.FundingTime]:
        params = {"symbol": symbol, "productType": product_type}
        return await self.get("/api/v2/mix/market/funding-time", params, s.Decoders.funding_time)

    async def history_fund_rate(
        self, symbol: str, page_no: int = 1, page_size: int = 100, product_type: str = USDT_FUTURES
    ) -> list[s.FundRateHistory]:
        params = {"symbol": symbol, "productType": product_type, "pageNo": page_no, "pageSize": page_size}
        return await self.get("/api/v2/mix/market/history-fund-rate", params, s.Decoders.fund_rate_history)

    async def candles(
        self,
        symbol: str,
        granularity: str,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 1000,
        product_type: str = USDT_FUTURES,
        history: bool = False,
    ) -> list[list[str]]:
        params = {
            "symbol": symbol,
            "productType": product_type,
            "granularity": granularity,
            "startTime": start_ms,
            "endTime": end_ms,
            "limit": limit,
        }
        path = "/api/v2/mix/market/history-candles" if history else "/api/v2/mix/market/candles"
        return await self.get(path, params, s.Decoders.candles)

    async def spot_candles(
        self, symbol: str, granularity: str, start_ms: int | None, end_ms: int | None, limit: int = 1000
    ) -> list[list[str]]:
        params = {
            "symbol": symbol,
            "granularity": granularity,
            "startTime": start_ms,
            "endTime": end_ms,
            "limit": limit,
        }
        return await self.get("/api/v2/spot/market/candles", params, s.Decoders.candles)

    async def market_fills(
        self, symbol: str, limit: int = 100, product_type: str = USDT_FUTURES
    ) -> list[s.PublicTrade]:
        params = {"symbol": symbol, "productType": product_type, "limit": limit}
        return await self.get("/api/v2/mix/market/fills", params, s.Decoders.public_trades)

    async def spot_market_fills(self, symbol: str, limit: int = 100) -> list[s.PublicTrade]:
        return await self.get(
            "/api/v2/spot/market/fills", {"symbol": symbol, "limit": limit}, s.Decoders.public_trades
        )

    # -- futures trading -------------------------------------------------------------------------
    async def place_order(self, body: dict[str, Any]) -> s.OrderAck:
        return await self.post("/api/v2/mix/order/place-order", body, s.Decoders.order_ack)

    async def batch_place_orders(self, body: dict[str, Any]) -> s.BatchReply:
        return await self.post("/api/v2/mix/order/batch-place-order", body, s.Decoders.batch, bucket="batch")

    async def cancel_order(
        self, symbol: str, order_id: str | None = None, client_oid: str | None = None
    ) -> s.OrderAck:
        body: dict[str, Any] = {"symbol": symbol, "productType": USDT_FUTURES, "marginCoin": MARGIN_COIN}
        body.update({"orderId": order_id} if order_id else {"clientOid": client_oid})
        return await self.post("/api/v2/mix/order/cancel-order", body, s.Decoders.order_ack)

    async def batch_cancel_orders(self, symbol: str, orders: list[dict[str, str]]) -> s.BatchReply:
        body = {
            "symbol": symbol,
            "productType": USDT_FUTURES,
            "marginCoin": MARGIN_COIN,
            "orderIdList": orders,
        }
        return await self.post(
            "/api/v2/mix/order/batch-cancel-orders", body, s.Decoders.batch, bucket="batch"
        )

    async def cancel_all_orders(self, symbol: str | None = None) -> s.BatchReply:
        body: dict[str, Any] = {"productType": USDT_FUTURES, "marginCoin": MARGIN_COIN}
        if symbol:
            body["symbol"] = symbol
        return await self.post("/api/v2/mix/order/cancel-all-orders", body, s.Decoders.batch)

    async def modify_order(self, body: dict[str, Any]) -> s.OrderAck:
        return await self.post("/api/v2/mix/order/modify-order", body, s.Decoders.order_ack)

    async def order_detail(
        self, symbol: str, order_id: str | None = None, client_oid: str | None = None
    ) -> s.Order:
        params = {"symbol": symbol, "productType": USDT_FUTURES, "orderId": order_id, "clientOid": client_oid}
        return await self.get(
            "/api/v2/mix/order/detail", params, s.Decoders.order, signed=True, bucket="private"
        )

    async def orders_pending(self, symbol: str | None = None) -> list[s.Order]:
        params = {"productType": USDT_FUTURES, "symbol": symbol, "limit": 100}
        page = await self.get(
            "/api/v2/mix/order/orders-pending", params, s.Decoders.order_page, signed=True, bucket="private"
        )
        return list(page.entrustedList or [])

    async def orders_history(
        self, symbol: str | None = None, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[s.Order]:
        """Closed orders in the range, newest first, following the venue's pages (100 each)."""
        out: list[s.Order] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = {
                "productType": USDT_FUTURES,
                "symbol": symbol,
                "startTime": start_ms,
                "endTime": end_ms,
                "idLessThan": cursor,
                "limit": PAGE,
            }
            page = await self.get(
                "/api/v2/mix/order/orders-history",
                params,
                s.Decoders.order_page,
                signed=True,
                bucket="private",
            )
            rows = list(page.entrustedList or [])
            out += rows
            if len(rows) < PAGE or not page.endId or page.endId == cursor:
                break
            cursor = page.endId
        return out

    async def fills(
        self,
        symbol: str | None = None,
        order_id: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
    ) -> s.FillPage:
        params = {
            "productType": USDT_FUTURES,
            "symbol": symbol,
            "orderId": order_id,
            "startTime": start_ms,
            "endTime": end_ms,
            "idLessThan": id_less_than,
            "limit": 100,
        }
        return await self.get(
            "/api/v2/mix/order/fills", params, s.Decoders.fill_page, signed=True, bucket="private"
        )

    async def fills_all(
        self, start_ms: int | None = None, end_ms: int | None = None, symbol: str | None = None
    ) -> list[s.Fill]:
        """Every futures fill in the range, newest first, following the venue's pages (100 each)."""
        out: list[s.Fill] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await self.fills(symbol=symbol, start_ms=start_ms, end_ms=end_ms, id_less_than=cursor)
            rows = list(page.fillList or [])
            out += rows
            if len(rows) < PAGE or not page.endId or page.endId == cursor:
                break
            cursor = page.endId
        return out

    async def all_positions(self) -> list[s.Position]:
        params = {"productType": USDT_FUTURES, "marginCoin": MARGIN_COIN}
        return await self.get(
            "/api/v2/mix/position/all-position", params, s.Decoders.positions, signed=True, bucket="private"
        )

    async def accounts(self) -> list[s.Account]:
        return await self.get(
            "/api/v2/mix/account/accounts",
            {"productType": USDT_FUTURES},
            s.Decoders.accounts,
            signed=True,
            bucket="private",
        )

    async def account(self, symbol: str) -> s.Account:
        params = {"symbol": symbol, "productType": USDT_FUTURES, "marginCoin": MARGIN_COIN}
        return await self.get(
            "/api/v2/mix/account/account", params, s.Decoders.account, signed=True, bucket="private"
        )

    async def set_position_mode(self, pos_mode: str) -> s.PositionMode:
        body = {"productType": USDT_FUTURES, "posMode": pos_mode}
        return await self.post("/api/v2/mix/account/set-position-mode", body, s.Decoders.position_mode)

    async def set_leverage(self, symbol: str, leverage: int) -> None:
        body = {
            "symbol": symbol,
            "productType": USDT_FUTURES,
            "marginCoin": MARGIN_COIN,
            "leverage": str(leverage),
        }
        await self.post("/api/v2/mix/account/set-leverage", body)

    async def bills(
        self,
        business_type: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        id_less_than: str | None = None,
        limit: int = 100,
    ) -> s.BillPage:
        params = {
            "productType": USDT_FUTURES,
            "businessType": business_type,
            "startTime": start_ms,
            "endTime": end_ms,
            "idLessThan": id_less_than,
            "limit": limit,
        }
        return await self.get(
            "/api/v2/mix/account/bill", params, s.Decoders.bill_page, signed=True, bucket="private"
        )

    # -- spot trading ----------------------------------------------------------------------------
    async def spot_place_order(self, body: dict[str, Any]) -> s.OrderAck:
        return await self.post("/api/v2/spot/trade/place-order", body, s.Decoders.order_ack)

    async def spot_batch_orders(self, body: dict[str, Any]) -> s.BatchReply:
        return await self.post("/api/v2/spot/trade/batch-orders", body, s.Decoders.batch, bucket="batch")

    async def spot_cancel_order(
        self, symbol: str, order_id: str | None = None, client_oid: str | None = None
    ) -> s.OrderAck:
        body: dict[str, Any] = {"symbol": symbol}
        body.update({"orderId": order_id} if order_id else {"clientOid": client_oid or ""})
        return await self.post("/api/v2/spot/trade/cancel-order", body, s.Decoders.order_ack)

    async def spot_cancel_symbol_orders(self, symbol: str) -> None:
        await self.post("/api/v2/spot/trade/cancel-symbol-order", {"symbol": symbol})

    async def spot_order_info(
        self, order_id: str | None = None, client_oid: str | None = None
    ) -> list[s.Order]:
        params = {"orderId": order_id, "clientOid": client_oid}
        return await self.get(
            "/api/v2/spot/trade/orderInfo", params, s.Decoders.orders, signed=True, bucket="private"
        )

    async def spot_unfilled_orders(self, symbol: str | None = None) -> list[s.Order]:
        return await self.get(
            "/api/v2/spot/trade/unfilled-orders",
            {"symbol": symbol},
            s.Decoders.orders,
            signed=True,
            bucket="private",
        )

    async def spot_history_orders(
        self, symbol: str | None = None, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[s.Order]:
        params = {"symbol": symbol, "startTime": start_ms, "endTime": end_ms, "limit": 100}
        return await self.get(
            "/api/v2/spot/trade/history-orders", params, s.Decoders.orders, signed=True, bucket="private"
        )

    async def spot_fills(
        self,
        symbol: str | None = None,
        order_id: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[s.Fill]:
        params = {
            "symbol": symbol,
            "orderId": order_id,
            "startTime": start_ms,
            "endTime": end_ms,
            "limit": 100,
        }
        return await self.get(
            "/api/v2/spot/trade/fills", params, s.Decoders.fills, signed=True, bucket="private"
        )

    async def spot_assets(self) -> list[s.SpotAsset]:
        return await self.get(
            "/api/v2/spot/account/assets", None, s.Decoders.spot_assets, signed=True, bucket="private"
        )
