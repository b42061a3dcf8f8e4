"""Stage 5, metadata: township, county, city, province, year, kind, period, script, publisher.

Everything comes from the report's text (never from its file name), read in normalized form
so names come out in simplified script (桂竹帽鎮 → 桂竹帽镇). Placeholders of anonymized
templates (``xx镇``, ``xxxx年``) hold no ideographs or digits where a name or year must be,
so they never produce a value. An empty field is always better than a wrong one: a name
the text does not clearly claim as its own, a county the text does not state and the
gazetteer cannot deduce, a year without a cue, all stay empty.

Every extracted field says how it was found in ``evidence`` (title, signature, 我代表…,
self-reference, gazetteer …).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from indexer import domain, gazetteer
from indexer.analysis import tokenizer
from indexer.clean import iso_date
from indexer.contract import CONFIRMED, CORRECTED, GAZETTEER_UNIQUE, KINDS, NO_OWN_TOWNSHIP, NO_YEAR, NOT_IN_GAZETTEER, PERIODS
from indexer.normalize import is_cjk, normalize, translation_table
from indexer.structure import PassageDraft, contact_line, year_text

FIELDS = (
    "title",
    "township",
    "county",
    "city",
    "province",
    "division_code",
    "year",
    "kind",
    "period",
    "script",
    "publisher",
    "published",
    "index_number",
)


@dataclass
class ReportMetadata:
    title: str | None = None
    township: str | None = None
    county: str | None = None
    city: str | None = None
    province: str | None = None
    division_code: str | None = None
    year: int | None = None
    year_inferred: bool = False
    kind: str = "其他"
    period: str = "其他"
    script: str = "zh-Hans"
    publisher: str | None = None
    published: str | None = None
    index_number: str | None = None  # 索引号 of a government web page
    evidence: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- words


def _is_dictionary_word(word: str) -> bool:
    return tokenizer().FREQ.get(word, 0) > 0


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech tags of its dictionary's words (the table importing jieba.posseg
    loads; a POSTokenizer of our own would read the same dictionary file a second time)."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


def _ends_with_common_word(prefix: str, rules: domain.Rules) -> bool:
    """True when the part before 乡/镇 ends in an ordinary word (代表镇, 和镇, 实现乡), not a name."""
    last = list(tokenizer().cut(prefix, HMM=False))[-1]
    if len(last) == 1:
        return last in rules.value("township", "function_chars", default="")
    common = tokenizer().FREQ.get(last, 0) >= 150
    return common and _word_tags().get(last, "n") not in ("ns", "nr", "nz", "nt", "j")


def _suffix_of(name: str, rules: domain.Rules) -> str:
    return next((s for s in rules.list("township", "suffixes") if name.endswith(s)), name[-1])


def _stem(name: str, rules: domain.Rules) -> str:
    return name[: -len(_suffix_of(name, rules))]


def is_slogan(name: str, rules: domain.Rules) -> bool:
    """产业兴镇, 生态立乡, 文旅富镇: two characters of a noun, a verb of the slogan list, 乡/镇."""
    stem = _stem(name, rules)
    verbs = rules.value("township", "slogan_verbs", default="")
    return len(stem) == 3 and stem[-1] in verbs and all(is_cjk(c) for c in stem)


def _ethnic_pattern(rules: domain.Rules) -> re.Pattern:
    cached = rules.cache.get("ethnic")
    if cached is None:
        groups = sorted(rules.list("township", "ethnic_groups"), key=len, reverse=True)
        cached = rules.cache["ethnic"] = re.compile("(?:" + "|".join(map(re.escape, groups)) + ")族")
    return cached


def _ethnic_only(name: str, rules: domain.Rules) -> bool:
    """瑶族乡, 少数民族乡: peoples and a suffix, no place name (a template with the name stripped)."""
    stem = _stem(name, rules)
    return bool(stem) and _ethnic_pattern(rules).sub("", stem) == ""


def fold_names(text: str, rules: domain.Rules) -> str:
    """Normalized text with variant characters of names in the official list's form (畬 → 畲)."""
    variants = rules.cache.get("name_variants")
    if variants is None:
        pairs = rules.value("township", "name_variants", default={})
        variants = rules.cache["name_variants"] = ("".join(pairs), str.maketrans(pairs))
    folded = normalize(text)
    return folded.translate(variants[1]) if any(c in folded for c in variants[0]) else folded


def official_name(name: str, source: _Text, rules: domain.Rules) -> str | None:
    """The listed name a short form stands for: 莪山乡 → 莪山畲族乡, when only one fits (or only
    one lies in a county the text names)."""
    suffix = _suffix_of(name, rules)
    stem = _stem(name, rules)
    if len(stem) < 2:
        return None
    full = re.compile(re.escape(stem) + "(?:" + _ethnic_pattern(rules).pattern + ")+" + re.escape(suffix))
    found = [n for n in source.gazetteer.names_starting(stem, 4) if full.fullmatch(n)]
    if len(found) > 1:
        counties = {m.name for m in source.matches[3]}
        found = [n for n in found if any(p.county in counties for p in source.gazetteer.places(n, 4))]
    return found[0] if len(found) == 1 else None


def _needs_strong_cue(name: str, rules: domain.Rules) -> bool:
    """Names a sentence can produce by accident: slogans, one-character stems, common words
    (和平镇, 太平镇, 胜利乡, 中心镇, 建设镇). They count only where the text names them as
    the authority (title, signature, 我代表…, …人民政府)."""
    stem = _stem(name, rules)
    if len(stem) <= 1 or is_slogan(name, rules):
        return True
    return tokenizer().FREQ.get(stem, 0) >= 150 and _word_tags().get(stem, "n") not in ("ns", "nr", "nz", "nt")


# ---------------------------------------------------------------------------- township


def township_candidates(text: str, rules: domain.Rules) -> Counter:
    """Names ending in 乡/镇/街道 found without the gazetteer (older names, names missing from
    the official list), with how strongly the text supports each."""
    suffixes = rules.list("township", "suffixes")
    not_names = rules.list("township", "not_names_ending")
    strong_after = rules.list("township", "strong_after")
    stops = rules.value("township", "function_chars", default="") + rules.value("township", "boundary_after", default="")
    counts: Counter = Counter()
    names: set[str] = set()
    for suffix in suffixes:
        for match in re.finditer(re.escape(suffix), text):
            i = match.start()
            if len(suffix) == 1 and _is_dictionary_word(text[i : i + 2]) and text[i + 1 : i + 2] not in ("人", "政", "党", "委"):
                continue  # 乡村, 乡镇, 镇村, 乡贤…: the suffix character starts another word
            if not all(is_cjk(c) for c in text[max(0, i - 2) : i]) or i < 2:
                continue
            name = text[i - 2 : i] + suffix
            # Grow the name leftwards while every occurrence carries the same character:
            # 师殿镇 → 祖师殿镇, but not 汤垟乡 → 年汤垟乡.
            start = i - 2
            # Never across a function word or the county before the name (溆浦县|祖师殿镇).
            while start > 0 and start > i - 4 and is_cjk(text[start - 1]) and text[start - 1] not in stops:
                longer = text[start - 1 : i] + suffix
                if text.count(longer) != text.count(name) or _is_dictionary_word(text[start - 2 : start]):
                    break
                name, start = longer, start - 1
            if (
                any(c in name[: -len(suffix)] for c in "乡镇")
                or name.endswith(not_names)
                or _is_dictionary_word(text[start - 1 : start + 1])
                or _ends_with_common_word(name[: -len(suffix)], rules)
            ):
                continue  # a common noun, or its first character ends the word before (政府和镇党委)
            if is_slogan(name, rules):
                continue
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
        # year) or recurs often; "和镇党委" or "实现乡…" never do. It must also be the kind of
        # unit the report speaks as (全镇, 我乡) or be named as an authority (…镇人民政府).
        own = bool(own_suffix and name.endswith(own_suffix))
        if (at_boundary or occurrences >= 3) and (strong or own):
            counts[name] = occurrences + at_boundary + 3 * strong + 2 * own
    return counts


