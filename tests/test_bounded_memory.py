"""No request parameter grows a worker's memory (issue 20.1): a real server, a walk of every
parameter over many values, the worker's resident memory before and after.

The index has a couple of hundred townships, so a facet listing kept per ``facet_size`` value
(what a worker did before: 255 → 1,117 MB after 4,000 browse requests at 10,000 reports) would
show here as tens of megabytes. The term cache is set small (``TOWNSHIP_CACHE_MB``) so that it
is full after the warm-up: what it holds is bounded by its setting, not by the walk. The check
is a tolerance on memory, never a timing. ``python -m tests.soak`` is the long version.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

import httpx
import pytest

from tests.benchmarks import corpus as generator
from tests.server import build_index, serve

REPORTS = 200
CACHE_MB = 4
WALK = 2_000  # browse requests with distinct facet_size values (plus the other parameters)
TOLERANCE_MB = 20.0
CHARACTERS = "乡村振兴产业发展党建信访低保光伏水电茶林鱼桥项目安全生产环境整治集体经济工作建设民生"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bounded")
    data = root / "data"
    data.mkdir()
    names = generator.township_names(REPORTS, generator.DEFAULT_SEED)
    for i in range(REPORTS):
        report = generator.report(i, generator.DEFAULT_SEED, names)
        (data / report.relative).write_bytes(report.text.encode(report.encoding))
    built = build_index(data, root / "index", "--procs", "2")
    assert built.returncode == 0, built.stderr
    return root / "index"


def _requests(rng: random.Random, sizes: list[int], passage_ids: list[str]) -> list[tuple[str, dict]]:
    """Every parameter a client controls, over many values."""
    out = []
    for facet_size in sizes:
        word = "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(1, 4)))
        out.append(("/api/search", {"q": "", "facet_size": facet_size}))
        if facet_size % 3 == 0:
            out.append(
                (
                    "/api/search",
                    {
                        "q": word,
                        "facet_size": facet_size,
                        "size": rng.randint(1, 100),
                        "page": rng.randint(1, 50),
                        "sort": rng.choice(["relevance", "year_desc", "document"]),
                    },
                )
            )
        if facet_size % 5 == 0:
            out.append(("/api/trends", {"q": word, "buckets": rng.randint(1, 1000)}))
            out.append(("/api/suggest", {"q": word[: rng.randint(1, len(word))], "limit": rng.randint(1, 10)}))
        if facet_size % 7 == 0:
            out.append((f"/api/passages/{rng.choice(passage_ids)}/similar", {"limit": rng.randint(1, 50)}))
            out.append(("/api/search", {"q": word, "township": "未识别", "year": str(rng.randint(2000, 2030)), "facet_size": facet_size}))
        if facet_size % 50 == 0:
            out.append(("/api/export", {"q": word + word, "format": "jsonl"}))
    return out


def _rss(server) -> float:
    samples = []
    for _ in range(5):
        samples.append(server.rss_mb())
        time.sleep(0.1)
    return statistics.median(samples)


def _walk(client: httpx.Client, requests: list[tuple[str, dict]]) -> list[str]:
    errors = []
    for path, params in requests:
        response = client.get(path, params=params)
        if response.status_code != 200:
            errors.append(f"{path} {params}: {response.status_code} {response.text[:200]}")
    return errors


def test_walking_every_parameter_leaves_the_worker_memory_flat(index_dir):
    rng = random.Random(20)
    with serve(index_dir, env={"TOWNSHIP_CACHE_MB": str(CACHE_MB)}) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        hits = client.get("/api/search", params={"q": "工作", "size": 100}).json()["hits"]
        passage_ids = [h["passage_id"] for h in hits]
        townships = client.get("/api/search", params={"q": "", "facet_size": 10_000}).json()["facets"]["township"]
        assert len(townships) > 100  # enough values for a listing per facet_size to show
        # Warm-up: every kind of request, with values of its own, until the caches are full.
        sizes = list(range(1, 10_001))
        rng.shuffle(sizes)
        warm, walk = sizes[:500], sizes[500 : 500 + WALK]
        assert _walk(client, _requests(rng, warm, passage_ids)) == []
        before = _rss(server)
        requests = _requests(rng, walk, passage_ids)
        errors = _walk(client, requests)
        after = _rss(server)
        print(f"\n{len(requests)} requests: worker RSS {before:.1f} → {after:.1f} MB")
        assert errors == []
        assert after - before <= TOLERANCE_MB, f"RSS {before:.1f} → {after:.1f} MB after {len(requests)} requests"
