"""Hyperliquid order-building rules: the tick rule (5 significant figures, max decimals, integers
always valid), the lot rule, the wire format the signature hashes, asset ids, and the instrument-id
conventions shared with the registry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hyperliquid.utils.signing import float_to_wire
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from nautilus_trader.model.identifiers import InstrumentId

from adapters.hyperliquid.assets import perp_asset_id
from adapters.hyperliquid.assets import spot_asset_id
from adapters.hyperliquid.pricing import PriceRule
from adapters.hyperliquid.pricing import PriceRuleError
from adapters.hyperliquid.pricing import to_wire
from adapters.hyperliquid.symbols import perp_coin
from adapters.hyperliquid.symbols import perp_instrument_id
from adapters.hyperliquid.symbols import spot_instrument_id
from catalog.registry import default_registry

prices = st.decimals(
    min_value=Decimal("0.000001"),
    max_value=Decimal("5000000"),
    places=9,
    allow_nan=False,
    allow_infinity=False,
)
rules = st.builds(PriceRule, st.integers(min_value=0, max_value=5), st.booleans())


def test_documented_examples():
    perp0, perp1, spot2 = PriceRule(0), PriceRule(1), PriceRule(2, is_spot=True)
    assert perp0.is_valid_price(Decimal("1234.5")) and not perp0.is_valid_price(Decimal("1234.56"))
    assert perp0.is_valid_price(Decimal("0.001234")) and not perp0.is_valid_price(Decimal("0.0012345"))
    assert perp1.is_valid_price(Decimal("0.01234")) and not perp1.is_valid_price(Decimal("0.012345"))
    assert perp0.is_valid_price(Decimal("123456")) and not perp0.is_valid_price(Decimal("12345.6"))
    assert PriceRule(1, True).is_valid_price(Decimal("0.0001234")) and not spot2.is_valid_price(
        Decimal("0.0001234")
    )
    assert PriceRule(3).is_valid_size(Decimal("1.001")) and not PriceRule(3).is_valid_size(Decimal("1.0001"))


@settings(max_examples=400, deadline=None)
@given(prices, rules, st.sampled_from(["nearest", "down", "up"]))
def test_rounded_prices_are_always_valid_and_on_the_requested_side(px, rule, mode):
    try:
        out = rule.round_price(px, mode)
    except PriceRuleError:
        assert px < Decimal(1).scaleb(-rule.max_decimals)  # below the smallest representable price
        return
    assert rule.is_valid_price(out)
    if mode == "down":
        assert out <= px
    if mode == "up":
        assert out >= px


@settings(max_examples=400, deadline=None)
@given(prices, rules)
def test_valid_prices_are_left_unchanged(px, rule):
    if rule.is_valid_price(px):
        assert rule.round_price(px, "down") == px == rule.round_price(px, "up")


@given(st.integers(min_value=1, max_value=10**9), rules)
def test_integer_prices_are_always_valid(n, rule):
    assert rule.is_valid_price(Decimal(n))


@settings(max_examples=300, deadline=None)
@given(prices, rules)
def test_nearest_rounding_moves_less_than_one_step(px, rule):
    try:
        out = rule.round_price(px, "nearest")
    except PriceRuleError:
        return
    exp = min(max(px.adjusted() - 4, -rule.max_decimals), 0)  # integers are always allowed
    assert abs(out - px) <= Decimal(1).scaleb(exp)


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(
        min_value=Decimal("0.00000001"),
        max_value=Decimal("1000000"),
        places=8,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_wire_format_matches_the_official_sdk(value):
    # The signature covers these exact strings: any difference is a "User or API Wallet does not exist".
    assert to_wire(value) == float_to_wire(float(value))


def test_wire_format_strips_trailing_zeros():
    assert to_wire(Decimal("65000.0")) == "65000"
    assert to_wire(Decimal("0.0100")) == "0.01"
    assert to_wire(Decimal("-0")) == "0"
    assert to_wire(Decimal("1E+5")) == "100000"


def test_asset_ids_follow_the_venue_formula():
    assert perp_asset_id(0, 0) == 0 and perp_asset_id(0, 229) == 229
    assert perp_asset_id(1, 0) == 110000  # docs: test:ABC, perp_dex_index 1, index 0 -> 110000
    assert perp_asset_id(2, 5) == 120005
    assert spot_asset_id(0) == 10000 and spot_asset_id(107) == 10107


def test_instrument_ids_agree_with_the_registry():
    reg = default_registry()
    hl = reg.markets_where(venue="HYPERLIQUID")
    assert hl, "registry has Hyperliquid markets"
    for m in hl:
        if m.kind == "perp":
            assert perp_instrument_id(m.symbol) == m.instrument_id
            assert perp_coin(m.instrument_id) == m.symbol
        else:
            assert spot_instrument_id(m.base, m.quote) == m.instrument_id
            assert m.symbol.startswith("@") or "/" in m.symbol
    assert perp_instrument_id("xyz:NVDA") == InstrumentId.from_str("xyz:NVDA-USD-PERP.HYPERLIQUID")
    assert spot_instrument_id("HYPE", "USDC") == InstrumentId.from_str("HYPE-USDC-SPOT.HYPERLIQUID")
    assert perp_coin(InstrumentId.from_str("BTCUSDT-PERP.BITGET")) is None


def test_round_price_refuses_non_positive():
    with pytest.raises(PriceRuleError, match="price must be positive"):
        PriceRule(2).round_price(Decimal(0))


# -- order wires --------------------------------------------------------------------------------------
def _factory():
    from nautilus_trader.common.component import TestClock
    from nautilus_trader.common.factories import OrderFactory
    from nautilus_trader.model.identifiers import StrategyId
    from nautilus_trader.model.identifiers import TraderId

    return OrderFactory(TraderId("T-001"), StrategyId("S-001"), TestClock())


def _btc():
    from adapters.hyperliquid.assets import HlAsset

    return HlAsset(perp_instrument_id("BTC"), "BTC", 0, "", 0, False, 5, "BTC", "USDC")


def test_order_wire_fields_key_order_and_cloid():
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.enums import TimeInForce
    from nautilus_trader.model.objects import Price
    from nautilus_trader.model.objects import Quantity

    from adapters.hyperliquid.orders import cloid_for
    from adapters.hyperliquid.orders import order_wire

    f = _factory()
    order = f.limit(
        perp_instrument_id("BTC"),
        OrderSide.SELL,
        Quantity.from_str("0.01000"),
        Price.from_str("65000.7"),
        time_in_force=TimeInForce.IOC,
    )
    wire = order_wire(order, _btc())
    assert list(wire) == ["a", "b", "p", "s", "r", "t", "c"]  # the signed msgpack depends on this order
    assert wire == {
        "a": 0,
        "b": False,
        "p": "65001",
        "s": "0.01",
        "r": False,
        "t": {"limit": {"tif": "Ioc"}},
        "c": cloid_for(order.client_order_id),
    }
    assert len(wire["c"]) == 34 and cloid_for(order.client_order_id) == wire["c"]  # stable: 0x + 16 bytes
    post_only = f.limit(
        perp_instrument_id("BTC"),
        OrderSide.BUY,
        Quantity.from_str("0.01000"),
        Price.from_str("65000.7"),
        post_only=True,
    )
    assert (
        order_wire(post_only, _btc())["t"] == {"limit": {"tif": "Alo"}}
        and order_wire(post_only, _btc())["p"] == "65000"
    )


def test_order_wire_refuses_what_the_venue_would_refuse():
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.enums import TimeInForce
    from nautilus_trader.model.objects import Price
    from nautilus_trader.model.objects import Quantity

    from adapters.hyperliquid.orders import OrderBuildError
    from adapters.hyperliquid.orders import order_wire

    f = _factory()
    iid = perp_instrument_id("BTC")
    with pytest.raises(OrderBuildError, match="time_in_force FOK is not supported"):
        order_wire(
            f.limit(
                iid,
                OrderSide.BUY,
                Quantity.from_str("0.01"),
                Price.from_str("65000"),
                time_in_force=TimeInForce.FOK,
            ),
            _btc(),
        )
    with pytest.raises(OrderBuildError, match="breaks the lot rule of BTC"):
        order_wire(
            f.limit(iid, OrderSide.BUY, Quantity.from_str("0.000001"), Price.from_str("65000")), _btc()
        )
    with pytest.raises(OrderBuildError, match=r"notional 6\.5000 is below the venue minimum of 10 USDC"):
        order_wire(f.limit(iid, OrderSide.BUY, Quantity.from_str("0.0001"), Price.from_str("65000")), _btc())
    reduce = f.limit(
        iid, OrderSide.SELL, Quantity.from_str("0.0001"), Price.from_str("65000"), reduce_only=True
    )
    assert order_wire(reduce, _btc())["r"] is True  # closing dust is allowed below the minimum
    with pytest.raises(OrderBuildError, match="needs a quote"):
        order_wire(f.market(iid, OrderSide.BUY, Quantity.from_str("0.01")), _btc())