@dataclass
class _Candidate:
    name: str
    listed: bool = False  # in the gazetteer
    found_by_heuristic: int = 0
    mentions: int = 0
    authority: int = 0  # …人民政府, …党委 right after the name
    cues: list[str] = field(default_factory=list)

    @property
    def strong(self) -> bool:
        return bool(self.cues) or self.authority > 0


class _Text:
    """The normalized report text with the places the gazetteer finds in it."""

    def __init__(self, text: str, rules: domain.Rules):
        self.text = text
        self.rules = rules
        self.gazetteer = gazetteer.load()
        self.matches = {level: self.gazetteer.find(text, level) for level in (1, 2, 3)}
        self.division_ends = {m.end: m for level in (1, 2, 3) for m in self.matches[level]}
        self.townships = [m for m in self.gazetteer.find(text, 4) if self.at_boundary(m.start)]

    def at_boundary(self, start: int) -> bool:
        return _starts_name(self.text, start, self.rules, self.division_ends)


def _starts_name(text: str, start: int, rules: domain.Rules, division_ends) -> bool:
    """A name can start here: after punctuation, a county or year (县|年), a function word,
    代表/中共/关于, or a division name (湖南省|溆浦县|)."""
    if start == 0 or not is_cjk(text[start - 1]):
        return True
    stops = rules.value("township", "boundary_after", default="") + rules.value("township", "function_chars", default="")
    if text[start - 1] in stops:
        return True
    return text[max(0, start - 2) : start] in rules.list("township", "before_name") or start in division_ends


def _names_in(line: str, source: _Text, rules: domain.Rules) -> list[str]:
    """Township names in one line the text names its issuer or title with: a gazetteer name,
    else the ideographs between a boundary (county, year, 中共, 关于…) and 乡/镇/街道/苏木."""
    names: list[str] = []
    division_ends = {m.end for level in (1, 2, 3) for m in source.gazetteer.find(line, level)}

    def at_boundary(start: int) -> bool:
        return _starts_name(line, start, rules, division_ends)

    listed = [m for m in source.gazetteer.find(line, 4) if at_boundary(m.start)]
    names += [m.name for m in listed]
    covered = {m.end for m in listed}
    not_names = rules.list("township", "not_names_ending")
    for suffix in rules.list("township", "suffixes"):
        for match in re.finditer(re.escape(suffix), line):
            end = match.end()
            if end in covered or (
                len(suffix) == 1
                and _is_dictionary_word(line[match.start() : match.start() + 2])
                and line[end : end + 1] not in ("人", "政", "党", "委", "第")
            ):
                continue
            start = match.start()
            while start > 0 and is_cjk(line[start - 1]) and match.start() - start < 6 and not at_boundary(start):
                start -= 1
            stem = line[start : match.start()]
            name = stem + suffix
            if (
                2 <= len(stem) <= 4
                and at_boundary(start)
                and not any(c in stem for c in "乡镇")
                and not name.endswith(not_names)
                and not _ends_with_common_word(stem, rules)
                and not is_slogan(name, rules)
            ):
                names.append(name)
    return names


_TOC_ITEM = re.compile(r"目录|\s+(?=\d{1,2}[.、])")


def _compilation(source: _Text, rules: domain.Rules) -> list[str]:
    """Names of several reports in one file (a compilation, or its table of contents)."""
    kinds = rules.list("kind", "title_words")
    titled: set[str] = set()
    for line in source.text.split("\n"):
        # A table of contents flattened into one line: "目录1.2024年高沟镇政府工作报告 2.2024年…".
        segments = _TOC_ITEM.split(line) if len(line) > 60 and any(k in line for k in kinds) else (line,)
        for segment in segments:
            if len(segment) <= 60 and any(k in segment for k in kinds):
                for match in source.gazetteer.find(segment, 4):
                    titled.add(match.name)
    spoken = {m.group(1) for m in re.finditer(r"代表([^\s,，。:：、]{2,12}?)(?:人民政府|政府)", source.text)}
    speakers = {n for s in spoken for n in _names_in(s, source, rules)}
    if len(titled) >= 3:
        return sorted(titled)
    if len(speakers) >= 2:
        return sorted(speakers)
    # 篇1 / 篇2, 【第二篇】: pieces of a collection; the townships they name decide nothing.
    pieces = re.findall(rules.value("township", "compilation_piece", default="(?!)"), source.text, re.M)
    if len(pieces) >= 2:
        return sorted({m.name for m in source.townships}) or ["?"]
    return []


def _township_candidates(source: _Text, title: str, issuers: list[str], rules: domain.Rules) -> dict[str, _Candidate]:
    text = source.text
    candidates: dict[str, _Candidate] = {}

    def candidate(name: str) -> _Candidate:
        if name not in candidates:
            candidates[name] = _Candidate(name, listed=bool(source.gazetteer.places(name, 4)))
        return candidates[name]

    for match in source.townships:
        if not match.name.endswith(rules.list("township", "not_names_ending")):
            candidate(match.name)
    for name, score in township_candidates(text, rules).items():
        candidate(name).found_by_heuristic = score
    for name in _names_in(title, source, rules):
        candidate(name).cues.append("标题")
    for line in issuers:
        for name in _names_in(line, source, rules):
            candidate(name).cues.append("落款")
    for match in re.finditer(r"代表([^\s,，。:：、]{2,16}?)(?:人民政府|政府)", text):
        for name in _names_in(match.group(1), source, rules):
            candidate(name).cues.append("我代表…人民政府")
    for match in re.finditer(r"([^\s,，。:：、]{2,14}?)第[^\s,，。]{1,4}届人民代表大会", text):
        for name in _names_in(match.group(1), source, rules):
            candidate(name).cues.append("人民代表大会")
    for match in re.finditer(r"中共([^\s,，。:：、]{2,16}?)(?:委员会|党委)", text):
        for name in _names_in(match.group(1), source, rules):
            candidate(name).cues.append("中共…委员会")
    # News of its congress: 审议通过了《巩营乡人民政府工作报告》.
    for match in re.finditer(r"《([^\s《》]{2,16}?)(?:人民政府|政府)工作报告》", text):
        for name in _names_in(match.group(1), source, rules):
            candidate(name).cues.append("《…人民政府工作报告》")
    # A 述职: "调入雁门口镇工作 … 当选为镇长", "调任城步县茅坪镇党委副书记、镇长".
    posted = "|".join(map(re.escape, rules.list("township", "posted_to"))) or "(?!)"
    for match in re.finditer(rf"(?:{posted})([^\s,，。:：、]{{2,14}}?)(?:工作|党委|人民政府|政府|任|担任|[,，。])", text):
        for name in _names_in(match.group(1), source, rules):
            if _suffix_of(name, rules)[0] + "长" in text or "书记" in text or "主任" in text:
                candidate(name).cues.append("述职:调入/调任")
    for name in _opening_subjects(source, title, rules):
        candidate(name).cues.append("开头一句以它为主语")
    strong_after = rules.list("township", "strong_after")
    for name, found in candidates.items():
        for match in re.finditer(re.escape(name), text):
            if found.listed and not source.at_boundary(match.start()):
                continue  # 上塘镇 is not 塘镇
            found.mentions += 1
            found.authority += text.startswith(strong_after, match.end())
    return candidates


