"""Response headers every page and API answer carries."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline scripts, nothing from outside this origin (the app runs on intranets).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# /docs is FastAPI's Swagger UI, served from this app's own static copy (see app.main).
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _is_docs(path: str) -> bool:
    return path in ("/docs", "/redoc") or path.startswith("/docs/")


def security_headers(path: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY if _is_docs(path) else CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


def _encoded(path: str) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in security_headers(path).items()]


# The two sets of headers there are, encoded once (see SecurityHeaders).
_PAGE_HEADERS, _DOCS_HEADERS = _encoded("/"), _encoded("/docs")


class SecurityHeaders:
    """Adds :func:`security_headers` to every HTTP answer that does not set them itself. A plain
    ASGI middleware: it only rewrites the answer's first message (Starlette's
    ``BaseHTTPMiddleware`` runs each request through a task and a memory stream of its own, the
    largest per-request cost of the HTTP layer). The 500 page is made outside every middleware
    (Starlette's ServerErrorMiddleware), so app.errors adds them to it itself."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _DOCS_HEADERS if _is_docs(scope["path"]) else _PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                message = {**message, "headers": headers + [(name, value) for name, value in extra if name not in present]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
