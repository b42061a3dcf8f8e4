"""JSON shapes of the curators' API: corrections, their audit trail, official names."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer.contract import KINDS


class CorrectionIn(BaseModel):
    """A correction of one report (only the fields given change; "" or null clears a
    township, county or year)."""

    doc_id: str = Field(description="the report's doc_id", max_length=200)
    township: str | None = Field(None, description="乡镇, e.g. 汤垟乡", max_length=50)
    county: str | None = Field(None, description="县, e.g. 青田县", max_length=50)
    year: int | str | None = Field(None, description="年份: four digits, e.g. 2023")
    kind: str | None = Field(None, description="报告类型: " + " / ".join(KINDS))


class ChangeOut(BaseModel):
    field: str
    before: str | int | None
    after: str | int | None


class CorrectionOut(BaseModel):
    doc_id: str
    changes: list[ChangeOut] = Field(description="the fields that changed (empty: the report already says so)")
    build: str = Field(description="queued: a build publishes the correction within seconds; none: nothing to publish")
    metadata: str = Field(description="the metadata file written (the one the index in use was built with)")
    table: str = Field(description="the key of the report's table in that file")
    at: str


class AuditEntryOut(BaseModel):
    at: str
    curator: str
    via: str = Field(description="session or token")
    doc_id: str
    source: str
    field: str
    before: str | int | None
    after: str | int | None
    metadata: str
    table: str


class AuditOut(BaseModel):
    total: int
    page: int
    size: int
    entries: list[AuditEntryOut] = Field(description="newest first")
    build: dict | None = Field(description="the last build publishing corrections: state (queued, running, published, failed), times, message")


class PlaceOut(BaseModel):
    name: str
    code: str = Field(description="official division code")
    county: str | None
    city: str | None
    province: str | None
    forms: list[str] = Field(default_factory=list, description="common forms of an autonomous county (芷江县, 芷江自治县 of 芷江侗族自治县)")


class GazetteerOut(BaseModel):
    q: str
    level: str
    places: list[PlaceOut]