# What an opening sentence may start with before its subject: a time (2023年, 今年以来, 一年来),
# a date (3月5日), a county or city (清丰县).
_LEAD = re.compile(
    r"^(?:(?:\d{4}年(?:上半年|下半年|度|以来)?|今年以来|今年上半年|一年来|过去的一年|近年来|\d{1,2}月\d{1,2}日(?:上午|下午)?)[,，]?\s*)?"
)


def _opening_subjects(source: _Text, title: str, rules: domain.Rules) -> list[str]:
    """The township an opening sentence is about, standing first as its subject: 蛇窝泊镇下辖28个
    行政村…, 2022年以来，豫灵镇锚定…, 3月5日，清丰县巩营乡第十届… (the first paragraphs only)."""
    found: list[str] = []
    paragraphs = [line for line in source.text.split("\n")[:8] if len(line) > 30 and line != title][:3]
    for paragraph in paragraphs:
        head = paragraph[_LEAD.match(paragraph).end() :][:24]
        for name in _names_in(head, source, rules):
            at = head.find(name)
            if at == 0 or at in {m.end for level in (1, 2, 3) for m in source.gazetteer.find(head[:at], level)}:
                found.append(name)
    return found


def _own_suffix(text: str, rules: domain.Rules) -> str | None:
    """The kind of unit the report speaks as: 全镇/我镇 → 镇, 全乡 → 乡, 全街道 → 街道."""
    refs = Counter({s: sum(text.count(p + s) for p in ("全", "我", "本")) for s in rules.list("township", "suffixes")})
    best = refs.most_common(1)
    return best[0][0] if best and best[0][1] else None


def choose_township(source: _Text, title: str, issuers: list[str], rules: domain.Rules) -> tuple[str | None, str]:
    compiled = _compilation(source, rules)
    if compiled:
        return None, f"未判定: 多篇报告的汇编, 提到{len(compiled)}个乡镇({'、'.join(compiled[:4])}…)"
    own = _own_suffix(source.text, rules)
    scored: list[tuple[float, str, str]] = []
    for name, found in _township_candidates(source, title, issuers, rules).items():
        if (found.mentions == 0 and not found.cues) or _ethnic_only(name, rules):
            continue
        self_reference = bool(own and name.endswith(own))
        if found.strong:
            pass
        elif _needs_strong_cue(name, rules):
            continue
        elif found.mentions < 2 or not (found.found_by_heuristic or (found.listed and self_reference)):
            continue  # without a cue, a name must recur and be the kind of unit the report speaks as
        cue_names = list(dict.fromkeys(found.cues))
        score = 8 * len(cue_names) + 3 * min(found.authority, 3) + 2 * self_reference + min(found.mentions, 6) + found.listed
        why = cue_names + ([f"{name}人民政府/党委 ×{found.authority}"] if found.authority else [])
        why += ["自称(全/我/本" + (own or "") + ")"] if self_reference else []
        why += [f"出现{found.mentions}次"] + (["在官方区划名录中"] if found.listed else [f"{NOT_IN_GAZETTEER}(可信度较低)"])
        scored.append((score, name, "; ".join(why)))
    if not scored:
        return None, NO_OWN_TOWNSHIP
    scored.sort(key=lambda item: (-item[0], -len(item[1])))
    score, name, why = scored[0]
    if not source.gazetteer.places(name, 4) and (full := official_name(name, source, rules)):
        return full, f"{why}; 是官方区划名录中{full}的简称"
    return name, why


# ---------------------------------------------------------------------------- county, city, province


def _visited(source: _Text, rules: domain.Rules) -> list[tuple[int, int]]:
    """Where the text names a place another unit is in, after a word of a visit or a partnership
    (赴北京市房山区长沟镇, 与山西省运城市临猗县七级镇): the chain of divisions and the township after it."""
    verbs = tuple(rules.list("county", "visit_before"))
    starts = {m.start: m for m in source.townships}
    spans = []
    for match in sorted((m for level in (1, 2, 3) for m in source.matches[level]), key=lambda m: m.start):
        start = match.start
        while start in source.division_ends and source.division_ends[start].start < start:
            start = source.division_ends[start].start
        if verbs and source.text[max(0, start - 2) : start].endswith(verbs):
            end = match.end
            spans.append((start, starts[end].end if end in starts else end))
    return spans


def _stated_divisions(source: _Text, rules: domain.Rules, visited: list[tuple[int, int]] = ()) -> dict[int, Counter]:
    """County-, city- and province-level names the text states (after a boundary), not where it
    names the places of a visit or a partner (``visited``)."""
    not_names = set(rules.list("county", "not_names"))
    stated: dict[int, Counter] = {1: Counter(), 2: Counter(), 3: Counter()}
    township_starts = {m.start for m in source.townships}
    before, after = rules.list("county", "short_name_before"), rules.list("county", "short_name_after")
    for level in (1, 2, 3):
        for match in source.matches[level]:
            if match.name in not_names:
                continue
            # 和县, 南县, 城区: two characters only count right before a township or after a city,
            # or where the report places itself in them or names them as its authority.
            placed = source.text[max(0, match.start - 2) : match.start] in before or source.text.startswith(after, match.end)
            if len(match.name) <= 2 and match.start not in source.division_ends and match.end not in township_starts and not placed:
                continue
            if any(a <= match.start < b for a, b in visited):
                continue
            if source.at_boundary(match.start) or placed:
                stated[level][match.name] += 1
    return stated


def _unlisted_county_before(township: str, text: str, source: _Text, rules: domain.Rules) -> list[str]:
    """南投县竹山镇: a county jieba knows but the official list lacks, right before the township."""
    not_names = set(rules.list("county", "not_names"))
    found = []
    at = text.find("县" + township)
    while at > 0:
        for k in range(7, 2, -1):
            word = text[max(0, at + 1 - k) : at + 1]
            if (
                len(word) == k
                and all(is_cjk(c) for c in word)
                and _is_dictionary_word(word)
                and word not in not_names
                and not source.gazetteer.official_names(word, 3)
            ):
                found.append(word)
                break
        at = text.find("县" + township, at + 1)
    return found


