"""The index is an ordinary Whoosh index (issue 18.1): opened by the pinned Whoosh in a process
where none of our code can be imported (an import hook refuses ``indexer`` and ``app``, which
the editable install puts on ``sys.path``), queried with Whoosh's stock ``QueryParser``,
``township:汤垟乡``, ``year:2023``, ``theme:产业发展`` and every other facet value (unknown ones,
values as stored in traditional script, values that are in no report) find exactly the
passages the search service's filters find, and the stored fields read back as the values
the pipeline made; on the bundled reports, and on generated ones after an incremental build
that deleted passages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.search.engines import search_service
from app.search.service import SearchRequest
from indexer import contract, layout
from indexer.build import build
from indexer.normalize import normalize
from indexer.whoosh_store.reader import WhooshStorage
from tests.benchmarks import corpus
from tests.benchmarks.update import apply_update
from tests.test_whoosh_store import assert_columns_rebuild_identically

STOCK = r'''
import json, sys

class Refuse:
    """Our packages may not be imported: the index must be readable without them."""
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("indexer", "app", "tests"):
            raise ImportError(f"refused: {name}")
        return None

sys.meta_path.insert(0, Refuse())
try:
    import indexer  # noqa: F401
    sys.exit("the import hook let indexer through")
except ImportError:
    pass

from whoosh import index
from whoosh.qparser import QueryParser

whoosh_dir, queries = sys.argv[1], json.loads(sys.stdin.read())
ix = index.open_dir(whoosh_dir)
out = {"schema": ix.schema.names(), "found": {}, "stored": {}}
with ix.searcher() as searcher:
    for text in queries:
        field = text.partition(":")[0]
        query = QueryParser(field, ix.schema).parse(text)
        hits = searcher.search(query, limit=None)
        out["found"][text] = sorted(hit["passage_id"] for hit in hits)
    reader = searcher.reader()
    for docnum in reader.all_doc_ids():  # live passages only
        fields = reader.stored_fields(docnum)
        out["stored"][fields["passage_id"]] = fields
print(json.dumps(out, ensure_ascii=False))
'''

# Stored field → how the pipeline's passage holds it.
STORED_AS = {"theme": "themes"}
SYNTAX = set(" :()\"'[]{}^~*?+-!&|\\/")


def stock_whoosh(generation: Path, queries: list[str]) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", STOCK, str(generation / "whoosh")],
        input=json.dumps(queries, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def facet_queries(storage: WhooshStorage) -> dict[str, tuple[str, str]]:
    """Query string → (facet, value): every value of every facet as stored (either script),
    the unknown value, a value in no report, and each stored value in the other script."""
    import opencc

    to_traditional = opencc.OpenCC("s2t").convert
    queries = {}
    columns = storage.columns
    for facet in contract.CATEGORY_COLUMNS + contract.MULTI_COLUMNS:
        values = columns.multi[facet][2] if facet in contract.MULTI_COLUMNS else columns.category[facet][1]
        asked = {v for v in values if v} | {to_traditional(v) for v in values if v} | {"1999" if "year" in facet else "不存在乡"}
        if facet in contract.UNKNOWN_COLUMNS:
            asked.add(contract.UNKNOWN)
        for value in sorted(asked):
            assert not SYNTAX & set(value), value  # a bare term for the query parser
            queries[f"{facet}:{value}"] = (facet, value)
    return queries


def assert_stock_whoosh_agrees(index_dir: Path) -> dict:
    generation = layout.current_generation(index_dir)
    storage = WhooshStorage(generation)
    try:
        queries = facet_queries(storage)
        alive = range(storage.size) if storage.alive is None else storage.alive.nonzero()[0].tolist()
        passages = {p.passage_id: p for p in (storage.stored(d) for d in alive)}
    finally:
        storage.close()
    stock = stock_whoosh(generation, list(queries))
    assert {"township", "year", "section", "theme"} <= set(stock["schema"])
    service = search_service(index_dir)
    facets = set(service_facets())
    compared = 0
    for text, (facet, value) in queries.items():
        found = stock["found"][text]
        if facet in facets:  # a facet of the API: its filter must find the same passages
            expected = sorted(h.passage_id for h in service.export(SearchRequest(**{facet: (value,)})))
            compared += 1
        else:  # city, province: no API filter; the values as the pipeline made them
            expected = sorted(pid for pid, p in passages.items() if normalize(getattr(p, facet) or "") == normalize(value))
        assert found == expected, (text, len(found), len(expected))
    assert compared > 20
    # Stored fields are the passage's values, as plain Python values.
    assert stock["stored"].keys() == passages.keys()
    for passage_id, fields in stock["stored"].items():
        passage = passages[passage_id]
        for name, value in fields.items():
            assert value == getattr(passage, STORED_AS.get(name, name)), (passage_id, name)
        for name in ("township", "county", "year", "about_year"):
            assert fields.get(name) == getattr(passage, name)
    return stock


def service_facets() -> list[str]:
    from app.search.facets import NAMES

    return list(NAMES)


def test_the_unknown_value_is_the_apis():
    from app.search.facets import FACETS, UNKNOWN

    assert UNKNOWN == contract.UNKNOWN
    assert {f.column for f in FACETS if f.unknown} == set(contract.UNKNOWN_COLUMNS)


def test_stock_whoosh_reads_the_bundled_reports(index_dir, passages):
    stock = assert_stock_whoosh_agrees(index_dir)
    assert len(stock["found"]["township:汤垟乡"]) == sum(p.township == "汤垟乡" for p in passages) > 0
    assert len(stock["found"]["year:2023"]) == sum(p.year == 2023 for p in passages) > 0
    assert len(stock["found"]["theme:产业发展"]) == sum("产业发展" in p.themes for p in passages) > 0
    by_id = {p.passage_id: p for p in passages}
    for passage_id, fields in stock["stored"].items():  # and as the pipeline made them
        passage = by_id[passage_id]
        assert fields["text"] == passage.text and fields["heading_path"] == passage.heading_path
        assert fields["ordinal"] == passage.ordinal and fields["doc_id"] == passage.doc_id
        assert fields.get("year") == passage.year and fields["theme"] == passage.themes


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    work = tmp_path_factory.mktemp("stock")
    base = corpus.generate(work, 60, log=None)
    data = work / "data"
    data.mkdir()
    for path in base.iterdir():
        if not path.name.startswith("."):
            (data / path.name).write_bytes(path.read_bytes())
    return data, work / "index"


def test_stock_whoosh_reads_generated_reports_before_and_after_an_update(generated, tmp_path):
    data, index_dir = generated
    build(data, index_dir, procs=2)
    before = assert_stock_whoosh_agrees(index_dir)
    assert any(text.startswith("township:") and any(c != normalize(c) for c in text) for text in before["found"])  # traditional names
    apply_update(data, 60, corpus.DEFAULT_SEED)
    report = build(data, index_dir, procs=2)
    assert report.mode == "incremental" and report.removed
    storage = WhooshStorage(layout.current_generation(index_dir))
    assert storage.alive is not None  # passages deleted in carried segments
    storage.close()
    after = assert_stock_whoosh_agrees(index_dir)
    assert len(after["stored"]) != len(before["stored"])
    assert_columns_rebuild_identically(layout.current_generation(index_dir), tmp_path)
