"""Page furniture judged by what a line is made of, for stage 2 (clean).

The lists of ``[chrome]`` in ``data/rules.toml`` name furniture already seen; every new site
brings strings no list holds (已有0人参与, 【列印本頁】, 首次来访请【注册账号】成为会员). So a line
is also judged by its composition: the share of it the vocabulary of web interfaces covers
(注册, 下载, 积分, 收藏, 二维码, 上一篇 … in ``[furniture]``), with counters (全文2318字, 31KB,
已有0人), time stamps and site addresses; by its shape (parts between separators each of which is
furniture, a label and its value, a tag line, a menu item); and by where it stands: before the
report's first paragraph or after its last one, furniture needs less evidence than between its
paragraphs. A line speaking the language of a report (全镇, 推进, a figure with a unit: 1.2万亩)
is never judged by its words, so 引导群众下载使用…APP or 镇微信公众号全年推送信息620条 stay.
A page's title bar (报告标题_作者_新浪博客, 某某论坛 - 栏目 - 报告标题) gives the title it holds; the
author's or account's name alone on the line above a byline, a follow button or a forum's floor
(楼主, 沙发) goes with them.

Watermarks are removed inside lines: a site's name and account glued before the first line
(with symbols inserted against copying and a URL), the account's name in brackets or glued to
paragraphs (learned from the text: 公众号：X, 来源：X公众号, 【X整理】), a library's name glued to a
title without a separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer import domain
from indexer.normalize import normalize

# Counters and stamps of sites: 全文2318字, 31KB, 8页, 12金币, 2,017℃, 已有0人, 第 1,283,466 位, 约7分钟,
# an action and its count (阅 86, 转 3, 收藏0, 献花(0), 赞 42), 12 人赞同了该文章.
_COUNTER = re.compile(
    r"已有\s*\d[\d,]*\s*(?:人|条|位|次)|第\s*\d[\d,]*\s*位"
    r"|(?<![\u4e00-\u9fff])(?:阅|转|赞|评|收藏|支持|反对|回复|查看|献花|喜欢|评论|转发|点赞)\s*[(:]?\s*\d[\d,]*\s*\)?(?![\d\u4e00-\u9fff])"
    r"|\d[\d,]*\s*人(?:赞同|喜欢|收藏|关注|参与|阅读)(?:了该(?:文章|回答))?|\d[\d,.]*\s*(?:页|字|kb|mb|gb|金币|积分|下载券|分钟|℃|人评价|人觉得|分)(?![\u4e00-\u9fff]{0,1}[亩元户])"
)
_STAMP = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?|(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_TIME_OF_DAY = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s+\d{1,2}:\d{2}")
_ADDRESS = re.compile(r"(?:https?://|www\.)[\w./?=&%#~-]+|[\w.-]+@[\w-]+(?:\.[\w-]+)+|[\w-]+(?:\.[\w-]+)*\.(?:com|cn|net|org|cc|top)(?![\w])")
_CONTENT = re.compile(r"[\u3400-\u9fffa-z]")
_SENTENCE_END = re.compile(r"[。！？；!?;]")
# Parts of a line: between bars, two spaces and more, a spaced dot or dash, or 】【.
_PARTS = re.compile(r"\s*[|丨]\s*|\s{2,}|\s[·•\-—–]+\s|(?<=】)\s*(?=【)")
_TITLE_BAR_DASH = re.compile(r"\s+[-—–|]\s+")
_LABEL = re.compile(r"^([^\s:]{1,10}?)\s*:\s*(.*)$")
# Symbols copied text gets inside its words against copying (公众@号, 素材%[库): ignored when judging.
_NOISE = re.compile(r"[#*%@{}\[\]^~&$]")
_NUMBERED = re.compile(r"^(?:\d{1,2}\s*[、.．)）]|[(（]\d{1,2}[)）])")
_MENU_ITEM = re.compile(r"^[^\s>»›]{2,10}\s*[>»›]$")
_TAG_SEPARATOR = re.compile(r"\s*[,;]\s*")
_BRACKETED = re.compile(r"[(【\[]([^()【】\[\]\n]{2,60})[)】\]]")
_SOURCE_LABELS = ("公众号", "微信号", "微信", "微博", "网址", "网站", "来源", "出处", "转自", "网")
_LEADING_PIECE = re.compile(r"([^。\s]{2,60}?)(?:。|\s+)")
_FOLLOW = re.compile(r"^\+?\s*关注(?:他|她|我们|作者|ta)?$")
_FLOOR = re.compile(r"^(?:楼主|沙发|板凳|地板|\d{1,4}\s*(?:楼|#))$")
_ADMINISTRATIVE_END = re.compile(r"(?:[乡镇县区市州旗村]|街道|苏木|政府|党委|办公室)$")
_ADMINISTRATIVE = re.compile(r"[乡镇县区市州旗]|街道|苏木|政府|党委|人大")


@dataclass(frozen=True)
class Furniture:
    """What ``[furniture]`` of ``data/rules.toml`` says web interfaces are made of, compiled once."""

    words: re.Pattern  # interface words, longest first
    report: re.Pattern  # report words, or a figure with a report's unit
    notice_heads: tuple[str, ...]
    comment_heads: tuple[str, ...]
    glue: tuple[str, ...]
    library: re.Pattern | None
    title_labels: tuple[str, ...] = ()
    site_endings: tuple[str, ...] = ()  # 论坛, 博客 …: the end of a site's name in a title bar
    title_cues: tuple[str, ...] = ()  # 总结, 计划, 报告 …: words of a report's title

    # ------------------------------------------------------------------ composition

    def report_language(self, folded: str) -> bool:
        return bool(self.report.search(folded))

    def share(self, folded: str) -> tuple[int, float]:
        """Distinct interface words, counters, stamps and addresses in ``folded``, and the share of
        its ideographs and letters they cover."""
        covered = bytearray(len(folded))
        hits: set[str] = set()
        for pattern in (self.words, _COUNTER, _STAMP, _ADDRESS):
            for match in pattern.finditer(folded):
                hits.add(match.group())
                covered[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
        content = [i for i, char in enumerate(folded) if _CONTENT.match(char)]
        if not content:
            return len(hits), 0.0
        return len(hits), sum(covered[i] for i in content) / len(content)

    def interface_label(self, folded: str) -> tuple[str, str] | None:
        """``label: value`` where the label holds an interface word (上一则：…, 一审：李强)."""
        match = _LABEL.match(folded)
        if match and self.words.search(match.group(1)):
            return match.group(1), match.group(2).strip()
        return None

    def _part(self, part: str, chrome) -> bool:
        if chrome(part) or not _CONTENT.search(part):
            return True
        if (label := self.interface_label(part)) and len(label[1]) <= 16:
            return True
        if self.report_language(part):
            return False
        hits, share = self.share(part)
        return hits >= 1 and share >= 0.5

    def parts(self, folded: str, chrome) -> bool:
        """A line of parts each of which is furniture (登录 | 免费注册 | 客服中心; 资源类型: docx
        所需积分:8积分); one short part may be the site's name (费县人民政府 | 无障碍 | 长者模式 | 简体)."""
        parts = [p for p in _PARTS.split(folded) if p.strip()]
        if len(parts) < 2:
            return False
        others = [p for p in parts if not self._part(p.strip(), chrome)]
        if not others:
            return True
        if len(others) != 1 or len(others[0]) > 16 or _SENTENCE_END.search(others[0]):
            return False
        # (the site's name first; in a byline, the author's name between its date and its counters)
        return len(parts) >= 4 and (others[0] is parts[0] or any(_STAMP.search(p) for p in parts))

    # ------------------------------------------------------------------ lines

    def judge(self, folded: str, outside: bool, chrome, wrapped: bool = False) -> bool:
        """Is this line (normalized) furniture? ``outside``: before the report's first paragraph or
        after its last; ``chrome``: the list-based test of one part (``Chrome.furniture``);
        ``wrapped``: the text is hard-wrapped, so a line may be a piece of a sentence (游客 cut from
        接待游客55万人次): one interface word is then not enough."""
        text = folded.strip()
        if not text:
            return False
        if outside and (_MENU_ITEM.match(text) or self.tag_line(text) or _latin_only(text)):
            return True
        if self.parts(text, chrome):
            return True
        label = self.interface_label(text)
        if label and outside and (len(label[1]) <= 16 or not _SENTENCE_END.search(label[1])):
            return True  # 上一则：某镇开展…, 地址：…建设路1号: a label of the page and a name or a title
        if self.report_language(text):
            return False
        if label and len(label[1]) <= 12:
            return True
        hits, share = self.share(text)
        least = 2 if wrapped else 1
        if outside:
            if _TIME_OF_DAY.search(text) and len(text) <= 60 and not _SENTENCE_END.search(text):
                return True  # a byline stamped with the time of day (原创 某某 2024-01-06 17:42 湖南)
            return len(text) <= 200 and hits >= least and (share >= 0.5 or hits >= 2 and share >= 0.25)
        return len(text) <= 40 and hits >= least and share >= 0.6

    def credits_author(self, folded: str) -> bool:
        """A byline stamped with the time of day, a follow button (关注他) or a forum's floor (楼主,
        沙发): the short line just above it is the author's or the account's name."""
        text = folded.strip()
        return bool(_TIME_OF_DAY.search(text) and len(text) <= 60 or _FOLLOW.match(text) or _FLOOR.match(text))

    def author_name(self, folded: str) -> bool:
        """郧西景阳发布, 越地观察, 山里的老党员: a short name alone on its line (no digits, no
        punctuation), not a place or a title."""
        text = folded.strip()
        return (
            2 <= len(text) <= 12
            and bool(re.fullmatch(r"[\u4e00-\u9fffa-z]+", text))
            and not any(c in text for c in self.title_cues)
            and not _ADMINISTRATIVE_END.search(text)
        )

    def candidate(self, folded: str) -> bool:
        """A line that may be furniture by its words alone (what a hard-wrap test should not count)."""
        if self.report_language(folded):
            return False
        hits, share = self.share(folded)
        return hits >= 1 and share >= 0.5

    def tag_line(self, folded: str) -> bool:
        """乡镇,工作总结,2024: three or more short items between commas or semicolons."""
        if len(folded) > 40 or "," not in folded and ";" not in folded or _SENTENCE_END.search(folded):
            return False
        items = _TAG_SEPARATOR.split(folded.strip(" ,;"))
        return len(items) >= 3 and all(0 < len(item) <= 6 and " " not in item for item in items)

    def head(self, folded: str, heads: tuple[str, ...]) -> bool:
        """温馨提示：, 【下载声明】, 评论（3）: one of ``heads`` alone on its line (a count after it)."""
        text = re.sub(r"[(（]\d+[)）]|[:：\s【】\[\]]", "", folded)
        return bool(text) and len(text) <= 8 and text in heads

    def numbered(self, folded: str) -> bool:
        return bool(_NUMBERED.match(folded.strip()))

    def body_span(self, folded_lines: list[str], furniture: list[bool]) -> tuple[int, int] | None:
        """The first and last paragraphs of report text (20 characters or more, in the language of
        a report, not furniture by the lists); a comment section after them ends the search."""
        first = last = None
        for i, folded in enumerate(folded_lines):
            if first is not None and self.head(folded, self.comment_heads):
                break
            if not furniture[i] and len(folded) >= 20 and self.report_language(folded) and not self.interface_label(folded):
                first = i if first is None else first
                last = i
        return (first, last) if first is not None else None

    # ------------------------------------------------------------------ watermarks

    def title_of_label(self, line: str) -> str | None:
        """| 标题：大店镇2024年工作思路 |: a document site's title cell; the title, as written."""
        folded = normalize(line)
        match = re.match(r"^[|\s]*([^\s:|]{2,6})\s*:\s*([^|]{4,60}?)[|\s]*$", folded)
        if match and match.group(1) in self.title_labels and not _SENTENCE_END.search(match.group(2)):
            return line[match.start(2) : match.end(2)]
        return None

    def title_of_bar(self, line: str) -> str | None:
        """烟阁乡2022年农业农村工作总结_禾川农人_新浪博客, 某某论坛 - 工作总结 - 报告标题: a page's
        title bar (a site's name at one end); the title it holds, as written ("" when none)."""
        folded = normalize(line)
        if len(folded) > 100 or _SENTENCE_END.search(folded):
            return None
        spans = [m.span() for m in re.finditer(r"[^_]+|(?<=_)(?=_)", folded)] if "_" in folded else []
        if len(spans) < 2:
            spans, start = [], 0
            for match in _TITLE_BAR_DASH.finditer(folded):
                spans.append((start, match.start()))
                start = match.end()
            spans.append((start, len(folded)))
        if len(spans) < 2 or len(spans) > 5:
            return None
        parts = [folded[a:b].strip() for a, b in spans]
        if not (parts[0].endswith(self.site_endings) or parts[-1].endswith(self.site_endings)):
            return None
        titled = [(b - a, a, b) for a, b in spans if any(c in folded[a:b] for c in self.title_cues) and b - a >= 8]
        if not titled:
            return ""
        _, a, b = max(titled)
        return line[a:b].strip()

    def brands(self, folded_text: str) -> list[str]:
        """Names of a site or an account that mark a copied text (公众号：笔耕星河, 来源：X公众号,
        【X整理】); never a name holding 乡, 镇, 县 … (a township's own account)."""
        text = _NOISE.sub("", folded_text)
        glue = "|".join(map(re.escape, self.glue)) or "(?!)"
        found = re.findall(r"(?:公众号|微信号|微信)\s*:\s*[“\"「]?([\u4e00-\u9fffa-z\d]{3,12}?)[”\"」]?(?=[\s。,.;:)】]|$)", text)
        found += re.findall(r"(?:来源|来自|转自|摘自)\s*:?\s*[“\"「]?([\u4e00-\u9fff]{3,10}?)[”\"」]?(?:微信)?公众号", text)
        found += re.findall(rf"[【\[]([\u4e00-\u9fff]{{3,10}}?)(?:{glue})[】\]]", text)
        return sorted({b for b in found if not _ADMINISTRATIVE.search(b)}, key=len, reverse=True)

    def strip_watermarks(self, line: str, brands: list[str]) -> str:
        """The line without the watermark pieces glued to it (as written)."""
        folded = normalize(line)
        if brands and any(b in folded for b in brands) or any(c in folded for c in "([【"):
            inside = remove_spans(line, (m.span() for m in _BRACKETED.finditer(folded) if self._watermark(m.group(1), brands)))
            rest = normalize(inside)
            # (only inside report text: a line of furniture around its brackets is judged whole)
            if inside != line and (self.report_language(rest) or len(rest.strip()) >= 30):
                line, folded = inside, rest
        if brands and any(b in folded for b in brands):
            glue = "|".join(map(re.escape, self.glue)) or "(?!)"
            names = "|".join(map(re.escape, brands))
            line = remove_spans(line, (m.span() for m in re.finditer(rf"(?:{names})(?:{glue})?", folded)))
        line = self._strip_leading(line)
        if self.library and (match := self.library.match(folded := normalize(line))):
            rest = folded[match.end() :]
            if len(rest) <= 40 and not _SENTENCE_END.search(rest):  # (the rest is a title)
                line = line[match.end() :]
        return line

    def _watermark(self, content: str, brands: list[str]) -> bool:
        """A bracketed piece that is a watermark or a notice: a brand, or furniture by its words."""
        text = _NOISE.sub("", content)
        if any(b in text for b in brands):
            return True
        if self.report_language(text):
            return False
        if label := self.interface_label(text):
            return len(label[1]) <= 16
        hits, share = self.share(text)
        return hits >= 1 and share >= 0.6

    def _strip_leading(self, line: str) -> str:
        """A site's name and account glued before the text, piece by piece up to a 。 or a space:
        笔杆子}素材%[库：https://…。公众@号：笔耕星河。整理汇总。岵山镇2023年…."""
        start = len(line) - len(line.lstrip())
        cut = start
        while True:
            match = _LEADING_PIECE.match(line, cut)
            if not match:
                break
            piece = _NOISE.sub("", normalize(match.group(1)))
            label = _LABEL.match(piece)
            if _ADDRESS.search(piece) or label and label.group(1).endswith(_SOURCE_LABELS) and 0 < len(label.group(2)) <= 12:
                cut = match.end()
                continue
            if cut == start:
                break  # (a piece of interface words alone counts only after a piece of the site)
            hits, share = self.share(piece)
            if hits >= 1 and share >= 0.6 and not self.report_language(piece):
                cut = match.end()
                continue
            break
        rest = line[cut:]
        return rest if cut > start and len(rest.strip()) >= 8 else line