def _legacy_counties(source: _Text, rules: domain.Rules) -> Counter:
    """Counties jieba knows that the official list lacks (renamed or merged since)."""
    not_names = set(rules.list("county", "not_names"))
    counts: Counter = Counter()
    text = source.text
    for match in re.finditer("县", text):
        i = match.start()
        for k in range(7, 1, -1):
            word = text[max(0, i - k) : i + 1]
            if len(word) == k + 1 and all(is_cjk(c) for c in word) and _is_dictionary_word(word) and word not in not_names:
                if not source.gazetteer.official_names(word, 3):  # (芷江县 is 芷江侗族自治县)
                    counts[word] += 1
                break
    return counts


def _head_counties(source: _Text, head: str, rules: domain.Rules) -> list[str]:
    """Counties the title or the issuer (a portal's 发布机构: 云和县赤石乡人民政府) states."""
    not_names = set(rules.list("county", "not_names"))
    found = []
    after = rules.list("county", "short_name_after")
    for match in source.gazetteer.find(head, 3):
        # (费县人民政府办公室: a name of one character and 县 counts as an authority)
        long_enough = len(match.name) > 2 or head.startswith(after, match.end)
        if match.name not in not_names and long_enough and _starts_name(head, match.start, rules, set()):
            found.append(match.name)
    return found


def _self_located(source: _Text) -> dict[int, list[str]]:
    """我乡地处武乡县东部, 沐尘畲族乡位于龙游县南部, 我镇地处湖州市西北部: the province, city and
    county (levels 1–3) a report places itself in: the names that follow one another right after
    the verb (浙江省湖州市长兴县…), never a neighbour further on (…，与安徽省广德市接壤)."""
    text, found = source.text, {1: [], 2: [], 3: []}
    for verb in ("地处", "位于", "坐落"):
        at = text.find(verb)
        while at > 0:
            if text[at - 1] in "乡镇道木":  # 乡, 镇, 街道, 苏木 right before: the report's own unit
                window = text[at + 2 : at + 16].lstrip("在于")
                names = {(m.start, level): m for level in (1, 2, 3) for m in source.gazetteer.find(window, level)}
                start = 0
                while chained := [(level, m) for (begin, level), m in names.items() if begin == start]:
                    level, match = max(chained, key=lambda lm: len(lm[1].name))
                    if level < 3 or len(match.name) > 2:
                        found[level].append(match.name)
                    start = match.end
            at = text.find(verb, at + 2)
    return {level: list(dict.fromkeys(names)) for level, names in found.items()}


@dataclass
class _Location:
    county: str | None = None
    city: str | None = None
    province: str | None = None
    code: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)


def _fill_from(place: gazetteer.Place, location: _Location, why: str) -> None:
    location.county = location.county or place.county
    location.city, location.province = place.city, place.province
    if place.level == 4:
        location.code = place.code
    for key in ("county", "city", "province"):
        location.evidence.setdefault(key, why)


def _written(name: str, level: int, where: str, source: _Text, after: str = "") -> bool:
    """``name`` (then ``after``) is in ``where`` in any of its forms (芷江侗族自治县 or 芷江县)."""
    return any(form + after in where for form in source.gazetteer.forms(name, level))


def _own_regions(source: _Text, located: dict[int, list[str]], rules: domain.Rules) -> dict[int, set[str]]:
    """Cities and provinces the text gives as its own: its authorities (洛阳市委, 温州市委、市政府,
    甘肃省委), where it places itself (我镇地处湖州市西北部), the honours and programmes only they
    give their own places (争创浙江省…先行镇, 被列入云南省首批…名单, 荣获福建省…称号). A partner,
    a neighbour or a place visited is named otherwise. Several different ones of a level (a list
    of visits to …市委党校) decide nothing."""
    after = rules.list("county", "superior_after")
    honours = rules.list("county", "honour_verbs")
    text = source.text
    found: dict[int, set[str]] = {1: set(located[1]), 2: set(located[2])}
    for level in (1, 2):
        for match in source.matches[level]:
            if text.startswith(after, match.end) and not text.startswith("委党校", match.end) or text.endswith(honours, 0, match.start):
                found[level].add(match.name)
    return {level: names if len(names) == 1 else set() for level, names in found.items()}


