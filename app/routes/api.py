"""JSON API routes: thin translations between HTTP and the search service."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Annotated

import pydantic_core
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.dependencies import CollectionSort, InvalidParameter, compare_request, get_service, search_request
from app.schemas import CollectionOut, CompareOut, DocumentOut, FollowUpOut, SearchOut, SimilarOut, SuggestOut, TrendsOut, error_responses
from app.search import curation
from app.search.facets import HIT_FIELDS, export_columns
from app.search.service import (
    COMPUTED,
    DEFAULT_TREND_BUCKETS,
    FACETS,
    MAX_TREND_BUCKETS,
    SECTIONS,
    CompareRequest,
    Comparison,
    FollowUp,
    Hit,
    SearchRequest,
    SearchResult,
    SearchService,
)
from app.urls import document_url, passage_links, passage_url

# Every /api route may answer 422 (a parameter), 500 (unexpected) and 503 (no index, time limit),
# all as ErrorOut; routes add 404 where a thing can be missing.
router = APIRouter(prefix="/api", tags=["api"], responses=error_responses(422, 500, 503))


def answer(content: dict | list) -> Response:
    """A JSON answer built with exactly its response model's fields, in its order and types: the
    same bytes FastAPI would send (pydantic's serializer, NaN as null) without validating the
    answer against the model first (a pass over every hit, in the thread pool). The model still
    makes the OpenAPI schema; tests/test_contract.py checks each such answer against it, byte
    for byte."""
    return Response(pydantic_core.to_json(content, inf_nan_mode="null"), media_type="application/json")


# (name, made here: the link) of every field of a hit, in the order of the registry's HIT_FIELDS.
HIT_KEYS = tuple((f.name, f.added_by == "app") for f in HIT_FIELDS)


def hit_links(request: SearchRequest) -> Callable[[str, str], str]:
    """The links of the hits of a request (its query highlighted)."""
    return passage_links(request.q, request.expand)


def hit_json(hit: Hit, link: Callable[[str, str], str]) -> dict:
    """A hit as the API gives it: every field of the registry's HIT_FIELDS; ``link`` of
    :func:`hit_links`, made once for all the hits of a request."""
    url = link(hit.doc_id, hit.passage_id)
    return {name: url if linked else getattr(hit, name) for name, linked in HIT_KEYS}


def search_json(result: SearchResult) -> dict:
    request = result.request
    link = hit_links(request)
    return {
        "query": request.q,
        "total": result.total,
        "page": request.page,
        "size": request.size,
        "took_ms": result.took_ms,
        "facets": {f: [vars(v) for v in result.facets[f]] for f in FACETS},
        "hits": [hit_json(h, link) for h in result.hits],
        "sort": request.sort,
        "pages": result.pages,
        "expanded": result.expanded,
        "alternatives": [vars(a) for a in result.alternatives],
        "facets_omitted": result.facets_omitted,
    }


@router.get("/search", response_model=SearchOut)
def api_search(
    request: Annotated[SearchRequest, Depends(search_request)],
    service: Annotated[SearchService, Depends(get_service)],
):
    """Faceted full-text search over passages. Facets are disjunctive within a facet (a
    facet's counts ignore its own selection) and conjunctive across facets."""
    return answer(search_json(service.search(request)))


@router.get("/documents/{doc_id}", response_model=DocumentOut, responses=error_responses(404))
def api_document(doc_id: str, service: Annotated[SearchService, Depends(get_service)]):
    """A document's metadata and all its passages in order."""
    document = service.document(doc_id)
    if document is None:
        raise HTTPException(status_code=404, detail=f"没有这个文档 (no document with id {doc_id[:80]!r})")
    return {
        **{k: v for k, v in vars(document).items() if k != "passages"},
        "passages": [
            {
                "passage_id": p.passage_id,
                "heading": p.heading,
                "section": p.section,
                "themes": p.themes,
                "text": p.text,
                "is_heading": p.is_heading,
                "about_year": p.about_year,
            }
            for p in document.passages
        ],
    }


@router.get("/trends", response_model=TrendsOut)
def api_trends(
    request: Annotated[SearchRequest, Depends(search_request)],
    service: Annotated[SearchService, Depends(get_service)],
    buckets: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_TREND_BUCKETS,
            description=f"每个维度列出的值的个数 1–{MAX_TREND_BUCKETS}, 默认 {DEFAULT_TREND_BUCKETS}; 其余的合计为一个 其他 (other=true)",
        ),
    ] = DEFAULT_TREND_BUCKETS,
):
    """Hit counts of the current query and filters by township, county, year, report kind and
    theme (same parameters as /api/search; page, size and sort are ignored): per facet the
    `buckets` values with most hits (years in order), then one bucket `其他` with `other: true`
    counting the hits of the other values (`values`: how many)."""
    trends = service.trends(request, buckets)
    return answer({f"by_{name}": [vars(b) for b in found] for name, found in trends.by.items()})


