"""JSON API routes: thin translations between HTTP and the search service."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException

from app.dependencies import get_service, search_request
from app.schemas import DocumentOut, ErrorOut, SearchOut
from app.search.service import FACETS, Hit, SearchRequest, SearchResult, SearchService

router = APIRouter(prefix="/api", tags=["api"])


def passage_url(hit_doc_id: str, passage_id: str, q: str, expand: bool = True) -> str:
    """The document page, scrolled to and highlighting one passage for one query."""
    params = {"q": q} if q else {}
    if not expand:
        params["expand"] = "false"
    params["passage"] = passage_id
    return f"/documents/{quote(hit_doc_id)}?{urlencode(params)}#{quote(passage_id)}"


def hit_json(hit: Hit, request: SearchRequest) -> dict:
    return {
        "doc_id": hit.doc_id,
        "passage_id": hit.passage_id,
        "township": hit.township,
        "county": hit.county,
        "year": hit.year,
        "section": hit.section,
        "heading": hit.heading,
        "themes": hit.themes,
        "text": hit.text,
        "snippet": hit.snippet,
        "url": passage_url(hit.doc_id, hit.passage_id, request.q, request.expand),
    }


def search_json(result: SearchResult) -> dict:
    request = result.request
    return {
        "query": request.q,
        "total": result.total,
        "page": request.page,
        "size": request.size,
        "took_ms": result.took_ms,
        "facets": {f: [vars(v) for v in result.facets[f]] for f in FACETS},
        "hits": [hit_json(h, request) for h in result.hits],
        "sort": request.sort,
        "pages": result.pages,
        "expanded": result.expanded,
        "alternatives": [vars(a) for a in result.alternatives],
    }


@router.get("/search", response_model=SearchOut, responses={422: {"model": ErrorOut}, 503: {"model": ErrorOut}})
def api_search(
    request: Annotated[SearchRequest, Depends(search_request)],
    service: Annotated[SearchService, Depends(get_service)],
):
    """Faceted full-text search over passages. Facets are disjunctive within a facet (a
    facet's counts ignore its own selection) and conjunctive across facets."""
    return search_json(service.search(request))


@router.get("/documents/{doc_id}", response_model=DocumentOut, responses={404: {"model": ErrorOut}})
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
            }
            for p in document.passages
        ],
    }