def locate(source: _Text, township: str | None, title: str, issuers: list[str], rules: domain.Rules) -> _Location:
    visited = _visited(source, rules)
    stated = _stated_divisions(source, rules, visited)
    counties, cities, provinces = stated[3], stated[2], stated[1]
    location = _Location()
    text = source.text
    for a, b in visited:  # (a visit's 房山区长沟镇 never places the report)
        text = text[:a] + "□" * (b - a) + text[b:]
    head = "\n".join([title] + issuers)
    for county in _head_counties(source, head, rules):  # the title or 发布机构 (天全县城厢镇) count as stated
        counties[county] += not counties[county]
    adjacent = [c for c in counties if township and (_written(c, 3, text, source, township) or _written(c, 3, head, source, township))]
    self_located = _self_located(source)
    located = self_located[3]
    repeated = [c for c, n in counties.most_common() if n >= 2]
    if len(repeated) > 1 and counties[repeated[0]] == counties[repeated[1]]:
        repeated = []  # several counties named as often (a list of places): none is the report's own
    # A county the report states as its own: right before its township, in its title or
    # signature, where it locates itself (我乡地处…县), or named more often than any other;
    # never one mentioned in passing.
    in_head = [c for c in counties if _written(c, 3, head, source)]
    own_counties = adjacent or in_head or located or repeated
    places = source.gazetteer.places(township, 4) if township else ()
    if places:
        # The official list decides; a county the text names elsewhere (a partner district,
        # a study trip) never overrides it.
        matching = sorted((p for p in places if p.county in counties), key=lambda p: (p.county not in own_counties, -counties[p.county]))
        if matching:
            _fill_from(matching[0], location, f"原文提到{matching[0].county}; 官方区划名录")
            location.evidence["county"] = f"原文({matching[0].county}" + (f"{township})" if matching[0].county in adjacent else ")")
            return location
        # Only a city or province the report gives as its own address (in the title or
        # signature, right before the township, where it places itself), as its own authority
        # (洛阳市委) or as the giver of its honours narrows the choice: a partner's 四川省
        # elsewhere, or a neighbour across the border, does not.
        own = _own_regions(source, self_located, rules)
        cities = Counter({c: n for c, n in cities.items() if _written(c, 2, head, source) or _written(c, 2, text, source, township) or c in own[2]})
        cities.update(own[2] - set(cities))
        provinces = Counter(
            {
                p: n
                for p, n in provinces.items()
                if p in head or p + township in text or p in own[1] or any(p + f in text for c in cities for f in source.gazetteer.forms(c, 2))
            }
        )
        provinces.update(own[1] - set(provinces))
        narrowed = [p for p in places if (not cities or p.city in cities) and (not provinces or p.province in provinces)]
        if (cities or provinces) and len(narrowed) == 1:
            _fill_from(
                narrowed[0],
                location,
                f"官方区划名录中{narrowed[0].city or narrowed[0].province}只有一个{township}(原文提到{narrowed[0].city or narrowed[0].province})",
            )
            return location
        if elsewhere := _unlisted_county_before(township, text + "\n" + head, source, rules):
            # 南投县竹山镇: the text puts it in a county the official list does not have (Taiwan,
            # or a county renamed since): a namesake on the list is another place.
            location.county = elsewhere[0]
            location.evidence["county"] = f"原文({elsewhere[0]}{township}; {elsewhere[0]}不在2025年官方区划名录中)"
            return location
        if len(places) == 1 and not adjacent:
            _fill_from(places[0], location, GAZETTEER_UNIQUE)
            return location
        pool = narrowed or list(places)
        if len({p.province for p in pool}) == 1:
            location.province = pool[0].province
            location.evidence["province"] = f"官方区划名录: {'那里' if narrowed else ''}所有的{township}都在{pool[0].province}"
        if len({p.city for p in pool}) == 1:
            location.city = pool[0].city
            location.evidence["city"] = f"官方区划名录: {'那里' if narrowed else ''}所有的{township}都在{pool[0].city}"
        if not adjacent:
            location.evidence["county"] = f"留空: 官方区划名录有{len(places)}个{township}, 原文没有提到其中任何一个所在的县"
            return location
        own_counties = adjacent  # a county the official list does not pair with it: as the text says
    if own_counties:
        county = own_counties[0] if len(own_counties) == 1 or adjacent else counties.most_common(1)[0][0]
        matches = source.gazetteer.places(county, 3)
        location.county = county
        how = "紧接在乡镇名之前" if county in adjacent else "在标题或落款中" if county in in_head else f"出现{counties[county]}次"
        location.evidence["county"] = f"原文({county}, {how})"
        within = [p for p in matches if (not cities or p.city in cities) and (not provinces or p.province in provinces)] or list(matches)
        if len(within) == 1:
            location.city, location.province = within[0].city, within[0].province
            location.evidence["city"] = location.evidence["province"] = f"官方区划名录: {county}属{within[0].city or ''}{within[0].province}"
        return location
    legacy = _legacy_counties(source, rules)
    if township:
        for county in list(legacy):
            legacy[county] += 3 * text.count(county + township)
    legacy_own = [c for c, n in legacy.most_common() if n >= 2 or c in head]
    if legacy_own:
        location.county = legacy_own[0]
        location.evidence["county"] = f"原文({legacy_own[0]}; 不在2025年官方区划名录中: 旧名?)"
    if len(cities) == 1 or (cities and cities.most_common(1)[0][0] in head):
        location.city = cities.most_common(1)[0][0]
        location.evidence["city"] = f"原文({location.city})"
    if len(provinces) == 1 or (provinces and provinces.most_common(1)[0][0] in head):
        location.province = provinces.most_common(1)[0][0]
        location.evidence["province"] = f"原文({location.province})"
    return location


# ---------------------------------------------------------------------------- year

_WORDS = r"[^\d\s,.;:!?，。；：！？、()（）“”\"]"
_REVIEW = (
    # 2023年工作总结, 2025年主要工作总结, 回顾总结2021年工作, 2023年上半年工作回顾: a few words
    # between, no digits or punctuation (so "2024年工作计划和2023年…" never pairs the wrong year).
    re.compile(rf"(?<!\d)(\d{{4}})年?度?{_WORDS}{{0,10}}?(?:总结|回顾|汇报|述职)"),
    re.compile(r"(?:回顾|总结)(?:一下)?(\d{4})年"),
    re.compile(rf"(?<!\d)(\d{{4}})年度?{_WORDS}{{0,10}}?(?:开展情况|推进情况|完成情况|工作情况|进展情况|落实情况)"),
    re.compile(r"(?<!\d)(\d{4})年(?:工作)?和[“\"]?十[一二三四五]五[”\"]?时期"),
    re.compile(r"现将(\d{4})年度?"),
    re.compile(r"(?<!\d)(\d{4})年以来"),
    re.compile(r"(?<!\d)(\d{4})年度?(?:上|下)半年"),
)
_PLAN = re.compile(rf"(?<!\d)(\d{{4}})年?度?{_WORDS}{{0,10}}?(?:工作计划|计划|安排|打算|要点|思路)")
_GOVERNMENT_TITLE = re.compile(r"(?<!\d)(\d{4})年?度?[^\d\n]{0,12}?政府工作报告")
_OPENING_YEAR = re.compile(r"^(\d{4})年(?:度)?(?:[,，是]|以来|,|全)")
# The line under a title that dates a speech or a session: "——2021年3月1日在城厢镇第十八届
# 人民代表大会第二次会议上", "（2021年9月16日）".
_SESSION_DATE = re.compile(
    r"^[—\-－\s(（]*在?\s*(\d{4})年([一二三四五六七八九十]{1,2}|\d{1,2})月([一二三四五六七八九十]{1,3}|\d{1,2})日"
    r"(?:[)）]\s*$|[^\n]{0,40}(?:代表大会|会议))"
)
# A title whose year comes last: "…亮点工作总结2021", "工作总结（2021年度）".
_TITLE_LAST_YEAR = re.compile(r"(?:总结|计划|报告|汇报|要点)\s*[(（]?(\d{4})年?度?[)）]?$")
# The unit's own results for a year: "全镇2020年共完成", "2020年全乡", "2020年，我镇" (not a date).
_SELF_YEAR = re.compile(r"(?:全|我|本)(?:乡|镇|街道|苏木)(\d{4})年(?!\d{1,2}月)|(?<!\d)(\d{4})年度?[,，]?(?:全|我|本)(?:乡|镇|街道|苏木)")
# 施政成果报告 (a Taiwan 公所's yearly results): the year it reports on.
_TITLE_RESULTS = re.compile(r"(?<!\d)(\d{4})年度?[^\d\n]{0,8}?成果报告")
_ROC_YEAR = re.compile(r"(?<![\d〇○零一二三四五六七八九十百])(?:民国)?(\d{2,3}|[一二三四五六七八九〇○零十百]{2,5})(?=年)")
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})年(\d{1,2})月\d{1,2}日")
# News of a session without its date: the year the session plans for (2024年全乡将…).
_NEWS_PLAN = re.compile(r"(?<!\d)(\d{4})年[,，]?[^。；;\d]{0,8}?将")
# The years a plan of several years covers (“十四五”时期（2021—2025年）): it is for its first one.
_PLAN_SPAN = re.compile(r"(?<!\d)(\d{4})\s*[-—–~至到]\s*(\d{4})年")
_PLAN_ERA = re.compile(r"[“\"]?(十[一二三四五]五)[”\"]?(?:规划)?(?:的|时期的)?(收官之年|最后一年|开局之年|起步之年|第一年)")


