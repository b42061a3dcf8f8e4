"""Report formats: web pages, Word .docx/.doc and PDF made in the test from the bundled reports'
text come out like the .txt (same township, year, sections, passages and search hits), and a
damaged file of any kind is skipped with a named reason while the others index.

Fixtures are generated here, never downloaded or committed: HTML as a GBK government page with
navigation, share buttons, footer and scripts; .docx with python-docx (heading styles, and
Word's automatic numbering instead of typed markers); PDF with reportlab's built-in CJK font
STSong-Light (running header, page numbers, first-line indents, justified lines) and a scanned
one with Pillow; .doc converted from a .docx by LibreOffice when it is installed (test.sh
installs it), read through LibreOffice and through antiword.
"""

from __future__ import annotations

import html
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from app.search.engines import search_service
from app.search.service import SearchRequest
from indexer.build import build
from indexer.pipeline import ProcessedReport, process_text
from indexer.read import UnreadableReport, read_report
from indexer.readers import doc as doc_reader
from indexer.readers.docx import chinese_number, format_number
from tests.conftest import DATA_DIR, GUIZHUMAO, TANGYANG, ZHAITAN, ZUSHIDIAN

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NUMERALS = "一二三四五六七八九十"
MARKERS = ((0, re.compile(rf"^[{NUMERALS}]+、")), (1, re.compile(rf"^\([{NUMERALS}]+\)")), (2, re.compile(r"^\d{1,2}\.(?!\d)")))
# What a government page wraps around the article: none of it may reach a passage.
CHROME = (
    "当前位置",
    "分享到",
    "微信",
    "QQ空间",
    "打印本页",
    "关闭窗口",
    "主办单位",
    "ICP备",
    "网站标识码",
    "相关文章",
    "请输入关键字",
    "document.write",
    "点击数",
    "字体",
    "安全生产工作会议",
    "政务服务",
    "互动交流",
)


