"""The fixed query mix, and the passages it runs against.

Every query carries, besides what is sent to the API, what it means as plain string tests on
normalized passage text (``includes`` all present, ``excludes`` all absent, facet filters):
that is all the brute-force scan and SQLite FTS5 need, and it is the recall contract of the
API ("a query finds at least every passage containing the string").

The mix is fixed; only facet values, deep page numbers and sampled long phrases are picked
from the corpus, with a fixed seed, so the same corpus always gets the same queries.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from indexer.analysis import normalize
from indexer.whoosh_store.reader import iter_passages

CLASSES = ("1字", "2字词", "长短语", "繁体输入", "引号", "排除", "多词", "筛选1", "筛选2", "筛选3", "深页", "浏览")
CLASS_NAMES = {
    "1字": "1 character",
    "2字词": "2-character words",
    "长短语": "long phrases (8–20 chars)",
    "繁体输入": "traditional-script input",
    "引号": "quoted",
    "排除": "with exclusion",
    "多词": "several words (AND)",
    "筛选1": "word + 1 facet filter",
    "筛选2": "word + 2 facet filters",
    "筛选3": "word + 3 facet filters",
    "深页": "deep pages",
    "浏览": "empty query (browse)",
}

ONE_CHAR = ("茶", "村", "党", "桥", "鱼", "电", "水", "林")
TWO_CHAR = ("信访", "低保", "光伏", "党建", "防汛", "养老", "电商", "水库")
FIXED_PHRASES = ("习近平新时代中国特色社会主义思想", "巩固拓展脱贫攻坚成果")
TRADITIONAL = ("鄉村振興", "產業發展", "黨建引領", "脫貧攻堅成果", "人居環境整治", "信訪", "農業", "安全生產")
QUOTED = ('"强村公司"', '"乡村振兴"', '"人居环境"', '"一岗双责"', '"安全生产"', '"集体经济"', "“基层治理”", '"鄉村治理"')
EXCLUDED = ("信访 -矛盾", "产业 -光伏", "党建 -廉政", "项目 -水库", "人居环境 -垃圾分类", "乡村振兴 -产业振兴", "安全生产 -森林防火")
SEVERAL = ("光伏 项目", "乡村振兴 产业", "安全生产 隐患", "人居环境 整治", "低保 救助", "党建 引领 乡村治理")
FACET_TERMS = ("产业", "党建", "安全", "项目", "环境", "民生", "村集体", "信访")
DEEP = (("村", 50), ("发展", 100), ("工作", 300), ("建设", 30), ("党", 200))
_PUNCTUATION = re.compile(r"[\s\W\d_a-z]")


@dataclass
class Corpus:
    """The live passages of one index generation (its stored records), normalized once."""

    ids: list[str]
    texts: list[str]  # normalized
    township: list[str]
    year: list[str]
    section: list[str]
    themes: list[tuple[str, ...]]
    chars: int = 0

    @classmethod
    def load(cls, generation: Path) -> Corpus:
        ids, texts, township, year, section, themes = [], [], [], [], [], []
        chars = 0
        for p in iter_passages(generation):
            ids.append(p.passage_id)
            texts.append(normalize(p.text))
            chars += len(p.text)
            township.append(p.township or "")
            year.append(str(p.year or ""))
            section.append(p.section)
            themes.append(tuple(p.themes or ()))
        return cls(ids, texts, township, year, section, themes, chars)

    def __len__(self) -> int:
        return len(self.ids)

    def facet_column(self, facet: str) -> list:
        return {"township": self.township, "year": self.year, "section": self.section, "theme": self.themes}[facet]


@dataclass
class BenchQuery:
    cls: str
    q: str
    filters: dict[str, str] = field(default_factory=dict)  # facet → one selected value
    page: int = 1
    size: int = 10
    includes: tuple[str, ...] = ()  # normalized strings that must all occur
    excludes: tuple[str, ...] = ()  # normalized strings that must not occur

    def params(self, page: bool = True) -> dict:
        params: dict = {"q": self.q, **self.filters}
        if page:
            params["page"] = self.page
            params["size"] = self.size
        return params

    def url(self, path: str = "/api/search", page: bool = True, **extra) -> str:
        return f"{path}?{urlencode({**self.params(page), **extra})}"

    def label(self) -> str:
        parts = [self.q or "(empty)"]
        parts += [f"{k}={v}" for k, v in self.filters.items()]
        if self.page > 1:
            parts.append(f"page={self.page}")
        return " ".join(parts)


def _plain(q: str, cls: str, **kwargs) -> BenchQuery:
    """A query of space-separated terms, -exclusions and quoted strings (no OR/parentheses)."""
    includes, excludes = [], []
    for token in re.findall(r'-?"[^"]*"|-?“[^”]*”|\S+', q):
        negative = token.startswith("-")
        text = normalize(token.lstrip("-").strip('"“”'))
        (excludes if negative else includes).append(text)
    return BenchQuery(cls=cls, q=q, includes=tuple(includes), excludes=tuple(excludes), **kwargs)


def matching(corpus: Corpus, query: BenchQuery, ignore: str | None = None) -> list[int]:
    """Indices of passages the query must find (the scan's answer), optionally ignoring a facet."""
    texts = corpus.texts
    if query.includes:
        first, *rest = sorted(query.includes, key=len, reverse=True)
        found = [i for i, t in enumerate(texts) if first in t]
        for needle in rest:
            found = [i for i in found if needle in texts[i]]
    else:
        found = list(range(len(texts)))
    for needle in query.excludes:
        found = [i for i in found if needle not in texts[i]]
    for facet, value in query.filters.items():
        if facet == ignore:
            continue
        column = corpus.facet_column(facet)
        if facet == "theme":
            found = [i for i in found if value in column[i]]
        else:
            found = [i for i in found if column[i] == value]
    return found


def _sample_phrases(corpus: Corpus, rng: random.Random, count: int) -> list[str]:
    phrases: list[str] = []
    attempts = 0
    while len(phrases) < count and attempts < 10_000:
        attempts += 1
        text = corpus.texts[rng.randrange(len(corpus))]
        runs = [r for r in re.split(_PUNCTUATION, text) if len(r) >= 8]
        if not runs:
            continue
        run = rng.choice(runs)
        length = rng.randint(8, min(20, len(run)))
        start = rng.randint(0, len(run) - length)
        phrase = run[start : start + length]
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


def query_mix(corpus: Corpus, seed: int = 7) -> list[BenchQuery]:
    """The fixed mix (about 90 queries) for this corpus."""
    rng = random.Random(seed)
    mix: list[BenchQuery] = []
    mix += [_plain(q, "1字") for q in ONE_CHAR]
    mix += [_plain(q, "2字词") for q in TWO_CHAR]
    mix += [_plain(q, "长短语") for q in list(FIXED_PHRASES) + _sample_phrases(corpus, rng, 6)]
    mix += [_plain(q, "繁体输入") for q in TRADITIONAL]
    mix += [_plain(q, "引号") for q in QUOTED]
    mix += [_plain(q, "排除") for q in EXCLUDED]
    mix += [_plain(q, "多词") for q in SEVERAL]
    facets = ("year", "section", "theme", "township")
    for n in (1, 2, 3):
        for term in FACET_TERMS:
            candidates = matching(corpus, _plain(term, "x"))
            if not candidates:
                continue
            passage = candidates[rng.randrange(len(candidates))]
            chosen = rng.sample(facets, n)
            filters = {}
            for facet in chosen:
                value = corpus.facet_column(facet)[passage]
                if facet == "theme":
                    value = value[0] if value else ""
                if value:
                    filters[facet] = value
            mix.append(_plain(term, f"筛选{n}", filters=filters))
    for term, page in DEEP:
        total = len(matching(corpus, _plain(term, "x")))
        mix.append(_plain(term, "深页", page=max(1, min(page, -(-total // 10)))))
    first = {f: corpus.facet_column(f)[rng.randrange(len(corpus))] for f in ("year", "section")}
    theme = next((t[0] for t in (corpus.themes[rng.randrange(len(corpus))] for _ in range(100)) if t), "")
    mix.append(BenchQuery(cls="浏览", q=""))
    mix.append(BenchQuery(cls="浏览", q="", filters={"year": first["year"]} if first["year"] else {}))
    mix.append(BenchQuery(cls="浏览", q="", filters={k: v for k, v in (("theme", theme), ("section", first["section"])) if v}))
    mix.append(BenchQuery(cls="浏览", q="", page=min(20, max(1, len(corpus) // 10))))
    return mix
