"""Every recorded Bybit v5 payload we hold (`shared/data/nautilus_trader/bybit`, 64 files) goes
through the code path that receives it in our nodes - Nautilus's built-in Bybit clients behind our
`compat` layer, or our own parsers - and comes out as the Nautilus objects it describes; and the
recorded XRPUSDT `orderbook.500` session replays to a consistent book.

Payloads no part of our system receives (sub-account and API-key management) still pass the
built-in HTTP client's envelope check, which every reply goes through."""

from __future__ import annotations

import asyncio
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.adapters.bybit.common.enums import BybitEnumParser
from nautilus_trader.adapters.bybit.common.enums import BybitExecType
from nautilus_trader.adapters.bybit.common.enums import BybitProductType
from nautilus_trader.adapters.bybit.common.symbol import BybitSymbol
from nautilus_trader.adapters.bybit.http.client import BybitResponse
from nautilus_trader.adapters.bybit.schemas.account.balance import BybitWalletBalanceResponse
from nautilus_trader.adapters.bybit.schemas.account.fee_rate import BybitFeeRate
from nautilus_trader.adapters.bybit.schemas.account.fee_rate import BybitFeeRateResponse
from nautilus_trader.adapters.bybit.schemas.account.info import BybitAccountInfoResponse
from nautilus_trader.adapters.bybit.schemas.instrument import BybitInstrumentsInverseResponse
from nautilus_trader.adapters.bybit.schemas.instrument import BybitInstrumentsLinearResponse
from nautilus_trader.adapters.bybit.schemas.instrument import BybitInstrumentsOptionResponse
from nautilus_trader.adapters.bybit.schemas.instrument import BybitInstrumentsSpotResponse
from nautilus_trader.adapters.bybit.schemas.market.kline import BybitKlinesResponse
from nautilus_trader.adapters.bybit.schemas.market.trades import BybitTradesResponse
from nautilus_trader.adapters.bybit.schemas.order import BybitOpenOrdersResponseStruct
from nautilus_trader.adapters.bybit.schemas.position import BybitPositionResponseStruct
from nautilus_trader.adapters.bybit.schemas.trade import BybitTradeHistoryResponseStruct
from nautilus_trader.adapters.bybit.schemas.user.query_api import BybitQueryApiResponse
from nautilus_trader.adapters.bybit.schemas.user.update_sub_api import BybitUpdateSubApiResponse
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountExecutionFastMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountExecutionMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountOrderMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountPosition
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountPositionMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsOrderbookDepth
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsOrderbookDepthMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsPlaceOrderResponseMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsPrivateChannelAuthMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsSubscriptionMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsTickerOptionMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsTradeAuthMsg
from nautilus_trader.adapters.bybit.schemas.ws import BybitWsTradeMsg
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.events import AccountState
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Currency

from adapters.bybit.compat import normalize_rest
from adapters.bybit.compat import normalize_wallet_message
from adapters.bybit.config import BybitArbDataClientConfig
from adapters.bybit.config import BybitArbExecClientConfig
from adapters.bybit.execution import _representable_only
from adapters.bybit.execution import representable
from adapters.bybit.factories import BybitArbLiveDataClientFactory
from adapters.bybit.factories import BybitArbLiveExecClientFactory
from adapters.bybit.funding import funding_from_execution
from adapters.bybit.history import parse_funding_row
from adapters.bybit.history import parse_kline_row
from adapters.bybit.history import parse_trade_row

ACCOUNT = AccountId("BYBIT-UNIFIED")
PARSER = BybitEnumParser()
PRODUCTS = [BybitProductType.SPOT, BybitProductType.LINEAR]


def load(shared_data: Path, name: str) -> bytes:
    return (shared_data / "nautilus_trader" / "bybit" / name).read_bytes()


def rest(shared_data: Path, name: str, path: str, schema):
    """A REST reply as the built-in endpoint for `path` decodes it, behind our HTTP client's compat step."""
    raw = normalize_rest(path, load(shared_data, name))
    assert msgspec.json.decode(raw, type=BybitResponse).retCode == 0  # the HTTP client's envelope check
    return msgspec.json.decode(raw, type=schema)


def fee(symbol: str) -> BybitFeeRate:
    return BybitFeeRate(symbol=symbol, takerFeeRate="0.00055", makerFeeRate="0.0002")


