"""Stage 2, clean: from decoded text to the lines a reader should see.

Removes what is not report text (pinyin glued into words, web-page and document-site chrome
wherever it stands, stray symbols) while keeping the script as written, and rejoins text that
was hard-wrapped (copied out of a PDF viewer: a line break every few characters, or at a fixed
width) into paragraphs, so a word split by a break is one word again. Metadata found in
web-page lines (发布机构, 发布时间) is kept before those lines go. The chrome vocabulary lives in
``data/rules.toml`` (``[web]`` and ``[chrome]``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from indexer import domain
from indexer.furniture import Furniture, furniture_rules, remove_spans
from indexer.normalize import normalize
from indexer.readers.common import join_pieces

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A pinyin gloss right after an ideograph: 鎮(zhèn), 規（guī）. At least one tone mark, so
# ordinary Latin in parentheses, e.g. 项目(EOD) or 村(社区), is never touched.
PINYIN_GLOSS = re.compile(rf"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（](?=[a-zü]*[{_TONED}])[a-zü{_TONED}ê]{{1,8}}[)）]")
# Braille dots, zero-width and bidi marks, private-use code points, the replacement
# character and control characters: never meaningful in a report.
STRAY = re.compile("[\u2800-\u28ff\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
# The value may sit in the next cell of a table copied as text: "发布机构: | 天全县城厢镇 |", or
# "发布机构 临洮县辛店镇 发布日期 …" (a table's header and data cells, without a colon).
_PUBLISHER_LABEL = re.compile(r"(?:发布机构|发文机关|发文单位)\s*(?::\s*\|?|\|)?\s*([^\s:|]+?)(?=\s|\||发布|点击|$)")
# 来源: the office or newsroom a page credits (莘县融媒体中心, 蔡河镇牛王庙村村民委员会).
ORIGIN_LABEL = re.compile(r"(?:信息来源|文章来源|来源)\s*:\s*([^\s:]+?)(?=\s|发布|点击|浏览|$)")
# The office hosting a portal (主办单位：费县人民政府办公室): where the pages it publishes are from.
_HOST_LABEL = re.compile(r"主办单位\s*:\s*([^\s:|]+?)(?=\s|\||承办|$)")
_INDEX_NUMBER = re.compile(r"索引号\s*[:]\s*([0-9a-z][0-9a-z_/\-.]*)")
_DATE_LABEL = re.compile(r"(?:发布时间|发布日期|成文日期)\s*[:]\s*\|?\s*(\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})")
# A title glued to the salutation that opens the speech (…政府工作报告各位代表: 现在…), as
# document sites flatten a report: the title goes back on its own line.
_GLUED_TITLE = re.compile(r"^(.{4,40}?(?:报告|总结|计划|汇报|要点|安排))(?=(?:各位代表|各位领导|同志们)\s*[:,])")


@dataclass
class CleanText:
    lines: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def remove_pinyin(text: str) -> str:
    for _ in range(3):  # a second gloss right after the first (字(zì)（zì）) only shows once the first is gone
        text, removed = PINYIN_GLOSS.subn("", text)
        if not removed:
            break
    return text


def remove_stray(text: str) -> str:
    return STRAY.sub("", text)


def iso_date(text: str) -> str | None:
    match = _DATE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def web_metadata(line: str) -> dict[str, str]:
    """发布机构 / 发布时间 / 索引号 / 来源 / 主办单位 a line of a scraped page states; the publisher as written."""
    folded = normalize(line)
    found: dict[str, str] = {}
    if match := _PUBLISHER_LABEL.search(folded):
        found["publisher"] = line[match.start(1) : match.end(1)]
    if match := _DATE_LABEL.search(folded):
        if date := iso_date(match.group(1)):
            found["published"] = date
    if match := _INDEX_NUMBER.search(folded):
        found["index_number"] = line[match.start(1) : match.end(1)]
    if match := ORIGIN_LABEL.search(folded):
        found["origin"] = line[match.start(1) : match.end(1)]
    if match := _HOST_LABEL.search(folded):
        found["host"] = line[match.start(1) : match.end(1)]
    return found


@dataclass(frozen=True)
class Chrome:
    """What ``data/rules.toml`` says page furniture looks like, compiled once."""

    prefixes: tuple[str, ...]
    exact: frozenset[str]
    markers: re.Pattern | None  # (one alternation: a hundred substrings tested at once)
    max_line: int
    lines: re.Pattern | None  # whole-line patterns anchored at the start (^…), tried there only
    lines_anywhere: re.Pattern | None  # the others
    inline: re.Pattern | None
    site_words: tuple[str, ...] = ()  # words of a site's brand (范文, 公文, 材料 …)
    list_heads: tuple[str, ...] = ()  # headings of a site's list of other pages (相关文章, 猜你喜欢 …)
    list_head_shapes: re.Pattern | None = None  # the same naming what they list (相关PPT推荐：)

    def is_chrome(self, folded: str) -> bool:
        if self.furniture(folded) or is_breadcrumb(folded):
            return True
        # 约4.3千字 | 约 6页 | 2024-01-09 发布于江西 | 举报, 文档格式: .docx   页数: 7: a line of
        # parts each of which is furniture (a table row of report figures has parts that are not).
        parts = [p for p in _PARTS.split(folded) if p.strip()] if "|" in folded or "丨" in folded or "  " in folded else ()
        return len(parts) >= 2 and all(self.furniture(p.strip()) for p in parts)

    def furniture(self, folded: str) -> bool:
        if folded.startswith(self.prefixes) or folded in self.exact:
            return True
        if len(folded) <= self.max_line and self.markers and self.markers.search(folded):
            return True
        if len(folded) > 120:
            return False
        return bool(self.lines and self.lines.match(folded) or self.lines_anywhere and self.lines_anywhere.search(folded))

    def site_label_end(self, folded: str) -> int:
        """Where a site's brand and slogan at the start of a line end (写材料网 — 专注机关公文写作
        alone, 公文家·让写材料不再难一、…, 范文先生网|专业公文写作平台坛厂街道…), 0 when the line
        starts with none. The brand holds a word of a site (公文, 范文, 材料 …) or ends with 网."""
        match = _BRAND.match(folded)
        if not match or not (match.group(1).endswith("网") or any(w in match.group(1) for w in self.site_words)):
            return 0
        after = folded[match.end() :]
        if heading := _HEADING_AT.search(after, 2, 18):  # glued to a heading: the slogan ends there
            slogan = after[: heading.start()]
        elif len(after) <= 16:  # the brand and its slogan alone
            slogan = after
        else:  # glued to a title: the slogan ends with its last word of a site (…写作平台|坛厂街道…)
            ends = [after.find(w, 2) + len(w) for w in self.site_words if 0 < after.find(w, 2) <= 16 - len(w)]
            slogan = after[: max(ends)] if ends else ""
        if len(slogan) < 2 or _NOT_SLOGAN.search(slogan):
            return 0
        return match.end() + len(slogan)

    def list_head(self, folded: str) -> bool:
        """相关文章:, 猜你喜欢, 【相关推荐】: the heading of a site's list of other pages."""
        if len(folded) > 40:
            return False
        head = folded.lstrip("【[ ").rstrip("】] ")
        return bool(self.list_heads) and head.startswith(self.list_heads) or bool(self.list_head_shapes and self.list_head_shapes.match(head))


