"""Geometry of the search page's trend charts, drawn as server-rendered SVG (the template only
draws it); every bar is the link that filters by its value."""

from __future__ import annotations

from dataclasses import dataclass

from app.search.service import SearchRequest, TrendBucket
from app.urls import toggle_url


@dataclass
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    url: str
    selected: bool = False
    full_label: str = ""  # the label untruncated, for the bar's name and the data table

    @property
    def name(self) -> str:
        return self.full_label or self.label


@dataclass
class Chart:
    """One SVG bar chart."""

    kind: str  # "columns" (years) or "rows" (townships)
    title: str
    width: int
    height: int
    bars: list[Bar]
    label_width: int = 0
    note: str = ""
    category: str = ""  # what the bars are, heading the data table: 年份, 乡镇
    unit: str = ""  # appended to a bar's label in its name: "2023" + "年"


def year_chart(state: SearchRequest, buckets: list[TrendBucket]) -> Chart | None:
    """Hits per year as columns; years without hits between the first and the last show as 0."""
    counts = {int(b.value): b.count for b in buckets if b.value.isdigit()}
    if not counts:
        return None
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1)) if last - first < 40 else sorted(counts)
    slot, bar_width, top, bottom, plot = 46, 30, 20, 24, 80
    peak = max(counts.values())
    bars = []
    for i, year in enumerate(years):
        count = counts.get(year, 0)
        height = round(plot * count / peak, 1) if count else 0
        value = str(year)
        x = i * slot + (slot - bar_width) / 2
        bars.append(Bar(value, count, x, top + plot - height, bar_width, height, toggle_url(state, "year", value), value in state.year))
    return Chart("columns", "按年份", len(years) * slot, top + plot + bottom, bars, category="年份", unit="年")


def township_chart(state: SearchRequest, buckets: list[TrendBucket], limit: int = 10) -> Chart | None:
    """Hits per township as horizontal bars, the most frequent first."""
    grouped = sum(b.values for b in buckets if b.other)  # townships the trends' 其他 bucket counts
    buckets = [b for b in buckets if not b.other]
    if not buckets:
        return None
    shown = buckets[:limit]
    row, bar_area, count_width = 24, 180, 44
    label_width = 14 * min(8, max(len(b.value) for b in shown)) + 10
    peak = max(b.count for b in shown)
    bars = [
        Bar(
            b.value if len(b.value) <= 8 else b.value[:7] + "…",
            b.count,
            label_width,
            i * row + 4,
            max(2.0, round(bar_area * b.count / peak, 1)),
            row - 8,
            toggle_url(state, "township", b.value),
            b.value in state.township,
            b.value,
        )
        for i, b in enumerate(shown)
    ]
    hidden = len(buckets) - len(shown) + grouped
    note = f"另有 {hidden} 个乡镇未画出" if hidden else ""
    return Chart("rows", "按乡镇", label_width + bar_area + count_width, len(shown) * row, bars, label_width, note, "乡镇")


def trend_charts(state: SearchRequest, by: dict[str, list[TrendBucket]]) -> list[Chart]:
    """The charts of a search's trends (hits per year, per township) that have anything to draw."""
    return [c for c in (year_chart(state, by["year"]), township_chart(state, by["township"])) if c]
