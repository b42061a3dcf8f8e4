"""Highlighting and snippets, on plain strings (no engine, no HTTP).

Matches are found in the normalized text and marked at the same positions of the text as
written (normalization is character-for-character, see :mod:`indexer.normalize`), so the
query 产业 marks 產業. Text is escaped piece by piece around the marks, so a mark can never
fall inside an HTML entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from indexer.analysis import normalize

SNIPPET_CHARS = 120
_BREAK = re.compile(r"[。！？!?；;，,、：:\s]")


def find_spans(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Merged ``[start, end)`` spans of every occurrence of every needle (normalized) in ``text``."""
    folded = normalize(text)
    spans: list[tuple[int, int]] = []
    for needle in {n for n in needles if n}:
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    if not spans:
        return []
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """HTML for ``text[start:end]`` with every span in ``<mark>``; everything escaped."""
    end = len(text) if end is None else end
    out: list[str] = []
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(escape(text[cursor:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    out.append(escape(text[cursor:end]))
    return "".join(out)


def best_window(spans: list[tuple[int, int]], length: int, width: int) -> tuple[int, int]:
    """The ``width``-character window covering the most matched characters (densest matches)."""
    if not spans or length <= width:
        return 0, min(length, width)
    best_start, best_cover = 0, -1
    for anchor, _ in spans:
        start = max(0, min(anchor - width // 4, length - width))
        stop = start + width
        cover = sum(min(e, stop) - max(s, start) for s, e in spans if s < stop and e > start)
        if cover > best_cover:
            best_start, best_cover = start, cover
    return best_start, best_start + width


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move the window edges to nearby punctuation so a snippet starts and ends on a phrase."""
    if start > 0:
        back = [m.end() for m in _BREAK.finditer(text, max(0, start - 20), start + 1)]
        if back:
            start = back[-1]
    if end < len(text):
        ahead = _BREAK.search(text, end - 1, min(len(text), end + 20))
        if ahead:
            end = ahead.end()
    return start, end


def snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters around the densest matches, cut at punctuation, … where cut."""
    start, end = best_window(spans, len(text), width)
    if len(text) > width:
        start, end = _snap(text, start, end)
    body = mark(text, spans, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + body + suffix
