"""Tantivy (the PyPI package ``tantivy``, a Rust engine) as a column of the benchmark: what a
Python user would pick instead of the product, given what the product is given.

* **Same passages**: those of the generation the API serves, in the order the benchmark's scan
  numbers them (Whoosh's stored fields; a PostgreSQL generation exported to ``passages.jsonl``).
* **Same normalization**: :func:`indexer.normalize.normalize` (traditional → simplified,
  full-width → half-width, lower case), then two position-indexed token fields: ``uni``, every
  character (Tantivy's regex tokenizer ``.``, in Rust) and ``bi``, every overlapping pair of
  characters (made here in Python, separated by spaces, split by Tantivy's whitespace
  tokenizer; a whitespace character inside a pair is written as ``PAIR_SPACE``). No jieba.
* **Same queries**: a string of one character is the term of ``uni``; of two, the term of
  ``bi``; longer, the phrase of its bigrams in ``bi`` (exact: a passage matches when it contains
  the string, as the scan says); several strings are ANDed (``Occur.Must``), exclusions are
  ``Occur.MustNot``, facet filters are term queries on the facet fields with a constant score of
  0 (they filter, they do not rank); deep pages are Tantivy's ``offset``; the empty query is
  ``all_query``. Every class of the mix maps (OR would map too: ``Occur.Should``); what does
  not map is the API's richer matching, synonyms (``data/synonyms.toml``) and jieba words
  (光伏 项目 as two words anywhere), which the recall contract (strings) does not ask for.
* **Same answer shape**: the exact count, the top ``size`` by BM25 with their stored records
  (passage id and the text as written), and the 8 facets of the API's registry, each its
  ``facet_size`` (100) most frequent values by a terms aggregation; disjunctive as in the API: a
  facet with a selection is counted by a second aggregation without its own filter. No
  snippets (the API marks matches in ten snippets; Tantivy's snippet generator needs a stored,
  tokenized field, which would double what is stored).

Tantivy runs in a process of its own (``python -m tests.benchmarks.tantivy_column``), once to
build and once to answer, so its build time, peak memory, and the resident memory of the
process holding the open index are its own, not the benchmark's (which holds the corpus). It
answers in-process: no HTTP, no JSON. The benchmark prints, beside it, the API through HTTP and
the API's own service time (``took_ms``) for the same queries, so the comparison is fair both
ways.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BUILD_SUMMARY = "bench-build.json"
PAIR_SPACE = "\u2423"  # ␣: whitespace inside a character pair (the whitespace tokenizer splits on it)
SEGMENT_SIZE = 1 << 20  # terms kept per segment before merging: every value, so counts are exact


def _spaces_table() -> dict[int, str]:
    """Every code point Python or Rust (Unicode White_Space) would split on → ``PAIR_SPACE``."""
    rust = {0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
    return {c: PAIR_SPACE for c in range(0x110000) if c in rust or chr(c).isspace()}


_SPACES: dict[int, str] | None = None


def _no_spaces(text: str) -> str:
    global _SPACES
    if _SPACES is None:
        _SPACES = _spaces_table()
    return text.translate(_SPACES)


def bigrams(text: str) -> list[str]:
    """The overlapping character pairs of a normalized string, whitespace made ``PAIR_SPACE``."""
    text = _no_spaces(text)
    return [text[i : i + 2] for i in range(len(text) - 1)]


def bigram_text(text: str) -> str:
    """What the ``bi`` field is given: the pairs, separated by spaces (positions 0, 1, 2 …)."""
    text = _no_spaces(text)
    return " ".join(map("".join, zip(text, text[1:])))


# ---------------------------------------------------------------------------- the index


def _analyzers():
    import tantivy

    return {
        "chars": tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex("(?s).")).build(),
        "pairs": tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build(),
    }


def schema(facets: list[str]):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("n", fast=True)  # the passage's number in the scan's order (passage_records)
    builder.add_text_field("passage_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("text", stored=True)  # as written, UTF-8: what a hit shows
    builder.add_text_field("uni", tokenizer_name="chars", index_option="position")
    builder.add_text_field("bi", tokenizer_name="pairs", index_option="position")
    for name in facets:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


def facet_values(record: dict, spec: dict) -> list[str]:
    """The passage's values of one facet as the API lists them (``spec``: record key, unknown
    label or None, multi-valued)."""
    value = record.get(spec["key"])
    if spec["multi"]:
        return [str(v) for v in value or ()]
    text = "" if value is None else str(value)
    if not text:
        return [spec["unknown"]] if spec["unknown"] else []
    return [text]


def passage_records(generation: Path) -> Iterator[dict]:
    """The passage records of ``generation`` in the scan's order: a folder's ``passages.jsonl``
    (what the PostgreSQL benchmark exports) or else the Whoosh generation's stored fields."""
    exported = generation / "passages.jsonl"
    if exported.is_file():
        with exported.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
        return
    from indexer.whoosh_store.reader import iter_passages

    for passage in iter_passages(generation):
        yield vars(passage)


