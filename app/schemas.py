"""JSON shapes of the API (they are also what /docs shows)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FacetValueOut(BaseModel):
    value: str
    count: int
    selected: bool


class FacetsOut(BaseModel):
    township: list[FacetValueOut]
    year: list[FacetValueOut]
    section: list[FacetValueOut]
    theme: list[FacetValueOut]


class HitOut(BaseModel):
    doc_id: str
    passage_id: str
    township: str | None
    county: str | None
    year: int | None
    section: str = Field(description="总结 / 问题 / 计划 / 建议 / 其他")
    heading: str = Field(description="标题路径, e.g. 一、2023年工作总结 › (二)砥砺奋进抓项目…")
    themes: list[str]
    text: str = Field(description="the whole passage as written")
    snippet: str = Field(description="HTML: all text escaped, matches in <mark>")
    url: str = Field(description="document page that scrolls to and highlights this passage for this query")


class AlternativeOut(BaseModel):
    q: str
    total: int


class SearchOut(BaseModel):
    query: str
    total: int
    page: int
    size: int
    took_ms: float
    facets: FacetsOut
    hits: list[HitOut]
    sort: str
    pages: int
    expanded: list[str] = Field(description="synonyms searched as well (同时搜索了); expand=false turns them off")
    alternatives: list[AlternativeOut] = Field(description="when nothing matches: the parts of the query that match alone")


class PassageOut(BaseModel):
    passage_id: str
    heading: str
    section: str
    themes: list[str]
    text: str
    is_heading: bool


class DocumentOut(BaseModel):
    doc_id: str
    source: str = Field(description="file name in the data folder")
    title: str | None
    township: str | None
    county: str | None
    year: int | None
    year_inferred: bool
    kind: str = Field(description="年度 / 半年 / 其他")
    publisher: str | None
    published: str | None
    index_number: str | None = Field(default=None, description="索引号 of a government web page, when stated")
    passages: list[PassageOut]


class HealthOut(BaseModel):
    status: str
    documents: int
    passages: int


class ErrorOut(BaseModel):
    detail: str


class BucketOut(BaseModel):
    value: str
    count: int


class TrendsOut(BaseModel):
    by_year: list[BucketOut]
    by_township: list[BucketOut]
    by_theme: list[BucketOut]


class SimilarOut(BaseModel):
    passage_id: str
    doc_id: str
    township: str | None
    year: int | None
    heading: str
    text: str
    score: float
    url: str


class SuggestOut(BaseModel):
    q: str
    suggestions: list[str]
