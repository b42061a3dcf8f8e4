"""The index contract: what the writer of an index generation and every reader agree on.

Engine-independent. A generation holds, beside the engine's own files (``whoosh/``):

* ``documents.jsonl`` and ``passages.jsonl``: the records (:mod:`indexer.records`);
* ``columns/<segment>.npz``: per segment of the engine, one row per passage in the engine's
  document order: integer-coded facet columns with their value tables, the document and
  ordinal of each passage, heading flags and the length of each text field;
* ``columns/<segment>.text``: the normalized passage texts of that segment, UTF-8, one after
  the other (offsets in the ``.npz``), so a server confirms "contains this string" on the
  bytes without holding a Python string per passage;
* ``manifest.json``: counts, the format version and the analysis fingerprint.

A passage becomes: the texts of its text fields (:func:`text_fields`), a stored record
(:func:`stored_record`, read back by :func:`passage_from_record`) and a row of columns
(:class:`ColumnsWriter`). The sink writes all three; the search service's storage port reads
them. Changing any encoding here means bumping :data:`FORMAT_VERSION`: servers then refuse the
old generation with the command that rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
from dataclasses import dataclass, fields
from importlib import metadata as package_metadata
from pathlib import Path

import numpy as np

from indexer import domain
from indexer.normalize import normalize, translation_table
from indexer.records import Passage

FORMAT_VERSION = 3
COLUMNS_DIRECTORY = "columns"  # inside a generation

# ---------------------------------------------------------------------------- vocabularies

SECTIONS = ("总结", "问题", "计划", "建议", "其他")
KINDS = ("工作总结", "工作计划", "总结与计划", "政府工作报告", "其他")
PERIODS = ("年度", "上半年", "下半年", "其他")

# ------------------------------------------------------------ words the curation view reads

# A document's warnings start with these when a field could not be found (the pipeline writes
# them; app.search.curation recognises them, so it states each doubt once). People read them:
# they are Chinese, as the interface is.
TOWNSHIP_UNKNOWN = "乡镇未识别"
YEAR_UNKNOWN = "年份未识别"
# In a township's evidence: the name is not in the official list (an older name, or a mistake).
NOT_IN_GAZETTEER = "不在官方区划名录中"
# Evidence of a field without a value, and of the commonest deduction.
NO_OWN_TOWNSHIP = "原文没有自称的乡/镇/街道/苏木名称"
NO_YEAR = "原文没有写明年份, 也无法推断"
GAZETTEER_UNIQUE = "官方区划名录(乡镇名唯一)"
# Evidence of a field a person set in the metadata corrections file (or confirmed: an inferred
# year kept as it was).
CORRECTED = "已在元数据更正文件中更正"
CONFIRMED = "已在元数据更正文件中确认"

# ---------------------------------------------------------------------------- text fields

UNIGRAM, BIGRAM, WORDS, HEADING_WORDS = "unigram", "bigram", "words", "heading_words"
# Every text field and the analysis that indexes it (functions of indexer.analysis).
TEXT_FIELDS = {UNIGRAM: "unigram", BIGRAM: "bigram", WORDS: "words", HEADING_WORDS: "words"}


def text_fields(passage: Passage) -> dict[str, str]:
    """The normalized text each text field indexes for ``passage``."""
    body = normalize(passage.text)
    return {UNIGRAM: body, BIGRAM: body, WORDS: body, HEADING_WORDS: normalize(passage.heading_text)}


# ---------------------------------------------------------------------------- stored record

_PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))
_NOT_STORED = ("heading_text",)  # only ranks; never shown
_STORED_FIELDS = tuple(name for name in _PASSAGE_FIELDS if name not in _NOT_STORED)


def stored_record(passage: Passage) -> dict:
    """What the engine stores for a passage: the record, minus what is only indexed."""
    return {name: getattr(passage, name) for name in _STORED_FIELDS}


def passage_from_record(record: dict) -> Passage:
    values = {name: record[name] for name in _PASSAGE_FIELDS if name in record}
    values.setdefault("heading_text", "")
    return Passage(**values)


# ---------------------------------------------------------------------------- columns

# Single-valued facet columns: one string per passage ("" when unknown).
CATEGORY_COLUMNS = ("township", "county", "city", "province", "year", "about_year", "section", "kind", "period")
# Multi-valued: a list of strings per passage.
MULTI_COLUMNS = ("theme",)


def category_values(passage: Passage) -> dict[str, str]:
    """The passage's value of each single-valued column, as a string ("" = unknown)."""
    values = {}
    for name in CATEGORY_COLUMNS:
        value = getattr(passage, name, None)
        values[name] = "" if value is None else str(value)
    return values


def multi_values(passage: Passage) -> dict[str, list[str]]:
    return {"theme": list(passage.themes)}


class _Coder:
    """Strings to small integers in order of first appearance."""

    def __init__(self):
        self.codes: dict[str, int] = {}
        self.values: list[str] = []

    def code(self, value: str) -> int:
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = len(self.values)
            self.values.append(value)
        return found


