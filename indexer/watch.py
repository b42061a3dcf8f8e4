"""``python -m indexer watch``: keep the index in step with a data folder.

Every ``interval`` seconds the folder is looked at (names, sizes, modification times and inode
numbers: no file is read). When that differs from what was last built and has stayed the same
for two looks in a row (a file still being copied in keeps growing), an incremental build
runs; it publishes a new generation when reports were added, changed or removed, and the log
says what changed. The build itself compares contents, so a file merely touched publishes
nothing.

Runs until SIGTERM or SIGINT, then exits 0. A build under way is abandoned: like a killed
build, it changes nothing the server sees (:mod:`indexer.layout`).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from indexer import layout
from indexer.read import MAX_FILE_BYTES

Snapshot = dict[str, tuple[int, int, int]]


class Stopped(BaseException):
    """SIGTERM or SIGINT: leave what is under way, as a killed build would."""


def snapshot(data_dir: Path) -> Snapshot:
    """File → (size, modification time, inode) for every file a build would look at."""
    found: Snapshot = {}
    for current, dirs, files in os.walk(data_dir, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(current, name)
            try:
                stat = os.stat(path)  # through a link: its target is what gets indexed
                found[path] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
            except OSError:
                found[path] = (-1, -1, -1)
    return found


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", flush=True)


def _names(files: list[str], limit: int = 5) -> str:
    shown = ", ".join(files[:limit])
    return f" ({shown}{', …' if len(files) > limit else ''})" if files else ""


def describe_publish(report) -> str:
    line = (
        f"published {report.generation.name}: {report.describe()}; "
        f"{len(report.documents)} documents, {report.passages} passages, in {report.seconds:.1f} s"
    )
    details = [
        f"{what}{_names(files)}" for what, files in (("added", report.added), ("changed", report.changed), ("removed", report.removed)) if files
    ]
    if details:
        line += "\n    " + "; ".join(details)
    for file, reason in report.skipped:
        line += f"\n    skipped {file}: {reason}"
    if report.merged and "error" in report.merged:
        line += f"\n    merging segments failed: {report.merged['error']}"
    elif report.merged:
        line += (
            f"\n    then merged {report.merged['segments']} segments ({report.merged['passages']} passages): {Path(report.merged['generation']).name}"
        )
    return line


def watch(
    data_dir: Path,
    index_dir: Path,
    interval: float = 5.0,
    metadata_path: Path | None = None,
    procs: int | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    log: Callable[[str], None] = _log,
) -> int:
    from indexer.build import BuildFailed, build

    waiting = [False]  # said once per wait, not at every look

    def update() -> bool:
        """Build once; False when it should be tried again at the next look."""
        try:
            report = build(data_dir, index_dir, metadata_path=metadata_path, procs=procs, max_bytes=max_bytes)
        except layout.BuildLocked as error:
            if not waiting[0]:
                log(f"waiting: {error}")
            waiting[0] = True
            return False
        except BuildFailed as error:
            log(f"error: {error}; the index in use is unchanged")
        except Exception as error:  # the watcher keeps going; the index in use is unchanged
            log(f"error: {type(error).__name__}: {error}; the index in use is unchanged")
        else:
            if report.mode == "up to date":
                log(f"up to date: {len(report.documents)} documents, {report.passages} passages ({report.generation.name})")
            else:
                log(describe_publish(report))
        waiting[0] = False
        return True

    def stop(signum, frame):
        raise Stopped(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log(f"watching {data_dir} every {interval:g} s; index {index_dir}")
    built: Snapshot | None = None  # the folder as the last build saw it
    seen: Snapshot | None = None  # the folder one look ago
    try:
        while True:
            current = snapshot(data_dir)
            if current != built and current == seen and update():
                built = current
            seen = current
            time.sleep(interval)
    except Stopped as why:
        log(f"stopped ({why}); the index in use is {layout.generation_token(index_dir) or 'absent'}")
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
