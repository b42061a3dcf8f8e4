"""The PostgreSQL engine on a real server (a throwaway cluster, tests/pgcluster.py), built by its
own sink from the bundled reports, against the Whoosh engine built from the same reports and
against a scan of the passages: recall, totals, every facet's counts, filters, paging, document
order identical; relevance top 10 compared (overlap printed). Then what the database side must
guarantee: incremental builds answer as full ones, a failed build changes nothing, one build at
a time, a build from another machine is incremental.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psycopg
import pytest

from app.search.facets import FACETS, NAMES, UNKNOWN
from app.search.port import Query
from app.search.postgres.engine import PostgresEngine
from app.search.query import parse
from app.search.service import SearchRequest
from indexer import contract
from indexer.analysis import normalize
from indexer.build import BuildFailed
from indexer.postgres_store.build import build as build_postgres
from indexer.postgres_store.store import BuildLocked, Database
from tests import pgcluster
from tests.benchmarks import corpus
from tests.benchmarks.queries import Corpus, matching, query_mix
from tests.conftest import DATA_DIR, GUIZHUMAO, TANGYANG

EXTRA = ["茶", "百香果", '"强村公司"', "信访 -矛盾", "光伏 OR 水电", "產業", "党建引领", "(光伏 OR 水电) 项目", "，", "c++", "1+3+n",
         "乡村振兴 -产业振兴", "-的", "松材线虫病", "线虫", "a", '"工作 计划"', "光伏 OR -水电"]


class Deadline:
    def __init__(self, seconds: float = 120):
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        assert time.monotonic() < self.end, "over the time limit"

    def remaining(self) -> float:
        return self.end - time.monotonic()


@pytest.fixture(scope="module")
def engine(postgres_dsn):
    made = PostgresEngine(postgres_dsn)
    yield made
    made.close()


@pytest.fixture(scope="module")
def searcher(engine):
    return engine.open_current()


@pytest.fixture(scope="module")
def corpus_of_index(index_dir):
    from indexer import layout

    return Corpus.load(layout.current_generation(index_dir))


def _queries(corpus_of_index) -> list[tuple[str, dict, int]]:
    mix = query_mix(corpus_of_index)
    return [(q.q, q.filters, q.page) for q in mix] + [(q, {}, 1) for q in EXTRA]


def _ask(searcher, service, text: str, filters: dict, page: int, sort: str, size: int = 10):
    parsed = parse(text)
    synonyms, _ = service._synonyms(parsed, True)
    query = Query(root=parsed.root, synonyms=synonyms, filters={k: (v,) for k, v in filters.items()}, sort=sort,
                  offset=(page - 1) * size, limit=size, facets=NAMES)
    return searcher.search(query, Deadline())


def test_same_answers_as_whoosh(searcher, service, corpus_of_index):
    """Totals, every facet's disjunctive counts (selected values included), document order and
    paging identical to the Whoosh engine's; relevance: the top 10 overlap."""
    overlaps = []
    for text, filters, page in _queries(corpus_of_index):
        for sort in ("relevance", "document", "year_desc", "year_asc"):
            request = SearchRequest(q=text, sort=sort, page=page, **{k: (v,) for k, v in filters.items()})
            local = service.search(request)
            answer = _ask(searcher, service, text, filters, page, sort)
            label = f"{text!r} {filters} page {page} {sort}"
            assert answer.total == local.total, label
            for name in NAMES:
                expected = {v.value: v.count for v in local.facets[name]}
                got = dict(answer.facets[name].top) | answer.facets[name].selected
                assert got == expected, f"{label}: facet {name}"
            ids = [h.passage_id for h in local.hits]
            if sort == "document" or not parse(text).root:
                assert answer.ids == ids, label
            elif ids:
                overlaps.append(len(set(ids) & set(answer.ids)) / len(ids))
    mean = sum(overlaps) / len(overlaps)
    print(f"\nrelevance top-10 overlap with Whoosh over {len(overlaps)} queries: mean {mean:.3f}, min {min(overlaps):.2f}")
    assert mean >= 0.9


