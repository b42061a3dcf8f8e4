"""Filters and facet counts. Disjunctive by default: a facet's counts ignore its own selection
(so the other values of a ticked facet keep their counts) and respect every other facet's."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.search.local import docsets
from app.search.local.opened import OpenIndex
from app.search.port import FacetDistribution


def filter_sets(index: OpenIndex, filters: Mapping[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """The passages each filtered facet allows."""
    return {name: index.filter_docs(name, values) for name, values in filters.items()}


def narrowed(index: OpenIndex, base: np.ndarray, sets: dict[str, np.ndarray], leave_out: str | None = None) -> np.ndarray:
    docs = base
    for name, allowed in sorted(sets.items(), key=lambda item: len(item[1])):
        if name != leave_out:
            docs = docsets.intersect(docs, allowed, index.size)
    return docs


def distribution(index: OpenIndex, name: str, docs: np.ndarray, selected: tuple[str, ...], limit: int) -> FacetDistribution:
    """The ``limit`` values of ``name`` most of ``docs`` carry, and every selected value's count."""
    column = index.facets[name]
    counted, ranked = index.facet_counts(name, docs)
    if ranked is None:
        ranked = column.ranked(counted)
    top, omitted, omitted_passages = column.listing(counted, ranked, limit)
    listed = dict(top)
    chosen = column.canonical(selected)
    missing = [v for v in chosen if v not in listed]
    every = column.counts(counted) if missing else {}
    return FacetDistribution(top, {v: listed[v] if v in listed else every.get(v, 0) for v in chosen}, omitted, omitted_passages)


def distributions(
    index: OpenIndex,
    names: tuple[str, ...],
    filters: Mapping[str, tuple[str, ...]],
    base: np.ndarray,
    sets: dict[str, np.ndarray],
    docs: np.ndarray,
    limit: int,
    disjunctive: bool,
) -> dict[str, FacetDistribution]:
    """Each facet of ``names`` over the answer: disjunctive (over ``base`` narrowed by the other
    facets' filters) or within every filter (``docs``)."""
    out = {}
    for name in names:
        if disjunctive:
            counted_over = narrowed(index, base, sets, leave_out=name) if sets else base
        else:
            counted_over = docs
        out[name] = distribution(index, name, counted_over, filters.get(name, ()), limit)
    return out
