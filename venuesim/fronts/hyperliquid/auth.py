"""Authentication as Hyperliquid performs it: recover the signer of an action from its EIP-712
signature, map the signer to an account (itself, or the master of an approved agent wallet),
check the vault/sub-account the action is for, and enforce nonce rules per signer.

- L1 actions (order, cancel, modify, ...): the signature is over the "phantom agent"
  `{source: "a"|"b", connectionId: keccak(msgpack(action) || nonce || vault flag/address ||
  expiresAfter)}` (Python SDK `sign_l1_action`). A wrong key, a tampered action, a different
  nonce or the wrong network all recover a *different* address, which the venue then reports as
  `User or API Wallet 0x... does not exist.` - the exact symptom users see.
- User-signed actions (approveAgent, approveBuilderFee, ...): EIP-712 typed data in the
  `HyperliquidSignTransaction` domain.
- Nonces (docs "Nonces and API wallets"): per signer the highest 20 nonces are kept; a new nonce
  must not have been used, must exceed the smallest kept one when the set is full, and must lie in
  (now - 2 days, now + 1 day).

The texts of nonce/vault/expiry errors are not published by the venue; the ones used here are
marked in `NONCE_*`/`VAULT_*` constants (duplicate-nonce text as reported in SDK issues).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from hyperliquid.utils.signing import recover_agent_or_user_from_l1_action
from hyperliquid.utils.signing import recover_user_from_user_signed_action

from venuesim.core.model import now_ms

NONCES_KEPT = 20
NONCE_PAST_MS = 2 * 86_400_000
NONCE_FUTURE_MS = 86_400_000

NONCE_DUPLICATE = "Invalid nonce: duplicate nonce {nonce}"  # as quoted in SDK issue reports
NONCE_TOO_LOW = (
    "Invalid nonce: nonce {nonce} is lower than the lowest kept nonce {lowest}"  # wording unconfirmed
)
NONCE_WINDOW = "Invalid nonce: nonce {nonce} is outside the allowed time window"  # wording unconfirmed
UNKNOWN_WALLET = "User or API Wallet {address} does not exist."
VAULT_NOT_ALLOWED = (
    "User {user} is not the leader or master of vault/sub-account {vault}."  # wording unconfirmed
)
EXPIRED = "Action expired: expiresAfter {expires} is in the past"  # wording unconfirmed

USER_SIGNED_TYPES: dict[str, tuple[str, list[dict[str, str]]]] = {
    "approveAgent": (
        "HyperliquidTransaction:ApproveAgent",
        [
            {"name": "hyperliquidChain", "type": "string"},
            {"name": "agentAddress", "type": "address"},
            {"name": "agentName", "type": "string"},
            {"name": "nonce", "type": "uint64"},
        ],
    ),
    "approveBuilderFee": (
        "HyperliquidTransaction:ApproveBuilderFee",
        [
            {"name": "hyperliquidChain", "type": "string"},
            {"name": "maxFeeRate", "type": "string"},
            {"name": "builder", "type": "address"},
            {"name": "nonce", "type": "uint64"},
        ],
    ),
}


class AuthError(Exception):
    pass


@dataclass
class Identity:
    user: str  # the account the action acts for (master, or the vault/sub-account)
    signer: str  # recovered address (master or agent)


@dataclass
class Registry:
    """Who exists on the simulated chain."""

    users: set[str] = field(default_factory=set)
    agents: dict[str, tuple[str, str]] = field(default_factory=dict)  # agent -> (master, name)
    vaults: dict[str, str] = field(default_factory=dict)  # vault/sub-account -> master/leader
    builder_fees: dict[tuple[str, str], str] = field(default_factory=dict)


class Authenticator:
    def __init__(self, is_mainnet: bool, auto_accounts: bool = False) -> None:
        self.is_mainnet = is_mainnet
        self.auto_accounts = auto_accounts
        self.registry = Registry()
        self._nonces: dict[str, list[int]] = {}
        self.on_new_user: Callable[[str], None] | None = None  # called when auto_accounts creates one

    # -- registry --------------------------------------------------------------------------------
    def add_user(self, address: str) -> None:
        self.registry.users.add(address.lower())

    def add_agent(self, master: str, agent: str, name: str = "") -> None:
        # An unnamed approval replaces the previous unnamed agent, like the venue.
        if not name:
            for a, (m, n) in list(self.registry.agents.items()):
                if m == master.lower() and not n:
                    del self.registry.agents[a]
        self.registry.agents[agent.lower()] = (master.lower(), name)

    def add_vault(self, vault: str, master: str) -> None:
        self.registry.vaults[vault.lower()] = master.lower()

    def role(self, address: str) -> dict[str, Any]:
        a = address.lower()
        if a in self.registry.vaults:
            return {"role": "subAccount", "data": {"master": self.registry.vaults[a]}}
        if a in self.registry.agents:
            return {"role": "agent", "data": {"user": self.registry.agents[a][0]}}
        if a in self.registry.users:
            return {"role": "user"}
        return {"role": "missing"}

    # -- verification ----------------------------------------------------------------------------
    def _owner(self, signer: str) -> str:
        if signer in self.registry.users:
            return signer
        if signer in self.registry.agents:
            return self.registry.agents[signer][0]
        if self.auto_accounts:
            self.add_user(signer)
            if self.on_new_user is not None:
                self.on_new_user(signer)
            return signer
        raise AuthError(UNKNOWN_WALLET.format(address=signer))

    def verify_l1(
        self,
        action: dict[str, Any],
        nonce: int,
        signature: dict[str, Any],
        vault_address: str | None,
        expires_after: int | None,
    ) -> Identity:
        try:
            signer = recover_agent_or_user_from_l1_action(
                action, signature, vault_address, nonce, expires_after, self.is_mainnet
            ).lower()
        except Exception as e:
            raise AuthError(f"Invalid signature: {e}") from None
        user = self._owner(signer)
        if vault_address:
            vault = vault_address.lower()
            if self.registry.vaults.get(vault) != user:
                raise AuthError(VAULT_NOT_ALLOWED.format(user=user, vault=vault))
            user = vault
        if expires_after is not None and expires_after < now_ms():
            raise AuthError(EXPIRED.format(expires=expires_after))
        self.check_nonce(signer, nonce)
        return Identity(user=user, signer=signer)

    def verify_user_signed(self, action: dict[str, Any], nonce: int, signature: dict[str, Any]) -> Identity:
        kind = str(action.get("type"))
        primary, types = USER_SIGNED_TYPES[kind]
        message = dict(action)
        # The SDK signs approveAgent with agentName "" and then omits the key when unnamed.
        if kind == "approveAgent":
            message.setdefault("agentName", "")
        try:
            signer = recover_user_from_user_signed_action(
                message, signature, types, primary, self.is_mainnet
            ).lower()
        except Exception as e:
            raise AuthError(f"Invalid signature: {e}") from None
        if signer in self.registry.agents:
            raise AuthError(f"API wallet {signer} cannot perform {kind}; sign with the master account")
        user = self._owner(signer)
        self.check_nonce(signer, nonce)
        return Identity(user=user, signer=signer)

    def check_nonce(self, signer: str, nonce: int) -> None:
        now = now_ms()
        if not now - NONCE_PAST_MS < nonce < now + NONCE_FUTURE_MS:
            raise AuthError(NONCE_WINDOW.format(nonce=nonce))
        kept = self._nonces.setdefault(signer, [])
        if nonce in kept:
            raise AuthError(NONCE_DUPLICATE.format(nonce=nonce))
        if len(kept) >= NONCES_KEPT and nonce <= kept[0]:
            raise AuthError(NONCE_TOO_LOW.format(nonce=nonce, lowest=kept[0]))
        kept.append(nonce)
        kept.sort()
        if len(kept) > NONCES_KEPT:
            del kept[0]