def test_recall_against_a_scan(searcher, corpus_of_index):
    """Every passage whose normalized text holds the query's strings is found (all pages)."""
    mix = query_mix(corpus_of_index)
    for query in mix:
        if not query.includes:
            continue
        answer = searcher.search(Query(root=parse(query.q).root, filters={k: (v,) for k, v in query.filters.items()}, limit=None), Deadline())
        expected = {corpus_of_index.ids[i] for i in matching(corpus_of_index, query)}
        assert expected <= set(answer.ids), query.label()
        assert answer.total == len(answer.ids)


@pytest.mark.parametrize("text", ["茶", "百香果", "乡村振兴", "1+3+n", "松材线虫病", "，", "不存在的字符串", "工作 计划"])
def test_contains_means_contains(searcher, passages, text):
    answer = searcher.search(Query(root=parse(f'"{text}"').root, limit=None, sort="document"), Deadline())
    needle = normalize(text)
    assert set(answer.ids) == {p.passage_id for p in passages if needle in normalize(p.text)}


def test_every_filter_and_unknown(searcher, passages):
    """Each facet's filter (values in either script, UNKNOWN) selects exactly the passages
    carrying the value; facets are ANDed, values ORed."""
    for facet in FACETS:
        column = facet.column
        values = {}
        for p in passages:
            found = list(p.themes) if facet.multi_valued else [contract.category_values(p)[column]]
            for value in found:
                if value or facet.unknown:
                    values.setdefault(value or UNKNOWN, set()).add(p.passage_id)
        for value, expected in list(values.items())[:6]:
            answer = searcher.search(Query(filters={facet.name: (value,)}, limit=None), Deadline())
            assert set(answer.ids) == expected, (facet.name, value)
    answer = searcher.search(Query(filters={"township": ("汤垟乡", "桂竹帽鎮"), "year": ("2023",)}, limit=None), Deadline())
    expected = {p.passage_id for p in passages if p.township in ("汤垟乡", "桂竹帽镇") and p.year == 2023}
    assert set(answer.ids) == expected and expected


def test_paging_is_stable(searcher):
    whole = searcher.search(Query(root=parse("发展").root, limit=None), Deadline())
    pages = []
    for offset in range(0, whole.total + 7, 7):
        pages += searcher.search(Query(root=parse("发展").root, offset=offset, limit=7), Deadline()).ids
    assert pages == whole.ids and len(set(pages)) == whole.total > 20
    past = searcher.search(Query(root=parse("发展").root, offset=10_000, limit=10), Deadline())
    assert past.ids == [] and past.total == whole.total


def test_records(searcher, passages, processed):
    by_id = {p.passage_id: p for p in passages}
    ids = list(by_id)[::17] + ["no-such-passage"]
    got = searcher.passages(ids)
    assert got[-1] is None
    assert [contract.stored_record(p) for p in got[:-1]] == [contract.stored_record(by_id[i]) for i in ids[:-1]]
    assert [p.passage_id for p in searcher.document_passages(TANGYANG)] == [p.passage_id for p in processed[TANGYANG].passages]
    assert searcher.document_passages("no-such-report") == []
    assert [d.doc_id for d in searcher.documents()] == sorted(processed, key=lambda d: processed[d].document.order)
    assert searcher.document(GUIZHUMAO).township == processed[GUIZHUMAO].document.township
    assert searcher.info.passages == len(passages) and searcher.info.documents == len(processed)
    assert searcher.info.engine.startswith("postgres 15")


def test_lexicon(searcher, passages):
    from indexer.analysis import word_counts

    frequency: dict[str, int] = {}
    for p in passages:
        for word in word_counts(normalize(p.text)):
            frequency[word] = frequency.get(word, 0) + 1
    assert searcher.word_frequencies(["发展", "产业", "不存在的词"]) == {"发展": frequency["发展"], "产业": frequency["产业"], "不存在的词": 0}
    found = searcher.prefixes("产业", 5)
    expected = sorted(((w, n) for w, n in frequency.items() if w.startswith("产业")), key=lambda wn: (-wn[1], wn[0]))[:5]
    assert found == expected


