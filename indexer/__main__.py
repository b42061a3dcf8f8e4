"""Command line: ``python -m indexer build [--data-dir PATH] [--index-dir PATH] [--full]``.

The commands mirror the library: ``build`` is :func:`indexer.build.build`, ``watch`` is
:func:`indexer.watch.watch`, ``inspect`` is :func:`indexer.pipeline.process` on one file,
``info`` reads a built index's manifest.
Errors are one clear line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from dataclasses import asdict
from pathlib import Path

from indexer import layout
from indexer.domain import PROJECT_ROOT
from indexer.read import MAX_FILE_BYTES

DEFAULT_DATA_DIR = PROJECT_ROOT / "data" / "reports"


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal column: ideographs take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - cells)


def _summary(report) -> str:
    if report.mode == "up to date":
        first = f"{len(report.documents)} documents, {report.passages} passages, {report.chars} characters; checked in {report.seconds:.1f} s"
    else:
        speed = f" ({report.chars_per_second:,.0f} characters/s)" if report.mode == "full" else ""
        first = f"indexed {len(report.documents)} documents, {report.passages} passages, {report.chars} characters in {report.seconds:.1f} s{speed}"
    lines = [
        first,
        report.describe(),
        "time: " + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in report.timings.items()),
        f"index: {report.generation}",
    ]
    if report.merged and "error" in report.merged:
        lines.append(f"merging segments failed ({report.merged['error']}); the update is published, the next build merges")
    elif report.merged:
        merged = report.merged
        lines.append(
            f"merged {merged['segments']} segments ({merged['passages']} passages) into {merged['into']} "
            f"in {merged['seconds']:.1f} s: {merged['generation']}"
        )
    shown = report.documents if report.mode == "full" else report.processed
    if shown:
        lines += [
            "",
            _pad("document", 30) + _pad("township", 12) + _pad("county", 10) + _pad("year", 7) + _pad("kind", 13) + _pad("period", 8) + "passages",
        ]
    for doc in shown:
        year = f"{doc.year}{'*' if doc.year_inferred else ''}" if doc.year else "?"
        cells = (doc.source[:28], 30), (doc.township or "?", 12), (doc.county or "?", 10), (year, 7), (doc.kind, 13), (doc.period, 8)
        lines.append("".join(_pad(text, width) for text, width in cells) + str(doc.passages))
        for correction in doc.corrections:
            lines.append(f"    corrected by metadata file: {correction}")
        for warning in doc.warnings:
            lines.append(f"    warning: {warning}")
    if any(doc.year_inferred for doc in shown):
        lines.append("(* year inferred from context)")
    for file in report.removed:
        lines.append(f"removed {file}")
    for file, reason in report.skipped:
        lines.append(f"skipped {file}: {reason}")
    return "\n".join(lines)


def _outdated(generation: Path) -> list[str]:
    """What of the analysis differs between ``generation``'s build and this code (empty when
    a server would open it); an unreadable manifest counts as outdated."""
    from indexer import contract

    try:
        recorded = layout.read_manifest(generation).get("analysis")
    except (OSError, ValueError, AttributeError) as error:
        return [f"manifest unreadable: {type(error).__name__}"]
    return contract.fingerprint_mismatch(recorded, contract.analysis_fingerprint())


def command_build(args) -> int:
    from indexer.build import BuildFailed, build
    from indexer.progress import Progress

    refused: tuple[type[Exception], ...] = (BuildFailed,)
    if args.engine == "postgres":
        from indexer.postgres_store.build import build
        from indexer.postgres_store.store import BuildLocked, DatabaseUnavailable

        target, refused = args.dsn, (BuildFailed, BuildLocked, DatabaseUnavailable)
    else:
        target = Path(args.index_dir)
        if args.if_missing:
            try:
                generation = layout.current_generation(target)
            except layout.IndexMissing:
                pass
            else:
                outdated = _outdated(generation)
                if not outdated:
                    print(f"index already present at {target}; not rebuilding (drop --if-missing to rebuild)")
                    return 0
                # A server would refuse it (an older format, say): build one it can serve.
                print(f"index at {target} was built with another analysis ({'; '.join(outdated)}): rebuilding")
    progress = Progress(0, enabled=not args.quiet)
    try:
        report = build(
            Path(args.data_dir),
            target,
            metadata_path=Path(args.metadata) if args.metadata else None,
            procs=args.procs,
            max_bytes=args.max_mb * 1048576,
            on_report=progress.step,
            full=args.full,
            on_plan=progress.start,
        )
    except refused as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_summary(report))
    return 0


def command_watch(args) -> int:
    from indexer.watch import watch

    return watch(
        Path(args.data_dir),
        Path(args.index_dir),
        interval=args.interval,
        metadata_path=Path(args.metadata) if args.metadata else None,
        procs=args.procs,
        max_bytes=args.max_mb * 1048576,
    )


def command_inspect(args) -> int:
    from indexer.pipeline import doc_id_for, process
    from indexer.read import ReportFile, UnreadableReport

    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path} is not a file", file=sys.stderr)
        return 1
    try:
        processed = process(ReportFile(path, path.name, "", path.stat().st_size), doc_id_for(path.name), 0)
    except UnreadableReport as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(processed.document), ensure_ascii=False))
    if not args.documents_only:
        for passage in processed.passages:
            print(json.dumps(asdict(passage), ensure_ascii=False))
    return 0


def command_info(args) -> int:
    try:
        generation = layout.current_generation(Path(args.index_dir))
    except layout.IndexMissing as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"generation": str(generation), **layout.read_manifest(generation)}, ensure_ascii=False, indent=2))
    return 0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.05 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"between 0.05 and 86400 seconds, not {text}")
    return value


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m indexer", description="乡镇工作报告索引工具 (township report indexer)")
    commands = main.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="index every report of a folder")
    build.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="folder of reports (default: data/reports)")
    build.add_argument("--index-dir", default=str(layout.DEFAULT_INDEX_DIR), help="index folder (default: index/)")
    build.add_argument("--metadata", help="metadata corrections file (default: data/metadata.toml)")
    build.add_argument("--procs", type=int, default=None, help="worker processes (default: all cores, at most 2)")
    build.add_argument("--max-mb", type=int, default=MAX_FILE_BYTES // 1048576, help="skip files larger than this")
    build.add_argument(
        "--if-missing", action="store_true", help="do nothing when an index a server can use already exists (one of an older format is built again)"
    )
    build.add_argument("--full", action="store_true", help="rebuild everything, even when only some reports changed")
    build.add_argument("--quiet", action="store_true", help="no progress output")
    build.add_argument(
        "--engine",
        choices=("whoosh", "postgres"),
        default="whoosh",
        help="where the index goes: files in --index-dir (whoosh, the default) or a PostgreSQL database (postgres)",
    )
    build.add_argument("--dsn", help="with --engine postgres: the database, postgresql://user@host:port/name (default: $TOWNSHIP_PG_DSN)")
    build.set_defaults(run=command_build)

    watch = commands.add_parser("watch", help="keep the index up to date with a data folder (polls it; runs until stopped)")
    watch.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="folder of reports (default: data/reports)")
    watch.add_argument("--index-dir", default=str(layout.DEFAULT_INDEX_DIR), help="index folder (default: index/)")
    watch.add_argument("--interval", type=_seconds, default=5.0, help="seconds between two looks at the folder (default 5)")
    watch.add_argument("--metadata", help="metadata corrections file (default: data/metadata.toml)")
    watch.add_argument("--procs", type=int, default=None, help="worker processes (default: all cores, at most 2)")
    watch.add_argument("--max-mb", type=int, default=MAX_FILE_BYTES // 1048576, help="skip files larger than this")
    watch.set_defaults(run=command_watch)

    inspect = commands.add_parser("inspect", help="show what one report becomes (JSON Lines), without indexing")
    inspect.add_argument("file")
    inspect.add_argument("--documents-only", action="store_true", help="only the document record")
    inspect.set_defaults(run=command_inspect)

    info = commands.add_parser("info", help="describe the index in use")
    info.add_argument("--index-dir", default=str(layout.DEFAULT_INDEX_DIR))
    info.set_defaults(run=command_info)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted; the index in use is unchanged", file=sys.stderr)
        return 130
    except Exception as error:  # a clear line, never a traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
