"""Curator accounts, kept in one JSON file (``TOWNSHIP_CURATORS_FILE``, by default
``var/curators.json``, a folder git ignores) that only its owner can read or write.

The file never holds a secret in clear: a password is kept as an Argon2id hash (argon2-cffi's
defaults: slow and memory-hard on purpose), an API token as the SHA-256 of a 256-bit random
string (a token is not guessable, so a fast hash suffices; a lost file gives no usable token).
Every change is made under a lock, written to a temporary file and renamed over the old one,
so a reader sees the old file or the new one, never half of one.

Each account carries a session ``epoch``: a session cookie names the epoch it was issued in,
and signing out (or changing the password) moves the epoch on, which voids every earlier
session of that curator at once, in every worker.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.files import atomic_write, file_lock, now_iso
from indexer.domain import PROJECT_ROOT

DEFAULT_STATE_DIR = PROJECT_ROOT / "var"
NAME = re.compile(r"^[\w.\-]{1,32}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
TOKEN_PREFIX = "tsk"
FORMAT = 1

_hasher = PasswordHasher()
# Verifying a password costs 64 MiB for a few tens of milliseconds: at most two at a time, so
# a burst of sign-ins cannot grow a worker's memory.
_verifying = threading.BoundedSemaphore(2)
T = TypeVar("T")


class AccountError(ValueError):
    """A request about accounts that cannot be done; ``str(error)`` says why."""


def curators_file() -> Path:
    return Path(os.environ.get("TOWNSHIP_CURATORS_FILE") or DEFAULT_STATE_DIR / "curators.json")


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise AccountError(f"invalid curator name {name[:40]!r}: 1–32 letters, digits, '_', '.' or '-'")
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    name: str
    token_id: str
    token: str  # shown once; only its hash is kept


class Accounts:
    """The accounts file: read (cached until the file changes), changed under a lock."""

    def __init__(self, path: Path):
        self.path = path
        self._cache: tuple[tuple, dict] | None = None
        self._lock = threading.Lock()

    # -- reading

    def _stamp(self) -> tuple | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": FORMAT, "curators": {}}
        except (OSError, ValueError) as error:
            raise AccountError(f"cannot read the curators file {self.path}: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("curators"), dict):
            raise AccountError(f"the curators file {self.path} is not a curators file")
        return data

    def curators(self) -> dict[str, dict]:
        """Name → account, as the file holds them now (re-read only when the file changed)."""
        stamp = self._stamp()
        with self._lock:
            if stamp is None:
                return {}
            if self._cache is None or self._cache[0] != stamp:
                self._cache = (stamp, self._read())
            return self._cache[1]["curators"]

    def account(self, name: str) -> dict | None:
        return self.curators().get(name)

    # -- changing

    def _change(self, change: Callable[[dict], T]) -> T:
        with file_lock(self.path.with_name(self.path.name + ".lock")):
            data = self._read()
            result = change(data["curators"])
            data["format"] = FORMAT
            atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return result

    def add(self, name: str, password: str) -> bool:
        """Create the curator, or set a new password (which ends their sessions). True when new."""
        check_name(name)
        hashed = _hasher.hash(check_password(password))

        def change(curators: dict) -> bool:
            account = curators.get(name)
            if account is None:
                curators[name] = {"password": hashed, "created": now_iso(), "epoch": 0, "tokens": []}
                return True
            account.update(password=hashed, epoch=account.get("epoch", 0) + 1)
            return False

        return self._change(change)

    def remove(self, name: str) -> None:
        """Delete the curator: their password, tokens and sessions stop working at once."""

        def change(curators: dict) -> None:
            if curators.pop(name, None) is None:
                raise AccountError(f"no curator named {name!r}")

        self._change(change)

    def issue_token(self, name: str) -> IssuedToken:
        token_id = secrets.token_hex(4)
        token = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"

        def change(curators: dict) -> None:
            account = curators.get(name)
            if account is None:
                raise AccountError(f"no curator named {name!r}: add it first (python -m app.curators add {name})")
            account.setdefault("tokens", []).append({"id": token_id, "sha256": _token_hash(token), "created": now_iso()})

        self._change(change)
        return IssuedToken(name, token_id, token)

    def revoke(self, name: str, token_id: str | None = None) -> int:
        """Revoke one token of the curator (or all when ``token_id`` is None); how many went."""

        def change(curators: dict) -> int:
            account = curators.get(name)
            if account is None:
                raise AccountError(f"no curator named {name!r}")
            tokens = account.get("tokens", [])
            kept = [t for t in tokens if token_id is not None and t["id"] != token_id]
            if token_id is not None and len(kept) == len(tokens):
                raise AccountError(f"{name} has no token {token_id!r}")
            account["tokens"] = kept
            return len(tokens) - len(kept)

        return self._change(change)

    def end_sessions(self, name: str) -> None:
        """Void every session cookie issued to the curator so far (signing out)."""

        def change(curators: dict) -> None:
            if name in curators:
                curators[name]["epoch"] = curators[name].get("epoch", 0) + 1

        self._change(change)

    # -- checking

    def verify_password(self, name: str, password: str) -> bool:
        account = self.account(name) if NAME.match(name or "") else None
        # An unknown name costs as much as a known one: its timing tells nothing.
        hashed = account["password"] if account else _dummy_hash()
        with _verifying:
            try:
                return _hasher.verify(hashed, password[:MAX_PASSWORD]) and account is not None
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def token_owner(self, token: str) -> str | None:
        """The curator holding ``token`` (an unrevoked token of a present account), else None."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(token) > 200:
            return None
        digest = _token_hash(token)
        for name, account in self.curators().items():
            for entry in account.get("tokens", []):
                if entry.get("id") == parts[1] and hmac.compare_digest(entry.get("sha256", ""), digest):
                    return name
        return None


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))
