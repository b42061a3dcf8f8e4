"""The facet boxes of the search page and the chips of selected filters: every value an object
carrying its count and the URL that ticks or unticks it (Datasette's habit), so the boxes work
as plain links and a GET form without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

from app.search.facets import BY_NAME, value_order
from app.search.service import FACETS, FacetValue, SearchRequest, SearchResult
from app.settings import MAX_FACET_SIZE
from app.urls import search_url, toggle_url

FACET_LABELS = {name: facet.label for name, facet in BY_NAME.items()}
VISIBLE_VALUES = 8  # facet values shown before "更多"


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
    return FacetOption(facet, value.value, value.count, value.selected, toggle_url(state, facet, value.value))


def display_order(facet: str, values: list[FacetValue]) -> list[FacetValue]:
    """Years newest first and vocabularies (sections, kinds) in their own order read better;
    the rest by count (as the service lists them)."""
    if BY_NAME[facet].order == "count":
        return values
    return sorted(values, key=lambda v: value_order(BY_NAME[facet], v.value))


def listed(facet: str, values: list[FacetValue], chosen: tuple[str, ...]) -> list[FacetValue]:
    """A facet's values with passages (and the chosen ones) in the order the page lists them."""
    shown = [FacetValue(v.value, v.count, v.value in chosen) for v in values if v.count or v.value in chosen]
    return display_order(facet, shown)


def facet_groups(state: SearchRequest, result: SearchResult, collection: dict[str, list[FacetValue]]) -> list[FacetGroup]:
    """The facet boxes of ``result``; ``collection`` is every value a facet takes in the
    collection (the facets of an empty search), listed as 无匹配 when this search has none."""
    groups = []
    for facet in FACETS:
        values = [v for v in result.facets.get(facet, []) if v.count or v.selected]
        ordered = [_option(state, facet, v) for v in display_order(facet, values)]
        # Selected values are always visible; values keep their place, so ticking never reorders.
        room = max(0, VISIBLE_VALUES - sum(o.selected for o in ordered))
        first = {o.value for o in [o for o in ordered if not o.selected][:room]}
        visible = [o.selected or o.value in first for o in ordered]
        known = {o.value for o in ordered}
        omitted = result.facets_omitted.get(facet, 0)
        # When values with hits were left out, which of the others have none is unknown.
        empty = [] if omitted else [_option(state, facet, FacetValue(v.value, 0, False)) for v in collection.get(facet, []) if v.value not in known]
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
    return [FacetOption(facet, value, 0, True, toggle_url(state, facet, value)) for facet in FACETS for value in state.selected(facet)]
