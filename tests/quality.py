"""Metadata and passage quality on report fixtures with a truth file: ``python -m tests.quality``.

Each fixture in ``tests/fixtures/real/`` reproduces a pattern of real report pages (portal
pages with chrome, document-sharing sites, compilations, anonymized templates, traditional
script with pinyin, hard wraps, GBK/BOM/CRLF/UTF-16, a .txt holding HTML …); its expected
metadata is in ``truth.toml`` beside it. The command prints the accuracy per field and every
miss; ``tests/test_quality.py`` asserts the thresholds. ``--dir`` evaluates another folder with
its own ``truth.toml`` (``tests/fixtures/heldout`` was written after the rules were frozen).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from indexer.normalize import normalize
from indexer.pipeline import doc_id_for, process
from indexer.read import ReportFile

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real"


@dataclass
class Score:
    right: int = 0
    total: int = 0
    invented: int = 0  # a value where the truth is another one or none

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 1.0

    def line(self, name: str, note: str = "") -> str:
        extra = f", {self.invented} invented" if name in ("township", "county", "county (stated)") else ""
        return f"{name:<16} {self.right:>3}/{self.total:<3} {100 * self.share:5.1f} %{extra}{note}"


@dataclass
class Results:
    fields: dict[str, Score] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    chrome_passages: list[str] = field(default_factory=list)
    fixtures: int = 0
    folder: Path | None = None

    def score(self, name: str) -> Score:
        return self.fields.setdefault(name, Score())


def _check_value(results: Results, name: str, fixture: str, expected, got, counts: bool = True) -> None:
    score = results.score(name)
    if counts:
        score.total += 1
        score.right += got == expected
    if got and got != expected:
        score.invented += 1
    if got != expected:
        results.misses.append(f"{fixture}: {name} expected {expected!r}, got {got!r}")


def evaluate(folder: Path = FIXTURES) -> Results:
    truth = tomllib.loads((folder / "truth.toml").read_text(encoding="utf-8"))
    results = Results(folder=folder)
    for name, expected in sorted(truth.items()):
        path = folder / name
        report = process(ReportFile(path, name, "", path.stat().st_size), doc_id_for(name), 0)
        document, passages = report.document, report.passages
        results.fixtures += 1
        township = expected.get("township") or None
        _check_value(results, "township", name, township, document.township, counts=township is not None)
        county = expected.get("county") or None
        _check_value(results, "county", name, county, document.county, counts=county is not None)
        if expected.get("county_stated"):
            _check_value(results, "county (stated)", name, county, document.county)
        _check_value(results, "year", name, expected.get("year") or None, document.year)
        _check_value(results, "kind", name, expected["kind"], document.kind)
        _check_value(results, "period", name, expected["period"], document.period)
        _check_value(results, "script", name, expected.get("script", "zh-Hans"), document.script)
        for fragment, section in expected.get("sections", []):
            found = [p for p in passages if normalize(fragment) in normalize(p.text)]
            _check_value(results, "section", name, section, found[0].section if found else f"(no passage with {fragment})")
        for fragment, year in expected.get("about", []):
            found = [p for p in passages if normalize(fragment) in normalize(p.text)]
            _check_value(results, "about_year", name, year, found[0].about_year if found else f"(no passage with {fragment})")
        for word in expected.get("searchable", []):
            # A word split by a hard wrap must be whole inside one passage to be found.
            found = any(normalize(word).replace(" ", "") in normalize(p.text).replace(" ", "") for p in passages)
            _check_value(results, "searchable", name, True, found)
        for fragment in expected.get("kept", []):
            # Report text that uses the words of web pages (下载, 注册, 公众号 …) stays a passage, whole.
            found = any(normalize(fragment) in normalize(p.text) for p in passages)
            _check_value(results, "kept", name, True, found)
        for chrome in expected.get("no_chrome", []):
            for passage in passages:
                if normalize(chrome) in normalize(passage.text):
                    results.chrome_passages.append(f"{name}: {passage.text[:60]!r} holds {chrome!r}")
    return results


def report(results: Results) -> str:
    lines = [f"{results.fixtures} fixtures"]
    notes = {
        "township": " of the fixtures naming one",
        "county": " of the fixtures whose county is known (stated, or deduced by the gazetteer)",
        "county (stated)": " of the fixtures stating their county",
    }
    order = ("township", "county", "county (stated)", "year", "kind", "period", "script", "section", "about_year", "searchable", "kept")
    for name in order:
        if name in results.fields:
            lines.append(results.fields[name].line(name, notes.get(name, "")))
    lines.append(f"chrome passages  {len(results.chrome_passages)}")
    lines += ["", "misses:"] + [f"  {m}" for m in results.misses] + [f"  chrome: {c}" for c in results.chrome_passages]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.quality", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=str(FIXTURES), help="folder of fixtures with a truth.toml (default: tests/fixtures/real)")
    args = parser.parse_args(argv)
    print(report(evaluate(Path(args.dir))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
