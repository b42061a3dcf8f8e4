"""Stage 6, themes: 0–3 themes per passage by keyword evidence (taxonomy in ``data/themes.toml``)."""

from __future__ import annotations

from indexer import domain
from indexer.normalize import normalize


def score_themes(text: str, heading: str, rules: domain.ThemeRules) -> dict[str, float]:
    """Keyword hits per theme; a hit in the heading path counts double, but only for a theme the
    passage itself shows: a heading's theme is not copied onto every fragment under it."""
    body, head = normalize(text), normalize(heading)
    scores: dict[str, float] = {}
    for theme in rules.themes:
        in_body = sum(body.count(k) for k in theme.keywords)
        if in_body:
            scores[theme.name] = in_body + 2 * sum(head.count(k) for k in theme.keywords)
    return scores


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
