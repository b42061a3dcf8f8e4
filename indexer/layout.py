"""Where an index lives on disk, and how a new one replaces the old without anyone noticing.

::

    <index-dir>/
        CURRENT                 name of the live generation (replaced atomically)
        gen-20261123-031500-1a2b/
            whoosh/             the Whoosh index, passage records stored (indexer.whoosh_store)
            columns/            facet columns and normalized texts, a cache of the index (indexer.contract)
            documents.jsonl     document records
            manifest.json       counts, build time, format version, analysis fingerprint
        .building-<pid>-…/      a build in progress (never read by a server)
        .lock                   held while a build runs

A build writes a complete generation in a private directory, renames it to ``gen-…`` and only
then replaces ``CURRENT``. A generation's files are never modified once published: an
incremental build shares the unchanged ones with the previous generation by hard links. A server reads ``CURRENT`` and reopens when it changes, so a failed
or killed build changes nothing it sees; old generations are kept a while for servers still
reading them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from indexer.domain import PROJECT_ROOT

DEFAULT_INDEX_DIR = PROJECT_ROOT / "index"
KEEP_GENERATIONS = 3
POINTER = "CURRENT"


class IndexMissing(Exception):
    """No usable index; ``str(error)`` says why and how to build one."""


class BuildLocked(RuntimeError):
    """Another build holds the index folder's lock."""


def build_hint(index_dir: Path) -> str:
    return f"build it with: python -m indexer build --index-dir {index_dir}"


def current_generation(index_dir: Path) -> Path:
    """The live generation directory, or :class:`IndexMissing` with the reason."""
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing(f"no index at {index_dir}; {build_hint(index_dir)}") from None
    except OSError as error:
        raise IndexMissing(f"cannot read {pointer}: {error}; {build_hint(index_dir)}") from None
    generation = index_dir / name
    if not name or "/" in name or not (generation / "manifest.json").is_file():
        raise IndexMissing(f"index at {index_dir} is incomplete or corrupt ({POINTER} names {name!r}); {build_hint(index_dir)}")
    return generation


def generation_token(index_dir: Path) -> str | None:
    """Cheap check for a newer index: the content of ``CURRENT``."""
    try:
        return (index_dir / POINTER).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def read_manifest(generation: Path) -> dict:
    return json.loads((generation / "manifest.json").read_text(encoding="utf-8"))


# The build lock this process holds, so that processes forked during a build can let go of it.
_held_lock: tuple[int, int | None] | None = None  # (builder pid, lock file descriptor or None)


def _forked_during_build() -> None:
    """In a process forked while a build holds the lock (Whoosh's indexing workers).

    The child inherits the lock (``flock`` belongs to the open file, not the process), and if
    the builder is killed (``kill -9``, SIGTERM) Whoosh's workers wait for work forever: the
    lock would stay taken and every later build refused. So the child drops its reference to
    the lock file and exits as soon as the builder is gone.
    """
    if _held_lock is None:
        return
    builder, descriptor = _held_lock
    if descriptor is not None:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, descriptor)  # the number stays valid; the lock file is no longer open here
        os.close(devnull)

    def watch() -> None:
        while os.getppid() == builder:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="builder-watch", daemon=True).start()


os.register_at_fork(after_in_child=_forked_during_build)


@contextmanager
def build_lock(index_dir: Path):
    global _held_lock
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(f"another build is running in {index_dir}") from None
        _held_lock = (os.getpid(), handle.fileno())
        try:
            yield
        finally:
            _held_lock = None
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def building():
    """A build that holds no folder lock (a database's: it holds the database's): processes
    forked meanwhile exit by themselves when the builder is gone, as under :func:`build_lock`."""
    global _held_lock
    _held_lock = (os.getpid(), None)
    try:
        yield
    finally:
        _held_lock = None


def new_workspace(index_dir: Path) -> Path:
    for stale in index_dir.glob(".building-*"):  # left by a killed build (we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)
    workspace = index_dir / f".building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    workspace.mkdir(parents=True)
    return workspace


@contextmanager
def _signals_held():
    """SIGTERM and SIGINT wait until the block is done (``indexer watch`` stops on them)."""
    held = {signal.SIGTERM, signal.SIGINT}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def publish(index_dir: Path, workspace: Path) -> Path:
    """Make ``workspace`` the live generation atomically and prune old generations."""
    name = time.strftime("gen-%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:4]
    generation = index_dir / name
    with _signals_held():  # never a renamed generation that CURRENT does not name
        workspace.rename(generation)
        temporary = index_dir / f".{POINTER}.{os.getpid()}"
        temporary.write_text(name + "\n", encoding="utf-8")
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, index_dir / POINTER)
    generations = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())  # names sort by time
    for old in generations[:-KEEP_GENERATIONS]:
        if old != generation:
            shutil.rmtree(old, ignore_errors=True)
    return generation