EXPORT_ROW = export_columns("jsonl")  # CSV writes its columns of it


def _export_rows(hits: Iterator[Hit], request: SearchRequest, base_url: str) -> Iterator[dict]:
    link = hit_links(request)
    for hit in hits:
        found = hit_json(hit, link)
        row = {name: "" if found[name] is None else found[name] for name in EXPORT_ROW}
        row["url"] = base_url + row["url"]
        yield row


CHUNK_ROWS = 200  # rows per chunk sent: each chunk is one hop to the thread pool


def _chunked(lines: Iterator[str]) -> Iterator[bytes]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= CHUNK_ROWS:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=export_columns("csv"), extrasaction="ignore")
    buffer.write("\ufeff")  # BOM: Excel then reads UTF-8 Chinese
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow({**row, "themes": "、".join(row["themes"])})
        yield buffer.getvalue()


def _jsonl_lines(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


EXPORT_RESPONSES = {
    200: {
        "description": "every hit, one row (CSV) or one JSON object per line (JSON Lines) per passage",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


EXPORT_DESCRIPTION = (
    "Every hit of the query and filters (not one page), streamed, in the requested sort order. "
    f"CSV columns: {', '.join(export_columns('csv'))}; JSON Lines: {', '.join(export_columns('jsonl'))}."
)


# StreamingResponse as the response class: the 200 is CSV or JSON Lines only (never JSON).
@router.get("/export", response_class=StreamingResponse, responses=EXPORT_RESPONSES, description=EXPORT_DESCRIPTION)
def api_export(
    http: Request,
    request: Annotated[SearchRequest, Depends(search_request)],
    service: Annotated[SearchService, Depends(get_service)],
    format: Annotated[str, Query(description="csv (UTF-8 with BOM, opens in Excel) | jsonl")] = "csv",
):
    """Every hit of the query and filters (not one page), streamed, in the requested sort order."""
    if format not in ("csv", "jsonl"):
        raise InvalidParameter(f"format 必须是 csv 或 jsonl (unknown format {format[:20]!r})")
    rows = _export_rows(service.export(request), request, str(http.base_url).rstrip("/"))
    if format == "csv":
        body, media, suffix = _chunked(_csv_lines(rows)), "text/csv; charset=utf-8", "csv"
    else:
        body, media, suffix = _chunked(_jsonl_lines(rows)), "application/x-ndjson; charset=utf-8", "jsonl"
    headers = {"Content-Disposition": f'attachment; filename="township-search.{suffix}"'}
    return StreamingResponse(body, media_type=media, headers=headers)


@router.get("/passages/{passage_id}/similar", response_model=list[SimilarOut], responses=error_responses(404))
def api_similar(
    passage_id: str,
    service: Annotated[SearchService, Depends(get_service)],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
):
    """Passages of other reports most like this one (their most telling jieba words, BM25)."""
    found = service.similar(passage_id, limit)
    if found is None:
        raise HTTPException(status_code=404, detail=f"没有这个段落 (no passage with id {passage_id[:80]!r})")
    return answer([{**vars(s), "url": passage_url(s.doc_id, s.passage_id, "")} for s in found])


@router.get("/suggest", response_model=SuggestOut)
def api_suggest(
    service: Annotated[SearchService, Depends(get_service)],
    q: Annotated[str, Query(max_length=100, description="what the user has typed so far")] = "",
    limit: Annotated[int, Query(ge=1, le=10)] = 10,
):
    """Up to 10 completions from the index: township names first, then frequent words."""
    return answer({"q": q, "suggestions": service.suggest(q, limit)})


@router.get("/collection", response_model=CollectionOut)
def api_collection(service: Annotated[SearchService, Depends(get_service)], sort: CollectionSort = curation.DEFAULT_SORT):
    """The curation view: every report with its township, county, year and kind, how each was
    found, its warnings, and the data/metadata.toml lines that correct it; reports with
    warnings first. Then the files the build skipped, with the reason."""
    found = curation.review(service.documents(), service.skipped(), sort)
    return {
        "documents": [
            {
                "doc_id": r.document.doc_id,
                "title": r.document.title,
                "source": r.document.source,
                "url": document_url(r.document.doc_id),
                "township": r.document.township,
                "county": r.document.county,
                "year": r.document.year,
                "year_inferred": r.document.year_inferred,
                "kind": r.document.kind,
                "period": r.document.period,
                "evidence": r.document.evidence,
                "warnings": r.warnings,
                "corrected": r.document.corrections,
                "correction": r.correction,
            }
            for r in found.reviews
        ],
        "skipped": [vars(s) for s in found.skipped],
    }


def compare_json(comparison: Comparison) -> dict:
    request = comparison.request
    link = hit_links(request.search)
    return {
        "by": request.by,
        "query": request.search.q,
        "columns": [
            {
                "value": column.value,
                "total": column.total,
                "by_theme": [vars(b) for b in column.by_theme],
                "by_section": [vars(b) for b in column.by_section],
                "hits": [hit_json(h, link) for h in column.hits],
                "status": column.status,
            }
            for column in comparison.columns
        ],
        "themes": comparison.themes,
    }


def compare_matrix(comparison: Comparison) -> list[list]:
    """The comparison as a table: a header, the totals, a row per theme, a row per section. The
    cells of a column the time limit left out are empty (not known, rather than 0)."""
    columns = comparison.columns
    computed = [c.status == COMPUTED for c in columns]

    def row(counts) -> list:
        return [n if known else "" for n, known in zip(counts, computed)]

    rows: list[list] = [["维度", "值", *(c.value for c in columns)], ["合计", "全部", *row(c.total for c in columns)]]
    for theme in comparison.themes:
        rows.append(["主题", theme, *row({b.value: b.count for b in c.by_theme}.get(theme, 0) for c in columns)])
    for section in SECTIONS:
        counts = [{b.value: b.count for b in c.by_section}.get(section, 0) for c in columns]
        if any(counts):
            rows.append(["部分", section, *row(counts)])
    return rows


@router.get(
    "/compare",
    response_model=CompareOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},  # format=csv
)
def api_compare(
    request: Annotated[CompareRequest, Depends(compare_request)],
    service: Annotated[SearchService, Depends(get_service)],
    format: Annotated[str, Query(description="json | csv (the theme × value count matrix, UTF-8 with BOM)")] = "json",
):
    """The same search (q and filters) for 2–6 values of township, county or year, side by side:
    per value its total, its counts per theme and per section, and its best passages (`size`
    of them). A filter on the `by` facet itself is replaced by each column's value; a theme
    filter chooses the theme rows."""
    if format not in ("json", "csv"):
        raise InvalidParameter(f"format 必须是 json 或 csv (unknown format {format[:20]!r})")
    comparison = service.compare(request, hits=request.search.size if format == "json" else 0)
    if format == "json":
        return answer(compare_json(comparison))
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: Excel then reads UTF-8 Chinese
    csv.writer(buffer).writerows(compare_matrix(comparison))
    headers = {"Content-Disposition": f'attachment; filename="compare-{request.by}.csv"'}
    return Response(buffer.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)


def followup_json(found: FollowUp) -> dict:
    plain = hit_links(SearchRequest())
    return {
        "passage": hit_json(found.plan, plain),
        "status": found.status,
        "message": found.message,
        "planned_year": found.planned_year,
        "followed_year": found.followed_year,
        "threshold": found.threshold,
        "best_score": found.best_score,
        "matches": [{**hit_json(m.hit, plain), "score": m.score} for m in found.matches],
    }


@router.get("/passages/{passage_id}/followup", response_model=FollowUpOut, responses=error_responses(404))
def api_followup(passage_id: str, service: Annotated[SearchService, Depends(get_service)]):
    """落实情况: for a passage of a plan section (部分 = 计划), the passages of the same township's
    later reviews (部分 = 总结, about the planned year or later) that report on it, by similarity,
    with a score; below the threshold of data/followup.toml it answers 未找到对应总结."""
    found = service.followup(passage_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"没有这个段落 (no passage with id {passage_id[:80]!r})")
    return answer(followup_json(found))