def build(generation: Path, target: Path, facets: dict[str, dict], threads: int, heap_mb: int) -> dict:
    """Index the passages of ``generation`` (:func:`passage_records`) into ``target``; the time of each part."""
    from importlib.metadata import version

    import tantivy

    from indexer.normalize import normalize

    started = time.perf_counter()
    target.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema(list(facets)), path=str(target), reuse=False)
    for name, analyzer in _analyzers().items():
        index.register_tokenizer(name, analyzer)
    writer = index.writer(heap_size=heap_mb * 1024 * 1024, num_threads=threads)
    python_s = 0.0  # reading, normalizing, making pairs and documents (the rest is Tantivy's)
    passages = chars = 0
    for n, record in enumerate(passage_records(generation)):
        began = time.perf_counter()
        text = record["text"]
        folded = normalize(text)
        document = tantivy.Document()
        document.add_unsigned("n", n)
        document.add_text("passage_id", record["passage_id"])
        document.add_bytes("text", text.encode("utf-8"))
        document.add_text("uni", folded)
        document.add_text("bi", bigram_text(folded))
        for name, spec in facets.items():
            for value in facet_values(record, spec):
                document.add_text(name, value)
        python_s += time.perf_counter() - began
        writer.add_document(document)
        passages += 1
        chars += len(text)
    commit_started = time.perf_counter()
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    finished = time.perf_counter()
    return {
        "passages": passages,
        "chars": chars,
        "seconds": round(finished - started, 2),
        "python_s": round(python_s, 2),
        "commit_s": round(finished - commit_started, 2),
        "segments": index.searcher().num_segments,
        "threads": threads,
        "heap_mb": heap_mb,
        "tantivy": version("tantivy"),
    }


# ---------------------------------------------------------------------------- queries


def string_query(schema, text: str):
    """Passages containing ``text`` (normalized): its character, its pair, or its pairs as a phrase."""
    import tantivy

    if len(text) == 1:
        return tantivy.Query.term_query(schema, "uni", text)
    pairs = bigrams(text)
    if len(pairs) == 1:
        return tantivy.Query.term_query(schema, "bi", pairs[0])
    return tantivy.Query.phrase_query(schema, "bi", pairs)


def query(schema, spec: dict, leave_out: str | None = None):
    """The Tantivy query of one benchmark query (``spec``: includes, excludes, filters), without
    the filter of facet ``leave_out`` (a disjunctive facet's own count)."""
    import tantivy

    Occur, Query = tantivy.Occur, tantivy.Query
    clauses = [(Occur.Must, string_query(schema, s)) for s in spec["includes"]]
    if not clauses:
        clauses.append((Occur.Must, Query.all_query()))
    clauses += [(Occur.MustNot, string_query(schema, s)) for s in spec["excludes"]]
    for facet, value in spec["filters"].items():
        if facet != leave_out:
            clauses.append((Occur.Must, Query.const_score_query(Query.term_query(schema, facet, value), 0.0)))
    if len(clauses) == 1 and clauses[0][0] == Occur.Must:
        return clauses[0][1]
    return Query.boolean_query(clauses)


def _terms(facets: list[str], facet_size: int) -> dict:
    return {name: {"terms": {"field": name, "size": facet_size, "segment_size": SEGMENT_SIZE}} for name in facets}


