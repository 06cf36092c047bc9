"""Conformance: clients we did not write connect to the venuesim Bybit front and work - Nautilus's
built-in Bybit data and execution clients in a real `TradingNode` (instruments, quotes, books,
trades, bars, funding rates; orders placed, filled, amended, cancelled, rejected; account state),
the official SDK `pybit` (REST, public and private WebSockets, WebSocket order entry) and `ccxt`.
That is how we know the simulator speaks Bybit v5 and not only our idea of it."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import ccxt
import pybit.unified_trading as pybit_ut
import pytest
from bybit_support import ETH_PERP
from bybit_support import KEY
from bybit_support import PERP
from bybit_support import SECRET
from bybit_support import SPOT
from bybit_support import UID
from bybit_support import BybitNodeHarness
from bybit_support import ProbeConfig
from bybit_support import bbo
from bybit_support import node_config
from bybit_support import running_sim
from bybit_support import signed
from bybit_support import wait_for
from hl_support import limit
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from pybit.exceptions import InvalidRequestError
from pybit.unified_trading import HTTP

from catalog.funding import FundingPayment
from catalog.registry import default_registry

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sim():
    with running_sim(tick_secs=0.05) as s:
        yield s


@pytest.fixture(scope="module")
def node(sim):
    probe = ProbeConfig(
        quotes=[str(PERP), str(SPOT), str(ETH_PERP)],
        books=[str(PERP)],
        trades=[str(PERP)],
        custom=[str(PERP), str(ETH_PERP)],
    )
    with BybitNodeHarness(node_config(sim), probe) as h:
        h.call(lambda: h.probe.subscribe_funding_rates(PERP))
        wait_for(
            lambda: len(h.probe.quotes) > 5 and h.probe.books and h.probe.funding_rates, 15, "market data"
        )
        yield h


@pytest.fixture(autouse=True)
def clean_faults(sim):
    # the venue counts order requests per account and second (10/s on linear): every test starts in a
    # fresh window rather than inheriting its predecessor's burst
    global _last_test_end
    time.sleep(max(0.0, _last_test_end + 1.0 - time.monotonic()))
    yield
    sim.reset_faults()
    _last_test_end = time.monotonic()


_last_test_end = 0.0


def submit(h, instrument, side, qty: str, px, **kw):
    order = h.call(lambda: limit(h.probe, instrument, side, qty, str(px), **kw))
    h.call(lambda: h.probe.submit_order(order))
    return order


def events(h, order, kind: str) -> list:
    return [
        e for e in h.probe.events if type(e).__name__ == kind and e.client_order_id == order.client_order_id
    ]


def status(h, order) -> str:
    return h.call(lambda: h.probe.cache.order(order.client_order_id).status_string())


# -- Nautilus's built-in clients -------------------------------------------------------------------------
def test_built_in_provider_loads_the_registry_instruments(node):
    registry = default_registry()
    for iid in (PERP, SPOT, ETH_PERP):
        inst = node.call(lambda i=iid: node.probe.cache.instrument(i))
        market = registry.market_for(iid)
        assert inst.price_increment.as_decimal() == market.tick
        assert inst.size_increment.as_decimal() == market.lot
        assert inst.min_quantity.as_decimal() == market.min_size
        assert inst.taker_fee == market.fee("taker", time.time_ns())


def test_built_in_data_client_streams_quotes_books_trades_and_funding_rates(sim, node):
    quotes = {str(q.instrument_id) for q in node.probe.quotes}
    assert {str(PERP), str(SPOT), str(ETH_PERP)} <= quotes
    last = [q for q in node.probe.quotes if q.instrument_id == PERP][-1]
    assert last.bid_price < last.ask_price and last.bid_price.precision == 1
    book = node.call(lambda: node.probe.cache.order_book(PERP))
    assert book.best_bid_price() < book.best_ask_price() and len(book.bids()) >= 20
    wait_for(lambda: node.probe.trades, 10, "public trades")
    assert node.probe.trades[-1].instrument_id == PERP
    sim.set_funding_rate("linear:BTCUSDT", "0.00031")
    wait_for(lambda: node.probe.funding_rates[-1].rate == Decimal("0.00031"), 10, "funding rate update")
    assert node.probe.funding_rates[-1].next_funding_ns % (8 * 3600 * 10**9) == 0


def test_built_in_data_client_serves_historical_bars(node):
    bar_type = BarType.from_str(f"{PERP}-1-HOUR-LAST-EXTERNAL")
    start = __import__("pandas").Timestamp.utcnow() - __import__("pandas").Timedelta(hours=6)
    node.call(lambda: node.probe.request_bars(bar_type, start.to_pydatetime()))
    wait_for(lambda: len(node.probe.historical) >= 5, 10, "historical bars")
    closes = [b.ts_event for b in node.probe.historical if getattr(b, "bar_type", None) == bar_type]
    assert closes == sorted(closes) and len(closes) >= 5


def test_limit_orders_fill_rest_amend_and_cancel(sim, node):
    bid, ask = bbo(sim)
    taker = submit(node, PERP, OrderSide.BUY, "0.01", (ask * Decimal("1.002")).quantize(Decimal("0.1")),
                   time_in_force=TimeInForce.IOC)  # fmt: skip
    wait_for(lambda: events(node, taker, "OrderFilled"), 10, "IOC fill")
    fill = events(node, taker, "OrderFilled")[0]
    assert fill.liquidity_side == LiquiditySide.TAKER and fill.commission.currency.code == "USDT"
    assert fill.commission.as_decimal() == (
        fill.last_px.as_decimal() * Decimal("0.01") * Decimal("0.00055")
    ).quantize(Decimal("0.000001"))
    resting = submit(node, PERP, OrderSide.BUY, "0.01", (bid * Decimal("0.99")).quantize(Decimal("0.1")))
    wait_for(lambda: events(node, resting, "OrderAccepted"), 10, "accepted")
    new_px = (bid * Decimal("0.98")).quantize(Decimal("0.1"))
    node.call(lambda: node.probe.modify_order(node.probe.cache.order(resting.client_order_id), price=Price(new_px, 1),
                                              quantity=Quantity(Decimal("0.02"), 3)))  # fmt: skip
    wait_for(lambda: events(node, resting, "OrderUpdated"), 10, "amended")
    venue = signed(
        sim, "GET", "/v5/order/realtime", {"category": "linear", "orderLinkId": resting.client_order_id.value}
    )
    assert (venue["result"]["list"][0]["price"], venue["result"]["list"][0]["qty"]) == (str(new_px), "0.020")
    node.call(lambda: node.probe.cancel_order(node.probe.cache.order(resting.client_order_id)))
    wait_for(lambda: status(node, resting) == "CANCELED", 10, "canceled")
    assert (
        events(node, resting, "OrderAccepted")[0].venue_order_id
        == events(node, resting, "OrderCanceled")[0].venue_order_id
    )


def test_resting_order_filled_by_the_market_moving_through_it(sim, node):
    _bid, ask = bbo(sim)
    px = (ask * Decimal("1.001")).quantize(Decimal("0.1"))
    sell = submit(node, PERP, OrderSide.SELL, "0.01", px, post_only=True)
    wait_for(lambda: events(node, sell, "OrderAccepted"), 10, "accepted")
    sim.shift("linear:BTCUSDT", 30)  # the market rises through the order: it fills as a maker
    wait_for(lambda: events(node, sell, "OrderFilled"), 10, "maker fill")
    assert events(node, sell, "OrderFilled")[0].liquidity_side == LiquiditySide.MAKER
    assert status(node, sell) == "FILLED"


def test_rejections_reach_the_strategy_with_the_venue_reason(sim, node):
    bid, ask = bbo(sim)
    too_big = submit(node, PERP, OrderSide.BUY, "100", bid)  # 100 BTC at 10x: 650k of margin
    wait_for(lambda: events(node, too_big, "OrderRejected"), 10, "rejected")
    assert "ab not enough for new order" in events(node, too_big, "OrderRejected")[0].reason
    sim.set_faults(reject_next=1, reject_reason="EC_PerCancelRequest")
    injected = submit(node, PERP, OrderSide.BUY, "0.01", (bid * Decimal("0.99")).quantize(Decimal("0.1")))
    wait_for(lambda: events(node, injected, "OrderRejected"), 10, "async reject")
    assert events(node, injected, "OrderRejected")[0].reason == "EC_PerCancelRequest"
    # well through the ask (prices tick every 50 ms): a post-only order that would take is cancelled
    crossing = submit(node, PERP, OrderSide.BUY, "0.01", (ask * Decimal("1.005")).quantize(Decimal("0.1")),
                      post_only=True)  # fmt: skip
    wait_for(lambda: status(node, crossing) in ("CANCELED", "REJECTED"), 10, "post-only refused")
    assert not events(node, crossing, "OrderFilled")


def test_spot_orders_fill_with_fees_in_the_received_coin(sim, node):
    bid, ask = bbo(sim, "spot:BTCUSDT")
    buy = submit(node, SPOT, OrderSide.BUY, "0.01", (ask * Decimal("1.002")).quantize(Decimal("0.01")),
                 time_in_force=TimeInForce.IOC)  # fmt: skip
    wait_for(lambda: events(node, buy, "OrderFilled"), 10, "spot buy")
    assert events(node, buy, "OrderFilled")[0].commission.currency.code == "BTC"
    sell = submit(node, SPOT, OrderSide.SELL, "0.01", (bid * Decimal("0.998")).quantize(Decimal("0.01")),
                  time_in_force=TimeInForce.IOC)  # fmt: skip
    wait_for(lambda: events(node, sell, "OrderFilled"), 10, "spot sell")
    assert events(node, sell, "OrderFilled")[0].commission.currency.code == "USDT"


def test_account_state_follows_the_wallet(sim, node):
    account = node.call(lambda: node.probe.portfolio.account(Venue("BYBIT")))
    seen: list[tuple[dict, dict]] = []

    def matches() -> bool:
        wallet = signed(sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})["result"][
            "list"
        ][0]
        venue = {c["coin"]: Decimal(c["walletBalance"]) for c in wallet["coin"]}
        ours = node.call(
            lambda: {c.code: account.balance_total(c).as_decimal() for c in account.currencies()}
        )
        seen[:] = [(ours, venue)]
        return all(ours.get(c, Decimal(0)) == venue.get(c, Decimal(0)) for c in ("USDT", "BTC"))

    try:
        wait_for(matches, 10, "the node's account to show the venue's wallet (pushed on `wallet`)")
    except AssertionError as e:
        raise AssertionError(f"{e}: ours, venue = {seen}") from None


def test_funding_payments_for_a_long_and_a_short(sim, node):
    bid, ask = bbo(sim, "linear:ETHUSDT")
    short = submit(node, ETH_PERP, OrderSide.SELL, "1", (bid * Decimal("0.99")).quantize(Decimal("0.01")),
                   time_in_force=TimeInForce.IOC)  # fmt: skip
    _, ask = bbo(sim)
    long = submit(node, PERP, OrderSide.BUY, "0.02", (ask * Decimal("1.01")).quantize(Decimal("0.1")),
                  time_in_force=TimeInForce.IOC)  # fmt: skip
    wait_for(
        lambda: events(node, short, "OrderFilled") and events(node, long, "OrderFilled"), 10, "short and long"
    )
    long_btc = node.call(lambda: node.probe.portfolio.net_position(PERP))
    assert long_btc > 0
    node.probe.data.clear()
    sim.settle_funding(None, "0.0005")
    wait_for(lambda: len([d for d in node.probe.data if isinstance(d, FundingPayment)]) >= 2, 10, "funding")
    by_id = {str(p.instrument_id): p for p in node.probe.data if isinstance(p, FundingPayment)}
    eth, btc = by_id[str(ETH_PERP)], by_id[str(PERP)]
    assert (
        eth.position_quantity == Decimal("-1") and eth.rate == Decimal("0.0005") and eth.amount > 0
    )  # short receives
    assert btc.position_quantity == long_btc and btc.amount < 0  # long pays
    assert abs(-eth.position_quantity * eth.mark_price * eth.rate - eth.amount) < Decimal("0.000001")
    assert eth.currency.code == "USDT"


def test_batch_submission_and_websocket_order_entry(sim):
    kwargs = {"use_ws_trade_api": True}
    with BybitNodeHarness(node_config(sim, exec_kwargs=kwargs), ProbeConfig()) as h:
        bid, _ = bbo(sim)
        order = submit(h, PERP, OrderSide.BUY, "0.01", (bid * Decimal("0.97")).quantize(Decimal("0.1")))
        wait_for(lambda: events(h, order, "OrderAccepted"), 10, "accepted over /v5/trade")
        h.call(lambda: h.probe.cancel_order(h.probe.cache.order(order.client_order_id)))
        wait_for(lambda: status(h, order) == "CANCELED", 10, "canceled over /v5/trade")
        orders = h.call(lambda: [limit(h.probe, PERP, OrderSide.BUY, "0.01", str((bid * Decimal(p)).quantize(Decimal("0.1"))))
                                 for p in ("0.96", "0.95")])  # fmt: skip
        order_list = h.call(lambda: h.probe.order_factory.create_list(orders))
        h.call(lambda: h.probe.submit_order_list(order_list))
        wait_for(lambda: all(events(h, o, "OrderAccepted") for o in orders), 10, "batch accepted")
        h.call(lambda: h.probe.cancel_all_orders(PERP))
        wait_for(lambda: all(status(h, o) == "CANCELED" for o in orders), 10, "all canceled")


# -- pybit -------------------------------------------------------------------------------------------------
@pytest.fixture
def session(sim):
    s = HTTP(api_key=KEY, api_secret=SECRET, testnet=True, max_retries=1)
    s.endpoint = sim.http_url  # pybit builds its URLs from this attribute
    return s


def test_pybit_rest_market_data_and_trading(sim, session):
    assert int(session.get_server_time()["result"]["timeSecond"]) > 0
    linear = session.get_instruments_info(category="linear")["result"]["list"]
    assert [i["symbol"] for i in linear] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "NVDAUSDT"]
    assert session.get_tickers(category="spot", symbol="BTCUSDT")["result"]["list"][0]["bid1Price"]
    assert len(session.get_orderbook(category="linear", symbol="BTCUSDT", limit=5)["result"]["b"]) == 5
    assert (
        len(session.get_kline(category="linear", symbol="BTCUSDT", interval="60", limit=3)["result"]["list"])
        == 3
    )
    assert session.get_funding_rate_history(category="linear", symbol="BTCUSDT", limit=2)["result"]["list"]
    placed = session.place_order(category="linear", symbol="SOLUSDT", side="Buy", orderType="Limit", qty="1",
                                 price="100", orderLinkId="pybit-1")["result"]  # fmt: skip
    assert (
        session.amend_order(category="linear", symbol="SOLUSDT", orderLinkId="pybit-1", price="101")["result"]
        == placed
    )
    opened = session.get_open_orders(category="linear", symbol="SOLUSDT")["result"]["list"]
    assert [(o["orderLinkId"], o["price"]) for o in opened] == [("pybit-1", "101.00")]
    session.cancel_order(category="linear", symbol="SOLUSDT", orderLinkId="pybit-1")
    session.place_order(category="linear", symbol="SOLUSDT", side="Sell", orderType="Market", qty="2")
    position = session.get_positions(category="linear", symbol="SOLUSDT")["result"]["list"][0]
    assert (position["side"], position["size"]) == ("Sell", "2.0")
    fills = session.get_executions(category="linear", symbol="SOLUSDT")["result"]["list"]
    assert sum(Decimal(f["execQty"]) for f in fills) == Decimal("2")
    assert (
        session.get_order_history(category="linear", symbol="SOLUSDT")["result"]["list"][0]["orderStatus"]
        == "Filled"
    )
    assert session.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]["accountType"] == "UNIFIED"
    assert (
        session.set_leverage(category="linear", symbol="SOLUSDT", buyLeverage="5", sellLeverage="5")[
            "retCode"
        ]
        == 0
    )
    with pytest.raises(InvalidRequestError, match="ErrCode: 110043"):
        session.set_leverage(category="linear", symbol="SOLUSDT", buyLeverage="5", sellLeverage="5")
    session.place_order(
        category="linear", symbol="SOLUSDT", side="Buy", orderType="Market", qty="2", reduceOnly=True
    )
    assert session.get_transaction_log(accountType="UNIFIED", category="linear", type="TRADE")["result"][
        "list"
    ]


def test_pybit_websockets_public_private_and_order_entry(sim, monkeypatch):
    urls = sim.front.ws_urls()
    monkeypatch.setattr(pybit_ut, "PUBLIC_WSS", urls["linear"].rsplit("/", 1)[0] + "/{CHANNEL_TYPE}")
    monkeypatch.setattr(pybit_ut, "PRIVATE_WSS", urls["private"])
    got: list[dict] = []
    lock = threading.Lock()

    def keep(m: dict) -> None:
        with lock:
            got.append(m)

    public = pybit_ut.WebSocket(channel_type="linear", testnet=True)
    private = pybit_ut.WebSocket(channel_type="private", testnet=True, api_key=KEY, api_secret=SECRET)
    trading = None
    try:
        public.orderbook_stream(50, "BTCUSDT", keep)
        public.ticker_stream("BTCUSDT", keep)
        public.trade_stream("BTCUSDT", keep)
        private.order_stream(keep)
        private.execution_stream(keep)
        private.position_stream(keep)
        private.wallet_stream(keep)
        wait_for(lambda: {"orderbook.50.BTCUSDT", "tickers.BTCUSDT", "publicTrade.BTCUSDT"} <= {m.get("topic") for m in list(got)},
                 10, "public topics")  # fmt: skip
        import pybit._websocket_trading as trading_module

        monkeypatch.setattr(trading_module, "TRADE_WSS", urls["trade"])
        replies: list[dict] = []
        trading = pybit_ut.WebSocketTrading(testnet=True, api_key=KEY, api_secret=SECRET)
        trading.place_order(
            replies.append, category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.01"
        )
        wait_for(lambda: replies, 10, "order.create reply")
        assert (
            replies[0]["retCode"] == 0
            and replies[0]["op"] == "order.create"
            and replies[0]["data"]["orderId"]
        )
        wait_for(
            lambda: {"order", "execution", "position", "wallet"} <= {m.get("topic") for m in list(got)},
            10,
            "private pushes",
        )
    finally:
        public.exit()
        private.exit()
        if trading is not None:
            trading.exit()


# -- ccxt ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exchange(sim):
    # ccxt's client-side throttle (built for the real venue's limits) only slows a local test down
    ex = ccxt.bybit({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False, "timeout": 5000})
    api = dict.fromkeys(("spot", "futures", "v2", "public", "private"), sim.http_url)
    ex.urls["api"] = api
    ex.urls["test"] = api
    ex.options["fetchMarkets"] = {"types": ["spot", "linear"]}
    return ex


def test_ccxt_markets_books_candles_funding_and_balance(exchange):
    markets = exchange.load_markets()
    assert {"BTC/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "NVDA/USDT:USDT"} <= set(markets)
    assert (
        markets["BTC/USDT:USDT"]["precision"]["price"] == 0.1
        and markets["BTC/USDT"]["limits"]["cost"]["min"] == 5
    )
    book = exchange.fetch_order_book("BTC/USDT:USDT", 5)
    assert book["bids"][0][0] < book["asks"][0][0] and len(book["bids"]) == 5
    candles = exchange.fetch_ohlcv("BTC/USDT:USDT", "1h", limit=3)
    assert len(candles) == 3 and candles[0][0] < candles[-1][0]
    rates = exchange.fetch_funding_rate_history("BTC/USDT:USDT", limit=3)
    assert len(rates) == 3 and all(r["fundingRate"] is not None for r in rates)
    assert exchange.fetch_funding_rate("BTC/USDT:USDT")["fundingRate"] is not None
    assert exchange.fetch_ticker("BTC/USDT")["bid"] > 0
    assert len(exchange.fetch_trades("BTC/USDT:USDT", limit=3)) == 3
    balance = exchange.fetch_balance()
    assert balance["USDT"]["total"] > 0


def test_ccxt_orders_positions_and_trades(sim, exchange):
    exchange.load_markets()
    created = exchange.create_order("NVDA/USDT:USDT", "limit", "buy", 1, 150, {"clientOrderId": "ccxt-1"})
    assert created["clientOrderId"] == "ccxt-1"
    assert [o["clientOrderId"] for o in exchange.fetch_open_orders("NVDA/USDT:USDT")] == ["ccxt-1"]
    exchange.edit_order(created["id"], "NVDA/USDT:USDT", "limit", "buy", 1, 151)
    assert exchange.fetch_open_orders("NVDA/USDT:USDT")[0]["price"] == 151
    exchange.cancel_order(created["id"], "NVDA/USDT:USDT")
    assert exchange.fetch_open_orders("NVDA/USDT:USDT") == []
    exchange.create_order("NVDA/USDT:USDT", "market", "buy", 2)
    positions = [p for p in exchange.fetch_positions(["NVDA/USDT:USDT"]) if p["contracts"]]
    assert positions[0]["side"] == "long" and positions[0]["contracts"] == 2
    trades = exchange.fetch_my_trades("NVDA/USDT:USDT")
    assert sum(t["amount"] for t in trades) == 2 and all(t["fee"]["currency"] == "USDT" for t in trades)
    closed = exchange.fetch_closed_orders("NVDA/USDT:USDT")
    assert [o["status"] for o in closed] == ["closed"]  # filled; the cancelled one is a canceled order
    assert exchange.fetch_canceled_orders("NVDA/USDT:USDT")[0]["clientOrderId"] == "ccxt-1"
    spot = exchange.create_order("BTC/USDT", "market", "sell", 0.01)
    assert exchange.fetch_closed_order(spot["id"], "BTC/USDT")["filled"] == 0.01
    exchange.create_order("NVDA/USDT:USDT", "market", "sell", 2, None, {"reduceOnly": True})
    assert (
        signed(sim, "GET", "/v5/position/list", {"category": "linear", "symbol": "NVDAUSDT"})["result"][
            "list"
        ][0]["size"]
        == "0.00"
    )
    assert UID  # (the account these keys belong to)
