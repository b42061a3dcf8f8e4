"""Sessions and CSRF tokens.

A session is a cookie holding the curator's name, a random session id and the account's session
epoch, signed with the app's key and stamped with its time (itsdangerous); it is HttpOnly,
SameSite=Strict, Secure when served over HTTPS, and expires after ``SESSION_SECONDS``. It is
refused when the signature or the age is wrong, when the account is gone, or when the epoch
moved on (signed out, password changed). The server keeps no session table: any worker checks
any cookie.

A form's CSRF token is an HMAC of the session id (or, on the sign-in form, of a random nonce
kept in its own short-lived cookie): a page of another site can neither read it nor forge it.

The key comes from ``TOWNSHIP_SECRET_KEY``, or from a file generated once beside the accounts
file (``secret.key``, owner-only), never from the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "township_session"
LOGIN_COOKIE = "township_login"  # the sign-in form's CSRF nonce
SESSION_SECONDS = 8 * 3600
LOGIN_FORM_SECONDS = 3600


def signing_key(directory: Path) -> bytes:
    """``TOWNSHIP_SECRET_KEY``, else ``directory/secret.key`` (created on first use, 0600)."""
    configured = os.environ.get("TOWNSHIP_SECRET_KEY")
    if configured:
        return configured.encode("utf-8")
    path = directory / "secret.key"
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        # O_EXCL: of two workers starting at once, one writes the key and both read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    for _ in range(50):  # the other worker may be writing it this instant
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key.encode("utf-8")
    raise RuntimeError(f"{path} is empty: delete it and restart")


@dataclass(frozen=True)
class Session:
    name: str
    session_id: str
    epoch: int


class Signer:
    def __init__(self, key: bytes, max_age: int = SESSION_SECONDS):
        self.key = key
        self.max_age = max_age
        self._sessions = URLSafeTimedSerializer(key, salt="township-session")

    def session_cookie(self, name: str, epoch: int) -> str:
        return self._sessions.dumps({"n": name, "s": secrets.token_urlsafe(16), "e": epoch})

    def read_session(self, value: str | None) -> Session | None:
        """The session a cookie holds, if its signature and age are good (the account is the
        caller's to check)."""
        if not value or len(value) > 1000:
            return None
        try:
            data = self._sessions.loads(value, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), t) for k, t in (("n", str), ("s", str), ("e", int))):
            return None
        return Session(data["n"], data["s"], data["e"])

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self.key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, session_id: str) -> str:
        return self._mac("csrf", session_id)

    def login_token(self, nonce: str) -> str:
        return self._mac("login", nonce)

    @staticmethod
    def matches(expected: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(expected, given)
