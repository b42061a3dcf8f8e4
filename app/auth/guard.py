"""What a route asks about who is there: the curator signed in (session cookie), or the
curator allowed to write (an API token, or a session whose request carries its CSRF token and
does not come from another site). Nothing here writes; every write route depends on
:func:`require_curator`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from fastapi import HTTPException, Request
from fastapi.security import HTTPBearer

from app.auth.accounts import AccountError, Accounts
from app.auth.sessions import SESSION_COOKIE, Signer, signing_key
from app.auth.throttle import LoginThrottle

log = logging.getLogger("township.auth")
MAX_FORM_BYTES = 16 * 1024  # a correction or sign-in form; anything larger is refused (413)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# Declares Authorization: Bearer in the OpenAPI schema; the token itself is checked below.
_UNSET = object()
bearer_scheme = HTTPBearer(auto_error=False, description="an API token from: python -m app.curators token NAME")


@dataclass(frozen=True)
class Curator:
    name: str
    via: str  # "session" or "token"
    csrf: str = ""  # the CSRF token of a session's forms


class Auth:
    """The accounts, the signing key (read or made on first use) and the sign-in throttle."""

    def __init__(self, curators_file: Path, throttle: LoginThrottle | None = None):
        self.accounts = Accounts(curators_file)
        self.state_dir = curators_file.parent
        self.throttle = throttle or LoginThrottle()
        self._signer: Signer | None = None

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = Signer(signing_key(self.state_dir))
        return self._signer


class Denied(HTTPException):
    """401 (no or bad credentials) or 403 (credentials, but a request that may not write)."""

    def __init__(self, status: int, message: str):
        headers = {"WWW-Authenticate": 'Bearer realm="township"'} if status == 401 else None
        super().__init__(status_code=status, detail=message, headers=headers)


def auth_of(request: Request) -> Auth:
    return request.app.state.auth


def signed_in(request: Request) -> Curator | None:
    """The curator whose valid session cookie this request carries (cached on the request)."""
    cached = getattr(request.state, "curator", _UNSET)
    if cached is not _UNSET:
        return cached
    curator = None
    cookie = request.cookies.get(SESSION_COOKIE)
    app = request.scope.get("app")  # an error page may be made for a request no app saw
    auth = getattr(app.state, "auth", None) if app is not None else None
    if cookie and auth is not None:
        session = auth.signer.read_session(cookie)
        try:
            account = auth.accounts.account(session.name) if session else None
        except AccountError:
            log.exception("cannot read the curators file")
            account = None
        if account is not None and account.get("epoch", 0) == session.epoch:
            curator = Curator(session.name, "session", auth.signer.csrf_token(session.session_id))
    request.state.curator = curator
    return curator


def same_site(request: Request) -> bool:
    """False when the browser says the request comes from another site (Origin, Sec-Fetch-Site)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "") and origin != "null"


async def read_body(request: Request, limit: int = MAX_FORM_BYTES) -> bytes:
    """The request body, refused (413) beyond ``limit`` bytes: nothing a client sends grows memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"请求过大 (request body over {limit} bytes)")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"请求过大 (request body over {limit} bytes)")
    return bytes(body)


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form (the last value of a repeated field), read once."""
    if getattr(request.state, "form", None) is None:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise HTTPException(415, "须提交表单 (send application/x-www-form-urlencoded)")
        text = (await read_body(request)).decode("utf-8", "replace")
        try:
            request.state.form = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=20))
        except ValueError:
            raise HTTPException(422, "表单字段过多 (too many form fields)") from None
    return request.state.form


def token_or_session(request: Request) -> Curator:
    """The curator of an API token (``Authorization: Bearer``, which alone decides when
    present: a forged, revoked or unknown token is refused even with a session cookie) or of
    the session; :class:`Denied` (401) otherwise. Enough to read; writing asks more."""
    auth = auth_of(request)
    header = request.headers.get("authorization")
    if header is None:
        curator = signed_in(request)
        if curator is None:
            raise Denied(401, "需要更正人员登录 (sign in at /login, or send Authorization: Bearer <token>)")
        return curator
    scheme, _, token = header.partition(" ")
    try:
        owner = auth.accounts.token_owner(token.strip()) if scheme.lower() == "bearer" else None
    except AccountError:
        log.exception("cannot read the curators file")
        owner = None
    if owner is None:
        raise Denied(
            401, "API 令牌无效或已撤销 (invalid or revoked token; send Authorization: Bearer <token from python -m app.curators token NAME>)"
        )
    return Curator(owner, "token")


async def require_curator(request: Request) -> Curator:
    """The curator allowed to write with this request, or :class:`Denied`.

    An API token (:func:`token_or_session`), or a session whose request comes from this site
    and carries the session's CSRF token (header ``X-CSRF-Token``, or the form field
    ``csrf_token``)."""
    curator = token_or_session(request)
    if curator.via == "token":
        return curator
    if not same_site(request):
        raise Denied(403, "拒绝来自其他网站的请求 (cross-site request refused)")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        given = (await read_form(request)).get(CSRF_FIELD)
    if not Signer.matches(curator.csrf, given):
        raise Denied(403, "缺少或错误的 CSRF 令牌, 请刷新页面后重试 (missing or wrong CSRF token: reload the page)")
    return curator