def _title_year(folded_title: str, kind: str, valid) -> tuple[int, bool, str] | None:
    """The year a title names for the report: for a 政府工作报告 its year is the answer (it
    reviews the year before), and news or an interpretation of "2023年…政府工作报告" is about
    that report."""
    if (match := _GOVERNMENT_TITLE.search(folded_title)) and (year := valid(match.group(1))):
        return year, False, f"标题「{match.group(0)}」"
    if kind == "政府工作报告" and (match := re.search(r"(?<!\d)(\d{4})年", folded_title)) and (year := valid(match.group(1))):
        return year, False, f"标题「{match.group(0)}」"
    for pattern in _REVIEW[:4] + (_TITLE_LAST_YEAR, _TITLE_RESULTS):
        if (match := pattern.search(folded_title)) and (year := valid(match.group(1))):
            return year, False, f"标题「{match.group(0)}」"
    if kind == "工作计划" and (match := _PLAN.search(folded_title)) and (year := valid(match.group(1))):
        return year, False, f"标题「{match.group(0)}」(计划)"
    return None


def site_title(title: str | None, names: list[str], rules: domain.Rules) -> bool:
    """A site's label over a copied report (2023年乡镇上半年工作总结范文, 乡镇2024年工作总结模板):
    it names no township and speaks of 乡镇 in general or of 范文; its year is the site's, not
    necessarily the report's."""
    folded = normalize(title or "")
    return bool(folded) and not names and any(word in folded for word in rules.list("year", "site_title_words"))


def extract_year(
    drafts: list[PassageDraft],
    rules: domain.Rules,
    title: str | None = None,
    kind: str = "其他",
    dates: list[str] | None = None,
    session: str | None = None,
    title_of_site: bool = False,
) -> tuple[int | None, bool, str]:
    """The year the report is for: a summary's year, a plan's year, a 政府工作报告's title year.
    Under a site's title (``title_of_site``), what the report says of itself comes first."""
    earliest = int(rules.value("year", "earliest", default=1990))
    latest = int(rules.value("year", "latest", default=2035))
    if dates:  # a report is never for a year after the one following its signing or publication
        latest = min(latest, max(int(d[:4]) for d in dates) + 1)
    plans = rules.value("year", "five_year_plans", default={})

    def valid(year: str | int) -> int | None:
        value = int(year)
        return value if earliest <= value <= latest else None

    # Taiwan's pages count years from 1912 (一一二年度 = 2023).
    opening = "\n".join(normalize(d.text) for d in drafts[:4])  # (their title or first lines say 公所)
    roc = any(cue in opening for cue in rules.list("year", "roc_cues"))
    years = (lambda text: western_years(year_text(text))) if roc else year_text
    folded_title = years(normalize(title or ""))
    # The title first, unless it is a site's label.
    named_in_title = _title_year(folded_title, kind, valid)
    if named_in_title and not title_of_site:
        return named_in_title
    if title_of_site:
        folded_title = ""
    if kind == "其他" and session_news(_opening(drafts, title), rules):
        # News of a congress session: the year of the session (a December one opens the next
        # year's), as the news dates it, else as the page does.
        news = years("\n".join(normalize(d.text) for d in drafts[:6]))
        found = _FULL_DATE.search(news)
        session_on = f"{found.group(1)}-{int(found.group(2)):02d}" if found else (dates[-1][:7] if dates else None)
        if session_on and (year := valid(int(session_on[:4]) + (int(session_on[5:7]) >= 12))):
            return year, not found, f"人代会新闻: 会议于{session_on}召开"
        if (match := _NEWS_PLAN.search(news)) and (year := valid(match.group(1))):
            return year, True, f"人代会新闻: 部署「{match.group(0)}」"

    # Headings first, then the opening, then everything (a site's title left out).
    texts = {id(d): years(normalize(d.text)) for d in drafts}
    ordered = [d for d in drafts if d.is_heading] + [d for d in drafts if d.section == "其他" and not d.is_heading]
    seen = {id(d) for d in ordered}
    ordered += [d for d in drafts if id(d) not in seen]
    if title_of_site:
        ordered = [d for d in ordered if not (d.is_heading and d.level == 0)]
    if kind == "政府工作报告" and session:
        # A session in December already opens the next year's report.
        if year := valid(int(session[:4]) + (int(session[5:7]) >= 12)):
            return year, False, f"报告所在的会议({session}; 12月的会议属下一年)"
    if kind == "政府工作报告":
        for draft in ordered:
            for pattern in _REVIEW[:5]:
                for match in pattern.finditer(texts[id(draft)]):
                    if (year := valid(match.group(1))) and valid(year + 1):
                        return year + 1, True, f"由「{match.group(0)}」推断(政府工作报告回顾的是上一年)"
    if kind != "工作计划":
        for pattern in _REVIEW:
            for draft in ordered:
                for match in pattern.finditer(texts[id(draft)]):
                    if year := valid(match.group(1)):
                        return year, False, f"正文「{match.group(0)}」"
    if (match := _PLAN.search(folded_title)) and (year := valid(match.group(1))):
        return year, False, f"标题「{match.group(0)}」(计划)"
    # A paragraph of the opening or of the review that starts with its year ("2021年，…"): in a
    # summary it says more than the year of the plan part at its end.
    opening_year = None
    for draft in drafts:
        if draft.section in ("其他", "总结") and not draft.is_heading:
            if (match := _OPENING_YEAR.match(texts[id(draft)])) and (year := valid(match.group(1))):
                opening_year = year, False, f"段首「{match.group(0)}」"
                break
    if opening_year and kind in ("工作总结", "总结与计划"):
        return opening_year
    if named_in_title and kind != "工作计划":
        return named_in_title  # a site's title: a summary saying no more than its plan's year
    for draft in ordered:
        for match in _PLAN.finditer(texts[id(draft)]):
            if year := valid(match.group(1)):
                return year, False, f"正文「{match.group(0)}」(只有计划)"
    if opening_year:
        return opening_year
    if named_in_title:
        return named_in_title  # a site's title over a plan stating no year of its own
    if kind == "工作计划":
        for text in [folded_title] + [texts[id(d)] for d in drafts[:4]]:
            for match in _PLAN_SPAN.finditer(text):
                first, last = int(match.group(1)), int(match.group(2))
                if first < last <= first + 15 and (year := valid(first)):
                    return year, True, f"规划期「{match.group(0)}」的第一年"
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
                return year, True, f"由「{match.group(0)}」推断"
    # A summary's review part giving the unit's own results for a year ("全镇2020年共完成…").
    if kind in ("工作总结", "总结与计划"):
        own = Counter(
            int(match.group(1) or match.group(2))
            for draft in drafts
            if draft.section == "总结" and not draft.is_heading
            for match in _SELF_YEAR.finditer(texts[id(draft)])
        )
        ranked = [(year, n) for year, n in own.most_common() if valid(year)]
        if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            return ranked[0][0], True, f"由回顾部分{ranked[0][0]}年的成绩推断(全镇{ranked[0][0]}年…)"
    # The date it was signed or published: a summary written early in a year is about the year before.
    for date in dates or ():
        year, month = int(date[:4]), int(date[5:7])
        if kind == "工作计划":
            guess = year + 1 if month >= 11 else year
        elif kind == "政府工作报告":
            guess = year
        else:
            guess = year - 1 if month <= 3 else year
        if valid(guess):
            return guess, True, f"由日期{date}推断"
    return None, False, NO_YEAR


