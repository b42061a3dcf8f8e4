"""The Whoosh schema of a generation: four text fields analysed by :mod:`indexer.analysis`, and
the passage record stored. Facet values are not Whoosh fields: they live in the contract's
columns (:mod:`indexer.contract`), which every engine shares."""

from __future__ import annotations

from whoosh import fields, formats
from whoosh.analysis import IDTokenizer
from whoosh.system import pack_uint

from indexer import analysis, contract
from indexer.records import Passage

RECORD = "record"  # the stored passage record (contract.stored_record)


def term_counts(analysis_name: str, normalized: str) -> dict[str, int]:
    """Term → frequency of a normalized text, for the analysis a text field uses."""
    if analysis_name == "unigram":
        return analysis.unigram_counts(normalized)
    if analysis_name == "bigram":
        return analysis.bigram_counts(normalized)
    return analysis.word_counts(normalized)


class AnalyzedField(fields.FieldType):
    """A text field indexed by one of the contract's analyses (term frequencies, no positions:
    verbatim matches are confirmed on the normalized text, see the storage port)."""

    def __init__(self, analysis_name: str):
        self.analysis_name = analysis_name
        self.format = formats.Frequency()
        self.analyzer = IDTokenizer()  # never used for indexing; Whoosh expects one
        self.vector = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.column_type = None

    def index(self, value, **kwargs):
        """What Whoosh's own writer asks for: (term bytes, frequency, weight, value bytes)."""
        for term, freq in term_counts(self.analysis_name, value).items():
            yield term.encode("utf-8"), freq, float(freq), pack_uint(freq)

    def self_parsing(self):
        return False

    def process_text(self, qstring, mode="", **kwargs):
        return iter(term_counts(self.analysis_name, analysis.normalize(qstring)))


def schema() -> fields.Schema:
    text = {name: AnalyzedField(name_of) for name, name_of in contract.TEXT_FIELDS.items()}
    return fields.Schema(**{RECORD: fields.STORED()}, **text)


def whoosh_document(passage: Passage) -> dict:
    """A passage as Whoosh's own ``writer.add_document`` takes it (the reference writer)."""
    return {RECORD: contract.stored_record(passage), **contract.text_fields(passage)}
