"""Stage 5, metadata: township, county, year, report kind, publisher, from the text alone.

File names are never consulted. Everything is read from the normalized text, so names come
out in simplified script (桂竹帽鎮 → 桂竹帽镇). Placeholders of anonymized templates (``xx镇``,
``xxxx年``) contain no ideographs or digits where a name or year must be, so they never
produce a value.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from indexer import domain
from indexer.analysis import tokenizer
from indexer.clean import iso_date
from indexer.normalize import is_cjk, normalize
from indexer.structure import PassageDraft

FIELDS = ("title", "township", "county", "year", "kind", "publisher", "published", "index_number")


@dataclass
class ReportMetadata:
    title: str | None = None
    township: str | None = None
    county: str | None = None
    year: int | None = None
    year_inferred: bool = False
    kind: str = "其他"
    publisher: str | None = None
    published: str | None = None
    index_number: str | None = None  # 索引号 of a government web page
    evidence: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- township


def _is_dictionary_word(word: str) -> bool:
    return tokenizer().FREQ.get(word, 0) > 0


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    import jieba.posseg

    return jieba.posseg.POSTokenizer(tokenizer()).word_tag_tab


def _ends_with_common_word(prefix: str, rules: domain.Rules) -> bool:
    """True when the part before 乡/镇 ends in an ordinary word (代表镇, 和镇, 实现乡), not a name."""
    last = list(tokenizer().cut(prefix, HMM=False))[-1]
    if len(last) == 1:
        return last in rules.value("township", "function_chars", default="")
    common = tokenizer().FREQ.get(last, 0) >= 150
    return common and _word_tags().get(last, "n") not in ("ns", "nr", "nz", "nt", "j")


def township_candidates(text: str, rules: domain.Rules) -> Counter:
    """Names ending in 乡/镇/街道 with how strongly the text supports each."""
    suffixes = rules.list("township", "suffixes")
    not_names = rules.list("township", "not_names_ending")
    strong_after = rules.list("township", "strong_after")
    counts: Counter = Counter()
    names: set[str] = set()
    for suffix in suffixes:
        for match in re.finditer(re.escape(suffix), text):
            i = match.start()
            if suffix != "街道" and _is_dictionary_word(text[i : i + 2]) and text[i + 1 : i + 2] not in ("人", "政", "党", "委"):
                continue  # 乡村, 乡镇, 镇村, 乡贤…: the suffix character starts another word
            if not all(is_cjk(c) for c in text[max(0, i - 2) : i]) or i < 2:
                continue
            name = text[i - 2 : i] + suffix
            # Grow the name leftwards while every occurrence carries the same character:
            # 师殿镇 → 祖师殿镇, but not 汤垟乡 → 年汤垟乡.
            start = i - 2
            # Never across a function word or the county before the name (溆浦县|祖师殿镇).
            stops = rules.value("township", "function_chars", default="") + rules.value("township", "boundary_after", default="")
            while start > 0 and start > i - 4 and is_cjk(text[start - 1]) and text[start - 1] not in stops:
                longer = text[start - 1 : i] + suffix
                if text.count(longer) != text.count(name) or _is_dictionary_word(text[start - 2 : start]):
                    break
                name, start = longer, start - 1
            if any(c in name[:-len(suffix)] for c in "乡镇") or name.endswith(not_names) or _is_dictionary_word(text[start - 1 : start + 1]) or _ends_with_common_word(name[: -len(suffix)], rules):
                continue  # a common noun, or its first character ends the word before (政府和镇党委)
            names.add(name)
    self_refs = Counter()
    for suffix in suffixes:
        self_refs[suffix] = sum(text.count(p + suffix) for p in ("全", "我", "本"))
    own_suffix = self_refs.most_common(1)[0][0] if self_refs and self_refs.most_common(1)[0][1] else None
    boundary_after = rules.value("township", "boundary_after", default="")
    for name in names:
        occurrences = at_boundary = strong = 0
        for match in re.finditer(re.escape(name), text):
            occurrences += 1
            before = text[match.start() - 1] if match.start() else "\n"
            if not is_cjk(before) or before in boundary_after:
                at_boundary += 1
                strong += text.startswith(strong_after, match.end())
        # A name is believed when it once stands on its own (after punctuation, a county or a
        # year) or recurs often; "和镇党委" or "实现乡…" never do.
        # It must also be the kind of unit the report speaks as (全镇, 我乡) or be named as an
        # authority (…镇人民政府); "一镇三乡" is neither.
        own = bool(own_suffix and name.endswith(own_suffix))
        if (at_boundary or occurrences >= 3) and (strong or own):
            counts[name] = occurrences + at_boundary + 3 * strong + 2 * own
    return counts


def extract_township(text: str, title: str | None, publisher: str | None, rules: domain.Rules) -> tuple[str | None, str]:
    candidates = township_candidates(text, rules)
    for source in (publisher, title):
        for name in list(candidates):
            if source and name in normalize(source):
                candidates[name] += 5
    if not candidates:
        return None, "no 乡/镇/街道 name stated in the text"
    name, score = max(candidates.items(), key=lambda item: (item[1], len(item[0])))
    return name, f"{name} (score {score}; {text.count(name)} mentions)"


# ---------------------------------------------------------------------------- county


def extract_county(text: str, township: str | None, rules: domain.Rules) -> tuple[str | None, str]:
    """A county the text names in full, known to jieba's dictionary (溆浦县, 寻乌县)."""
    not_names = set(rules.list("county", "not_names"))
    counts: Counter = Counter()
    for match in re.finditer("县", text):
        i = match.start()
        for k in range(7, 1, -1):
            word = text[max(0, i - k) : i + 1]
            if len(word) == k + 1 and all(is_cjk(c) for c in word) and _is_dictionary_word(word) and word not in not_names:
                counts[word] += 1
                break
    if township:
        for county in counts:
            counts[county] += 3 * text.count(county + township)
    if not counts:
        return None, "no county named in the text"
    county, n = counts.most_common(1)[0]
    return county, f"{county} ({n})"


