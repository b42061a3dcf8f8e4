"""The fast segment writer writes what Whoosh's own writer would: same terms, postings, lengths,
stored fields and columns; and the parallel build indexes the same passages."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index

from indexer import whoosh_sink
from tests.conftest import GUIZHUMAO, TANGYANG


def _items(processed, doc_ids):
    return [(order, p) for order, doc_id in enumerate(doc_ids) for p in processed[doc_id].passages]


def _dump(directory: Path, key_by_passage: bool = False) -> dict:
    ix = index.open_dir(str(directory))
    out: dict = {}
    with ix.reader() as reader:
        count = reader.doc_count_all()
        ids = [reader.stored_fields(d)["passage_id"] for d in range(count)] if key_by_passage else list(range(count))
        out["stored"] = {ids[d]: reader.stored_fields(d) for d in range(count)}
        for name in ix.schema.names():
            if reader.has_column(name):
                out["column", name] = dict(zip(ids, reader.column_reader(name)))
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
def items(processed):
    return _items(processed, [TANGYANG, GUIZHUMAO])


def test_segment_equals_whoosh_writer(tmp_path, items):
    reference = tmp_path / "whoosh"
    reference.mkdir()
    ix = index.create_in(str(reference), whoosh_sink.schema())
    writer = ix.writer()
    for order, passage in items:
        writer.add_document(**whoosh_sink.document_fields(passage, order))
    writer.commit()
    fast = tmp_path / "fast"
    assert whoosh_sink.write(fast, iter(items)) == len(items)
    expected, actual = _dump(reference), _dump(fast)
    assert expected.keys() == actual.keys()
    assert [k for k in expected if expected[k] != actual[k]] == []


def test_several_segments_and_processes_index_the_same(tmp_path, items, monkeypatch):
    single = tmp_path / "single"
    whoosh_sink.write(single, iter(items))

    def work(job):
        return job, [items[job]]

    builder = whoosh_sink.IndexBuilder(tmp_path / "parallel", procs=2, segment_postings=5_000)
    assert list(builder.map(work, range(len(items)))) == list(range(len(items)))  # results in job order
    assert builder.commit() == len(items)
    assert len(index.open_dir(str(tmp_path / "parallel")).reader().leaf_readers()) > 2
    assert _dump(single, key_by_passage=True) == _dump(tmp_path / "parallel", key_by_passage=True)


def test_a_failing_worker_fails_the_build(tmp_path):
    def work(job):
        raise ValueError("boom")

    builder = whoosh_sink.IndexBuilder(tmp_path / "broken", procs=2)
    with pytest.raises(whoosh_sink.WorkerFailed, match="boom"):
        list(builder.map(work, range(3)))
