"""What a correction may say: township, county, year and kind of one report, checked."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from indexer.contract import KINDS

FIELDS = ("township", "county", "year", "kind")
LABELS = {"township": "乡镇", "county": "县", "year": "年份", "kind": "类型"}
MAX_NAME = 50  # characters of a township or county name
MAX_DOC_ID = 200
YEAR = re.compile(r"^[0-9]{4}$")

Value = str | int | None


class InvalidCorrection(ValueError):
    """A correction that cannot be written; ``str(error)`` says which field and why."""


@dataclass(frozen=True)
class Change:
    field: str
    before: Value
    after: Value


def _name(field: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCorrection(f'{field}: 须为字符串 (a string; "" clears it)')
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > MAX_NAME:
        raise InvalidCorrection(f"{field}: 最多 {MAX_NAME} 个字符 (at most {MAX_NAME} characters)")
    if any(unicodedata.category(c)[0] in "CZ" for c in value):
        raise InvalidCorrection(f"{field}: 不能含有空白、控制字符或换行 (no spaces, control characters or line breaks)")
    return value or None


def _year(value: object) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not YEAR.match(text):
        raise InvalidCorrection(f'year: 须为四位数字的年份, 如 2023 (four digits, got {str(value)[:20]!r}); "" clears it')
    return int(text)


def _kind(value: object) -> str:
    if value not in KINDS:
        raise InvalidCorrection(f"kind: 须为 {' / '.join(KINDS)} 之一 (got {str(value)[:20]!r})")
    return value


def parse(payload: object) -> tuple[str, dict[str, Value]]:
    """(doc_id, field → new value) of a correction as the API receives it (a JSON object);
    ``""`` or ``null`` clears a township, county or year."""
    if not isinstance(payload, dict):
        raise InvalidCorrection('须为 JSON 对象 (a JSON object: {"doc_id": …, "township"?: …, "county"?: …, "year"?: …, "kind"?: …})')
    unknown = sorted(str(k)[:30] for k in payload if k not in ("doc_id", *FIELDS))
    if unknown:
        raise InvalidCorrection(f"不能更正的字段 (unknown fields): {', '.join(unknown)}; 可以更正 {', '.join(FIELDS)}")
    doc_id = payload.get("doc_id")
    if not isinstance(doc_id, str) or not doc_id.strip() or len(doc_id) > MAX_DOC_ID:
        raise InvalidCorrection("doc_id: 须为报告编号 (the report's doc_id, a non-empty string)")
    values: dict[str, Value] = {}
    for field in FIELDS:
        if field not in payload:
            continue
        value = payload[field]
        values[field] = _year(value) if field == "year" else _kind(value) if field == "kind" else _name(field, value)
    if not values:
        raise InvalidCorrection(f"没有要更正的字段 (give at least one of {', '.join(FIELDS)})")
    return doc_id.strip(), values


def changes(current: dict[str, Value], year_inferred: bool, values: dict[str, Value]) -> list[Change]:
    """The fields whose value changes (``current``: the report as the index has it). Keeping an
    inferred year is a change too: it becomes a confirmed one."""
    return [
        Change(field, current.get(field), value)
        for field, value in values.items()
        if value != current.get(field) or (field == "year" and year_inferred and value is not None)
    ]