_BREADCRUMB = re.compile(r"\s*(?:>>|[>›»])\s*")
# Parts of a line of furniture: separated by a bar, or by two spaces and more.
_PARTS = re.compile(r"\s*[|丨]\s*|\s{2,}")
# A site's brand, then a separator (公文家·, 范文先生网|, 写材料网 — ).
_BRAND = re.compile(r"^([\u4e00-\u9fffa-z\d]{2,10})\s*[·•|丨—–-]+\s*")
_HEADING_AT = re.compile(r"[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）]|第[一二三四五六七八九十]{1,3}部分")
_NOT_SLOGAN = re.compile(r"[\s\d,，。;；:：、!！?？]")


def is_breadcrumb(folded: str) -> bool:
    """首页 > 政务公开 > 工作总结: three or more short parts between > › » (never markup)."""
    if len(folded) > 80 or "<" in folded:
        return False
    parts = _BREADCRUMB.split(folded)
    return len(parts) >= 3 and all(0 < len(p.strip()) <= 24 for p in parts)


def _alternation(patterns: tuple[str, ...] | list[str]) -> re.Pattern | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def _anchored(pattern: str) -> bool:
    """The pattern matches at the start of the text only (``^…`` without a ``|`` outside groups)."""
    depth, in_class, i = 0, False, 1
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if pattern.startswith("[^]", i) else 1 if pattern.startswith("[]", i) else 0  # (a ] first is a member)
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return False
        i += 1
    return pattern.startswith("^")


