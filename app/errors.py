"""Every error is a clear message: JSON under /api and /healthz, a page elsewhere. Never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.dependencies import InvalidParameter
from app.search.service import SearchError, SearchTimeout, ServiceUnavailable
from app.security import security_headers
from app.templating import templates

log = logging.getLogger("township.errors")


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path in ("/healthz", "/openapi.json")


def error_response(request: Request, status: int, message: str, title: str | None = None):
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    titles = {
        400: "请求有误",
        401: "需要登录",
        403: "没有权限",
        404: "页面不存在",
        405: "不支持的请求",
        413: "请求过大",
        415: "请求格式有误",
        422: "参数有误",
        503: "索引不可用",
    }
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": title or titles.get(status, "出错了"), "message": message},
        status_code=status,
    )


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        location = ".".join(str(x) for x in item.get("loc", ()) if x not in ("query", "path"))
        parts.append(f"{location}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(InvalidParameter)
    async def invalid_parameter(request: Request, error: InvalidParameter):
        return error_response(request, 422, str(error))

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, error: RequestValidationError):
        return error_response(request, 422, _validation_message(error))

    @app.exception_handler(SearchTimeout)
    async def search_timeout(request: Request, error: SearchTimeout):
        # The query was fine but the server could not finish it in time (load, or a very
        # common word over a large collection): retry later, or narrow the search.
        response = error_response(request, 503, str(error), title="检索超时")
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(SearchError)
    async def search_error(request: Request, error: SearchError):
        return error_response(request, 422, str(error))

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, error: ServiceUnavailable):
        return error_response(request, 503, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        message = error.detail if isinstance(error.detail, str) else "error"
        if error.status_code == 404 and message == "Not Found":
            message = "没有这个页面 (not found)"
        response = error_response(request, error.status_code, message)
        response.headers.update(error.headers or {})  # WWW-Authenticate of a 401, Allow of a 405
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("unexpected error on %s", request.url.path)
        response = error_response(request, 500, "服务器内部错误，已记录 (internal error; it has been logged)")
        response.headers.update(security_headers(request.url.path))  # no middleware runs after this handler
        return response
