"""The ASGI application: ``app.main:app``.

Routers stay thin; the search service (``app.state.service``) does the work. The index is
chosen by ``TOWNSHIP_INDEX_DIR`` (default: the ``index/`` folder the README's run command
builds) and may be rebuilt while the app runs: the service notices a new generation.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app import errors
from app.auth.guard import Auth
from app.corrections.apply import Corrections
from app.corrections.rebuild import Rebuilder
from app.memory import limit_allocator_arenas
from app.network import nodelay_on_every_connection
from app.routes import api, corrections, health, login, pages
from app.search.engines import service_for
from app.search.service import ServiceUnavailable
from app.security import SecurityHeaders
from app.settings import Settings, load_settings
from app.templating import STATIC_DIR

DESCRIPTION = """
乡镇工作报告全文检索 — full-text search over Chinese township government work reports.

Query language: space-separated terms are ANDed; `"…"` is an exact string; `-term` excludes;
`OR` between terms; parentheses group. Traditional and simplified script, full-width and
half-width, upper and lower case all match each other.

Errors: every 4xx and 5xx answer of `/api/…` and `/healthz` is one JSON object,
`{"detail": "<what is wrong and how to fix it>"}` (schema `ErrorOut`), validation errors (422)
included; each operation lists the codes it can answer. 503 means no usable index (the detail
gives the command that builds it) or a search over the time limit (with `Retry-After: 5`).
"""


limit_allocator_arenas()  # before uvicorn's thread pool exists
nodelay_on_every_connection()  # before uvicorn accepts the first connection


def _corrections(settings: Settings, service) -> Corrections:
    """Corrections rebuild with the engine the app serves: the index folder's, or the database's
    (its DSN passed in the build's environment, never on a command line)."""
    state = settings.curators_file.parent
    if settings.engine != "postgres":
        return Corrections(settings.index_dir, state)
    rebuilder = Rebuilder(settings.index_dir, state / "rebuild.json", ["--engine", "postgres"], {"TOWNSHIP_PG_DSN": settings.pg_dsn})
    return Corrections(settings.index_dir, state, rebuilder, manifest=lambda: service.generation_info().manifest)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Load the query analysis (jieba) and open the index before the first request; a
        # missing index is not fatal: /healthz and every page then explain how to build it, and
        # the index a build publishes later opens without waiting for jieba.
        app.state.service.warm()
        try:
            app.state.service.stats()
        except ServiceUnavailable:
            pass
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="乡镇工作报告全文检索",
        description=DESCRIPTION,
        version="1.0",
        docs_url=None,  # served below from local files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = service_for(settings)
    app.state.auth = Auth(settings.curators_file)
    app.state.corrections = _corrections(settings, app.state.service)
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(health.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(login.router)
    app.include_router(corrections.router)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(
            """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>乡镇工作报告全文检索 API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script></body></html>"""
        )

    return app


app = create_app()
