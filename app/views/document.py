"""A report as its page shows it: blocks of paragraphs under headings, the table of contents,
its title, and what became of a plan item."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.search.service import DocumentView, FollowUp, PassageView, is_plan_item
from app.urls import followup_url, passage_url, township_url


@dataclass
class Block:
    """A heading, or a paragraph of the report (passages split from one paragraph stay together)."""

    heading: PassageView | None = None
    passages: list[PassageView] = field(default_factory=list)


@dataclass
class TocEntry:
    passage_id: str
    text: str
    level: int
    matches: int  # matches of the query under this heading
    current: bool = False  # the section holding the target passage


def blocks(passages: list[PassageView]) -> list[Block]:
    out: list[Block] = []
    for passage in passages:
        if passage.is_heading:
            out.append(Block(heading=passage))
        elif out and out[-1].heading is None and out[-1].passages[-1].paragraph == passage.paragraph:
            out[-1].passages.append(passage)
        else:
            out.append(Block(passages=[passage]))
    return out


def table_of_contents(passages: list[PassageView], target: str = "") -> list[TocEntry]:
    entries: list[TocEntry] = []
    for i, passage in enumerate(passages):
        if passage.is_heading:
            matches = passage.matches
            for later in passages[i + 1 :]:
                if later.is_heading and later.level <= passage.level:
                    break
                matches += later.matches
            entries.append(TocEntry(passage.passage_id, passage.text, passage.level, matches))
        if passage.passage_id == target and entries:
            entries[-1].current = True
    return entries


def document_title(document: DocumentView) -> str:
    if document.title:
        return document.title
    year = f"{document.year}年" if document.year else ""
    return f"{document.township or ''}{year}工作报告" if document.township or year else document.source


def scripts(documents: list[DocumentView]) -> dict[str, str]:
    """doc_id → script of its text (zh-Hans / zh-Hant), for the lang of passages shown out of it."""
    return {d.doc_id: d.script for d in documents}


def followup_urls(document: DocumentView) -> dict[str, str]:
    """passage_id → its 落实情况 link, for every plan item of a report whose township is known."""
    if not document.township:
        return {}
    return {p.passage_id: followup_url(document.doc_id, p.passage_id) for p in document.passages if is_plan_item(p.section, p.is_heading, p.level)}


@dataclass
class FollowUpView:
    followup: FollowUp
    plan_url: str  # the plan passage in its report
    matches: list[tuple[object, str]]  # (FollowUpMatch, link to the review passage)
    township_url: str = ""
    check_url: str = ""  # the plan item's own follow-up (its report's page, the box open)


def followup_view(found: FollowUp | None) -> FollowUpView | None:
    if found is None:
        return None
    plan = found.plan
    return FollowUpView(
        followup=found,
        plan_url=passage_url(plan.doc_id, plan.passage_id, ""),
        matches=[(m, passage_url(m.hit.doc_id, m.hit.passage_id, "")) for m in found.matches],
        township_url=township_url(plan.township) if plan.township else "",
        check_url=followup_url(plan.doc_id, plan.passage_id),
    )