def currency(code: str) -> Currency:
    return Currency.from_str(code, strict=False)


def instrument(item, category: str):
    if category == "option":
        return item.parse_to_instrument(quote_currency=currency(item.quoteCoin))
    return item.parse_to_instrument(
        base_currency=currency(item.baseCoin), quote_currency=currency(item.quoteCoin),
        fee_rate=fee(item.symbol), ts_event=0, ts_init=0,
    )  # fmt: skip


# -- REST ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "schema", "category", "expected"),
    [
        ("http_get_instruments_linear.json", BybitInstrumentsLinearResponse, "linear", ["BTCUSDT-LINEAR.BYBIT", "ETHUSDT-LINEAR.BYBIT"]),
        ("http_get_instruments_linear_symbol_type.json", BybitInstrumentsLinearResponse, "linear", ["TSLAUSDT-LINEAR.BYBIT"]),
        ("http_get_instruments_inverse.json", BybitInstrumentsInverseResponse, "inverse", ["BTCUSD-INVERSE.BYBIT"]),
        ("http_get_instruments_inverse_symbol_type.json", BybitInstrumentsInverseResponse, "inverse", ["BRENTUSD-INVERSE.BYBIT"]),
        ("http_get_instruments_spot.json", BybitInstrumentsSpotResponse, "spot", ["BTCUSDT-SPOT.BYBIT", "ETHUSDT-SPOT.BYBIT"]),
        ("http_get_instruments_spot_xstocks.json", BybitInstrumentsSpotResponse, "spot", ["AAPLUSDT-SPOT.BYBIT"]),
        ("http_get_instruments_option.json", BybitInstrumentsOptionResponse, "option", ["ETH-26JUN26-16000-P-OPTION.BYBIT"]),
        ("http_get_instruments_option_symbol_id.json", BybitInstrumentsOptionResponse, "option", ["BTC-30JUN25-100000-C-OPTION.BYBIT"]),
    ],
)  # fmt: skip
def test_instruments_become_nautilus_instruments_with_the_venue_filters(
    shared_data, name, schema, category, expected
):
    reply = rest(shared_data, name, "/v5/market/instruments-info", schema)
    parsed = [instrument(item, category) for item in reply.result.list]
    assert [str(i.id) for i in parsed] == expected
    for item, inst in zip(reply.result.list, parsed, strict=True):
        assert inst.price_increment.as_decimal() == Decimal(item.priceFilter.tickSize)


def test_stock_perp_without_market_order_limit_still_loads(shared_data):
    # Without compat the whole linear page (every linear instrument) would fail to decode.
    raw = load(shared_data, "http_get_instruments_linear_symbol_type.json")
    with pytest.raises(msgspec.ValidationError, match="maxMktOrderQty"):
        msgspec.json.decode(raw, type=BybitInstrumentsLinearResponse)
    reply = rest(shared_data, "http_get_instruments_linear_symbol_type.json", "/v5/market/instruments-info",
                 BybitInstrumentsLinearResponse)  # fmt: skip
    inst = instrument(reply.result.list[0], "linear")
    assert isinstance(inst, CryptoPerpetual) and inst.max_quantity.as_decimal() == Decimal("100")


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("http_get_orders_realtime.json", 2),
        ("http_get_orders_realtime_tp_sl.json", 0),  # two position TP/SL orders: no Nautilus type
        ("http_get_orders_history.json", 0),  # a cancelled StopLoss order: no Nautilus type either
        ("http_get_orders_history_with_duplicate.json", 1),  # + one Stop order without a Nautilus type
        ("http_get_order_partially_filled_rejected.json", 1),
    ],
)
def test_orders_become_order_status_reports(shared_data, name, count):
    path = "/v5/order/history" if "history" in name else "/v5/order/realtime"
    reply = rest(shared_data, name, path, BybitOpenOrdersResponseStruct)
    orders = _representable_only(reply.result.list)  # what our account API hands the built-in
    reports = [
        o.parse_to_order_status_report(
            account_id=ACCOUNT,
            instrument_id=BybitSymbol(f"{o.symbol}-LINEAR").to_instrument_id(),
            client_order_id=None,
            report_id=UUID4(),
            enum_parser=PARSER,
            ts_init=0,
        )
        for o in orders
    ]
    assert len(reports) == count and all(isinstance(r, OrderStatusReport) for r in reports)
    if name == "http_get_orders_realtime_tp_sl.json":
        with pytest.raises(RuntimeError, match="Unrecognized Bybit"):  # what the built-in alone would do
            reply.result.list[0].parse_to_order_status_report(
                account_id=ACCOUNT, instrument_id=BybitSymbol("BTCUSDT-LINEAR").to_instrument_id(),
                client_order_id=None, report_id=UUID4(), enum_parser=PARSER, ts_init=0,
            )  # fmt: skip
    if name == "http_get_order_partially_filled_rejected.json":
        # rejected after a partial fill: the venue's "Rejected" becomes CANCELED with the fill kept
        assert reports[0].order_status == OrderStatus.CANCELED
        assert reports[0].filled_qty.as_decimal() == Decimal("0.005")


