"""Hyperliquid constants: venue ids, URLs, price/size rules, asset-id offsets, rate-limit weights,
environment variable names and the venue's status vocabulary mapped to Nautilus enums."""

from __future__ import annotations

from typing import Final

from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import Venue

HYPERLIQUID: Final = "HYPERLIQUID"
HYPERLIQUID_VENUE: Final = Venue(HYPERLIQUID)
HYPERLIQUID_CLIENT_ID: Final = ClientId(HYPERLIQUID)

MAINNET_HTTP_URL: Final = "https://api.hyperliquid.xyz"
TESTNET_HTTP_URL: Final = "https://api.hyperliquid-testnet.xyz"
MAINNET_WS_URL: Final = "wss://api.hyperliquid.xyz/ws"
TESTNET_WS_URL: Final = "wss://api.hyperliquid-testnet.xyz/ws"

# Tick and lot rules (docs "Tick and lot size")
PRICE_SIG_FIGS: Final = 5
PERP_MAX_DECIMALS: Final = 6
SPOT_MAX_DECIMALS: Final = 8
MIN_ORDER_NOTIONAL: Final = 10  # USD (perps) / quote units (spot)

# Asset ids (docs "Asset IDs")
SPOT_ASSET_OFFSET: Final = 10_000
BUILDER_ASSET_OFFSET: Final = 100_000
BUILDER_DEX_STRIDE: Final = 10_000

FUNDING_INTERVAL_NS: Final = 3_600_000_000_000  # hourly, HIP-3 dexes included

# Rate limits (docs "Rate limits and user limits"): 1200 weight per minute per IP
REST_WEIGHT_PER_MINUTE: Final = 1200
INFO_WEIGHTS: Final = {
    "l2Book": 2,
    "allMids": 2,
    "clearinghouseState": 2,
    "orderStatus": 2,
    "spotClearinghouseState": 2,
    "exchangeStatus": 2,
    "userRole": 60,
}
DEFAULT_INFO_WEIGHT: Final = 20

ENV_PRIVATE_KEY: Final = "HYPERLIQUID_PRIVATE_KEY"
ENV_TESTNET_PRIVATE_KEY: Final = "HYPERLIQUID_TESTNET_PRIVATE_KEY"
ENV_ACCOUNT_ADDRESS: Final = "HYPERLIQUID_ACCOUNT_ADDRESS"
ENV_VAULT_ADDRESS: Final = "HYPERLIQUID_VAULT_ADDRESS"

WS_CONNECTED_BANNER: Final = "Websocket connection established."
WS_PING: Final = '{"method":"ping"}'

CANDLE_INTERVALS: Final = {
    # (step, BarAggregation name) -> venue interval
    (1, "MINUTE"): "1m",
    (3, "MINUTE"): "3m",
    (5, "MINUTE"): "5m",
    (15, "MINUTE"): "15m",
    (30, "MINUTE"): "30m",
    (1, "HOUR"): "1h",
    (2, "HOUR"): "2h",
    (4, "HOUR"): "4h",
    (8, "HOUR"): "8h",
    (12, "HOUR"): "12h",
    (1, "DAY"): "1d",
    (3, "DAY"): "3d",
    (1, "WEEK"): "1w",
    (1, "MONTH"): "1M",
}

# orderUpdates / orderStatus status strings -> Nautilus order status
CANCELED_STATUSES: Final = frozenset(
    {
        "canceled",
        "marginCanceled",
        "selfTradeCanceled",
        "reduceOnlyCanceled",
        "siblingFilledCanceled",
        "liquidatedCanceled",
        "scheduledCancel",
        "openInterestCapCanceled",
        "delistedCanceled",
        "vaultWithdrawalCanceled",
        "outcomeSettledCanceled",
    }
)


def order_status_from_venue(status: str, filled: bool) -> OrderStatus:
    if status == "open":
        return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.ACCEPTED
    if status == "filled":
        return OrderStatus.FILLED
    if status == "triggered":
        return OrderStatus.TRIGGERED
    if status in CANCELED_STATUSES:
        return OrderStatus.CANCELED
    if status.endswith("Rejected") or status == "rejected":
        return OrderStatus.REJECTED
    return OrderStatus.CANCELED  # unknown terminal status: the order is no longer working
