"""Request-scoped helpers shared by the routers: the service, and validated search parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.search.service import SORTS, SearchRequest, SearchService
from app.settings import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, Settings


class InvalidParameter(ValueError):
    """A parameter a person can fix; the message says how (answered with HTTP 422)."""


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> SearchService:
    return request.app.state.service


def _values(name: str, values: list[str], settings: Settings) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if len(cleaned) > settings.max_filter_values:
        raise InvalidParameter(f"{name}: 最多选择 {settings.max_filter_values} 个值 (at most {settings.max_filter_values} values)")
    if any(len(v) > 100 for v in cleaned):
        raise InvalidParameter(f"{name}: 值过长 (a value is longer than 100 characters)")
    return cleaned


def search_request(
    settings: Annotated[Settings, Depends(get_settings)],
    q: Annotated[str, Query(description="查询: 空格分隔为 AND, \"…\" 精确, -词 排除, OR, 括号分组; 为空时浏览全部")] = "",
    township: Annotated[list[str], Query(description="乡镇 (可重复, 同一面内为 OR)")] = [],
    year: Annotated[list[str], Query(description="年份, 如 2023 (可重复)")] = [],
    section: Annotated[list[str], Query(description="部分: 总结 / 问题 / 计划 / 建议 / 其他 (可重复)")] = [],
    theme: Annotated[list[str], Query(description="主题 (可重复)")] = [],
    sort: Annotated[str, Query(description="relevance | year_desc | year_asc | document")] = "relevance",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="页码, 从 1 开始")] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="每页条数 1–100, 默认 10")] = DEFAULT_PAGE_SIZE,
    expand: Annotated[str | None, Query(description="同义词扩展, 默认 true; false 关闭")] = None,
) -> SearchRequest:
    if len(q) > settings.max_query_chars:
        raise InvalidParameter(f"q 过长: 最多 {settings.max_query_chars} 个字符 (query longer than {settings.max_query_chars} characters: {len(q)})")
    if sort not in SORTS:
        raise InvalidParameter(f"sort 必须是 {' / '.join(SORTS)} 之一 (unknown sort {sort[:30]!r})")
    years = _values("year", year, settings)
    for value in years:
        if not (value.isascii() and value.isdigit() and len(value) == 4):
            raise InvalidParameter(f"year 必须是四位数字年份 (year must be a four-digit year), got {value[:20]!r}")
    return SearchRequest(
        q=q,
        township=_values("township", township, settings),
        year=years,
        section=_values("section", section, settings),
        theme=_values("theme", theme, settings),
        sort=sort,
        page=page,
        size=size,
        expand=(expand or "true").strip().lower() not in ("false", "0", "no", "off"),
    )