class ColumnsWriter:
    """The columns of one segment, a row per passage in the order the engine numbers them."""

    def __init__(self):
        self.docs = _Coder()
        self.doc = []
        self.ordinal = []
        self.is_heading = []
        self.level = []
        self.category = {name: ([], _Coder()) for name in CATEGORY_COLUMNS}
        self.multi = {name: ([0], [], _Coder()) for name in MULTI_COLUMNS}
        self.lengths = {name: [] for name in TEXT_FIELDS}
        self.text_offsets = [0]
        self.texts: list[bytes] = []

    def __len__(self) -> int:
        return len(self.doc)

    def add(self, passage: Passage, lengths: dict[str, int], normalized_text: str) -> None:
        self.doc.append(self.docs.code(passage.doc_id))
        self.ordinal.append(passage.ordinal)
        self.is_heading.append(bool(passage.is_heading))
        self.level.append(passage.level)
        for name, value in category_values(passage).items():
            codes, coder = self.category[name]
            codes.append(coder.code(value))
        for name, values in multi_values(passage).items():
            offsets, codes, coder = self.multi[name]
            codes.extend(coder.code(v) for v in values)
            offsets.append(len(codes))
        for name in TEXT_FIELDS:
            self.lengths[name].append(lengths.get(name, 0))
        encoded = normalized_text.encode("utf-8")
        self.texts.append(encoded)
        self.text_offsets.append(self.text_offsets[-1] + len(encoded))

    def write(self, directory: Path, segment: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tables = {"doc": self.docs.values}
        arrays = {
            "doc": np.asarray(self.doc, dtype=np.int32),
            "ordinal": np.asarray(self.ordinal, dtype=np.int32),
            "is_heading": np.asarray(self.is_heading, dtype=np.bool_),
            "level": np.asarray(self.level, dtype=np.int8),
            "text_offsets": np.asarray(self.text_offsets, dtype=np.int64),
        }
        for name, (codes, coder) in self.category.items():
            arrays[f"cat.{name}"] = np.asarray(codes, dtype=np.int32)
            tables[name] = coder.values
        for name, (offsets, codes, coder) in self.multi.items():
            arrays[f"multi.{name}.offsets"] = np.asarray(offsets, dtype=np.int32)
            arrays[f"multi.{name}.codes"] = np.asarray(codes, dtype=np.int32)
            tables[name] = coder.values
        for name, values in self.lengths.items():
            arrays[f"length.{name}"] = np.asarray(values, dtype=np.int32)
        arrays["tables"] = np.frombuffer(json.dumps(tables, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        with open(directory / f"{segment}.npz", "wb") as handle:
            np.savez(handle, **arrays)
        with open(directory / f"{segment}.text", "wb") as handle:
            handle.write(b"".join(self.texts))


@dataclass
class SegmentColumns:
    """The columns of one segment as written by :class:`ColumnsWriter`."""

    size: int
    doc_ids: list[str]  # the segment's document table
    doc: np.ndarray  # int32 code into doc_ids, per passage
    ordinal: np.ndarray
    is_heading: np.ndarray
    level: np.ndarray
    category: dict[str, tuple[np.ndarray, list[str]]]  # name → (codes, values)
    multi: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]  # name → (offsets, codes, values)
    lengths: dict[str, np.ndarray]
    text_offsets: np.ndarray
    text_path: Path


def read_columns(generation: Path, segment: str) -> SegmentColumns:
    directory = generation / COLUMNS_DIRECTORY
    with np.load(directory / f"{segment}.npz") as data:
        tables = json.loads(bytes(data["tables"]).decode("utf-8"))
        return SegmentColumns(
            size=len(data["doc"]),
            doc_ids=tables["doc"],
            doc=data["doc"],
            ordinal=data["ordinal"],
            is_heading=data["is_heading"],
            level=data["level"],
            category={name: (data[f"cat.{name}"], tables[name]) for name in CATEGORY_COLUMNS},
            multi={name: (data[f"multi.{name}.offsets"], data[f"multi.{name}.codes"], tables[name]) for name in MULTI_COLUMNS},
            lengths={name: data[f"length.{name}"] for name in TEXT_FIELDS},
            text_offsets=data["text_offsets"],
            text_path=directory / f"{segment}.text",
        )


@dataclass
class Columns:
    """The columns of a whole index: segments one after the other, in the engine's document
    order, with one value table per column."""

    size: int
    doc_ids: list[str]
    doc: np.ndarray  # int32 code into doc_ids
    ordinal: np.ndarray
    is_heading: np.ndarray
    level: np.ndarray
    category: dict[str, tuple[np.ndarray, list[str]]]
    multi: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]
    lengths: dict[str, np.ndarray]  # terms per text field (as analysed, not as an engine stores them)


def _merged_codes(parts: list[tuple[np.ndarray, list[str]]]) -> tuple[np.ndarray, list[str]]:
    values: dict[str, int] = {}
    remapped = []
    for codes, table in parts:
        mapping = np.array([values.setdefault(v, len(values)) for v in table] or [0], dtype=np.int32)
        remapped.append(mapping[codes] if len(codes) else codes.astype(np.int32))
    return (np.concatenate(remapped) if remapped else np.zeros(0, np.int32)), list(values)


def merge_columns(segments: list[SegmentColumns]) -> Columns:
    doc_ids: list[str] = []
    docs = []
    for segment in segments:
        docs.append(segment.doc + len(doc_ids))
        doc_ids += segment.doc_ids
    category = {name: _merged_codes([s.category[name] for s in segments]) for name in CATEGORY_COLUMNS}
    multi = {}
    for name in MULTI_COLUMNS:
        codes, table = _merged_codes([(s.multi[name][1], s.multi[name][2]) for s in segments])
        offsets, base = [np.zeros(1, np.int64)], 0
        for segment in segments:
            segment_offsets = segment.multi[name][0].astype(np.int64)
            offsets.append(segment_offsets[1:] + base)
            base += int(segment_offsets[-1])
        multi[name] = (np.concatenate(offsets), codes, table)

    def joined(name: str, dtype) -> np.ndarray:
        return np.concatenate([getattr(s, name) for s in segments]) if segments else np.zeros(0, dtype)

    return Columns(
        size=sum(s.size for s in segments),
        doc_ids=doc_ids,
        doc=np.concatenate(docs) if docs else np.zeros(0, np.int32),
        ordinal=joined("ordinal", np.int32),
        is_heading=joined("is_heading", np.bool_),
        level=joined("level", np.int8),
        category=category,
        multi=multi,
        lengths={name: np.concatenate([s.lengths[name] for s in segments]) if segments else np.zeros(0, np.int32) for name in TEXT_FIELDS},
    )


class Texts:
    """The normalized passage texts of an index, memory-mapped (shared by every worker process),
    for the one question a search asks of them: which of these passages contain this string."""

    def __init__(self, segments: list[SegmentColumns]):
        self._maps = []
        self._offsets = []
        starts = [0]
        for segment in segments:
            with open(segment.text_path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                self._maps.append(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b"")
            self._offsets.append(segment.text_offsets)
            starts.append(starts[-1] + segment.size)
        self._starts = np.asarray(starts, dtype=np.int64)

    def contains(self, docnums: np.ndarray, text: str) -> np.ndarray:
        """A boolean per document number: does its normalized text contain ``text``."""
        needle = text.encode("utf-8")  # UTF-8 is self-synchronizing: a byte match is a character match
        found = np.zeros(len(docnums), dtype=np.bool_)
        if not len(docnums):
            return found
        which = np.searchsorted(self._starts, docnums, side="right") - 1
        for segment in np.unique(which):
            selected = np.flatnonzero(which == segment)
            local = docnums[selected] - self._starts[segment]
            offsets, data = self._offsets[segment], self._maps[segment]
            begins, ends = offsets[local].tolist(), offsets[local + 1].tolist()
            find = data.find
            found[selected] = [find(needle, b, e) >= 0 for b, e in zip(begins, ends)]
            if isinstance(data, mmap.mmap):
                # The pages just read stay in the system's page cache (shared by every worker);
                # dropping them from this process keeps its resident memory to what it owns.
                data.madvise(mmap.MADV_DONTNEED)
        return found

    def text(self, docnum: int) -> str:
        segment = int(np.searchsorted(self._starts, docnum, side="right") - 1)
        local = docnum - int(self._starts[segment])
        offsets = self._offsets[segment]
        return bytes(self._maps[segment][int(offsets[local]) : int(offsets[local + 1])]).decode("utf-8")

    def close(self) -> None:
        for data in self._maps:
            if isinstance(data, mmap.mmap):
                data.close()


# ---------------------------------------------------------------------------- fingerprint


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _version(package: str) -> str:
    try:
        return package_metadata.version(package)
    except package_metadata.PackageNotFoundError:
        return "absent"


def analysis_fingerprint() -> dict[str, str]:
    """What decides which terms a text becomes: if any differs between the build and the server,
    query words would no longer match indexed words."""
    userdict = domain.userdict_path()
    table = json.dumps(sorted(translation_table().items()), ensure_ascii=False).encode("utf-8")
    return {
        "format_version": str(FORMAT_VERSION),
        "jieba": _version("jieba"),
        "opencc": _version("opencc-python-reimplemented"),
        "userdict": _sha(userdict.read_bytes()) if userdict.exists() else "none",
        "normalization": _sha(table),
    }


def fingerprint_mismatch(recorded: dict | None, current: dict[str, str]) -> list[str]:
    """The parts of the analysis that differ: ``["jieba 0.42.1 → 0.43"]``; empty when all agree."""
    recorded = recorded or {}
    return [f"{key} {recorded.get(key, 'unknown')} → {value}" for key, value in current.items() if recorded.get(key) != value]