def test_executions_become_fill_reports_and_funding_rows_are_not_fills(shared_data):
    reply = rest(
        shared_data, "http_get_executions.json", "/v5/execution/list", BybitTradeHistoryResponseStruct
    )
    fills = [
        e.parse_to_fill_report(
            account_id=ACCOUNT,
            instrument_id=BybitSymbol(f"{e.symbol}-LINEAR").to_instrument_id(),
            report_id=UUID4(),
            enum_parser=PARSER,
            ts_init=0,
        )
        for e in reply.result.list
    ]
    assert [str(f.client_order_id) for f in fills] == ["test-order-001", "test-order-002"]
    assert fills[0].commission.as_decimal() == Decimal("0.0150")
    assert all(e.execType == BybitExecType.TRADE for e in reply.result.list)


def test_positions_become_position_status_reports(shared_data):
    for name, sides in (
        ("http_get_positions.json", [PositionSide.LONG, PositionSide.SHORT]),
        ("http_get_positions_with_open_time.json", None),
    ):
        reply = rest(shared_data, name, "/v5/position/list", BybitPositionResponseStruct)
        reports = [
            p.parse_to_position_status_report(
                account_id=ACCOUNT,
                instrument_id=BybitSymbol(f"{p.symbol}-LINEAR").to_instrument_id(),
                report_id=UUID4(),
                ts_init=0,
            )
            for p in reply.result.list
        ]
        assert reports
        if sides:
            assert [r.position_side for r in reports][:2] == sides
            assert reports[1].quantity.as_decimal() == Decimal("5.0")


@pytest.mark.parametrize(
    ("name", "usdt"),
    [
        ("http_get_wallet_balance.json", Decimal("1000.50")),
        ("http_get_wallet_balance_spot_short.json", None),
        ("http_get_wallet_balance_with_spot_borrow.json", None),
    ],
)
def test_wallets_become_account_balances(shared_data, name, usdt):
    reply = rest(shared_data, name, "/v5/account/wallet-balance", BybitWalletBalanceResponse)
    balances = [b for w in reply.result.list for b in w.parse_to_account_balance()]
    assert balances and all(b.total.raw == b.free.raw + b.locked.raw for b in balances)
    if usdt is not None:
        assert next(b for b in balances if b.currency.code == "USDT").total.as_decimal() == usdt
    borrowed = {c.coin: c for w in reply.result.list for c in w.coin if Decimal(c.spotBorrow or "0")}
    for b in balances:  # a borrowed coin shows wallet minus borrow (negative when short)
        if b.currency.code in borrowed:
            c = borrowed[b.currency.code]
            assert b.total.as_decimal() == Decimal(c.walletBalance) - Decimal(c.spotBorrow)


def test_account_fee_and_key_queries_decode(shared_data):
    info = rest(shared_data, "http_get_account_info.json", "/v5/account/info", BybitAccountInfoResponse)
    assert info.result.marginMode.value == "REGULAR_MARGIN"
    fees = rest(shared_data, "http_get_fee_rate.json", "/v5/account/fee-rate", BybitFeeRateResponse)
    assert {f.symbol: f.makerFeeRate for f in fees.result.list}["SOLUSDT"] == "0.00025"
    api = rest(shared_data, "http_get_user_query_api.json", "/v5/user/query-api", BybitQueryApiResponse)
    assert api.result.apiKey
    sub = rest(
        shared_data,
        "http_post_user_update_sub_api.json",
        "/v5/user/update-sub-api",
        BybitUpdateSubApiResponse,
    )
    assert sub.retCode == 0


