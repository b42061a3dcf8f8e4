"""Reading and cleaning: encodings, bad files, pinyin, web-page leftovers, stray symbols."""

from __future__ import annotations

import codecs

import pytest

from indexer.clean import clean, remove_pinyin
from indexer.normalize import normalize
from indexer.read import UnreadableReport, decode, discover
from tests.conftest import DATA_DIR, GUIZHUMAO, ZHAITAN, ZUSHIDIAN

REPORT = (DATA_DIR / f"{GUIZHUMAO}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "encoded, encoding",
    [
        (REPORT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + REPORT.encode("utf-8"), "utf-8-sig"),
        (REPORT.encode("gb18030"), "gb18030"),
        (REPORT.encode("utf-16"), "utf-16"),  # with BOM
        (REPORT.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        (REPORT.replace("\n", "\r").encode("gb18030"), "gb18030"),
    ],
)
def test_every_encoding_decodes_to_the_same_lines(encoded, encoding):
    text, used, warnings = decode(encoded)
    assert used == encoding
    assert warnings == []
    assert clean(text).lines == clean(REPORT).lines


def test_gbk_subset_is_read_as_gb18030():
    simplified = (DATA_DIR / f"{ZUSHIDIAN}.txt").read_text(encoding="utf-8").replace("⠂", "")
    text, used, _ = decode(simplified.encode("gbk"))
    assert used == "gb18030" and text == simplified


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"  \n\r\n \t", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
        (b"\xff\xfe\xfa\x01" * 3 + b"\x81", "utf-16"),
        (bytes([0xB0, 0xA1, 0xFF, 0xFE, 0x80, 0x80, 0xE4]) * 50, "undecodable"),
    ],
)
def test_unreadable_files_name_the_reason(data, reason):
    with pytest.raises(UnreadableReport, match=reason):
        decode(data)


def test_truncated_multibyte_tail_is_dropped_with_a_warning():
    data = REPORT.encode("utf-8")[:-1]  # cut inside the last character
    text, used, warnings = decode(data)
    assert used == "utf-8"
    assert REPORT.rstrip().startswith(text.rstrip()[:-1])
    assert warnings and "不完整" in warnings[0]


def test_pinyin_glued_into_words_is_removed_everywhere():
    lines = clean(REPORT).lines
    joined = "\n".join(lines)
    assert "(zhèn)" not in joined and "(guī)" not in joined
    assert "規劃" in joined and "桂竹帽鎮黨委政府" in joined  # traditional script kept
    assert remove_pinyin("鎮(zhèn)（zhèn）村(社区)项目(EOD)") == "鎮村(社区)项目(EOD)"


def test_web_page_leftovers_are_not_text_but_metadata_is_kept():
    cleaned = clean((DATA_DIR / f"{ZHAITAN}.txt").read_text(encoding="utf-8"))
    joined = "\n".join(cleaned.lines)
    for leftover in ("索引号", "原文链接", "政策解读链接", "点击数", "附件:"):
        assert leftover not in joined
    assert cleaned.metadata == {"publisher": "斋坛乡人民政府", "published": "2025-05-21", "index_number": "00266476_7/2025-20117"}


def test_stray_symbols_dropped_and_fullwidth_folded_for_matching():
    cleaned = clean((DATA_DIR / f"{ZUSHIDIAN}.txt").read_text(encoding="utf-8"))
    assert "⠂" not in "".join(cleaned.lines)
    assert normalize("ＥＯＤ：１８９万（一）") == "eod:189万(一)"
    assert normalize("產業鎮鄉村振興") == "产业镇乡村振兴"


def test_normalization_is_character_for_character():
    assert len(normalize(REPORT)) == len(REPORT)
    for start in range(0, len(REPORT) - 10, 97):
        assert normalize(REPORT[start : start + 10]) == normalize(REPORT)[start : start + 10]


