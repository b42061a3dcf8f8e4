"""HTML pages: the search page (``/``), the document page (``/documents/{doc_id}``), the
comparison (``/compare``), a township's plans and what became of them (``/townships/{name}``)
and the curation view (``/collection``).

Thin: each route reads its parameters, asks the search service, and hands the answers to the
view models (:mod:`app.views`) and the URLs (:mod:`app.urls`) the template shows. Every piece
of state lives in the URL, so a plain GET form and links are enough and the pages work without
JavaScript.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse

from app import urls
from app.dependencies import VALUE_DESCRIPTION, CollectionSort, InvalidParameter, get_service, get_settings, make_compare_request, search_request
from app.search import curation
from app.search.facets import BY_NAME
from app.search.service import COMPARE_BY, COMPARE_VALUES, CompareRequest, FacetValue, SearchRequest, SearchService, SearchTimeout
from app.settings import MAX_PAGE, Settings
from app.templating import templates
from app.views.charts import trend_charts
from app.views.compare import compare_actions, compare_chips, comparison_view, dimension_choices
from app.views.document import blocks, document_title, followup_urls, followup_view, scripts, table_of_contents
from app.views.facets import chips, facet_groups, listed
from app.views.pagination import pagination
from app.views.search import collection, examples, linked_hits, size_choices, sort_choices

router = APIRouter(include_in_schema=False)

Service = Annotated[SearchService, Depends(get_service)]
State = Annotated[SearchRequest, Depends(search_request)]
Config = Annotated[Settings, Depends(get_settings)]


@router.get("/")
def search_page(request: Request, state: State, service: Service):
    documents = service.documents()
    result = service.search(state)
    browsing = not state.q and not state.has_filters
    context = {
        "state": state,
        "result": result,
        "browsing": browsing,
        "facets": facet_groups(state, result, service.search(urls.DEFAULT).facets),
        "chips": chips(state),
        "clear_url": urls.search_url(urls.without_filters(state)),
        "sorts": sort_choices(state),
        "sizes": size_choices(state),
        "pager": pagination(state.page, result.pages, lambda n: urls.search_url(state, page=n)),
        "first_page_url": urls.search_url(state, page=1),
        "hits": linked_hits(result.hits, state),
        "scripts": scripts(documents),
        "alternatives": [(a, urls.search_url(state, q=a.q)) for a in result.alternatives],
        "expand_off_url": urls.search_url(state, expand=False),
        "expand_on_url": urls.search_url(state, expand=True),
        "exports": [("CSV", urls.export_url(state, "csv")), ("JSON Lines", urls.export_url(state, "jsonl"))],
        # The search box keeps the filters; the facet form keeps everything but them.
        "form_params": urls.state_params(replace(state, q="", page=1)),
        "facet_form_params": urls.state_params(urls.without_filters(state)),
        "compare_actions": compare_actions(state),
        "compare_facets": COMPARE_BY,
    }
    if browsing:
        context["collection"] = collection(documents)
        context["examples"] = examples()
    elif result.total:
        context["charts"] = trend_charts(state, service.trends(state).by)
    return templates.TemplateResponse(request, "search.html", context)


@router.get("/documents/{doc_id}")
def document_page(request: Request, doc_id: str, state: State, service: Service, passage: str = ""):
    document = service.document(doc_id, state.q, state.expand)
    if document is None:
        raise HTTPException(status_code=404, detail=f"没有这份报告（编号 {doc_id[:80]}）。它可能已从索引中移除，或链接不完整。")
    target = next((p for p in document.passages if p.passage_id == passage), None)
    similar = []
    if target is not None and not target.is_heading:
        similar = [(s, urls.passage_url(s.doc_id, s.passage_id, "")) for s in service.similar(target.passage_id) or []]
    plan_items = followup_urls(document)
    followup = None
    if target is not None and target.passage_id in plan_items:
        followup = followup_view(service.followup(target.passage_id))
    context = {
        "state": state,
        "document": document,
        "title": document_title(document),
        "blocks": blocks(document.passages),
        "toc": table_of_contents(document.passages, target.passage_id if target else ""),
        "target": target,
        "missing_passage": passage if passage and target is None else "",
        "matches": sum(p.matches for p in document.passages),
        "similar": similar,
        "scripts": scripts(service.documents()) if similar else {},
        "back_url": urls.search_url(state),
        "form_params": [("expand", "false")] if not state.expand else [],
        "township_url": urls.search_url(urls.DEFAULT, township=(document.township,)) if document.township else "",
        "followup_urls": plan_items,
        "followup": followup,
    }
    return templates.TemplateResponse(request, "document.html", context)


@router.get("/compare")
def compare_page(
    request: Request,
    state: State,
    service: Service,
    settings: Config,
    by: str = "township",
    value: Annotated[list[str], Query(description=VALUE_DESCRIPTION)] = [],  # noqa: B006 (FastAPI gives each request its own copy)
):
    if by not in COMPARE_BY:
        raise InvalidParameter(f"by 必须是 {' / '.join(COMPARE_BY)} 之一 (unknown by {by[:30]!r})")
    if not value and state.selected(by):
        # From the search page's facet form: the ticked values of `by` become the columns.
        return RedirectResponse(urls.compare_url(CompareRequest(state, by, state.selected(by))), status_code=303)
    chosen = tuple(value)
    # The values of every comparable facet for the search within the compared values (a
    # facet's counts ignore its own selection): what to tick here, and what another
    # dimension compares by default.
    try:
        facets = service.search(replace(state, page=1, size=1, **{by: chosen})).facets
        counted = True
    except SearchTimeout:
        # A busy server: the comparison still answers (within its own time limit); the form
        # then offers the compared values alone, and other dimensions their own choice.
        facets, counted = {by: [FacetValue(v, 0, True) for v in chosen]}, False
    low, high = COMPARE_VALUES
    context = {
        "state": replace(state, page=1, **{by: ()}),
        "by": by,
        "by_label": BY_NAME[by].label,
        "bys": dimension_choices(state, by, chosen, facets),
        "low": low,
        "high": high,
        "choices": listed(by, facets[by], chosen),
        "choices_counted": counted,
        "form_params": urls.state_params(replace(state, q="", page=1, **{by: ()}), paging=False),
        "search_back_url": urls.search_url(replace(state, **{by: chosen})),
        "chips": compare_chips(state, by, chosen),
        "clear_url": urls.compare_url(CompareRequest(urls.without_filters(state), by, chosen)),
        "error": "",
        "comparison": None,
    }
    try:
        compare = make_compare_request(state, by, value, settings)
    except InvalidParameter as error:
        # Too few or too many values: the reason, and the values to choose from.
        context["error"] = str(error)
        return templates.TemplateResponse(request, "compare.html", context, status_code=422)
    comparison = service.compare(compare, hits=3, theme_hits=2)
    context.update(comparison_view(comparison))
    context.update(comparison=comparison, export_url=urls.compare_api_url(compare, "csv"), json_url=urls.compare_api_url(compare))
    return templates.TemplateResponse(request, "compare.html", context)


@router.get("/townships/{name}")
def township_page(request: Request, name: str, service: Service):
    township = service.township(name)
    if township is None:
        raise HTTPException(status_code=404, detail=f"没有“{name[:40]}”的报告。乡镇名称须与报告中的写法一致（繁体、简体均可）。")
    reports = [
        (r.document, document_title(r.document), urls.document_url(r.document.doc_id), [followup_view(f) for f in r.plans]) for r in township.reports
    ]
    plans = [f for r in township.reports for f in r.plans]
    years = sorted({r.document.year for r in township.reports if r.document.year})
    compare_years = ""
    if COMPARE_VALUES[0] <= len(years) <= COMPARE_VALUES[1]:
        compare_years = urls.compare_url(CompareRequest(SearchRequest(township=(township.township,)), "year", tuple(str(y) for y in years)))
    context = {
        "township": township,
        "reports": reports,
        "counts": {status: sum(f.status == status for f in plans) for status in ("found", "not_found", "no_later_report", "unchecked")},
        "plans": len(plans),
        "search_url": urls.search_url(urls.DEFAULT, township=(township.township,)),
        "compare_years_url": compare_years,
    }
    return templates.TemplateResponse(request, "township.html", context)


CURATION_PAGE_SIZE = 50  # reports per page of /collection (a collection may hold 10,000)


@router.get("/collection")
def curation_page(
    request: Request,
    service: Service,
    sort: CollectionSort = curation.DEFAULT_SORT,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    found = curation.review(service.documents(), service.skipped(), sort)
    last = max(1, -(-len(found.reviews) // CURATION_PAGE_SIZE))
    first = (page - 1) * CURATION_PAGE_SIZE
    shown = found.reviews[first : first + CURATION_PAGE_SIZE]
    context = {
        "curation": found,
        "reviews": [(r, document_title(r.document), urls.document_url(r.document.doc_id)) for r in shown],
        "sorts": [(label, urls.curation_url(key), key == sort) for key, label in curation.SORTS.items()],
        "first_number": first + 1,
        "page": page,
        "page_count": last,
        "pager": pagination(page, last, lambda n: urls.curation_url(sort, n)),
    }
    return templates.TemplateResponse(request, "curation.html", context)
