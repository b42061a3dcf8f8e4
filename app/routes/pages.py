"""HTML pages: the search page (``/``), the document page (``/documents/{doc_id}``) and the
curation view (``/collection``).

Thin: the routes ask the search service and turn its answers into view objects for the
templates — facet options carrying their own count and toggle URL (Datasette style), chips,
pagination, chart geometry. Every piece of state lives in the URL, so a plain GET form and
links are enough and the pages work without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request

from app.dependencies import get_service, search_request
from app.routes.api import CollectionSort, document_url, passage_url
from app.search import curation
from app.search.facets import BY_NAME, UNKNOWN, value_order
from app.search.service import (
    FACETS,
    SORTS,
    CountBucket,
    DocumentView,
    FacetValue,
    PassageView,
    SearchRequest,
    SearchResult,
    SearchService,
)
from app.templating import templates

router = APIRouter(include_in_schema=False)

DEFAULT = SearchRequest()
FACET_LABELS = {name: facet.label for name, facet in BY_NAME.items()}
SORT_LABELS = {"relevance": "相关度", "year_desc": "年份新→旧", "year_asc": "年份旧→新", "document": "原文顺序"}
PAGE_SIZES = (10, 20, 50, 100)
VISIBLE_VALUES = 8  # facet values shown before "更多"
EXAMPLES = (
    ("百香果", "一个词"),
    ("光伏 2023", "两个词同时出现"),
    ('"强村公司"', "精确短语"),
    ("光伏 OR 水电", "任一个词"),
    ("信访 -矛盾", "排除一个词"),
    ("两违", "同时搜索同义词"),
)
Service = Annotated[SearchService, Depends(get_service)]
State = Annotated[SearchRequest, Depends(search_request)]


# ---------------------------------------------------------------------------------- URL state


def state_params(state: SearchRequest, paging: bool = True) -> list[tuple[str, str]]:
    """The query-string pairs of a state; defaults are left out so URLs stay short."""
    params = [("q", state.q)] if state.q else []
    for facet in FACETS:
        params += [(facet, value) for value in state.selected(facet)]
    if state.sort != DEFAULT.sort:
        params.append(("sort", state.sort))
    if not state.expand:
        params.append(("expand", "false"))
    if paging and state.size != DEFAULT.size:
        params.append(("size", str(state.size)))
    if paging and state.page != 1:
        params.append(("page", str(state.page)))
    return params


def search_url(state: SearchRequest, **changes) -> str:
    """The search page for ``state`` with ``changes``; any change but the page goes back to page 1."""
    if changes:
        state = replace(state, **{"page": 1, **changes})
    params = state_params(state)
    return "/?" + urlencode(params) if params else "/"


def export_url(state: SearchRequest, fmt: str) -> str:
    return "/api/export?" + urlencode([("format", fmt), *state_params(state, paging=False)])


def toggle(state: SearchRequest, facet: str, value: str) -> SearchRequest:
    selected = state.selected(facet)
    values = tuple(v for v in selected if v != value) if value in selected else (*selected, value)
    return replace(state, page=1, **{facet: values})


def without_filters(state: SearchRequest) -> SearchRequest:
    return replace(state, page=1, **{facet: () for facet in FACETS})


# ------------------------------------------------------------------------------------ facets


@dataclass
class FacetOption:
    """One value of a facet as the page shows it: its count, and where clicking it leads."""

    facet: str
    value: str
    count: int
    selected: bool
    toggle_url: str

    @property
    def facet_label(self) -> str:
        return FACET_LABELS[self.facet]


@dataclass
class FacetGroup:
    name: str
    label: str
    shown: list[FacetOption]  # selected values and the most frequent ones
    more: list[FacetOption]  # the other values with hits (behind "更多")
    empty: list[FacetOption]  # values of the collection without a hit here (behind "无匹配")

    @property
    def selected_count(self) -> int:
        return sum(o.selected for o in self.shown)


def _option(state: SearchRequest, facet: str, value: FacetValue) -> FacetOption:
    return FacetOption(facet, value.value, value.count, value.selected, search_url(toggle(state, facet, value.value)))


def _display_order(facet: str, values: list[FacetValue]) -> list[FacetValue]:
    """Years newest first and vocabularies (sections, kinds) in their own order read better;
    the rest by count (as the service lists them)."""
    if BY_NAME[facet].order == "count":
        return values
    return sorted(values, key=lambda v: value_order(BY_NAME[facet], v.value))


def collection_values(service: SearchService) -> dict[str, list[str]]:
    """Every value a facet takes in the collection (what an empty query counts)."""
    return {facet: [v.value for v in values] for facet, values in service.search(DEFAULT).facets.items()}


def facet_groups(state: SearchRequest, result: SearchResult, universe: dict[str, list[str]]) -> list[FacetGroup]:
    groups = []
    for facet in FACETS:
        values = [v for v in result.facets.get(facet, []) if v.count or v.selected]
        ordered = [_option(state, facet, v) for v in _display_order(facet, values)]
        # Selected values are always visible; values keep their place, so ticking never reorders.
        room = max(0, VISIBLE_VALUES - sum(o.selected for o in ordered))
        first = {o.value for o in [o for o in ordered if not o.selected][:room]}
        visible = [o.selected or o.value in first for o in ordered]
        known = {o.value for o in ordered}
        empty = [_option(state, facet, FacetValue(v, 0, False)) for v in universe.get(facet, []) if v not in known]
        groups.append(
            FacetGroup(
                facet,
                FACET_LABELS[facet],
                shown=[o for o, v in zip(ordered, visible) if v],
                more=[o for o, v in zip(ordered, visible) if not v],
                empty=empty,
            )
        )
    return groups


def chips(state: SearchRequest) -> list[FacetOption]:
    """The selected filters, each with the URL that removes it."""
    return [
        FacetOption(facet, value, 0, True, search_url(toggle(state, facet, value)))
        for facet in FACETS
        for value in state.selected(facet)
    ]


# ------------------------------------------------------------------------------- pagination


def page_numbers(current: int, last: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last and two either side; None is a gap."""
    wanted = sorted(p for p in {1, last, *range(current - 2, current + 3)} if 1 <= p <= last)
    numbers: list[int | None] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