def _small_number(text: str) -> int:
    """1–31 written in digits or in Chinese numerals (一月二十二日)."""
    if text.isdigit():
        return int(text)
    digits = "一二三四五六七八九"
    tens, _, ones = text.rpartition("十")
    if "十" not in text:
        return digits.index(text) + 1 if len(text) == 1 else 0
    return (digits.index(tens) + 1 if tens else 1) * 10 + (digits.index(ones) + 1 if ones else 0)


def western_years(text: str) -> str:
    """ROC years (一一二年, 九十二年度, 113年) as western ones (2023年), for matching only."""

    def value(numeral: str) -> int | None:
        if numeral.isdigit():
            return int(numeral)
        if "百" in numeral or "十" in numeral:
            hundreds, _, rest = numeral.rpartition("百")
            tens, _, ones = rest.rpartition("十") if "十" in rest else ("", "", rest)
            digit = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
            try:
                total = digit[hundreds] * 100 if hundreds else 100 if "百" in numeral else 0
                total += (digit[tens] * 10 if tens else 10 if "十" in rest else 0) + (digit[ones] if ones else 0)
            except KeyError:
                return None
            return total
        return int("".join(_DIGIT_OF[c] for c in numeral)) if all(c in _DIGIT_OF for c in numeral) else None

    def western(match: re.Match) -> str:
        year = value(match.group(1))
        return f"{year + 1911}" if year is not None and 40 <= year <= 130 else match.group(0)

    return _ROC_YEAR.sub(western, text)


_DIGIT_OF = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"○": "0", "零": "0"}


def session_date(drafts: list[PassageDraft]) -> str | None:
    """The date under the title of a speech or a report delivered at a session, as YYYY-MM-DD."""
    for draft in drafts[:8]:
        if draft.section == "其他" and (match := _SESSION_DATE.match(year_text(normalize(draft.text)))):
            year, month, day = int(match.group(1)), _small_number(match.group(2)), _small_number(match.group(3))
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


# ---------------------------------------------------------------------------- kind, period, script


def _opening(drafts: list[PassageDraft], title: str | None) -> str:
    head = [normalize(title or "")] + [normalize(d.text) for d in drafts[:6] if d.section == "其他"]
    return "\n".join(head)


def session_news(opening: str, rules: domain.Rules) -> str | None:
    """The cue making the opening news of a congress session (会议听取并审议了…), unless it
    speaks as the report itself does (我代表…)."""
    if "我代表" in opening:
        return None
    return next((c for c in rules.list("kind", "session_news") if c in opening), None)


def extract_kind(drafts: list[PassageDraft], rules: domain.Rules, title: str | None = None) -> tuple[str, str]:
    """The title decides; without one, the level-one headings (a review part and a plan part:
    总结与计划); without those, the opening paragraphs."""
    opening = _opening(drafts, title)
    folded_title = normalize(title or "")
    # A news page's headline is its first line even when it names no kind of report.
    first = normalize(drafts[0].text) if drafts and not drafts[0].level else ""
    headline = folded_title or (first if len(first) <= 40 and not re.search("[。！？；!?;]", first) else "")
    if cue := next((c for c in rules.list("kind", "other_in_title") if c in headline), None):
        return "其他", f"标题含「{cue}」: 会议新闻, 不是报告"
    if folded_title.endswith(rules.list("kind", "other_title_endings")) or folded_title.startswith(rules.list("kind", "other_title_starts")):
        return "其他", "标题是对报告的解读"
    if any(re.search(pattern, opening) for pattern in rules.list("kind", "party_congress")):
        return "其他", "党代会报告"
    if any(re.search(pattern, folded_title) for pattern in rules.list("kind", "other_body_report")):
        return "其他", "标题是人大、政协等其他机关的工作报告"
    if cue := session_news(opening, rules):
        return "其他", f"开头含「{cue}」: 人代会新闻, 不是报告"
    if any(cue in opening for cue in rules.list("kind", "government_report")):
        return "政府工作报告", "标题或开头是政府工作报告"
    summary_cues, plan_cues = rules.list("kind", "summary"), rules.list("kind", "plan")
    progress = rules.value("kind", "plan_progress", default="(?!)")

    def named(source: str) -> str | None:
        summary = any(c in source for c in summary_cues)
        plan = any(c in re.sub(progress, "", source) for c in plan_cues)  # (计划执行情况: a summary)
        return "总结与计划" if summary and plan else "工作总结" if summary else "工作计划" if plan else None

    if kind := named(normalize(title or "")):
        return kind, "标题"
    if any(cue in folded_title for cue in rules.list("kind", "plan_in_title")):
        return "工作计划", "标题是规划或方案"
    parts = [d.section for d in drafts if d.is_heading and d.level == 1]
    if "计划" in parts:
        before = parts[: parts.index("计划")]
        if parts.index("计划") == len(parts) - 1 and len(before) >= 2 and named(opening) == "工作总结":
            # 现将二季度工作开展情况汇报如下 … 四、下一步工作打算: a summary closing with its next steps
            return "工作总结", "开头是总结, 只有最后一个一级标题是打算"
        if any(part in ("总结", "其他") for part in before):
            return "总结与计划", "一级标题: 先回顾, 后计划"
        return "工作计划", "一级标题: 计划"
    if "总结" in parts:
        return "工作总结", "一级标题: 回顾"
    if kind := named(opening):
        return kind, "开头段落"
    return "其他", "无线索"


def extract_period(drafts: list[PassageDraft], rules: domain.Rules, title: str | None, kind: str) -> tuple[str, str]:
    folded_title = year_text(normalize(title or ""))
    if other := next((c for c in rules.list("period", "other_in_title") if c in folded_title), None):
        return "其他", f"标题含「{other}」"
    opening = _opening(drafts, title) + "\n" + "\n".join(normalize(d.text) for d in drafts if d.is_heading and d.level == 1)
    # The title first: a 下半年工作计划 opens with what the first half did, an annual plan may name
    # a target for 上半年.
    for text, where in ((folded_title, "标题"), (opening, "标题或开头")):
        if any(c in text for c in rules.list("period", "first_half")):
            return "上半年", f"{where}提到上半年"
        if any(c in text for c in rules.list("period", "second_half")):
            return "下半年", f"{where}提到下半年"
        if any(c in text for c in rules.list("period", "half")):
            return "上半年", f"{where}提到半年"
        if text is folded_title and any(c in text for c in rules.list("period", "annual")):
            return "年度", "标题提到全年"
    # (a 政府工作报告 is annual, and so is the news or the digest of one: 一图读懂…政府工作报告)
    if kind == "政府工作报告" or any(c in folded_title for c in rules.list("kind", "government_report")):
        return "年度", "政府工作报告按年度"
    if any(c in opening for c in rules.list("period", "annual")):
        return "年度", "标题或开头提到全年"
    if kind in ("工作总结", "工作计划", "总结与计划") and re.search(
        r"\d{4}年度?[^\d\n]{0,8}?(?:工作)?(?:总结|计划|回顾|要点|思路|打算)", year_text(opening)
    ):
        return "年度", "标题或一级标题写明某年的工作"
    return "其他", "无线索"


