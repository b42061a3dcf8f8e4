"""Corrections by signed-in curators: ``POST /api/corrections`` (a session with its CSRF token,
or ``Authorization: Bearer TOKEN``), the audit trail (``GET /api/corrections``, the page
``/corrections``), the form the collection and report pages post (``POST /corrections``), and
the official names the forms suggest (``GET /api/gazetteer``, public).

Every route that writes depends on :func:`app.auth.guard.require_curator` (401 / 403 otherwise)
before it reads anything of the request.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from app.auth.guard import Curator, bearer_scheme, read_body, read_form, require_curator, signed_in, token_or_session
from app.corrections import places
from app.corrections.apply import Applied, Corrections, CorrectionsUnavailable, report_of
from app.corrections.model import FIELDS, LABELS, InvalidCorrection, parse
from app.curation_schemas import AuditOut, CorrectionIn, CorrectionOut, GazetteerOut
from app.dependencies import get_service
from app.schemas import error_responses
from app.search.service import SearchService, ServiceUnavailable
from app.templating import templates

router = APIRouter()
Service = Annotated[SearchService, Depends(get_service)]
Writer = Annotated[Curator, Depends(require_curator)]
# Only documents the Bearer scheme in the schema; require_curator checks the token.
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
AUDIT_PAGE_SIZE = 50
MAX_AUDIT_PAGE = 200


def corrections_of(request: Request) -> Corrections:
    return request.app.state.corrections


def _unavailable(error: Exception) -> HTTPException:
    return HTTPException(503, str(error))


async def _apply(request: Request, service: SearchService, curator: Curator, payload: object, confirm_inferred: bool) -> Applied:
    """Check ``payload`` and write it (422 a field, 404 an unknown report, 503 no usable index)."""
    try:
        doc_id, values = parse(payload)
    except InvalidCorrection as error:
        raise HTTPException(422, str(error)) from None
    if "county" in values:  # 芷江县 is written as 芷江侗族自治县, the name the facet holds
        values["county"] = places.official_county(values["county"])
    try:
        document = await run_in_threadpool(service.document, doc_id)
    except ServiceUnavailable as error:
        raise _unavailable(error) from None
    if document is None:
        raise HTTPException(404, f"没有这份报告 (no report with doc_id {doc_id[:80]!r})")
    report = report_of(document)
    if not confirm_inferred:  # a form sends the year unchanged: that confirms nothing
        report = replace(report, year_inferred=False)
    try:
        return await run_in_threadpool(corrections_of(request).apply, curator.name, curator.via, report, values)
    except CorrectionsUnavailable as error:
        raise _unavailable(error) from None


def _applied_out(applied: Applied) -> dict:
    return {
        "doc_id": applied.doc_id,
        "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in applied.changes],
        "build": applied.build,
        "metadata": applied.metadata,
        "table": applied.table,
        "at": applied.at,
    }


@router.post(
    "/api/corrections",
    tags=["curators"],
    response_model=CorrectionOut,
    status_code=202,
    responses={
        200: {"model": CorrectionOut, "description": "nothing changed (the report already says so)"},
        **error_responses(401, 403, 404, 413, 415, 422, 500, 503),
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": CorrectionIn.model_json_schema()}}}},
)
async def api_correct(request: Request, service: Service, curator: Writer, _: Bearer = None):
    """Correct the township, county, year or kind of one report (signed-in curators: a session
    with its `X-CSRF-Token` header, or `Authorization: Bearer TOKEN`). The correction is
    written to the metadata file the index in use was built with, kept in the audit trail, and
    published by an incremental build within seconds (202). Answers 200 when nothing changes."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "须为 JSON (send Content-Type: application/json)")
    try:
        payload = json.loads(await read_body(request))
    except ValueError:
        raise HTTPException(422, "请求体不是有效的 JSON (the body is not valid JSON)") from None
    applied = await _apply(request, service, curator, payload, confirm_inferred=True)
    return JSONResponse(_applied_out(applied), status_code=202 if applied.changes else 200)


@router.get("/api/corrections", tags=["curators"], response_model=AuditOut, responses=error_responses(401, 422, 500, 503))
def api_audit(
    request: Request,
    curator: Annotated[Curator, Depends(token_or_session)],
    _: Bearer = None,
    page: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 1,
    size: Annotated[int, Query(ge=1, le=AUDIT_PAGE_SIZE)] = AUDIT_PAGE_SIZE,
):
    """The audit trail of corrections, newest first (curators only): who, when, which report,
    which field, before → after; and the state of the last build publishing them."""
    corrections = corrections_of(request)
    entries, total = corrections.trail.page(page, size)
    return {"total": total, "page": page, "size": size, "entries": entries, "build": corrections.rebuilder.status()}


@router.get("/api/gazetteer", tags=["curators"], response_model=GazetteerOut, responses=error_responses(422, 500, 503))
def api_gazetteer(
    q: Annotated[str, Query(max_length=20, description="the start of an official name, e.g. 汤垟")] = "",
    level: Annotated[Literal["township", "county"], Query(description="township (乡/镇/街道/苏木) or county (县/区/市/旗)")] = "township",
    limit: Annotated[int, Query(ge=1, le=places.MAX_SUGGESTIONS)] = 10,
):
    """Official names (Ministry of Civil Affairs, 2025-12-31) starting with `q`, with the county,
    city and province of each place: what the correction forms suggest. Public."""
    found = places.suggest(q, level, limit)
    return {"q": q, "level": level, "places": [vars(p) for p in found]}


# ------------------------------------------------------------------------------ pages


@router.post("/corrections", include_in_schema=False)
async def form_correct(request: Request, service: Service, curator: Writer):
    """The correction form of /collection and of a report's page: every field is sent with the
    report's current value, so only what the curator changed is written."""
    form = await read_form(request)
    payload = {"doc_id": form.get("doc_id", "")}
    payload.update({f: form[f] for f in FIELDS if f in form})
    await _apply(request, service, curator, payload, confirm_inferred=False)
    return RedirectResponse("/corrections", status_code=303)


@router.get("/corrections", include_in_schema=False)
def audit_page(request: Request, service: Service, page: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 1):
    curator = signed_in(request)
    if curator is None:
        return RedirectResponse("/login?next=/corrections", status_code=303)
    corrections = corrections_of(request)
    entries, total = corrections.trail.page(page, AUDIT_PAGE_SIZE)
    try:
        now = {d.doc_id: d for d in service.documents()}
    except ServiceUnavailable:
        now = {}
    context = {
        "curator": curator,
        "entries": [(e, LABELS.get(e.get("field"), e.get("field")), now.get(e.get("doc_id"))) for e in entries],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // AUDIT_PAGE_SIZE)),
        "build": corrections.rebuilder.status(),
    }
    return templates.TemplateResponse(request, "curators/corrections.html", context)
