"""Incremental builds (issue 13): a folder changed over several rounds (reports added, changed,
removed, renamed, a doc id shifted by a new file, an unreadable file kept and dropped, segments
merged) is built incrementally and, beside it, in full; both generations must hold the same
records and the search service must answer the benchmark's query mix from both alike: ids in
order, totals, facet counts, every hit of every page, trends, suggestions, similar passages.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from app.search.engines import search_service
from app.search.service import SearchRequest
from indexer import contract, incremental, layout
from indexer.build import build
from indexer.read import discover
from indexer.whoosh_store import DIRECTORY
from indexer.whoosh_store.reader import iter_passages, open_storage
from indexer.whoosh_store.writer import segment_states
from tests.benchmarks import corpus
from tests.benchmarks.queries import Corpus, query_mix
from tests.conftest import DATA_DIR, GUIZHUMAO, TANGYANG, ZHAITAN

MARKER_OLD = "琥珀蜂巢旧版记述"  # in the first version of a changed report only
MARKER_NEW = "琥珀蜂巢新版记述"


def _generated(data: Path, numbers, names, name: str | None = None) -> None:
    for i in numbers:
        report = corpus.report(i, corpus.DEFAULT_SEED, names)
        (data / (name or report.relative)).write_bytes(report.text.encode(report.encoding))


def _encoding(path: Path) -> str:
    try:
        path.read_bytes().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _append(path: Path, text: str) -> None:
    encoding = _encoding(path)
    with path.open("ab") as handle:
        handle.write(f"\n{text}\n".encode(encoding))


def _service_answers(index_dir: Path, mix) -> dict:
    """Everything the service says about this index for the query mix and more."""
    service = search_service(index_dir, timeout_seconds=120)
    out: dict = {}
    for query in mix:
        request = SearchRequest(q=query.q, page=query.page, size=query.size, **{f: (v,) for f, v in query.filters.items()})
        result = service.search(request)
        out["search", query.label()] = (
            result.total,
            [asdict(hit) for hit in result.hits],
            {name: [(v.value, v.count, v.selected) for v in values] for name, values in result.facets.items()},
            result.expanded,
            [(a.q, a.total) for a in result.alternatives],
        )
        out["export", query.label()] = [hit.passage_id for hit in service.export(replace(request, page=1))]
        if query.cls in ("2字词", "筛选1"):
            by_year = service.search(replace(request, sort="year_desc"))
            out["year_desc", query.label()] = [hit.passage_id for hit in by_year.hits]
            out["trends", query.label()] = asdict(service.trends(request))
    for prefix in ("光", "乡村", "产业", "党", "信", "琥珀"):
        out["suggest", prefix] = service.suggest(prefix)
    documents = service.documents()
    out["documents"] = [asdict(d) for d in documents]
    for document in documents:
        view = service.document(document.doc_id, q="发展")
        out["document", document.doc_id] = asdict(view)
        for passage in view.passages[:: max(1, len(view.passages) // 2)]:
            similar = service.similar(passage.passage_id)
            out["similar", passage.passage_id] = [asdict(s) for s in similar]
    return out


def _differences(incremental_dir: Path, full_dir: Path) -> list:
    """What the generation in use of ``incremental_dir`` says differently from ``full_dir``'s
    (empty when they are alike)."""
    mine, theirs = layout.current_generation(incremental_dir), layout.current_generation(full_dir)
    found: list = ["documents.jsonl"] if (mine / "documents.jsonl").read_bytes() != (theirs / "documents.jsonl").read_bytes() else []
    records = [sorted((vars(p) for p in iter_passages(g)), key=lambda r: r["passage_id"]) for g in (mine, theirs)]
    if records[0] != records[1]:
        found.append("passages")
    manifests = [layout.read_manifest(g) for g in (mine, theirs)]
    found += [
        key for key in ("documents", "passages", "chars", "skipped", "failed", "analysis", "pipeline") if manifests[0][key] != manifests[1][key]
    ]
    data = Corpus.load(theirs)
    mix = query_mix(data)
    expected = _service_answers(full_dir, mix)
    actual = _service_answers(incremental_dir, mix)
    found += [key for key in expected.keys() | actual.keys() if actual.get(key) != expected.get(key)]
    known = set(data.ids)
    found += [("stale", key) for key, value in actual.items() if key[0] == "export" and not set(value) <= known]
    # The storage port itself: the same terms with the same (live) document frequencies.
    storages = [open_storage(g) for g in (mine, theirs)]
    try:
        for field in contract.TEXT_FIELDS:
            terms, frequencies = storages[0].lexicon(field)
            full_terms, full_frequencies = storages[1].lexicon(field)
            if terms != full_terms or frequencies.tolist() != full_frequencies.tolist():
                found.append(("lexicon", field))
            for term in full_terms[:: max(1, len(full_terms) // 200)]:
                frequency = storages[1].doc_frequency(field, term)
                if storages[0].doc_frequency(field, term) != frequency or len(storages[0].postings(field, term)[0]) != frequency:
                    found.append(("doc_frequency", field, term))
    finally:
        for storage in storages:
            storage.close()
    return found


def _files(generation: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(path.relative_to(generation)): (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns)
        for path in generation.rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """Build a folder through four rounds of changes, incrementally and in full each time."""
    root = tmp_path_factory.mktemp("incremental")
    data, index = root / "data", root / "index"
    shutil.copytree(DATA_DIR, data)
    names = corpus.township_names(20, corpus.DEFAULT_SEED)
    _generated(data, range(8), names)
    (data / "damaged.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)  # cannot be processed: failed, by content
    (data / "empty.txt").write_bytes(b"")  # skipped before processing

    def round_(name: str) -> dict:
        """Build incrementally and in full; compare at once (later rounds prune generations)."""
        before = layout.current_generation(index) if (index / layout.POINTER).exists() else None
        files_before = _files(before) if before else {}
        report = build(data, index, procs=2)
        full_dir = root / f"full-{name}"
        full = build(data, full_dir, procs=1, full=True)
        after = _files(report.generation)
        return {
            "report": report,
            "full": full,
            "differences": _differences(index, full_dir),
            "previous_untouched": before is None or _files(before) == files_before,
            "shared": [name for name, (inode, _, _) in after.items() if files_before.get(name, (None,))[0] == inode],
        }

    first = round_("initial")
    # 1: four added, two changed (one to another township), two removed
    _generated(data, range(8, 12), names)
    _append(data / "r00002.txt", f"七、其他事项\n今年启动{MARKER_OLD}试点，带动农户增收。")
    _generated(data, [40], names, name="r00005.txt")
    (data / "r00007.txt").unlink()
    (data / f"{ZHAITAN}.txt").unlink()
    second = round_("add-change-remove")
    # 2: a changed report changed again, a removed one back, a rename, a new file that takes
    # r00003's doc id (r00003.text sorts first), the unreadable file gone, a file only touched
    text = (data / "r00002.txt").read_bytes().replace(MARKER_OLD.encode("gb18030"), MARKER_NEW.encode("gb18030"))
    text = text.replace(MARKER_OLD.encode("utf-8"), MARKER_NEW.encode("utf-8"))
    (data / "r00002.txt").write_bytes(text)
    shutil.copy(DATA_DIR / f"{ZHAITAN}.txt", data)
    (data / "sub").mkdir()
    (data / "r00006.txt").rename(data / "sub" / "r00006.txt")
    _generated(data, [41], names, name="r00003.text")
    (data / "damaged.docx").unlink()
    os.utime(data / f"{TANGYANG}.txt")
    third = round_("again")
    return {"data": data, "index": index, "names": names, "rounds": [first, second, third], "round": round_}


def test_first_build_is_full_then_incremental(rounds):
    first, second, third = rounds["rounds"]
    assert first["report"].mode == "full" and first["report"].reason == "no index yet"
    for outcome in (second, third):
        assert outcome["report"].mode == "incremental", outcome["report"].reason
    assert all(r["full"].mode == "full" for r in rounds["rounds"])


def test_the_summary_counts_what_changed(rounds):
    _, second, third = rounds["rounds"]
    report = second["report"]
    assert sorted(report.added) == ["r00008.txt", "r00009.txt", "r00010.txt", "r00011.txt"]
    assert sorted(report.changed) == ["r00002.txt", "r00005.txt"]
    assert sorted(report.removed) == [f"{ZHAITAN}.txt", "r00007.txt"]
    # the damaged and the empty file count as unchanged: they are skipped again, unread
    assert report.unchanged == 5 + 8 - 2 - 2 + 2
    assert [file for file, _ in report.skipped] == ["damaged.docx", "empty.txt"]
    assert [d.source for d in report.processed] == ["r00002.txt", "r00005.txt", "r00008.txt", "r00009.txt", "r00010.txt", "r00011.txt"]
    assert {"discover", "plan", "reuse", "index", "records", "publish"} <= report.timings.keys()
    report = third["report"]
    assert sorted(report.added) == [f"{ZHAITAN}.txt", "r00003.text", "sub/r00006.txt"]
    # r00003.txt keeps its content but its doc id is now r00003-2: indexed again
    assert sorted(report.changed) == ["r00002.txt", "r00003.txt"]
    assert sorted(report.removed) == ["damaged.docx", "r00006.txt"]
    assert {d.source: d.doc_id for d in report.documents}["r00003.txt"] == "r00003-2"


@pytest.mark.parametrize("number", [0, 1, 2])
def test_each_round_equals_a_full_rebuild(rounds, number):
    assert rounds["rounds"][number]["differences"] == []


def test_unchanged_segments_are_shared_and_never_modified(rounds):
    for outcome in rounds["rounds"]:
        assert outcome["previous_untouched"], "a build changed a file of the generation before it"
    shared = rounds["rounds"][1]["shared"]
    assert any(name.startswith(f"{DIRECTORY}/") and name.endswith(".pst") for name in shared)
    assert any(name.startswith(f"{contract.COLUMNS_DIRECTORY}/") for name in shared)
    assert not any(name.endswith((".jsonl", "manifest.json", ".toc")) for name in shared)


def test_no_stale_passage_of_a_changed_report(rounds):
    service = search_service(rounds["index"])
    assert service.search(SearchRequest(q=MARKER_OLD)).total == 0
    found = service.search(SearchRequest(q=MARKER_NEW))
    assert found.total == 1 and found.hits[0].doc_id == "r00002"
    assert not any("旧版" in word for word in service.suggest("旧"))  # the old version's words are gone


def test_merges_keep_the_answers(rounds, monkeypatch):
    """Merging small segments (a low tier size, so it happens at this scale) changes no answer."""
    monkeypatch.setattr(incremental, "MERGE_FACTOR", 2)
    monkeypatch.setattr(incremental, "MERGE_FLOOR", 10)
    data, names = rounds["data"], rounds["names"]
    _generated(data, range(12, 14), names)
    _append(data / "r00004.txt", "八、补充说明\n补充一段关于防汛抗旱的说明。")
    (data / "r00001.txt").unlink()
    outcome = rounds["round"]("merge")
    report = outcome["report"]
    assert report.mode == "incremental" and report.merged and report.merged["segments"] >= 2
    merged = Path(report.merged["generation"])
    assert layout.current_generation(rounds["index"]) == merged
    assert len(segment_states(merged)) < len(segment_states(report.generation))
    assert layout.read_manifest(merged)["build"]["merged"]["segments"] == report.merged["segments"]
    assert outcome["differences"] == []


def test_nothing_changed_publishes_nothing(rounds):
    index = rounds["index"]
    pointer = (index / layout.POINTER).read_text()
    generations = sorted(p.name for p in index.glob("gen-*"))
    report = build(rounds["data"], index, procs=2)
    assert report.mode == "up to date" and report.generation == layout.current_generation(index)
    assert (index / layout.POINTER).read_text() == pointer and sorted(p.name for p in index.glob("gen-*")) == generations


def test_a_changed_rule_file_makes_the_next_build_full(rounds, tmp_path, monkeypatch):
    domain = tmp_path / "domain"
    shutil.copytree(DATA_DIR.parent, domain, ignore=shutil.ignore_patterns("reports"))
    monkeypatch.setenv("TOWNSHIP_DOMAIN_DIR", str(domain))
    index = tmp_path / "index"
    build(DATA_DIR, index, procs=1)
    assert build(DATA_DIR, index, procs=1).mode == "up to date"
    with (domain / "themes.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n# a person edited this file\n")
    report = build(DATA_DIR, index, procs=1)
    assert report.mode == "full" and "data/themes.toml changed" in report.reason
    manifest = layout.read_manifest(report.generation)
    assert manifest["build"]["mode"] == "full" and "themes.toml" in manifest["build"]["reason"]


def test_an_inconsistent_index_is_rebuilt_in_full(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    index = tmp_path / "index"
    first = build(data, index, procs=1)
    stored = next((first.generation / DIRECTORY).glob("*._stored.col"))  # damage the stored records
    with stored.open("r+b") as handle:
        handle.write(b"\x00" * 2000)
    (data / f"{TANGYANG}.txt").unlink()
    report = build(data, index, procs=1)
    assert report.mode == "full" and "cannot be updated" in report.reason
    assert len(report.documents) == 4 and report.removed == [f"{TANGYANG}.txt"]


def test_the_segment_count_stays_bounded():
    """400 updates of two small segments each (the collection grows 2.7 times): the merge
    policy keeps the small segments to a few per size tier and rewrites a passage a few times,
    not at every update."""
    plans = [incremental.SegmentPlan(f"full{i}", 60_000, 0, [], [], 60_000) for i in range(6)]
    rewritten, added, small, large = 0, 0, 0, 0
    for update in range(400):
        plans += [incremental.SegmentPlan(f"u{update}-{k}", 200, 0, [], [], 200) for k in range(2)]
        added += 400
        small = max(small, sum(1 for p in plans if p.live < incremental.GROWN))
        large = max(large, sum(1 for p in plans if p.live >= incremental.GROWN))
        chosen = incremental.segments_to_merge(plans)
        moved = sum(p.live for p in chosen)
        rewritten += moved
        plans = [p for p in plans if p not in chosen] + [
            incremental.SegmentPlan(f"m{update}-{k}", moved // 2, 0, [], [], moved // 2) for k in range(2 if chosen else 0)
        ]
    tiers = incremental._tier(incremental.GROWN) + 1
    assert small <= tiers * (incremental.MERGE_FACTOR - 1) + 2
    assert large <= 6 + added // incremental.GROWN
    assert rewritten / added < 5
    assert all(p.live <= incremental.MAX_MERGED for p in plans if p.segment_id.startswith("m"))


def test_half_deleted_segments_are_rewritten():
    plans = [incremental.SegmentPlan("a", 1000, 0, [], ["x"], 400), incremental.SegmentPlan("b", 1000, 0, [], ["y"], 900)]
    assert [p.segment_id for p in incremental.segments_to_merge(plans)] == ["a"]


def test_a_server_following_many_publishes_keeps_no_old_files_open(tmp_path):
    """Each publish makes a server open the new generation; the old one's files must close."""
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    text = (DATA_DIR / f"{TANGYANG}.txt").read_text(encoding="utf-8")[:3000]
    service = search_service(index)

    def publish(round_: int) -> None:
        (data / "report.txt").write_text(text + f"\n附记第{round_}次\n", encoding="utf-8")
        build(data, index, procs=1, full=True)
        time.sleep(1.1)  # past the service's reload check
        assert service.search(SearchRequest(q=f"附记第{round_}次")).total == 1

    def open_files() -> int:
        gc.collect()
        return len(os.listdir("/proc/self/fd"))

    publish(0)
    before = open_files()
    for round_ in range(1, 7):
        publish(round_)
    assert open_files() <= before + 1


