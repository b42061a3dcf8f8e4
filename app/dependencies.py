"""Request-scoped helpers shared by the routers: the service, and validated search parameters."""

from __future__ import annotations

import inspect
from typing import Annotated

from fastapi import Depends, Query, Request

from app.search import curation
from app.search.facets import BY_NAME, FACETS, UNKNOWN, Facet
from app.search.service import COMPARE_BY, COMPARE_VALUES, SORTS, CompareRequest, SearchRequest, SearchService
from app.settings import DEFAULT_FACET_SIZE, DEFAULT_PAGE_SIZE, MAX_FACET_SIZE, MAX_PAGE, MAX_PAGE_SIZE, Settings


class InvalidParameter(ValueError):
    """A parameter a person can fix; the message says how (answered with HTTP 422)."""


# The dependencies are coroutines: they do no I/O and take microseconds, and FastAPI would run a
# plain function dependency in the thread pool (a hop to a thread and back per dependency and
# request: three for a search).


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_service(request: Request) -> SearchService:
    return request.app.state.service


def facet_values(facet: Facet, values: list[str], settings: Settings) -> tuple[str, ...]:
    """The selected values of a facet, cleaned and checked."""
    name = facet.name
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if len(cleaned) > settings.max_filter_values:
        raise InvalidParameter(f"{name}: 最多选择 {settings.max_filter_values} 个值 (at most {settings.max_filter_values} values)")
    if any(len(v) > 100 for v in cleaned):
        raise InvalidParameter(f"{name}: 值过长 (a value is longer than 100 characters)")
    for value in cleaned:
        if not facet.valid(value):
            raise InvalidParameter(f"{facet.pattern_hint}, got {value[:20]!r}")
    return cleaned


def _search_request(
    settings: Settings, q: str, sort: str, page: int, size: int, expand: str | None, facet_size: int, **selected: list[str]
) -> SearchRequest:
    if len(q) > settings.max_query_chars:
        raise InvalidParameter(f"q 过长: 最多 {settings.max_query_chars} 个字符 (query longer than {settings.max_query_chars} characters: {len(q)})")
    if sort not in SORTS:
        raise InvalidParameter(f"sort 必须是 {' / '.join(SORTS)} 之一 (unknown sort {sort[:30]!r})")
    return SearchRequest(
        q=q,
        **{facet.name: facet_values(facet, selected.get(facet.name) or [], settings) for facet in FACETS},
        sort=sort,
        page=page,
        size=size,
        expand=(expand or "true").strip().lower() not in ("false", "0", "no", "off"),
        facet_size=facet_size,
    )


def _parameter(name: str, annotation, default) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def _examples(facet: Facet) -> dict | None:
    """A facet counting reports without a value offers UNKNOWN as an example (so /docs shows
    it, and a client generated from the schema, or a fuzzer, tries it)."""
    if not facet.unknown:
        return None
    return {"unknown": {"summary": f"{UNKNOWN}: reports without a {facet.name}", "value": [UNKNOWN]}}


def _signature() -> inspect.Signature:
    """The search parameters as FastAPI reads them: q, one repeatable parameter per facet of the
    registry, sort, page, size, expand (so /docs lists every facet with its description)."""
    parameters = [
        _parameter("settings", Annotated[Settings, Depends(get_settings)], inspect.Parameter.empty),
        _parameter("q", Annotated[str, Query(description='查询: 空格分隔为 AND, "…" 精确, -词 排除, OR, 括号分组; 为空时浏览全部')], ""),
    ]
    parameters += [
        _parameter(facet.name, Annotated[list[str], Query(description=facet.hint, openapi_examples=_examples(facet))], []) for facet in FACETS
    ]
    parameters += [
        _parameter("sort", Annotated[str, Query(description=" | ".join(SORTS))], "relevance"),
        _parameter("page", Annotated[int, Query(ge=1, le=MAX_PAGE, description="页码, 从 1 开始")], 1),
        _parameter("size", Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="每页条数 1–100, 默认 10")], DEFAULT_PAGE_SIZE),
        _parameter("expand", Annotated[str | None, Query(description="同义词扩展, 默认 true; false 关闭")], None),
        _parameter(
            "facet_size",
            Annotated[
                int,
                Query(
                    ge=1,
                    le=MAX_FACET_SIZE,
                    description=f"每个筛选面列出的值的个数 (按段落数), 1–{MAX_FACET_SIZE}, 默认 {DEFAULT_FACET_SIZE}; 已选的值总会列出",
                ),
            ],
            DEFAULT_FACET_SIZE,
        ),
    ]
    return inspect.Signature(parameters, return_annotation=SearchRequest)


async def search_request(**parameters) -> SearchRequest:
    """The validated search request of a query string (a dependency of every search route)."""
    return _search_request(**parameters)


search_request.__signature__ = _signature()


def make_compare_request(search: SearchRequest, by: str, values: list[str], settings: Settings) -> CompareRequest:
    """A comparison of 2–6 values of one comparable facet, checked."""
    if by not in COMPARE_BY:
        raise InvalidParameter(f"by 必须是 {' / '.join(COMPARE_BY)} 之一 (unknown by {by[:30]!r})")
    facet = BY_NAME[by]
    cleaned = facet_values(facet, values, settings)
    low, high = COMPARE_VALUES
    if not low <= len(cleaned) <= high:
        raise InvalidParameter(
            f"value: 请选择 {low} 到 {high} 个{facet.label}进行对比，现在是 {len(cleaned)} 个 "
            f"(compare takes {low} to {high} distinct values of {by}, got {len(cleaned)})"
        )
    return CompareRequest(search=search, by=by, values=cleaned)


BY_DESCRIPTION = "对比的维度: " + " | ".join(COMPARE_BY) + ", 默认 township"
VALUE_DESCRIPTION = f"对比的值 (重复 {COMPARE_VALUES[0]}–{COMPARE_VALUES[1]} 次), 如 value=汤垟乡&value=斋坛乡"


async def compare_request(
    search: Annotated[SearchRequest, Depends(search_request)],
    settings: Annotated[Settings, Depends(get_settings)],
    # The schema states the constraints (so clients and fuzzers send what is accepted); the
    # checks stay in make_compare_request, whose messages list the values to choose.
    by: Annotated[str, Query(description=BY_DESCRIPTION, json_schema_extra={"enum": list(COMPARE_BY)})] = "township",
    value: Annotated[
        list[str],
        Query(description=VALUE_DESCRIPTION, json_schema_extra={"minItems": COMPARE_VALUES[0], "maxItems": COMPARE_VALUES[1], "uniqueItems": True}),
    ] = [],  # noqa: B006 (FastAPI gives each request its own copy)
) -> CompareRequest:
    """The validated comparison of a query string (the search parameters plus by and value)."""
    return make_compare_request(search, by, value, settings)


# The order of the curation view (/collection and /api/collection).
CollectionSort = Annotated[curation.Sort, Query(description="order: " + " | ".join(f"{k} ({v})" for k, v in curation.SORTS.items()))]
