"""Stage 4, structure: headings, heading paths, passages and the section facet.

Works on the cleaned lines (as written); every rule looks at the normalized form of a line,
which has the same length, so a position found there is a position in the original.

Heading levels used by the reports:

0. the title line (``斋坛乡2024年工作总结和2025年工作计划``)
1. ``一、`` … and stand-alone lines such as ``2024年工作总结``
2. ``(一)`` / ``（一）``
3. ``1.`` / ``1、``
4. ``(1)``
5. ``一是`` … ``二是`` at the start of a paragraph (an inline sub-point)

A numbered heading may carry its body on the same line (``(一)党员教育管理不够有力。党建…``):
the first sentence is then the heading and the whole line is one passage under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer import domain
from indexer.clean import is_breadcrumb
from indexer.contract import SECTIONS  # noqa: F401  (the section values, re-exported)
from indexer.normalize import normalize

MAX_PASSAGE_CHARS = 400
HEADING_LABEL_CHARS = 20

_NUM = "一二三四五六七八九十百零〇"
_MARKERS = (
    (1, re.compile(rf"^[{_NUM}]+[、.](?![{_NUM}])")),
    (2, re.compile(rf"^\([{_NUM}]+\)")),
    (3, re.compile(r"^\d{1,2}(?:[、]|\.(?!\d))")),
    (4, re.compile(r"^\(\d{1,2}\)")),
    (5, re.compile(rf"^[{_NUM}]{{1,3}}是(?=[^,、:;。]{{2}})")),
)
_SENTENCE_END = re.compile(r"[。!?;！？；]+[”’」』)]*")
_CLAUSE_END = re.compile(r"[,，、:：]")
_HEADING_END = re.compile(r"[。!?;:！？；：]")


@dataclass
class PassageDraft:
    text: str
    paragraph: int
    heading_path: list[str]
    heading_text: str  # the full heading sentences of the path, for ranking
    section: str
    is_heading: bool = False
    level: int = 0
    heading_year: int | None = None  # the year the nearest heading naming one is about
    # Under headings that name no section (一、经济发展稳中向好): "其他" until the report's
    # kind says what such parts are (the review of a summary, the tasks of a plan).
    unclassified: bool = False


@dataclass
class Line:
    text: str
    folded: str
    kind: str = "paragraph"  # title | heading | paragraph | signature
    level: int = 0
    label: str | None = None  # short heading shown in paths
    heading: str | None = None  # full heading sentence
    year: int | None = None  # a year the heading names (一、2023年工作总结)
    extra: dict = field(default_factory=dict)


_HAN_DIGITS = {
    "〇": "0",
    "○": "0",
    "零": "0",
    "0": "0",
    "o": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_HAN_YEAR = re.compile(r"[一二][〇○零0o一二三四五六七八九]{3}(?=年)")
_SPACED_YEAR = re.compile(r"(?<!\d)(\d{4})\s+(?=年)")
_HEADING_YEAR = re.compile(r"(?<![\d.\-/])(\d{4})年(?!\d{1,2}月)")


def year_text(text: str) -> str:
    """Years as digits right before 年: 二〇二三年 → 2023年, 2022 年 → 2022年 (for matching only)."""
    text = _HAN_YEAR.sub(lambda m: "".join(_HAN_DIGITS[c] for c in m.group(0)), text)
    return _SPACED_YEAR.sub(r"\1", text)


def heading_year(folded: str, rules: domain.Rules) -> int | None:
    earliest = int(rules.value("year", "earliest", default=1990))
    latest = int(rules.value("year", "latest", default=2035))
    for match in _HEADING_YEAR.finditer(year_text(folded)):
        if earliest <= int(match.group(1)) <= latest:
            return int(match.group(1))
    return None


def label_for(heading: str) -> str:
    """A heading short enough for a path: cut at the first comma after a few characters."""
    heading = heading.rstrip("。.;；!！?？,，:：")
    if len(heading) <= HEADING_LABEL_CHARS:
        return heading
    for match in _CLAUSE_END.finditer(heading, 6):
        if match.start() <= HEADING_LABEL_CHARS + 6 and heading[match.start()] in ",，":
            return heading[: match.start()] + "…"
    return heading[:HEADING_LABEL_CHARS] + "…"


def _numbered(line: Line) -> None:
    for level, pattern in _MARKERS:  # noqa: B007 (the level found is read after the loop)
        if pattern.match(line.folded):
            break
    else:
        return
    end = _HEADING_END.search(line.folded)
    stop = end.start() if end else len(line.folded)
    if stop > 60:
        clause = _CLAUSE_END.search(line.folded, 4, 40)
        stop = clause.start() if clause else 30
    heading = line.text[:stop]
    rest = line.folded[stop:].lstrip("。.;；!！?？:：”’ ")
    # 一是… is an inline sub-point: always content, never a heading line of its own.
    line.kind = "heading" if not rest and level < 5 else "paragraph"
    line.level = level
    line.heading = heading
    line.label = label_for(heading)


def _sentence_free(folded: str) -> bool:
    return not _SENTENCE_END.search(folded.rstrip("。"))


_CONTACT_LABEL = re.compile(r"(?:地址|邮编|邮政编码|联系电话|电话|电子邮箱|邮箱|传真)\s*:")


def contact_line(folded: str) -> bool:
    """隰县龙泉镇人民政府　地址：…　邮编：041300: a letterhead's contact line (two labels or more),
    part of the block that closes a report after its signature."""
    return len(folded) <= 120 and len(_CONTACT_LABEL.findall(folded)) >= 2


def classify(lines: list[str]) -> list[Line]:
    rules = domain.load_rules()
    standalone = rules.list("heading", "standalone_cues")
    title_cues = rules.list("heading", "title_cues")
    max_len = int(rules.value("heading", "max_length", default=40))
    org_suffixes = rules.list("signature", "org_suffixes")
    result = [Line(text=t, folded=normalize(t)) for t in lines]
    for index, line in enumerate(result):
        _numbered(line)
        if line.level:
            line.year = heading_year(line.heading or "", rules) if line.kind == "heading" or line.level < 5 else None
            continue
        # A breadcrumb (首页 > 政务公开 > 工作总结) is never a heading, even naming 工作总结.
        short = len(line.folded) <= max_len and _sentence_free(line.folded) and not is_breadcrumb(line.folded)
        if index == 0 and short and any(c in line.folded for c in title_cues) and len(result) > 1:
            line.kind, line.level, line.heading, line.label = "title", 0, line.text, line.text
        elif short and any(c in line.folded for c in standalone):
            line.kind, line.level, line.heading = "heading", 1, line.text
            line.label = label_for(line.text)
        if line.kind in ("title", "heading"):
            line.year = heading_year(line.folded, rules)
    # Signatures: the short unpunctuated lines that close the report (organisations, dates).
    for line in reversed(result):
        folded = line.folded
        # (2023年12月20日, 2023年12月, and as some sign: 2023.12.20, 2023-12-20, 2023/12/20)
        is_date = re.fullmatch(r"\d{4}\s*(?:年\s*\d{1,2}\s*月(\s*\d{1,2}\s*日)?|([./-])\s*\d{1,2}\s*\2\s*\d{1,2})", folded) is not None
        if line.kind == "paragraph" and (
            len(folded) <= 30 and _sentence_free(folded) and (is_date or folded.endswith(org_suffixes)) or contact_line(folded)
        ):
            line.kind = "signature"
        else:
            break
    return result


def split_sentences(text: str, folded: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Split a long paragraph at sentence ends into pieces of at most ``limit`` characters."""
    if len(text) <= limit:
        return [text]
    cuts = [m.end() for m in _SENTENCE_END.finditer(folded)]
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        window_end = start + limit
        candidates = [c for c in cuts if start < c <= window_end]
        if not candidates:
            clause = [m.end() for m in _CLAUSE_END.finditer(folded, start + 1, window_end)]
            candidates = clause or [window_end]
        cut = candidates[-1]
        # Prefer a balanced split over a tiny tail piece.
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def section_for(path: list[Line], rules: domain.Rules) -> str | None:
    cues = rules.section_cues("heading_cues")
    order = rules.value("section", "order", default=["建议", "问题", "计划", "总结"])
    for line in path:  # the level-one heading first; lower ones only when it says nothing
        folded = normalize(line.heading or "")
        hits = [name for name in order if any(cue in folded for cue in cues.get(name, ()))]
        if "总结" in hits and "计划" in hits and len(hits) == 2:
            continue  # "2023年工作总结和2024年工作计划" names both: it decides nothing below it
        if hits:
            return hits[0]
    return None


