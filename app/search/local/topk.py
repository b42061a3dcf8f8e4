"""The first passages of an answer by relevance, without scoring every match.

A passage ranks by ``verbatim × VERBATIM_WEIGHT + weight × Σ BM25`` over the terms a query
scores with (:func:`~app.search.local.matching.scoring_terms`: each term sums the BM25 of a few
posting lists). Counting verbatim matches is cheap (set membership), BM25 is not, so the ``k``
best are found in tiers of verbatim matches, and within the tier where the ``k``-th best lies by
MaxScore over impacts:

1. **Impacts**: for each term, what each passage it scores ranks by for it (passage weight ×
   its BM25 sum, rounded up; :func:`~app.search.local.matching.term_impacts`: computed once per
   term and kept in the term cache, with the same values sorted). A term with more passages
   than a cache entry may hold keeps its highest impacts only, and the highest it left out
   bounds all the others: its cuts stay above that.
2. **Seeds**: the passages of each term with the highest impacts, among the tier, are scored
   exactly; the ``r``-th best of them (``r``: the places the tier fills) is a floor the
   ``r``-th best of the tier reaches.
3. **Cuts**: an impact per term such that a passage below every one cannot reach the floor
   (what it can add below the cuts adds up to less), chosen to leave the fewest passages at or
   above them: a term may be left out entirely (MaxScore's non-essential lists).
4. **Candidates**: the passages at or above their term's cut, among the tier, are scored
   exactly with the seeds; the best of them are the tier's best.

Per query, each term's impacts are compared with its cut; BM25 is computed for the seeds and
the candidates (for a one-word query, about the window and its ties). Their values are those exhaustive scoring gives (the
same function computes them, for fewer passages) and the order is the same total order, so the
window is the same (``tests/test_topk.py`` checks it against scoring every match). Small
answers and deep windows are scored whole.
"""

from __future__ import annotations

import numpy as np

from app.search.local import docsets, ranking
from app.search.local.matching import Synonyms, relevance, scoring_terms, term_impacts, verbatim_counts
from app.search.local.opened import OpenIndex
from app.search.port import VERBATIM_WEIGHT, Deadline
from app.search.query import Node

PRUNE_FROM = 16384  # answers smaller than this are scored whole (pruning pays from about there: tests/benchmarks/topk.py)
PRUNE_SHARE = 64  # … and so are windows reaching further than this share of the answer (deep pages)
SEEDS_PER_PLACE, LEAST_SEEDS = 4, 256  # seeds per term: this many times the places to fill, at least
CANDIDATE_SHARE = 3  # more candidates than this share of the tier: scoring it whole is as cheap
LEAST_CUTS, MOST_CUTS = 12, 64  # cuts tried per term (in geometric steps of passages): as many as keep the combinations few
COMBINATIONS = 4096  # combinations of cuts tried together at most
ATTEMPTS = 2  # floors tried: the seeds', then with a sample of the candidates it leaves
SLACK = 1e-9  # relative margin of every bound against floating-point rounding


Scored = tuple[np.ndarray, np.ndarray]  # positions in an answer, and the relevance value of each


def values(index: OpenIndex, root: Node, synonyms: Synonyms, docs: np.ndarray, deadline: Deadline) -> np.ndarray:
    """The relevance value of each of ``docs`` (what :func:`app.search.port.relevance_value` gives)."""
    scores, verbatim = relevance(index, root, docs, deadline, synonyms)
    return ranking.relevance_value(scores, verbatim, index.passage_weights[docs])


def window(
    index: OpenIndex, root: Node, synonyms: Synonyms, sort: str, docs: np.ndarray, offset: int, limit: int | None, deadline: Deadline
) -> Scored:
    """Positions in ``docs`` of the window ``[offset, offset + limit)`` of a query's order
    (``relevance``, ``year_desc``, ``year_asc``), and the relevance value of each."""
    if offset >= len(docs) or limit == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if limit is None:
        value = values(index, root, synonyms, docs, deadline)
        chosen = ranking.positions(index, sort, docs, value)[offset:]
        return chosen, value[chosen]
    count = min(offset + limit, len(docs))
    if sort == "relevance":
        chosen, value = best(index, root, synonyms, docs, count, deadline)
    else:
        chosen, value = _best_by_year(index, root, synonyms, sort, docs, count, deadline)
    order = ranking.positions(index, sort, docs[chosen], value, count)[offset:]
    return chosen[order], value[order]