def test_more_like_this(searcher, passages):
    terms = [("光伏", 1.0), ("项目", 0.5), ("电站", 0.8)]
    best = searcher.more_like_this(terms, Deadline(), limit=5, exclude_documents=(TANGYANG,))
    assert best and all(not pid.startswith(TANGYANG) for pid, _ in best)
    scores = [s for _, s in best]
    assert scores == sorted(scores, reverse=True)
    within = [pid for pid, _ in best[:2]] + [passages[0].passage_id]
    scored = dict(searcher.more_like_this(terms, Deadline(), within=within, headings=True))
    assert list(scored) == within and scored[within[0]] == pytest.approx(best[0][1])


# ---------------------------------------------------------------------------- builds


def _answers(dsn: str, mix) -> dict:
    engine = PostgresEngine(dsn)
    try:
        searcher = engine.open_current()
        out = {}
        for query in mix:
            for sort in ("relevance", "document"):
                answer = searcher.search(Query(root=parse(query.q).root, filters={k: (v,) for k, v in query.filters.items()}, sort=sort,
                                               offset=(query.page - 1) * 10, facets=NAMES), Deadline())
                out[query.label(), sort] = (answer.total, answer.ids, [round(s, 6) for s in answer.scores],
                                            {n: (f.top, f.selected, f.omitted) for n, f in answer.facets.items()})
        out["documents"] = [(d.doc_id, d.order, d.sha1) for d in searcher.documents()]
        out["words"] = searcher.word_frequencies(["发展", "产业", "光伏", "琥珀蜂巢"])
        out["prefixes"] = searcher.prefixes("乡村", 10)
        return out
    finally:
        engine.close()


def test_incremental_builds_answer_as_full_ones(postgres, tmp_path):
    """Rounds of changes (added, changed, removed reports) built incrementally into one database
    and in full into another: the same answers, scores included."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    names = corpus.township_names(12, corpus.DEFAULT_SEED)
    for i in range(4):
        report = corpus.report(i, corpus.DEFAULT_SEED, names)
        (data / report.relative).write_bytes(report.text.encode(report.encoding))
    rolling = pgcluster.new_database(postgres)
    first = build_postgres(data, rolling, procs=2)
    assert first.mode == "full"
    rounds = [
        lambda: [(data / f"{GUIZHUMAO}.txt").unlink()],
        lambda: _append(data / f"{TANGYANG}.txt", "琥珀蜂巢新版记述：光伏项目推进。"),
        lambda: [(data / (r := corpus.report(i, corpus.DEFAULT_SEED, names)).relative).write_bytes(r.text.encode(r.encoding)) for i in (7, 8)],
    ]
    for change in rounds:
        change()
        report = build_postgres(data, rolling, procs=2)
        assert report.mode == "incremental", report.reason
        fresh = pgcluster.new_database(postgres)
        assert build_postgres(data, fresh, procs=1).mode == "full"
        with psycopg.connect(fresh) as connection:
            generation = connection.execute("SELECT generation FROM township.state").fetchone()[0]
        mix = query_mix(corpus_from(fresh, generation))
        assert _answers(rolling, mix) == _answers(fresh, mix)
    again = build_postgres(data, rolling, procs=1)
    assert again.mode == "up to date"


def _append(path: Path, text: str) -> None:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    path.write_bytes(raw + f"\n{text}\n".encode(encoding))


def corpus_from(dsn: str, generation: int) -> Corpus:
    """The benchmark's corpus view of a database generation (passages in collection order)."""
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            """SELECT r.record FROM township.passages p JOIN township.documents d ON d.generation = %s AND d.doc_id = p.doc_id AND d.born = p.born
               JOIN township.passage_records r ON r.pid = p.pid
               ORDER BY d.ord, p.ordinal""", (generation,)).fetchall()
    made = Corpus([], [], [], [], [], [])
    for (record,) in rows:
        made.ids.append(record["passage_id"])
        made.texts.append(normalize(record["text"]))
        made.township.append(record.get("township") or "")
        made.year.append(str(record.get("year") or ""))
        made.section.append(record["section"])
        made.themes.append(tuple(record.get("themes") or ()))
        made.chars += len(record["text"])
    return made


