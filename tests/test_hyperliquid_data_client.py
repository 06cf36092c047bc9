"""The data client's frame handling without a node (a message bus with a stand-in data engine
endpoint), and historical requests (funding, candles) against venuesim - the path a catalog
downloader will use."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest
from hl_support import BTC
from hl_support import NVDA
from hl_support import running_sim
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import TraderId

from adapters.common.errors import ConfigurationError
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.data import HyperliquidDataClient
from adapters.hyperliquid.history import HyperliquidHistory
from adapters.hyperliquid.history import candle_interval
from adapters.hyperliquid.http import HyperliquidHttpClient
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider

pytestmark = pytest.mark.timeout(60)


def frame(channel: str, data) -> str:
    return json.dumps({"channel": channel, "data": data})


def book(t: int, bid: str, ask: str) -> str:
    return frame(
        "l2Book",
        {
            "coin": "BTC",
            "time": t,
            "levels": [[{"px": bid, "sz": "1.0", "n": 1}], [{"px": ask, "sz": "2.0", "n": 2}]],
        },
    )


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=None) as s:
        yield s


@pytest.fixture
def client(sim):
    loop = asyncio.new_event_loop()
    clock = LiveClock()
    msgbus = MessageBus(TraderId("TEST-001"), clock)
    published: list = []
    msgbus.register("DataEngine.process", published.append)
    http = HyperliquidHttpClient(sim.http_url)
    provider = HyperliquidInstrumentProvider(http, perp_dexs=["xyz"])
    loop.run_until_complete(provider.initialize())
    cfg = HyperliquidDataClientConfig(testnet=True, base_url_http=sim.http_url)
    c = HyperliquidDataClient(loop, http, msgbus, Cache(), clock, provider, cfg)
    c.published = published
    yield c
    loop.run_until_complete(http.close())
    loop.close()


def test_books_apply_in_order_and_replayed_or_older_snapshots_are_dropped(client):
    feed = client.websocket._on_frame
    feed("Websocket connection established.")
    feed(book(1000, "65000.0", "65001.0"))
    feed(book(1000, "65000.0", "65001.0"))  # exact duplicate
    feed(book(999, "64000.0", "64001.0"))  # older snapshot arriving late
    feed(book(1001, "65002.0", "65003.0"))
    books = [d for d in client.published if isinstance(d, OrderBookDeltas)]
    assert [b.ts_event for b in books] == [1000 * 1_000_000, 1001 * 1_000_000]
    assert client.frame_stats.counts["ignored:l2Book_stale_or_duplicate"] == 2


def test_malformed_and_unknown_frames_are_counted_not_raised(client):
    feed = client.websocket._on_frame
    feed('{"channel":"l2Book","data":{"coin":')  # truncated
    feed(frame("bbo", {"coin": "BTC", "time": 5, "bbo": [{"px": "abc", "sz": "1", "n": 1}, None]}))
    feed(frame("trades", [{"coin": "BTC", "side": "X", "px": "1.0", "sz": "1", "time": 1, "tid": 1}]))
    feed(frame("somethingNew", {"x": 1}))
    feed(
        frame(
            "bbo",
            {
                "coin": "BTC",
                "time": 6,
                "bbo": [{"px": "65000.0", "sz": "1", "n": 1}, {"px": "65001.0", "sz": "1", "n": 1}],
            },
        )
    )
    assert (
        client.frame_stats.malformed_count == 2
    )  # truncated JSON, side "X" (a one-sided bbo is no quote, not an error)
    assert client.frame_stats.counts["ignored:channel:somethingNew"] == 1
    quotes = [d for d in client.published if isinstance(d, QuoteTick)]
    assert len(quotes) == 1 and quotes[0].ask_price.as_decimal() == Decimal("65001.0")


def test_a_candle_becomes_a_bar_when_the_next_one_starts(client):
    bar_type = BarType.from_str("BTC-USD-PERP.HYPERLIQUID-1-MINUTE-LAST-EXTERNAL")
    client._bar_types[("BTC", candle_interval(bar_type))] = bar_type
    candle = {
        "T": 59_999,
        "s": "BTC",
        "i": "1m",
        "o": "100.0",
        "c": "101.0",
        "h": "102.0",
        "l": "99.0",
        "v": "3.5",
        "n": 7,
    }
    feed = client.websocket._on_frame
    feed(frame("candle", {"t": 0, **candle}))
    feed(frame("candle", {"t": 0, **candle, "c": "101.5"}))  # the forming candle updates
    assert not [d for d in client.published if isinstance(d, Bar)]
    feed(frame("candle", {"t": 60_000, **candle, "T": 119_999}))
    bars = [d for d in client.published if isinstance(d, Bar)]
    assert (
        len(bars) == 1
        and bars[0].close.as_decimal() == Decimal("101.5")
        and bars[0].ts_event == 60_000 * 1_000_000
    )
    with pytest.raises(ConfigurationError, match="no Hyperliquid candle interval"):
        candle_interval(BarType.from_str("BTC-USD-PERP.HYPERLIQUID-7-MINUTE-LAST-EXTERNAL"))


def test_history_funding_rates_and_bars_from_venuesim(sim):
    async def main():
        http = HyperliquidHttpClient(sim.http_url)
        provider = HyperliquidInstrumentProvider(http, perp_dexs=["xyz"])
        history = HyperliquidHistory(http, provider)
        start = time.time_ns()
        for rate in ("0.0001", "-0.00005", "0.00002"):
            sim.settle_funding(None, rate)
        sim.tick(n=5)
        rates = await history.funding_rates(BTC, start)
        nvda = await history.funding_rates(NVDA, start)
        bars = await history.bars(
            BarType.from_str("BTC-USD-PERP.HYPERLIQUID-1-MINUTE-LAST-EXTERNAL"), start - 3_600_000_000_000
        )
        trades = await history.trades(BTC)
        await http.close()
        return rates, nvda, bars, trades

    rates, nvda, bars, trades = asyncio.run(main())
    assert [r.rate for r in rates] == [Decimal("0.0001"), Decimal("-0.00005"), Decimal("0.00002")]
    assert all(r.next_funding_ns == r.ts_event for r in rates) and next(r.rate for r in nvda) == Decimal(
        "0.0001"
    )
    assert all(b.ts_event <= time.time_ns() for b in bars)  # only closed candles become bars
    assert trades and trades == sorted(trades, key=lambda t: t.ts_event)
