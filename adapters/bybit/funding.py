"""Bybit funding settlements -> `FundingPayment` (ours: amount + = received, quantity + = long, rate
as the venue publishes it, + = longs pay).

The venue reports one settlement in two places, with opposite sign conventions:

- an execution with `execType=Funding` (private `execution` topic, `/v5/execution/list`):
  `side` is the position's side, `execQty` its size, `execPrice` the mark price, `execFee` the
  funding *paid* (negative = received, like a trading fee), `feeRate` the rate signed by the side
  (a long shows the published rate, a short its negative);
- a `/v5/account/transaction-log` entry with `type=SETTLEMENT`: `funding` is the funding
  *received* ("positive fee value means receive funding ... opposite to the execFee"), `size` the
  signed position, `feeRate` signed by side as above.

Both give: rate = feeRate x side sign; position = size x side sign; amount = -execFee = funding;
and amount = -position x mark x rate up to the venue's rounding.
"""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Currency

from adapters.common.errors import MalformedMessageError
from catalog.funding import FundingPayment

MS = 1_000_000


def _dec(value: Any, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise MalformedMessageError(
            f"funding record: field '{field}' is not a number: {value!r}", venue="BYBIT"
        ) from None
    if not d.is_finite():
        raise MalformedMessageError(
            f"funding record: field '{field}' is not a number: {value!r}", venue="BYBIT"
        )
    return d


def _sign(side: str) -> Decimal:
    if side == "Buy":
        return Decimal(1)
    if side == "Sell":
        return Decimal(-1)
    raise MalformedMessageError(
        f"funding record: field 'side' must be Buy or Sell, got {side!r}", venue="BYBIT"
    )


def funding_from_execution(
    instrument_id: InstrumentId,
    currency: Currency,
    *,
    side: str,
    exec_qty: str,
    exec_price: str,
    exec_fee: str,
    fee_rate: str,
    exec_time: str | int,
    ts_init: int,
) -> FundingPayment:
    sign = _sign(side)
    return FundingPayment(
        instrument_id=instrument_id,
        position_quantity=_dec(exec_qty, "execQty") * sign,
        mark_price=_dec(exec_price, "execPrice"),
        rate=_dec(fee_rate, "feeRate") * sign,
        amount=-_dec(exec_fee, "execFee"),
        currency=currency,
        ts_event=int(_dec(exec_time, "execTime")) * MS,
        ts_init=ts_init,
    )


def funding_from_transaction(
    record: dict[str, Any], instrument_id: InstrumentId, currency: Currency, ts_init: int
) -> FundingPayment:
    if record.get("type") != "SETTLEMENT":
        raise MalformedMessageError(
            f"transaction-log entry {record.get('id')!r} is not a SETTLEMENT", venue="BYBIT"
        )
    sign = _sign(str(record.get("side")))
    return FundingPayment(
        instrument_id=instrument_id,
        position_quantity=_dec(record.get("size"), "size"),
        mark_price=_dec(record.get("tradePrice"), "tradePrice"),
        rate=_dec(record.get("feeRate"), "feeRate") * sign,
        amount=_dec(record.get("funding"), "funding"),
        currency=Currency.from_str(record.get("currency") or currency.code, strict=False),
        ts_event=int(_dec(record.get("transactionTime"), "transactionTime")) * MS,
        ts_init=ts_init,
    )