def chrome_rules(rules: domain.Rules) -> Chrome:
    cached = rules.cache.get("chrome")
    if cached is None:
        line_patterns = rules.value("chrome", "line_patterns", default=[])
        cached = Chrome(
            prefixes=rules.list("web", "drop_line_prefixes") + ("发布机构", "发布时间", "发布日期", "成文日期", "发文机关"),
            exact=frozenset(rules.list("web", "drop_lines")),
            markers=_alternation([re.escape(m) for m in rules.list("chrome", "markers")]),
            max_line=int(rules.value("chrome", "max_line", default=200)),
            # (an alternation tries every branch at every position: those anchored at the start
            # are tried at the start only, three times faster on report text)
            lines=_alternation([p for p in line_patterns if _anchored(p)]),
            lines_anywhere=_alternation([p for p in line_patterns if not _anchored(p)]),
            inline=_alternation(rules.value("chrome", "inline_patterns", default=[])),
            site_words=rules.list("chrome", "site_words"),
            list_heads=rules.list("chrome", "list_heads"),
            list_head_shapes=_alternation(rules.value("chrome", "list_head_patterns", default=[])),
        )
        rules.cache["chrome"] = cached
    return cached


# ---------------------------------------------------------------------------- hard wraps

# A line that ends a sentence (or a clause introducing a list), possibly inside quotes.
_SENTENCE_END = re.compile(r"[。！？；!?;：:…．][”’」』)）\"'\s]*$")
# A line that starts a heading or list item: never the continuation of the line before.
_ITEM_START = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、.．](?!\d)|第[一二三四五六七八九十\d]+[章节条部分篇]"
    r"|[一二三四五六七八九十]是|[●■◆▲★※·•◎√]|附件|各位代表)"
)
_ONLY_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、.．])$")
_TITLE_END = ("报告", "总结", "计划", "回顾", "汇报", "打算", "要点", "安排", "思路")


def _width(line: str) -> int:
    """Columns on screen: two for an ideograph or full-width mark (three UTF-8 bytes), one for ASCII."""
    return len(line) + (len(line.encode("utf-8", "surrogatepass")) - len(line)) // 2


def wrap_style(lines: list[str]) -> tuple[str | None, int]:
    """``("fragments", 0)`` when most lines are a few characters cut anywhere, ``("chars", N)``
    when lines were cut every N characters (a machine's cut: most lines have exactly N),
    ``("width", W)`` when lines were cut at a fixed width W (columns on screen: a PDF viewer,
    24 and more, or a narrow one, 16 and more, where more of the lines must share the width),
    else ``(None, 0)``: text with one paragraph a line."""
    texts = [line.strip() for line in lines if line.strip()]
    if len(texts) < 8 or _table_cells(texts):
        return None, 0
    short = [t for t in texts if len(t) <= 8 and not _SENTENCE_END.search(t)]
    if len(short) >= 10 and len(short) >= 0.35 * len(texts):
        return "fragments", 0
    lengths = Counter(len(t) for t in texts if len(t) >= 9)
    if lengths:
        count, cut = max((n, length) for length, n in lengths.items())
        cut_lines = [t for t in texts if len(t) == cut]
        if count >= 8 and count >= 0.5 * len(texts) and sum(1 for t in cut_lines if not _SENTENCE_END.search(t)) >= 0.7 * count:
            return "chars", cut
    widths = Counter(_width(t) for t in texts if len(t) >= 8)
    if not widths or max(widths.values()) < 3:
        return None, 0  # a paragraph a line: hardly two lines have the same width
    mode = max(widths, key=lambda w: (sum(widths[v] for v in range(w - 3, w + 2)), w))
    full = [t for t in texts if mode - 3 <= _width(t) <= mode + 1]
    share = 0.4 if mode >= 24 else 0.6  # a narrow width needs more lines to show it
    if mode >= 16 and len(full) >= 6 and len(full) >= share * len(texts) and sum(1 for f in full if not _SENTENCE_END.search(f)) >= 0.6 * len(full):
        return "width", mode
    return None, 0


