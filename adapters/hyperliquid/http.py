"""Hyperliquid REST: typed `/info` queries and signed `/exchange` actions over the common
`HttpTransport` (rate limited by the venue's weights, retried on 429/5xx/transport errors)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
from nautilus_trader.common.component import Logger

from adapters.common.errors import AuthenticationError
from adapters.common.errors import ConfigurationError
from adapters.common.errors import MalformedMessageError
from adapters.common.errors import RateLimitError
from adapters.common.errors import RequestError
from adapters.common.http import HttpTransport
from adapters.common.ratelimit import Quota
from adapters.common.ratelimit import RateLimiter
from adapters.hyperliquid import schemas as s
from adapters.hyperliquid.constants import DEFAULT_INFO_WEIGHT
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.constants import INFO_WEIGHTS
from adapters.hyperliquid.constants import REST_WEIGHT_PER_MINUTE
from adapters.hyperliquid.signing import HyperliquidSigner

AUTH_MARKERS = ("User or API Wallet", "Invalid nonce", "nonce", "signature", "Must deposit", "vault")


def classify_exchange_error(message: str) -> Exception:
    """A top-level `{"status":"err"}` reply -> the common taxonomy."""
    text = str(message)
    if "Too many" in text or "rate limit" in text.lower():
        return RateLimitError(text, venue=HYPERLIQUID)
    if any(m.lower() in text.lower() for m in AUTH_MARKERS):
        return AuthenticationError(text, venue=HYPERLIQUID)
    return RequestError(text, venue=HYPERLIQUID)


def exchange_weight(batch: int) -> int:
    return 1 + batch // 40


def default_rate_limiter() -> RateLimiter:
    return RateLimiter({"rest": Quota(REST_WEIGHT_PER_MINUTE, 60.0)})


class HyperliquidHttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        signer: HyperliquidSigner | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout_secs: float = 10.0,
        max_retries: int = 3,
        logger: Logger | None = None,
    ) -> None:
        self.base_url = base_url
        self.signer = signer
        self.transport = HttpTransport(
            base_url,
            venue=HYPERLIQUID,
            rate_limiter=rate_limiter or default_rate_limiter(),
            timeout_secs=timeout_secs,
            max_retries=max_retries,
            logger=logger,
        )
        # Called with the request body right before it is written (benchmarks: order -> bytes on wire).
        self.on_send: Callable[[bytes, int], None] | None = None

    def __repr__(self) -> str:
        return f"HyperliquidHttpClient(base_url={self.base_url}, signer={self.signer!r})"

    async def close(self) -> None:
        await self.transport.close()

    # -- info ------------------------------------------------------------------------------------
    async def info_raw(self, body: dict[str, Any]) -> bytes:
        weight = INFO_WEIGHTS.get(body["type"], DEFAULT_INFO_WEIGHT)
        return await self.transport.post("/info", s.encode(body), weight=weight)

    async def info(self, body: dict[str, Any], decoder: msgspec.json.Decoder | None = None) -> Any:
        raw = await self.info_raw(body)
        try:
            return decoder.decode(raw) if decoder is not None else msgspec.json.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise MalformedMessageError(
                f"/info {body['type']}: {e} (body {raw[:200]!r})", venue=HYPERLIQUID
            ) from None

    async def meta(self, dex: str = "") -> s.PerpMeta:
        return await self.info({"type": "meta", "dex": dex} if dex else {"type": "meta"}, s.Decoders.meta)

    async def meta_and_asset_ctxs(self, dex: str = "") -> tuple[s.PerpMeta, list[s.PerpAssetCtx]]:
        body = {"type": "metaAndAssetCtxs", "dex": dex} if dex else {"type": "metaAndAssetCtxs"}
        return await self.info(body, s.Decoders.meta_and_ctxs)

    async def spot_meta(self) -> s.SpotMeta:
        return await self.info({"type": "spotMeta"}, s.Decoders.spot_meta)

    async def perp_dexs(self) -> list[s.PerpDex | None]:
        return await self.info({"type": "perpDexs"}, s.Decoders.perp_dexs)

    async def l2_book(self, coin: str) -> s.L2Book:
        return await self.info({"type": "l2Book", "coin": coin}, s.Decoders.l2_book)

    async def recent_trades(self, coin: str) -> list[s.Trade]:
        return await self.info({"type": "recentTrades", "coin": coin}, s.Decoders.trades)

    async def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[s.Candle]:
        body = {
            "type": "candleSnapshot",
            "req": {"coin": coin, "interval": interval, "startTime": start_ms, "endTime": end_ms},
        }
        return await self.info(body, s.Decoders.candles)

    async def funding_history(
        self, coin: str, start_ms: int, end_ms: int | None = None
    ) -> list[s.FundingHistoryEntry]:
        body: dict[str, Any] = {"type": "fundingHistory", "coin": coin, "startTime": start_ms}
        if end_ms is not None:
            body["endTime"] = end_ms
        return await self.info(body, s.Decoders.funding_history)

    async def clearinghouse_state(self, user: str, dex: str = "") -> s.ClearinghouseState:
        body = {"type": "clearinghouseState", "user": user, "dex": dex}
        return await self.info(body, s.Decoders.clearinghouse)

    async def spot_clearinghouse_state(self, user: str) -> s.SpotClearinghouseState:
        return await self.info(
            {"type": "spotClearinghouseState", "user": user}, s.Decoders.spot_clearinghouse
        )

    async def frontend_open_orders(self, user: str, dex: str = "") -> list[s.OrderInfo]:
        return await self.info(
            {"type": "frontendOpenOrders", "user": user, "dex": dex}, s.Decoders.open_orders
        )

    async def historical_orders(self, user: str) -> list[s.OrderUpdate]:
        return await self.info({"type": "historicalOrders", "user": user}, s.Decoders.historical_orders)

    async def order_status(self, user: str, oid: int | str) -> s.OrderStatusReply:
        return await self.info({"type": "orderStatus", "user": user, "oid": oid}, s.Decoders.order_status)

    async def user_fills(self, user: str) -> list[s.UserFill]:
        return await self.info({"type": "userFills", "user": user}, s.Decoders.user_fills)

    async def user_fills_by_time(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[s.UserFill]:
        body: dict[str, Any] = {"type": "userFillsByTime", "user": user, "startTime": start_ms}
        if end_ms is not None:
            body["endTime"] = end_ms
        return await self.info(body, s.Decoders.user_fills)

    async def user_funding(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[s.UserFundingEntry]:
        body: dict[str, Any] = {"type": "userFunding", "user": user, "startTime": start_ms}
        if end_ms is not None:
            body["endTime"] = end_ms
        return await self.info(body, s.Decoders.user_funding)

    # -- exchange --------------------------------------------------------------------------------
    async def exchange(self, action: dict[str, Any], batch: int = 1) -> s.ExchangeReply:
        """Sign and send one action. A top-level `status: err` raises (taxonomy); per-order errors
        inside `statuses` are the caller's to read. Retries resend the same signed bytes, so the
        venue executes an action at most once (a replay fails on its nonce)."""
        if self.signer is None:
            raise ConfigurationError(
                "no private key configured: cannot sign exchange actions", venue=HYPERLIQUID
            )
        body = s.encode(self.signer.signed_payload(action))
        if self.on_send is not None:
            self.on_send(body, time.perf_counter_ns())
        raw = await self.transport.post("/exchange", body, weight=exchange_weight(batch))
        try:
            reply = s.Decoders.exchange.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise MalformedMessageError(
                f"/exchange reply: {e} (body {raw[:200]!r})", venue=HYPERLIQUID
            ) from None
        if reply.status != "ok":
            raise classify_exchange_error(reply.response)
        return reply


def statuses(reply: s.ExchangeReply) -> list[Any]:
    """The per-order statuses of an order/cancel/batchModify reply ([] for `type: default`)."""
    response = reply.response if isinstance(reply.response, dict) else {}
    data = response.get("data") or {}
    return list(data.get("statuses") or [])
