"""Funding data types and their Arrow (Parquet catalog) serialization.

`FundingRateUpdate` is Nautilus's own type: 1.221 cannot write it to a `ParquetDataCatalog`
(`TypeError: Cannot serialize ... FundingRateUpdate`), so we register an Arrow schema for it.
`FundingPayment` is ours: one settled funding cash flow on one position.

Decimals are stored as strings so rates and amounts round-trip exactly.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

import pyarrow as pa
from nautilus_trader.core.data import Data
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.serialization.arrow.serializer import register_arrow
from nautilus_trader.serialization.base import register_serializable_type


class FundingPayment(Data):
    """
    A settled funding cash flow on one position.

    `amount` is signed from the account holder's side: positive = received, negative = paid.
    `position_quantity` is signed too: positive = long, negative = short. With the usual venue
    convention (a positive rate means longs pay shorts): amount = -position_quantity x mark_price x rate.
    """

    __slots__ = (
        "_ts_event",
        "_ts_init",
        "amount",
        "currency",
        "instrument_id",
        "mark_price",
        "position_id",
        "position_quantity",
        "rate",
    )

    def __init__(
        self,
        instrument_id: InstrumentId,
        position_quantity: Decimal,
        mark_price: Decimal,
        rate: Decimal,
        amount: Decimal,
        currency: Currency,
        ts_event: int,
        ts_init: int,
        position_id: str | None = None,
    ) -> None:
        self.instrument_id = instrument_id
        self.position_quantity = Decimal(position_quantity)
        self.mark_price = Decimal(mark_price)
        self.rate = Decimal(rate)
        self.amount = Decimal(amount)
        self.currency = currency
        self.position_id = position_id
        self._ts_event = ts_event
        self._ts_init = ts_init

    @property
    def ts_event(self) -> int:
        return self._ts_event

    @property
    def ts_init(self) -> int:
        return self._ts_init

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FundingPayment):
            return NotImplemented
        return FundingPayment.to_dict(self) == FundingPayment.to_dict(other)

    def __hash__(self) -> int:
        return hash((self.instrument_id, self.position_id, self._ts_event, self.amount))

    def __repr__(self) -> str:
        return (
            f"FundingPayment(instrument_id={self.instrument_id}, position_quantity={self.position_quantity}, "
            f"mark_price={self.mark_price}, rate={self.rate}, amount={self.amount} {self.currency}, "
            f"position_id={self.position_id}, ts_event={self._ts_event})"
        )

    @staticmethod
    def to_dict(obj: FundingPayment) -> dict[str, Any]:
        return {
            "type": "FundingPayment",
            "instrument_id": obj.instrument_id.value,
            "position_quantity": str(obj.position_quantity),
            "mark_price": str(obj.mark_price),
            "rate": str(obj.rate),
            "amount": str(obj.amount),
            "currency": obj.currency.code,
            "position_id": obj.position_id,
            "ts_event": obj._ts_event,
            "ts_init": obj._ts_init,
        }

    @staticmethod
    def from_dict(values: dict[str, Any]) -> FundingPayment:
        return FundingPayment(
            instrument_id=InstrumentId.from_str(values["instrument_id"]),
            position_quantity=Decimal(values["position_quantity"]),
            mark_price=Decimal(values["mark_price"]),
            rate=Decimal(values["rate"]),
            amount=Decimal(values["amount"]),
            currency=Currency.from_str(values["currency"], strict=False),
            position_id=values.get("position_id"),
            ts_event=int(values["ts_event"]),
            ts_init=int(values["ts_init"]),
        )


FUNDING_RATE_SCHEMA = pa.schema(
    {
        "instrument_id": pa.string(),
        "rate": pa.string(),
        "next_funding_ns": pa.uint64(),
        "ts_event": pa.uint64(),
        "ts_init": pa.uint64(),
    },
    metadata={"type": "FundingRateUpdate"},
)

FUNDING_PAYMENT_SCHEMA = pa.schema(
    {
        "instrument_id": pa.string(),
        "position_quantity": pa.string(),
        "mark_price": pa.string(),
        "rate": pa.string(),
        "amount": pa.string(),
        "currency": pa.string(),
        "position_id": pa.string(),
        "ts_event": pa.uint64(),
        "ts_init": pa.uint64(),
    },
    metadata={"type": "FundingPayment"},
)


def _as_list(data: Any) -> list:
    return data if isinstance(data, list) else [data]


def _encode_funding_rates(data: FundingRateUpdate | list[FundingRateUpdate]) -> pa.RecordBatch:
    items = _as_list(data)
    return pa.RecordBatch.from_pydict(
        {
            "instrument_id": [u.instrument_id.value for u in items],
            "rate": [str(u.rate) for u in items],
            "next_funding_ns": [u.next_funding_ns for u in items],
            "ts_event": [u.ts_event for u in items],
            "ts_init": [u.ts_init for u in items],
        },
        schema=FUNDING_RATE_SCHEMA,
    )


def _decode_funding_rates(table: pa.Table | pa.RecordBatch) -> list[FundingRateUpdate]:
    cols = table.to_pydict()
    ids: dict[str, InstrumentId] = {}
    out = []
    for iid, rate, nxt, ts_event, ts_init in zip(
        cols["instrument_id"],
        cols["rate"],
        cols["next_funding_ns"],
        cols["ts_event"],
        cols["ts_init"],
        strict=True,
    ):
        instrument_id = ids.get(iid) or ids.setdefault(iid, InstrumentId.from_str(iid))
        out.append(
            FundingRateUpdate(
                instrument_id=instrument_id,
                rate=Decimal(rate),
                ts_event=ts_event,
                ts_init=ts_init,
                next_funding_ns=nxt,
            )
        )
    return out


def _encode_funding_payments(data: FundingPayment | list[FundingPayment]) -> pa.RecordBatch:
    rows = [FundingPayment.to_dict(p) for p in _as_list(data)]
    for row in rows:
        row.pop("type")
    return pa.RecordBatch.from_pylist(rows, schema=FUNDING_PAYMENT_SCHEMA)


def _decode_funding_payments(table: pa.Table | pa.RecordBatch) -> list[FundingPayment]:
    return [FundingPayment.from_dict(row) for row in table.to_pylist()]


def funding_payments_to_table(payments: list[FundingPayment]) -> pa.Table:
    """One Arrow table for many payments (the results writer uses it)."""
    if not payments:
        return FUNDING_PAYMENT_SCHEMA.empty_table()
    return pa.Table.from_batches([_encode_funding_payments(payments)])


_registered = False


def register_funding_types() -> None:
    """Make both funding types writable to and queryable from a `ParquetDataCatalog`. Idempotent."""
    global _registered
    if _registered:
        return
    register_arrow(FundingRateUpdate, FUNDING_RATE_SCHEMA, _encode_funding_rates, _decode_funding_rates)
    register_arrow(FundingPayment, FUNDING_PAYMENT_SCHEMA, _encode_funding_payments, _decode_funding_payments)
    with contextlib.suppress(KeyError):  # already registered by an earlier import in this process
        register_serializable_type(FundingPayment, FundingPayment.to_dict, FundingPayment.from_dict)
    _registered = True


def funding_payment_topic(instrument_id: InstrumentId) -> str:
    """The message-bus topic the data engine uses for a `FundingPayment` on this instrument.

    Strategies subscribe with `subscribe_data(DataType(FundingPayment), instrument_id=...)` (or without an
    instrument for all of them); the backtest/sandbox module publishes straight to this topic and live
    adapters publish through the data engine, which picks the same topic.
    """
    return f"data.FundingPayment.{instrument_id.venue}.{instrument_id.symbol.topic()}"


def funding_amount(position_quantity: Decimal, mark_price: Decimal, rate: Decimal, precision: int) -> Decimal:
    """Funding received (+) or paid (-) by a position: -signed_qty x mark x rate, rounded half-even to
    the settlement currency's precision. A long pays a positive rate; a short receives it."""
    raw = -(position_quantity * mark_price * rate)
    return raw.quantize(Decimal(1).scaleb(-precision))
