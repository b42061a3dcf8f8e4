"""Signing in and out: ``/login`` and ``/logout`` (pages; no API: scripts use tokens).

The sign-in form carries a CSRF token tied to a nonce cookie of its own; wrong passwords are
counted (:mod:`app.auth.throttle`) and, past the limit, answered 429 with ``Retry-After``.
After signing in, ``next`` leads back only to a path of this site (never to another host).
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.auth.guard import CSRF_FIELD, Curator, auth_of, read_form, require_curator, same_site, signed_in
from app.auth.sessions import LOGIN_COOKIE, LOGIN_FORM_SECONDS, SESSION_COOKIE, Signer
from app.templating import templates

router = APIRouter(include_in_schema=False)
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def local_path(target: str | None) -> str:
    """``target`` when it is a path of this site (``/collection?sort=year``), else ``/``:
    no scheme, no host, no ``//host`` or ``/\\host`` a browser would read as another site."""
    if not target or len(target) > 500 or _UNSAFE.search(target) or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _cookie(response, request: Request, name: str, value: str, max_age: int, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="strict", secure=request.url.scheme == "https")


def _login_page(request: Request, status: int = 200, error: str = "", name: str = "", next_path: str = "/", retry_after: int = 0):
    auth = auth_of(request)
    nonce = secrets.token_urlsafe(16)
    context = {
        "error": error,
        "name": name,
        "next": next_path,
        "csrf_field": CSRF_FIELD,
        "csrf": auth.signer.login_token(nonce),
        "retry_minutes": -(-retry_after // 60),
        "curator": signed_in(request),
    }
    response = templates.TemplateResponse(request, "curators/login.html", context, status_code=status)
    _cookie(response, request, LOGIN_COOKIE, nonce, LOGIN_FORM_SECONDS, path="/login")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _too_many(request: Request, wait: int, name: str, next_path: str):
    message = f"密码错误次数过多，请 {-(-wait // 60)} 分钟后再试 (too many wrong passwords; try again in {wait} s)"
    return _login_page(request, 429, message, name, next_path, retry_after=wait)


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    wait = auth_of(request).throttle.retry_after(_address(request))
    if wait:
        return _too_many(request, wait, "", local_path(next))
    return _login_page(request, next_path=local_path(next))


@router.post("/login")
async def login(request: Request):
    auth = auth_of(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    expired = "登录表单已过期或来自其他网站，请重新登录 (the form expired or came from another site)"
    if not same_site(request) or not nonce:  # refused before anything of the request is read
        return _login_page(request, 403, expired)
    form = await read_form(request)
    name = form.get("name", "").strip()[:64]
    next_path = local_path(form.get("next"))
    if not Signer.matches(auth.signer.login_token(nonce), form.get(CSRF_FIELD)):
        return _login_page(request, 403, expired, name, next_path)
    address = _address(request)
    wait = auth.throttle.retry_after(address, name)
    if wait:
        return _too_many(request, wait, name, next_path)
    if not name or not await run_in_threadpool(auth.accounts.verify_password, name, form.get("password", "")):
        auth.throttle.failed(address, name)
        wait = auth.throttle.retry_after(address, name)
        if wait:
            return _too_many(request, wait, name, next_path)
        return _login_page(request, 401, "用户名或密码错误 (wrong name or password)", name, next_path)
    auth.throttle.succeeded(address, name)
    account = auth.accounts.account(name) or {}
    response = RedirectResponse(next_path, status_code=303)
    _cookie(response, request, SESSION_COOKIE, auth.signer.session_cookie(name, account.get("epoch", 0)), auth.signer.max_age)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.get("/logout")
def logout_form(request: Request):
    return templates.TemplateResponse(request, "curators/logout.html", {"curator": signed_in(request), "csrf_field": CSRF_FIELD})


@router.post("/logout")
async def logout(request: Request, curator: Annotated[Curator, Depends(require_curator)]):
    if curator.via == "session":
        await run_in_threadpool(auth_of(request).accounts.end_sessions, curator.name)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