def test_a_failed_build_changes_nothing(postgres, tmp_path):
    dsn = pgcluster.new_database(postgres)
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    build_postgres(data, dsn, procs=1)
    before = _answers(dsn, [])
    (data / "新报告.txt").write_text("某某镇2023年工作总结\n一、工作总结\n琥珀蜂巢是新写的一段。\n", encoding="utf-8")
    # A build that dies after its indexing processes copied their rows: a report that stops
    # the pipeline in the middle (a BaseException, as a kill would) leaves them behind.
    import indexer.postgres_store.store as store

    original = store.PostgresSink.commit

    def killed(self, *args, **kwargs):
        raise KeyboardInterrupt

    store.PostgresSink.commit = killed
    try:
        with pytest.raises(KeyboardInterrupt):
            build_postgres(data, dsn, procs=1)
    finally:
        store.PostgresSink.commit = original
    assert _answers(dsn, []) == before
    with psycopg.connect(dsn) as connection:
        assert connection.execute("SELECT count(*) FROM township.passages WHERE born > (SELECT generation FROM township.state)").fetchone()[0] > 0
    report = build_postgres(data, dsn, procs=1)  # removes what the killed build left, then adds the report
    assert report.mode == "incremental" and report.added == ["新报告.txt"]
    with psycopg.connect(dsn) as connection:
        current = connection.execute("SELECT generation FROM township.state").fetchone()[0]
        assert connection.execute("SELECT count(*) FROM township.passages WHERE born > %s", (current,)).fetchone()[0] == 0
    searcher = PostgresEngine(dsn).open_current()
    assert searcher.search(Query(root=parse("琥珀蜂巢").root), Deadline()).total == 1


def test_one_build_at_a_time_and_clear_errors(postgres, tmp_path):
    dsn = pgcluster.new_database(postgres)
    with Database.locked(dsn):
        with pytest.raises(BuildLocked, match="another build is running"):
            build_postgres(DATA_DIR, dsn, procs=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildFailed, match="no report files"):
        build_postgres(empty, dsn, procs=1)
    engine = PostgresEngine(dsn)
    from indexer.layout import IndexMissing

    with pytest.raises(IndexMissing, match="--engine postgres"):
        engine.open_current()
    assert engine.current_token() is None
    engine.close()


def test_the_command_line(postgres, tmp_path):
    """``python -m indexer build --engine postgres`` with the DSN from the environment; a wrong
    DSN is one clear line and exit status 1."""
    import subprocess
    import sys

    from indexer.domain import PROJECT_ROOT

    dsn = pgcluster.new_database(postgres)
    env = {**os.environ, "TOWNSHIP_PG_DSN": dsn, "TOWNSHIP_PG_PURGE_GRACE": "0"}
    done = subprocess.run([sys.executable, "-m", "indexer", "build", "--engine", "postgres", "--data-dir", str(DATA_DIR), "--quiet"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "full build (no index yet): 5 added" in done.stdout and "index: generation 1" in done.stdout
    again = subprocess.run([sys.executable, "-m", "indexer", "build", "--engine", "postgres", "--data-dir", str(DATA_DIR), "--quiet"],
                           cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "index is up to date" in again.stdout
    wrong = subprocess.run([sys.executable, "-m", "indexer", "build", "--engine", "postgres", "--dsn", "postgresql://nobody:secret@127.0.0.1:1/none",
                            "--data-dir", str(DATA_DIR), "--quiet"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 1 and wrong.stderr.startswith("error: cannot connect to postgresql://nobody:***@127.0.0.1:1/none")
    assert "Traceback" not in wrong.stderr and "secret" not in wrong.stderr
