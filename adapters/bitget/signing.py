"""Bitget request signing (docs "Signature"; official SDK `bitget/utils.py`).

REST: `ACCESS-SIGN = base64(HMAC_SHA256(secret, timestamp + METHOD + requestPath + ["?" + query] + body))`
with the timestamp in milliseconds (also sent as `ACCESS-TIMESTAMP`), `ACCESS-KEY`,
`ACCESS-PASSPHRASE`, and `paptrading: 1` on demo-trading accounts. The query string is the one on
the wire: keys sorted, values unencoded (the adapter only sends URL-safe values), so the signed
text and the sent text are the same bytes.

WebSocket login: `sign = base64(HMAC_SHA256(secret, timestamp + "GET" + "/user/verify"))` with the
timestamp in **seconds**; the venue refuses a login more than 30 s old.

Key, secret and passphrase are `Secret`s: no repr, log line or exception shows them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from adapters.common.credentials import Secret

WS_VERIFY_PATH = "/user/verify"


def sign(secret: str, prehash: str) -> str:
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def query_string(params: dict[str, Any] | None) -> str:
    """Sorted, unencoded `k=v&...` of the non-None params ("" when there are none)."""
    if not params:
        return ""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if params[k] is not None)


def prehash(timestamp: str, method: str, path: str, query: str = "", body: str = "") -> str:
    return f"{timestamp}{method.upper()}{path}{'?' + query if query else ''}{body}"


class BitgetSigner:
    def __init__(self, api_key: Secret, api_secret: Secret, passphrase: Secret, demo: bool = False) -> None:
        self._key = api_key
        self._secret = api_secret
        self._passphrase = passphrase
        self.demo = demo

    def __repr__(self) -> str:
        return f"BitgetSigner(api_key=***, demo={self.demo})"

    __str__ = __repr__

    def rest_headers(
        self, method: str, path: str, query: str = "", body: str = "", timestamp_ms: int | None = None
    ) -> dict[str, str]:
        ts = str(timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000)
        headers = {
            "ACCESS-KEY": self._key.reveal(),
            "ACCESS-SIGN": sign(self._secret.reveal(), prehash(ts, method, path, query, body)),
            "ACCESS-TIMESTAMP": ts,
            "ACCESS-PASSPHRASE": self._passphrase.reveal(),
            "Content-Type": "application/json",
            "locale": "en-US",
        }
        if self.demo:
            headers["paptrading"] = "1"
        return headers

    def ws_login(self, timestamp_s: int | None = None) -> dict[str, Any]:
        ts = str(timestamp_s if timestamp_s is not None else int(time.time()))
        return {
            "op": "login",
            "args": [
                {
                    "apiKey": self._key.reveal(),
                    "passphrase": self._passphrase.reveal(),
                    "timestamp": ts,
                    "sign": sign(self._secret.reveal(), f"{ts}GET{WS_VERIFY_PATH}"),
                }
            ],
        }

    @property
    def key_fingerprint(self) -> str:
        """A short stable id of the API key (the account id), not the key itself."""
        return hashlib.blake2b(self._key.reveal().encode(), digest_size=6).hexdigest()

    @property
    def credentials_fingerprint(self) -> str:
        """A digest of key, secret and passphrase together (client caches), revealing none of them."""
        text = "\x00".join((self._key.reveal(), self._secret.reveal(), self._passphrase.reveal()))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
