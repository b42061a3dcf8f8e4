"""Files that must not break a build: empty, binary, truncated multi-byte, 50 MB, duplicates,
symbolic links (a link leaving the data folder is not followed), link loops, names that are not
UTF-8. ``python -m indexer build`` names each with its reason and indexes everything else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer import layout
from indexer.domain import PROJECT_ROOT
from indexer.whoosh_store.reader import iter_passages
from tests.conftest import DATA_DIR, GUIZHUMAO, TANGYANG, ZUSHIDIAN

# (file, what the build says about it); None: indexed.
EXPECTED = {
    f"{TANGYANG}.txt": None,
    f"{ZUSHIDIAN}.txt": None,
    "gb18030.txt": None,
    "utf16.txt": None,
    "truncated-utf8.txt": None,  # indexed, with a warning about the dropped bytes
    "truncated-gb18030.txt": None,
    "sub/nested.txt": None,
    "bad-name-\ufffd.txt": None,
    "empty.txt": "empty file",
    "blank.txt": "empty file (only whitespace)",
    "binary.txt": "binary file",
    "noise.txt": "undecodable",
    "huge.txt": "too large (50.0 MB",
    "copy-of-tangyang.txt": f"duplicate of {TANGYANG}.txt",
    "sub/link-inside.txt": f"duplicate of {TANGYANG}.txt",
    "link-outside.txt": "symbolic link to a file outside the data folder; not followed",
    "linked-folder/": "symbolic link to a folder outside the data folder; not followed",
    "loop.txt": "broken symbolic link",
    "dangling.txt": "broken symbolic link",
    "table.xlsx": "unsupported file type '.xlsx'",
    "damaged.docx": "damaged Word .docx file",
    "fifo.txt": "not a regular file",
}


def make_hostile_data(root: Path) -> Path:
    data = root / "data"
    (data / "sub").mkdir(parents=True)
    outside = root / "outside"
    outside.mkdir()
    tangyang = (DATA_DIR / f"{TANGYANG}.txt").read_bytes()
    guizhumao = (DATA_DIR / f"{GUIZHUMAO}.txt").read_text(encoding="utf-8")
    shutil.copy(DATA_DIR / f"{TANGYANG}.txt", data)
    shutil.copy(DATA_DIR / f"{ZUSHIDIAN}.txt", data)
    (data / "gb18030.txt").write_bytes(guizhumao.encode("gb18030"))
    (data / "utf16.txt").write_bytes(("\ufeff" + guizhumao[:3000] + "\n附记：UTF-16 版本").encode("utf-16-le"))
    utf8 = (guizhumao[:4000] + "\n附记：截断的结尾汉字").encode("utf-8")
    (data / "truncated-utf8.txt").write_bytes(utf8[:-1])  # the last character loses a byte
    (data / "truncated-gb18030.txt").write_bytes(("截断的国标文件\n" + guizhumao[4000:8000] + "\n结尾汉字").encode("gb18030")[:-1])
    (data / "sub" / "nested.txt").write_text(guizhumao[8000:] + "\n子文件夹里的报告", encoding="utf-8")
    (data / "empty.txt").write_bytes(b"")
    (data / "blank.txt").write_bytes(b" \r\n\t\n" + "\u3000\n".encode("utf-8"))
    (data / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    (data / "noise.txt").write_bytes(bytes((i * 7919 + 13) % 255 + 1 for i in range(20000)))  # no NUL, not text
    with (data / "huge.txt").open("wb") as handle:  # 50 MB of real text
        block = tangyang * 64
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(block)
        handle.truncate(50 * 1024 * 1024)
    (data / "copy-of-tangyang.txt").write_bytes(tangyang)
    os.symlink("../" + f"{TANGYANG}.txt", data / "sub" / "link-inside.txt")
    (outside / "secret.txt").write_text("外部文件：不应被索引的秘密乡镇报告\n" * 20, encoding="utf-8")
    os.symlink(outside / "secret.txt", data / "link-outside.txt")
    os.symlink(outside, data / "linked-folder")
    os.symlink("loop.txt", data / "loop.txt")
    os.symlink("nowhere.txt", data / "dangling.txt")
    (data / "table.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (data / "damaged.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    os.mkfifo(data / "fifo.txt")
    with open(os.fsencode(data) + b"/bad-name-\xff.txt", "wb") as handle:
        handle.write(("名字不是UTF-8的报告\n" + guizhumao[2000:6000]).encode("utf-8"))
    (data / "notes.md").write_text("# not a report: configuration files are passed over silently\n")
    (data / ".hidden.txt").write_text("hidden files are passed over silently\n")
    return data


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = make_hostile_data(root)
    index = root / "index"
    command = [sys.executable, "-m", "indexer", "build", "--data-dir", str(data), "--index-dir", str(index), "--quiet"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    return done, index


def test_the_build_succeeds(hostile_build):
    done, index = hostile_build
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("name, reason", [(n, r) for n, r in EXPECTED.items() if r])
def test_each_bad_file_is_named_with_its_reason(hostile_build, name, reason):
    done, _ = hostile_build
    lines = [line for line in done.stdout.splitlines() if line.startswith(f"skipped {name}:")]
    assert len(lines) == 1, done.stdout
    assert reason in lines[0], lines[0]


def test_everything_else_is_indexed(hostile_build):
    done, index = hostile_build
    manifest = layout.read_manifest(layout.current_generation(index))
    sources = {json.loads(line)["source"] for line in (layout.current_generation(index) / "documents.jsonl").read_text(encoding="utf-8").splitlines()}
    assert sources == {name for name, reason in EXPECTED.items() if reason is None}
    assert manifest["documents"] == len(sources)
    assert {s["file"] for s in manifest["skipped"]} == {name for name, reason in EXPECTED.items() if reason}
    assert f"indexed {len(sources)} documents" in done.stdout
    assert "notes.md" not in done.stdout and ".hidden" not in done.stdout


def test_truncated_files_are_indexed_with_a_warning(hostile_build):
    done, _ = hostile_build
    assert done.stdout.count("warning: 文件末尾有不完整的") == 2, done.stdout


def test_nothing_outside_the_data_folder_is_read(hostile_build):
    done, index = hostile_build
    passages = list(iter_passages(layout.current_generation(index)))
    assert passages and not any("外部文件" in p.text for p in passages)


def test_a_build_with_nothing_readable_fails_and_changes_nothing(hostile_build, tmp_path):
    _, index = hostile_build
    before = (index / layout.POINTER).read_text()
    data = tmp_path / "bad"
    data.mkdir()
    (data / "empty.txt").write_bytes(b"")
    (data / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    command = [sys.executable, "-m", "indexer", "build", "--data-dir", str(data), "--index-dir", str(index), "--quiet"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "empty.txt: empty file" in done.stderr and "binary.txt: binary file" in done.stderr
    assert "Traceback" not in done.stderr
    assert (index / layout.POINTER).read_text() == before
    assert not list(index.glob(".building-*"))
