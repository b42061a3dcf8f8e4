"""The index contract: what the writer of an index generation and every reader agree on.

Engine-independent. A generation holds, beside the engine's own files (``whoosh/``, which
also stores every passage record: the only copy of them):

* ``documents.jsonl``: the document records (:mod:`indexer.records`);
* ``columns/<segment>/``: per segment of the engine, one row per passage in the engine's
  document order: integer-coded facet columns with their value tables (``tables.json``), the
  document and ordinal of each passage, heading flags and the length of each text field, one
  ``.npy`` file per array; and ``text``, the normalized passage texts of that segment, UTF-8,
  one after the other (``text_offsets.npy``), so a server confirms "contains this string" on
  the bytes without holding a Python string per passage;
* ``columns/all/``: the same arrays for the whole generation (segments one after the other,
  one value table per column), written when the generation is committed, so a server maps
  them instead of reading and merging the segments';
* ``manifest.json``: counts, the format version and the analysis fingerprint.

The columns are a cache: everything in them is derived from what the engine stores and
indexes, and the engine's package rebuilds them from the engine's files alone
(:func:`indexer.whoosh_store.columns.rebuild`).

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
from dataclasses import MISSING, dataclass, fields
from importlib import metadata as package_metadata
from pathlib import Path

import numpy as np

from indexer import domain
from indexer.normalize import normalize, translation_table
from indexer.records import Passage

FORMAT_VERSION = 4
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

_PASSAGE_FIELDS = {f.name: f for f in fields(Passage)}


def stored_record(passage: Passage) -> dict:
    """What the engine stores for a passage: the whole record (heading_text too, so merges and
    incremental builds index a passage again from the engine alone)."""
    return dict(vars(passage))


def passage_from_record(record: dict) -> Passage:
    """A passage from a stored record; a field the engine left out (no value) is None, or the
    field's default."""
    values = {}
    for name, declared in _PASSAGE_FIELDS.items():
        if name in record:
            values[name] = record[name]
        elif declared.default is not MISSING:
            values[name] = declared.default
        elif declared.default_factory is not MISSING:
            values[name] = declared.default_factory()
        else:
            values[name] = "" if name == "heading_text" else None
    return Passage(**values)


# ---------------------------------------------------------------------------- columns

# Single-valued facet columns: one string per passage ("" when unknown).
CATEGORY_COLUMNS = ("township", "county", "city", "province", "year", "about_year", "section", "kind", "period")
# Multi-valued: a list of strings per passage.
MULTI_COLUMNS = ("theme",)
# A passage without a value of these is counted, filtered (and indexed) under UNKNOWN.
UNKNOWN = "未识别"
UNKNOWN_COLUMNS = ("township", "county", "year")


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


# The arrays of a set of columns (a segment's part, or the whole generation's) and their types.
_DTYPES = {"doc": np.int32, "ordinal": np.int32, "is_heading": np.bool_, "level": np.int8}
_TABLES = "tables.json"
_TEXT = "text"
_TEXT_OFFSETS = "text_offsets"
MERGED = "all"  # inside COLUMNS_DIRECTORY: the generation's columns, what servers map


def _array_names() -> dict[str, type]:
    names = dict(_DTYPES)
    names.update({f"cat.{name}": np.int32 for name in CATEGORY_COLUMNS})
    for name in MULTI_COLUMNS:
        names[f"multi.{name}.offsets"] = np.int64
        names[f"multi.{name}.codes"] = np.int32
    names.update({f"length.{name}": np.int32 for name in TEXT_FIELDS})
    return names


def _code_type(name: str, tables: dict[str, list[str]]) -> type:
    """The type a column is written in: a single-valued facet's codes in the smallest type that
    holds a code for each of its values (``tables``): most have a few values, so a byte a
    passage where int32 took four (every server maps these: at 100,000 reports 138 MB → 46 MB
    of each worker's resident pages); anything else as :func:`_array_names` says. Readers take
    any integer type: a generation written with int32 codes reads the same."""
    if name.startswith("cat."):
        values = len(tables[name.removeprefix("cat.")])
        return np.uint8 if values <= 1 << 8 else np.uint16 if values <= 1 << 16 else np.int32
    return _array_names()[name]