@pytest.mark.parametrize(
    "name",
    [
        "http_get_user_escrow_sub_members.json",
        "http_get_user_sub_apikeys.json",
        "http_get_user_sub_members.json",
        "http_get_user_sub_members_paged.json",
        "http_post_user_update_master_api.json",
    ],
)
def test_account_management_replies_pass_the_envelope_check(shared_data, name):
    # Not received by any of our paths (sub-accounts and key management); every reply passes this.
    reply = msgspec.json.decode(load(shared_data, name), type=BybitResponse)
    assert reply.retCode == 0 and isinstance(reply.result, dict)


def test_market_history_replies_become_catalog_objects(shared_data):
    """What the downloader writes: bars from klines, funding rates, trades (our history parsers)."""
    perp = InstrumentId.from_str("BTCUSDT-LINEAR.BYBIT")
    bar_type = BarType.from_str("BTCUSDT-LINEAR.BYBIT-1-MINUTE-LAST-EXTERNAL")
    klines = json.loads(load(shared_data, "http_get_klines_linear.json"))["result"]["list"]
    bar = parse_kline_row(klines[0], bar_type, 1, 3, interval_ms=60_000, ts_init=0)
    assert (
        isinstance(bar, Bar)
        and str(bar.close) == "27455.0"
        and bar.ts_event == (1709891679000 + 60_000) * 1_000_000
    )
    funding = json.loads(load(shared_data, "http_get_funding_history.json"))["result"]["list"]
    rates = [parse_funding_row(r, perp, interval_ns=8 * 3_600_000_000_000) for r in funding]
    assert [r.rate for r in rates] == [Decimal("0.0001"), Decimal("0.00015")]
    assert all(isinstance(r, FundingRateUpdate) and r.next_funding_ns == r.ts_event for r in rates)
    trades = json.loads(load(shared_data, "http_get_trades_recent.json"))["result"]["list"]
    tick = parse_trade_row(trades[0], perp, 2, 3, ts_init=0)
    assert isinstance(tick, TradeTick) and str(tick.trade_id) == "a905d5c3-1ed0-4f37-83e4-9c73a2fe2f01"
    # the built-in's own decoders for the same replies (its request_* handlers)
    kl = rest(shared_data, "http_get_klines_linear.json", "/v5/market/kline", BybitKlinesResponse)
    assert kl.result.list[0].parse_to_bar(bar_type, timestamp_on_close=True).close == bar.close
    tr = rest(shared_data, "http_get_trades_recent.json", "/v5/market/recent-trade", BybitTradesResponse)
    assert tr.result.list[0].parse_to_trade(perp).price == tick.price


def test_rest_orderbook_snapshot_builds_a_book_with_the_stream_parser(shared_data):
    doc = json.loads(load(shared_data, "http_get_orderbook.json"))["result"]
    depth = msgspec.convert(doc, type=BybitWsOrderbookDepth)
    book = OrderBook(InstrumentId.from_str("BTCUSDT-LINEAR.BYBIT"), BookType.L2_MBP)
    book.apply_deltas(
        depth.parse_to_deltas(book.instrument_id, 2, 3, doc["ts"] * 1_000_000, 0, snapshot=True)
    )
    assert str(book.best_bid_price()) == "27450.50" and str(book.best_ask_price()) == "27451.00"
    assert len(book.bids()) == 3 and len(book.asks()) == 3


