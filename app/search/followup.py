"""Plan follow-through: for a passage of a plan section, the passages of the same township's
later reviews that report on it, through the search port.

A plan passage is for its ``about_year`` (the year its section is about; the report's year when
the index does not say). The candidates are the review passages (section 总结) of the township's
other reports about that year or later (a search with township and section filters, the plan's
report excluded). A candidate's score is the share of the plan's most telling words (its key
terms, weighted by frequency × rarity) held by one of its sentences (0–1): a review paragraph
often reports several projects (一是…；二是…), and the words of one plan item must meet in one
of them. A sentence that names places, none of them a place the plan names, reports another
project (the same work in another village) and counts 0. The answer is the candidates at or
above the threshold in the earliest year that has any, best first (ties by the more-like-this
score, then collection order); none above it anywhere is "未找到对应总结". Threshold and place
words live in ``data/followup.toml``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from app.search.port import Deadline, Query, Searcher, idf
from app.search.service import PLAN, REVIEW
from indexer import analysis
from indexer.domain import FollowupRules
from indexer.normalize import is_cjk, normalize
from indexer.records import Passage

KEY_TERMS = 12  # words of a passage that make its more-like-this query
_SENTENCE_END = re.compile(r"[。;!?；！？]")


def key_terms(searcher: Searcher, text: str, count: int = KEY_TERMS) -> list[tuple[str, float]]:
    """The passage's words weighted by frequency × rarity, the heaviest first, weights ≤ 1."""
    frequencies = Counter(w for w in analysis.index_words(analysis.normalize(text)) if len(w) >= 2)
    held_by = searcher.word_frequencies(list(frequencies))
    passages = searcher.info.passages
    weighted = [(word, tf * idf(passages, held_by[word])) for word, tf in frequencies.items() if held_by.get(word)]
    weighted.sort(key=lambda item: (-item[1], item[0]))
    weighted = weighted[:count]
    top = weighted[0][1] if weighted else 1.0
    return [(word, weight / top) for word, weight in weighted]


def covered_year(passage: Passage) -> int:
    """The year a passage is about: its about_year, else its report's year (0: unknown)."""
    return passage.about_year or passage.year or 0


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


class Reviews:
    """The review passages one request reads (a township page follows every plan item of the
    township's reports over the same ones): records and sentences, kept for that request only."""

    def __init__(self, searcher: Searcher, deadline: Deadline):
        self.searcher = searcher
        self.deadline = deadline
        self._of_township: dict[str, list[Passage]] = {}
        self._sentences: dict[str, list[str]] = {}
        self._places: dict[str, set[str]] = {}

    def of_township(self, township: str, other_than: str) -> list[Passage]:
        """The township's review passages outside report ``other_than``, in collection order
        (the township's are searched and read once a request, whatever report asks)."""
        found = self._of_township.get(township)
        if found is None:
            query = Query(filters={"township": (township,), "section": (REVIEW,)}, sort="document", limit=None)
            ids = self.searcher.search(query, self.deadline).ids
            found = self._of_township[township] = [p for p in self.searcher.passages(ids) if p is not None]
        return [p for p in found if p.doc_id != other_than]

    def sentences(self, passage: Passage) -> list[str]:
        found = self._sentences.get(passage.passage_id)
        if found is None:
            found = self._sentences[passage.passage_id] = [s for s in _SENTENCE_END.split(normalize(passage.text)) if s.strip()]
        return found

    def places(self, sentence: str, rules: FollowupRules) -> set[str]:
        """The places a review sentence names (every plan item of a page asks for the same ones)."""
        found = self._places.get(sentence)
        if found is None:
            found = self._places[sentence] = places(sentence, rules)
        return found


def _held(reviews: Reviews, candidate: Passage, terms: list[tuple[str, float]], own: set[str], rules: FollowupRules) -> float:
    """The largest share of the terms' weight held by one sentence of a passage; a sentence
    naming only places the plan does not name holds nothing."""
    total = sum(weight for _, weight in terms) or 1.0
    best = 0.0
    for sentence in reviews.sentences(candidate):
        if own:
            named = reviews.places(sentence, rules)
            if named and not named & own:
                continue
        best = max(best, sum(weight for word, weight in terms if word in sentence) / total)
    return best


@dataclass
class Outcome:
    status: str  # a key of app.search.service.FOLLOWUP_MESSAGES
    planned_year: int | None
    followed_year: int | None = None
    matches: list[tuple[Passage, float]] = field(default_factory=list)  # (review passage, score), best first
    shared: dict[str, list[str]] = field(default_factory=dict)  # passage id → the plan's words it holds
    best: float = 0.0


def planned_year(passage: Passage) -> int | None:
    """The year a plan is for: the year it speaks of, else its report's."""
    return passage.about_year or passage.year or None


def follow(reviews: Reviews, passage: Passage, rules: FollowupRules, limit: int) -> Outcome:
    planned = planned_year(passage)
    if passage.section != PLAN:
        return Outcome("not_plan", planned)
    if not passage.township:
        return Outcome("no_township", planned)
    candidates = [c for c in reviews.of_township(passage.township, passage.doc_id) if not planned or covered_year(c) >= planned]
    if not candidates:
        return Outcome("no_later_report", planned)
    terms = key_terms(reviews.searcher, passage.text)
    own = places(passage.text, rules)
    held = [_held(reviews, c, terms, own, rules) for c in candidates]
    outcome = Outcome("not_found", planned, best=max(held, default=0.0))
    # The earliest year with a match is the report that follows the plan (0, unknown, last).
    years = [covered_year(c) for c in candidates]
    for year in sorted(set(years), key=lambda y: (y == 0, y)):
        chosen = [i for i, (y, h) in enumerate(zip(years, held)) if y == year and h >= rules.threshold]
        if chosen:
            # Ties of the share are broken by the more-like-this score, asked only for the tied
            # candidates (it reads each key term's postings: a cost that grows with the
            # collection); candidates are in collection order: their position breaks the rest.
            shares = Counter(held[i] for i in chosen)
            tied = [candidates[i].passage_id for i in chosen if shares[held[i]] > 1]
            similarity = dict(reviews.searcher.more_like_this(terms, reviews.deadline, within=tied, headings=True)) if tied else {}
            chosen.sort(key=lambda i: (-held[i], -similarity.get(candidates[i].passage_id, 0.0), i))
            outcome.status, outcome.followed_year = "found", year or None
            outcome.matches = [(candidates[i], held[i]) for i in chosen[:limit]]
            words = [word for word, _ in terms]
            for match, _ in outcome.matches:
                text = normalize(match.text)
                outcome.shared[match.passage_id] = [w for w in words if w in text]
            break
    return outcome
