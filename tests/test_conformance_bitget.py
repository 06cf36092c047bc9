"""Conformance: a client we did not write - ccxt's Bitget client, REST and WebSocket (ccxt.pro) -
pointed at venuesim loads markets, reads books (ccxt.pro verifies every book update against the
venue's CRC32 checksum) and funding, places, cancels, and reads fills, orders, positions and
balances, and logs in to the private stream. That is how we know the simulator speaks Bitget's
protocol and not only our adapter's idea of it."""

from __future__ import annotations

import asyncio

import ccxt
import ccxt.pro
import pytest
from bg_support import API_KEY
from bg_support import API_SECRET
from bg_support import MARKETS_4H_NVDA
from bg_support import PASSPHRASE
from bg_support import running_sim

pytestmark = pytest.mark.timeout(120)

NVDA = "NVDA/USDT:USDT"
BTC = "BTC/USDT:USDT"


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=0.05, markets=MARKETS_4H_NVDA) as s:
        yield s


def point(ex, sim) -> None:
    ex.urls["api"] = {**{k: sim.http_url for k in ex.urls["api"] if k != "ws"}, **(
        {"ws": {"public": sim.ws_url, "private": sim.ws_url.replace("/public", "/private"),
                "utaPublic": sim.ws_url, "utaPrivate": sim.ws_url}} if "ws" in ex.urls["api"] else {}
    )}  # fmt: skip
    ex.options["fetchMarkets"] = {"types": ["spot", "swap"]}


@pytest.fixture(scope="module")
def exchange(sim):
    ex = ccxt.bitget(
        {
            "apiKey": API_KEY,
            "secret": API_SECRET,
            "password": PASSPHRASE,
            "timeout": 5000,
            "enableRateLimit": False,
        }
    )
    point(ex, sim)
    return ex


def test_ccxt_markets_books_funding(exchange, sim):
    markets = exchange.load_markets()
    assert {
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "NVDA/USDT:USDT",
        "SOL/USDT:USDT",
        "BTC/USDT",
        "ETH/USDT",
    } <= set(markets)
    nvda = markets[NVDA]
    assert nvda["id"] == "NVDAUSDT" and nvda["swap"] and nvda["linear"] and nvda["settle"] == "USDT"
    assert nvda["precision"] == {"amount": 0.01, "price": 0.01} and nvda["limits"]["cost"]["min"] == 5
    assert nvda["limits"]["leverage"]["max"] == 25 and nvda["active"]
    book = exchange.fetch_order_book(NVDA, limit=5)
    assert len(book["bids"]) == 5 and book["bids"][0][0] < book["asks"][0][0]
    spot_book = exchange.fetch_order_book("BTC/USDT")
    assert spot_book["bids"][0][0] < spot_book["asks"][0][0]
    rate = exchange.fetch_funding_rate(NVDA)
    assert rate["fundingRate"] == pytest.approx(0.0001) and rate["interval"] == "4h"
    assert rate["fundingTimestamp"] % (4 * 3_600_000) == 0
    ticker = exchange.fetch_ticker(NVDA)
    assert ticker["bid"] < ticker["ask"] and ticker["info"]["markPrice"]
    sim.settle_funding("NVDAUSDT", "0.00025")
    history = exchange.fetch_funding_rate_history(NVDA)
    assert history[-1]["fundingRate"] == pytest.approx(0.00025)


