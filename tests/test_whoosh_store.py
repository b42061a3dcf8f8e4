"""The fast segment writer writes what Whoosh's own writer would: same terms, postings, lengths
and stored records; several segments and processes index the same passages; the columns
beside the segments say what the passages say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh import index

from indexer import contract, layout
from indexer.parallel import ParallelIndexer, WorkerFailed
from indexer.whoosh_store import writer as whoosh_writer
from indexer.whoosh_store.columns import rebuild as rebuild_columns
from indexer.whoosh_store.reader import WhooshStorage
from indexer.whoosh_store.schema import schema, whoosh_document
from tests.conftest import GUIZHUMAO, TANGYANG


def _dump(directory: Path, key_by_passage: bool = False) -> dict:
    ix = index.open_dir(str(directory))
    out: dict = {}
    with ix.reader() as reader:
        count = reader.doc_count_all()
        ids = [reader.stored_fields(d)["passage_id"] for d in range(count)] if key_by_passage else list(range(count))
        out["stored"] = {ids[d]: reader.stored_fields(d) for d in range(count)}
        for name in ix.schema.names():
            out["length", name] = {ids[d]: reader.doc_field_length(d, name) for d in range(count)}
            out["total", name] = reader.field_length(name)
        for fieldname, term in reader.all_terms():
            matcher = reader.postings(fieldname, term)
            postings = set() if key_by_passage else []
            while matcher.is_active():
                posting = (ids[matcher.id()], matcher.weight(), matcher.value())
                postings.add(posting) if key_by_passage else postings.append(posting)
                matcher.next()
            info = reader.term_info(fieldname, term)
            stats = (info.weight(), info.doc_frequency(), info.max_weight())
            if not key_by_passage:  # block statistics depend on document numbers
                stats += (info.min_length(), info.max_length(), info.min_id(), info.max_id())
            out["term", fieldname, term] = (stats, postings)
    return out


@pytest.fixture(scope="module")
def passages(processed):
    return [p for doc_id in (TANGYANG, GUIZHUMAO) for p in processed[doc_id].passages]


def test_segment_equals_whoosh_writer(tmp_path, passages):
    reference = tmp_path / "reference" / "whoosh"
    reference.mkdir(parents=True)
    ix = index.create_in(str(reference), schema())
    writer = ix.writer()
    for passage in passages:
        writer.add_document(**whoosh_document(passage))
    writer.commit()
    fast = tmp_path / "fast"
    assert whoosh_writer.write(fast, iter(passages)) == len(passages)
    expected, actual = _dump(reference), _dump(fast / "whoosh")
    assert expected.keys() == actual.keys()
    assert [k for k in expected if expected[k] != actual[k]] == []


def test_several_segments_and_processes_index_the_same(tmp_path, passages):
    single = tmp_path / "single"
    whoosh_writer.write(single, iter(passages))

    def work(job):
        return job, [passages[job]]

    sink = whoosh_writer.WhooshSink(tmp_path / "parallel")
    indexer = ParallelIndexer(sink.segment_writer, procs=2, segment_postings=5_000)
    assert list(indexer.map(work, range(len(passages)))) == list(range(len(passages)))  # results in job order
    sink.commit(indexer.segments)
    assert indexer.count == len(passages)
    assert len(index.open_dir(str(tmp_path / "parallel" / "whoosh")).reader().leaf_readers()) > 2
    assert _dump(single / "whoosh", key_by_passage=True) == _dump(tmp_path / "parallel" / "whoosh", key_by_passage=True)


def test_a_failing_worker_fails_the_build(tmp_path):
    def work(job):
        raise ValueError("boom")

    sink = whoosh_writer.WhooshSink(tmp_path / "broken")
    with pytest.raises(WorkerFailed, match="boom"):
        list(ParallelIndexer(sink.segment_writer, procs=2).map(work, range(3)))


def test_columns_say_what_the_passages_say(tmp_path, passages):
    whoosh_writer.write(tmp_path, iter(passages), segment_postings=3_000)
    (tmp_path / "manifest.json").write_text(f'{{"engine": "whoosh", "engine_version": "{whoosh_writer.engine_version()}"}}')
    storage = WhooshStorage(tmp_path)
    columns = storage.columns
    assert storage.size == len(passages) and len(storage._leaves) > 1
    for docnum in range(storage.size):
        passage = storage.stored(docnum)
        assert columns.doc_ids[columns.doc[docnum]] == passage.doc_id
        assert columns.ordinal[docnum] == passage.ordinal
        for name, value in contract.category_values(passage).items():
            codes, values = columns.category[name]
            assert values[codes[docnum]] == value, (name, docnum)
        offsets, codes, values = columns.multi["theme"]
        assert [values[c] for c in codes[offsets[docnum] : offsets[docnum + 1]]] == passage.themes
        assert storage.texts.text(docnum) == contract.text_fields(passage)["unigram"]
    everything = np.arange(storage.size)
    assert storage.contains(everything, "百香果").sum() == sum("百香果" in p.text for p in passages)


def test_a_generation_of_another_engine_version_is_refused(tmp_path, passages):
    whoosh_writer.write(tmp_path, iter(passages[:3]))
    (tmp_path / "manifest.json").write_text('{"engine": "whoosh", "engine_version": "0.0.1"}')
    with pytest.raises(Exception, match="python -m indexer build"):
        WhooshStorage(tmp_path)


def assert_columns_rebuild_identically(generation: Path, target: Path) -> None:
    """The columns the build wrote are a cache of the index: rebuilt from the Whoosh index
    alone, every file is the same, byte for byte."""
    segments = rebuild_columns(generation, target)
    written = generation / contract.COLUMNS_DIRECTORY
    rebuilt = target / contract.COLUMNS_DIRECTORY
    names = sorted(p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(rebuilt).as_posix() for p in rebuilt.rglob("*") if p.is_file())
    assert {name.split("/")[0] for name in names} == {*segments, contract.MERGED}
    assert [name for name in names if (written / name).read_bytes() != (rebuilt / name).read_bytes()] == []


def test_columns_rebuild_from_the_index(index_dir, tmp_path):
    assert_columns_rebuild_identically(layout.current_generation(index_dir), tmp_path)
