"""HTML pages: the search page (``/``), the document page (``/documents/{doc_id}``), the
comparison (``/compare``), a township's plans and what became of them (``/townships/{name}``)
and the curation view (``/collection``).

Thin: the routes ask the search service and turn its answers into view objects for the
templates — facet options carrying their own count and toggle URL (Datasette style), chips,
pagination, chart geometry. Every piece of state lives in the URL, so a plain GET form and
links are enough and the pages work without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse

from app.dependencies import VALUE_DESCRIPTION, InvalidParameter, get_service, get_settings, make_compare_request, search_request
from app.routes.api import CollectionSort, document_url, passage_url
from app.search import curation
from app.search.facets import BY_NAME, UNKNOWN, value_order
from app.search.service import (
    COMPARE_BY,
    COMPARE_VALUES,
    FACETS,
    SECTIONS,
    SORTS,
    CompareRequest,
    Comparison,
    DocumentView,
    FacetValue,
    FollowUp,
    Hit,
    PassageView,
    SearchRequest,
    SearchResult,
    SearchService,
    TrendBucket,
    is_plan_item,
)
from app.settings import MAX_FACET_SIZE, MAX_PAGE, Settings
from app.templating import templates
from indexer.normalize import normalize

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
Config = Annotated[Settings, Depends(get_settings)]


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
    if state.facet_size != DEFAULT.facet_size:
        params.append(("facet_size", str(state.facet_size)))
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
    """The state with ``value`` of ``facet`` ticked, or unticked when it is (in either script)."""
    selected = state.selected(facet)
    same = [v for v in selected if normalize(v) == normalize(value)]
    values = tuple(v for v in selected if v not in same) if same else (*selected, value)
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
    omitted: int = 0  # values with hits not listed at all (beyond facet_size)
    more_url: str = ""  # the same search listing more values of every facet

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
        omitted = result.facets_omitted.get(facet, 0)
        # When values with hits were left out, which of the others have none is unknown.
        empty = [] if omitted else [_option(state, facet, FacetValue(v, 0, False)) for v in universe.get(facet, []) if v not in known]
        groups.append(
            FacetGroup(
                facet,
                FACET_LABELS[facet],
                shown=[o for o, v in zip(ordered, visible) if v],
                more=[o for o, v in zip(ordered, visible) if not v],
                empty=empty,
                omitted=omitted,
                more_url=search_url(state, facet_size=min(MAX_FACET_SIZE, state.facet_size * 10)) if omitted else "",
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
    full_label: str = ""  # the label untruncated, for the bar's name and the data table

    @property
    def name(self) -> str:
        return self.full_label or self.label


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
    category: str = ""  # what the bars are, heading the data table: 年份, 乡镇
    unit: str = ""  # appended to a bar's label in its name: "2023" + "年"


def year_chart(state: SearchRequest, buckets: list[TrendBucket]) -> Chart | None:
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
    return Chart("columns", "按年份", len(years) * slot, top + plot + bottom, bars, category="年份", unit="年")


def township_chart(state: SearchRequest, buckets: list[TrendBucket], limit: int = 10) -> Chart | None:
    """Hits per township as horizontal bars, the most frequent first."""
    grouped = sum(b.values for b in buckets if b.other)  # townships the trends' 其他 bucket counts
    buckets = [b for b in buckets if not b.other]
    if not buckets:
        return None
    shown = buckets[:limit]
    row, bar_area, count_width = 24, 180, 44
    label_width = 14 * min(8, max(len(b.value) for b in shown)) + 10
    peak = max(b.count for b in shown)
    bars = [
        Bar(b.value if len(b.value) <= 8 else b.value[:7] + "…", b.count, label_width, i * row + 4,
            max(2.0, round(bar_area * b.count / peak, 1)), row - 8,
            search_url(toggle(state, "township", b.value)), b.value in state.township, b.value)
        for i, b in enumerate(shown)
    ]
    hidden = len(buckets) - len(shown) + grouped
    note = f"另有 {hidden} 个乡镇未画出" if hidden else ""
    return Chart("rows", "按乡镇", label_width + bar_area + count_width, len(shown) * row, bars, label_width, note, "乡镇")


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
    townships: int = 0  # townships in the collection (rows may show only some)


COLLECTION_ROWS = 60  # townships shown on the home page; a large collection is browsed by facet


def collection(documents: list[DocumentView], limit: int = COLLECTION_ROWS) -> Collection:
    grouped: dict[tuple[str | None, int | None], list[DocumentView]] = {}
    reports: dict[str | None, int] = {}
    for document in documents:
        grouped.setdefault((document.township, document.year), []).append(document)
        reports[document.township] = reports.get(document.township, 0) + 1
    named = sorted((t for t in reports if t), key=lambda t: (-reports[t], t) if len(reports) > limit else (0, t))[:limit]
    townships = sorted(named) + ([None] if None in reports else [])
    years = sorted({y for t, y in grouped if y and t in townships}, reverse=True)
    years += [None] if any(y is None for t, y in grouped if t in townships) else []
    return Collection(
        years=[(y, search_url(DEFAULT, year=(str(y) if y else UNKNOWN,))) for y in years],
        rows=[
            CollectionRow(t, search_url(DEFAULT, township=(t or UNKNOWN,)), [grouped.get((t, y), []) for y in years])
            for t in townships
        ],
        documents=documents,
        townships=len([t for t in reports if t]),
    )


def scripts(documents: list[DocumentView]) -> dict[str, str]:
    """doc_id → script of its text (zh-Hans / zh-Hant), for the lang of passages shown out of it."""
    return {d.doc_id: d.script for d in documents}


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
        "scripts": scripts(documents),
        "alternatives": [(a, search_url(state, q=a.q)) for a in result.alternatives],
        "expand_off_url": search_url(state, expand=False),
        "expand_on_url": search_url(state, expand=True),
        "exports": [("CSV", export_url(state, "csv")), ("JSON Lines", export_url(state, "jsonl"))],
        # The search box keeps the filters; the facet form keeps everything but them.
        "form_params": state_params(replace(state, q="", page=1)),
        "facet_form_params": state_params(without_filters(state)),
        "compare_actions": compare_actions(state),
        "compare_facets": COMPARE_BY,
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
    followup_urls = {}
    if document.township:
        followup_urls = {p.passage_id: followup_url(doc_id, p.passage_id) for p in document.passages if is_plan_item(p.section, p.is_heading, p.level)}
    followup = None
    if target is not None and target.passage_id in followup_urls:
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
        "back_url": search_url(state),
        "form_params": [("expand", "false")] if not state.expand else [],
        "township_url": search_url(DEFAULT, township=(document.township,)) if document.township else "",
        "followup_urls": followup_urls,
        "followup": followup,
    }
    return templates.TemplateResponse(request, "document.html", context)


# --------------------------------------------------------------------------- comparison


def compare_params(compare: CompareRequest) -> list[tuple[str, str]]:
    """The query string of a comparison: the search without its `by` filter, by, the values."""
    return [*state_params(replace(compare.search, page=1, **{compare.by: ()}), paging=False), ("by", compare.by), *(("value", v) for v in compare.values)]


def compare_url(compare: CompareRequest) -> str:
    return "/compare?" + urlencode(compare_params(compare))


def compare_actions(state: SearchRequest) -> list[tuple[str, str]]:
    """(text, URL) of comparing the values ticked in a comparable facet of the search page."""
    low, high = COMPARE_VALUES
    actions = []
    for by in COMPARE_BY:
        chosen = state.selected(by)
        if low <= len(chosen) <= high:
            actions.append((f"对比所选 {len(chosen)} 个{BY_NAME[by].label}", compare_url(CompareRequest(state, by, chosen))))
    return actions


def compare_chips(state: SearchRequest, by: str, values: tuple[str, ...]) -> list[FacetOption]:
    """The comparison's filters, each with the comparison without it."""
    return [
        FacetOption(facet, v, 0, True, compare_url(CompareRequest(toggle(state, facet, v), by, values)))
        for facet in FACETS
        if facet != by
        for v in state.selected(facet)
    ]


