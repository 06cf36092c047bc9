"""Nautilus's built-in Bybit data client, accepting the subscriptions our strategies make for data
this venue's adapter publishes from elsewhere.

Market data (quotes from `orderbook.1`, books, trades, bars, `FundingRateUpdate` from `tickers`)
is the built-in's. Strategies also subscribe to `FundingPayment` (and may to `FeedStatus`) per
instrument; on Bybit `FundingPayment` is published by the execution client
(`adapters.bybit.execution`) and `FeedStatus` is not produced, so those subscriptions are accepted
and need nothing from the venue. The built-in would fail them (`_subscribe` not implemented).
"""

from __future__ import annotations

from nautilus_trader.adapters.bybit.data import BybitDataClient
from nautilus_trader.data.messages import SubscribeData
from nautilus_trader.data.messages import UnsubscribeData

from adapters.common.feed_status import FeedStatus
from catalog.funding import FundingPayment

ACCEPTED_CUSTOM = (FundingPayment, FeedStatus)


class BybitArbDataClient(BybitDataClient):
    async def _subscribe(self, command: SubscribeData) -> None:
        if command.data_type.type in ACCEPTED_CUSTOM:
            self._log.debug(f"Subscribed {command.data_type} (published by the execution client)")
            return
        self._log.error(f"Cannot subscribe to {command.data_type}: not provided by the Bybit adapter")

    async def _unsubscribe(self, command: UnsubscribeData) -> None:
        if command.data_type.type not in ACCEPTED_CUSTOM:
            self._log.error(f"Cannot unsubscribe from {command.data_type}: not provided by the Bybit adapter")
