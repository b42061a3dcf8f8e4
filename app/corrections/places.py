"""Official names to suggest while correcting (the gazetteer of :mod:`indexer.gazetteer`, the
Ministry of Civil Affairs' list): what the public ``/api/gazetteer`` answers and what the
correction forms offer in their ``<datalist>`` without JavaScript."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from indexer import gazetteer
from indexer.contract import KINDS
from indexer.normalize import normalize

LEVELS = {"township": 4, "county": 3}
MAX_SUGGESTIONS = 20
MAX_CHOICES = 100  # names in one form's datalist


@dataclass(frozen=True)
class OfficialPlace:
    name: str
    code: str
    county: str | None
    city: str | None
    province: str | None


def suggest(prefix: str, level: str, limit: int = 10) -> list[OfficialPlace]:
    """Official names of ``level`` (township or county) starting with ``prefix`` (either script),
    each place once (a name held by several places is listed with each county)."""
    prefix = normalize(prefix.strip())
    if not prefix:
        return []
    places = gazetteer.load()
    found: list[OfficialPlace] = []
    for name in places.names_starting(prefix, LEVELS[level]):
        for place in places.places(name, LEVELS[level]):
            found.append(OfficialPlace(place.name, place.code, place.county, place.city, place.province))
            if len(found) >= min(limit, MAX_SUGGESTIONS):
                return found
    return found


@functools.lru_cache(maxsize=1)
def _townships_by_county() -> dict[str, tuple[str, ...]]:
    grouped: dict[str, set[str]] = {}
    for name, found in gazetteer.load().by_level[4].items():
        for place in found:
            if place.county:
                grouped.setdefault(place.county, set()).add(name)
    return {county: tuple(sorted(names)) for county, names in grouped.items()}


def choices(township: str | None, county: str | None) -> tuple[list[str], list[str]]:
    """(township names, county names) to offer for a report: the townships of its county, and
    the counties that hold a township of its name."""
    places = gazetteer.load()
    townships = list(_townships_by_county().get(normalize(county), ())[:MAX_CHOICES]) if county else []
    counties = sorted({p.county for p in places.places(normalize(township), 4) if p.county})[:MAX_CHOICES] if township else []
    return townships, counties


def form_choices(document) -> dict:
    """What the correction form of ``document`` (a DocumentView) offers: official township and
    county names for its datalists, the kinds to choose from."""
    townships, counties = choices(document.township, document.county)
    return {"townships": townships, "counties": counties, "kinds": KINDS}
