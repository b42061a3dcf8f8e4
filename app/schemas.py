"""JSON shapes of the API (they are also what /docs shows)."""

from __future__ import annotations

from pydantic import BaseModel, Field, create_model

from app.search.facets import FACETS, HIT_FIELDS, UNKNOWN


class FacetValueOut(BaseModel):
    value: str
    count: int
    selected: bool


# One list of values per facet of the registry.
FacetsOut = create_model(
    "FacetsOut",
    __doc__=f"Values of each facet with their counts (disjunctive); passages without a value count under {UNKNOWN} where the facet says so.",
    **{facet.name: (list[FacetValueOut], Field(description=facet.label)) for facet in FACETS},
)


# A hit: every field of the registry's HIT_FIELDS.
HitOut = create_model(
    "HitOut",
    **{f.name: (f.annotation, Field(description=f.description)) for f in HIT_FIELDS},
)


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
    facets_omitted: dict[str, int] = Field(
        description="for a facet listing only its facet_size most frequent values: how many other values have hits (ask a larger facet_size to see them)"
    )


class PassageOut(BaseModel):
    passage_id: str
    heading: str
    section: str
    themes: list[str]
    text: str
    is_heading: bool
    about_year: int | None = Field(description="the year the passage's section is about")


class DocumentOut(BaseModel):
    doc_id: str
    source: str = Field(description="file name in the data folder")
    title: str | None
    township: str | None
    county: str | None
    year: int | None
    year_inferred: bool
    kind: str = Field(description="报告类型: 工作总结 / 工作计划 / 总结与计划 / 政府工作报告 / 其他")
    period: str = Field(description="时段: 年度 / 上半年 / 下半年 / 其他")
    city: str | None
    province: str | None
    division_code: str | None = Field(description="official division code of the township, when known")
    publisher: str | None
    published: str | None
    index_number: str | None = Field(default=None, description="索引号 of a government web page, when stated")
    script: str = Field(description="zh-Hant when the report is written in traditional characters, else zh-Hans")
    evidence: dict[str, str] = Field(description="how each metadata field was found")
    passages: list[PassageOut]


class HealthOut(BaseModel):
    status: str
    documents: int
    passages: int
    generation: str = Field(description="the index generation in use")
    built_at: str | None
    engine: str = Field(description="the engine and version that wrote the index")
    analysis: dict[str, str] = Field(description="analysis fingerprint of the index (jieba, its user dictionary, normalization table, format)")
    newer_generation_refused: str | None = Field(description="why a newer generation could not be used, if one was refused")


class ErrorOut(BaseModel):
    """The one shape of every 4xx and 5xx answer of /api and /healthz (422 included: FastAPI's
    list of validation errors is never sent)."""

    detail: str = Field(description="what is wrong, in words a person can act on (and how to fix it when they can)")


# Every error a route may answer, with what it means; routes list the ones that apply.
ERROR_MEANINGS = {
    401: "需要更正人员登录, 或 API 令牌无效或已撤销 (sign in, or send a valid Authorization: Bearer token)",
    403: "不允许这个写入请求: 缺少 CSRF 令牌或来自其他网站 (missing CSRF token, or a cross-site request)",
    404: "没有这个文档或段落 (no such document or passage)",
    413: "请求过大 (request body too large)",
    415: "请求格式有误: 须为 JSON (send Content-Type: application/json)",
    422: "参数有误: detail 说明哪个参数、为什么 (a parameter is invalid; detail names it and why)",
    500: "意外错误, 已记录在服务器日志中 (unexpected error; logged on the server, never sent)",
    503: "索引不可用 (detail says how to build it), 或检索超时 (with Retry-After: 5; retry or narrow the query)",
}


def error_responses(*codes: int) -> dict[int, dict]:
    """OpenAPI ``responses`` entries of these error codes, all with :class:`ErrorOut`."""
    return {code: {"model": ErrorOut, "description": ERROR_MEANINGS[code]} for code in codes}


