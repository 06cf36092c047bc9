"""Authentication as Bybit v5 performs it (docs "Integration Guidance" / "WebSocket Connect").

REST: headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (ms), `X-BAPI-RECV-WINDOW` (default 5000) and
`X-BAPI-SIGN` = hex HMAC-SHA256(secret, timestamp + api_key + recv_window + payload), where payload
is the query string exactly as sent (GET) or the raw JSON body (POST). The request is valid when
`server_time - recv_window <= timestamp < server_time + 1000`; otherwise 10002.

WebSocket (private and trade): `{"op": "auth", "args": [api_key, expires_ms, signature]}` with
signature = hex HMAC-SHA256(secret, "GET/realtime" + expires); `expires` must lie in the future.

Keys belong to an account uid (the core's user). A key may be read-only (`trade=False`): order
endpoints then answer 10005. With `auto_secret` set (`arb venuesim run --auto-accounts`), an unknown
key signed with that secret is admitted on first use as a new account (`on_new` funds it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass

from venuesim.core.model import now_ms
from venuesim.fronts.bybit.protocol import INVALID_KEY
from venuesim.fronts.bybit.protocol import PERMISSION_DENIED
from venuesim.fronts.bybit.protocol import SIGN_ERROR
from venuesim.fronts.bybit.protocol import TIMESTAMP_ERROR
from venuesim.fronts.bybit.protocol import BybitError
from venuesim.fronts.bybit.protocol import param_error

FUTURE_TOLERANCE_MS = 1000
DEFAULT_RECV_WINDOW = 5000
AUTO_SECRET = "venuesim-secret"
AUTO_UID_BASE = 2_000_000


@dataclass(frozen=True)
class ApiKey:
    key: str
    secret: str
    uid: str
    trade: bool = True


def sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class Authenticator:
    def __init__(
        self, auto_secret: str | None = None, on_new: Callable[[ApiKey], object] | None = None
    ) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.auto_secret = auto_secret
        self.on_new = on_new

    def _lookup(self, key: str) -> tuple[ApiKey | None, bool]:
        """The key, or (with auto accounts) a candidate to admit once its signature checks out."""
        api_key = self.keys.get(key)
        if api_key is not None or not self.auto_secret or not key:
            return api_key, False
        uid = str(AUTO_UID_BASE + len({k.uid for k in self.keys.values()}) + 1)
        return ApiKey(key, self.auto_secret, uid), True

    def _admit(self, api_key: ApiKey) -> None:
        self.keys[api_key.key] = api_key
        if self.on_new is not None:
            self.on_new(api_key)

    def add(self, key: str, secret: str, uid: str, trade: bool = True) -> ApiKey:
        api_key = ApiKey(key, secret, str(uid), trade)
        self.keys[key] = api_key
        return api_key

    def uid_keys(self, uid: str) -> list[ApiKey]:
        return [k for k in self.keys.values() if k.uid == uid]

    def verify_rest(self, headers: Mapping[str, str], payload: str, needs_trade: bool = False) -> ApiKey:
        key = headers.get("X-BAPI-API-KEY")
        api_key, new = self._lookup(key or "")
        if api_key is None:
            raise BybitError(INVALID_KEY)
        ts_raw = headers.get("X-BAPI-TIMESTAMP")
        sig = headers.get("X-BAPI-SIGN")
        if not ts_raw or not sig:
            raise param_error("missing X-BAPI-TIMESTAMP or X-BAPI-SIGN header")
        recv_raw = headers.get("X-BAPI-RECV-WINDOW") or str(DEFAULT_RECV_WINDOW)
        try:
            ts, recv = int(ts_raw), int(recv_raw)
        except ValueError:
            raise param_error("X-BAPI-TIMESTAMP and X-BAPI-RECV-WINDOW must be integers") from None
        now = now_ms()
        if not (now - recv <= ts < now + FUTURE_TOLERANCE_MS):
            raise BybitError(TIMESTAMP_ERROR, ts=ts, now=now, recv=recv)
        origin = f"{ts_raw}{key}{recv_raw}{payload}"
        if not hmac.compare_digest(sign(api_key.secret, origin), sig.lower()):
            raise BybitError(SIGN_ERROR, origin=origin)
        if new:
            self._admit(api_key)
        if needs_trade and not api_key.trade:
            raise BybitError(PERMISSION_DENIED)
        return api_key

    def verify_ws(self, args: object) -> ApiKey:
        """Check a WebSocket `auth` request; raises ValueError with the venue's reply text."""
        if not isinstance(args, list) or len(args) != 3:
            raise ValueError("Params Error")  # wording unconfirmed
        key, expires, signature = args
        api_key, new = self._lookup(str(key))
        if api_key is None:
            raise ValueError("Invalid apikey")
        try:
            expires_ms = int(expires)
        except (TypeError, ValueError):
            raise ValueError("Params Error") from None
        if expires_ms <= now_ms():
            raise ValueError("Request expired")  # wording unconfirmed
        if not isinstance(signature, str) or not hmac.compare_digest(
            sign(api_key.secret, f"GET/realtime{expires}"), signature.lower()
        ):
            raise ValueError("Invalid sign")  # wording unconfirmed
        if new:
            self._admit(api_key)
        return api_key