def _table_cells(texts: list[str]) -> bool:
    """A table copied a cell a line (序号, 重点工作, 1, …, 2, …): short lines that are not cut words."""
    if "序号" not in texts[:20]:
        return False
    numbers = [int(t) for t in texts if t.isdigit() and len(t) <= 3]
    return len(numbers) >= 3 and numbers[:3] == [1, 2, 3]


def _cut_here(piece: str, style: str, width: int) -> bool:
    """The line was cut by the wrap (it is full), not ended by its author."""
    if style == "chars":
        return len(piece) == width
    return _width(piece) >= width - (4 if width >= 24 else 1)


def rejoin(lines: list[str]) -> tuple[list[str], str | None]:
    """Paragraphs back from hard-wrapped lines; real short lines (headings, list items, a title,
    a signature) stay lines. Returns the lines and a note when anything was joined."""
    style, width = wrap_style(lines)
    if style is None:
        return lines, None

    fixed = style in ("width", "chars")
    # Fragments cut every N characters (most pieces have N): a heading N long goes on in the next piece.
    cut = 0
    if style == "fragments":
        sizes = Counter(len(line.strip()) for line in lines if len(line.strip()) >= 4)
        size, count = sizes.most_common(1)[0]
        cut = size if count >= 0.4 * sum(sizes.values()) else 0
    result: list[str] = []
    pieces = 0  # raw lines in the paragraph being built
    last_piece = ""
    continued_heading = False
    for raw in lines:
        line = raw.strip().strip("\u3000").strip()
        if not line:
            if fixed:
                pieces = 0  # a blank line ends a paragraph of fixed-width text
            continue
        folded = normalize(line)
        indented = raw[:1] in (" ", "\u3000", "\t") and fixed
        if result and pieces and not indented and not _ITEM_START.match(folded):
            last = normalize(result[-1])
            # A heading (一、…) or a title stays a line unless the wrap cut it (its last piece is full).
            heading = len(last) <= 40 and bool(_ITEM_START.match(last)) and not _ONLY_MARKER.match(last)
            title_done = len(last) <= 40 and last.endswith(_TITLE_END)
            if fixed:
                joins = _cut_here(last_piece, style, width) and not _SENTENCE_END.search(last) and not (heading and title_done)
            else:
                # A heading stays a line, unless its piece was cut (is N long): then the next
                # piece completes it and ends it.
                cut_heading = bool(cut) and heading and pieces == 1 and len(last_piece) >= cut
                heading_done = heading and (pieces == 1 and not cut_heading or continued_heading)
                continued_heading = cut_heading
                joins = not _SENTENCE_END.search(last) and not heading_done and not title_done
                joins = joins or bool(_ONLY_MARKER.match(last))
            if joins:
                if fixed:
                    result[-1] = result[-1] + "\n" + line  # (joined at the end, by the width of each piece)
                else:
                    result[-1] = join_pieces(result[-1], line)
                pieces += 1
                last_piece = line
                continue
        result.append(line)
        pieces = 1
        last_piece = line
        continued_heading = False
    if fixed:
        result = [_join_width(paragraph, join_pieces) for paragraph in result]
    how = {"fragments": "每隔几个字断行", "chars": f"每{width}个字断行", "width": f"按{width}列宽断行"}[style]
    return result, f"硬换行文本({how})已重新拼接成段落"


def _join_width(paragraph: str, join_pieces) -> str:
    parts = paragraph.split("\n")
    text = parts[0]
    for part in parts[1:]:
        text = join_pieces(text, part)
    return text


# ---------------------------------------------------------------------------- document-site chunks