class BucketOut(BaseModel):
    value: str
    count: int


class TrendBucketOut(BucketOut):
    other: bool = Field(description="the bucket 其他: the hits of every value after the top `buckets` (kind also has a value 其他, with other false)")
    values: int = Field(description="how many values the bucket counts (1, or those the 其他 bucket groups)")


# by_<facet> for every facet of the registry that counts trends.
TrendsOut = create_model(
    "TrendsOut",
    __doc__="Hit counts of the query and filters by the value of each facet: the top `buckets` values, then 其他 for the rest.",
    **{f"by_{facet.name}": (list[TrendBucketOut], Field(description=f"hits by {facet.label}")) for facet in FACETS if facet.trend},
)


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


class CollectionDocumentOut(BaseModel):
    doc_id: str
    title: str | None = Field(description="the title the report gives itself, when it has one")
    source: str = Field(description="file in the data folder")
    url: str = Field(description="the report's page")
    township: str | None
    county: str | None
    year: int | None
    year_inferred: bool = Field(description="the year was inferred from context, not stated")
    kind: str = Field(description="报告类型: 工作总结 / 工作计划 / 总结与计划 / 政府工作报告 / 其他")
    period: str = Field(description="时段: 年度 / 上半年 / 下半年 / 其他")
    evidence: dict[str, str] = Field(
        description="how each field was found, in Chinese (标题, 落款, 自称, 由…推断 …, or 已在元数据更正文件中更正 when a person set it)"
    )
    warnings: list[str] = Field(description="what a person should check: unknown or inferred values, problems reading the file")
    corrected: list[str] = Field(description="corrections data/metadata.toml applied to this report")
    correction: str = Field(description="the TOML table to paste into data/metadata.toml (then edit) to correct this report")


class SkippedOut(BaseModel):
    file: str = Field(description="path inside the data folder")
    reason: str


class CollectionOut(BaseModel):
    """Every report of the index in use, the ones needing a person's eye first (or in the
    requested order), and the files its build skipped."""

    documents: list[CollectionDocumentOut]
    skipped: list[SkippedOut] = Field(description="files the build of the index in use did not index, with the reason")


class CompareColumnOut(BaseModel):
    value: str = Field(description="the value of `by` this column selects")
    total: int = Field(description="passages of the search with this value")
    by_theme: list[BucketOut] = Field(description="its passages per theme (the selected themes, when theme is given)")
    by_section: list[BucketOut] = Field(description="its passages per section")
    hits: list[HitOut] = Field(description="its best passages (size of them), paragraphs before headings")
    status: str = Field(
        description="computed | not_computed (the server's time limit came first: total 0, no counts, no hits; ask again with fewer "
        "values, or /api/search with this value of `by`)"
    )


class CompareOut(BaseModel):
    by: str = Field(description="township | county | year")
    query: str
    columns: list[CompareColumnOut] = Field(description="one per value, in the order asked")
    themes: list[str] = Field(description="the theme rows: every theme with a passage in a column, most passages first")


class FollowUpMatchOut(HitOut):
    score: float = Field(description="share of the plan passage's most telling words this passage holds (0–1)")


class FollowUpOut(BaseModel):
    passage: HitOut = Field(description="the plan passage asked about")
    status: str = Field(description="found | not_found (未找到对应总结) | no_later_report | no_township | not_plan")
    message: str = Field(description="the status in words (未找到对应总结 …)")
    planned_year: int | None = Field(description="the year the plan is for (about_year, else the report's year)")
    followed_year: int | None = Field(description="the year the matched review passages report on")
    threshold: float = Field(description="the least score of a match (data/followup.toml)")
    best_score: float = Field(description="the best score of any candidate, matched or not")
    matches: list[FollowUpMatchOut] = Field(description="review passages of the township's later reports that report on it, best first")
