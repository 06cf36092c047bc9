"""Bitget constants: venue ids, URLs, product types, rate limits, environment variable names, the
venue's status / time-in-force vocabulary mapped to Nautilus enums, and the error codes the adapter
classifies (codes and texts from Bitget's published REST / WebSocket error tables)."""

from __future__ import annotations

from typing import Final

from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import Venue

BITGET: Final = "BITGET"
BITGET_VENUE: Final = Venue(BITGET)
BITGET_CLIENT_ID: Final = ClientId(BITGET)

HTTP_URL: Final = "https://api.bitget.com"
WS_PUBLIC_URL: Final = "wss://ws.bitget.com/v2/ws/public"
WS_PRIVATE_URL: Final = "wss://ws.bitget.com/v2/ws/private"
# Demo trading: same REST host plus the `paptrading: 1` header; its own WebSocket host.
DEMO_WS_PUBLIC_URL: Final = "wss://wspap.bitget.com/v2/ws/public"
DEMO_WS_PRIVATE_URL: Final = "wss://wspap.bitget.com/v2/ws/private"
WS_PUBLIC_PATH: Final = "/v2/ws/public"
WS_PRIVATE_PATH: Final = "/v2/ws/private"

USDT_FUTURES: Final = "USDT-FUTURES"
SPOT: Final = "SPOT"
MARGIN_COIN: Final = "USDT"
SUCCESS_CODE: Final = "00000"

# Envelope / channels
WS_PING: Final = "ping"
WS_PONG: Final = "pong"
BOOK_CHANNELS: Final = frozenset({"books", "books1", "books5", "books15"})
CHECKSUM_LEVELS: Final = 25

# Rate limits (per-endpoint limits from the docs; one shared IP budget for public endpoints, one
# per-UID budget for trading and one for private queries).
RATE_PUBLIC_PER_SEC: Final = 20
RATE_TRADE_PER_SEC: Final = 10
RATE_BATCH_PER_SEC: Final = 5
RATE_PRIVATE_PER_SEC: Final = 10

ENV_API_KEY: Final = "BITGET_API_KEY"
ENV_API_SECRET: Final = "BITGET_API_SECRET"
ENV_API_PASSPHRASE: Final = "BITGET_API_PASSPHRASE"
ENV_DEMO_API_KEY: Final = "BITGET_DEMO_API_KEY"
ENV_DEMO_API_SECRET: Final = "BITGET_DEMO_API_SECRET"
ENV_DEMO_API_PASSPHRASE: Final = "BITGET_DEMO_API_PASSPHRASE"

CLIENT_OID_MAX_LEN: Final = 50  # error 40304: "clientOid or clientOrderId length cannot greater than 50"
BATCH_MAX_ORDERS: Final = 50

# Candle granularity per (step, BarAggregation name): futures REST `granularity` / WS `candle<g>`,
# and the spot REST spelling where it differs.
CANDLE_GRANULARITY: Final = {
    (1, "MINUTE"): "1m",
    (3, "MINUTE"): "3m",
    (5, "MINUTE"): "5m",
    (15, "MINUTE"): "15m",
    (30, "MINUTE"): "30m",
    (1, "HOUR"): "1H",
    (4, "HOUR"): "4H",
    (6, "HOUR"): "6H",
    (12, "HOUR"): "12H",
    (1, "DAY"): "1D",
    (3, "DAY"): "3D",
    (1, "WEEK"): "1W",
    (1, "MONTH"): "1M",
}
SPOT_CANDLE_GRANULARITY: Final = {
    "1m": "1min",
    "3m": "3min",
    "5m": "5min",
    "15m": "15min",
    "30m": "30min",
    "1H": "1h",
    "4H": "4h",
    "6H": "6h",
    "12H": "12h",
    "1D": "1day",
    "3D": "3day",
    "1W": "1week",
    "1M": "1M",
}
GRANULARITY_MS: Final = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1H": 3_600_000,
    "4H": 14_400_000,
    "6H": 21_600_000,
    "12H": 43_200_000,
    "1D": 86_400_000,
    "3D": 259_200_000,
    "1W": 604_800_000,
    "1M": 2_592_000_000,
}

# Order status (futures and spot spellings) -> Nautilus
_STATUS: Final = {
    "init": OrderStatus.ACCEPTED,
    "new": OrderStatus.ACCEPTED,
    "live": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "partially_fill": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "full_fill": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
}
OPEN_STATUSES: Final = frozenset({"init", "new", "live", "partially_filled", "partially_fill"})
CANCELED_STATUSES: Final = frozenset({"canceled", "cancelled"})
FILLED_STATUSES: Final = frozenset({"filled", "full_fill"})


def order_status_from_venue(status: str, filled: bool = False) -> OrderStatus:
    s = status.lower()
    mapped = _STATUS.get(s)
    if mapped is None:
        return OrderStatus.CANCELED  # an unknown terminal status: the order no longer works
    if mapped == OrderStatus.ACCEPTED and filled:
        return OrderStatus.PARTIALLY_FILLED
    return mapped


FORCE_TO_TIF: Final = {
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
    "post_only": TimeInForce.GTC,
    "post only": TimeInForce.GTC,
}

# -- error codes ------------------------------------------------------------------------------------
# REST (HTTP 400 bodies {"code","msg"}): authentication and timestamp problems
AUTH_CODES: Final = frozenset(
    {
        "40001",  # ACCESS_KEY cannot be empty
        "40002",  # ACCESS_SIGN cannot be empty
        "40003",  # Signature cannot be empty
        "40004",  # Request timestamp expired
        "40005",  # Invalid ACCESS_TIMESTAMP
        "40006",  # Invalid ACCESS_KEY
        "40008",  # Request timestamp expired
        "40009",  # sign signature error
        "40011",  # ACCESS_PASSPHRASE cannot be empty
        "40012",  # apikey/password is incorrect
        "40014",  # Incorrect permissions
        "40018",  # Invalid IP
        "40037",  # Apikey does not exist
        "40099",  # demo / live environment mismatch (the paptrading header)
    }
)
RATE_LIMIT_CODES: Final = frozenset({"429", "30006", "30007"})
ORDER_NOT_FOUND_CODES: Final = frozenset({"40109", "40768", "43001", "40819", "45057", "22001"})
# The venue understood the order and refused it (margin, size, price, reduce-only, maintenance)
ORDER_REJECT_CODES: Final = frozenset(
    {
        "40754",  # balance not enough
        "40757",  # Not enough position is available
        "40762",  # The order size is greater than the max open size
        "40774",  # unilateral position type
        "40786",  # Duplicate clientOid
        "40808",  # Parameter verification exception (size scale)
        "41103",  # param price scale error
        "43011",  # The parameter does not meet the specification
        "43012",  # Insufficient balance
        "45110",  # less than the minimum amount {0} USDT
        "45111",  # less than the minimum order quantity
        "45115",  # The price you enter should be a multiple of {0}
        "41114",  # symbol under maintenance
        "43115",  # symbol opening soon
        "40308",  # contract being maintained
        "22002",  # No position to close
    }
)
WS_LOGIN_FAILED: Final = frozenset({"30005", "30011", "30012", "30013", "30014", "30015"})

# Account bill business type of a funding settlement (docs "Get Account Bills": contract_settle_fee)
FUNDING_BILL_TYPE: Final = "contract_settle_fee"