# Document-sharing sites show a report as numbered pieces ("1、…", "2、…") cut every few hundred
# characters wherever the cut falls: inside a word (嘎查集|2、体经济) or a year (六、20|3、22年).
_CHUNK = re.compile(r"^\s*(\d{1,3})、")
_CHUNK_MIN = 120  # characters of every piece but the last
_CLAUSE_END = re.compile(r"[。！？；!?;：:…．,，、][”’」』)）\"'\s]*$")
_STOP = re.compile(r"[。！？；!?;]")
# Such pages flatten paragraphs into one line: two spaces, or one before a heading (一、 （一）), were a break.
_FLATTENED_BREAK = re.compile(r"[ \u3000]{2,}|[ \u3000]+(?=[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])")


def _cut_inside(piece: str) -> bool:
    """A short piece that ends one sentence and is cut inside the next (田1.2万亩，…公里。推进湘):
    a piece of a document site, never a numbered heading or a list item."""
    text = _CHUNK.sub("", piece, count=1).strip()
    return bool(_STOP.search(text, 0, len(text) - 1)) and not _CLAUSE_END.search(text)


def join_chunks(lines: list[str]) -> list[str]:
    """Numbered pieces of a document site back into the text they cut, markers removed.

    A run of lines numbered 1、2、3… counts only when every piece but the last is long and
    most cuts fall inside a sentence; a numbered list of long items ends each one with 。."""
    numbered = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := _CHUNK.match(line))]
    out = list(lines)
    k = 0
    while k < len(numbered):
        run = [numbered[k]]
        while k + len(run) < len(numbered):
            (i, n), (j, m) = run[-1], numbered[k + len(run)]
            if m != n + 1 or any(line.strip() for line in lines[i + 1 : j]) or len(lines[i].strip()) < _CHUNK_MIN and not _cut_inside(lines[i]):
                break
            run.append((j, m))
        cuts_inside = sum(1 for i, _ in run[:-1] if not _CLAUSE_END.search(lines[i]))
        if run[0][1] == 1 and len(run) >= 2 and 2 * cuts_inside >= len(run) - 1:
            first = run[0][0]
            joined = _CHUNK.sub("", lines[first], count=1).strip()
            for i, _ in run[1:]:
                piece = _CHUNK.sub("", lines[i], count=1).strip()
                joined = joined + piece if not _SENTENCE_END.search(joined) else joined + "\n" + piece
                out[i] = None
            out[first] = _FLATTENED_BREAK.sub("\n", joined)
        k += len(run)
    return [line for piece in out if piece is not None for line in piece.split("\n")]


def clean(text: str) -> CleanText:
    rules = domain.load_rules()
    chrome = chrome_rules(rules)
    furniture = furniture_rules(rules)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = remove_stray(remove_pinyin(text))
    result = CleanText(lines=[])
    brands = furniture.brands(normalize(text))
    entries: list[tuple[str, str]] = []  # (the line as read, the line left of it)
    for raw in join_chunks(text.split("\n")):
        line = raw.strip().strip("\u3000").strip()
        if line:
            line = _without_furniture_inside(line, raw, chrome, furniture, brands, result)
        entries.append((raw, line))  # (a line all furniture is left empty: no break in the text)
    entries = _unglue_titles(entries)
    folded_lines = [normalize(line) for _, line in entries]
    listed = [bool(line) and chrome.is_chrome(folded) for (_, line), folded in zip(entries, folded_lines)]
    # Before the report's first paragraph and after its last, furniture needs less evidence.
    span = furniture.body_span(folded_lines, listed)
    # A hard-wrapped text's lines may be pieces of sentences (游客 alone, cut from 接待游客55万人次).
    wrapped = wrap_style([line for (_, line), f, out in zip(entries, folded_lines, listed) if not out and not furniture.candidate(f)])[0] is not None
    kept: list[str] = []
    name_at = None  # where in kept a short name line before the report stands (an author's, perhaps)
    seen: set[str] = set()
    dropped = False  # the line before was furniture
    body = listing = notices = comments = False  # report text seen; a site's list, notices, comments
    for i, ((raw, line), folded) in enumerate(zip(entries, folded_lines)):
        if not line:
            if raw.strip():
                dropped = True  # all of it was furniture (第1页 共3页): no break in the text
            else:
                kept.append("")
            continue
        if dropped and folded in seen and len(folded) <= 60 and not _SENTENCE_END.search(folded):
            continue  # a PDF's running header (the title again) after a page's footer (第1页 共3页)
        seen.add(folded)
        dropped = True
        outside = span is not None and not span[0] <= i <= span[1]
        if comments or outside and furniture.head(folded, furniture.comment_heads) and span and i > span[1]:
            if not comments:
                _drop_author(kept, name_at, folded, furniture)  # (above the first comment's floor: 沙发)
            comments = True  # a page's comment section after the report: nothing of it is report text
            continue
        if notices and outside and furniture.numbered(folded):
            continue  # 温馨提示: 1. … 2. …: a site's notices one by one
        notices = outside and furniture.head(folded, furniture.notice_heads)
        if listing and _listed_page(folded):
            continue  # 乡镇2023年工作总结范文（通用12篇）under 相关文章: a title of another page
        listing = (body or outside and i > span[1]) and chrome.list_head(folded)
        furniture_line = listed[i]
        if furniture_line and not outside and span and len(folded) >= 30 and _SENTENCE_END.search(folded) and furniture.report_language(folded):
            furniture_line = False  # a sentence of the report naming 阅读量 or 浏览次数
        if not furniture_line and span:
            furniture_line = furniture.judge(folded, outside, chrome.furniture, wrapped)
        if furniture_line or listing or notices:
            for key, value in web_metadata(raw).items():
                result.metadata.setdefault(key, value)
            _drop_author(kept, name_at, folded, furniture)
            name_at = None
            continue
        name_at = len(kept) if outside and furniture.author_name(folded) else None
        dropped = False
        body = body or len(folded) >= 30 and bool(_SENTENCE_END.search(folded))
        kept.append(raw if raw.strip() == line else line)
    lines, note = rejoin(kept)
    if note:
        result.warnings.append(note)
    result.lines = [line.strip().strip("\u3000").strip() for line in lines if line.strip().strip("\u3000").strip()]
    if not result.lines:
        result.warnings.append("清理网页残留后没有剩下报告正文")
    return result