# -- WebSocket, through the built-in clients' handlers ----------------------------------------------------
@pytest.fixture(scope="module")
def clients(shared_data):
    """A data and an exec client built by our factories (no connection), on a real message bus."""
    loop = asyncio.new_event_loop()
    clock = LiveClock()
    msgbus = MessageBus(TraderId("TESTER-001"), clock)
    cache = Cache()
    data: list = []
    events: list = []
    msgbus.register("DataEngine.process", data.append)
    msgbus.register("ExecEngine.process", events.append)
    msgbus.register("Portfolio.update_account", events.append)
    common = dict(api_key="k", api_secret="s", product_types=PRODUCTS, base_url_http="http://127.0.0.1:9")
    dc = BybitArbLiveDataClientFactory.create(
        loop, "BYBIT", BybitArbDataClientConfig(**common, base_url_ws_public="ws://127.0.0.1:9/v5/public"),
        msgbus, cache, clock,
    )  # fmt: skip
    ec = BybitArbLiveExecClientFactory.create(
        loop, "BYBIT", BybitArbExecClientConfig(**common, base_url_ws_private="ws://127.0.0.1:9/v5/private"),
        msgbus, cache, clock,
    )  # fmt: skip
    lin = rest(
        shared_data,
        "http_get_instruments_linear.json",
        "/v5/market/instruments-info",
        BybitInstrumentsLinearResponse,
    )
    for item in lin.result.list:
        cache.add_instrument(instrument(item, "linear"))
    yield dc, ec, data, events
    loop.close()


def test_public_stream_payloads_become_market_data(shared_data, clients):
    dc, _, data, _ = clients
    data.clear()
    dc._handle_ws_message(BybitProductType.LINEAR, load(shared_data, "ws_orderbook_snapshot.json"))
    dc._handle_ws_message(BybitProductType.LINEAR, load(shared_data, "ws_orderbook_delta.json"))
    dc._handle_ws_message(BybitProductType.LINEAR, load(shared_data, "ws_ticker_linear.json"))
    deltas = [d for d in data if isinstance(d, OrderBookDeltas)]
    assert len(deltas) == 2 and deltas[0].is_snapshot
    book = OrderBook(deltas[0].instrument_id, BookType.L2_MBP)
    for d in deltas:
        book.apply_deltas(d)
    # the delta removed the 27451.00 ask and resized the 27450.00 bid
    assert str(book.best_ask_price()) == "27451.5" and str(book.best_bid_price()) == "27450.0"
    assert book.bids()[0].size() == 0.4
    rate = next(d for d in data if isinstance(d, FundingRateUpdate))
    assert rate.rate == Decimal("-0.000212") and rate.next_funding_ns == 1673280000000 * 1_000_000
    quote = next(d for d in data if isinstance(d, QuoteTick))
    assert str(quote.bid_price) == "17215.50" and str(quote.ask_price) == "17216.00"
    # klines: the built-in publishes a bar only once the candle is confirmed (this one is not)
    kline = msgspec.json.decode(load(shared_data, "ws_kline.json"))
    assert kline["data"][0]["confirm"] is False
    msg = dc._decoder_ws_kline.decode(load(shared_data, "ws_kline.json"))
    bar = msg.data[0].parse_to_bar(
        BarType.from_str("BTCUSDT-LINEAR.BYBIT-5-MINUTE-LAST-EXTERNAL"),
        1,
        3,
        ts_init=0,
        timestamp_on_close=True,
    )
    assert str(bar.close) == "16677.0"


def test_public_trade_and_option_ticker_payloads_decode(shared_data):
    trade = msgspec.json.decode(load(shared_data, "ws_public_trade.json"), type=BybitWsTradeMsg)
    tick = trade.data[0].parse_to_trade_tick(InstrumentId.from_str("BTCUSDT-LINEAR.BYBIT"), 2, 3, ts_init=0)
    assert str(tick.price) == "27451.00" and str(tick.size) == "0.010"
    # option tickers: the built-in's option schema (options are not traded by our strategies)
    option = msgspec.json.decode(load(shared_data, "ws_ticker_option.json"), type=BybitWsTickerOptionMsg)
    assert option.data.markPrice == "7.86976724"


@pytest.mark.parametrize(
    "name",
    [
        "ws_account_wallet.json",
        "ws_account_wallet_locked_exceeds_total.json",
        "ws_account_wallet_small_order.json",
    ],
)
def test_wallet_pushes_become_account_states(shared_data, clients, name):
    _, ec, _, events = clients
    events.clear()
    ec._handle_ws_message_private(load(shared_data, name))
    states = [e for e in events if isinstance(e, AccountState)]
    assert len(states) == 1 and states[0].is_reported
    raw = json.loads(load(shared_data, name))["data"][0]
    usdt = next(b for b in states[0].balances if b.currency.code == "USDT")
    wallet = Decimal(next(c for c in raw["coin"] if c["coin"] == "USDT")["walletBalance"])
    assert usdt.total.as_decimal() == wallet