def _save(directory: Path, name: str, array: np.ndarray) -> None:
    with open(directory / f"{name}.npy", "wb") as handle:
        np.save(handle, array, allow_pickle=False)


def _load(directory: Path, name: str) -> np.ndarray:
    """A column memory-mapped (read-only, shared by every process mapping it)."""
    path = directory / f"{name}.npy"
    if path.stat().st_size <= 128:  # an empty array: numpy cannot map zero bytes
        return np.load(path, allow_pickle=False)
    return np.load(path, mmap_mode="r", allow_pickle=False)


def release(column: np.ndarray) -> None:
    """Drop a memory-mapped column's pages from this process's resident memory, once what is
    derived from it is built: they stay in the system's page cache (shared, read again from
    there if asked), so a worker's RSS counts what it keeps using."""
    mapped = getattr(column, "_mmap", None)
    if isinstance(mapped, mmap.mmap):
        mapped.madvise(mmap.MADV_DONTNEED)


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

    def arrays(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
        """The segment's arrays (by name) and value tables (by column, "doc" for documents)."""
        tables = {"doc": self.docs.values}
        values = {"doc": self.doc, "ordinal": self.ordinal, "is_heading": self.is_heading, "level": self.level}
        for name, (codes, coder) in self.category.items():
            values[f"cat.{name}"] = codes
            tables[name] = coder.values
        for name, (offsets, codes, coder) in self.multi.items():
            values[f"multi.{name}.offsets"] = offsets
            values[f"multi.{name}.codes"] = codes
            tables[name] = coder.values
        for name, lengths in self.lengths.items():
            values[f"length.{name}"] = lengths
        return {name: np.asarray(values[name], dtype=_code_type(name, tables)) for name in _array_names()}, tables

    def write(self, directory: Path, segment: str) -> None:
        """The segment's part of the columns: ``<directory>/<segment>/``."""
        part = directory / segment
        part.mkdir(parents=True, exist_ok=True)
        arrays, tables = self.arrays()
        for name, array in arrays.items():
            _save(part, name, array)
        _save(part, _TEXT_OFFSETS, np.asarray(self.text_offsets, dtype=np.int64))
        (part / _TABLES).write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
        with open(part / _TEXT, "wb") as handle:
            handle.write(b"".join(self.texts))


def segment_columns_path(generation: Path, segment: str) -> Path:
    return generation / COLUMNS_DIRECTORY / segment


def _columns(directory: Path) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    tables = json.loads((directory / _TABLES).read_text(encoding="utf-8"))
    return {name: _load(directory, name) for name in _array_names()}, tables


def _read(directory: Path) -> Columns:
    """The columns written in ``directory`` (a segment's part, or the generation's), mapped."""
    data, tables = _columns(directory)
    return Columns(
        size=len(data["doc"]),
        doc_ids=tables["doc"],
        doc=data["doc"],
        ordinal=data["ordinal"],
        is_heading=data["is_heading"],
        level=data["level"],
        category={name: (data[f"cat.{name}"], tables[name]) for name in CATEGORY_COLUMNS},
        multi={name: (data[f"multi.{name}.offsets"], data[f"multi.{name}.codes"], tables[name]) for name in MULTI_COLUMNS},
        lengths={name: data[f"length.{name}"] for name in TEXT_FIELDS},
    )


def read_segment_columns(generation: Path, segment: str) -> Columns:
    """One segment's part of the columns (its own value tables, its own document numbers)."""
    return _read(segment_columns_path(generation, segment))


def link_segment_columns(source: Path, target: Path, segment: str, link) -> None:
    """Share a segment's part of the columns of generation ``source`` with ``target``
    (``link(from, to)``: a hard link, or a copy)."""
    directory = segment_columns_path(target, segment)
    directory.mkdir(parents=True, exist_ok=True)
    origin = segment_columns_path(source, segment)
    for path in sorted(origin.iterdir()):
        link(path, directory / path.name)


@dataclass
class Columns:
    """The columns of a whole index: segments one after the other, in the engine's document
    order, with one value table per column (memory-mapped: opening reads the value tables)."""

    size: int
    doc_ids: list[str]
    doc: np.ndarray  # int32 code into doc_ids
    ordinal: np.ndarray
    is_heading: np.ndarray
    level: np.ndarray
    category: dict[str, tuple[np.ndarray, list[str]]]
    multi: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]
    lengths: dict[str, np.ndarray]  # terms per text field (as analysed, not as an engine stores them)


