"""Run the per-report work in forked processes, each writing its own segments of the index.

Engine-independent: a *segment writer* is anything with ``add(passage)``, ``postings`` (a size
that bounds its memory), ``docnum`` (passages added) and ``finish()`` returning a picklable
segment; the sink that made the writers publishes the segments (``sink.commit``).
"""

from __future__ import annotations

import gc
import multiprocessing
import queue as queue_module
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from indexer import analysis
from indexer.records import Passage

SEGMENT_POSTINGS = 20_000_000  # start a new segment after this many postings (bounds a process's memory)

Work = Callable[[Any], tuple[Any, list[Passage]]]


class WorkerFailed(RuntimeError):
    pass


class _Segments:
    """Segment writers of one process, a new one whenever the current one is full."""

    def __init__(self, new_writer: Callable[[], Any], segment_postings: int):
        self.new_writer = new_writer
        self.segment_postings = segment_postings
        self.writer = new_writer()
        self.segments: list = []
        self.count = 0

    def add(self, passages: list[Passage]) -> None:
        for passage in passages:
            self.writer.add(passage)
            self.count += 1
        if self.writer.postings >= self.segment_postings:
            self.segments.append(self.writer.finish())
            self.writer = self.new_writer()

    def finish(self) -> list:
        if self.writer.docnum:
            self.segments.append(self.writer.finish())
        return self.segments


def _worker(new_writer, work: Work, jobs, results, segment_postings: int) -> None:
    try:
        segments = _Segments(new_writer, segment_postings)
        while True:
            batch = jobs.get()
            if batch is None:
                break
            done = []
            for seq, job in batch:
                result, passages = work(job)
                segments.add(passages)
                done.append((seq, result))
            results.put(("results", done))
        results.put(("done", segments.finish(), segments.count))
    except BaseException:
        results.put(("error", traceback.format_exc()))


class ParallelIndexer:
    """``work(job) → (result, passages)`` over every job, the passages written by segment
    writers from ``new_writer``.

    :meth:`map` runs the jobs — in ``procs`` forked processes when more than one — and yields
    the results in job order; afterwards :attr:`segments` and :attr:`count` say what was written.
    """

    def __init__(self, new_writer: Callable[[], Any], procs: int = 1, batch: int = 2, segment_postings: int = SEGMENT_POSTINGS):
        self.new_writer = new_writer
        self.procs = procs if procs > 1 and "fork" in multiprocessing.get_all_start_methods() else 1
        self.batch = batch
        self.segment_postings = segment_postings
        self.segments: list = []
        self.count = 0
        self._processes: list = []

    def map(self, work: Work, jobs: Iterable[Any]) -> Iterator[Any]:
        if self.procs == 1:
            segments = _Segments(self.new_writer, self.segment_postings)
            for job in jobs:
                result, passages = work(job)
                segments.add(passages)
                yield result
            self.segments += segments.finish()
            self.count += segments.count
            return
        yield from self._map_parallel(work, jobs)

    def _map_parallel(self, work: Work, jobs: Iterable[Any]) -> Iterator[Any]:
        analysis.tokenizer()  # load jieba before forking, so the workers share it
        # Leave what the workers inherit (dictionaries, tables) out of their garbage collection:
        # collecting would touch, and so copy, every shared page.
        gc.freeze()
        context = multiprocessing.get_context("fork")
        job_queue = context.Queue(self.procs * 4)
        results = context.Queue()
        self._processes = [
            context.Process(target=_worker, args=(self.new_writer, work, job_queue, results, self.segment_postings), daemon=True)
            for _ in range(self.procs)
        ]
        for process in self._processes:
            process.start()
        pending: dict[int, Any] = {}
        next_out = 0
        sent = 0
        in_flight = 0
        finished = 0
        iterator = iter(enumerate(jobs))
        exhausted = False

        def receive(block: bool) -> None:
            nonlocal in_flight, finished
            while True:
                try:
                    message = results.get(timeout=1.0) if block else results.get_nowait()
                except queue_module.Empty:
                    if not block:
                        return
                    dead = [p for p in self._processes if not p.is_alive() and p.exitcode not in (0, None)]
                    if dead:
                        raise WorkerFailed(f"an indexing process died (exit code {dead[0].exitcode})") from None
                    continue
                kind = message[0]
                if kind == "error":
                    raise WorkerFailed(f"indexing process failed:\n{message[1]}")
                if kind == "results":
                    in_flight -= 1
                    for seq, result in message[1]:
                        pending[seq] = result
                else:
                    self.segments += message[1]
                    self.count += message[2]
                    finished += 1
                return

        try:
            while not exhausted or next_out < sent:
                while not exhausted and in_flight < self.procs * 3:
                    batch = []
                    for _ in range(self.batch):
                        try:
                            batch.append(next(iterator))
                        except StopIteration:
                            exhausted = True
                            break
                    if batch:
                        job_queue.put(batch)
                        sent += len(batch)
                        in_flight += 1
                if next_out < sent:
                    receive(block=next_out not in pending)
                    while next_out in pending:
                        yield pending.pop(next_out)
                        next_out += 1
            for _ in self._processes:
                job_queue.put(None)
            while finished < len(self._processes):
                receive(block=True)
            for process in self._processes:
                process.join()
        except BaseException:
            self.cancel()
            raise
        finally:
            gc.unfreeze()

    def cancel(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.kill()
            process.join()
        self._processes = []
