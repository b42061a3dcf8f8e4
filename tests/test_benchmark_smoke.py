"""The benchmark's corpus generator and baselines, at a tiny size (no timing is asserted)."""

from __future__ import annotations

import json

import pytest

from app.search.facets import NAMES as FACET_NAMES
from app.search.facets import UNKNOWN
from indexer.build import build
from indexer.normalize import normalize
from tests.benchmarks import baselines, corpus, tantivy_column
from tests.benchmarks.queries import Corpus, matching, query_mix
from tests.benchmarks.run import percentile


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    return work, corpus.generate(work, 6, log=None)


def test_generator_is_deterministic_and_varied(generated, tmp_path):
    _, folder = generated
    again = corpus.generate(tmp_path, 6, log=None)
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert files == sorted(p.name for p in again.iterdir() if not p.name.startswith("."))
    assert all((folder / f).read_bytes() == (again / f).read_bytes() for f in files)
    truth = corpus.truth(folder)
    assert {row["year"] for row in truth.values()} <= set(corpus.YEARS)
    assert all(row["township"].endswith(("乡", "镇", "街道")) and row["county"].endswith("县") for row in truth.values())


def test_generated_reports_read_back(generated, tmp_path):
    """Every generated report is indexed, with the township and year it was written with."""
    _, folder = generated
    report = build(folder, tmp_path / "index", procs=1)
    truth = corpus.truth(folder)
    assert not report.skipped
    for document in report.documents:
        assert document.township == truth[document.source]["township"]
        assert document.year == truth[document.source]["year"]
    data = Corpus.load(report.generation)
    mix = query_mix(data)
    assert {q.cls for q in mix} >= {"1字", "长短语", "繁体输入", "排除", "筛选3", "深页", "浏览"}
    for query in mix[:12]:
        found = matching(data, query)
        assert all(all(s in data.texts[i] for s in query.includes) for i in found)
        answer = baselines.scan(data, query)
        assert answer["total"] == len(found)


def test_both_scripts_and_encodings_occur():
    names = corpus.township_names(30, corpus.DEFAULT_SEED)
    reports = [corpus.report(i, corpus.DEFAULT_SEED, names) for i in range(80)]
    assert any(r.traditional for r in reports) and any(not r.traditional for r in reports)
    assert {r.encoding for r in reports} >= {"utf-8", "gb18030"}
    traditional = next(r for r in reports if r.traditional)
    assert normalize(traditional.text) != traditional.text  # really written in traditional script


@pytest.mark.skipif(not baselines.fts5_available(), reason="SQLite without FTS5 trigram")
def test_fts5_baseline_finds_what_the_scan_finds_for_long_strings(generated, tmp_path):
    work, folder = generated
    report = build(folder, tmp_path / "index", procs=1)
    data = Corpus.load(report.generation)
    fts = baselines.Fts5(tmp_path / "fts.sqlite", data)
    for query in query_mix(data):
        if query.includes and baselines.fts5_answerable(query):
            assert fts.found(query) == set(matching(data, query))
            assert fts.search(query)["total"] == len(matching(data, query))
    fts.close()


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile(list(range(1, 101)), 95) == 95
    assert json.dumps(percentile([1.5], 99)) == "1.5"


def test_tantivy_column_answers_exactly_what_the_scan_finds(generated, tmp_path):
    """Tantivy, given the same passages as unigrams + bigrams, matches exactly the passages the
    scan finds for every query of the mix (count and every match), and its disjunctive facet
    counts are the scan's."""
    _, folder = generated
    report = build(folder, tmp_path / "index", procs=1)
    data = Corpus.load(report.generation)
    mix = query_mix(data)
    truth = [baselines.scan(data, q) for q in mix]
    column = tantivy_column.run_column(report.generation, tmp_path / "tantivy", mix, truth, rounds=1, reuse=False, log=lambda _: None)
    assert column["build"]["passages"] == len(data)
    for i, (query, expected) in enumerate(zip(mix, truth)):
        answer = column["answers"][i]
        assert answer["total"] == expected["total"], query.label()
        assert column["recall"][i] == (expected["total"],) * 3, query.label()
        assert len(answer["page"]) == len(expected["page"])
        for facet, counts in expected["facets"].items():
            listed = {value: count for value, count in answer["facets"][facet] if value != UNKNOWN}
            assert listed == dict(counts), (query.label(), facet)
        assert set(answer["facets"]) == set(FACET_NAMES)
    assert set(column["warm"]) == set(range(len(mix))) and all(len(ms) == 1 for ms in column["warm"].values())
    assert column["rss"]["rss_after_mb"] > 0 and column["build"]["size_mb"] > 0


def test_tantivy_strings_are_bigram_phrases():
    assert tantivy_column.bigrams("乡村振兴") == ["乡村", "村振", "振兴"]
    assert tantivy_column.bigram_text("低保 户") == "低保 保␣ ␣户"
    assert tantivy_column.bigrams("茶") == []


def test_worker_memory_reports_each_step(index_dir, capsys):
    from tests.benchmarks import worker_memory

    assert worker_memory.main(["--index-dir", str(index_dir), "--clients", "2", "--seconds", "1"]) == 0
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if " rss " in line]
    assert steps[0].startswith("imported") and steps[1].startswith("opened") and steps[-1].startswith("after malloc_trim(0)")
    assert all(float(line.split(" rss ")[1].split()[0]) > 0 for line in steps)
    assert "load: 2 threads for 1 s:" in out and "term cache (held / limit)" in out


def test_server_only_measures_the_served_index(tmp_path, capsys):
    """``--server-only`` (a code change measured again on an index already measured in full):
    a real server over a tiny generated corpus, every query of the mix answered, per-class rows."""
    from tests.benchmarks import run

    code = run.main(["--reports", "6", "--work-dir", str(tmp_path), "--server-only", "--rounds", "1", "--clients", "2", "--duration", "1"])
    result = json.loads((tmp_path / "results-server-6.json").read_text())
    assert code == 0 and result["server_only"] and result["errors"] == 0
    assert result["passages"] > 0 and result["load"]["requests"] > 0
    assert {row["class"] for row in result["classes"]} >= {"1字", "浏览"}
    assert len(result["queries"]) == sum(row["n"] for row in result["classes"])
    assert all(q["cold_ms"] > 0 and len(q["warm_ms"]) == 1 for q in result["queries"])
    assert "Server only" in capsys.readouterr().out