# ----------------------------------------------------------------------------------- charts


@dataclass
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    url: str
    selected: bool = False


@dataclass
class Chart:
    """Geometry of one server-rendered SVG bar chart (the template only draws it)."""

    kind: str  # "columns" (years) or "rows" (townships)
    title: str
    width: int
    height: int
    bars: list[Bar]
    label_width: int = 0
    note: str = ""

    @property
    def description(self) -> str:
        return f"{self.title}: " + "，".join(f"{b.label} {b.count} 条" for b in self.bars)


def year_chart(state: SearchRequest, buckets: list[CountBucket]) -> Chart | None:
    """Hits per year as columns; years without hits between the first and the last show as 0."""
    counts = {int(b.value): b.count for b in buckets if b.value.isdigit()}
    if not counts:
        return None
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1)) if last - first < 40 else sorted(counts)
    slot, bar_width, top, bottom, plot = 46, 30, 20, 24, 80
    peak = max(counts.values())
    bars = []
    for i, year in enumerate(years):
        count = counts.get(year, 0)
        height = round(plot * count / peak, 1) if count else 0
        value = str(year)
        bars.append(
            Bar(value, count, i * slot + (slot - bar_width) / 2, top + plot - height, bar_width, height,
                search_url(toggle(state, "year", value)), value in state.year)
        )
    return Chart("columns", "按年份", len(years) * slot, top + plot + bottom, bars)


def township_chart(state: SearchRequest, buckets: list[CountBucket], limit: int = 10) -> Chart | None:
    """Hits per township as horizontal bars, the most frequent first."""
    if not buckets:
        return None
    shown = buckets[:limit]
    row, bar_area, count_width = 24, 180, 44
    label_width = 14 * min(8, max(len(b.value) for b in shown)) + 10
    peak = max(b.count for b in shown)
    bars = [
        Bar(b.value if len(b.value) <= 8 else b.value[:7] + "…", b.count, label_width, i * row + 4,
            max(2.0, round(bar_area * b.count / peak, 1)), row - 8,
            search_url(toggle(state, "township", b.value)), b.value in state.township)
        for i, b in enumerate(shown)
    ]
    note = f"另有 {len(buckets) - limit} 个乡镇未画出" if len(buckets) > limit else ""
    return Chart("rows", "按乡镇", label_width + bar_area + count_width, len(shown) * row, bars, label_width, note)


# ------------------------------------------------------------------------------ search page


@dataclass
class CollectionRow:
    township: str | None
    url: str  # browse this township's passages
    cells: list[list[DocumentView]]  # the township's documents, one list per year column


@dataclass
class Collection:
    """Documents per township and year, for the page shown before anything is searched."""

    years: list[tuple[int | None, str]]  # (year, URL browsing that year)
    rows: list[CollectionRow]
    documents: list[DocumentView]


def collection(documents: list[DocumentView]) -> Collection:
    grouped: dict[tuple[str | None, int | None], list[DocumentView]] = {}
    for document in documents:
        grouped.setdefault((document.township, document.year), []).append(document)
    years = sorted({y for _, y in grouped if y}, reverse=True) + ([None] if any(y is None for _, y in grouped) else [])
    townships = sorted({t for t, _ in grouped if t}) + ([None] if any(t is None for t, _ in grouped) else [])
    return Collection(
        years=[(y, search_url(DEFAULT, year=(str(y) if y else UNKNOWN,))) for y in years],
        rows=[
            CollectionRow(t, search_url(DEFAULT, township=(t or UNKNOWN,)), [grouped.get((t, y), []) for y in years])
            for t in townships
        ],
        documents=documents,
    )


