"""A short soak (``python -m tests.soak``): a real server, several clients, the whole mix of
requests with random and invalid parameter values, and not one error. No timing is asserted."""

from __future__ import annotations

from tests import soak


def test_short_soak_answers_every_request_without_an_error(tmp_path, capsys):
    # The time limit per search is raised: on a loaded test machine a township page may take
    # longer than the default 5 s, and that would be a 503 about the machine, not a bug.
    argv = [
        "--reports",
        "100",
        "--minutes",
        str(20 / 60),
        "--warmup",
        "3",
        "--clients",
        "4",
        "--work-dir",
        str(tmp_path),
        "--json",
        str(tmp_path / "soak.json"),
        "--search-timeout",
        "60",
    ]
    args = soak.parser().parse_args(argv)
    result = soak.run(args)
    assert result.errors == 0, result.tally.samples
    asked = result.tally.requests
    # Every kind of request of the mix was made, the invalid ones included (each answered 4xx).
    assert set(asked) >= {
        "search",
        "browse",
        "search page",
        "trends",
        "suggest",
        "document",
        "similar",
        "compare",
        "invalid parameter",
        "unknown thing",
    }
    assert result.requests > 50
    assert result.memory.start and result.memory.end and all(mb > 50 for mb in result.memory.end.values())
    text = soak.report(result, max_growth=1000)
    assert text.splitlines()[-1] == f"rss_growth_pct={result.memory.growth_pct()} errors=0"
