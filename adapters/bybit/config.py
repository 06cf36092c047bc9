"""Client configs for Nautilus's built-in Bybit adapter as our nodes use it.

They are the built-in `BybitDataClientConfig` / `BybitExecClientConfig` (every setting of those
applies) plus what the built-ins cannot be told:

- `base_url_ws_public`: where the public WebSockets are. The built-in data factory always derives
  them from `testnet`/`demo`; with this set the category is appended (`<url>/spot`, `<url>/linear`),
  e.g. `ws://127.0.0.1:PORT/v5/public` for venuesim. (The exec config already has
  `base_url_ws_private` / `base_url_ws_trade`.)
- funding: `funding_poll_secs` (REST catch-up of settled funding, also run after every private
  WebSocket reconnect) and `funding_lookback_secs` (on connect, also publish settlements this far
  back; 0 = only those after the node connected).

Keys default to the environment (`BYBIT_API_KEY`/`BYBIT_API_SECRET`, or the `BYBIT_TESTNET_*` pair
with `testnet=True`), as in the built-ins. `repr()` never shows a secret.
"""

from __future__ import annotations

from nautilus_trader.adapters.bybit.config import BybitDataClientConfig
from nautilus_trader.adapters.bybit.config import BybitExecClientConfig

from adapters.common.credentials import REDACTED


def _redacted_repr(config, secret_fields: tuple[str, ...]) -> str:
    parts = []
    for name in config.__struct_fields__:
        value = getattr(config, name)
        if name in secret_fields and value is not None:
            value = REDACTED
        parts.append(f"{name}={value!r}")
    return f"{type(config).__name__}({', '.join(parts)})"


class BybitArbDataClientConfig(BybitDataClientConfig, frozen=True):
    base_url_ws_public: str | None = None

    def __repr__(self) -> str:
        return _redacted_repr(self, ("api_secret",))


class BybitArbExecClientConfig(BybitExecClientConfig, frozen=True):
    funding_poll_secs: float | None = 60.0
    funding_lookback_secs: float = 0.0
    fill_recovery_lookback_secs: float = 60.0

    def __repr__(self) -> str:
        return _redacted_repr(self, ("api_secret",))
