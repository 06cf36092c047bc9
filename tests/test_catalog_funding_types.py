"""FundingRateUpdate and FundingPayment round-trip through a real Parquet catalog."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Currency

from catalog.funding import FundingPayment
from catalog.funding import funding_amount
from catalog.store import open_catalog

HL = InstrumentId.from_str("xyz:NVDA-USD-PERP.HYPERLIQUID")
BY = InstrumentId.from_str("BTCUSDT-LINEAR.BYBIT")
H = 3_600_000_000_000
T0 = 1_735_689_600_000_000_000


def test_funding_rate_updates_round_trip_exactly(tmp_path):
    catalog = open_catalog(tmp_path, must_exist=False)
    updates = [
        FundingRateUpdate(HL, Decimal("0.0000125"), ts_event=T0, ts_init=T0, next_funding_ns=T0 + H),
        FundingRateUpdate(
            HL, Decimal("-0.00000071234"), ts_event=T0 + H, ts_init=T0 + H + 5, next_funding_ns=T0 + 2 * H
        ),
        FundingRateUpdate(BY, Decimal("0.0001"), ts_event=T0, ts_init=T0, next_funding_ns=None),
    ]
    catalog.write_data(updates)
    back = catalog.query(FundingRateUpdate)
    assert sorted(back, key=lambda u: (u.instrument_id.value, u.ts_init)) == sorted(
        updates, key=lambda u: (u.instrument_id.value, u.ts_init)
    )
    hl = catalog.query(FundingRateUpdate, identifiers=[HL.value])
    assert [(u.rate, u.next_funding_ns, u.ts_init) for u in hl] == [
        (Decimal("0.0000125"), T0 + H, T0),
        (Decimal("-0.00000071234"), T0 + 2 * H, T0 + H + 5),
    ]
    assert catalog.query(FundingRateUpdate, identifiers=[BY.value])[0].next_funding_ns is None
    in_range = catalog.query(FundingRateUpdate, identifiers=[HL.value], start=T0 + 1, end=T0 + 2 * H)
    assert [u.ts_init for u in in_range] == [T0 + H + 5]


def test_funding_payments_round_trip_as_custom_data(tmp_path):
    catalog = open_catalog(tmp_path, must_exist=False)
    usdc = Currency.from_str("USDC")
    payments = [
        FundingPayment(
            HL,
            Decimal("-2.5"),
            Decimal("181.23"),
            Decimal("0.0000125"),
            Decimal("0.00566344"),
            usdc,
            T0 + H,
            T0 + H,
            position_id="P-1",
        ),
        FundingPayment(
            HL,
            Decimal("1"),
            Decimal("182"),
            Decimal("-0.0001"),
            Decimal("0.0182"),
            usdc,
            T0 + 2 * H,
            T0 + 2 * H,
        ),
    ]
    catalog.write_data(payments)
    back = [d.data for d in catalog.query(FundingPayment)]
    assert back == payments
    assert back[0].money.as_decimal() == Decimal("0.00566344")
    assert back[1].position_id is None


def test_funding_amount_sign_convention_and_rounding():
    # a long pays a positive rate, a short receives it; half-even at the currency precision
    assert funding_amount(Decimal("0.5"), Decimal("100000"), Decimal("0.0001"), 8) == Decimal("-5.00000000")
    assert funding_amount(Decimal("-0.2"), Decimal("101000"), Decimal("0.0003"), 8) == Decimal("6.06000000")
    assert funding_amount(Decimal("1"), Decimal("1.005"), Decimal("1"), 2) == Decimal("-1.00")
    assert funding_amount(Decimal("3"), Decimal("100"), Decimal("-0.00005"), 2) == Decimal(
        "0.02"
    )  # 0.015 -> 0.02
