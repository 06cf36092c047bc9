"""Every Bitget payload we hold parses: the recorded 2022 session (v1 REST + WebSocket, mapped by
`adapters.bitget.legacy`), the Bitget values of the daily funding panel, and the v2 reply and push
examples of Bitget's API documentation. Book checksums are verified on every recorded frame."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import BarSpecification
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AggregationSource
from nautilus_trader.model.enums import BarAggregation
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.enums import PriceType
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.instruments import CurrencyPair

from adapters.bitget import legacy
from adapters.bitget import schemas as s
from adapters.bitget.books import L2Book
from adapters.bitget.books import book_checksum
from adapters.bitget.books import checksum_text
from adapters.bitget.parsing import book_snapshot_deltas
from adapters.bitget.parsing import book_update_deltas
from adapters.bitget.parsing import fee_from_detail
from adapters.bitget.parsing import parse_candle
from adapters.bitget.parsing import parse_current_fund_rate
from adapters.bitget.parsing import parse_fill_report
from adapters.bitget.parsing import parse_funding_history
from adapters.bitget.parsing import parse_funding_payment
from adapters.bitget.parsing import parse_order_report
from adapters.bitget.parsing import parse_position_report
from adapters.bitget.parsing import parse_ticker_prices
from adapters.bitget.parsing import parse_trade
from adapters.bitget.parsing import quote_from_depth
from adapters.bitget.parsing import quote_from_ticker
from adapters.bitget.providers import build_index
from adapters.common.errors import MalformedMessageError

RECORDING = "cryptofeed_recordings/bitget_legacy_v1_ws_rest_2022-04-06.jsonl.gz"
PANEL = "kittycapital_funding_snapshots/daily_funding_snapshots_until_2026-05-31.csv"
ACCOUNT = AccountId("BITGET-test")
TS = 1_700_000_000_000_000_000


def read_recording(shared_data: Path) -> list[dict]:
    with gzip.open(shared_data / RECORDING, "rt") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def recording(shared_data):
    return read_recording(shared_data)


@pytest.fixture(scope="module")
def legacy_index(recording):
    contracts, spot = [], []
    for r in recording:
        if r["t"] != "http":
            continue
        data = legacy.decode_rest_data(r["data"])
        if "/spot/v1/public/products" in r["url"]:
            spot += [legacy.to_spot_symbol(p) for p in legacy.DecodersV1.products.decode(data)]
        elif "/mix/v1/market/contracts" in r["url"]:
            contracts += [legacy.to_contract(c) for c in legacy.DecodersV1.contracts.decode(data)]
    return build_index(contracts, spot, TS)


def test_recorded_v1_instruments_parse_into_perps_and_spot_pairs(legacy_index):
    perps = [i for i in legacy_index.instruments.values() if isinstance(i, CryptoPerpetual)]
    spots = [i for i in legacy_index.instruments.values() if isinstance(i, CurrencyPair)]
    assert len(perps) > 30 and len(spots) > 200
    dash = legacy_index.instruments[InstrumentId.from_str("DASHUSDT-PERP.BITGET")]
    assert dash.raw_symbol.value == "DASHUSDT" and dash.quote_currency.code == "USDT"
    btc = legacy_index.instruments[InstrumentId.from_str("BTCUSDT-PERP.BITGET")]
    # pricePlace 1, priceEndStep 5 -> a 0.5 tick; no sizeMultiplier in v1 -> lot 10^-volumePlace
    assert btc.price_increment.as_decimal() == Decimal("0.5") and btc.size_increment.as_decimal() == Decimal(
        "0.001"
    )
    # coin-margined (dmcbl, quote USD) contracts are out of scope and skipped
    assert not any(i.quote_currency.code == "USD" for i in perps)
    assert legacy_index.lookup("SPOT", "CULTUSDT").price_precision == 8


def test_every_recorded_book_frame_passes_its_checksum_and_rebuilds_in_nautilus(recording, legacy_index):
    books: dict[tuple[str, str], L2Book] = {}
    nautilus: dict[tuple[str, str], OrderBook] = {}
    verified = 0
    for r in recording:
        if r["t"] != "recv" or '"channel":"books"' not in r["data"] or '"action"' not in r["data"]:
            continue
        msg = s.Decoders.ws.decode(r["data"])
        product = legacy.inst_type(msg.arg.instType)
        m = legacy_index.lookup(product, msg.arg.instId)
        key = (product, msg.arg.instId)
        for depth in s.Decoders.depths.decode(msg.data):
            ts = int(depth.ts) * 1_000_000
            if msg.action == "snapshot":
                book = books[key] = L2Book()
                book.snapshot(depth.bids, depth.asks)
                nautilus[key] = OrderBook(m.instrument_id, BookType.L2_MBP)
                nautilus[key].apply_deltas(book_snapshot_deltas(book, m, ts, ts))
            else:
                book = books[key]
                changes = book.apply(depth.bids, depth.asks)
                deltas = book_update_deltas(changes, m, ts, ts)
                if deltas is not None:
                    nautilus[key].apply_deltas(deltas)
            assert depth.checksum == book.checksum(), f"{key} checksum at {depth.ts}"
            verified += 1
            nb = nautilus[key]
            assert nb.best_bid_price().as_decimal() == Decimal(book.bids.best()[0])
            assert nb.best_ask_price().as_decimal() == Decimal(book.asks.best()[0])
            assert len(nb.bids()) == len(book.bids) and len(nb.asks()) == len(book.asks)
    assert verified == 637 and len(books) == 10  # 10 snapshots + 627 updates


def test_checksum_uses_the_original_strings_and_interleaves_one_sided_tails():
    # the venue's own examples (docs "Depth Channel", Checksum)
    assert checksum_text([("43231.1", "4"), ("43231", "6")], [("43232.8", "9"), ("43232.9", "8")]) == (
        "43231.1:4:43232.8:9:43231:6:43232.9:8"
    )
    assert checksum_text([("3366.1", "7")], [("3366.8", "9"), ("3368", "8"), ("3372", "8")]) == (
        "3366.1:7:3366.8:9:3368:8:3372:8"
    )
    assert book_checksum([("0.5000", "1")], []) != book_checksum([("0.5", "1")], [])
    book = L2Book()
    book.snapshot([["9.5", "1"], ["10", "2"]], [["10.5", "3"]])
    assert [px for px, _ in book.bids.top(2)] == ["10", "9.5"]  # numeric, not string, order


def test_recorded_trades_tickers_and_candles_parse(recording, legacy_index):
    counts: Counter[str] = Counter()
    spec = BarSpecification(1, BarAggregation.MINUTE, PriceType.LAST)
    for r in recording:
        if r["t"] != "recv" or '"action"' not in r["data"]:
            continue
        msg = s.Decoders.ws.decode(r["data"])
        product = legacy.inst_type(msg.arg.instType)
        m = legacy_index.lookup(product, msg.arg.instId)
        channel = msg.arg.channel
        if channel == "trade":
            for row in legacy.DecodersV1.trades.decode(msg.data):
                tick = parse_trade(legacy.to_trade(row, m.symbol), m, TS)
                assert tick.instrument_id == m.instrument_id and tick.size.as_decimal() > 0
                counts["trade"] += 1
        elif channel == "ticker":
            for t in legacy.DecodersV1.tickers.decode(msg.data):
                v2 = legacy.to_ticker(t)
                quote = quote_from_ticker(v2, m, TS)
                assert quote is not None and quote.bid_price <= quote.ask_price
                mark, index, funding = parse_ticker_prices(v2, m, TS)
                if not m.is_spot:
                    assert mark is not None and index is not None and funding is not None
                    assert funding.next_funding_ns > funding.ts_event and abs(funding.rate) < Decimal("0.01")
                    counts["funding"] += 1
                counts["ticker"] += 1
        elif channel == "candle1m":
            bar_type = BarType(m.instrument_id, spec, AggregationSource.EXTERNAL)
            for row in s.Decoders.candles.decode(msg.data):
                bar = parse_candle(row, m, bar_type, 60_000, TS)
                assert bar.low <= bar.open <= bar.high and bar.low <= bar.close <= bar.high
                counts["candle"] += 1
    assert (
        counts["trade"] > 500
        and counts["ticker"] == 345
        and counts["funding"] == 217
        and counts["candle"] > 900
    )


def test_bitget_values_of_the_funding_panel_parse_as_funding_rates(shared_data):
    with open(shared_data / PANEL) as f:
        rows = [r for r in csv.DictReader(f) if r["venue"] == "bitget" and r["rate_8h_equiv"]]
    assert len(rows) > 1000
    index = build_index(
        [s.Contract("BTCUSDT", "BTC", "USDT", "1", "1", "3", "0.001", fundInterval="8")], [], TS
    )
    m = index.lookup("USDT-FUTURES", "BTCUSDT")
    for r in rows:
        ticker = s.Ticker(
            instId="BTCUSDT",
            fundingRate=r["rate_8h_equiv"],
            nextFundingTime="1769155200000",
            ts=1769155000000,
        )
        _, _, funding = parse_ticker_prices(ticker, m, TS)
        assert funding.rate == Decimal(r["rate_8h_equiv"]) and abs(funding.rate) < Decimal("0.02")


# -- v2 examples from Bitget's API documentation ----------------------------------------------------
CONTRACT = {
    "symbol": "BTCUSDT", "baseCoin": "BTC", "quoteCoin": "USDT", "buyLimitPriceRatio": "0.01",
    "sellLimitPriceRatio": "0.01", "feeRateUpRatio": "0.005", "makerFeeRate": "0.0002", "takerFeeRate": "0.0006",
    "openCostUpRatio": "0.01", "supportMarginCoins": ["USDT"], "minTradeNum": "0.001", "priceEndStep": "1",
    "volumePlace": "3", "pricePlace": "1", "sizeMultiplier": "0.001", "symbolType": "perpetual", "minTradeUSDT": "5",
    "maxSymbolOrderNum": "200", "maxProductOrderNum": "400", "maxPositionNum": "150", "symbolStatus": "normal",
    "offTime": "-1", "limitOpenTime": "-1", "deliveryTime": "", "deliveryStartTime": "", "deliveryPeriod": "",
    "launchTime": "", "fundInterval": "8", "minLever": "1", "maxLever": "125", "posLimit": "0.05", "maintainTime": "",
}  # fmt: skip
SPOT_SYMBOL = {
    "symbol": "BTCUSDT", "baseCoin": "BTC", "quoteCoin": "USDT", "minTradeAmount": "0", "maxTradeAmount": "10000000000",
    "takerFeeRate": "0.002", "makerFeeRate": "0.002", "pricePrecision": "2", "quantityPrecision": "4",
    "quotePrecision": "6", "status": "online", "minTradeUSDT": "5", "buyLimitPriceRatio": "0.05",
    "sellLimitPriceRatio": "0.05",
}  # fmt: skip


@pytest.fixture(scope="module")
def index():
    contracts = msgspec.json.decode(json.dumps([CONTRACT]), type=list[s.Contract])
    spot = msgspec.json.decode(json.dumps([SPOT_SYMBOL]), type=list[s.SpotSymbol])
    return build_index(contracts, spot, TS)


def test_contract_and_spot_symbol_become_instruments_with_the_venue_rules(index):
    perp = index.instruments[InstrumentId.from_str("BTCUSDT-PERP.BITGET")]
    assert isinstance(perp, CryptoPerpetual)
    assert perp.price_increment.as_decimal() == Decimal(
        "0.1"
    ) and perp.size_increment.as_decimal() == Decimal("0.001")
    assert perp.min_quantity.as_decimal() == Decimal("0.001") and perp.min_notional.as_decimal() == Decimal(
        "5"
    )
    assert perp.margin_init == Decimal("0.008") and perp.info["funding_interval_hours"] == 8
    spot = index.instruments[InstrumentId.from_str("BTCUSDT-SPOT.BITGET")]
    assert isinstance(spot, CurrencyPair) and spot.price_increment.as_decimal() == Decimal("0.01")
    assert spot.size_increment.as_decimal() == Decimal("0.0001")
    m = index.lookup("USDT-FUTURES", "BTCUSDT")
    assert m.round_price(Decimal("27000.57"), "down") == Decimal("27000.5")
    assert m.round_price(Decimal("27000.51"), "up") == Decimal("27000.6")


def test_stock_perp_with_coarse_tick_and_interval():
    nvda = dict(CONTRACT, symbol="NVDAUSDT", baseCoin="NVDA", pricePlace="2", priceEndStep="5", volumePlace="2",
                sizeMultiplier="0.05", minTradeNum="0.1", fundInterval="4", maxLever="25")  # fmt: skip
    idx = build_index(msgspec.json.decode(json.dumps([nvda]), type=list[s.Contract]), [], TS)
    inst = idx.instruments[InstrumentId.from_str("NVDAUSDT-PERP.BITGET")]
    assert inst.price_increment.as_decimal() == Decimal(
        "0.05"
    ) and inst.size_increment.as_decimal() == Decimal("0.05")
    assert inst.min_quantity.as_decimal() == Decimal("0.1") and inst.info["funding_interval_hours"] == 4
    assert inst.margin_init == Decimal("0.04")


def push(
    channel: str, data, inst: str = "USDT-FUTURES", action: str = "snapshot", inst_id: str = "BTCUSDT"
) -> bytes:
    key = "coin" if channel == "account" else "instId"
    return json.dumps(
        {
            "action": action,
            "arg": {"instType": inst, "channel": channel, key: inst_id},
            "data": data,
            "ts": 1695716059516,
        }
    ).encode()


def test_public_pushes_parse(index):
    m = index.lookup("USDT-FUTURES", "BTCUSDT")
    books5 = push(
        "books5",
        [
            {
                "asks": [["27000.5", "8.760"], ["27001.0", "0.400"]],
                "bids": [["27000.0", "2.710"], ["26999.5", "1.460"]],
                "checksum": 0,
                "ts": "1695716059516",
            }
        ],
    )
    msg = s.Decoders.ws.decode(books5)
    quote = quote_from_depth(s.Decoders.depths.decode(msg.data)[0], m, TS)
    assert str(quote.bid_price) == "27000.0" and str(quote.ask_size) == "8.760"
    ticker = push(
        "ticker",
        [
            {
                "instId": "BTCUSDT",
                "lastPr": "27000.5",
                "bidPr": "27000",
                "askPr": "27000.5",
                "bidSz": "2.71",
                "askSz": "8.76",
                "open24h": "27000.5",
                "high24h": "30668.5",
                "low24h": "26999.0",
                "change24h": "-0.00002",
                "fundingRate": "0.000010",
                "nextFundingTime": "1695722400000",
                "markPrice": "27000.0",
                "indexPrice": "25702.4",
                "holdingAmount": "929.502",
                "baseVolume": "368.900",
                "quoteVolume": "10152429.961",
                "openUtc": "27000.5",
                "symbolType": 1,
                "symbol": "BTCUSDT",
                "deliveryPrice": "0",
                "ts": "1695715383021",
            }
        ],
    )
    t = s.Decoders.tickers.decode(s.Decoders.ws.decode(ticker).data)[0]
    mark, index_px, funding = parse_ticker_prices(t, m, TS)
    assert str(mark.value) == "27000.0" and str(index_px.value) == "25702.4"
    assert funding.rate == Decimal("0.000010") and funding.next_funding_ns == 1695722400000 * 1_000_000
    trade = push(
        "trade",
        [
            {
                "ts": "1695716760565",
                "price": "27000.5",
                "size": "0.001",
                "side": "buy",
                "tradeId": "1111111111",
            },
            {
                "ts": "1695716759514",
                "price": "27000.0",
                "size": "0.001",
                "side": "sell",
                "tradeId": "1111111111",
            },
        ],
    )
    ticks = [parse_trade(x, m, TS) for x in s.Decoders.public_trades.decode(s.Decoders.ws.decode(trade).data)]
    assert [t.aggressor_side.name for t in ticks] == ["BUYER", "SELLER"] and str(ticks[0].price) == "27000.5"
    candle = push(
        "candle1m",
        [["1695685500000", "27000", "27000.5", "27000", "27000.5", "0.057", "1539.0155", "1539.0155"]],
    )
    bar_type = BarType(
        m.instrument_id,
        BarSpecification(1, BarAggregation.MINUTE, PriceType.LAST),
        AggregationSource.EXTERNAL,
    )
    bar = parse_candle(
        s.Decoders.candles.decode(s.Decoders.ws.decode(candle).data)[0], m, bar_type, 60_000, TS
    )
    assert bar.ts_event == (1695685500000 + 60_000) * 1_000_000 and str(bar.high) == "27000.5"


def test_funding_rest_replies_parse(index):
    m = index.lookup("USDT-FUTURES", "BTCUSDT")
    cur = s.Decoders.current_fund_rate.decode(
        b'[{"symbol":"BTCUSDT","fundingRate":"-0.000013","fundingRateInterval":"8","nextUpdate":"1745510400000","minFundingRate":"-0.003","maxFundingRate":"0.003"}]'
    )[0]
    update = parse_current_fund_rate(cur, m, TS)
    assert update.rate == Decimal("-0.000013") and update.next_funding_ns == 1745510400000 * 1_000_000
    hist = s.Decoders.fund_rate_history.decode(
        b'[{"symbol":"BTCUSDT","fundingRate":"0.0005","fundingTime":"1695776400000"},{"symbol":"BTCUSDT","fundingRate":"0.000013","fundingTime":"1695715200000"}]'
    )
    settled = [parse_funding_history(h, m, TS) for h in hist]
    assert settled[0].ts_event == settled[0].next_funding_ns == 1695776400000 * 1_000_000


def test_private_pushes_and_queries_parse(index):
    m = index.lookup("USDT-FUTURES", "BTCUSDT")
    order_push = push(
        "orders",
        [
            {
                "accBaseVolume": "0.01",
                "cTime": "1695718781129",
                "clientOId": "1",
                "feeDetail": [{"feeCoin": "USDT", "fee": "-0.162003"}],
                "fillFee": "-0.162003",
                "fillFeeCoin": "USDT",
                "fillNotionalUsd": "270.005",
                "fillPrice": "27000.5",
                "baseVolume": "0.01",
                "fillTime": "1695718781146",
                "force": "gtc",
                "instId": "BTCUSDT",
                "leverage": "20",
                "marginCoin": "USDT",
                "marginMode": "crossed",
                "notionalUsd": "270",
                "orderId": "1",
                "orderType": "market",
                "pnl": "0",
                "posMode": "hedge_mode",
                "posSide": "long",
                "price": "0",
                "priceAvg": "27000.5",
                "reduceOnly": "no",
                "stpMode": "cancel_taker",
                "side": "buy",
                "size": "0.01",
                "enterPointSource": "WEB",
                "status": "filled",
                "tradeScope": "T",
                "tradeId": "1111111111",
                "tradeSide": "open",
                "presetStopSurplusPrice": "21.4",
                "totalProfits": "11221.45",
                "presetStopLossPrice": "21.5",
                "uTime": "1695718781146",
            }
        ],
        inst_id="default",
    )
    o = s.Decoders.orders.decode(s.Decoders.ws.decode(order_push).data)[0]
    assert o.client_oid == "1" and o.venue_status == "filled" and o.filled == "0.01"
    report = parse_order_report(o, m, ACCOUNT, TS, None)
    assert (
        report.order_status == OrderStatus.FILLED
        and report.price is None
        and report.avg_px == Decimal("27000.5")
    )
    fill_push = push(
        "fill",
        [
            {
                "orderId": "111",
                "tradeId": "222",
                "symbol": "BTCUSDT",
                "side": "buy",
                "orderType": "market",
                "posMode": "one_way_mode",
                "price": "51000.5",
                "baseVolume": "0.01",
                "quoteVolume": "510.005",
                "profit": "0",
                "tradeSide": "open",
                "tradeScope": "taker",
                "feeDetail": [
                    {"feeCoin": "USDT", "deduction": "no", "totalDeductionFee": "0", "totalFee": "-0.183717"}
                ],
                "cTime": "1703577336606",
                "uTime": "1703577336606",
            }
        ],
        inst_id="default",
    )
    f = s.Decoders.fills.decode(s.Decoders.ws.decode(fill_push).data)[0]
    fill = parse_fill_report(f, m, ACCOUNT, TS, None)
    assert fill.commission.as_decimal() == Decimal("0.183717") and fill.liquidity_side == LiquiditySide.TAKER
    assert fill.last_qty.as_decimal() == Decimal("0.01") and fill.order_side == OrderSide.BUY
    pos_push = push(
        "positions",
        [
            {
                "posId": "1",
                "instId": "BTCUSDT",
                "marginCoin": "USDT",
                "marginSize": "9.5",
                "marginMode": "crossed",
                "holdSide": "short",
                "posMode": "hedge_mode",
                "total": "0.1",
                "available": "0.1",
                "frozen": "0",
                "openPriceAvg": "1900",
                "leverage": 20,
                "achievedProfits": "0",
                "unrealizedPL": "0",
                "unrealizedPLR": "0",
                "liquidationPrice": "5788.108475905242",
                "keepMarginRate": "0.005",
                "marginRate": "0.004416374196",
                "cTime": "1695649246169",
                "breakEvenPrice": "24778.97",
                "totalFee": "1.45",
                "deductedFee": "0.388",
                "uTime": "1695711602568",
                "autoMargin": "off",
            }
        ],
        inst_id="default",
    )
    p = s.Decoders.positions.decode(s.Decoders.ws.decode(pos_push).data)[0]
    pr = parse_position_report(p, m, ACCOUNT, TS)
    assert pr.position_side == PositionSide.SHORT and pr.quantity.as_decimal() == Decimal("0.1")
    account_push = push(
        "account",
        [
            {
                "marginCoin": "USDT",
                "frozen": "0.00000000",
                "available": "11.98545761",
                "maxOpenPosAvailable": "11.98545761",
                "maxTransferOut": "11.98545761",
                "equity": "11.98545761",
                "usdtEquity": "11.985457617660",
                "crossedRiskRate": "0",
                "unrealizedPL": "0.000000000000",
            }
        ],
        inst_id="default",
    )
    a = s.Decoders.accounts.decode(s.Decoders.ws.decode(account_push).data)[0]
    assert a.total == "11.98545761"
    detail = s.Decoders.order.decode(
        b'{"symbol":"ethusdt","size":"2","orderId":"123456","clientOid":"77777","baseVolume":"2","priceAvg":"1900","fee":"","price":"1900","state":"filled","side":"buy","force":"gtc","totalProfits":"2112","posSide":"long","marginCoin":"usdt","presetStopSurplusPrice":"1910","presetStopLossPrice":"1890","quoteVolume":"1900","orderType":"limit","leverage":"20","marginMode":"cross","reduceOnly":"yes","enterPointSource":"api","tradeSide":"","posMode":"one_way_mode","orderSource":"normal","cancelReason":"","cTime":"1627300098776","uTime":"1627300098776"}'
    )
    assert detail.venue_status == "filled" and detail.client_oid == "77777"
    pending = s.Decoders.order_page.decode(
        b'{"entrustedList":[{"symbol":"ethusdt","size":"100","orderId":"123","clientOid":"12321","baseVolume":"12.1","fee":"","price":"1900","priceAvg":"1903","status":"partially_filled","side":"buy","force":"gtc","totalProfits":"0","posSide":"long","marginCoin":"usdt","quoteVolume":"22001.21","leverage":"20","marginMode":"cross","enterPointSource":"api","tradeSide":"open","posMode":"hedge_mode","orderType":"limit","orderSource":"normal","cTime":"1627293504612","uTime":"1627293505612"}],"endId":"123"}'
    )
    assert pending.entrustedList[0].filled == "12.1"
    fills = s.Decoders.fill_page.decode(
        b'{"fillList":[{"tradeId":"123","symbol":"ethusdt","orderId":"121212","price":"1900","baseVolume":"1","feeDetail":[{"deduction":"yes","feeCoin":"BGB","totalDeductionFee":"-0.017118519726","totalFee":"-0.017118519726"}],"side":"buy","quoteVolume":"1902","profit":"102","enterPointSource":"api","tradeSide":"close","posMode":"hedge_mode","tradeScope":"taker","cTime":"1627293509612"}],"endId":"123"}'
    )
    assert fee_from_detail(fills.fillList[0].feeDetail, "USDT") == (Decimal("0.017118519726"), "BGB")
    bills = s.Decoders.bill_page.decode(
        b'{"bills":[{"billId":"1","symbol":"BTCUSDT","amount":"-0.004992","fee":"0","feeByCoupon":"","businessType":"contract_settle_fee","coin":"USDT","balance":"232.21","cTime":"1695715200654"},{"billId":"2","symbol":"ETHUSDT","amount":"0","fee":"-0.222012","feeByCoupon":"","businessType":"open_long","coin":"USDT","balance":"232.21","cTime":"1695714563516"}],"endId":"2"}'
    )
    payment = parse_funding_payment(bills.bills[0], m, Decimal("0.002"), Decimal("0.0001"), TS)
    assert payment.amount == Decimal("-0.004992") and payment.mark_price == Decimal("24960.0")
    batch = s.Decoders.batch.decode(
        b'{"successList":[{"orderId":"121211212122","clientOid":"BITGET#121211212122"}],"failureList":[]}'
    )
    assert batch.successList[0].orderId == "121211212122"
    spot_fee = fee_from_detail(
        '{"newFees":{"c":0,"d":0,"deduction":false,"r":-0.0001,"t":-0.0001,"totalDeductionFee":0},"BTC":{"deduction":false,"feeCoinCode":"BTC","totalDeductionFee":0,"totalFee":-0.0001}}',
        "USDT",
    )
    assert spot_fee == (Decimal("0.0001"), "BTC")


def test_malformed_values_name_the_field(index):
    m = index.lookup("USDT-FUTURES", "BTCUSDT")
    bad = s.PublicTrade(tradeId="1", price="27000.55", size="0.001", side="buy", ts="1695716760565")
    with pytest.raises(
        MalformedMessageError, match=r"field 'price' '27000\.55' has 2 decimals; the instrument allows 1"
    ):
        parse_trade(bad, m, TS)
    with pytest.raises(MalformedMessageError, match="side must be 'buy' or 'sell'"):
        parse_trade(s.PublicTrade(tradeId="1", price="1", size="1", side="long", ts="1"), m, TS)
    with pytest.raises(msgspec.ValidationError, match="asks"):
        s.Decoders.depth.decode(b'{"bids":[]}')
