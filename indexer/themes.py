"""Stage 6, themes: 0–3 themes per passage by keyword evidence (taxonomy in ``data/themes.toml``)."""

from __future__ import annotations

from functools import lru_cache

import ahocorasick

from indexer import domain
from indexer.normalize import normalize


@lru_cache(maxsize=4)
def _automaton(rules: domain.ThemeRules) -> ahocorasick.Automaton:
    """Every keyword of the taxonomy in one automaton: a text is scanned once for all of them
    (not once per keyword), keyword → the themes it belongs to."""
    automaton = ahocorasick.Automaton()
    owners: dict[str, list[int]] = {}
    for number, theme in enumerate(rules.themes):
        for keyword in theme.keywords:
            if keyword:
                owners.setdefault(keyword, []).append(number)
    for keyword, themes in owners.items():
        automaton.add_word(keyword, (keyword, tuple(themes)))
    automaton.make_automaton()
    return automaton


def _hits(text: str, rules: domain.ThemeRules) -> list[int]:
    """Keyword occurrences per theme, counted as ``str.count`` counts each keyword (occurrences
    of one keyword never overlap)."""
    hits = [0] * len(rules.themes)
    if not text:
        return hits
    automaton = _automaton(rules)
    if not len(automaton):
        return hits
    free_from: dict[str, int] = {}  # keyword → first position where it may match again
    for end, (keyword, themes) in automaton.iter(text):
        if end - len(keyword) + 1 < free_from.get(keyword, 0):
            continue
        free_from[keyword] = end + 1
        for number in themes:
            hits[number] += 1
    return hits


def score_themes(text: str, heading: str, rules: domain.ThemeRules) -> dict[str, float]:
    """Keyword hits per theme; a hit in the heading path counts double, but only for a theme the
    passage itself shows: a heading's theme is not copied onto every fragment under it."""
    body = _hits(normalize(text), rules)
    if not any(body):
        return {}
    head = _hits(normalize(heading), rules)
    return {theme.name: body[i] + 2 * head[i] for i, theme in enumerate(rules.themes) if body[i]}


def assign_themes(text: str, heading: str, rules: domain.ThemeRules | None = None) -> list[str]:
    rules = rules or domain.load_themes()
    scores = score_themes(text, heading, rules)
    if not scores:
        return []
    ranked = sorted(scores.items(), key=lambda item: (-item[1], rules.names.index(item[0])))
    best = ranked[0][1]
    chosen = [ranked[0][0]]
    for name, score in ranked[1:]:
        if len(chosen) >= rules.max_themes:
            break
        if score >= rules.min_score and score >= rules.relative_to_best * best:
            chosen.append(name)
    return chosen