def test_wallet_push_is_refused_by_the_built_in_schema_without_compat(shared_data):
    from nautilus_trader.adapters.bybit.schemas.ws import BybitWsAccountWalletMsg

    raw = load(shared_data, "ws_account_wallet.json")
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw, type=BybitWsAccountWalletMsg)
    assert msgspec.json.decode(normalize_wallet_message(raw), type=BybitWsAccountWalletMsg).data


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("ws_account_order_partially_filled_rejected.json", OrderStatus.CANCELED),  # rejected after a fill
        ("ws_account_order_stop_market.json", OrderStatus.ACCEPTED),  # Untriggered conditional orders
        ("ws_account_order_buy_stop_market.json", OrderStatus.ACCEPTED),
        ("ws_account_order_stop_limit.json", OrderStatus.ACCEPTED),
        ("ws_account_order_market_if_touched.json", OrderStatus.ACCEPTED),
        ("ws_account_order_sell_market_if_touched.json", OrderStatus.ACCEPTED),
        ("ws_account_order_limit_if_touched.json", OrderStatus.ACCEPTED),
    ],
)
def test_order_pushes_become_order_status_reports(shared_data, name, status):
    msg = msgspec.json.decode(load(shared_data, name), type=BybitWsAccountOrderMsg)
    for o in msg.data:
        assert representable(o)
        report = o.parse_to_order_status_report(
            account_id=ACCOUNT, instrument_id=BybitSymbol(f"{o.symbol}-{o.category.value.upper()}").to_instrument_id(),
            client_order_id=None, enum_parser=PARSER, ts_init=0,
        )  # fmt: skip
        assert report.order_status == status
        assert report.quantity.as_decimal() == Decimal(o.qty)


@pytest.mark.parametrize(
    "name",
    [
        "ws_account_order_stop_loss.json",
        "ws_account_order_take_profit.json",
        "ws_account_order.json",  # a StopLoss order
        "ws_account_order_filled.json",  # a Stop order without trigger direction
    ],
)
def test_position_tp_sl_pushes_are_left_out_not_fatal(shared_data, clients, name):
    _, ec, _, events = clients
    msg = msgspec.json.decode(load(shared_data, name), type=BybitWsAccountOrderMsg)
    assert not representable(msg.data[0])
    events.clear()
    ec._handle_ws_message_private(load(shared_data, name))  # logged and left out
    assert events == []


def test_execution_pushes_decode_and_adl_counts_as_a_fill(shared_data):
    from adapters.bybit.execution import FILL_TYPES

    trade = msgspec.json.decode(
        load(shared_data, "ws_account_execution.json"), type=BybitWsAccountExecutionMsg
    )
    adl = msgspec.json.decode(
        load(shared_data, "ws_account_execution_adl.json"), type=BybitWsAccountExecutionMsg
    )
    assert trade.data[0].execType in FILL_TYPES and adl.data[0].execType in FILL_TYPES
    assert trade.data[0].execFee == "26.3725275"
    fast = msgspec.json.decode(
        load(shared_data, "ws_account_execution_fast.json"), type=BybitWsAccountExecutionFastMsg
    )
    assert fast.data[0].execQty == "3000"
    empty = msgspec.json.decode(
        load(shared_data, "ws_account_execution_fast_envelope_id.json"), type=BybitWsAccountExecutionFastMsg
    )
    assert empty.data == []


def test_position_pushes_decode(shared_data):
    # The built-in does not subscribe to `position`; pybit/ccxt users of the front do.
    for name in ("ws_account_position.json", "ws_account_position_short.json"):
        msg = msgspec.json.decode(load(shared_data, name), type=BybitWsAccountPositionMsg)
        assert msg.data[0].side.value == "Sell" and msg.data[0].size == "0.01"
    bare = json.loads(load(shared_data, "ws_account_position_with_open_time.json"))
    assert {"symbol", "side", "size", "entryPrice", "markPrice"} <= set(bare)  # a bare record, no envelope
    with pytest.raises(msgspec.ValidationError):  # (older fields missing: not a full stream record)
        msgspec.convert(bare, type=BybitWsAccountPosition)