def township_url(name: str) -> str:
    return "/townships/" + quote(name, safe="")


@dataclass
class CompareCell:
    count: int
    url: str  # the search of this cell: its count is that search's total
    hits: list[tuple[Hit, str]] = field(default_factory=list)  # (passage, link to it)


@dataclass
class CompareRow:
    label: str
    cells: list[CompareCell]


@dataclass
class CompareHeader:
    value: str
    total: int
    url: str  # the search of the whole column
    township_url: str = ""  # the township's page, when comparing townships


def comparison_view(comparison: Comparison) -> dict:
    compare = comparison.request
    search = replace(compare.search, page=1, **{compare.by: ()})

    def column_search(value: str, **changes) -> str:
        return search_url(search, **{compare.by: (value,)}, **changes)

    def linked(hits: list[Hit]) -> list[tuple[Hit, str]]:
        return [(h, passage_url(h.doc_id, h.passage_id, search.q, search.expand)) for h in hits]

    columns = comparison.columns
    headers = [
        CompareHeader(c.value, c.total, column_search(c.value), township_url(c.value) if compare.by == "township" and c.value != UNKNOWN else "")
        for c in columns
    ]
    themes = [
        CompareRow(theme, [CompareCell({b.value: b.count for b in c.by_theme}.get(theme, 0), column_search(c.value, theme=(theme,)), linked(c.theme_hits.get(theme, []))) for c in columns])
        for theme in comparison.themes
    ]
    sections = []
    for section in SECTIONS:
        counts = [{b.value: b.count for b in c.by_section}.get(section, 0) for c in columns]
        if any(counts):
            sections.append(CompareRow(section, [CompareCell(n, column_search(c.value, section=(section,))) for n, c in zip(counts, columns)]))
    best = CompareRow("全部主题", [CompareCell(c.total, h.url, linked(c.hits)) for c, h in zip(columns, headers)])
    return {"headers": headers, "theme_rows": themes, "section_rows": sections, "best_row": best}