def _drop_author(kept: list[str], name_at: int | None, folded: str, furniture: Furniture) -> None:
    """The name kept last, when this furniture line credits it (a byline, 关注他, 楼主): an author's."""
    if name_at is not None and name_at == len(kept) - 1 and furniture.credits_author(folded):
        kept.pop()


def _without_furniture_inside(line: str, raw: str, chrome: Chrome, furniture: Furniture, brands: list[str], result: CleanText) -> str:
    """The line without the furniture inside it: in-line patterns (page counters), a site's brand
    and slogan before it, watermarks glued to it. Furniture goes first, so that report text sharing
    a line with it stays. What a page states there (发布机构, 来源) is kept."""
    if title := furniture.title_of_label(line):
        return title
    if (title := furniture.title_of_bar(line)) is not None:
        return title
    folded = normalize(line)
    if chrome.inline and chrome.inline.search(folded):
        line = remove_spans(line, (m.span() for m in chrome.inline.finditer(folded))).strip()
        folded = normalize(line)
    if cut := chrome.site_label_end(folded):
        line = line[cut:].strip()
        folded = normalize(line)
    stripped = furniture.strip_watermarks(line, brands).strip() if line else line
    if stripped != line and (not chrome.is_chrome(folded) or not chrome.is_chrome(normalize(stripped))):
        # (a line the lists call furniture for a watermark glued to it: the rest is report text)
        for key, value in web_metadata(raw).items():
            result.metadata.setdefault(key, value)
        line = stripped
    return line


_BULLET = re.compile(r"^[●■◆▲★※·•◎\-*]\s*")


def _listed_page(folded: str) -> bool:
    """A line of a site's list of other pages: a short title (after a bullet, ● …), not a
    sentence, a heading, a date or a signature (which end the list)."""
    folded = _BULLET.sub("", folded)
    return len(folded) <= 40 and not _SENTENCE_END.search(folded) and not _ITEM_START.match(folded) and not iso_date(folded)


def _unglue_titles(entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first lines with a title glued to 各位代表 split in two (only near the top: a title)."""
    for i, (_, line) in enumerate(entries[:6]):
        if match := _GLUED_TITLE.match(normalize(line)):
            cut = match.end(1)
            return entries[:i] + [(line[:cut], line[:cut]), (line[cut:], line[cut:])] + entries[i + 1 :]
    return entries
