"""The build command: summary, exit codes, bad files, atomic replacement of the index."""

from __future__ import annotations

import codecs
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer import contract, layout, records
from indexer.build import BuildFailed, build
from indexer.domain import PROJECT_ROOT
from indexer.whoosh_store.reader import iter_passages
from tests.conftest import DATA_DIR, GUIZHUMAO, ZUSHIDIAN


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture
def messy_data(tmp_path) -> Path:
    """The bundled reports plus the kinds of files real folders contain."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    text = (DATA_DIR / f"{ZUSHIDIAN}.txt").read_text(encoding="utf-8")
    gb = text.replace("祖师殿镇", "龙潭镇").replace("⠂", "")
    (data / "gb18030.txt").write_bytes(gb.replace("\n", "\r\n").encode("gb18030"))
    (data / "bom.txt").write_bytes(codecs.BOM_UTF8 + text.replace("祖师殿镇", "思蒙镇").encode("utf-8"))
    (data / "empty.txt").write_bytes(b"")
    (data / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (data / "copy.txt").write_bytes((DATA_DIR / f"{GUIZHUMAO}.txt").read_bytes())
    return data


def test_cli_builds_and_summarizes(messy_data, tmp_path):
    index_dir = tmp_path / "index"
    result = run_cli("build", "--data-dir", str(messy_data), "--index-dir", str(index_dir), "--procs", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "indexed 7 documents" in out
    for expected in ("汤垟乡", "祖师殿镇", "斋坛乡", "桂竹帽镇", "龙潭镇", "思蒙镇", "溆浦县", "寻乌县", "上半年", "总结与计划", "2020*"):
        assert expected in out
    assert "skipped empty.txt: empty file" in out
    assert "skipped binary.txt: binary file" in out
    assert f"skipped copy.txt: duplicate of {GUIZHUMAO}.txt" in out
    # plain progress lines when not a terminal
    assert "[1/" in result.stderr
    documents = list(records.read_jsonl(layout.current_generation(index_dir) / "documents.jsonl", records.Document))
    encodings = {d.source: d.encoding for d in documents}
    assert encodings["gb18030.txt"] == "gb18030" and encodings["bom.txt"] == "utf-8-sig"


def test_cli_fails_clearly_when_nothing_can_be_indexed(tmp_path):
    data = tmp_path / "bad"
    data.mkdir()
    (data / "empty.txt").write_bytes(b"")
    result = run_cli("build", "--data-dir", str(data), "--index-dir", str(tmp_path / "index"))
    assert result.returncode != 0
    assert "error:" in result.stderr and "empty.txt: empty file" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli("build", "--data-dir", str(tmp_path / "nope"), "--index-dir", str(tmp_path / "index"))
    assert missing.returncode != 0 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr


def test_if_missing_does_not_rebuild(tmp_path, index_dir):
    result = run_cli("build", "--if-missing", "--index-dir", str(index_dir))
    assert result.returncode == 0 and "already present" in result.stdout


def test_if_missing_rebuilds_an_index_of_another_format(tmp_path):
    """serve.sh builds with --if-missing: an index a server would refuse (an older format) is
    built again, in the current format, instead of being kept."""
    index_dir = tmp_path / "index"
    old = build(DATA_DIR, index_dir, procs=1).generation
    manifest = layout.read_manifest(old)
    manifest["analysis"]["format_version"] = manifest["pipeline"]["versions"]["format_version"] = "3"  # as an older build records it
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run_cli("build", "--if-missing", "--index-dir", str(index_dir), "--data-dir", str(DATA_DIR), "--procs", "1")
    assert result.returncode == 0, result.stderr
    assert "format_version 3 → " in result.stdout and "already present" not in result.stdout
    current = layout.current_generation(index_dir)
    assert current != old
    assert layout.read_manifest(current)["analysis"]["format_version"] == str(contract.FORMAT_VERSION)
    assert run_cli("build", "--if-missing", "--index-dir", str(index_dir)).stdout.startswith("index already present")


def test_failed_build_leaves_the_index_in_use(tmp_path):
    index_dir = tmp_path / "index"
    first = build(DATA_DIR, index_dir, procs=1)
    pointer = (index_dir / "CURRENT").read_text()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(bytes(range(256)))
    with pytest.raises(BuildFailed):
        build(bad, index_dir, procs=1)
    assert (index_dir / "CURRENT").read_text() == pointer
    assert layout.current_generation(index_dir) == first.generation
    assert not list(index_dir.glob(".building-*"))


def test_rebuild_replaces_atomically_and_keeps_ids(tmp_path):
    index_dir = tmp_path / "index"
    first = build(DATA_DIR, index_dir, procs=1)
    unchanged = build(DATA_DIR, index_dir, procs=2)  # incremental: nothing to do, nothing published
    assert unchanged.mode == "up to date" and unchanged.generation == first.generation
    second = build(DATA_DIR, index_dir, procs=2, full=True)
    assert second.mode == "full" and first.generation != second.generation
    assert layout.current_generation(index_dir) == second.generation
    ids = [sorted(p.passage_id for p in iter_passages(report.generation)) for report in (first, second)]
    assert ids[0] == ids[1] and len(ids[0]) == first.passages
    manifest = json.loads((second.generation / "manifest.json").read_text())
    assert manifest["documents"] == 5 and manifest["passages"] == second.passages


def test_metadata_file_corrections_are_applied_and_reported(tmp_path):
    corrections = tmp_path / "metadata.toml"
    corrections.write_text('["004_cc03cb1b8fd4d28d.txt"]\ntownship = "大均乡"\n', encoding="utf-8")
    result = run_cli("build", "--index-dir", str(tmp_path / "index"), "--metadata", str(corrections), "--procs", "1")
    assert result.returncode == 0, result.stderr
    assert "corrected by metadata file: township: None → '大均乡'" in result.stdout
