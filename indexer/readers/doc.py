"""Legacy Word ``.doc`` (Word 97–2003, also RTF under a ``.doc`` name), through a converter
installed on the machine:

1. LibreOffice (``soffice --headless --convert-to docx``, Debian package
   ``libreoffice-writer-nogui``): the document becomes a ``.docx`` that is read like any other,
   so heading styles and Word's automatic numbering (``一、``, ``(一)`` …) are kept. Each
   conversion runs with a throw-away LibreOffice profile, so conversions never wait on a desktop
   LibreOffice or on each other, and is stopped after ``CONVERT_SECONDS``.
2. antiword (Debian package ``antiword``), when LibreOffice is missing or fails: the text of
   every paragraph, but without automatic numbers (a warning says so).

Without either, the file is reported as unreadable with what to install (``scripts/system-deps.sh``
installs both). A ``.doc`` that is really a ``.docx``, an HTML page ("Word web page", common on
government sites) or a PDF is read by that format's reader: ``indexer.read`` chooses it by the
file's first bytes, so this module is only ever given Word 97–2003 and RTF (and reads a
LibreOffice conversion with the ``.docx`` reader: the one way data flows between them).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from indexer.readers.common import SourceText, UnreadableReport, sniff, source_text

CONVERT_SECONDS = 180
# Every Word 6–2003 document keeps its text in a compound-file stream of this name.
WORD_STREAM = "WordDocument".encode("utf-16-le")
MISSING = (
    "legacy Word .doc needs a converter and none is installed: install LibreOffice "
    "(apt-get install libreoffice-writer-nogui) or antiword (apt-get install antiword), "
    "e.g. with bash scripts/system-deps.sh, then build again"
)
_ANTIWORD_NUMBER = re.compile(r"^(?:\d{1,2}\.)*\d{1,2} (?=[\u4e00-\u9fff])")
_SOFFICE_PLACES = ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice", "/Applications/LibreOffice.app/Contents/MacOS/soffice")


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        if found := shutil.which(name):
            return found
    return next((place for place in _SOFFICE_PLACES if os.access(place, os.X_OK)), None)


def find_antiword() -> str | None:
    return shutil.which("antiword")


def _run(command: list[str], cwd: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a converter in its own process group; the whole group is killed when it overruns."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=CONVERT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise UnreadableReport(f"{Path(command[0]).name} took longer than {CONVERT_SECONDS} s to convert it; stopped") from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _last_words(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip() and "javaldx" not in line]
    return lines[-1].strip() if lines else "no message"


def via_libreoffice(path: Path, soffice: str) -> SourceText:
    from indexer.readers.docx import read_docx

    with tempfile.TemporaryDirectory(prefix="township-doc-") as temp:
        work = Path(temp)
        source = work / f"report{path.suffix.lower() or '.doc'}"
        shutil.copyfile(path, source)
        env = {**os.environ, "HOME": temp}
        # An RTF file is opened as RTF only: LibreOffice would otherwise import anything as plain text.
        infilter = ["--infilter=Rich Text Format"] if sniff(path) == "rtf" else []
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            *infilter,
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        result = _run(command, cwd=temp, env=env)
        converted = work / "out" / "report.docx"
        if not converted.is_file() or converted.stat().st_size == 0:
            raise UnreadableReport(f"LibreOffice could not convert it (exit {result.returncode}: {_last_words(result.stderr)})")
        text = read_docx(converted)
    text.encoding = "doc (converted by LibreOffice)"
    return text


def via_antiword(path: Path, antiword: str) -> SourceText:
    result = _run([antiword, "-m", "UTF-8.txt", "-w", "0", str(path)])
    if result.returncode != 0:
        raise UnreadableReport(f"antiword could not read it ({_last_words(result.stderr)})")
    lines = []
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        line = line.replace("[pic]", "")
        # antiword numbers some Word lists in its own way ("1 " for a list Word prints as "(一)"):
        # a wrong marker is worse than none.
        line = _ANTIWORD_NUMBER.sub("", line)
        if line.strip().startswith("|"):  # a table row: |cell |cell |
            line = " ".join(cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip())
        lines.append(line)
    text = source_text(lines, "doc (converted by antiword)", "Word .doc document")
    text.warnings.append("用antiword转换: Word自动编号(一、/(一)/1.)不在正文中; 安装LibreOffice可保留编号")
    return text


def read_doc(path: Path) -> SourceText:
    # A .doc name holding a .docx, a Word web page or a PDF reaches that format's reader
    # (indexer.read.READERS); what comes here is Word 97–2003, RTF, or no Word document at all.
    kind = sniff(path)
    if kind not in ("ole", "rtf"):
        raise UnreadableReport("not a Word document (neither Word 97–2003, RTF, .docx nor a Word web page)")
    if kind == "ole" and WORD_STREAM not in path.read_bytes():
        raise UnreadableReport("an Office file without a WordDocument stream: not a Word document (an Excel or PowerPoint file?)")
    problems = []
    if soffice := find_soffice():
        try:
            return via_libreoffice(path, soffice)
        except UnreadableReport as error:
            problems.append(str(error))
    antiword = find_antiword()
    if antiword and kind == "ole":
        try:
            return via_antiword(path, antiword)
        except UnreadableReport as error:
            problems.append(str(error))
    if problems:
        raise UnreadableReport("; ".join(problems))
    if kind == "rtf":
        raise UnreadableReport("RTF document under a .doc name needs LibreOffice (apt-get install libreoffice-writer-nogui)")
    raise UnreadableReport(MISSING)