# ---------------------------------------------------------------------------- year

_REVIEW = (
    # 2023年工作总结, 2025年主要工作总结, 2023年上半年工作回顾: a few words between, no digits
    # or punctuation (so "2024年工作计划和2023年…" never pairs the wrong year).
    re.compile(r"(\d{4})年度?[^\d\s,.;:!?，。；：！？、]{0,8}?(?:总结|回顾)"),
    re.compile(r"(\d{4})年?[^\d\s,.;:!?，。；：！？、]{0,6}?开展情况"),
    re.compile(r"(\d{4})年以来"),
    re.compile(r"(\d{4})年?上半年"),
)
_PLAN = re.compile(r"(\d{4})年度?(?:工作)?(?:计划|安排|打算|要点)")
_PLAN_ERA = re.compile(r"[“\"]?(十[一二三四五]五)[”\"]?(?:规划)?(?:的|时期的)?(收官之年|最后一年|开局之年|起步之年|第一年)")


def extract_year(drafts: list[PassageDraft], rules: domain.Rules) -> tuple[int | None, bool, str]:
    earliest = int(rules.value("year", "earliest", default=1990))
    latest = int(rules.value("year", "latest", default=2035))
    plans = rules.value("year", "five_year_plans", default={})

    def valid(year: str | int) -> int | None:
        value = int(year)
        return value if earliest <= value <= latest else None

    # Title and headings first, then the opening, then everything.
    ordered = [d for d in drafts if d.is_heading] + [d for d in drafts if d.section == "其他" and not d.is_heading]
    ordered += [d for d in drafts if d not in ordered]
    for pattern in _REVIEW:
        for draft in ordered:
            for match in pattern.finditer(normalize(draft.text)):
                if year := valid(match.group(1)):
                    return year, False, f"{match.group(0)!r}"
    for draft in ordered:
        for match in _PLAN.finditer(normalize(draft.text)):
            if year := valid(match.group(1)):
                return year, False, f"{match.group(0)!r} (a plan only)"
    # "“十三五”规划的收官之年" names a year without digits; prefer what the review part says.
    review_first = sorted(drafts, key=lambda d: d.section not in ("总结", "其他"))
    for draft in review_first:
        for match in _PLAN_ERA.finditer(normalize(draft.text)):
            start = plans.get(match.group(1))
            if start is None:
                continue
            ends = match.group(2) in ("收官之年", "最后一年")
            year = start + 4 if ends else start
            if draft.section not in ("总结", "其他") and not ends:
                year -= 1  # a plan for the first year of a period reviews the year before it
            if valid(year):
                return year, True, f"inferred from {match.group(0)!r}"
    return None, False, "no year stated or inferable"


# ---------------------------------------------------------------------------- kind, publisher


def extract_kind(drafts: list[PassageDraft], rules: domain.Rules) -> str:
    opening = " ".join(normalize(d.text) for d in drafts if d.is_heading or d.section == "其他")
    if any(cue in opening for cue in rules.list("kind", "half_year")):
        return "半年"
    if any(cue in opening for cue in rules.list("kind", "annual")):
        return "年度"
    return "其他"


def extract_signature(lines: list[str], rules: domain.Rules) -> tuple[str | None, str | None]:
    """Publisher and date from the signature lines at the end of the report."""
    org_suffixes = rules.list("signature", "org_suffixes")
    publisher = date = None
    for line in reversed(lines[-4:]):
        folded = normalize(line)
        if len(folded) > 30:
            break
        if (found := iso_date(folded)) and date is None:
            date = found
        elif folded.endswith(org_suffixes) and (publisher is None or folded.endswith("人民政府")):
            publisher = line
    return publisher, date


def extract(lines: list[str], drafts: list[PassageDraft], format_metadata: dict[str, str]) -> ReportMetadata:
    rules = domain.load_rules()
    text = "\n".join(normalize(line) for line in lines)
    meta = ReportMetadata()
    titles = [d.text for d in drafts if d.is_heading and d.level == 0]
    meta.title = format_metadata.get("title") or (titles[0] if titles else None)
    signed_by, signed_on = extract_signature(lines, rules) if drafts and drafts[-1].section == "其他" else (None, None)
    meta.publisher = format_metadata.get("publisher") or signed_by
    meta.published = format_metadata.get("published") or signed_on
    meta.index_number = format_metadata.get("index_number")
    meta.township, meta.evidence["township"] = extract_township(text, meta.title, meta.publisher, rules)
    meta.county, meta.evidence["county"] = extract_county(text, meta.township, rules)
    meta.year, meta.year_inferred, meta.evidence["year"] = extract_year(drafts, rules)
    meta.kind = extract_kind(drafts, rules)
    return meta


def apply_overrides(meta: ReportMetadata, overrides: dict) -> list[str]:
    """Apply a person's corrections; returns a description of each change."""
    changes = []
    for key, value in overrides.items():
        if key not in FIELDS:
            changes.append(f"ignored unknown field {key!r}")
            continue
        if key == "year":
            value = int(value) if str(value).strip() else None
            meta.year_inferred = False
        else:
            value = str(value) or None
        old = getattr(meta, key)
        if old != value:
            setattr(meta, key, value)
            changes.append(f"{key}: {old!r} → {value!r}")
    return changes
