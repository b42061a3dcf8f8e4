"""axe-core in the browser tests, with the app's Content-Security-Policy left in place.

The vendored ``axe.min.js`` is evaluated through the DevTools protocol (``page.evaluate``), which
is not a page script and so needs no CSP exception: the pages are checked exactly as served.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# WCAG 2.0–2.2 A and AA, plus axe's best practices (landmarks, headings, region, …).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_source: str | None = None


def axe_violations(page) -> list[dict]:
    """axe's violations of the page as it is now: [{id, impact, help, nodes: [target, …]}]."""
    global _source
    if _source is None:
        _source = AXE.read_text(encoding="utf-8")
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(_source)
    return page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + n.failureSummary.split("\\n").slice(1, 2).join("")),
            }));
        }""",
        TAGS,
    )


def by_impact(violations: list[dict]) -> dict[str, int]:
    """Failing nodes counted by impact (critical, serious, moderate, minor)."""
    counts: Counter[str] = Counter()
    for violation in violations:
        counts[violation["impact"] or "none"] += len(violation["nodes"])
    return dict(counts)


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]
