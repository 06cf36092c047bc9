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

MINUTE = 60_000_000_000
HOUR = 60 * MINUTE


def ts(text: str) -> int:
    return pd.Timestamp(text, tz="UTC").value


@dataclass(frozen=True)
class PriceStep:
    """From `at` on, the instrument quotes bid/ask around `mid` with half-spread `half`."""

    at: int
    mid: Decimal
    half: Decimal


def quotes(
    instrument_id: str, start: int, end: int, steps: list[PriceStep], every: int = MINUTE, size: str = "50"
) -> list[QuoteTick]:
    market = default_registry().market_for(instrument_id)
    iid = InstrumentId.from_str(instrument_id)
    out = []
    t = start
    while t <= end:
        step = [s for s in steps if s.at <= t][-1]
        out.append(
            QuoteTick(
                instrument_id=iid,
                bid_price=Price(step.mid - step.half, market.price_precision),
                ask_price=Price(step.mid + step.half, market.price_precision),
                bid_size=Quantity(Decimal(size), market.size_precision),
                ask_size=Quantity(Decimal(size), market.size_precision),
                ts_event=t,
                ts_init=t,
            )
        )
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