def test_ccxt_places_cancels_and_reads_fills_positions_balances(exchange):
    exchange.load_markets()
    book = exchange.fetch_order_book(NVDA)
    bid, _ask = book["bids"][0][0], book["asks"][0][0]
    resting = exchange.create_order(
        NVDA, "limit", "buy", 1, round(bid * 0.95, 2), {"clientOrderId": "ccxt-rest-1"}
    )
    assert resting["id"] and resting["clientOrderId"] == "ccxt-rest-1"
    assert [o["id"] for o in exchange.fetch_open_orders(NVDA)] == [resting["id"]]
    fetched = exchange.fetch_order(resting["id"], NVDA)
    assert fetched["status"] == "open" and fetched["price"] == pytest.approx(round(bid * 0.95, 2))
    assert exchange.cancel_order(resting["id"], NVDA)["id"] == resting["id"]
    assert exchange.fetch_open_orders(NVDA) == []
    assert exchange.fetch_order(resting["id"], NVDA)["status"] == "canceled"

    taker = exchange.create_order(NVDA, "market", "buy", 2)
    assert exchange.fetch_order(taker["id"], NVDA)["status"] == "closed"
    trades = exchange.fetch_my_trades(NVDA)
    assert (
        trades
        and trades[0]["side"] == "buy"
        and trades[0]["fee"]["currency"] == "USDT"
        and trades[0]["fee"]["cost"] > 0
    )
    assert sum(t["amount"] for t in trades if t["order"] == taker["id"]) == pytest.approx(2)
    positions = {p["symbol"]: p for p in exchange.fetch_positions([NVDA])}
    assert positions[NVDA]["side"] == "long" and positions[NVDA]["contracts"] == pytest.approx(2)
    closed = exchange.create_order(NVDA, "market", "sell", 2, None, {"reduceOnly": True})
    assert exchange.fetch_order(closed["id"], NVDA)["status"] == "closed"
    assert all(p["contracts"] == 0 for p in exchange.fetch_positions([NVDA]))
    balance = exchange.fetch_balance({"type": "swap"})
    assert 0 < balance["USDT"]["total"] < 100_000  # fees paid

    spot = exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 50000)
    assert [o["id"] for o in exchange.fetch_open_orders("BTC/USDT")] == [spot["id"]]
    exchange.cancel_order(spot["id"], "BTC/USDT")
    assert exchange.fetch_balance()["USDT"]["free"] == pytest.approx(100_000)


def test_ccxt_reads_venue_errors(exchange):
    exchange.load_markets()
    with pytest.raises(ccxt.InvalidOrder, match="45110"):
        exchange.create_order(NVDA, "limit", "buy", 0.01, 100)  # 1 USDT < 5 USDT minimum
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order("123", NVDA)
    bad = ccxt.bitget(
        {"apiKey": API_KEY, "secret": API_SECRET, "password": "wrong-pass", "enableRateLimit": False}
    )
    bad.urls["api"] = exchange.urls["api"]
    bad.markets, bad.markets_by_id, bad.symbols = exchange.markets, exchange.markets_by_id, exchange.symbols
    with pytest.raises(ccxt.AuthenticationError, match="40012"):
        bad.fetch_balance({"type": "swap"})


def test_ccxt_pro_streams_books_with_checksums_and_private_orders(sim):
    async def run():
        ex = ccxt.pro.bitget(
            {"apiKey": API_KEY, "secret": API_SECRET, "password": PASSPHRASE, "enableRateLimit": False}
        )
        point(ex, sim)
        try:
            await ex.load_markets()
            books = []
            for _ in range(8):  # each update after the snapshot is checked against its checksum by ccxt
                books.append(await asyncio.wait_for(ex.watch_order_book(BTC), 5))
            ticker = await asyncio.wait_for(ex.watch_ticker(NVDA), 5)
            trades = await asyncio.wait_for(ex.watch_trades(BTC), 5)
            watcher = asyncio.ensure_future(ex.watch_orders(NVDA))
            await asyncio.sleep(0.5)  # logged in and subscribed
            await ex.create_order(NVDA, "market", "buy", 1)
            orders = await asyncio.wait_for(watcher, 5)
            mine = asyncio.ensure_future(ex.watch_my_trades(NVDA))
            await asyncio.sleep(0.3)
            await ex.create_order(NVDA, "market", "sell", 1, None, {"reduceOnly": True})
            my_trades = await asyncio.wait_for(mine, 5)
            return books, ticker, trades, orders, my_trades
        finally:
            await ex.close()

    books, ticker, trades, orders, my_trades = asyncio.run(run())
    assert all(b["bids"][0][0] < b["asks"][0][0] for b in books) and len(books[-1]["bids"]) >= 25
    assert ticker["symbol"] == NVDA and ticker["bid"] < ticker["ask"]
    assert trades and trades[-1]["symbol"] == BTC
    assert orders[-1]["symbol"] == NVDA and orders[-1]["side"] == "buy" and orders[-1]["status"] == "closed"
    assert my_trades[-1]["side"] == "sell" and my_trades[-1]["amount"] == pytest.approx(1)