def best(index: OpenIndex, root: Node, synonyms: Synonyms, docs: np.ndarray, count: int, deadline: Deadline) -> Scored:
    """Positions in ``docs`` of a set holding its ``count`` best by relevance (ties in collection
    order), in no particular order, with their values."""
    n = len(docs)
    if n < PRUNE_FROM or count * PRUNE_SHARE > n:
        return _scored_whole(index, root, synonyms, docs, count, deadline)
    verbatim = verbatim_counts(index, root, docs, deadline, synonyms)
    # The tier of the count-th best: every passage with more verbatim matches is in, every one
    # with fewer is out.
    tally = np.bincount(verbatim)
    at_least = np.cumsum(tally[::-1])  # passages with at least max, max-1, … 0 verbatim matches
    tier_count = len(tally) - 1 - int(np.searchsorted(at_least, count))
    above = np.flatnonzero(verbatim > tier_count)
    tier = None if tally[tier_count] == n else np.flatnonzero(verbatim == tier_count)
    tier_docs = docs if tier is None else docs[tier]
    places = count - len(above)
    found = _candidates(index, root, synonyms, tier_docs, tier_count, places, deadline)
    if found is None:
        found = _scored_whole(index, root, synonyms, tier_docs, places, deadline)
    within, within_values = found
    if tier is not None:
        within = tier[within]
    return np.concatenate([above, within]), np.concatenate([values(index, root, synonyms, docs[above], deadline), within_values])


def _scored_whole(index: OpenIndex, root: Node, synonyms: Synonyms, docs: np.ndarray, count: int, deadline: Deadline) -> Scored:
    value = values(index, root, synonyms, docs, deadline)
    chosen = ranking.positions(index, "relevance", docs, value, count)
    return chosen, value[chosen]


def _best_by_year(index: OpenIndex, root: Node, synonyms: Synonyms, sort: str, docs: np.ndarray, count: int, deadline: Deadline) -> Scored:
    """Positions in ``docs`` of a set holding its ``count`` first by year (unknown years last),
    then relevance: every passage of the years before the count-th one's, and the best of its
    year; with their values."""
    years = index.year_number[docs].astype(np.int64)
    key = np.where(years == 0, np.iinfo(np.int64).max, years if sort == "year_asc" else -years)
    cut = np.partition(key, count - 1)[count - 1]
    before = np.flatnonzero(key < cut)
    year = np.flatnonzero(key == cut)
    within, within_values = best(index, root, synonyms, docs[year], count - len(before), deadline)
    return np.concatenate([before, year[within]]), np.concatenate([values(index, root, synonyms, docs[before], deadline), within_values])


class _List:
    """The passages one term of a query scores, counted ``coefficient`` times, with what each
    ranks by for it at most (``impact``, :func:`~app.search.local.matching.term_impacts`), those
    sorted, and the most any other passage ranks by for it (``rest``: 0.0, or the impacts left
    out of a very common term's)."""

    def __init__(self, ids: np.ndarray, impact: np.ndarray, ascending: np.ndarray, rest: float, coefficient: float):
        self.ids, self.impact, self.ascending, self.rest, self.coefficient = ids, impact, ascending, rest, coefficient

    def above(self, cut: float) -> np.ndarray:
        """The passages ranked by ``cut`` or more for the term (the others: less than ``cut``)."""
        return self.ids[self.impact >= cut]

    def cuts(self, room: float, count: int) -> list[tuple[float, float, int]]:
        """About ``count`` cuts worth trying, from every passage listed to none: (cut, the most a
        passage below it adds to a value, passages at or above it). Their passages fall in
        geometric steps; one more cut spends the whole ``room`` on this term alone. A cut is
        above ``rest``: the passages at or above it are all listed."""
        n = len(self.ascending)
        out = [(-np.inf, self.coefficient * self.rest, n)]
        if not n:
            return out
        chosen = self.ascending[n - np.unique(np.geomspace(n, 1, count).astype(np.int64))]  # the k-th largest
        if room > 0:  # float32 like the impacts (a float64 cut would be rounded, either way, by the comparison)
            chosen = np.append(chosen, np.float32(room / self.coefficient * (1 - 1e-6)))
        chosen = np.unique(chosen)
        chosen = chosen[chosen > self.rest]
        reaching = n - np.searchsorted(self.ascending, chosen)  # float32 against float32: no copy of the list
        out += [(float(cut), self.coefficient * float(cut), int(reached)) for cut, reached in zip(chosen.tolist(), reaching.tolist())]
        return out + [(np.inf, self.coefficient * float(self.ascending[-1]), 0)]

    def top(self, docs: np.ndarray, wanted: int, size: int) -> np.ndarray:
        """Positions in ``docs`` of about ``wanted`` of those ranked highest for the term."""
        n = len(self.ascending)
        if not n:
            return docsets.EMPTY
        share = len(docs) / max(n, len(docs))  # of the list's postings, about this share is in docs
        taken = min(n, max(1, int(np.ceil(wanted / max(share, 1e-9)))))
        while True:
            chosen = np.flatnonzero(self.impact >= self.ascending[n - taken])
            found, at = docsets.locate(docs, self.ids[chosen], size)
            if len(at) >= wanted or taken == n:
                break
            taken = min(n, taken * 4)
        if len(at) > 2 * wanted:  # ties at the cut: the highest of them
            at = at[np.argpartition(-self.impact[chosen[found]], 2 * wanted - 1)[: 2 * wanted]]
        return np.sort(at)


