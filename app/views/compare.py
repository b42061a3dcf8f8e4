"""A comparison as /compare shows it (a header per column, rows per theme and per section, each
count a link to exactly that search), and the ways into one: the search page's 对比所选, the
dimension switches, the chips."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.search.facets import BY_NAME, UNKNOWN
from app.search.service import COMPARE_BY, COMPARE_VALUES, COMPUTED, FACETS, SECTIONS, CompareRequest, Comparison, FacetValue, Hit, SearchRequest
from app.urls import compare_url, search_url, toggle, township_url
from app.views.facets import FacetOption, listed
from app.views.search import linked_hits


@dataclass
class CompareCell:
    count: int
    url: str  # the search of this cell: its count is that search's total
    hits: list[tuple[Hit, str]] = field(default_factory=list)  # (passage, link to it)
    computed: bool = True  # False: its column was left for lack of time (no count known)
    listed: bool = True  # False: a theme's passages the time limit left out (its count stands)


@dataclass
class CompareRow:
    label: str
    cells: list[CompareCell]


@dataclass
class CompareHeader:
    value: str
    total: int
    url: str  # the search of the whole column (where a column left for lack of time is computed alone)
    township_url: str = ""  # the township's page, when comparing townships
    computed: bool = True


def comparison_view(comparison: Comparison) -> dict:
    """The header, theme rows, section rows and best passages of a comparison."""
    compare = comparison.request
    search = replace(compare.search, page=1, **{compare.by: ()})

    def column_search(value: str, **changes) -> str:
        return search_url(search, **{compare.by: (value,)}, **changes)

    columns = comparison.columns
    computed = [c.status == COMPUTED for c in columns]
    headers = [
        CompareHeader(
            c.value,
            c.total,
            column_search(c.value),
            township_url(c.value) if compare.by == "township" and c.value != UNKNOWN else "",
            known,
        )
        for c, known in zip(columns, computed)
    ]
    themes = [
        CompareRow(
            theme,
            [
                CompareCell(
                    {b.value: b.count for b in c.by_theme}.get(theme, 0),
                    column_search(c.value, theme=(theme,)),
                    linked_hits(c.theme_hits.get(theme, []), search),
                    known,
                    theme in c.theme_hits,
                )
                for c, known in zip(columns, computed)
            ],
        )
        for theme in comparison.themes
    ]
    sections = []
    for section in SECTIONS:
        counts = [{b.value: b.count for b in c.by_section}.get(section, 0) for c in columns]
        if any(counts):
            cells = [CompareCell(n, column_search(c.value, section=(section,)), computed=known) for n, c, known in zip(counts, columns, computed)]
            sections.append(CompareRow(section, cells))
    best = CompareRow("全部主题", [CompareCell(c.total, h.url, linked_hits(c.hits, search), h.computed) for c, h in zip(columns, headers)])
    # Columns the time limit left: each computed alone from its header's link (the search of
    # the column), and together, when they are two or more of the others, as a comparison.
    left = tuple(h.value for h in headers if not h.computed)
    rest_url = compare_url(replace(compare, values=left)) if COMPARE_VALUES[0] <= len(left) < len(headers) else ""
    return {"headers": headers, "theme_rows": themes, "section_rows": sections, "best_row": best, "not_computed": left, "rest_url": rest_url}


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


def dimension_choices(state: SearchRequest, by: str, chosen: tuple[str, ...], facets: dict[str, list[FacetValue]]) -> list[tuple[str, str, bool]]:
    """(label, URL, current) of comparing by each comparable facet. Another dimension compares
    the first values its facet lists for the search within the compared values (these
    townships → their years, newest first); ``facets`` are that search's facets (without a
    facet's values, the other dimension's page offers them to choose)."""
    high = COMPARE_VALUES[1]

    def switch(other: str) -> str:
        if other == by:
            return compare_url(CompareRequest(state, by, chosen))
        first = [v.value for v in listed(other, facets.get(other, []), ()) if v.value != UNKNOWN][:high]
        return compare_url(CompareRequest(replace(state, **{by: chosen}), other, tuple(first)))

    return [(BY_NAME[b].label, switch(b), b == by) for b in COMPARE_BY]
