"""The parts of corrections that need no server: the TOML write-back (comments kept, the table
that decides the report chosen), the sign-in throttle's bounds, the redirect check, the audit
trail's paging, and the build: a correction re-indexes only its report, and the result is what
a full build makes."""

from __future__ import annotations

import shutil
import tomllib

import pytest

from app.auth.throttle import LoginThrottle
from app.corrections.audit import AuditTrail
from app.corrections.metadata_file import updated_text, write
from app.corrections.model import Change, InvalidCorrection, changes, parse
from app.routes.login import local_path
from indexer import layout, records
from indexer.build import build
from indexer.contract import CORRECTED
from indexer.domain import PROJECT_ROOT
from indexer.records import Document
from tests.conftest import DATA_DIR, TANGYANG

ORIGINAL = """# Corrections (a comment that must stay)

["a.txt"]  # the first report
county = "甲县" # checked by hand
year = 2020

# a comment between tables
["sub/b.txt"]
kind = "工作计划"
"""
NOTE = "alice 2026-12-06"


def test_an_existing_table_is_updated_and_every_comment_kept():
    text, key = updated_text(ORIGINAL, "a.txt", "a", "题目", [Change("county", "甲县", "乙县"), Change("year", 2020, None)], NOTE)
    assert key == "a.txt"
    for line in ("# Corrections (a comment that must stay)", '["a.txt"]  # the first report', "# a comment between tables", 'kind = "工作计划"'):
        assert line in text
    assert tomllib.loads(text)["a.txt"] == {"county": "乙县", "year": ""}
    assert 'county = "乙县" # alice 2026-12-06; 原为 甲县' in text
    assert 'year = "" # alice 2026-12-06; 原为 2020' in text


def test_a_new_table_is_added_at_the_end_keyed_by_the_path():
    text, key = updated_text(ORIGINAL, "c/d.txt", "c_d", "某镇2023年工作总结", [Change("township", None, "某镇")], NOTE)
    assert key == "c/d.txt" and text.startswith(ORIGINAL)
    assert text.endswith('\n["c/d.txt"]\n# 某镇2023年工作总结\ntownship = "某镇" # alice 2026-12-06; 原为 未识别\n')


def test_the_table_that_decides_the_report_is_the_one_corrected():
    with_id = ORIGINAL + '\n["sub_b"]\nyear = 2021\n'
    assert updated_text(with_id, "sub/b.txt", "sub_b", None, [Change("year", 2021, 2022)], NOTE)[1] == "sub_b"  # doc_id wins
    assert updated_text(ORIGINAL, "sub/b.txt", "sub_b", None, [Change("year", None, 2022)], NOTE)[1] == "sub/b.txt"
    # A bare file name may stand for reports in several folders: a path table is added instead.
    shared = ORIGINAL + '\n["e.txt"]\nyear = 2019\n'
    text, key = updated_text(shared, "x/e.txt", "x_e", None, [Change("year", 2019, 2018)], NOTE)
    assert key == "x/e.txt" and tomllib.loads(text)["e.txt"] == {"year": 2019}


def test_the_bundled_metadata_file_survives_a_round_trip(tmp_path):
    path = tmp_path / "metadata.toml"
    shutil.copy(PROJECT_ROOT / "data" / "metadata.toml", path)
    path.chmod(0o640)
    original = path.read_text(encoding="utf-8")
    key = write(path, f"{TANGYANG}.txt", TANGYANG, "汤垟乡2023年工作总结", [Change("kind", "总结与计划", "工作总结")], NOTE)
    assert key == f"{TANGYANG}.txt" and path.read_text(encoding="utf-8").startswith(original)
    assert path.stat().st_mode & 0o777 == 0o640  # a person's file keeps its permissions
    assert [p.name for p in tmp_path.iterdir()] == ["metadata.toml"]  # no temporary file left