_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _without_traditional() -> dict[int, None]:
    """A translation table deleting the ideographs normalization folds to another: traditional forms."""
    return {code: None for code in translation_table() if is_cjk(chr(code))}


def extract_script(lines: list[str]) -> str:
    """zh-Hant when the report is written in traditional characters."""
    sample = "".join(lines)[:8000]
    ideographs = len(_IDEOGRAPH.findall(sample))
    if not ideographs:
        return "zh-Hans"
    traditional = len(sample) - len(sample.translate(_without_traditional()))
    return "zh-Hant" if traditional / ideographs >= 0.04 else "zh-Hans"


def settle_sections(drafts: list[PassageDraft], kind: str) -> None:
    """Parts under headings that name no section take their meaning from the report's kind: in
    a summary (or the review of a 政府工作报告) they are review until the plan begins; in a
    plan they are plan."""
    planning = kind == "工作计划"
    for draft in drafts:
        if draft.section == "计划" and not draft.unclassified:
            planning = True
        if draft.unclassified and kind in ("工作总结", "总结与计划", "政府工作报告", "工作计划"):
            draft.section = "计划" if planning else "总结"


def about_year(draft: PassageDraft, meta: ReportMetadata) -> int | None:
    """The year a passage's section is about: the nearest heading naming a year, else what its
    section means for this kind of report (the review part of a 政府工作报告 is the year
    before; the plan part of an annual summary is the year after), else the report's year."""
    if draft.heading_year:
        return draft.heading_year
    if meta.year is None or draft.is_heading and draft.level == 0:
        return meta.year
    if meta.kind == "政府工作报告" and meta.period == "年度" and draft.section == "总结":
        return meta.year - 1  # (a half-year report reviews the same year's first half)
    if meta.kind == "总结与计划" and meta.period == "年度" and draft.section == "计划":
        return meta.year + 1
    return meta.year


def extract_signature(lines: list[str], rules: domain.Rules) -> tuple[str | None, str | None]:
    """Publisher and date from the signature lines at the end of the report."""
    org_suffixes = rules.list("signature", "org_suffixes")
    publisher = date = None
    for line in reversed(lines[-4:]):
        folded = normalize(line)
        if contact_line(folded):
            continue  # (地址：… 邮编：… under the signature)
        if len(folded) > 30:
            break
        if (found := iso_date(folded)) and date is None:
            date = found
        elif folded.endswith(org_suffixes) and (publisher is None or folded.endswith("人民政府")):
            publisher = line
    return publisher, date


def _issuer_lines(lines: list[str], publisher: str | None) -> list[str]:
    """The short lines that sign the report (last lines) or head it as issuer (中共…委员会)."""
    issuers = [normalize(publisher)] if publisher else []
    for line in lines[-4:] + lines[:3]:
        folded = normalize(line)
        if len(folded) <= 30 and (folded.endswith(("委员会", "人民政府", "政府", "党委", "办事处")) or folded.startswith("中共")):
            issuers.append(folded)
    return issuers


def extract(lines: list[str], drafts: list[PassageDraft], format_metadata: dict[str, str]) -> ReportMetadata:
    rules = domain.load_rules()
    gazetteer.load()  # always, so the build loads it before forking its workers
    text = "\n".join(fold_names(line, rules) for line in lines)
    meta = ReportMetadata()
    titles = [d.text for d in drafts if d.is_heading and d.level == 0]
    meta.title = format_metadata.get("title") or (titles[0] if titles else None)
    signed_by, signed_on = extract_signature(lines, rules) if drafts and drafts[-1].section == "其他" else (None, None)
    meta.publisher = format_metadata.get("publisher") or signed_by
    meta.published = format_metadata.get("published") or signed_on
    meta.index_number = format_metadata.get("index_number")
    title = fold_names(meta.title or "", rules)
    issuers = [fold_names(line, rules) for line in _issuer_lines(lines, meta.publisher)]
    source = _Text(text, rules)
    # The office a page credits (来源: 海宁市融媒体中心) tells where; when it is a government
    # (来源: 蓼叶镇人民政府) it signs the page.
    origin = [fold_names(format_metadata["origin"], rules)] if format_metadata.get("origin") else []
    signing = [o for o in origin if o.endswith(rules.list("township", "issuing_offices"))]
    meta.township, meta.evidence["township"] = choose_township(source, title, issuers + signing, rules)
    # A portal's host (主办单位：费县人民政府办公室) tells where too, never who signs.
    host = [fold_names(format_metadata["host"], rules)] if format_metadata.get("host") else []
    location = locate(source, meta.township, title, issuers + origin + host, rules)
    meta.county, meta.city, meta.province, meta.division_code = location.county, location.city, location.province, location.code
    meta.evidence.update({k: v for k, v in location.evidence.items() if getattr(meta, k)})
    if meta.county is None:
        meta.evidence["county"] = location.evidence.get("county", "原文没有写明所在的县")
    meta.kind, meta.evidence["kind"] = extract_kind(drafts, rules, meta.title)
    settle_sections(drafts, meta.kind)
    session = session_date(drafts)
    dates = [d for d in (signed_on, format_metadata.get("published"), session) if d]
    title_of_site = site_title(meta.title, _names_in(title, source, rules), rules)
    meta.year, meta.year_inferred, meta.evidence["year"] = extract_year(drafts, rules, meta.title, meta.kind, dates, session, title_of_site)
    meta.period, meta.evidence["period"] = extract_period(drafts, rules, meta.title, meta.kind)
    meta.script = extract_script(lines)
    return meta


def extract_township(text: str, title: str | None, publisher: str | None, rules: domain.Rules) -> tuple[str | None, str]:
    """The township of a report given as one text (what the benchmark's generator checks)."""
    lines = text.split("\n")
    source = _Text(fold_names(text, rules), rules)
    return choose_township(source, fold_names(title or "", rules), [fold_names(i, rules) for i in _issuer_lines(lines, publisher)], rules)


def apply_overrides(meta: ReportMetadata, overrides: dict) -> list[str]:
    """Apply a person's corrections; returns a description of each change."""
    changes = []
    for key, value in overrides.items():
        if key not in FIELDS:
            changes.append(f"忽略未知字段「{key}」")
            continue
        if key == "year":
            value = int(value) if str(value).strip() else None
            if meta.year_inferred and value == meta.year and value is not None:
                # A person read the report and kept the inferred year: it is stated now.
                meta.evidence[key] = CONFIRMED
                changes.append(f"year: 确认{value}(原为推断)")
            meta.year_inferred = False
        elif key == "kind" and value not in KINDS:
            changes.append(f"忽略类型「{value}」(应为{'、'.join(KINDS)}之一)")
            continue
        elif key == "period" and value not in PERIODS:
            changes.append(f"忽略时段「{value}」(应为{'、'.join(PERIODS)}之一)")
            continue
        else:
            value = str(value) or None
        old = getattr(meta, key)
        if old != value:
            setattr(meta, key, value)
            meta.evidence[key] = CORRECTED
            changes.append(f"{key}: {old!r} → {value!r}")
    return changes
