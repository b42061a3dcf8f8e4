"""Response headers every page and API answer carries."""

from __future__ import annotations

from starlette.middleware.base import BaseHTTPMiddleware

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


def security_headers(path: str) -> dict[str, str]:
    docs = path in ("/docs", "/redoc") or path.startswith("/docs/")
    return {
        "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


class SecurityHeaders(BaseHTTPMiddleware):
    """Adds :func:`security_headers`. The 500 page is made outside every middleware
    (Starlette's ServerErrorMiddleware), so app.errors adds them to it itself."""

    async def dispatch(self, request, call_next):
        response = await call_next(request)
        for name, value in security_headers(request.url.path).items():
            response.headers.setdefault(name, value)
        return response
