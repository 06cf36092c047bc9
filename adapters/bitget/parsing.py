"""One Bitget message -> Nautilus objects (pure functions).

Market data: book snapshots/updates -> OrderBookDeltas, books1 / ticker -> QuoteTick, trade ->
TradeTick, candle rows -> Bar, ticker -> MarkPriceUpdate / IndexPriceUpdate / FundingRateUpdate,
funding history rows -> FundingRateUpdate. Execution: orders, fills and positions -> reports, fee
details -> commission, funding bills -> FundingPayment.

Conventions (docs, ccxt): fees in `feeDetail[].totalFee` are negative when charged, so the
Nautilus commission (positive = paid) is its negation; a funding bill's `amount` is signed from the
account's side (negative = paid), like `FundingPayment.amount`.
"""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.reports import FillReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.execution.reports import PositionStatusReport
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import BookOrder
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import IndexPriceUpdate
from nautilus_trader.model.data import MarkPriceUpdate
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.bitget import schemas as s
from adapters.bitget.books import L2Book
from adapters.bitget.constants import BITGET
from adapters.bitget.constants import FORCE_TO_TIF
from adapters.bitget.constants import order_status_from_venue
from adapters.bitget.markets import BitgetMarket
from adapters.common.errors import MalformedMessageError
from catalog.funding import FundingPayment

MS = 1_000_000
_F_SNAPSHOT_LAST = RecordFlag.F_SNAPSHOT | RecordFlag.F_LAST


def ms_to_ns(ms: Any) -> int:
    try:
        return int(ms) * MS
    except (TypeError, ValueError):
        raise MalformedMessageError(f"timestamp is not an integer: {ms!r}", venue=BITGET) from None


def dec(text: Any, field: str) -> Decimal:
    if text is None or text == "":
        raise MalformedMessageError(f"missing decimal field '{field}'", venue=BITGET)
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise MalformedMessageError(f"field '{field}' is not a decimal: {text!r}", venue=BITGET) from None
    if not value.is_finite():
        raise MalformedMessageError(f"field '{field}' is not finite: {text!r}", venue=BITGET)
    return value


def fixed(text: str | None, precision: int, field: str) -> float:
    """A decimal string as a float for `Price`/`Quantity`, refusing more (non-zero) decimals than
    `precision` (Nautilus would round silently and misstate the venue's number). Hot path."""
    try:
        value = float(text)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        what = "missing" if text is None else f"not a number: {text!r}"
        raise MalformedMessageError(f"field '{field}' is {what}", venue=BITGET) from None
    dot = text.find(".")  # type: ignore[union-attr]
    if dot >= 0:
        decimals = len(text.rstrip("0")) - dot - 1  # type: ignore[union-attr]
        if decimals > precision:
            raise MalformedMessageError(
                f"field '{field}' {text!r} has {decimals} decimals; the instrument allows {precision}",
                venue=BITGET,
            )
    if value - value != 0 or value < 0:
        raise MalformedMessageError(
            f"field '{field}' is not a finite non-negative number: {text!r}", venue=BITGET
        )
    return value


def price(text: str | None, m: BitgetMarket, field: str = "price") -> Price:
    return Price(fixed(text, m.price_precision, field), m.price_precision)


def qty(text: str | None, m: BitgetMarket, field: str = "size") -> Quantity:
    return Quantity(fixed(text, m.size_precision, field), m.size_precision)


def rounded_price(text: str | None, m: BitgetMarket, field: str) -> Price:
    """Mark / index prices are not bound by the tick: rounded to the instrument's precision."""
    return Price(dec(text, field), m.price_precision)


def order_side(text: str | None) -> OrderSide:
    t = (text or "").lower()
    if t == "buy":
        return OrderSide.BUY
    if t == "sell":
        return OrderSide.SELL
    raise MalformedMessageError(f"side must be 'buy' or 'sell', got {text!r}", venue=BITGET)


def _decimals(text: str) -> int:
    return min(9, max(0, -Decimal(text).normalize().as_tuple().exponent))  # type: ignore[operator]


