"""The local searcher's storage: what it reads from an index generation on disk, and nothing more.

This is the local searcher's private interface to the files an engine writes, not the search
port (that is :mod:`app.search.port`). An implementation opens one generation and answers in
document numbers ``0 … size-1`` (its own numbering; some may be deleted, see ``alive``).
Whoosh's is :class:`indexer.whoosh_store.reader.WhooshStorage`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.contract import Columns
from indexer.records import Document, Passage


class Storage(Protocol):
    generation: Path
    manifest: dict  # the generation's manifest.json
    size: int  # document numbers are 0 … size-1
    alive: np.ndarray | None  # bool per document number; None when none is deleted
    columns: Columns  # facet columns, documents and ordinals, field lengths (indexer.contract)

    def documents(self) -> list[Document]:
        """Every report's record (documents.jsonl)."""

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Live document numbers holding ``term`` in ``field`` (int32, ascending) and its
        frequency in each (float32)."""

    def doc_frequency(self, field: str, term: str) -> int:
        """How many live passages hold ``term`` in ``field``."""

    def lengths(self, field: str) -> np.ndarray:
        """Each passage's length of ``field`` as the engine scores it."""

    def stored(self, docnum: int) -> Passage:
        """The passage record at a document number."""

    def contains(self, docnums: np.ndarray, text: str) -> np.ndarray:
        """Bool per document number: does its normalized text contain ``text`` verbatim."""

    def prefixed(self, field: str, prefix: str, limit: int) -> list[tuple[str, int]]:
        """The terms of ``field`` starting with ``prefix`` (at most ``limit`` of them, in term
        order) and how many live passages hold each; costs what the prefix has, not what the
        vocabulary has."""

    def close(self) -> None: ...


# Opens the generation directory it is given (raises indexer.layout.IndexMissing when it can't).
StorageOpener = Callable[[Path], Storage]
