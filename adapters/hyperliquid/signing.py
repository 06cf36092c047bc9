"""Signing of `/exchange` actions, through the official Python SDK (`sign_l1_action`).

The signer key is either the account's own key or an agent (API) wallet approved by it; with a
vault/sub-account the action carries `vaultAddress` (part of the signed hash). Nonces are
millisecond timestamps, strictly increasing per signer even when two actions are built in the same
millisecond (the venue refuses a reused nonce).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from eth_account import Account
from hyperliquid.utils.signing import sign_l1_action

from adapters.common.credentials import Secret
from adapters.common.errors import ConfigurationError
from adapters.hyperliquid.constants import HYPERLIQUID


class NonceClock:
    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(time.time_ns() // 1_000_000, self._last + 1)
            return self._last


class HyperliquidSigner:
    def __init__(self, private_key: Secret, *, is_mainnet: bool, vault_address: str | None = None) -> None:
        try:
            self._wallet = Account.from_key(private_key.reveal())
        except Exception:
            # the library's message could quote the input: never chain it
            raise ConfigurationError(
                "private key is not a valid secp256k1 key (64 hex digits)", venue=HYPERLIQUID
            ) from None
        self.address = self._wallet.address.lower()
        self.is_mainnet = is_mainnet
        self.vault_address = vault_address.lower() if vault_address else None
        self.nonces = NonceClock()

    def __repr__(self) -> str:
        return f"HyperliquidSigner(address={self.address}, mainnet={self.is_mainnet}, vault={self.vault_address})"

    def __reduce__(self):
        raise TypeError("a signer cannot be pickled")

    def signed_payload(
        self, action: dict[str, Any], nonce: int | None = None, expires_after: int | None = None
    ) -> dict[str, Any]:
        """The `/exchange` body for `action`: action, nonce, signature, vaultAddress[, expiresAfter]."""
        n = nonce if nonce is not None else self.nonces.next()
        signature = sign_l1_action(
            self._wallet, action, self.vault_address, n, expires_after, self.is_mainnet
        )
        body: dict[str, Any] = {
            "action": action,
            "nonce": n,
            "signature": signature,
            "vaultAddress": self.vault_address,
        }
        if expires_after is not None:
            body["expiresAfter"] = expires_after
        return body