# -- market data ------------------------------------------------------------------------------------
def book_snapshot_deltas(book: L2Book, m: BitgetMarket, ts_event: int, ts_init: int) -> OrderBookDeltas:
    """The whole local book as a snapshot: clear, then every level."""
    iid = m.instrument_id
    pp, sp = m.price_precision, m.size_precision
    deltas = [OrderBookDelta.clear(iid, 0, ts_event, ts_init)]
    for side, book_side in ((OrderSide.BUY, book.bids), (OrderSide.SELL, book.asks)):
        for px, sz in book_side.top(len(book_side)):
            order = BookOrder(side, Price(fixed(px, pp, "price"), pp), Quantity(fixed(sz, sp, "size"), sp), 0)
            deltas.append(
                OrderBookDelta(iid, BookAction.ADD, order, RecordFlag.F_SNAPSHOT, 0, ts_event, ts_init)
            )
    last = deltas[-1]
    deltas[-1] = OrderBookDelta(iid, last.action, last.order, _F_SNAPSHOT_LAST, 0, ts_event, ts_init)
    return OrderBookDeltas(iid, deltas)


_ACTIONS = {"add": BookAction.ADD, "update": BookAction.UPDATE, "delete": BookAction.DELETE}


def book_update_deltas(
    changes: list[tuple[bool, str, str, str]], m: BitgetMarket, ts_event: int, ts_init: int
) -> OrderBookDeltas | None:
    """Incremental changes (from `L2Book.apply`) as deltas; None when nothing changed."""
    if not changes:
        return None
    iid = m.instrument_id
    pp, sp = m.price_precision, m.size_precision
    deltas = []
    n = len(changes)
    for i, (is_bid, action, px, sz) in enumerate(changes):
        size = Quantity(0, sp) if action == "delete" else Quantity(fixed(sz, sp, "size"), sp)
        order = BookOrder(
            OrderSide.BUY if is_bid else OrderSide.SELL, Price(fixed(px, pp, "price"), pp), size, 0
        )
        flags = RecordFlag.F_LAST if i == n - 1 else 0
        deltas.append(OrderBookDelta(iid, _ACTIONS[action], order, flags, 0, ts_event, ts_init))
    return OrderBookDeltas(iid, deltas)


def quote_from_depth(depth: s.Depth, m: BitgetMarket, ts_init: int) -> QuoteTick | None:
    """Top of a `books1` (or any snapshot) push; None for a one-sided book."""
    if not depth.bids or not depth.asks:
        return None
    bid, ask = depth.bids[0], depth.asks[0]
    pp, sp = m.price_precision, m.size_precision
    return QuoteTick(
        m.instrument_id,
        Price(fixed(bid[0], pp, "bids[0].price"), pp),
        Price(fixed(ask[0], pp, "asks[0].price"), pp),
        Quantity(fixed(bid[1], sp, "bids[0].size"), sp),
        Quantity(fixed(ask[1], sp, "asks[0].size"), sp),
        ms_to_ns(depth.ts) if depth.ts is not None else ts_init,
        ts_init,
    )


def quote_from_ticker(t: s.Ticker, m: BitgetMarket, ts_init: int) -> QuoteTick | None:
    if not t.bidPr or not t.askPr:
        return None
    pp, sp = m.price_precision, m.size_precision
    return QuoteTick(
        m.instrument_id,
        Price(fixed(t.bidPr, pp, "bidPr"), pp),
        Price(fixed(t.askPr, pp, "askPr"), pp),
        Quantity(fixed(t.bidSz or "0", sp, "bidSz"), sp),
        Quantity(fixed(t.askSz or "0", sp, "askSz"), sp),
        ms_to_ns(t.ts) if t.ts is not None else ts_init,
        ts_init,
    )


def parse_trade(t: s.PublicTrade, m: BitgetMarket, ts_init: int) -> TradeTick:
    aggressor = AggressorSide.BUYER if order_side(t.side) == OrderSide.BUY else AggressorSide.SELLER
    return TradeTick(
        m.instrument_id,
        price(t.price, m),
        qty(t.size, m),
        aggressor,
        TradeId(t.tradeId),
        ms_to_ns(t.ts),
        ts_init,
    )


def parse_candle(
    row: list[str],
    m: BitgetMarket,
    bar_type: BarType,
    step_ms: int,
    ts_init: int,
    timestamp_on_close: bool = True,
) -> Bar:
    """A candle row `[ts(open), o, h, l, c, baseVol, quoteVol(, usdtVol)]`."""
    if len(row) < 6:
        raise MalformedMessageError(f"candle row needs at least 6 fields, got {row!r}", venue=BITGET)
    open_ms = int(row[0])
    ts = ms_to_ns(open_ms + step_ms) if timestamp_on_close else ms_to_ns(open_ms)
    return Bar(
        bar_type,
        rounded_price(row[1], m, "open"),
        rounded_price(row[2], m, "high"),
        rounded_price(row[3], m, "low"),
        rounded_price(row[4], m, "close"),
        Quantity(dec(row[5], "baseVol"), m.size_precision),  # volume: a sum, may carry more decimals
        ts,
        ts_init,
    )


