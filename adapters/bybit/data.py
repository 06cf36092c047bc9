"""Nautilus's built-in Bybit data client, with two gaps closed.

Market data (quotes from `orderbook.1`, books, trades, bars, `FundingRateUpdate` from `tickers`)
is the built-in's. This subclass:

- accepts the subscriptions our strategies make for data this venue's adapter publishes from
  elsewhere: `FundingPayment` comes from the execution client (`adapters.bybit.execution`) and
  `FeedStatus` is not produced for Bybit; the built-in would fail them (`_subscribe` not implemented);
- resubscribes as soon as a public WebSocket reconnects (`adapters.bybit.websocket`; the built-in
  can leave the stream unsubscribed until its next 20 s heartbeat);
- completes linear ticker deltas before they become `FundingRateUpdate`s: a delta carries only the
  fields that changed, so the built-in publishes a rate change without its `next_funding_ns` (read
  by carry as "settled") and misses a new settlement time that comes without a rate change. The last
  known rate and next funding time of the symbol fill what the delta left out.
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.adapters.bybit.common.enums import BybitProductType
from nautilus_trader.adapters.bybit.data import BybitDataClient
from nautilus_trader.data.messages import SubscribeData
from nautilus_trader.data.messages import UnsubscribeData
from nautilus_trader.model.data import FundingRateUpdate

from adapters.bybit.websocket import adopt
from adapters.common.feed_status import FeedStatus
from catalog.funding import FundingPayment

ACCEPTED_CUSTOM = (FundingPayment, FeedStatus)


class BybitArbDataClient(BybitDataClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for ws in self._ws_clients.values():
            adopt(ws)
        self._last_funding: dict[str, tuple[str | None, str | None]] = {}  # symbol -> (rate, next ms)

    async def _subscribe(self, command: SubscribeData) -> None:
        if command.data_type.type in ACCEPTED_CUSTOM:
            self._log.debug(f"Subscribed {command.data_type} (published by the execution client)")
            return
        self._log.error(f"Cannot subscribe to {command.data_type}: not provided by the Bybit adapter")

    async def _unsubscribe(self, command: UnsubscribeData) -> None:
        if command.data_type.type not in ACCEPTED_CUSTOM:
            self._log.error(f"Cannot unsubscribe from {command.data_type}: not provided by the Bybit adapter")

    def _create_funding_rate_update_from_ticker(
        self, ticker: Any, product_type: BybitProductType
    ) -> FundingRateUpdate | None:
        symbol = getattr(ticker, "symbol", None)
        if symbol and hasattr(ticker, "nextFundingTime"):
            rate, nxt = self._last_funding.get(symbol, (None, None))
            ticker.fundingRate = ticker.fundingRate or rate
            ticker.nextFundingTime = ticker.nextFundingTime or nxt
            self._last_funding[symbol] = (ticker.fundingRate, ticker.nextFundingTime)
        return super()._create_funding_rate_update_from_ticker(ticker, product_type)