def _thresholds(lists: list[_List], room: float) -> tuple[dict[int, float], float] | None:
    """A cut per list (``-inf``: every posting listed; ``inf``: none) such that what a passage
    below every one can add up to stays under ``room``, leaving the fewest postings at or above
    them, and that sum; None when every posting would be left (nothing to prune) or none fits. Every combination
    is tried when there are few, else cuts are raised one at a time where that drops most
    postings per bound spent (MaxScore's essential and non-essential lists, per posting)."""
    count = min(MOST_CUTS, max(LEAST_CUTS, int(COMBINATIONS ** (1 / len(lists))) - 3))
    options = [scored.cuts(room, count) for scored in lists]
    shape = tuple(len(o) for o in options)
    if np.prod(shape, dtype=np.float64) <= COMBINATIONS:
        bounds, postings = np.zeros(shape), np.zeros(shape, dtype=np.int64)
        for axis, choices in enumerate(options):  # every combination's sums, by broadcasting
            along = [1] * len(shape)
            along[axis] = len(choices)
            bounds = bounds + np.asarray([b for _, b, _ in choices]).reshape(along)
            postings = postings + np.asarray([c for _, _, c in choices], dtype=np.int64).reshape(along)
        fitting = np.flatnonzero(bounds.reshape(-1) < room)
        if not len(fitting):
            return None
        best = fitting[np.argmin(postings.reshape(-1)[fitting])]
        at = [int(j) for j in np.unravel_index(best, shape)]
        bounded = float(bounds.reshape(-1)[best])
    else:
        at = [0] * len(lists)
        bounded = sum(choices[0][1] for choices in options)  # what the lists' unlisted passages add
        if bounded >= room:
            return None
        while True:  # the raise that drops most postings per bound spent, while one fits
            move, ratio = None, -1.0
            for i, choices in enumerate(options):
                now = choices[at[i]]
                for j in range(at[i] + 1, len(choices)):
                    cost = choices[j][1] - now[1]
                    if bounded + cost >= room:
                        break
                    gain = np.inf if cost <= 0 else (now[2] - choices[j][2]) / cost
                    if gain > ratio:
                        move, ratio = (i, j, cost), gain
            if move is None:
                break
            at[move[0]] = move[1]
            bounded += move[2]
    if not any(at) and not bounded:
        return None
    return {i: options[i][j][0] for i, j in enumerate(at) if options[i][j][2]}, bounded


def _candidates(
    index: OpenIndex, root: Node, synonyms: Synonyms, docs: np.ndarray, tier_count: int, places: int, deadline: Deadline
) -> Scored | None:
    """Positions in ``docs`` (passages of one verbatim tier) of a set holding their ``places``
    best, with their values; None when pruning would not pay (score them all)."""
    size = index.size
    lists = []
    for text, times in scoring_terms(root, synonyms).items():
        found = term_impacts(index, text)
        if len(found[0]) or found[3]:
            lists.append(_List(*found, float(times)))
    if not lists:
        return None
    # Seeds, scored exactly: their places-th best value is a floor for the tier's.
    wanted = max(LEAST_SEEDS, SEEDS_PER_PLACE * places)
    seeded = docsets.union([scored.top(docs, wanted, size) for scored in lists], len(docs))
    if len(seeded) < places:  # too few passages hold the words: any of the tier do
        seeded = np.union1d(seeded, np.linspace(0, len(docs) - 1, places).astype(np.int64))
    seed_values = values(index, root, synonyms, docs[seeded], deadline)
    base = tier_count * VERBATIM_WEIGHT
    floor = -np.inf
    for attempt in range(ATTEMPTS):
        raised = float(np.partition(seed_values, len(seeded) - places)[len(seeded) - places])
        if raised <= floor:
            return None
        floor = raised
        chosen = _thresholds(lists, (floor - base) * (1 - SLACK))
        # Below every threshold a passage's value is at most base + bounded (rounding included).
        if chosen is None or not base + chosen[1] * (1 + SLACK) + SLACK < floor:
            return None
        deadline.check()
        _, candidates = docsets.locate(docs, docsets.union([lists[i].above(t) for i, t in chosen[0].items()], size), size)
        fresh = np.setdiff1d(candidates, seeded, assume_unique=True)
        if len(candidates) * CANDIDATE_SHARE <= len(docs):
            return np.concatenate([seeded, fresh]), np.concatenate([seed_values, values(index, root, synonyms, docs[fresh], deadline)])
        if attempt + 1 < ATTEMPTS:
            # Too many candidates for this floor: the best passages of the terms together
            # were not among the seeds. Some of the candidates raise it.
            sample = fresh[:: max(1, len(fresh) // (SEEDS_PER_PLACE * wanted))]
            seeded = np.concatenate([seeded, sample])
            seed_values = np.concatenate([seed_values, values(index, root, synonyms, docs[sample], deadline)])
    return None