def _merged_table(tables: list[list[str]]) -> tuple[list[str], list[np.ndarray]]:
    """One table for the segments' tables (values in order of first appearance, as a single
    segment holding every row would have them) and each segment's code → merged code."""
    merged: dict[str, int] = {}
    mappings = []
    for table in tables:
        mappings.append(np.array([merged.setdefault(v, len(merged)) for v in table] or [0], dtype=np.int32))
    return list(merged), mappings


def write_merged_columns(directory: Path, segments: list[str]) -> None:
    """The generation's columns (``<directory>/all/``, ``directory`` being its ``columns/``)
    from its segments' parts, in the engine's order of ``segments``: a column at a time, so
    memory stays that of one column."""
    target = directory / MERGED
    target.mkdir(parents=True, exist_ok=True)
    parts = [_columns(directory / segment) for segment in segments]
    tables: dict[str, list[str]] = {}
    mappings: dict[str, list[np.ndarray]] = {}
    for name in ("doc", *CATEGORY_COLUMNS, *MULTI_COLUMNS):
        tables[name], mappings[name] = _merged_table([part_tables[name] for _, part_tables in parts])
    sizes = [len(data["doc"]) for data, _ in parts]
    for name, dtype in _array_names().items():
        if name.endswith(".offsets"):  # each segment's offsets continue where the last ended
            column = np.zeros(sum(sizes) + 1, dtype=dtype)
            row, base = 0, 0
            for (data, _), size in zip(parts, sizes):
                column[row + 1 : row + size + 1] = data[name][1:] + base
                row, base = row + size, base + int(data[name][-1])
        else:
            coded = name.removeprefix("cat.").removeprefix("multi.").removesuffix(".codes")
            pieces = []
            for i, (data, _) in enumerate(parts):
                piece = data[name]
                if coded in mappings and len(piece):
                    piece = mappings[coded][i][piece]
                pieces.append(np.asarray(piece, dtype=dtype))
            column = np.concatenate(pieces) if pieces else np.zeros(0, dtype)
            column = column.astype(_code_type(name, tables), copy=False)
        _save(target, name, column)
        del column
    (target / _TABLES).write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")


def read_columns(generation: Path) -> Columns:
    """The generation's columns, memory-mapped."""
    return _read(generation / COLUMNS_DIRECTORY / MERGED)


class Texts:
    """The normalized passage texts of an index, memory-mapped (shared by every worker process),
    for the one question a search asks of them: which of these passages contain this string."""

    def __init__(self, generation: Path, segments: list[str]):
        self._maps = []
        self._offsets = []
        starts = [0]
        for segment in segments:
            directory = segment_columns_path(generation, segment)
            offsets = _load(directory, _TEXT_OFFSETS)
            with open(directory / _TEXT, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                self._maps.append(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b"")
            self._offsets.append(offsets)
            starts.append(starts[-1] + len(offsets) - 1)
        self._starts = np.asarray(starts, dtype=np.int64)
        self.size = starts[-1]

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
