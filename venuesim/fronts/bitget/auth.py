"""Authentication as Bitget performs it: API keys with a secret and a passphrase, an HMAC-SHA256
signature over `timestamp + METHOD + requestPath [+ "?" + query] + body` (base64), the timestamp
within 30 s of the server clock, and the demo-trading header.

REST headers: ACCESS-KEY, ACCESS-SIGN, ACCESS-TIMESTAMP (ms), ACCESS-PASSPHRASE, and
`paptrading: 1` for demo keys (a demo key without it, or a live key with it, is refused with 40099).
The query string is verified in its decoded form (the venue signs the raw, unencoded query;
ccxt sends it percent-encoded and signs it decoded, our adapter sends it unencoded).
WebSocket login: `sign = base64(HMAC(secret, timestamp_s + "GET" + "/user/verify"))`, timestamp in
seconds within 30 s.

Refusals carry Bitget's codes: REST 40001 (no key), 40002 (no sign), 40005 (bad timestamp),
40006 (unknown key), 40008 (stale timestamp), 40009 (bad signature), 40011 (no passphrase),
40012 (wrong passphrase); WebSocket 30011 (key), 30012 (passphrase), 30013 (timestamp format),
30014 (stale timestamp), 30015 (signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from venuesim.fronts.bitget import protocol as p

WINDOW_MS = 30_000
WS_VERIFY = "GET/user/verify"


def b64_hmac(secret: str, text: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class ApiKey:
    key: str
    secret: str
    passphrase: str
    uid: str
    demo: bool = False


class AuthError(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg


@dataclass
class Authenticator:
    keys: dict[str, ApiKey] = field(default_factory=dict)
    window_ms: int = WINDOW_MS
    auto_accounts: bool = False
    default_secret: str = "venuesim-secret"
    default_passphrase: str = "venuesim"
    on_new_key: Callable[[ApiKey], None] | None = None
    clock_ms: Callable[[], int] = field(default=lambda: time.time_ns() // 1_000_000)
    failures: dict[str, int] = field(default_factory=dict)

    def add(self, key: ApiKey) -> None:
        self.keys[key.key] = key

    def _fail(self, pair: tuple[str, str]) -> AuthError:
        self.failures[pair[0]] = self.failures.get(pair[0], 0) + 1
        return AuthError(*pair)

    def _lookup(self, key: str) -> ApiKey | None:
        found = self.keys.get(key)
        if found is None and self.auto_accounts and key:
            # rehearsal convenience (not venue behaviour): unknown keys use the default secret
            uid = str(9_000_000 + len(self.keys) + 1)
            found = ApiKey(key, self.default_secret, self.default_passphrase, uid)
            self.add(found)
            if self.on_new_key is not None:
                self.on_new_key(found)
        return found

    def verify_rest(
        self, method: str, path: str, query: str, body: str, headers: Mapping[str, str]
    ) -> ApiKey:
        key = headers.get("ACCESS-KEY", "")
        sign = headers.get("ACCESS-SIGN", "")
        ts = headers.get("ACCESS-TIMESTAMP", "")
        passphrase = headers.get("ACCESS-PASSPHRASE", "")
        if not key:
            raise self._fail(p.ACCESS_KEY_EMPTY)
        if not sign:
            raise self._fail(p.ACCESS_SIGN_EMPTY)
        if not ts.isdigit():
            raise self._fail(p.TIMESTAMP_INVALID)
        api = self._lookup(key)
        if api is None:
            raise self._fail(p.INVALID_KEY)
        if not passphrase:
            raise self._fail(p.PASSPHRASE_EMPTY)
        if not hmac.compare_digest(passphrase, api.passphrase):
            raise self._fail(p.PASSPHRASE_WRONG)
        if abs(self.clock_ms() - int(ts)) > self.window_ms:
            raise self._fail(p.TIMESTAMP_EXPIRED)
        prehash = f"{ts}{method.upper()}{path}{'?' + query if query else ''}{body}"
        if not hmac.compare_digest(sign, b64_hmac(api.secret, prehash)):
            raise self._fail(p.SIGN_ERROR)
        demo_header = headers.get("paptrading", headers.get("PAPTRADING", "")) == "1"
        if demo_header != api.demo:
            raise self._fail(p.ENVIRONMENT)
        return api

    def verify_ws_login(self, arg: Mapping[str, object]) -> ApiKey:
        key = str(arg.get("apiKey") or "")
        ts = str(arg.get("timestamp") or "")
        sign = str(arg.get("sign") or "")
        passphrase = str(arg.get("passphrase") or "")
        api = self._lookup(key)
        if api is None:
            raise self._fail(("30011", "Invalid ACCESS_KEY"))
        if not hmac.compare_digest(passphrase, api.passphrase):
            raise self._fail(("30012", "Invalid ACCESS_PASSPHRASE"))
        if not ts.isdigit():
            raise self._fail(("30013", "Invalid ACCESS_TIMESTAMP"))
        if abs(self.clock_ms() - int(ts) * 1000) > self.window_ms:
            raise self._fail(("30014", "Request timestamp expired"))
        if not hmac.compare_digest(sign, b64_hmac(api.secret, f"{ts}{WS_VERIFY}")):
            raise self._fail(("30015", "Invalid signature"))
        return api
