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


def listed(name: str, counted: dict[str, int], selected: tuple[str, ...]) -> list[FacetValue]:
    """Values by count, then in the facet's natural order; selected ones always listed."""
    facet = BY_NAME[name]
    counted = dict(counted)
    for value in selected:
        counted.setdefault(value, 0)
    ordered = sorted(counted.items(), key=lambda kv: (-kv[1], value_order(facet, kv[0])))
    return [FacetValue(value=v, count=c, selected=v in selected) for v, c in ordered]


def disjunctive(index: OpenIndex, filters: dict[str, tuple[str, ...]], base: np.ndarray, sets: dict[str, np.ndarray]) -> dict[str, list[FacetValue]]:
    out = {}
    for facet in FACETS:
        docs = narrowed(index, base, sets, leave_out=facet.name) if sets else base
        out[facet.name] = listed(facet.name, counts(index, facet.name, docs), filters.get(facet.name, ()))
    return out
