"""Sink: write passage records into a Whoosh index.

The analysis (n-grams, jieba words) runs inside :class:`AnalyzedField`, so with several
processes Whoosh's multiprocessing writer spreads it over all cores. Postings are produced
straight from :mod:`indexer.analysis` without Whoosh's per-token objects, which is most of
the indexing time saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from whoosh import fields, formats, index
from whoosh.analysis import IDTokenizer
from whoosh.system import pack_uint

from indexer import analysis
from indexer.records import Passage

# Field names the search service relies on.
FACET_FIELDS = ("township", "year", "section", "theme")
THEME_SEPARATOR = "|"


class AnalyzedField(fields.FieldType):
    """A field indexed by one of the analysis functions (``unigram``, ``bigram``, ``words``)."""

    def __init__(self, analysis_name: str):
        self.analysis_name = analysis_name
        positions = analysis_name == "bigram"
        self.format = formats.Positions() if positions else formats.Frequency()
        self.analyzer = IDTokenizer()  # never used for indexing; Whoosh expects one
        self.vector = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.column_type = None

    def index(self, value, **kwargs):
        if self.analysis_name == "bigram":
            encode = self.format.encode
            for gram, positions in analysis.bigram_positions(value).items():
                yield gram.encode("utf-8"), len(positions), float(len(positions)), encode(positions)
            return
        if self.analysis_name == "unigram":
            counts = analysis.unigram_counts(value)
        else:
            counts = {}
            for word in analysis.index_words(value):
                counts[word] = counts.get(word, 0) + 1
        for term, freq in counts.items():
            yield term.encode("utf-8"), freq, float(freq), pack_uint(freq)

    def self_parsing(self):
        return False

    def process_text(self, qstring, mode="", **kwargs):
        """Terms of a text as this field indexes them (used by Whoosh's more_like)."""
        if self.analysis_name == "words":
            return iter(analysis.index_words(analysis.normalize(qstring)))
        if self.analysis_name == "unigram":
            return iter(analysis.unigram_counts(analysis.normalize(qstring)))
        return iter(analysis.bigram_positions(analysis.normalize(qstring)))


def schema() -> fields.Schema:
    return fields.Schema(
        passage_id=fields.ID(stored=True, unique=True, sortable=True),
        doc_id=fields.ID(stored=True, sortable=True),
        ordinal=fields.NUMERIC(stored=True),
        paragraph=fields.NUMERIC(stored=True),
        level=fields.STORED(),
        position=fields.NUMERIC(sortable=True, bits=64),
        township=fields.ID(stored=True, sortable=True),
        county=fields.ID(stored=True),
        year=fields.ID(stored=True, sortable=True),
        section=fields.ID(stored=True, sortable=True),
        theme=fields.KEYWORD(stored=True, commas=True),
        theme_key=fields.ID(sortable=True),
        text=fields.STORED(),
        heading_path=fields.STORED(),
        is_heading=fields.STORED(),
        unigram=AnalyzedField("unigram"),
        bigram=AnalyzedField("bigram"),
        words=AnalyzedField("words"),
        heading_words=AnalyzedField("words"),
    )


def document_fields(passage: Passage, order: int) -> dict:
    normalized = analysis.normalize(passage.text)
    return {
        "passage_id": passage.passage_id,
        "doc_id": passage.doc_id,
        "ordinal": passage.ordinal,
        "paragraph": passage.paragraph,
        "level": passage.level,
        "position": order * 1_000_000 + passage.ordinal,
        "township": passage.township or "",
        "county": passage.county or "",
        "year": str(passage.year or ""),
        "section": passage.section,
        "theme": ",".join(passage.themes),
        "theme_key": THEME_SEPARATOR.join(passage.themes),
        "text": passage.text,
        "heading_path": passage.heading_path,
        "is_heading": passage.is_heading,
        "unigram": normalized,
        "bigram": normalized,
        "words": normalized,
        "heading_words": analysis.normalize(passage.heading_text),
    }


def write(directory: Path, passages: Iterable[tuple[int, Passage]], procs: int = 1) -> int:
    """Write ``(document order, passage)`` pairs into a new index at ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(directory), schema())
    analysis.tokenizer()  # load jieba before forking, so workers share it
    if procs > 1:
        writer = ix.writer(procs=procs, multisegment=True, limitmb=256, batchsize=200)
    else:
        writer = ix.writer(limitmb=256)
    count = 0
    try:
        for order, passage in passages:
            writer.add_document(**document_fields(passage, order))
            count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return count
