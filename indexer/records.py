"""Engine-independent records: what the pipeline produces and every sink consumes.

A :class:`Passage` is self-contained (it repeats its document's township, county and year),
so it can be written as one JSON line, one Whoosh document or one OpenSearch document.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

HEADING_SEPARATOR = " › "


@dataclass
class Document:
    doc_id: str
    source: str  # file name inside the data folder
    title: str | None
    township: str | None
    county: str | None
    year: int | None
    year_inferred: bool
    kind: str
    publisher: str | None
    published: str | None
    encoding: str
    sha1: str
    chars: int
    passages: int
    order: int  # position in the collection's document order
    index_number: str | None = None  # 索引号 of a government web page
    warnings: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


@dataclass
class Passage:
    passage_id: str
    doc_id: str
    ordinal: int
    paragraph: int  # passages split from one long paragraph share this number
    text: str  # as written (traditional stays traditional)
    heading_path: list[str]
    heading_text: str  # full heading sentences of the path, for ranking
    section: str
    themes: list[str]
    is_heading: bool
    level: int
    township: str | None
    county: str | None
    year: int | None

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)


Record = TypeVar("Record", Document, Passage)


def to_json(record: Document | Passage) -> str:
    return json.dumps(asdict(record), ensure_ascii=False)


def from_dict(kind: type[Record], data: dict) -> Record:
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in data.items() if k in names})


def write_jsonl(path: Path, records: Iterable[Document | Passage]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(to_json(record) + "\n")
            count += 1
    return count


def read_jsonl(path: Path, kind: type[Record]) -> Iterator[Record]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield from_dict(kind, json.loads(line))