def parse_ticker_prices(
    t: s.Ticker, m: BitgetMarket, ts_init: int
) -> tuple[MarkPriceUpdate | None, IndexPriceUpdate | None, FundingRateUpdate | None]:
    """Futures ticker -> mark, index and the current funding rate for the next settlement
    (`nextFundingTime`); any of them None when the ticker does not carry it (spot)."""
    ts = ms_to_ns(t.ts) if t.ts is not None else ts_init
    iid = m.instrument_id
    mark = (
        MarkPriceUpdate(iid, rounded_price(t.markPrice, m, "markPrice"), ts, ts_init) if t.markPrice else None
    )
    index = (
        IndexPriceUpdate(iid, rounded_price(t.indexPrice, m, "indexPrice"), ts, ts_init)
        if t.indexPrice
        else None
    )
    funding = None
    if t.fundingRate not in (None, "") and not m.is_spot:
        nxt = ms_to_ns(t.nextFundingTime) if t.nextFundingTime not in (None, "", "0") else None
        funding = FundingRateUpdate(iid, dec(t.fundingRate, "fundingRate"), ts, ts_init, nxt)
    return mark, index, funding


def parse_current_fund_rate(row: s.CurrentFundRate, m: BitgetMarket, ts_init: int) -> FundingRateUpdate:
    nxt = ms_to_ns(row.nextUpdate) if row.nextUpdate not in (None, "", "0") else None
    return FundingRateUpdate(m.instrument_id, dec(row.fundingRate, "fundingRate"), ts_init, ts_init, nxt)


def parse_funding_history(row: s.FundRateHistory, m: BitgetMarket, ts_init: int) -> FundingRateUpdate:
    """A settled rate: announced for, and settled at, `fundingTime` (next_funding_ns == ts_event)."""
    ts = ms_to_ns(row.fundingTime)
    return FundingRateUpdate(m.instrument_id, dec(row.fundingRate, "fundingRate"), ts, ts_init, ts)


# -- execution --------------------------------------------------------------------------------------
def fee_from_detail(detail: Any, default_coin: str) -> tuple[Decimal, str]:
    """(fee paid, coin) from a `feeDetail` list / dict / JSON string (spot orders); paid > 0."""
    import json

    if isinstance(detail, str):
        try:
            detail = json.loads(detail) if detail else None
        except ValueError:
            raise MalformedMessageError(f"feeDetail is not JSON: {detail[:80]!r}", venue=BITGET) from None
    items: list[Any] = []
    if isinstance(detail, list):
        items = detail
    elif isinstance(detail, dict):
        items = [v for v in detail.values() if isinstance(v, dict)] or [detail]
    total = Decimal(0)
    coin = default_coin
    for item in items:
        if isinstance(item, s.FeeDetail):
            value, item_coin = item.totalFee if item.totalFee is not None else item.fee, item.feeCoin
        elif isinstance(item, dict):
            value = item.get("totalFee", item.get("fee"))
            item_coin = item.get("feeCoin") or item.get("feeCoinCode")
        else:
            continue
        if value in (None, ""):
            continue
        total += -dec(value, "feeDetail.totalFee")
        coin = item_coin or coin
    return total, coin


def commission(fee: Decimal, coin: str) -> Money:
    return Money(fee, Currency.from_str(coin, strict=False))


def liquidity(trade_scope: str | None) -> LiquiditySide:
    scope = (trade_scope or "").lower()
    if scope in ("taker", "t"):
        return LiquiditySide.TAKER
    if scope in ("maker", "m"):
        return LiquiditySide.MAKER
    return LiquiditySide.NO_LIQUIDITY_SIDE


