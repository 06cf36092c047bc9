"""Conformance: clients we did not write - the official `hyperliquid-python-sdk` and `ccxt` - run
against venuesim and load markets, read books, place, cancel, and read fills, positions and
balances without errors. That is how we know the simulator speaks Hyperliquid's protocol and not
only our adapter's idea of it."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import ccxt
import pytest
from eth_account import Account
from hl_support import ADDRESS
from hl_support import KEY
from hl_support import running_sim
from hl_support import wait_for
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=0.05) as s:
        yield s


def test_official_sdk_info_and_exchange(sim):
    info = Info(sim.http_url, skip_ws=True, perp_dexs=["", "xyz"])
    assert [a["name"] for a in info.meta()["universe"]] == ["BTC", "ETH", "SOL"]
    assert info.meta(dex="xyz")["universe"][0]["name"] == "xyz:NVDA"
    assert info.coin_to_asset["xyz:NVDA"] == 110000 and info.coin_to_asset["@1"] == 10001
    assert info.name_to_coin["HYPE/USDC"] == "@1"
    book = info.l2_snapshot("BTC")
    assert Decimal(book["levels"][0][0]["px"]) < Decimal(book["levels"][1][0]["px"])
    assert set(info.all_mids()) >= {"BTC", "ETH", "SOL", "PURR/USDC", "@1"}

    ex = Exchange(Account.from_key(KEY), sim.http_url, perp_dexs=["", "xyz"])
    cloid = Cloid.from_int(42)
    resting = ex.order("ETH", True, 0.01, 3000, {"limit": {"tif": "Gtc"}}, cloid=cloid)
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert info.query_order_by_cloid(ADDRESS, cloid)["order"]["status"] == "open"
    assert [o["oid"] for o in info.open_orders(ADDRESS)] == [oid]
    assert info.frontend_open_orders(ADDRESS)[0]["tif"] == "Gtc"
    assert (
        ex.modify_order(oid, "ETH", True, 0.02, 3001, {"limit": {"tif": "Gtc"}}, cloid=cloid)["status"]
        == "ok"
    )
    assert ex.cancel_by_cloid("ETH", cloid)["response"]["data"]["statuses"] == ["success"]
    assert info.open_orders(ADDRESS) == []

    filled = ex.market_open("BTC", True, 0.01)  # the SDK's aggressive IOC at mid + 5%
    assert "filled" in filled["response"]["data"]["statuses"][0]
    nvda = ex.order("xyz:NVDA", False, 0.5, 170, {"limit": {"tif": "Ioc"}})
    assert "filled" in nvda["response"]["data"]["statuses"][0]
    fills = info.user_fills(ADDRESS)
    assert {f["coin"] for f in fills} >= {"BTC", "xyz:NVDA"}
    positions = {
        p["position"]["coin"]: p["position"]["szi"] for p in info.user_state(ADDRESS)["assetPositions"]
    }
    assert positions == {"BTC": "0.01"}
    assert info.user_state(ADDRESS, dex="xyz")["assetPositions"][0]["position"]["szi"] == "-0.5"
    closed = ex.market_close("BTC")
    assert "filled" in closed["response"]["data"]["statuses"][0]
    assert info.user_state(ADDRESS)["assetPositions"] == []
    assert ex.update_leverage(5, "ETH")["status"] == "ok"
    assert ex.schedule_cancel(None)["status"] == "ok"
    bad = ex.order("BTC", True, 0.0001, 60000, {"limit": {"tif": "Gtc"}})  # $6 < $10 minimum
    assert bad["response"]["data"]["statuses"][0] == {
        "error": "Order must have minimum value of $10. asset=0"
    }
    sim.tick(n=3)
    candles = info.candles_snapshot("BTC", "1m", 0, int(time.time() * 1000))
    assert candles and {"t", "T", "o", "h", "l", "c", "v", "n"} <= set(candles[-1])


def test_official_sdk_websocket_subscriptions(sim):
    info = Info(sim.http_url, skip_ws=False, perp_dexs=["", "xyz"])
    try:
        books, fills, lock = [], [], threading.Lock()
        info.subscribe({"type": "l2Book", "coin": "BTC"}, lambda m: books.append(m))
        info.subscribe({"type": "userFills", "user": ADDRESS}, lambda m: fills.append(m))
        wait_for(lambda: len(books) >= 3, 10, "SDK l2Book pushes")
        with lock:
            assert books[-1]["channel"] == "l2Book" and books[-1]["data"]["coin"] == "BTC"
        wait_for(lambda: fills, 10, "SDK userFills snapshot")
        assert fills[0]["data"]["isSnapshot"] is True
        Exchange(Account.from_key(KEY), sim.http_url, perp_dexs=["", "xyz"]).market_open("SOL", True, 1)
        wait_for(
            lambda: any(f["data"].get("fills") and f["data"]["fills"][0]["coin"] == "SOL" for f in fills[1:]),
            10,
            "live fill",
        )
    finally:
        info.disconnect_websocket()


@pytest.fixture(scope="module")
def exchange(sim):
    # ccxt's client-side throttle (built for the real venue's limits) only slows a local test down
    ex = ccxt.hyperliquid(
        {"walletAddress": ADDRESS, "privateKey": KEY, "timeout": 5000, "enableRateLimit": False}
    )
    ex.options["fetchMarkets"] = {"types": ["spot", "swap", "hip3"], "hip3": {"dexes": ["xyz"]}}
    ex.urls["api"] = {"public": sim.http_url, "private": sim.http_url}
    ex.urls["test"] = {"public": sim.http_url, "private": sim.http_url}
    ex.set_sandbox_mode(True)  # signs for testnet, like any non-mainnet venue
    return ex


def test_ccxt_markets_books_orders_fills_positions(exchange):
    markets = exchange.load_markets()
    assert {"BTC/USDC:USDC", "ETH/USDC:USDC", "XYZ-NVDA/USDC:USDC", "PURR/USDC", "HYPE/USDC"} <= set(markets)
    assert markets["BTC/USDC:USDC"]["baseId"] == "0" and markets["XYZ-NVDA/USDC:USDC"]["baseId"] == "110000"
    book = exchange.fetch_order_book("BTC/USDC:USDC")
    assert book["bids"][0][0] < book["asks"][0][0]
    bid = book["bids"][0][0]

    resting = exchange.create_order("BTC/USDC:USDC", "limit", "buy", 0.001, bid * 0.95)
    assert resting["id"] and "resting" in resting["info"]  # ccxt leaves status unset for a resting ack
    open_orders = exchange.fetch_open_orders("BTC/USDC:USDC")
    assert [o["id"] for o in open_orders] == [resting["id"]]
    canceled = exchange.cancel_order(resting["id"], "BTC/USDC:USDC")
    assert canceled["info"] == "success" or canceled["status"] in ("canceled", None)
    assert exchange.fetch_open_orders("BTC/USDC:USDC") == []

    taker = exchange.create_order("BTC/USDC:USDC", "market", "buy", 0.002, book["asks"][0][0])
    assert "filled" in taker["info"] and float(taker["amount"]) == pytest.approx(0.002)
    trades = exchange.fetch_my_trades("BTC/USDC:USDC")
    assert trades and trades[-1]["side"] == "buy" and trades[-1]["fee"]["currency"] == "USDC"
    positions = exchange.fetch_positions(["BTC/USDC:USDC"])
    btc = next(p for p in positions if p["symbol"] == "BTC/USDC:USDC")
    assert btc["side"] == "long" and btc["contracts"] >= 0.002
    balance = exchange.fetch_balance()
    assert balance["USDC"]["total"] > 0
    order = exchange.fetch_order(taker["id"], "BTC/USDC:USDC")
    assert order["status"] == "closed"


def test_ccxt_reads_venue_errors(exchange):
    exchange.load_markets()
    with pytest.raises(ccxt.InvalidOrder, match="minimum value of"):
        exchange.create_order("BTC/USDC:USDC", "limit", "buy", 0.0001, 50000)
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order("123", "BTC/USDC:USDC")
