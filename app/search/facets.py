"""The facet registry: every facet declared once.

A declaration drives the search request's fields, the API parameters and their validation,
the OpenAPI schema of ``facets`` in ``/api/search``, the counting in the core, ``/api/trends``,
``/api/export`` and the page's facet boxes and chips. Adding a facet is adding a line here
(and, when it reads a new column, a column in :mod:`indexer.contract`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.contract import KINDS, PERIODS, SECTIONS, UNKNOWN  # UNKNOWN: passages without a value are counted and filtered under it


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
    export: bool = True  # a column of /api/export
    compare: bool = False  # /compare can put its values side by side (by=<name>)

    def valid(self, value: str) -> bool:
        return self.pattern is None or value == UNKNOWN or re.fullmatch(self.pattern, value, re.ASCII) is not None


FACETS: tuple[Facet, ...] = (
    Facet("township", "乡镇", "township", unknown=True, trend=True, compare=True, hint="乡镇 (可重复, 同一面内为 OR; 未识别 = 文本中未能识别乡镇的报告)"),
    Facet("county", "县(市、区)", "county", unknown=True, trend=True, compare=True, hint="县 (可重复)"),
    Facet(
        "year", "年份", "year", order="newest", unknown=True, trend=True, compare=True,
        pattern=r"\d{4}", pattern_hint="year 必须是四位数字年份 (year must be a four-digit year)",
        hint="报告所属年份, 如 2023 (可重复)",
    ),
    Facet(
        "about_year", "所述年份", "about_year", order="newest",
        pattern=r"\d{4}", pattern_hint="about_year 必须是四位数字年份 (about_year must be a four-digit year)",
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
