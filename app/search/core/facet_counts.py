"""Filters and disjunctive facet counts: a facet's counts ignore its own selection (so the
other values of a ticked facet keep their counts) and respect every other facet's."""

from __future__ import annotations

import numpy as np

from app.search.core import docsets
from app.search.core.opened import OpenIndex
from app.search.facets import BY_NAME, FACETS, value_order
from app.search.service import FacetValue


def filter_sets(index: OpenIndex, filters: dict[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """The passages each filtered facet allows."""
    return {name: index.filter_docs(name, values) for name, values in filters.items()}


def narrowed(index: OpenIndex, base: np.ndarray, sets: dict[str, np.ndarray], leave_out: str | None = None) -> np.ndarray:
    docs = base
    for name, allowed in sorted(sets.items(), key=lambda item: len(item[1])):
        if name != leave_out:
            docs = docsets.intersect(docs, allowed, index.size)
    return docs


def counts(index: OpenIndex, name: str, docs: np.ndarray) -> dict[str, int]:
    if docs is index.all_docs:  # browsing everything: counted once per generation
        return index.once(("all-counts", name), lambda: index.facets[name].counts(docs))
    return index.facets[name].counts(docs)


def listed(name: str, top: list[tuple[str, int]], counted_selected: dict[str, int], selected: tuple[str, ...]) -> list[FacetValue]:
    """The top values by count (then in the facet's natural order), and the selected ones
    wherever they rank (with their count, 0 when none)."""
    facet = BY_NAME[name]
    values = dict(top)
    for value in selected:
        values.setdefault(value, counted_selected.get(value, 0))
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], value_order(facet, kv[0])))
    return [FacetValue(value=v, count=c, selected=v in selected) for v, c in ordered]


def disjunctive(index: OpenIndex, filters: dict[str, tuple[str, ...]], base: np.ndarray, sets: dict[str, np.ndarray], limit: int) -> tuple[dict[str, list[FacetValue]], dict[str, int]]:
    """Every facet's ``limit`` most frequent values in ``base`` narrowed by the other facets'
    filters; and for each facet listed short, how many values were left out."""
    out, omitted = {}, {}
    for facet in FACETS:
        column = index.facets[facet.name]
        docs = narrowed(index, base, sets, leave_out=facet.name) if sets else base
        if docs is index.all_docs:  # browsing everything: listed once per generation
            top, left = index.once(("all-top", facet.name, limit), lambda c=column, d=docs: c.top(d, limit))
        else:
            top, left = column.top(docs, limit)
        selected = column.canonical(filters.get(facet.name, ()))
        shown = {v for v, _ in top}
        missing = [v for v in selected if v not in shown]
        counted = {}
        if missing:
            every = counts(index, facet.name, docs)
            counted = {v: every.get(v, 0) for v in missing}
        out[facet.name] = listed(facet.name, top, counted, selected)
        if left:
            omitted[facet.name] = left
    return out, omitted