@router.get("/")
def search_page(request: Request, state: State, service: Service):
    documents = service.documents()
    result = service.search(state)
    browsing = not state.q and not state.has_filters
    context = {
        "state": state,
        "result": result,
        "browsing": browsing,
        "facets": facet_groups(state, result, collection_values(service)),
        "chips": chips(state),
        "clear_url": search_url(without_filters(state)),
        "sorts": [(SORT_LABELS[s], search_url(state, sort=s), s == state.sort) for s in SORTS],
        "sizes": [(n, search_url(state, size=n), n == state.size) for n in PAGE_SIZES],
        "pages": [(n, search_url(state, page=n) if n else "") for n in page_numbers(state.page, result.pages)],
        "prev_url": search_url(state, page=state.page - 1) if state.page > 1 else "",
        "next_url": search_url(state, page=state.page + 1) if state.page < result.pages else "",
        "first_page_url": search_url(state, page=1),
        "hits": [(hit, passage_url(hit.doc_id, hit.passage_id, state.q, state.expand)) for hit in result.hits],
        "alternatives": [(a, search_url(state, q=a.q)) for a in result.alternatives],
        "expand_off_url": search_url(state, expand=False),
        "expand_on_url": search_url(state, expand=True),
        "exports": [("CSV", export_url(state, "csv")), ("JSON Lines", export_url(state, "jsonl"))],
        # The search box keeps the filters; the facet form keeps everything but them.
        "form_params": state_params(replace(state, q="", page=1)),
        "facet_form_params": state_params(without_filters(state)),
    }
    if browsing:
        context["collection"] = collection(documents)
        context["examples"] = [(q, why, search_url(DEFAULT, q=q)) for q, why in EXAMPLES]
    elif result.total:
        trends = service.trends(state)
        context["charts"] = [c for c in (year_chart(state, trends.by["year"]), township_chart(state, trends.by["township"])) if c]
    return templates.TemplateResponse(request, "search.html", context)


# ---------------------------------------------------------------------------- document page


@dataclass
class Block:
    """A heading, or a paragraph of the report (passages split from one paragraph stay together)."""

    heading: PassageView | None = None
    passages: list[PassageView] = field(default_factory=list)


@dataclass
class TocEntry:
    passage_id: str
    text: str
    level: int
    matches: int  # matches of the query under this heading
    current: bool = False  # the section holding the target passage


def blocks(passages: list[PassageView]) -> list[Block]:
    out: list[Block] = []
    for passage in passages:
        if passage.is_heading:
            out.append(Block(heading=passage))
        elif out and out[-1].heading is None and out[-1].passages[-1].paragraph == passage.paragraph:
            out[-1].passages.append(passage)
        else:
            out.append(Block(passages=[passage]))
    return out


def table_of_contents(passages: list[PassageView], target: str = "") -> list[TocEntry]:
    entries: list[TocEntry] = []
    for i, passage in enumerate(passages):
        if passage.is_heading:
            matches = passage.matches
            for later in passages[i + 1 :]:
                if later.is_heading and later.level <= passage.level:
                    break
                matches += later.matches
            entries.append(TocEntry(passage.passage_id, passage.text, passage.level, matches))
        if passage.passage_id == target and entries:
            entries[-1].current = True
    return entries


def document_title(document: DocumentView) -> str:
    if document.title:
        return document.title
    year = f"{document.year}年" if document.year else ""
    return f"{document.township or ''}{year}工作报告" if document.township or year else document.source


@router.get("/documents/{doc_id}")
def document_page(request: Request, doc_id: str, state: State, service: Service, passage: str = ""):
    document = service.document(doc_id, state.q, state.expand)
    if document is None:
        raise HTTPException(status_code=404, detail=f"没有这份报告（编号 {doc_id[:80]}）。它可能已从索引中移除，或链接不完整。")
    target = next((p for p in document.passages if p.passage_id == passage), None)
    similar = []
    if target is not None and not target.is_heading:
        similar = [(s, passage_url(s.doc_id, s.passage_id, "")) for s in service.similar(target.passage_id) or []]
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
        "back_url": search_url(state),
        "form_params": [("expand", "false")] if not state.expand else [],
        "township_url": search_url(DEFAULT, township=(document.township,)) if document.township else "",
    }
    return templates.TemplateResponse(request, "document.html", context)


# ---------------------------------------------------------------------------- curation view


@router.get("/collection")
def curation_page(request: Request, service: Service, sort: CollectionSort = curation.DEFAULT_SORT):
    found = curation.review(service.documents(), service.skipped(), sort)
    context = {
        "curation": found,
        "reviews": [(r, document_title(r.document), document_url(r.document.doc_id)) for r in found.reviews],
        "sorts": [
            (label, "/collection" + (f"?sort={key}" if key != curation.DEFAULT_SORT else ""), key == sort)
            for key, label in curation.SORTS.items()
        ],
    }
    return templates.TemplateResponse(request, "curation.html", context)