def test_discovery_reports_duplicates_symlinks_and_unsupported(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text(REPORT, encoding="utf-8")
    (data / "copy.txt").write_text(REPORT, encoding="utf-8")
    (data / "notes.xyz").write_text("x", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("外部文件", encoding="utf-8")
    (data / "link.txt").symlink_to(outside)
    (data / "inner-link.txt").symlink_to(data / "a.txt")
    (data / "metadata.toml").write_text("", encoding="utf-8")
    found, skipped = discover(data)
    reasons = dict(skipped)
    assert [f.relative for f in found] == ["a.txt"]
    assert "duplicate of a.txt" in reasons["copy.txt"]
    assert "outside the data folder" in reasons["link.txt"]
    assert "duplicate" in reasons["inner-link.txt"]
    assert "unsupported" in reasons["notes.xyz"]
    assert "metadata.toml" not in reasons


# ---------------------------------------------------------------------------- issue 11: chrome, hard wraps, HTML in .txt

from indexer.clean import rejoin, wrap_style  # noqa: E402
from indexer.read import holds_html, read_text  # noqa: E402


def test_chrome_is_dropped_wherever_it_stands():
    text = "\n".join(
        [
            "首页 > 政务公开 > 工作总结",
            "白沙镇2023年工作总结",
            "发布时间：2024-01-05 浏览次数：88 字体大小：大 中 小",
            "一、2023年工作总结",
            "全镇完成项目12个。",
            "扫一扫在手机阅读",
            "下面是小编为大家整理的工作总结，供大家参考。",
            "二、2024年工作计划",
            "继续推进项目建设。",
            "- 25.50 KB",
            "上一篇：白沙镇召开安全生产会议",
        ]
    )
    lines = clean(text).lines
    assert lines == ["白沙镇2023年工作总结", "一、2023年工作总结", "全镇完成项目12个。", "二、2024年工作计划", "继续推进项目建设。"]


def test_report_sentences_that_look_like_chrome_stay():
    text = "全年共接待来访群众120人次，处理群众举报线索8条，阅读推广活动覆盖全镇。\n当前，全镇共有网格员86名。"
    assert clean(text).lines == text.split("\n")


FRAGMENTS = [
    "湖滨",
    "镇",
    "2023",
    "年政府工作报告",
    "各位代表:",
    "现在,我代表",
    "湖滨",
    "镇人民政府向大会报告工作,请",
    "予审",
    "议。",
    "一、2023年工作回顾",
    "今年以来,",
    "全镇",
    "完成投资",
    "3.8",
    "亿",
    "元,增长",
    "5%",
    "。",
    "(一)经济运行稳中有升",
    "1.",
    "特色农业提",
    "质扩量",
    "。",
    "围绕蓝",
    "莓",
    "产业,种植面积达",
    "1860",
    "亩。",
]


def test_fragmented_text_is_rejoined_but_headings_stay_lines():
    assert wrap_style(FRAGMENTS)[0] == "fragments"
    lines, note = rejoin(FRAGMENTS)
    assert note and "重新拼接" in note
    assert "湖滨镇2023年政府工作报告" in lines
    assert "现在,我代表湖滨镇人民政府向大会报告工作,请予审议。" in lines
    assert "一、2023年工作回顾" in lines and "(一)经济运行稳中有升" in lines
    assert "1.特色农业提质扩量。" in lines
    assert "围绕蓝莓产业,种植面积达1860亩。" in lines


def test_fixed_width_text_is_rejoined_and_short_lines_kept():
    wrapped = [
        "大单镇2025年工作总结",
        "2025年，大单镇在县委、县政府的坚强领导下，紧扣全",
        "镇重点任务，统筹推进经济发展、乡村振兴、社会治理",
        "等各项工作，全镇经济社会保持平稳健康发展。",
        "一、经济发展稳中有进",
        "全年完成地区生产总值21.4亿元，同比增长5.6%；规上",
        "工业企业发展到23家，新增高新技术企业3家，围绕管",
        "道装备产业引进配套项目4个，总投资6.2亿元。",
        "二、乡村振兴扎实推进",
        "新建高标准农田8000亩，建成小麦良种繁育基地1个，",
        "培育家庭农场15家，全镇42个村集体经济收入全部达",
        "到10万元以上。",
        "大单镇人民政府",
    ]
    style, width = wrap_style(wrapped)
    assert style == "width" and width >= 40
    lines, _ = rejoin(wrapped)
    assert lines[0] == "大单镇2025年工作总结" and lines[-1] == "大单镇人民政府"
    assert "一、经济发展稳中有进" in lines and "二、乡村振兴扎实推进" in lines
    assert any("紧扣全镇重点任务" in line and "平稳健康发展。" in line for line in lines)
    assert any("规上工业企业" in line and "围绕管道装备" in line for line in lines)


def test_text_with_a_paragraph_a_line_is_left_alone():
    for doc in (GUIZHUMAO, ZHAITAN, ZUSHIDIAN):
        text = (DATA_DIR / f"{doc}.txt").read_text(encoding="utf-8")
        assert wrap_style(text.split("\n")) == (None, 0)


def test_a_txt_holding_html_is_read_as_a_web_page(tmp_path):
    page = (
        "<div><p><span style='font-size:16px'>白沙镇2023年工作总结</span></p>"
        + "".join(f"<p><span>第{i}段，全镇完成项目{i}个。</span></p>" for i in range(1, 8))
        + "</div>"
    )
    path = tmp_path / "saved.txt"
    path.write_text(page, encoding="utf-8")
    assert holds_html(page)
    source = read_text(path)
    assert "span" not in source.text and "<p" not in source.text
    assert "白沙镇2023年工作总结" in source.text and any("HTML" in w for w in source.warnings)
    assert not holds_html("全镇投入资金3<5万元的项目有2个，>10万元的有1个。")


def test_document_site_chunks_are_joined_where_they_cut_a_word():
    from indexer.clean import join_chunks

    body = "二、嘎查村集体经济不断壮大 积极推进嘎查集体经济“清零消薄”行动，全镇18个嘎查村集体经济收入全部达到10万元以上。" * 2
    lines = [
        "资源描述",
        "1、宝日勿苏镇2021年工作总结 2021年，宝日勿苏镇各项事业取得新成效。 一、农牧业提质增效 " + body + "嘎查集",
        "2、体经济持续壮大，" + body + "六、20",
        "3、22年工作打算 一是稳定粮食生产。",
    ]
    joined = join_chunks(lines)
    assert joined[0] == "资源描述" and not any(line.startswith(("1、", "2、", "3、")) for line in joined)
    text = "\n".join(joined)
    assert "嘎查集体经济持续壮大" in text and "六、2022年工作打算" in text
    assert "一、农牧业提质增效" in joined[1:] or any(line.startswith("一、农牧业提质增效") for line in joined)
    # a numbered list whose long items end their sentences is a list
    items = ["1、" + "全镇新建高标准农田8000亩，发展设施蔬菜1200亩，带动农户增收。" * 4, "2、" + "完成农村公路提档升级12公里，新建公厕6座。" * 5]
    assert join_chunks(items) == items


def test_chrome_of_document_sites_and_portals_is_dropped():
    page = "\n".join(
        [
            "上传人：阿**    文档编号：301452276    上传时间：2022-03-08    格式：DOCX    页数：9",
            "返回 下载 相关 举报",
            "第1页 / 共9页",
            "点击查看更多>>",
            "  • 0",
            "  • 2025-01-20 发布于四川",
            "原创力文档",
            "版权声明",
            "作者原创，不允许二次传播，一经发现收回",
            "---此处隐藏0字，下载后查看---",
            "时间： 03-02 作者：李晓 栏目：工作计划",
            "索 引 号： | 11511825MB0000000X/2022-00012 | 主 题 词： | 政务公开 |",
            "文 号： | | 发布机构： | 天全县城厢镇 | 发布日期： | 2022-03-04 | |",
            "— 1 —",
            "全镇完成项目12个。",
        ]
    )
    cleaned = clean(page)
    assert cleaned.lines == ["全镇完成项目12个。"]
    assert cleaned.metadata["publisher"] == "天全县城厢镇" and cleaned.metadata["published"] == "2022-03-04"
    inline = clean(
        "各位领导：2019年全乡完成项目。 ……(某某网http://www.example.cn省略1086字，正式会员可完整阅读)…… 收藏湖上乡2019年工作总结) 上一篇：县委讲话 下一篇：社会事务办工作总结 相关栏目：工作总结 |"
    )
    assert inline.lines == ["各位领导：2019年全乡完成项目。"]
    assert clean("严防疫情二次传播，全镇开展消杀作业120次。").lines == ["严防疫情二次传播，全镇开展消杀作业120次。"]


def test_lines_of_sharing_sites_go_and_report_lines_like_them_stay():
    page = "\n".join(
        [
            "镇2024年工作总结.docx",
            "约3.1千字 | 约 5页 | 2024-12-30 发布于湖北 | 举报",
            "文档格式：.docx   文档页数：5页   下载积分：3",
            "白沙镇2024年工作总结",
            "公文宝·写材料不再难一、2024年主要工作",
            "全年新建高标准农田3200亩，完成村级道路硬化18公里，新增就业岗位460个，群众满意度稳步提升。",
            "主要指标 | 完成值 | 增幅",
            "粮食总产量 | 2.6万吨 | 3.1%",
            "剩余3页未读，继续阅读",
            "相关推荐：",
            "乡镇2024年工作总结范文（通用10篇）",
            "镇长述职报告",
            "热门标签：工作总结 乡镇",
        ]
    )
    assert clean(page).lines == [
        "白沙镇2024年工作总结",
        "一、2024年主要工作",
        "全年新建高标准农田3200亩，完成村级道路硬化18公里，新增就业岗位460个，群众满意度稳步提升。",
        "主要指标 | 完成值 | 增幅",
        "粮食总产量 | 2.6万吨 | 3.1%",
    ]
    # A list heading before the report says nothing of the lines after it (the title stays);
    # a brand needs a word of a site: a heading after a slogan of the report's own is text.
    top = clean("相关推荐\n白沙镇2024年工作总结\n一、党建引领·凝心聚力\n党建引领·服务平台全覆盖，全镇建成党群服务中心12个。")
    assert top.lines == ["白沙镇2024年工作总结", "一、党建引领·凝心聚力", "党建引领·服务平台全覆盖，全镇建成党群服务中心12个。"]