def paragraph_section(folded: str, rules: domain.Rules) -> str | None:
    ends = folded[:60] + "\n" + folded[-40:]
    for name, cue_list in rules.section_cues("paragraph_cues").items():
        if any(cue in ends for cue in cue_list):
            return name
    return None


def structure(lines: list[str]) -> list[PassageDraft]:
    rules = domain.load_rules()
    classified = classify(lines)
    drafts: list[PassageDraft] = []
    stack: list[Line] = []
    seen_heading = False
    for paragraph, line in enumerate(classified):
        if line.kind in ("heading", "paragraph") and line.level:
            while stack and stack[-1].level >= line.level:
                stack.pop()
            stack.append(line)
            seen_heading = True
        elif line.kind == "paragraph":
            # An inline sub-point (一是…) heads only its own paragraph.
            while stack and stack[-1].level >= 5:
                stack.pop()
        path_lines = [s for s in stack if s.level >= 1]
        if line.kind in ("title", "signature"):
            section, path = "其他", ([line] if line.kind == "title" else [])
        else:
            path = path_lines
            section = paragraph_section(line.folded, rules) if line.kind == "paragraph" else None
            unclassified = False
            if section is None:
                section = section_for(path, rules) if seen_heading else "其他"
                unclassified = section is None and bool(path)
            section = section or "其他"
        heading_path = [p.label for p in path if p.label]
        heading_text = " ".join(p.heading for p in path if p.heading)
        years = [p.year for p in path if p.year and p.kind != "title"]
        is_heading = line.kind in ("title", "heading")
        for piece in split_sentences(line.text, line.folded):
            drafts.append(
                PassageDraft(
                    text=piece,
                    paragraph=paragraph,
                    heading_path=heading_path,
                    heading_text=heading_text,
                    section=section,
                    is_heading=is_heading,
                    level=line.level if is_heading else 0,
                    heading_year=years[-1] if years else None,
                    unclassified=line.kind not in ("title", "signature") and unclassified,
                )
            )
    return drafts
