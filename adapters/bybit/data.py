"""Nautilus's built-in Bybit data client, with two gaps closed.

Market data (quotes from `orderbook.1`, books, trades, bars, `FundingRateUpdate` from `tickers`)
is the built-in's. This subclass:

- accepts the subscriptions our strategies make for data this venue's adapter publishes from
  elsewhere: `FundingPayment` comes from the execution client (`adapters.bybit.execution`) and
  `FeedStatus` is not produced for Bybit; the built-in would fail them (`_subscribe` not implemented);
- resubscribes as soon as a public WebSocket reconnects (`adapters.bybit.websocket`; the built-in
  can leave the stream unsubscribed until its next 20 s heartbeat);
- completes linear ticker deltas before they become quotes and `FundingRateUpdate`s: a delta carries
  only the fields that changed (docs: "missing fields = unchanged"), and the built-in turns what is
  missing into a zero-size quote of precision 0 (which a sandbox node's matching engine refuses: the
  node stops) and into a funding update without `next_funding_ns` (read by carry as "settled"). The
  symbol's last full ticker fills what the delta left out.
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.adapters.bybit.common.enums import BybitProductType
from nautilus_trader.adapters.bybit.data import BybitDataClient
from nautilus_trader.data.messages import SubscribeData
from nautilus_trader.data.messages import UnsubscribeData

from adapters.bybit.websocket import adopt
from adapters.common.data import ACCEPTED_CUSTOM


class BybitArbDataClient(BybitDataClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for ws in self._ws_clients.values():
            adopt(ws)
        self._tickers: dict[str, Any] = {}  # "<category>:<symbol>" -> the ticker as of the last message

    async def _subscribe(self, command: SubscribeData) -> None:
        if command.data_type.type in ACCEPTED_CUSTOM:
            self._log.debug(f"Subscribed {command.data_type} (published by the execution client)")
            return
        self._log.error(f"Cannot subscribe to {command.data_type}: not provided by the Bybit adapter")

    async def _unsubscribe(self, command: UnsubscribeData) -> None:
        if command.data_type.type not in ACCEPTED_CUSTOM:
            self._log.error(f"Cannot unsubscribe from {command.data_type}: not provided by the Bybit adapter")

    def _parse_ticker_data(self, raw: bytes, product_type: BybitProductType) -> Any:
        ticker = super()._parse_ticker_data(raw, product_type)
        symbol = getattr(ticker, "symbol", None)
        if ticker is None or symbol is None or product_type != BybitProductType.LINEAR:
            return ticker
        key = f"{product_type.value}:{symbol}"
        known = self._tickers.get(key)
        if known is None or self._is_snapshot(raw):
            self._tickers[key] = ticker
            return ticker
        for field in ticker.__struct_fields__:  # a delta: what it leaves out is unchanged
            value = getattr(ticker, field)
            if value is not None:
                setattr(known, field, value)
        return known

    @staticmethod
    def _is_snapshot(raw: bytes) -> bool:
        return b'"type":"snapshot"' in raw or b'"type": "snapshot"' in raw
