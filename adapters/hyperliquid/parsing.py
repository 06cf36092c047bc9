"""One Hyperliquid message -> Nautilus objects. Pure functions: no I/O, no clocks.

Times on the wire are UTC milliseconds; Nautilus wants UTC nanoseconds. Prices and sizes arrive as
decimal strings and become `Price`/`Quantity` at the instrument's precision.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from decimal import InvalidOperation

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
from nautilus_trader.model.objects import AccountBalance
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.common.errors import MalformedMessageError
from adapters.hyperliquid import schemas as s
from adapters.hyperliquid.assets import HlAsset
from adapters.hyperliquid.assets import MarketIndex
from adapters.hyperliquid.constants import FUNDING_INTERVAL_NS
from adapters.hyperliquid.constants import HYPERLIQUID
from adapters.hyperliquid.constants import order_status_from_venue
from catalog.funding import FundingPayment

MS = 1_000_000
_F_SNAPSHOT_LAST = RecordFlag.F_SNAPSHOT | RecordFlag.F_LAST


def ms_to_ns(ms: int) -> int:
    return int(ms) * MS


def next_funding_ns(ts_ns: int) -> int:
    """The first hourly funding boundary strictly after `ts_ns`."""
    return (ts_ns // FUNDING_INTERVAL_NS + 1) * FUNDING_INTERVAL_NS


def dec(text: str | None, field: str) -> Decimal:
    if text is None:
        raise MalformedMessageError(f"missing decimal field '{field}'", venue=HYPERLIQUID)
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise MalformedMessageError(
            f"field '{field}' is not a decimal: {text!r}", venue=HYPERLIQUID
        ) from None
    if not value.is_finite():
        raise MalformedMessageError(f"field '{field}' is not finite: {text!r}", venue=HYPERLIQUID)
    return value


def fixed(text: str | None, precision: int, field: str) -> float:
    """A decimal string as a float for `Price`/`Quantity`, refusing more decimals than `precision`
    (Nautilus would round silently and misstate the venue's number). Hot path: book levels."""
    try:
        value = float(text)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        what = "missing" if text is None else f"not a number: {text!r}"
        raise MalformedMessageError(f"field '{field}' is {what}", venue=HYPERLIQUID) from None
    dot = text.find(".")  # type: ignore[union-attr]
    if dot >= 0:
        decimals = len(text.rstrip("0")) - dot - 1  # type: ignore[union-attr]
        if decimals > precision:
            raise MalformedMessageError(
                f"field '{field}' {text!r} has {decimals} decimals; the instrument allows {precision}",
                venue=HYPERLIQUID,
            )
    if value - value != 0:  # inf or nan
        raise MalformedMessageError(f"field '{field}' is not finite: {text!r}", venue=HYPERLIQUID)
    return value


def price(text: str | None, asset: HlAsset, field: str = "px") -> Price:
    return Price(fixed(text, asset.price_precision, field), asset.price_precision)


def qty(text: str | None, asset: HlAsset, field: str = "sz") -> Quantity:
    return Quantity(abs(fixed(text, asset.size_precision, field)), asset.size_precision)


def qty_exact(text: str | None, asset: HlAsset, field: str = "sz") -> Quantity:
    """An executed size as the venue booked it, even below the lot (spot dust conversions): raise
    the precision rather than round an account event away."""
    value = abs(dec(text, field))
    decimals = max(0, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return Quantity(value, max(asset.size_precision, min(decimals, 9)))


def side(text: str) -> OrderSide:
    if text == "B":
        return OrderSide.BUY
    if text == "A":
        return OrderSide.SELL
    raise MalformedMessageError(f"side must be 'B' or 'A', got {text!r}", venue=HYPERLIQUID)


# -- market data ---------------------------------------------------------------------------------
def parse_l2_book(book: s.L2Book, asset: HlAsset, ts_init: int) -> OrderBookDeltas:
    """A full snapshot (Hyperliquid pushes whole books, not deltas): clear, then add every level."""
    if len(book.levels) != 2:
        raise MalformedMessageError(
            f"l2Book.levels must hold [bids, asks], got {len(book.levels)} lists", venue=HYPERLIQUID
        )
    iid = asset.instrument_id
    ts = ms_to_ns(book.time)
    pp, sp = asset.price_precision, asset.size_precision
    deltas = [OrderBookDelta.clear(iid, 0, ts, ts_init)]
    n = 0
    for book_side, levels in ((OrderSide.BUY, book.levels[0]), (OrderSide.SELL, book.levels[1])):
        for lv in levels:
            n += 1
            order = BookOrder(
                book_side, Price(fixed(lv.px, pp, "px"), pp), Quantity(fixed(lv.sz, sp, "sz"), sp), n
            )
            deltas.append(OrderBookDelta(iid, BookAction.ADD, order, RecordFlag.F_SNAPSHOT, 0, ts, ts_init))
    last = deltas[-1]
    deltas[-1] = OrderBookDelta(iid, last.action, last.order, _F_SNAPSHOT_LAST, 0, ts, ts_init)
    return OrderBookDeltas(iid, deltas)


def quote_from_levels(
    coin_time: int, bid: s.L2Level | None, ask: s.L2Level | None, asset: HlAsset, ts_init: int
) -> QuoteTick | None:
    if bid is None or ask is None:
        return None  # one-sided book: no quote
    pp, sp = asset.price_precision, asset.size_precision
    return QuoteTick(
        asset.instrument_id,
        Price(fixed(bid.px, pp, "bid.px"), pp),
        Price(fixed(ask.px, pp, "ask.px"), pp),
        Quantity(fixed(bid.sz, sp, "bid.sz"), sp),
        Quantity(fixed(ask.sz, sp, "ask.sz"), sp),
        ms_to_ns(coin_time),
        ts_init,
    )


def parse_bbo(msg: s.Bbo, asset: HlAsset, ts_init: int) -> QuoteTick | None:
    if len(msg.bbo) != 2:
        raise MalformedMessageError(
            f"bbo must hold [bid, ask], got {len(msg.bbo)} entries", venue=HYPERLIQUID
        )
    return quote_from_levels(msg.time, msg.bbo[0], msg.bbo[1], asset, ts_init)


def parse_book_top(book: s.L2Book, asset: HlAsset, ts_init: int) -> QuoteTick | None:
    bids, asks = book.levels[0], book.levels[1]
    return quote_from_levels(book.time, bids[0] if bids else None, asks[0] if asks else None, asset, ts_init)


def parse_trade(t: s.Trade, asset: HlAsset, ts_init: int) -> TradeTick:
    aggressor = AggressorSide.BUYER if side(t.side) == OrderSide.BUY else AggressorSide.SELLER
    return TradeTick(
        asset.instrument_id,
        price(t.px, asset),
        qty(t.sz, asset),
        aggressor,
        TradeId(str(t.tid)),
        ms_to_ns(t.time),
        ts_init,
    )


def parse_candle(
    c: s.Candle, asset: HlAsset, bar_type: BarType, ts_init: int, timestamp_on_close: bool = True
) -> Bar:
    # Candle close time T is the last millisecond of the bar (t + step - 1).
    ts = ms_to_ns(c.T + 1) if timestamp_on_close else ms_to_ns(c.t)
    return Bar(
        bar_type,
        price(c.o, asset, "o"),
        price(c.h, asset, "h"),
        price(c.l, asset, "l"),
        price(c.c, asset, "c"),
        Quantity(dec(c.v, "v"), asset.size_precision),  # volume: a sum, may carry more decimals
        ts,
        ts_init,
    )


def parse_asset_ctx(
    ctx: s.PerpAssetCtx, asset: HlAsset, ts_event: int, ts_init: int
) -> tuple[MarkPriceUpdate | None, IndexPriceUpdate, FundingRateUpdate]:
    """`activeAssetCtx` (or one entry of metaAndAssetCtxs / allDexsAssetCtxs): mark price, oracle
    (index) price, and the current hourly funding rate for the next hourly settlement."""
    iid = asset.instrument_id
    # Oracle/mark prices are not bound by the order tick rule: round to the instrument's precision.
    pp = asset.price_precision
    mark = (
        MarkPriceUpdate(iid, Price(dec(ctx.markPx, "markPx"), pp), ts_event, ts_init) if ctx.markPx else None
    )
    index = IndexPriceUpdate(iid, Price(dec(ctx.oraclePx, "oraclePx"), pp), ts_event, ts_init)
    funding = FundingRateUpdate(
        iid, dec(ctx.funding, "funding"), ts_event, ts_init, next_funding_ns(ts_event)
    )
    return mark, index, funding


def parse_funding_history(row: s.FundingHistoryEntry, asset: HlAsset, ts_init: int) -> FundingRateUpdate:
    """A settled hourly rate: announced for, and settled at, `time` (next_funding_ns == ts_event)."""
    ts = ms_to_ns(row.time)
    return FundingRateUpdate(asset.instrument_id, dec(row.fundingRate, "fundingRate"), ts, ts_init, ts)


# -- execution -----------------------------------------------------------------------------------
def trade_id(fill: s.UserFill) -> TradeId:
    if fill.tid is not None:
        return TradeId(str(fill.tid))
    # 2023-era fills carry no tid, and one transaction can fill an order several times: a digest
    # of everything that distinguishes the executions (32 hex chars, within TradeId's 36).
    key = f"{fill.hash}|{fill.oid}|{fill.px}|{fill.sz}|{fill.time}|{fill.startPosition}|{fill.side}"
    return TradeId(hashlib.blake2b(key.encode(), digest_size=16).hexdigest())


def _decimals(text: str) -> int:
    return min(9, max(0, -Decimal(text).normalize().as_tuple().exponent))  # type: ignore[operator]


def commission(fill: s.UserFill, asset: HlAsset) -> Money:
    token = fill.feeToken or asset.quote
    fee = dec(fill.fee, "fee")
    if fill.builderFee:
        fee += dec(fill.builderFee, "builderFee")
    return Money(fee, Currency.from_str(token, strict=False))


def parse_fill_report(
    fill: s.UserFill,
    asset: HlAsset,
    account_id: AccountId,
    ts_init: int,
    client_order_id: ClientOrderId | None,
) -> FillReport:
    return FillReport(
        account_id=account_id,
        instrument_id=asset.instrument_id,
        venue_order_id=VenueOrderId(str(fill.oid)),
        trade_id=trade_id(fill),
        order_side=side(fill.side),
        last_qty=qty_exact(fill.sz, asset),
        last_px=Price(dec(fill.px, "px"), max(asset.price_precision, _decimals(fill.px))),
        commission=commission(fill, asset),
        liquidity_side=LiquiditySide.TAKER if fill.crossed else LiquiditySide.MAKER,
        report_id=UUID4(),
        ts_event=ms_to_ns(fill.time),
        ts_init=ts_init,
        client_order_id=client_order_id,
    )


TIF = {
    "Gtc": TimeInForce.GTC,
    "Ioc": TimeInForce.IOC,
    "Alo": TimeInForce.GTC,
    "FrontendMarket": TimeInForce.IOC,
}


def parse_order_report(
    info: s.OrderInfo,
    status: str,
    status_ts: int | None,
    asset: HlAsset,
    account_id: AccountId,
    ts_init: int,
    client_order_id: ClientOrderId | None,
) -> OrderStatusReport:
    remaining = dec(info.sz, "sz")
    original = dec(info.origSz, "origSz") if info.origSz is not None else remaining
    if status in ("filled",) and remaining == original:
        remaining = Decimal(0)  # the venue reports the last resting size on filled orders
    filled = max(Decimal(0), original - remaining)
    tif = TIF.get(info.tif or "Gtc", TimeInForce.GTC)
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=asset.instrument_id,
        venue_order_id=VenueOrderId(str(info.oid)),
        order_side=side(info.side),
        order_type=OrderType.LIMIT,
        time_in_force=tif,
        order_status=order_status_from_venue(status, filled > 0),
        quantity=Quantity(original, asset.size_precision),
        filled_qty=Quantity(filled, asset.size_precision),
        report_id=UUID4(),
        ts_accepted=ms_to_ns(info.timestamp),
        ts_last=ms_to_ns(status_ts or info.timestamp),
        ts_init=ts_init,
        client_order_id=client_order_id,
        price=price(info.limitPx, asset, "limitPx"),
        post_only=info.tif == "Alo",
        reduce_only=bool(info.reduceOnly),
    )


def parse_position_report(
    p: s.Position, asset: HlAsset, account_id: AccountId, ts: int, ts_init: int
) -> PositionStatusReport:
    szi = dec(p.szi, "szi")
    position_side = PositionSide.FLAT if szi == 0 else (PositionSide.LONG if szi > 0 else PositionSide.SHORT)
    return PositionStatusReport(
        account_id=account_id,
        instrument_id=asset.instrument_id,
        position_side=position_side,
        quantity=Quantity(abs(szi), asset.size_precision),
        report_id=UUID4(),
        ts_last=ts,
        ts_init=ts_init,
        avg_px_open=dec(p.entryPx, "entryPx") if p.entryPx else None,
    )


def funding_mark_price(
    usdc: Decimal, szi: Decimal, rate: Decimal, fallback: Decimal | None = None
) -> Decimal:
    """The price the venue settled at: usdc = -szi x oraclePx x rate, so oraclePx = -usdc / (szi x rate)."""
    if szi != 0 and rate != 0:
        return abs(-usdc / (szi * rate))
    return fallback if fallback is not None else Decimal(0)


def parse_funding_payment(
    asset: HlAsset, time_ms: int, usdc: str, szi: str, rate: str, ts_init: int
) -> FundingPayment:
    """One settled hourly funding (userFunding / userFundings row) on one position."""
    amount, size, r = dec(usdc, "usdc"), dec(szi, "szi"), dec(rate, "fundingRate")
    mark = funding_mark_price(amount, size, r)
    return FundingPayment(
        instrument_id=asset.instrument_id,
        position_quantity=size,
        mark_price=mark.quantize(Decimal(1).scaleb(-asset.price_precision)) if mark else mark,
        rate=r,
        amount=amount,
        currency=Currency.from_str(asset.quote, strict=False),
        ts_event=ms_to_ns(time_ms),
        ts_init=ts_init,
    )


def parse_all_dexs_asset_ctxs(
    msg: s.AllDexsAssetCtxs, markets: MarketIndex, ts_event: int, ts_init: int
) -> list[MarkPriceUpdate | IndexPriceUpdate | FundingRateUpdate]:
    """`allDexsAssetCtxs`: contexts are positional per dex (index i = i-th coin of that dex's meta)."""
    out: list[MarkPriceUpdate | IndexPriceUpdate | FundingRateUpdate] = []
    for dex, ctxs in msg.ctxs:
        for i, ctx in enumerate(ctxs):
            asset = markets.by_dex_index.get((dex, i))
            if asset is None:
                continue  # a coin of a dex this node did not load
            mark, index, funding = parse_asset_ctx(ctx, asset, ts_event, ts_init)
            if mark is not None:
                out.append(mark)
            out += [index, funding]
    return out


def parse_account_balances(
    perp_states: list[tuple[str, s.ClearinghouseState]], spot: s.SpotClearinghouseState | None
) -> tuple[list[AccountBalance], list[str]]:
    """Balances per token: each perp dex's accountValue/totalMarginUsed in its collateral token,
    plus spot total/hold. Returns (balances, tokens skipped because they are not currency codes)."""
    totals: dict[str, list[Decimal]] = {}
    for collateral, state in perp_states:
        summary = state.marginSummary or state.crossMarginSummary
        t = totals.setdefault(collateral, [Decimal(0), Decimal(0)])
        t[0] += dec(summary.accountValue, "accountValue")
        t[1] += dec(summary.totalMarginUsed, "totalMarginUsed")
    for b in spot.balances if spot else []:
        t = totals.setdefault(b.coin, [Decimal(0), Decimal(0)])
        t[0] += dec(b.total, "total")
        t[1] += dec(b.hold, "hold")
    balances, skipped = [], []
    for code, (total, locked) in totals.items():
        try:
            currency = Currency.from_str(code, strict=False)
        except ValueError:
            skipped.append(code)  # e.g. outcome tokens named "+10"
            continue
        q = Decimal(1).scaleb(-currency.precision)
        total_q = total.quantize(q)
        locked_q = min(max(locked, Decimal(0)), max(total_q, Decimal(0))).quantize(q)
        balances.append(
            AccountBalance(
                Money(total_q, currency), Money(locked_q, currency), Money(total_q - locked_q, currency)
            )
        )
    return balances, skipped