def _listed(facet: str, values: list[FacetValue], chosen: tuple[str, ...]) -> list[FacetValue]:
    """A facet's values with passages (and the chosen ones) in the order the page lists them."""
    shown = [FacetValue(v.value, v.count, v.value in chosen) for v in values if v.count or v.value in chosen]
    return _display_order(facet, shown)


@router.get("/compare")
def compare_page(
    request: Request,
    state: State,
    service: Service,
    settings: Config,
    by: str = "township",
    value: Annotated[list[str], Query(description=VALUE_DESCRIPTION)] = [],
):
    if by not in COMPARE_BY:
        raise InvalidParameter(f"by 必须是 {' / '.join(COMPARE_BY)} 之一 (unknown by {by[:30]!r})")
    if not value and state.selected(by):
        # From the search page's facet form: the ticked values of `by` become the columns.
        return RedirectResponse(compare_url(CompareRequest(state, by, state.selected(by))), status_code=303)
    chosen = tuple(value)
    # The values of every comparable facet for the search within the compared values (a
    # facet's counts ignore its own selection): what to tick here, and what another
    # dimension compares by default (these townships → their years, newest first).
    facets = service.search(replace(state, page=1, size=1, **{by: chosen})).facets
    low, high = COMPARE_VALUES

    def switch(other: str) -> str:
        if other == by:
            return compare_url(CompareRequest(state, by, chosen))
        first = [v.value for v in _listed(other, facets[other], ()) if v.value != UNKNOWN][:high]
        return compare_url(CompareRequest(replace(state, **{by: chosen}), other, tuple(first)))

    context = {
        "state": replace(state, page=1, **{by: ()}),
        "by": by,
        "by_label": BY_NAME[by].label,
        "bys": [(BY_NAME[b].label, switch(b), b == by) for b in COMPARE_BY],
        "low": low,
        "high": high,
        "choices": _listed(by, facets[by], chosen),
        "form_params": state_params(replace(state, q="", page=1, **{by: ()}), paging=False),
        "search_back_url": search_url(replace(state, **{by: chosen})),
        "chips": compare_chips(state, by, chosen),
        "clear_url": compare_url(CompareRequest(without_filters(state), by, chosen)),
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
    context.update(
        comparison=comparison,
        export_url="/api/compare?" + urlencode([*compare_params(compare), ("format", "csv")]),
        json_url="/api/compare?" + urlencode(compare_params(compare)),
    )
    return templates.TemplateResponse(request, "compare.html", context)


# ------------------------------------------------------------------- plan follow-through


def followup_url(doc_id: str, passage_id: str) -> str:
    """The document page at a plan passage, showing what became of it."""
    return f"/documents/{quote(doc_id)}?{urlencode({'passage': passage_id})}#followup"


@dataclass
class FollowUpView:
    followup: FollowUp
    plan_url: str  # the plan passage in its report
    matches: list[tuple[object, str]]  # (FollowUpMatch, link to the review passage)
    township_url: str = ""


def followup_view(found: FollowUp | None) -> FollowUpView | None:
    if found is None:
        return None
    plan = found.plan
    return FollowUpView(
        followup=found,
        plan_url=passage_url(plan.doc_id, plan.passage_id, ""),
        matches=[(m, passage_url(m.hit.doc_id, m.hit.passage_id, "")) for m in found.matches],
        township_url=township_url(plan.township) if plan.township else "",
    )


@router.get("/townships/{name}")
def township_page(request: Request, name: str, service: Service):
    township = service.township(name)
    if township is None:
        raise HTTPException(status_code=404, detail=f"没有“{name[:40]}”的报告。乡镇名称须与报告中的写法一致（繁体、简体均可）。")
    reports = [
        (r.document, document_title(r.document), f"/documents/{quote(r.document.doc_id)}", [followup_view(f) for f in r.plans])
        for r in township.reports
    ]
    plans = [f for r in township.reports for f in r.plans]
    years = sorted({r.document.year for r in township.reports if r.document.year})
    compare_years = ""
    if COMPARE_VALUES[0] <= len(years) <= COMPARE_VALUES[1]:
        compare_years = compare_url(CompareRequest(SearchRequest(township=(township.township,)), "year", tuple(str(y) for y in years)))
    context = {
        "township": township,
        "reports": reports,
        "counts": {status: sum(f.status == status for f in plans) for status in ("found", "not_found", "no_later_report")},
        "plans": len(plans),
        "search_url": search_url(DEFAULT, township=(township.township,)),
        "compare_years_url": compare_years,
    }
    return templates.TemplateResponse(request, "township.html", context)


# ---------------------------------------------------------------------------- curation view


CURATION_PAGE_SIZE = 50  # reports per page of /collection (a collection may hold 10,000)


def curation_url(sort: str, page: int = 1) -> str:
    params = [("sort", sort)] if sort != curation.DEFAULT_SORT else []
    params += [("page", str(page))] if page > 1 else []
    return "/collection" + ("?" + urlencode(params) if params else "")


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
        "reviews": [(r, document_title(r.document), document_url(r.document.doc_id)) for r in shown],
        "sorts": [(label, curation_url(key), key == sort) for key, label in curation.SORTS.items()],
        "first_number": first + 1,
        "page": page,
        "page_count": last,
        "pages": [(n, curation_url(sort, n) if n else "") for n in page_numbers(page, last)],
        "prev_url": curation_url(sort, page - 1) if page > 1 else "",
        "next_url": curation_url(sort, page + 1) if page < last else "",
    }
    return templates.TemplateResponse(request, "curation.html", context)
