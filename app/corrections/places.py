"""Official names to suggest while correcting (the gazetteer of :mod:`indexer.gazetteer`, the
Ministry of Civil Affairs' list): what the public ``/api/gazetteer`` answers and what the
correction forms offer in their ``<datalist>`` without JavaScript. An autonomous county may be
typed in its common form (芷江县): it is suggested under its official name and written as that
name, the value the county facet holds."""

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
    forms: tuple[str, ...] = ()  # its common forms (芷江县, 芷江自治县 of 芷江侗族自治县)


def suggest(prefix: str, level: str, limit: int = 10) -> list[OfficialPlace]:
    """Official names of ``level`` (township or county) starting with ``prefix`` (either script)
    or whose common form does (芷江县 → 芷江侗族自治县), each place once (a name held by several
    places is listed with each county)."""
    prefix = normalize(prefix.strip())
    if not prefix:
        return []
    places = gazetteer.load()
    found: list[OfficialPlace] = []
    for name in places.names_starting(prefix, LEVELS[level]):
        forms = places.forms(name, LEVELS[level])[1:]
        for place in places.places(name, LEVELS[level]):
            found.append(OfficialPlace(place.name, place.code, place.county, place.city, place.province, forms))
            if len(found) >= min(limit, MAX_SUGGESTIONS):
                return found
    return found


def official_county(name: str | None) -> str | None:
    """The county a correction writes: the official name of a common form that stands for one
    (芷江县 → 芷江侗族自治县); any other name as it was typed (an older name the list lacks)."""
    officials = gazetteer.official_counties(normalize(name)) if name else ()
    return officials[0] if len(officials) == 1 else name


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
    county names for its datalists (a county's common forms in its label), the kinds to choose from."""
    townships, counties = choices(document.township, document.county)
    labels = {county: f"{county}（又作{'、'.join(forms)}）" for county in counties if (forms := gazetteer.county_forms(county)[1:])}
    return {"townships": townships, "counties": counties, "labels": labels, "kinds": KINDS}
