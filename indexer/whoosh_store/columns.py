"""The contract's columns of a generation, rebuilt from its Whoosh index alone.

The columns (:mod:`indexer.contract`) are a cache the sink writes beside the segments for
speed; everything in them comes from the index: facet values, documents and ordinals from
each passage's stored fields, the normalized text from its stored text, and each text field's
length of a passage (exact, where Whoosh's own length column keeps a one-byte approximation):
for the character fields from the stored text, for the word fields from the postings (the
sum of the passage's term frequencies; running jieba again would take as long as a build).

    python -m indexer.whoosh_store.columns [--index-dir index/]     # the generation in use

writes them again (into a new folder that then replaces ``columns/``, so a server still
mapping the old files keeps reading them). ``tests/test_whoosh_store.py`` checks that the
rebuilt columns equal the ones the build wrote, file for file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np
from whoosh.filedb.filestore import FileStorage

from indexer import contract, layout
from indexer.whoosh_store import DIRECTORY
from indexer.whoosh_store.reader import decode_postings
from indexer.whoosh_store.schema import passage_from_stored, term_counts

TERMS_PER_BATCH = 4096
# Text fields whose lengths come from the postings (jieba's words), and from the stored text.
POSTINGS_FIELDS = tuple(name for name, analysis in contract.TEXT_FIELDS.items() if analysis == "words")
TEXT_LENGTH_FIELDS = tuple(name for name in contract.TEXT_FIELDS if name not in POSTINGS_FIELDS)


def _field_lengths(leaf, postings: int, field: str) -> np.ndarray:
    """Each passage's length of ``field`` in one segment: its term frequencies summed."""
    size = leaf.doc_count_all()
    total = np.zeros(size, dtype=np.int64)
    if field not in leaf.indexed_field_names():
        return total.astype(np.int32)
    ids, weights = [], []
    for _, info in leaf.iter_field(field):
        found, frequencies = decode_postings(postings, info)
        ids.append(found)
        weights.append(frequencies)
        if len(ids) >= TERMS_PER_BATCH:
            total += np.bincount(np.concatenate(ids), weights=np.concatenate(weights), minlength=size).astype(np.int64)
            ids, weights = [], []
    if ids:
        total += np.bincount(np.concatenate(ids), weights=np.concatenate(weights), minlength=size).astype(np.int64)
    return total.astype(np.int32)


def rebuild(generation: Path, target: Path | None = None) -> list[str]:
    """Write the columns of ``generation`` from its Whoosh index into ``target`` (a
    generation folder; default: ``generation`` itself, replacing its columns). Returns the
    segment ids in the engine's order."""
    target = target or generation
    building = target / f".{contract.COLUMNS_DIRECTORY}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    index = FileStorage(str(generation / DIRECTORY), supports_mmap=False).open_index()
    segments = []
    with index.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            segment = leaf.segment()
            handle = os.open(str(generation / DIRECTORY / segment.make_filename(".pst")), os.O_RDONLY)
            try:
                lengths = {field: _field_lengths(leaf, handle, field) for field in POSTINGS_FIELDS}
            finally:
                os.close(handle)
            writer = contract.ColumnsWriter()
            for docnum in range(leaf.doc_count_all()):
                passage = passage_from_stored(leaf.stored_fields(docnum))
                texts = contract.text_fields(passage)
                row = {field: sum(term_counts(contract.TEXT_FIELDS[field], texts[field]).values()) for field in TEXT_LENGTH_FIELDS}
                row.update({field: int(lengths[field][docnum]) for field in POSTINGS_FIELDS})
                writer.add(passage, row, texts[contract.UNIGRAM])
            writer.write(building, segment.segment_id())
            segments.append(segment.segment_id())
    contract.write_merged_columns(building, segments)
    final = target / contract.COLUMNS_DIRECTORY
    if final.exists():
        old = target / f".{contract.COLUMNS_DIRECTORY}-old-{os.getpid()}"
        os.rename(final, old)
        os.rename(building, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(building, final)
    return segments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.whoosh_store.columns", description="rebuild the columns of the index in use from its Whoosh index"
    )
    parser.add_argument("--index-dir", default=str(layout.DEFAULT_INDEX_DIR))
    args = parser.parse_args(argv)
    try:
        generation = layout.current_generation(Path(args.index_dir))
        segments = rebuild(generation)
    except (layout.IndexMissing, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"rebuilt the columns of {len(segments)} segments in {generation / contract.COLUMNS_DIRECTORY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