def test_parse_and_changes():
    assert parse({"doc_id": " x ", "year": "2023", "township": " 和平镇 ", "county": ""}) == (
        "x",
        {"year": 2023, "township": "和平镇", "county": None},
    )
    with pytest.raises(InvalidCorrection, match="year"):
        parse({"doc_id": "x", "year": True})
    with pytest.raises(InvalidCorrection, match="kind"):
        parse({"doc_id": "x", "kind": None})
    current = {"township": "和平镇", "county": None, "year": 2023, "kind": "其他"}
    assert changes(current, False, {"township": "和平镇", "year": 2023}) == []
    assert changes(current, True, {"year": 2023}) == [Change("year", 2023, 2023)]  # an inferred year confirmed
    assert changes(current, False, {"county": "某县", "kind": "其他"}) == [Change("county", None, "某县")]


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/collection?sort=year_desc", "/collection?sort=year_desc"),
        ("/documents/x#p", "/documents/x#p"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"),  # stays a path of this site, encoded
        ("/\r\nx", "/"),
        ("", "/"),
        (None, "/"),
        ("relative", "/"),
    ],
)
def test_only_local_paths_are_followed(target, expected):
    assert local_path(target) == expected


def test_the_throttle_blocks_then_forgets_and_stays_bounded():
    now = [0.0]
    throttle = LoginThrottle(per_name=3, per_address=5, window=60, capacity=100, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("1.2.3.4", "alice") == 0
        throttle.failed("1.2.3.4", "alice")
    assert throttle.retry_after("1.2.3.4", "alice") == 60
    assert throttle.retry_after("1.2.3.4", "bob") == 0 and throttle.retry_after("5.6.7.8", "alice") == 0
    throttle.failed("1.2.3.4", "bob")
    throttle.failed("1.2.3.4", "carol")
    assert throttle.retry_after("1.2.3.4", "dora") == 60  # 5 from the address, whatever the names
    now[0] = 61
    assert throttle.retry_after("1.2.3.4", "alice") == 0
    for i in range(10_000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}", "x")
    assert len(throttle) == 100


def test_the_audit_trail_pages_newest_first(tmp_path):
    trail = AuditTrail(tmp_path / "trail.jsonl")
    assert trail.page() == ([], 0)
    for i in range(7):
        trail.append([{"n": i}])
    with (tmp_path / "trail.jsonl").open("a") as handle:
        handle.write('{"cut by a full dis')  # a damaged last line is skipped, not fatal
    trail.append([{"n": 7}])
    entries, total = trail.page(page=1, size=3)
    assert [e["n"] for e in entries] == [7, 6, 5] and total == 8
    assert [e["n"] for e in trail.page(page=3, size=3)[0]] == [1, 0]
    assert (tmp_path / "trail.jsonl").stat().st_mode & 0o777 == 0o600


def test_a_correction_reindexes_only_its_report_and_equals_a_full_build(tmp_path):
    metadata = tmp_path / "metadata.toml"
    shutil.copy(PROJECT_ROOT / "data" / "metadata.toml", metadata)
    build(DATA_DIR, tmp_path / "index", metadata_path=metadata, procs=1)
    manifest = layout.read_manifest(layout.current_generation(tmp_path / "index"))
    assert manifest["metadata"] == str(metadata.resolve()) and manifest["corrections"] == {}
    write(metadata, f"{TANGYANG}.txt", TANGYANG, None, [Change("township", "汤垟乡", "仁宫乡")], NOTE)
    update = build(DATA_DIR, tmp_path / "index", metadata_path=metadata, procs=1)
    assert (update.mode, update.changed, update.unchanged) == ("incremental", [f"{TANGYANG}.txt"], 4)
    assert [d.doc_id for d in update.processed] == [TANGYANG]
    assert build(DATA_DIR, tmp_path / "index", metadata_path=metadata, procs=1).mode == "up to date"
    full = build(DATA_DIR, tmp_path / "full", metadata_path=metadata, procs=1)

    def documents(generation):
        return [vars(d) for d in records.read_jsonl(generation / "documents.jsonl", Document)]

    assert documents(update.generation) == documents(full.generation)
    corrected = next(d for d in documents(full.generation) if d["doc_id"] == TANGYANG)
    assert corrected["township"] == "仁宫乡" and corrected["evidence"]["township"] == CORRECTED