def answer(searcher, schema, spec: dict, facets: list[str], facet_size: int) -> dict:
    """What the API's search answers, from Tantivy: count, one page by BM25 with the stored
    records, every facet's top values (disjunctive)."""
    main = query(schema, spec)
    first = (spec["page"] - 1) * spec["size"]
    result = searcher.search(main, limit=spec["size"], offset=first, count=True)
    page = []
    for _, address in result.hits:
        stored = searcher.doc(address)
        page.append((stored.get_first("passage_id"), bytes(stored.get_first("text")).decode("utf-8")))
    selected = [f for f in facets if f in spec["filters"]]
    counted = searcher.aggregate(main, _terms([f for f in facets if f not in selected], facet_size))
    for facet in selected:  # a facet with a selection counts without its own filter
        counted.update(searcher.aggregate(query(schema, spec, leave_out=facet), _terms([facet], facet_size)))
    lists = {name: [(b["key"], b["doc_count"]) for b in counted.get(name, {}).get("buckets", [])] for name in facets}
    return {"total": result.count, "page": [pid for pid, _ in page], "facets": lists}


def found(searcher, schema, spec: dict, total: int) -> list[int]:
    """Every passage (its number in :func:`passage_records`) the query matches."""
    if not total:
        return []
    hits = searcher.search(query(schema, spec), limit=total, count=False).hits
    return sorted(int(n) for n in searcher.fast_field_values("n", [address for _, address in hits]))


def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve(job: dict) -> dict:
    """Open the index, answer the mix once (cold) and ``rounds`` more times (warm), then list
    every match for recall (not timed)."""
    import tantivy

    rss_start = _rss_mb()
    started = time.perf_counter()
    index = tantivy.Index.open(job["index"])
    for name, analyzer in _analyzers().items():
        index.register_tokenizer(name, analyzer)
    searcher = index.searcher()
    schema_ = index.schema
    open_s = time.perf_counter() - started
    rss_open = _rss_mb()
    facets, facet_size, specs = job["facets"], job["facet_size"], job["queries"]

    def timed(spec: dict) -> tuple[float, dict]:
        began = time.perf_counter()
        answered = answer(searcher, schema_, spec, facets, facet_size)
        return (time.perf_counter() - began) * 1000, answered

    cold, answers = [], []
    for spec in specs:
        ms, answered = timed(spec)
        cold.append(ms)
        answers.append(answered)
    warm: list[list[float]] = [[] for _ in specs]
    for _ in range(job["rounds"]):
        for i, spec in enumerate(specs):
            warm[i].append(timed(spec)[0])
    rss_after = _rss_mb()
    matches = [found(searcher, schema_, spec, a["total"]) if spec["includes"] else None for spec, a in zip(specs, answers)]
    return {
        "open_s": open_s,
        "segments": searcher.num_segments,
        "rss_start_mb": rss_start,
        "rss_open_mb": rss_open,
        "rss_after_mb": rss_after,
        "rss_peak_mb": _rss_mb("VmHWM"),
        "cold_ms": cold,
        "warm_ms": warm,
        "answers": answers,
        "found": matches,
    }


# ---------------------------------------------------------------------------- the benchmark's side


def facet_specs() -> dict[str, dict]:
    """The API's facet registry, as the build needs it (record key, unknown label, multi-valued)."""
    from app.search.facets import FACETS, UNKNOWN

    return {
        f.name: {"key": "themes" if f.column == "theme" else f.column, "unknown": UNKNOWN if f.unknown else None, "multi": f.multi_valued}
        for f in FACETS
    }


def query_spec(q) -> dict:
    """A :class:`tests.benchmarks.queries.BenchQuery` as the Tantivy process reads it."""
    return {"includes": list(q.includes), "excludes": list(q.excludes), "filters": dict(q.filters), "page": q.page, "size": q.size}


def _module_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.benchmarks.tantivy_column", *args]


