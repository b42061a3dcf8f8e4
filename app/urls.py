"""Every URL the app builds, made in one place (the habit of Datasette's ``Urls``): the search
page for a state (a facet value ticked or unticked, a page, a sort), a document at a passage,
plan follow-through, comparisons, townships, the curation view, exports and API links.

The page routes, the JSON API and the templates (as ``urls``) all ask this module, and neither
router imports the other: a page's links and the API's ``url`` fields cannot disagree. All
state lives in the URL; defaults are left out so URLs stay short, and the routes' parameters
read every URL made here back into the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import quote, urlencode

from app.search import curation
from app.search.facets import BY_NAME
from app.search.service import FACETS, CompareRequest, SearchRequest
from indexer.normalize import normalize

DEFAULT = SearchRequest()

# ------------------------------------------------------------------------- search state


def state_params(state: SearchRequest, paging: bool = True) -> list[tuple[str, str]]:
    """The query-string pairs of a state; defaults are left out so URLs stay short."""
    params = [("q", state.q)] if state.q else []
    for facet in FACETS:
        params += [(facet, value) for value in state.selected(facet)]
    if state.sort != DEFAULT.sort:
        params.append(("sort", state.sort))
    if not state.expand:
        params.append(("expand", "false"))
    if state.facet_size != DEFAULT.facet_size:
        params.append(("facet_size", str(state.facet_size)))
    if paging and state.size != DEFAULT.size:
        params.append(("size", str(state.size)))
    if paging and state.page != 1:
        params.append(("page", str(state.page)))
    return params


def toggle(state: SearchRequest, facet: str, value: str) -> SearchRequest:
    """The state with ``value`` of ``facet`` ticked, or unticked when it is (in either script, or
    in another form of the same name: 芷江县 ticked, 芷江侗族自治县 unticks it)."""
    selected = state.selected(facet)
    indexed = {normalize(v) for v in BY_NAME[facet].as_indexed(value)}
    same = [v for v in selected if normalize(v) == normalize(value) or indexed & {normalize(i) for i in BY_NAME[facet].as_indexed(v)}]
    values = tuple(v for v in selected if v not in same) if same else (*selected, value)
    return replace(state, page=1, **{facet: values})


def without_filters(state: SearchRequest) -> SearchRequest:
    return replace(state, page=1, **dict.fromkeys(FACETS, ()))


def search_url(state: SearchRequest, **changes) -> str:
    """The search page for ``state`` with ``changes``; any change but the page goes back to page 1."""
    if changes:
        state = replace(state, **{"page": 1, **changes})
    params = state_params(state)
    return "/?" + urlencode(params) if params else "/"


def toggle_url(state: SearchRequest, facet: str, value: str) -> str:
    """The search with ``value`` of ``facet`` ticked or unticked: a facet box, a chip, a chart bar."""
    return search_url(toggle(state, facet, value))


def export_url(state: SearchRequest, fmt: str) -> str:
    """Every hit of the search as a file (``/api/export``): csv or jsonl."""
    return "/api/export?" + urlencode([("format", fmt), *state_params(state, paging=False)])


# ---------------------------------------------------------------------------- documents


def document_url(doc_id: str) -> str:
    return f"/documents/{quote(doc_id)}"


def passage_links(q: str, expand: bool = True) -> Callable[[str, str], str]:
    """:func:`passage_url` of one query for many passages (a page of hits): the query's part of
    the URL, the costly part to encode, is made once."""
    params = {"q": q} if q else {}
    if not expand:
        params["expand"] = "false"
    query = urlencode(params) + "&" if params else ""
    return lambda doc_id, passage_id: f"{document_url(doc_id)}?{query}{urlencode({'passage': passage_id})}#{quote(passage_id)}"


def passage_url(doc_id: str, passage_id: str, q: str, expand: bool = True) -> str:
    """The document page, scrolled to and highlighting one passage for one query."""
    return passage_links(q, expand)(doc_id, passage_id)


def followup_url(doc_id: str, passage_id: str) -> str:
    """The document page at a plan passage, showing what became of it."""
    return f"{document_url(doc_id)}?{urlencode({'passage': passage_id})}#followup"


def township_url(name: str) -> str:
    """A township's reports and what became of its plans."""
    return "/townships/" + quote(name, safe="")


# --------------------------------------------------------------------------- comparison


def compare_params(compare: CompareRequest) -> list[tuple[str, str]]:
    """The query string of a comparison: the search without its `by` filter, by, the values."""
    search = replace(compare.search, page=1, **{compare.by: ()})
    return [*state_params(search, paging=False), ("by", compare.by), *(("value", v) for v in compare.values)]


def compare_url(compare: CompareRequest) -> str:
    return "/compare?" + urlencode(compare_params(compare))


def compare_api_url(compare: CompareRequest, fmt: str = "") -> str:
    """The comparison from ``/api/compare``: JSON, or with ``fmt="csv"`` the count matrix as a file."""
    return "/api/compare?" + urlencode([*compare_params(compare), *([("format", fmt)] if fmt else [])])


# ----------------------------------------------------------------------------- curation


def curation_url(sort: str, page: int = 1) -> str:
    params = [("sort", sort)] if sort != curation.DEFAULT_SORT else []
    params += [("page", str(page))] if page > 1 else []
    return "/collection" + ("?" + urlencode(params) if params else "")
