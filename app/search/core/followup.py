"""Plan follow-through: for a passage of a plan section, the passages of the same township's
later reviews that report on it.

A plan passage is for its ``about_year`` (the year its section is about; the report's year when
the index does not say). The candidates are the review passages (section 总结) of the township's
other reports about that year or later. A candidate's score is the share of the plan's most
telling words (its more-like-this key terms, weighted by frequency × rarity) held by one of its
sentences (0–1): a review paragraph often reports several projects (一是…；二是…), and the words
of one plan item must meet in one of them. A sentence that names places, none of them a place
the plan names, reports another project (the same work in another village) and counts 0. The
answer is the candidates at or above the threshold in the earliest year that has any, best first
(ties by the more-like-this score); none above it anywhere is "未找到对应总结". Threshold and
place words live in ``data/followup.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from app.search.core import docsets
from app.search.core.opened import OpenIndex
from app.search.core.similar import key_terms, scores_at
from app.search.service import PLAN, REVIEW
from indexer.domain import FollowupRules
from indexer.normalize import is_cjk, normalize

_SENTENCE_END = re.compile(r"[。;!?；！？]")


def covered_years(index: OpenIndex) -> np.ndarray:
    """The year each passage is about: its about_year, else its report's year (0: unknown)."""

    def build() -> np.ndarray:
        column = index.facets["about_year"]
        table = np.asarray([int(v) if v.isdigit() else 0 for v in column.values] or [0], dtype=np.int32)
        about = table[column.codes] if len(column.codes) else np.zeros(0, np.int32)
        return np.where(about > 0, about, index.year_number)

    return index.once("covered-years", build)


def places(text: str, rules: FollowupRules) -> set[str]:
    """The places a passage names: two characters before a place ending (花田坌村 → 田坌村)."""
    folded = normalize(text)
    found = set()
    for suffix in rules.place_suffixes:
        at = folded.find(suffix)
        while at != -1:
            name = folded[max(0, at - 2) : at]
            end = at + len(suffix)
            if (
                len(name) == 2
                and all(is_cjk(c) and c not in suffix for c in name)
                and not any(folded.endswith(word, 0, end) for word in rules.not_places)
            ):
                found.add(name + suffix)
            at = folded.find(suffix, at + 1)
    return found


def _sentences(index: OpenIndex, docnum: int) -> list[str]:
    """A passage's normalized sentences (cached per generation: every plan of a township asks)."""
    return index.cached(("sentences", docnum), lambda: [s for s in _SENTENCE_END.split(normalize(index.storage.stored(docnum).text)) if s.strip()])


def _held(index: OpenIndex, docnum: int, terms: list[tuple[str, float]], own: set[str], rules: FollowupRules) -> float:
    """The largest share of the terms' weight held by one sentence of a passage; a sentence
    naming only places the plan does not name holds nothing."""
    total = sum(weight for _, weight in terms) or 1.0
    best = 0.0
    for sentence in _sentences(index, docnum):
        if own:
            named = places(sentence, rules)
            if named and not named & own:
                continue
        best = max(best, sum(weight for word, weight in terms if word in sentence) / total)
    return best


@dataclass
class Outcome:
    status: str  # a key of app.search.service.FOLLOWUP_MESSAGES
    planned_year: int | None
    followed_year: int | None = None
    matches: list[tuple[int, float]] = field(default_factory=list)  # (document number, score), best first
    shared: dict[int, list[str]] = field(default_factory=dict)  # the plan's words each match holds
    best: float = 0.0


def follow(index: OpenIndex, docnum: int, rules: FollowupRules, limit: int) -> Outcome:
    passage = index.storage.stored(docnum)
    planned = getattr(passage, "about_year", None) or passage.year or None
    if passage.section != PLAN:
        return Outcome("not_plan", planned)
    if not passage.township:
        return Outcome("no_township", planned)
    candidates = docsets.intersect(index.filter_docs("township", (passage.township,)), index.filter_docs("section", (REVIEW,)), index.size)
    candidates = docsets.difference(candidates, index.docnums(passage.doc_id), index.size)
    years = covered_years(index)
    if planned:
        candidates = candidates[years[candidates] >= planned]
    if not len(candidates):
        return Outcome("no_later_report", planned)
    terms = key_terms(index, passage.text)
    own = places(passage.text, rules)
    held = np.asarray([_held(index, int(d), terms, own, rules) for d in candidates.tolist()])
    scores = scores_at(index, terms, candidates)
    outcome = Outcome("not_found", planned, best=float(held.max(initial=0.0)))
    # The earliest year with a match is the report that follows the plan (0, unknown, last).
    candidate_years = years[candidates]
    for year in sorted(set(candidate_years.tolist()), key=lambda y: (y == 0, y)):
        chosen = np.flatnonzero((candidate_years == year) & (held >= rules.threshold))
        if len(chosen):
            order = chosen[np.lexsort((index.rank[candidates[chosen]], -scores[chosen], -held[chosen]))][:limit]
            outcome.status, outcome.followed_year = "found", int(year) or None
            outcome.matches = [(int(candidates[i]), float(held[i])) for i in order]
            words = [word for word, _ in terms]
            for d, _ in outcome.matches:
                text = normalize(index.storage.stored(d).text)
                outcome.shared[d] = [w for w in words if w in text]
            break
    return outcome