def report_lines(doc_id: str) -> list[str]:
    text = (DATA_DIR / f"{doc_id}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def process(path: Path) -> ProcessedReport:
    return process_text(read_report(path), path.stem, path.name)


def outline(report: ProcessedReport) -> list[tuple]:
    return [(p.text, p.section, p.heading_path, p.is_heading, p.level, p.themes) for p in report.passages]


def assert_reads_like_text(report: ProcessedReport, reference: ProcessedReport) -> None:
    for field in ("title", "township", "county", "year", "year_inferred", "kind", "publisher", "published"):
        assert getattr(report.document, field) == getattr(reference.document, field), field
    assert outline(report) == outline(reference)


# ------------------------------------------------------------------------------ HTML


def government_page(doc_id: str, charset: str = "gb2312", layout: str = "zoom") -> str:
    """A county-site article page around the report's text, as Chinese CMS templates make them."""
    lines = report_lines(doc_id)
    title = lines[0]
    body = [line for line in lines[1:] if not line.startswith(("索引号", "原文链接", "政策解读链接", "附件"))]
    esc = html.escape
    nav = "".join(f'<li><a href="/col{i}.html">{name}</a></li>' for i, name in enumerate(["首页", "政务公开", "政务服务", "互动交流", "走进斋坛"]))
    related = "".join(f'<li><a href="/a{i}.html">斋坛乡召开第{i}季度安全生产工作会议</a></li>' for i in range(1, 6))
    if layout == "zoom":
        article = '<div id="zoom">' + "\n".join(f'<p style="text-indent:2em;">\n    {esc(line)}\n</p>' for line in body) + "</div>"
    else:  # an old table layout: the body in one cell, paragraphs separated by <br>
        article = '<table><tr><td class="content">' + "<br>\n".join("&nbsp;&nbsp;" + esc(line) for line in body) + "</td></tr></table>"
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{esc(title)}_乡镇动态_遂昌县人民政府</title>
<meta name="SiteName" content="遂昌县人民政府"><meta name="ColumnName" content="乡镇动态">
<script>var _hmt = _hmt || []; document.write("点击数统计");</script><style>#zoom p {{ font-size: 16px; }}</style></head>
<body><div class="header"><div class="search"><input type="text" value="请输入关键字"><button>搜索</button></div></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 乡镇动态</div>
<div class="main"><div class="left"><h3>信息公开</h3><ul>{related}</ul></div>
<div class="right"><table class="xxgk_table">
<tr><td>索引号：</td><td>00266476_7/2025-20117</td><td>发布机构：</td><td>斋坛乡人民政府</td></tr>
<tr><td>发布时间：</td><td>2025-05-21 11:35:44</td><td>点击数：</td><td><script>document.write(1234)</script></td></tr>
<tr><td>原文链接：</td><td><a href="#">点击查看源文件</a></td><td>政策解读链接：</td><td><a href="#">点击查看政策解读</a></td></tr></table>
<div class="article"><h1 class="title">{esc(title)}</h1>
<div class="info">发布时间：2025-05-21 11:35:44 点击数：<span id="hits">1234</span> 【字体：<a>大</a> <a>中</a> <a>小</a>】</div>
{article}
<div class="share">分享到：<a class="weixin">微信</a><a class="weibo">微博</a><a>QQ空间</a></div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
<div class="related"><h3>相关文章</h3><ul>{related}</ul></div></div></div></div>
<div class="footer"><p>主办单位：遂昌县人民政府办公室</p><p>网站标识码：3311230001 浙ICP备05012345号</p></div>
<script src="/js/share.js"></script></body></html>"""


@pytest.mark.parametrize("layout", ["zoom", "table"])
def test_web_page_reads_like_the_text(tmp_path, processed, layout):
    path = tmp_path / f"{ZHAITAN}.html"
    path.write_bytes(government_page(ZHAITAN, "gb2312", layout).encode("gbk"))
    source = read_report(path)
    assert source.encoding == "gb18030" and source.warnings == []
    assert source.metadata == {
        "title": "斋坛乡2024年工作总结和2025年工作计划",
        "publisher": "斋坛乡人民政府",
        "published": "2025-05-21",
        "index_number": "00266476_7/2025-20117",
    }
    report = process(path)
    assert_reads_like_text(report, processed[ZHAITAN])
    assert (report.document.township, report.document.year) == ("斋坛乡", 2024)
    chrome = [word for word in CHROME if word not in (DATA_DIR / f"{ZHAITAN}.txt").read_text(encoding="utf-8")]
    assert len(chrome) > 10
    assert [(word, p.text) for p in report.passages for word in chrome if word in p.text] == []


@pytest.mark.parametrize(
    ("declared", "encoding", "read_as", "warned"),
    [
        ("utf-8", "gbk", "gb18030", True),  # a GBK page that says UTF-8
        ("gb2312", "utf-8", "utf-8", True),  # a UTF-8 page still carrying its old GB2312 header
        ("iso-8859-1", "gbk", "gb18030", True),
        ("gbk", "gb18030", "gb18030", False),  # GBK/GB2312 are read as their superset GB18030
        (None, "gbk", "gb18030", False),
    ],
)
def test_web_page_charset_that_lies_is_detected(tmp_path, processed, declared, encoding, read_as, warned):
    page = government_page(ZHAITAN, declared or "")
    if declared is None:
        page = page.replace('<meta http-equiv="Content-Type" content="text/html; charset=">', "")
    path = tmp_path / f"{ZHAITAN}.htm"
    path.write_bytes(page.encode(encoding))
    source = read_report(path)
    assert source.encoding == read_as
    assert any(f"网页声明的编码是{declared}, 实际是{read_as}" in w for w in source.warnings) == warned
    assert outline(process(path)) == outline(processed[ZHAITAN])


def test_web_page_title_without_site_name_and_labels_in_text(tmp_path):
    page = """<html><head><meta charset="utf-8"><title>遂昌县人民政府门户网站</title>
    <meta name="PubDate" content="2024-01-05 09:00"><meta name="ContentSource" content="汤垟乡人民政府"></head>
    <body><div class="nav">首页 政务公开</div><h2 class="tit">汤垟乡2023年工作总结</h2>
    <div class="content"><p>2023年汤垟乡全力推进“侨乡南境、美丽花园”建设。</p><p>一、2023年工作总结</p>
    <p>汤垟乡人民政府深入开展信访积案化解，全乡信访总量同比下降。</p></div>
    <div class="footer">版权所有</div></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    source = read_report(path)
    assert source.metadata == {"title": "汤垟乡2023年工作总结", "publisher": "汤垟乡人民政府", "published": "2024-01-05"}
    assert source.text.splitlines() == [
        "汤垟乡2023年工作总结",
        "2023年汤垟乡全力推进“侨乡南境、美丽花园”建设。",
        "一、2023年工作总结",
        "汤垟乡人民政府深入开展信访积案化解，全乡信访总量同比下降。",
    ]


# ------------------------------------------------------------------------------ Word .docx


def _add_numbering(document) -> None:
    """Chinese report numbering as Word defines it: 一、 / (一) / 1. on three levels of one list."""
    numbering = document.part.numbering_part.element
    levels = (("chineseCounting", "%1、"), ("chineseCounting", "(%2)"), ("decimal", "%3."))
    abstract = etree.fromstring(
        f'<w:abstractNum xmlns:w="{W}" w:abstractNumId="90"><w:multiLevelType w:val="multilevel"/>'
        + "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/><w:suff w:val="nothing"/></w:lvl>'
            for i, (fmt, text) in enumerate(levels)
        )
        + "</w:abstractNum>"
    )
    first_num = numbering.find(f"{{{W}}}num")
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(etree.fromstring(f'<w:num xmlns:w="{W}" w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))


def word_document(doc_id: str, path: Path, auto_numbering: bool = False) -> Path:
    """The report as Word writes it: headings in heading styles, a running page header, and
    (``auto_numbering``) markers made by Word's numbering instead of typed."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "汤垟乡人民政府 工作报告"
    document.sections[0].footer.paragraphs[0].text = "第 1 页"
    if auto_numbering:
        _add_numbering(document)
    for line in report_lines(doc_id):
        level = next((lvl for lvl, pattern in MARKERS if pattern.match(line)), None)
        style = {0: "Heading 1", 1: "Heading 2"}.get(level, "Normal") if len(line) < 40 or level == 0 else "Normal"
        text = MARKERS[level][1].sub("", line) if auto_numbering and level is not None else line
        paragraph = document.add_paragraph(text, style=style)
        if auto_numbering and level is not None:
            numpr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            numpr.get_or_add_ilvl().val = level
            numpr.get_or_add_numId().val = 90
    document.save(path)
    return path


def test_word_document_with_heading_styles_reads_like_the_text(tmp_path, processed):
    path = word_document(TANGYANG, tmp_path / f"{TANGYANG}.docx")
    report = process(path)
    assert_reads_like_text(report, processed[TANGYANG])
    assert not any("工作报告" in p.text or "第 1 页" in p.text for p in report.passages)  # page header and footer


def test_word_automatic_numbering_is_rendered_as_printed(tmp_path, processed):
    path = word_document(ZUSHIDIAN, tmp_path / f"{ZUSHIDIAN}.docx", auto_numbering=True)
    source = read_report(path)
    assert source.text.splitlines() == report_lines(ZUSHIDIAN)  # 一、 (一) 1. restarted under each heading
    report = process(path)
    assert_reads_like_text(report, processed[ZUSHIDIAN])
    first_item = next(p for p in report.passages if p.text.startswith("1.加强党的领导"))
    assert first_item.heading_path == ["一、上半年工作开展情况", "(一)大力抓党建、提作风…", "1.加强党的领导,把准发展“方向盘”"]


def test_word_tables_and_number_formats(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("斋坛乡2024年工作总结", style="Title")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["项目", "投资(万元)", "进度"], ["稻+基地", "600", "完工"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    single = document.add_table(rows=1, cols=1)
    single.cell(0, 0).text = "一、2024年工作总结"
    single.cell(0, 0).add_paragraph("全乡信访总量下降。")
    path = tmp_path / "tables.docx"
    document.save(path)
    assert read_report(path).text.splitlines() == [
        "斋坛乡2024年工作总结",
        "项目 投资(万元) 进度",
        "稻+基地 600 完工",
        "一、2024年工作总结",
        "全乡信访总量下降。",
    ]
    assert [chinese_number(n) for n in (1, 10, 11, 20, 21, 100, 101, 110)] == ["一", "十", "十一", "二十", "二十一", "一百", "一百零一", "一百一十"]
    assert [
        format_number(3, f) for f in ("decimal", "decimalEnclosedCircle", "upperRoman", "lowerLetter", "ideographTraditional", "cardinalText")
    ] == [
        "3",
        "③",
        "III",
        "c",
        "丙",
        None,
    ]


# ------------------------------------------------------------------------------ PDF


def printed_pdf(doc_id: str, path: Path, indent: bool = True) -> Path:
    """The report as a word processor prints it: A4, justified lines, first-line indents,
    a running header and page numbers, in the built-in CJK font STSong-Light."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font, size = "STSong-Light", 12
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    width, height = A4
    left, right = 72, width - 72
    pdf = canvas.Canvas(str(path), pagesize=A4)
    page, y = 1, height - 90

    def furniture() -> None:
        pdf.setFont(font, 9)
        pdf.drawCentredString(width / 2, height - 50, "汤垟乡人民政府工作报告")
        pdf.drawCentredString(width / 2, 40, f"- {page} -")

    def wrap(text: str, first: float) -> list[str]:
        rows, current, room = [], "", right - left - first
        for char in text:
            if pdfmetrics.stringWidth(current + char, font, size) > room:
                rows.append(current)
                current, room = char, right - left
            else:
                current += char
        return rows + [current]

    furniture()
    for line in report_lines(doc_id):
        # The font maps the middle dot U+00B7 only through U+30FB (read back as U+00B7).
        line = line.replace("\u00b7", "\u30fb")
        first = 2 * size if indent and not any(p.match(line) for _, p in MARKERS) else 0
        rows = wrap(line, first)
        for index, row in enumerate(rows):
            if y < 80:
                pdf.showPage()
                page, y = page + 1, height - 90
                furniture()
            x = left + (first if index == 0 else 0)
            text = pdf.beginText(x, y)
            text.setFont(font, size)
            if index < len(rows) - 1 and len(row) > 1:  # justified
                text.setCharSpace((right - x - pdfmetrics.stringWidth(row, font, size)) / (len(row) - 1))
            text.textOut(row)
            pdf.drawText(text)
            y -= size * 1.6
    pdf.save()
    return path


def test_pdf_reads_like_the_text_without_headers_and_page_numbers(tmp_path, processed):
    path = printed_pdf(TANGYANG, tmp_path / f"{TANGYANG}.pdf")
    source = read_report(path)
    assert source.text.splitlines() == report_lines(TANGYANG)
    assert "工作报告" not in source.text and "- 2 -" not in source.text
    assert_reads_like_text(process(path), processed[TANGYANG])


def test_pdf_without_indents_breaks_paragraphs_at_sentence_ends_and_short_lines(tmp_path, processed):
    path = printed_pdf(ZUSHIDIAN, tmp_path / f"{ZUSHIDIAN}.pdf", indent=False)
    report = process(path)
    reference = processed[ZUSHIDIAN]
    assert (report.document.township, report.document.year, report.document.period) == ("祖师殿镇", 2023, "上半年")
    assert [p.heading_path for p in report.passages if p.is_heading] == [p.heading_path for p in reference.passages if p.is_heading]
    assert "".join(p.text for p in report.passages) == "".join(p.text for p in reference.passages)


def scanned_pdf(path: Path, pages: int = 2) -> Path:
    from PIL import Image, ImageDraw

    images = []
    for number in range(pages):
        image = Image.new("RGB", (620, 877), "white")
        draw = ImageDraw.Draw(image)
        for row in range(40):
            draw.rectangle((60, 80 + row * 18, 560 - (row * 37) % 90, 90 + row * 18), fill="black")
        draw.text((300, 850), str(number + 1), fill="black")
        images.append(image)
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return path


def test_scanned_pdf_is_reported_not_indexed_empty(tmp_path):
    with pytest.raises(UnreadableReport, match=r"^scanned PDF without a text layer \(2 pages of images\); run OCR"):
        read_report(scanned_pdf(tmp_path / "scan.pdf"))


# ------------------------------------------------------------------------------ legacy Word .doc


def require(finder, package: str) -> None:
    """The converters are part of the test environment (scripts/system-deps.sh): missing is a failure, not a skip."""
    assert finder() is not None, f"{package} is not installed; run scripts/system-deps.sh"


def legacy_word(doc_id: str, tmp_path: Path) -> Path:
    """A Word 97 .doc, converted by LibreOffice from a .docx with Word's automatic numbering."""
    (tmp_path / "make").mkdir(parents=True)
    source = word_document(doc_id, tmp_path / "make" / f"{doc_id}.docx", auto_numbering=True)
    result = subprocess.run(
        [
            doc_reader.find_soffice(),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "doc:MS Word 97",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=300,
    )
    path = tmp_path / f"{doc_id}.doc"
    assert path.is_file(), result.stderr
    return path


def test_legacy_word_through_libreoffice_keeps_numbering(tmp_path, processed):
    require(doc_reader.find_soffice, "libreoffice-writer-nogui")
    path = legacy_word(ZUSHIDIAN, tmp_path)
    source = read_report(path)
    assert source.encoding == "doc (converted by LibreOffice)"
    assert source.text.splitlines() == report_lines(ZUSHIDIAN)
    assert_reads_like_text(process(path), processed[ZUSHIDIAN])


def test_legacy_word_through_antiword_when_libreoffice_is_missing(tmp_path, processed, monkeypatch):
    require(doc_reader.find_soffice, "libreoffice-writer-nogui")
    require(doc_reader.find_antiword, "antiword")
    path = legacy_word(ZUSHIDIAN, tmp_path)
    monkeypatch.setattr(doc_reader, "find_soffice", lambda: None)
    source = read_report(path)
    assert source.encoding == "doc (converted by antiword)"
    assert any("自动编号" in w for w in source.warnings)
    unnumbered = [
        MARKERS[level][1].sub("", line) if level is not None else line
        for line in report_lines(ZUSHIDIAN)
        for level in [next((lvl for lvl, p in MARKERS if p.match(line)), None)]
    ]
    assert source.text.splitlines() == unnumbered
    report = process(path)
    assert (report.document.township, report.document.county, report.document.year) == ("祖师殿镇", "溆浦县", 2023)


def test_legacy_word_without_a_converter_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(doc_reader, "find_soffice", lambda: None)
    monkeypatch.setattr(doc_reader, "find_antiword", lambda: None)
    path = tmp_path / "report.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "WordDocument".encode("utf-16-le") + bytes(500))
    with pytest.raises(UnreadableReport, match="needs a converter and none is installed: install LibreOffice .*libreoffice-writer-nogui.* antiword"):
        read_report(path)


def test_a_word_name_holding_another_format_is_read_by_that_formats_reader(tmp_path):
    made = tmp_path / "made"
    made.mkdir()
    originals = {
        "docx": word_document(TANGYANG, made / "report.docx"),
        "html": made / "report.html",
        "pdf": printed_pdf(GUIZHUMAO, made / "report.pdf"),
    }
    originals["html"].write_bytes(government_page(ZHAITAN).encode("gbk"))
    renamed = [("docx", ".doc"), ("html", ".doc"), ("pdf", ".doc"), ("html", ".docx"), ("pdf", ".docx")]
    if doc_reader.find_soffice():
        originals["doc"] = legacy_word(ZUSHIDIAN, tmp_path / "legacy")
        renamed.append(("doc", ".docx"))
    for real, name in renamed:
        path = shutil.copy(originals[real], tmp_path / f"{real}-under-a-word-name{name}")
        assert read_report(path).text == read_report(originals[real]).text, (real, name)


# ------------------------------------------------------------------------------ a folder of every kind


def test_every_format_indexes_and_searches_like_the_text(tmp_path, service, processed):
    data = tmp_path / "downloads"
    data.mkdir()
    (data / f"{ZHAITAN}.html").write_bytes(government_page(ZHAITAN).encode("gbk"))
    word_document(TANGYANG, data / f"{TANGYANG}.docx")
    printed_pdf(GUIZHUMAO, data / f"{GUIZHUMAO}.pdf")
    if doc_reader.find_soffice():
        shutil.copy(legacy_word(ZUSHIDIAN, tmp_path / "doc"), data / f"{ZUSHIDIAN}.doc")
    else:
        word_document(ZUSHIDIAN, data / f"{ZUSHIDIAN}.docx", auto_numbering=True)
    report = build(data, tmp_path / "index", procs=1)
    assert report.skipped == []
    by_id = {d.doc_id: d for d in report.documents}
    for doc_id in (ZHAITAN, TANGYANG, GUIZHUMAO, ZUSHIDIAN):
        reference = processed[doc_id].document
        assert (by_id[doc_id].township, by_id[doc_id].year, by_id[doc_id].passages) == (reference.township, reference.year, reference.passages)
    formats = search_service(tmp_path / "index")

    def hits(search_service, query):
        found = search_service.search(SearchRequest(q=query, size=100))
        return sorted((h.doc_id, h.text, h.section) for h in found.hits if h.doc_id in by_id)

    for query in ("百香果", "信访", "稻+", "光伏"):
        assert hits(formats, query) and hits(formats, query) == hits(service, query), query


def test_damaged_files_are_skipped_with_a_reason_and_the_rest_index(tmp_path):
    data = tmp_path / "downloads"
    data.mkdir()
    word_document(TANGYANG, data / "good.docx")
    (data / "good.html").write_bytes(government_page(ZHAITAN).encode("gbk"))
    good_pdf = printed_pdf(GUIZHUMAO, tmp_path / "good.pdf").read_bytes()
    noise = random.Random(8).randbytes(4000)  # each file a different slice: identical files are skipped as duplicates
    (data / "noise.docx").write_bytes(noise[1:])
    (data / "half.docx").write_bytes((data / "good.docx").read_bytes()[:3000])
    (data / "not-word.docx").write_bytes(_zip({"hello.txt": "hi"}))
    (data / "noise.pdf").write_bytes(noise[2:])
    (data / "garbage.pdf").write_bytes(b"%PDF-1.4\n" + noise[3:])
    (data / "scan.pdf").write_bytes(scanned_pdf(tmp_path / "scan.pdf").read_bytes())
    (data / "locked.pdf").write_bytes(_encrypted_pdf(tmp_path / "locked.pdf"))
    (data / "half.pdf").write_bytes(good_pdf[: len(good_pdf) // 3])
    (data / "empty.html").write_bytes(b"")
    (data / "noise.html").write_bytes(b"\x00" + noise[4:])
    (data / "nothing.htm").write_bytes(b"<html><body><script>var a=1;</script></body></html>")
    (data / "noise.doc").write_bytes(noise[5:])
    (data / "excel.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000) + "Workbook".encode("utf-16-le"))
    report = build(data, tmp_path / "index", procs=1)
    skipped = dict(report.skipped)
    indexed = {d.source for d in report.documents}
    assert {"good.docx", "good.html"} <= indexed
    expected = {
        "noise.docx": "not a Word .docx file",
        "half.docx": "damaged Word .docx file",
        "not-word.docx": "without word/document.xml",
        "noise.pdf": "not a PDF file",
        "garbage.pdf": "PDF",
        "scan.pdf": "scanned PDF without a text layer",
        "locked.pdf": "encrypted PDF",
        "empty.html": "empty file",
        "noise.html": "binary file",
        "nothing.htm": "HTML page without any text",
        "noise.doc": "not a Word document",
        "excel.doc": "not a Word document",
    }
    for name, reason in expected.items():
        assert reason in skipped.get(name, ""), (name, skipped.get(name))
    # a truncated PDF keeps what its surviving pages hold, or is skipped with a reason: never a crash
    assert "half.pdf" in indexed or "PDF" in skipped["half.pdf"]
    assert not any("could not be processed" in reason for reason in skipped.values())


def _zip(files: dict[str, str]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _encrypted_pdf(path: Path) -> bytes:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), encrypt="secret")
    pdf.drawString(72, 720, "locked")
    pdf.save()
    return path.read_bytes()
