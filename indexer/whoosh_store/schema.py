"""The Whoosh schema of a generation: an ordinary Whoosh index, made of stock field types and
stock analyzers only, so the pinned Whoosh opens and queries it with none of our code:

* **Text fields** ``unigram``, ``bigram``, ``words``, ``heading_words`` (``TEXT`` with
  frequencies, no positions: verbatim matches are confirmed on the normalized text). Their
  analyzers are Whoosh's tokenizers followed by a ``CharsetFilter`` holding
  :func:`indexer.normalize.translation_table` (our normalization is one ``str.translate``):
  every character, every pair of characters (``NgramTokenizer(2)``), and for the two word
  fields jieba's words of the normalized text, given to Whoosh pre-tokenized (a list of
  words, Whoosh's own way) because they come from jieba with our user dictionary; a query
  word is split on spaces and folded.
* **Facet fields** ``township``, ``county``, ``city``, ``province``, ``year``, ``about_year``,
  ``section``, ``kind``, ``period`` (``ID``) and ``theme`` (``KEYWORD``, multi-valued),
  indexed folded (a value in either script selects the same passages, as the API's filters
  do) and stored as written. A passage without a township, county or year is indexed under
  :data:`indexer.contract.UNKNOWN` (what the API filters it by) and stores none.
* **Stored fields**: the rest of the passage record, as plain values (``doc_id`` is also
  indexed, to find a report's passages).

The numpy writer (:mod:`.writer`) writes exactly what Whoosh's own writer writes for
:func:`whoosh_document` (``tests/test_whoosh_store.py`` compares them).
"""

from __future__ import annotations

import re

from whoosh import fields
from whoosh.analysis import CharsetFilter, IDTokenizer, NgramTokenizer, RegexTokenizer

from indexer import analysis, contract
from indexer.normalize import normalize, translation_table
from indexer.records import Passage

# Facet fields, indexed folded and stored as written.
VALUE_FIELDS = contract.CATEGORY_COLUMNS
MULTI_VALUE_FIELDS = contract.MULTI_COLUMNS
DOC_ID = "doc_id"  # indexed as it is, stored
THEME = "theme"
# Passage attributes that only Whoosh's stored fields hold (under the attribute's name).
STORED_ONLY = ("passage_id", "ordinal", "paragraph", "text", "heading_path", "heading_text", "is_heading", "level")
# Stored field → Passage attribute where the names differ.
ATTRIBUTE = {THEME: "themes"}


def term_counts(analysis_name: str, normalized: str) -> dict[str, int]:
    """Term → frequency of a normalized text, for the analysis a text field uses."""
    if analysis_name == "unigram":
        return analysis.unigram_counts(normalized)
    if analysis_name == "bigram":
        return analysis.bigram_counts(normalized)
    return analysis.word_counts(normalized)


def _analyzers() -> dict[str, object]:
    fold = CharsetFilter(translation_table())
    # The characters our normalization turns into a space separate terms and are none.
    spaces = "".join(sorted({" "} | {chr(c) for c, v in translation_table().items() if v == " "}))
    not_space = f"[^{re.escape(spaces)}]"
    return {
        "unigram": RegexTokenizer(not_space) | fold,
        "bigram": NgramTokenizer(2, 2) | fold,
        "words": RegexTokenizer(not_space + "+") | fold,
        "value": IDTokenizer() | fold,
    }


def schema() -> fields.Schema:
    analyzers = _analyzers()
    declared: dict[str, fields.FieldType] = {}
    for name, analysis_name in contract.TEXT_FIELDS.items():
        declared[name] = fields.TEXT(analyzer=analyzers[analysis_name], phrase=False, multitoken_query="and")
    for name in VALUE_FIELDS:
        declared[name] = fields.ID(stored=True, analyzer=analyzers["value"])
    for name in MULTI_VALUE_FIELDS:
        declared[name] = fields.KEYWORD(stored=True, analyzer=analyzers["value"])
    declared[DOC_ID] = fields.ID(stored=True)
    for name in STORED_ONLY:
        declared[name] = fields.STORED()
    return fields.Schema(**declared)


def indexed_value(column: str, value: str) -> str | None:
    """The term a facet value is indexed under before folding ("" = the passage has none)."""
    if value:
        return value
    return contract.UNKNOWN if column in contract.UNKNOWN_COLUMNS else None


def _facets_and_stored(passage: Passage) -> dict:
    """Every field of a passage but the text fields, as ``add_document`` takes them."""
    document: dict = {DOC_ID: passage.doc_id}
    for name, value in contract.category_values(passage).items():
        indexed = indexed_value(name, value)
        if indexed is not None:
            document[name] = indexed
            document[f"_stored_{name}"] = getattr(passage, name)  # as written: an int year, None when unknown
    for name, values in contract.multi_values(passage).items():
        document[name] = [normalize(v) for v in values]  # pre-tokenized values skip the analyzer
        document[f"_stored_{name}"] = values
    for name in STORED_ONLY:
        document[name] = getattr(passage, name)
    return document


def whoosh_document(passage: Passage) -> dict:
    """A passage as Whoosh's own ``writer.add_document`` takes it (the reference writer)."""
    texts = contract.text_fields(passage)
    return {
        contract.UNIGRAM: passage.text,
        contract.BIGRAM: passage.text,
        contract.WORDS: analysis.index_words(texts[contract.WORDS]),
        contract.HEADING_WORDS: analysis.index_words(texts[contract.HEADING_WORDS]),
        **_facets_and_stored(passage),
    }


def stored_fields(passage: Passage) -> dict:
    """What Whoosh stores for a passage (:func:`whoosh_document`'s stored values), in field order."""
    document = _facets_and_stored(passage)
    out = {}
    for name in sorted(n for n in document if not n.startswith("_")):
        value = document.get(f"_stored_{name}", document[name])
        if value is not None:
            out[name] = value
    return out


def passage_from_stored(stored: dict) -> Passage:
    """A passage record from Whoosh's stored fields of a passage."""
    return contract.passage_from_record({ATTRIBUTE.get(name, name): value for name, value in stored.items()})