def test_control_replies_decode(shared_data):
    ack = msgspec.json.decode(load(shared_data, "ws_subscription_ack.json"), type=BybitWsSubscriptionMsg)
    fail = msgspec.json.decode(load(shared_data, "ws_subscription_failure.json"), type=BybitWsSubscriptionMsg)
    assert ack.success and not fail.success and "invalid.topic" in fail.ret_msg
    ok = msgspec.json.decode(load(shared_data, "ws_auth_success.json"), type=BybitWsTradeAuthMsg)
    bad = msgspec.json.decode(load(shared_data, "ws_auth_failure.json"), type=BybitWsTradeAuthMsg)
    assert ok.is_auth_success() and not bad.is_auth_success() and bad.retMsg == "Invalid apikey"
    private = msgspec.json.decode(
        json.dumps({"success": True, "ret_msg": "", "op": "auth", "conn_id": "x"}),
        type=BybitWsPrivateChannelAuthMsg,
    )
    assert private.is_auth_success()
    placed = msgspec.json.decode(
        load(shared_data, "ws_order_response.json"), type=BybitWsPlaceOrderResponseMsg
    )
    assert placed.data.orderLinkId == "client-order-1"


def test_funding_execution_from_the_venue_docs_example_has_our_signs():
    # The `execType=Funding` record of Bybit's own docs (v5 "Get Trade History", pre-upgrade example):
    # a short of 0.011 BTC paid 0.6364003 USDT; feeRate is signed by side.
    payment = funding_from_execution(
        InstrumentId.from_str("BTCUSDT-LINEAR.BYBIT"), Currency.from_str("USDT"),
        side="Sell", exec_qty="0.011", exec_price="28399.90", exec_fee="0.6364003", fee_rate="0.00203714",
        exec_time="1682553600000", ts_init=0,
    )  # fmt: skip
    assert payment.position_quantity == Decimal("-0.011")
    assert payment.rate == Decimal("-0.00203714")  # the published rate: negative, shorts pay
    assert payment.amount == Decimal("-0.6364003")  # paid
    assert payment.ts_event == 1682553600000 * 1_000_000
    expected = -payment.position_quantity * payment.mark_price * payment.rate
    assert abs(expected - payment.amount) < Decimal("0.000001")


# -- the recorded order-book session ------------------------------------------------------------------------
def test_orderbook_recording_replays_to_a_consistent_book(shared_data):
    archive = shared_data / "nautilus_trader" / "bybit_orderbook_recording" / "xrpusdt-ob500.data.zip"
    with zipfile.ZipFile(archive) as z:
        lines = z.read(z.namelist()[0]).decode().splitlines()
    assert len(lines) == 50
    decoder = msgspec.json.Decoder(BybitWsOrderbookDepthMsg)
    instrument_id = InstrumentId.from_str("XRPUSDT-LINEAR.BYBIT")
    book = OrderBook(instrument_id, BookType.L2_MBP)
    mirror: dict[str, dict[str, Decimal]] = {"b": {}, "a": {}}  # an independent book from the raw frames
    last_u = None
    for i, line in enumerate(lines):
        msg = decoder.decode(line)
        snapshot = msg.type == "snapshot"
        assert snapshot == (i == 0)
        assert last_u is None or msg.data.u == last_u + 1  # this stream numbers deltas one by one
        last_u = msg.data.u
        book.apply_deltas(
            msg.data.parse_to_deltas(instrument_id, 4, 0, msg.ts * 1_000_000, 0, snapshot=snapshot)
        )
        for side in ("b", "a"):
            if snapshot:
                mirror[side].clear()
            for px, sz in getattr(msg.data, side):
                if Decimal(sz) == 0:
                    mirror[side].pop(px, None)
                else:
                    mirror[side][px] = Decimal(sz)
        best_bid, best_ask = book.best_bid_price(), book.best_ask_price()
        assert best_bid < best_ask, f"crossed book after message {i}"
        assert str(best_bid) == max(mirror["b"], key=Decimal) and str(best_ask) == min(
            mirror["a"], key=Decimal
        )
    assert {str(lv.price): Decimal(round(lv.size())) for lv in book.bids()} == mirror["b"]
    assert {str(lv.price): Decimal(round(lv.size())) for lv in book.asks()} == mirror["a"]