def build_index(generation: Path, target: Path, reuse: bool, threads: int = 2, heap_mb: int = 512, log=print) -> dict:
    """Build (or, with ``reuse``, reuse the earlier build of the same generation) in a process of
    its own; its wall time, CPU, peak memory and size on disk."""
    from indexer.domain import PROJECT_ROOT
    from tests.benchmarks import procs

    saved = target / BUILD_SUMMARY
    if reuse and saved.exists():
        summary = json.loads(saved.read_text())
        if summary.get("generation") == str(generation):
            log(f"reusing the Tantivy index at {target}")
            return {**summary, "reused": True}
    job = target.with_name(target.name + ".job.json")
    job.write_text(
        json.dumps({"generation": str(generation), "target": str(target), "facets": facet_specs(), "threads": threads, "heap_mb": heap_mb})
    )
    log(f"Tantivy: building {target}")
    measured = procs.run_measured(_module_command("build", str(job)), cwd=PROJECT_ROOT)
    job.unlink(missing_ok=True)
    if measured["returncode"] != 0:
        raise SystemExit(f"Tantivy build failed:\n{measured['output'][-3000:]}")
    built = json.loads(measured["output"].strip().splitlines()[-1])
    summary = {
        **built,
        "generation": str(generation),
        "wall_s": round(measured["wall_s"], 2),
        "cpu_s": round(measured["cpu_s"], 1),
        "cores_used": round(measured["cores_used"], 2),
        "peak_rss_mb": round(measured["peak_rss_mb"], 1),
        "size_mb": round(procs.du_mb(target), 1),
    }
    saved.write_text(json.dumps(summary, indent=2))
    return summary


def run_queries(target: Path, mix: list, rounds: int, facet_size: int = 100) -> dict:
    """The query mix answered by Tantivy in a process of its own (see :func:`serve`)."""
    from app.search.facets import NAMES
    from indexer.domain import PROJECT_ROOT

    job = target.with_name(target.name + ".queries.json")
    job.write_text(
        json.dumps(
            {"index": str(target), "facets": list(NAMES), "facet_size": facet_size, "rounds": rounds, "queries": [query_spec(q) for q in mix]},
            ensure_ascii=False,
        )
    )
    out = target.with_name(target.name + ".answers.json")
    try:
        done = subprocess.run(_module_command("serve", str(job), str(out)), cwd=PROJECT_ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"Tantivy queries failed:\n{done.stderr[-3000:]}")
        return json.loads(out.read_text())
    finally:
        job.unlink(missing_ok=True)
        out.unlink(missing_ok=True)


def run_column(generation: Path, target: Path, mix: list, truth: list[dict], rounds: int, reuse: bool, log=print) -> dict:
    """Build, answer, and check every answer against the scan: per query (found, expected,
    returned), where returned counts what Tantivy matched."""
    built = build_index(generation, target, reuse, log=log)
    log("Tantivy: the query mix")
    served = run_queries(target, mix, rounds)
    recall = {}
    for i in range(len(mix)):
        expected = set(truth[i]["found"])
        total = served["answers"][i]["total"]
        if served["found"][i] is None:  # the empty query: every passage (with the filters) counts
            recall[i] = (len(expected) if total == len(expected) else 0, len(expected), total)
        else:
            returned = set(served["found"][i])
            recall[i] = (len(expected & returned), len(expected), len(returned))
    return {
        "build": built,
        "cold": dict(enumerate(served["cold_ms"])),
        "warm": dict(enumerate(served["warm_ms"])),
        "answers": served["answers"],
        "recall": recall,
        "open_s": served["open_s"],
        "segments": served["segments"],
        "rss": {k: round(served[k], 1) for k in ("rss_start_mb", "rss_open_mb", "rss_after_mb", "rss_peak_mb")},
    }


def summary(column: dict, mix: list) -> dict:
    """What results-N.json keeps of the column (per-query figures are kept per query)."""
    recall = column["recall"]
    found = sum(f for f, _, _ in recall.values())
    expected = sum(e for _, e, _ in recall.values())
    return {
        "build": column["build"],
        "open_s": round(column["open_s"], 3),
        "segments": column["segments"],
        "rss": column["rss"],
        "recall": round(found / expected, 4) if expected else None,
        "exact": sum(1 for f, e, n in recall.values() if f == e == n),
        "misses": [
            {"engine": "tantivy", "query": mix[i].label(), "class": mix[i].cls, "found": f, "expected": e, "returned": n}
            for i, (f, e, n) in recall.items()
            if f < e
        ],
    }


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _times(ratio: float | None) -> str:
    return "–" if ratio is None else f"×{ratio:.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"×{a / b:.1f}" if a is not None and b else "–"


