"""The facet registry: every facet declared once, and every field a hit carries.

A facet's declaration drives the search request's fields, the API parameters and their
validation, the OpenAPI schema of ``facets`` in ``/api/search``, the counting in every engine,
``/api/trends``, the page's facet boxes and chips. Adding a facet is adding a line here (and,
when it reads a new column, a column in :mod:`indexer.contract`) and its field in
:data:`HIT_FIELDS`, which drives the service's hits, their JSON and schema, and the columns of
``/api/export``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from indexer import gazetteer
from indexer.contract import KINDS, PERIODS, SECTIONS, UNKNOWN  # UNKNOWN: passages without a value are counted and filtered under it
from indexer.normalize import normalize
from indexer.records import Passage


@dataclass(frozen=True)
class Facet:
    name: str  # URL parameter and JSON key
    label: str  # what the page calls it
    column: str  # the contract column its values come from
    multi_valued: bool = False  # a passage may carry several values (themes)
    order: str = "count"  # how values are listed: count | newest | vocabulary
    vocabulary: tuple[str, ...] = ()  # the values in their natural order (order="vocabulary")
    unknown: bool = False  # passages without a value count (and filter) under UNKNOWN
    pattern: str | None = None  # what a selected value must look like
    pattern_hint: str = ""  # the reason when it does not
    hint: str = ""  # what the API documentation says about it
    trend: bool = False  # /api/trends counts hits by it (by_<name>)
    compare: bool = False  # /compare can put its values side by side (by=<name>)
    # The values the index holds that a selected value stands for, when it may be written
    # otherwise (a county's common form, 芷江县, is its official name 芷江侗族自治县); () when none.
    official: Callable[[str], tuple[str, ...]] | None = None

    def valid(self, value: str) -> bool:
        return self.pattern is None or value == UNKNOWN or re.fullmatch(self.pattern, value, re.ASCII) is not None

    def as_indexed(self, value: str) -> tuple[str, ...]:
        """What selecting ``value`` selects: the official names it stands for, else itself."""
        return (self.official and self.official(normalize(value).strip())) or (value,)


FACETS: tuple[Facet, ...] = (
    Facet(
        "township", "乡镇", "township", unknown=True, trend=True, compare=True, hint="乡镇 (可重复, 同一面内为 OR; 未识别 = 文本中未能识别乡镇的报告)"
    ),
    Facet(
        "county",
        "县(市、区)",
        "county",
        unknown=True,
        trend=True,
        compare=True,
        official=gazetteer.official_counties,
        hint="县 (可重复; 自治县的通称也可以, 如 芷江县 = 芷江侗族自治县)",
    ),
    Facet(
        "year",
        "年份",
        "year",
        order="newest",
        unknown=True,
        trend=True,
        compare=True,
        pattern=r"\d{4}",
        pattern_hint="year 必须是四位数字年份 (year must be a four-digit year)",
        hint="报告所属年份, 如 2023 (可重复)",
    ),
    Facet(
        "about_year",
        "所述年份",
        "about_year",
        order="newest",
        pattern=r"\d{4}",
        pattern_hint="about_year 必须是四位数字年份 (about_year must be a four-digit year)",
        hint="段落所述年份: 总结部分为总结之年, 计划部分为计划之年 (可重复)",
    ),
    Facet("section", "部分", "section", order="vocabulary", vocabulary=SECTIONS, hint="部分: " + " / ".join(SECTIONS) + " (可重复)"),
    Facet("kind", "报告类型", "kind", order="vocabulary", vocabulary=KINDS, trend=True, hint="报告类型: " + " / ".join(KINDS) + " (可重复)"),
    Facet("period", "时段", "period", order="vocabulary", vocabulary=PERIODS, hint="时段: " + " / ".join(PERIODS) + " (可重复)"),
    Facet("theme", "主题", "theme", multi_valued=True, trend=True, hint="主题 (可重复)"),
)
BY_NAME = {facet.name: facet for facet in FACETS}
NAMES = tuple(BY_NAME)
COMPARABLE = tuple(facet.name for facet in FACETS if facet.compare)  # what by= may name


def value_order(facet: Facet, value: str):
    """Sort key of a value for listing (after the count, when listing by count)."""
    if value == UNKNOWN:
        return (1, 0, "")
    if facet.order == "newest":
        return (0, -int(value) if value.isdigit() else 0, value)
    if facet.order == "vocabulary":
        return (0, facet.vocabulary.index(value) if value in facet.vocabulary else len(facet.vocabulary), value)
    return (0, 0, value)


@dataclass(frozen=True)
class HitField:
    """A field of a hit: an attribute of the service's ``Hit``, a key of a hit in the API's JSON
    (schema ``HitOut``), and a column of ``/api/export`` where ``export`` says (in this order)."""

    name: str
    annotation: Any  # its type in the service and the API schema
    description: str
    read: Callable[[Passage], Any] | None = None  # from the passage record; None: made by ``added_by``
    added_by: str = "record"  # record | service (the snippet: highlighting) | app (the link)
    export: tuple[str, ...] = ("csv", "jsonl")  # the formats of /api/export that carry it
    facet: str | None = None  # the facet whose values it shows


def _or_none(name: str) -> Callable[[Passage], Any]:
    return lambda passage: getattr(passage, name) or None


HIT_FIELDS: tuple[HitField, ...] = (
    HitField("doc_id", str, "the report's id", attrgetter("doc_id"), export=("jsonl",)),
    HitField("passage_id", str, "the passage's id", attrgetter("passage_id"), export=("jsonl",)),
    HitField("township", str | None, "乡镇, when known", _or_none("township"), facet="township"),
    HitField("county", str | None, "县, when known", _or_none("county"), facet="county"),
    HitField("year", int | None, "the report's year, when known", _or_none("year"), facet="year"),
    HitField("section", str, " / ".join(SECTIONS), attrgetter("section"), facet="section"),
    HitField("heading", str, "标题路径, e.g. 一、2023年工作总结 › (二)砥砺奋进抓项目…", attrgetter("heading")),
    HitField("themes", list[str], "主题", lambda p: list(p.themes), facet="theme"),
    HitField("text", str, "the whole passage as written", attrgetter("text")),
    HitField("snippet", str, "HTML: all text escaped, matches in <mark>", added_by="service", export=()),
    HitField("url", str, "document page that scrolls to and highlights this passage for this query", added_by="app"),
    HitField("city", str | None, "市 of the township, when known", _or_none("city")),
    HitField("province", str | None, "省 of the township, when known", _or_none("province")),
    HitField(
        "about_year",
        int | None,
        "所述年份: the year the passage's section is about (a plan: the planned year)",
        lambda p: p.about_year or p.year or None,
        facet="about_year",
    ),
    HitField("kind", str, "报告类型: " + " / ".join(KINDS), attrgetter("kind"), facet="kind"),
    HitField("period", str, "时段: " + " / ".join(PERIODS), attrgetter("period"), facet="period"),
)
RECORD_FIELDS = tuple(f for f in HIT_FIELDS if f.added_by == "record")
_READERS = tuple((f.name, f.read) for f in RECORD_FIELDS)


def export_columns(format: str) -> tuple[str, ...]:
    """The columns of ``/api/export?format=…``, in order."""
    return tuple(f.name for f in HIT_FIELDS if format in f.export)


def hit_values(passage: Passage) -> dict[str, Any]:
    """A passage's hit fields that come from its record."""
    return {name: read(passage) for name, read in _READERS}