def _latin_only(text: str) -> bool:
    """- END -, Read More: a short line of letters (not XX, an anonymized name, nor a date)."""
    return len(text) <= 24 and not any("\u3400" <= c <= "\u9fff" for c in text) and len(re.findall("[a-wyz]", text)) >= 2


def remove_spans(line: str, spans) -> str:
    """``line`` without ``spans`` (positions found in its normalized form, which are the same)."""
    kept, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        kept.append(line[last:start])
        last = end
    if last == 0:
        return line
    kept.append(line[last:])
    return "".join(kept)


def _alternation(words) -> re.Pattern:
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered)) or "(?!)")


def furniture_rules(rules: domain.Rules) -> Furniture:
    cached = rules.cache.get("furniture")
    if cached is None:
        units = "|".join(map(re.escape, sorted(rules.list("furniture", "report_units"), key=len, reverse=True))) or "(?!)"
        words = "|".join(map(re.escape, sorted(rules.list("furniture", "report_words"), key=len, reverse=True))) or "(?!)"
        endings = "|".join(map(re.escape, rules.list("furniture", "library_endings")))
        cached = rules.cache["furniture"] = Furniture(
            words=_alternation(rules.list("furniture", "interface_words")),
            report=re.compile(rf"{words}|\d[\d,.]*\s*(?:{units})"),
            notice_heads=rules.list("furniture", "notice_heads"),
            comment_heads=rules.list("furniture", "comment_heads"),
            glue=rules.list("furniture", "watermark_glue"),
            title_labels=rules.list("furniture", "title_labels"),
            site_endings=rules.list("furniture", "site_name_endings"),
            title_cues=rules.list("heading", "title_cues"),
            # 书香文库|湾头桥镇2024年工作计划: a library's name, then a place or a year starting a title.
            library=re.compile(rf"^[\u4e00-\u9fff]{{1,6}}?(?:{endings})(?=[\u4e00-\u9fff]{{1,8}}?(?:省|市|县|区|镇|乡|街道|苏木)|\d{{4}}年)")
            if endings
            else None,
        )
    return cached
