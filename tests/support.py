"""Small hand-made catalogs for tests whose expected results are written out by hand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from catalog.registry import default_registry
from catalog.store import open_catalog

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE


def ts(text: str) -> int:
    return pd.Timestamp(text, tz="UTC").value


@dataclass(frozen=True)
class PriceStep:
    """From `at` on, the instrument quotes bid/ask around `mid` with half-spread `half`
    (and top-of-book `size` on both sides when given)."""

    at: int
    mid: Decimal
    half: Decimal
    size: Decimal | None = None


def step(at: int, mid: str | int, half: str | int, size: str | None = None) -> PriceStep:
    return PriceStep(at, Decimal(str(mid)), Decimal(str(half)), Decimal(size) if size is not None else None)


def quote(instrument_id: str, t: int, bid: str, ask: str, size: str = "50") -> QuoteTick:
    market = default_registry().market_for(instrument_id)
    return QuoteTick(
        instrument_id=InstrumentId.from_str(instrument_id),
        bid_price=Price(Decimal(bid), market.price_precision),
        ask_price=Price(Decimal(ask), market.price_precision),
        bid_size=Quantity(Decimal(size), market.size_precision),
        ask_size=Quantity(Decimal(size), market.size_precision),
        ts_event=t,
        ts_init=t,
    )


def quotes(
    instrument_id: str,
    start: int,
    end: int,
    steps: list[PriceStep],
    every: int = MINUTE,
    size: str = "50",
    skip: tuple[tuple[int, int], ...] = (),
) -> list[QuoteTick]:
    """A quote every `every` ns from `start` to `end`, following `steps`; none inside `skip` windows."""
    out = []
    t = start
    while t <= end:
        if not any(a <= t < b for a, b in skip):
            s = [s for s in steps if s.at <= t][-1]
            sz = str(s.size) if s.size is not None else size
            out.append(quote(instrument_id, t, str(s.mid - s.half), str(s.mid + s.half), sz))
        t += every
    return out


def funding(instrument_id: str, at: int, rate: str, next_funding: int | None) -> FundingRateUpdate:
    return FundingRateUpdate(
        InstrumentId.from_str(instrument_id),
        Decimal(rate),
        ts_event=at,
        ts_init=at,
        next_funding_ns=next_funding,
    )


def write_catalog(path: Path, instrument_ids: Iterable[str], data: list, at: int) -> Path:
    catalog = open_catalog(path, must_exist=False)
    reg = default_registry()
    catalog.write_data([reg.market_for(i).to_instrument(at) for i in instrument_ids])
    by_type: dict[type, list] = {}
    for item in data:
        by_type.setdefault(type(item), []).append(item)
    for items in by_type.values():
        catalog.write_data(sorted(items, key=lambda d: d.ts_init))
    return path


def run(
    catalog: Path, results: Path, venues: dict, strategies: list[dict], data: dict | None = None, **backtest
):
    """Run a backtest from plain dicts (what a TOML file would hold) and return its outcome."""
    from backtests.config import parse_config
    from backtests.runner import run_backtest

    cfg = {
        "name": "test",
        "catalog": str(catalog),
        "results": str(results),
        "log_level": "ERROR",
        "progress": False,
        **backtest,
    }
    raw = {"backtest": cfg, "venues": venues, "strategies": strategies}
    if data is not None:
        raw["data"] = data
    return run_backtest(parse_config(raw))


def book_snapshot(
    instrument_id: str, t: int, bids: list[tuple[str, str]], asks: list[tuple[str, str]], sequence: int = 0
) -> list:
    """An L2 snapshot as deltas: CLEAR, then one ADD per (price, size) level, F_LAST on the last."""
    from nautilus_trader.model.data import BookOrder
    from nautilus_trader.model.data import OrderBookDelta
    from nautilus_trader.model.enums import BookAction
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.enums import RecordFlag

    market = default_registry().market_for(instrument_id)
    iid = InstrumentId.from_str(instrument_id)
    out = [OrderBookDelta.clear(iid, sequence, t, t)]
    levels = [(OrderSide.BUY, p, s) for p, s in bids] + [(OrderSide.SELL, p, s) for p, s in asks]
    for k, (side, price, size) in enumerate(levels):
        order = BookOrder(
            side,
            Price(Decimal(price), market.price_precision),
            Quantity(Decimal(size), market.size_precision),
            k + 1,
        )
        flags = RecordFlag.F_SNAPSHOT | (RecordFlag.F_LAST if k == len(levels) - 1 else 0)
        out.append(OrderBookDelta(iid, BookAction.ADD, order, flags, sequence, t, t))
    return out
