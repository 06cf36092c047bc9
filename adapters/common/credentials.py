"""Secrets: where they come from and how they stay out of reprs, logs and exceptions.

A secret is held in a `Secret`, whose `repr`/`str` never show the value; code that needs the value
calls `reveal()` at the last moment (signing). Every `Secret` registers its value with the process
redactor, so `redact(text)` removes it from any string - errors and log lines built by the
transport layer go through `redact` before they leave it.

Lookup order for a venue secret: the explicit config value, then the environment variable, then a
`.env` file (`KEY=value` lines, `export` and quotes allowed) in the working directory or the path
given in `ARB_DOTENV`.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

REDACTED = "***"

_lock = threading.Lock()
_known: set[str] = set()


class Secret:
    """A string that does not print. Compare and hash by value; never pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("a secret must be a non-empty string")
        self._value = value
        _register(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return True

    def __reduce__(self):
        raise TypeError("a Secret cannot be pickled")


def _register(value: str) -> None:
    forms = {value}
    # Hex keys appear both with and without the 0x prefix (and in either case) in third-party text.
    if value.lower().startswith("0x"):
        forms.add(value[2:])
    with _lock:
        for form in forms:
            if len(form) >= 8:  # short strings would redact ordinary words
                _known.add(form)
                _known.add(form.lower())
                _known.add(form.upper())


def redact(text: object) -> str:
    """`text` as a string with every registered secret replaced by ***."""
    s = str(text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in s:
            s = s.replace(value, REDACTED)
    return s


_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_dotenv(path: str | Path) -> dict[str, str]:
    """Parse a `.env` file. Missing file -> {}. Values are not registered as secrets here; only the
    one a venue actually uses is (via `resolve_secret`)."""
    p = Path(path)
    if not p.is_file():
        return {}
    out: dict[str, str] = {}
    for raw in p.read_text().splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = _LINE.match(raw)
        if not m:
            continue
        key, value = m.group(1), m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[key] = value
    return out


def default_dotenv_path() -> Path:
    return Path(os.environ.get("ARB_DOTENV", ".env"))


def resolve_setting(explicit: str | None, env_var: str, dotenv: str | Path | None = None) -> str | None:
    """A non-secret setting (an address, a flag): explicit, then environment, then `.env`."""
    if explicit:
        return explicit
    if os.environ.get(env_var):
        return os.environ[env_var]
    return read_dotenv(dotenv or default_dotenv_path()).get(env_var) or None


def resolve_secret(explicit: str | None, env_var: str, dotenv: str | Path | None = None) -> Secret | None:
    """The secret from the explicit value, the environment or the `.env` file; None if nowhere."""
    value = resolve_setting(explicit, env_var, dotenv)
    return Secret(value) if value else None