def parse_fill_report(
    fill: s.Fill, m: BitgetMarket, account_id: AccountId, ts_init: int, client_order_id: ClientOrderId | None
) -> FillReport:
    fee, coin = fee_from_detail(fill.feeDetail, m.quote)
    px = fill.px
    return FillReport(
        account_id=account_id,
        instrument_id=m.instrument_id,
        venue_order_id=VenueOrderId(fill.orderId),
        trade_id=TradeId(fill.tradeId),
        order_side=order_side(fill.side),
        last_qty=Quantity(dec(fill.qty, "baseVolume"), m.size_precision),
        last_px=Price(dec(px, "price"), max(m.price_precision, _decimals(px or "0"))),
        commission=commission(fee, coin),
        liquidity_side=liquidity(fill.tradeScope),
        report_id=UUID4(),
        ts_event=ms_to_ns(fill.cTime),
        ts_init=ts_init,
        client_order_id=client_order_id,
    )


def is_post_only(order: s.Order) -> bool:
    return (order.force or "").lower() in ("post_only", "post only")


def parse_order_report(
    o: s.Order, m: BitgetMarket, account_id: AccountId, ts_init: int, client_order_id: ClientOrderId | None
) -> OrderStatusReport:
    size = dec(o.size, "size")
    filled = dec(o.filled or "0", "baseVolume")
    order_type = OrderType.MARKET if (o.orderType or "").lower() == "market" else OrderType.LIMIT
    tif = FORCE_TO_TIF.get((o.force or "gtc").lower(), TimeInForce.GTC)
    if order_type == OrderType.MARKET:
        tif = TimeInForce.IOC
    status = order_status_from_venue(o.venue_status, filled > 0)
    px = o.price if o.price not in (None, "", "0") else None
    avg = o.priceAvg if o.priceAvg not in (None, "", "0") else None
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=m.instrument_id,
        venue_order_id=VenueOrderId(o.orderId),
        order_side=order_side(o.side),
        order_type=order_type,
        time_in_force=tif,
        order_status=status,
        quantity=Quantity(size, m.size_precision),
        filled_qty=Quantity(filled, m.size_precision),
        report_id=UUID4(),
        ts_accepted=ms_to_ns(o.cTime or 0),
        ts_last=ms_to_ns(o.uTime or o.cTime or 0),
        ts_init=ts_init,
        client_order_id=client_order_id,
        price=Price(dec(px, "price"), m.price_precision) if px and order_type == OrderType.LIMIT else None,
        avg_px=dec(avg, "priceAvg") if avg else None,
        post_only=is_post_only(o),
        reduce_only=(o.reduceOnly or "").lower() in ("yes", "true"),
    )


def signed_position(p: s.Position) -> Decimal:
    total = dec(p.total or "0", "total")
    return -total if (p.holdSide or "").lower() == "short" else total


def parse_position_report(
    p: s.Position, m: BitgetMarket, account_id: AccountId, ts_init: int
) -> PositionStatusReport:
    signed = signed_position(p)
    side = PositionSide.FLAT if signed == 0 else (PositionSide.LONG if signed > 0 else PositionSide.SHORT)
    return PositionStatusReport(
        account_id=account_id,
        instrument_id=m.instrument_id,
        position_side=side,
        quantity=Quantity(abs(signed), m.size_precision),
        report_id=UUID4(),
        ts_last=ms_to_ns(p.uTime) if p.uTime else ts_init,
        ts_init=ts_init,
        avg_px_open=dec(p.openPriceAvg, "openPriceAvg") if p.openPriceAvg and signed else None,
    )


def funding_mark_price(amount: Decimal, position: Decimal, rate: Decimal) -> Decimal:
    """The price the venue settled at: amount = -position x mark x rate."""
    if position == 0 or rate == 0:
        return Decimal(0)
    return abs(amount / (position * rate))


def parse_funding_payment(
    bill: s.Bill, m: BitgetMarket, position: Decimal, rate: Decimal, ts_init: int
) -> FundingPayment:
    """A `contract_settle_fee` bill on one position; `position` is the signed size held at the
    settlement and `rate` the settled rate (the bill carries neither)."""
    amount = dec(bill.amount, "amount")
    mark = funding_mark_price(amount, position, rate)
    return FundingPayment(
        instrument_id=m.instrument_id,
        position_quantity=position,
        mark_price=mark.quantize(Decimal(1).scaleb(-m.price_precision)) if mark else mark,
        rate=rate,
        amount=amount,
        currency=Currency.from_str(bill.coin or m.quote, strict=False),
        ts_event=ms_to_ns(bill.cTime),
        ts_init=ts_init,
    )