def test_a_missing_segment_file_means_a_full_build(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    index = tmp_path / "index"
    first = build(data, index, procs=1)
    victim = next((first.generation / DIRECTORY).glob("*.pst"))
    victim.unlink()  # someone "cleaned up" the index folder
    (data / f"{TANGYANG}.txt").unlink()
    report = build(data, index, procs=1)
    assert report.mode == "full" and "cannot be updated" in report.reason and len(report.documents) == 4
    assert not list(index.glob(".building-*"))
    service = search_service(index)
    assert service.stats() == (4, report.passages)


def test_a_segment_mostly_deleted_is_indexed_again_not_carried(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for doc_id in (TANGYANG, ZHAITAN, GUIZHUMAO):
        shutil.copy(DATA_DIR / f"{doc_id}.txt", data)
    index = tmp_path / "index"
    first = build(data, index, procs=1)  # one segment
    (data / f"{TANGYANG}.txt").unlink()
    (data / f"{GUIZHUMAO}.txt").unlink()
    report = build(data, index, procs=1)
    assert report.mode == "incremental" and report.rewritten == report.passages
    old = {s.segment_id for s in segment_states(first.generation)}
    assert not old & {s.segment_id for s in segment_states(report.generation)}
    build(data, tmp_path / "full", procs=1)
    assert _differences(index, tmp_path / "full") == []


def test_files_are_hashed_again_only_when_their_signature_changed(tmp_path):
    """An update reads only the files whose size, times or inode changed since they were
    hashed; a file rewritten with the same size and its modification time set back is still
    seen (its change time moved)."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    index = tmp_path / "index"
    first = build(data, index, procs=1)
    recorded = (first.generation / incremental.FILES).read_text(encoding="utf-8")
    assert all(name in recorded for name in (f"{TANGYANG}.txt", f"{GUIZHUMAO}.txt"))
    files, _ = discover(data)
    signatures = {f.relative: f.signature for f in files}
    trusted = {relative: (signature, f"{i:040d}") for i, (relative, signature) in enumerate(signatures.items())}  # SHA-1s it cannot compute
    assert {f.relative: f.sha1 for f in discover(data, known=trusted)[0]} == {relative: sha1 for relative, (_, sha1) in trusted.items()}
    time.sleep(0.01)
    target = data / f"{TANGYANG}.txt"
    status = target.stat()
    content = target.read_bytes()
    target.write_bytes(content.replace("汤垟乡".encode(), "汤垟村".encode(), 1))  # same length in UTF-8
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert target.stat().st_size == status.st_size and target.stat().st_mtime_ns == status.st_mtime_ns
    again = {f.relative: f.sha1 for f in discover(data, known=trusted)[0]}
    assert again[f"{TANGYANG}.txt"] not in (trusted[f"{TANGYANG}.txt"][1], next(f.sha1 for f in files if f.relative == f"{TANGYANG}.txt"))
    assert again[f"{GUIZHUMAO}.txt"] == trusted[f"{GUIZHUMAO}.txt"][1]
    # Files hashed within RACY_NS of a build are not trusted by the next one.
    hashed_at = json.loads(recorded)["hashed_at"]
    assert all(signature[2] < hashed_at - incremental.RACY_NS for signature, _ in incremental.known_files(index).values())
    assert build(data, index, procs=1).changed == [f"{TANGYANG}.txt"]