def ratios(row: dict) -> dict:
    """API / Tantivy per class: through HTTP and in-process (took_ms), warm p50 and p95."""
    tv = row["tantivy"]["warm"]
    out = {}
    for name, api in (("http", row["warm"]), ("took", row["took_warm"])):
        for p in ("p50", "p95"):
            out[f"{name}_{p}"] = round(api[p] / tv[p], 2) if api[p] is not None and tv[p] else None
    return out


def markdown(result: dict, ms, class_name) -> str:
    """The Tantivy table: per class its latencies, recall, the API's beside it and the ratios."""
    t = result["tantivy"]
    b = t["build"]
    lines = [
        "",
        "",
        f"**Tantivy {b['tantivy']}** (PyPI `tantivy`, Rust), same passages and normalization, unigram + "
        "overlapping-bigram tokens, BM25, terms aggregations for the 8 facets (disjunctive), count + top 10 with stored records, "
        "no snippets, no synonyms. **Tantivy answers in-process** (its own Python process, no HTTP); **the API is measured "
        "over HTTP** (client-side, as above) **and by its own service time** (`took_ms` of the JSON, in-process). "
        "Ratios are API / Tantivy, warm.",
        "",
        "| query class | n | Tantivy cold p50 / p95 ms | Tantivy warm p50 / p95 ms | Tantivy recall | API warm HTTP p50 / p95 ms | API took_ms p50 / p95 | ratio HTTP p50 / p95 | ratio took_ms p50 / p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["classes"] + [result["overall"]]:
        tv, r = row["tantivy"], row["ratios"]
        lines.append(
            f"| {class_name(row['class'])} | {row['n']} | {ms(tv['cold']['p50'])} / {ms(tv['cold']['p95'])} | {ms(tv['warm']['p50'])} / {ms(tv['warm']['p95'])} "
            f"| {tv['recall']} | {ms(row['warm']['p50'])} / {ms(row['warm']['p95'])} | {ms(row['took_warm']['p50'])} / {ms(row['took_warm']['p95'])} "
            f"| {_times(r['http_p50'])} / {_times(r['http_p95'])} | {_times(r['took_p50'])} / {_times(r['took_p95'])} |"
        )
    build_line = "index reused (built earlier)" if b.get("reused") else f"built in {b['wall_s']:.1f} s"
    lines += [
        "",
        "| | API | Tantivy | API / Tantivy |",
        "|---|---:|---:|---:|",
        f"| index build (wall) | {_number(result['build'].get('wall_s'))} s | {b['wall_s']:.1f} s ({b['python_s']:.0f} s of it Python: JSON, normalize, pairs) | {_ratio(result['build'].get('wall_s'), b['wall_s'])} |",
        f"| index on disk | {result['index_mb']:,.0f} MB | {b['size_mb']:,.0f} MB ({b['segments']} segments) | {_ratio(result['index_mb'], b['size_mb'])} |",
        f"| peak memory of the build | {_number(result['build'].get('peak_rss_mb'))} MB | {b['peak_rss_mb']:,.0f} MB | {_ratio(result['build'].get('peak_rss_mb'), b['peak_rss_mb'])} |",
        f"| RSS after the cold and warm passes (process holding the index) | {result['server']['rss_after_warm_mb']:,.0f} MB | {t['rss']['rss_after_mb']:,.0f} MB | {_ratio(result['server']['rss_after_warm_mb'], t['rss']['rss_after_mb'])} |",
        f"| opening the index | {result['server']['ready_s']:.1f} s (server ready) | {t['open_s']:.2f} s | |",
        "",
        f"Tantivy {build_line}; Tantivy recall against the scan {t['recall']} over the whole mix "
        f"({t['exact']} of {result['overall']['n']} queries matched exactly the scan's passages).",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- the process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.tantivy_column", description="Tantivy's side of the benchmark (run by tests.benchmarks)"
    )
    parser.add_argument("command", choices=("build", "serve"))
    parser.add_argument("job", help="the job's JSON file")
    parser.add_argument("out", nargs="?", help="serve: where to write the answers")
    args = parser.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    if args.command == "build":
        print(json.dumps(build(Path(job["generation"]), Path(job["target"]), job["facets"], job["threads"], job["heap_mb"])))
    else:
        Path(args.out).write_text(json.dumps(serve(job), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
