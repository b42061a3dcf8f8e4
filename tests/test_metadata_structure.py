"""Metadata, structure, sections and themes of the real bundled reports."""

from __future__ import annotations

import re

import pytest

from indexer import domain, gazetteer, metadata
from indexer.contract import CORRECTED, GAZETTEER_UNIQUE, TOWNSHIP_UNKNOWN
from indexer.pipeline import process_text
from indexer.read import SourceText
from indexer.structure import MAX_PASSAGE_CHARS, SECTIONS
from tests.conftest import DATA_DIR, GUIZHUMAO, TANGYANG, TEMPLATE, ZHAITAN, ZUSHIDIAN


# 汤垟乡 and 斋坛乡 name no county: the official list has one township of each name, so the
# county comes from the gazetteer (and the evidence says so). 桂竹帽镇's text also names
# 深圳市龙岗区 (a partner district): the gazetteer's 寻乌县 wins.
@pytest.mark.parametrize(
    "doc_id, township, county, city, province, year, inferred, kind, period",
    [
        (TANGYANG, "汤垟乡", "青田县", "丽水市", "浙江省", 2023, False, "总结与计划", "年度"),
        (ZUSHIDIAN, "祖师殿镇", "溆浦县", "怀化市", "湖南省", 2023, False, "总结与计划", "上半年"),
        (ZHAITAN, "斋坛乡", "松阳县", "丽水市", "浙江省", 2024, False, "总结与计划", "年度"),
        (GUIZHUMAO, "桂竹帽镇", "寻乌县", "赣州市", "江西省", 2023, False, "总结与计划", "年度"),
        (TEMPLATE, None, None, None, None, 2020, True, "总结与计划", "年度"),
    ],
)
def test_document_metadata_from_the_text(processed, doc_id, township, county, city, province, year, inferred, kind, period):
    document = processed[doc_id].document
    assert (document.township, document.county, document.city, document.province) == (township, county, city, province)
    assert (document.year, document.year_inferred, document.kind, document.period) == (year, inferred, kind, period)
    for passage in processed[doc_id].passages:
        assert (passage.township, passage.county, passage.year) == (township, county, year)
        assert (passage.city, passage.province, passage.kind, passage.period) == (city, province, kind, period)
    if township:
        assert document.division_code and len(document.division_code) == 9
        assert set(document.evidence) >= {"township", "county", "year", "kind", "period"}


def test_evidence_says_how_each_field_was_found(processed):
    assert GAZETTEER_UNIQUE in processed[TANGYANG].document.evidence["county"]
    assert "溆浦县祖师殿镇" in processed[ZUSHIDIAN].document.evidence["county"]
    assert "标题" in processed[ZHAITAN].document.evidence["township"]
    assert "十三五" in processed[TEMPLATE].document.evidence["year"]


def test_evidence_and_warnings_are_written_in_chinese(processed):
    # The curation view shows them to people using a Chinese interface (issue 19): no English
    # sentence, only names, numbers and quoted text.
    for report in processed.values():
        for shown in list(report.document.evidence.values()) + report.document.warnings:
            assert not re.search(r"[A-Za-z]{3,}", shown), shown


def test_script_is_detected(processed):
    assert processed[GUIZHUMAO].document.script == "zh-Hant"
    assert {processed[d].document.script for d in (TANGYANG, ZUSHIDIAN, ZHAITAN, TEMPLATE)} == {"zh-Hans"}


@pytest.mark.parametrize(
    "doc_id, fragment, about_year",
    [
        (ZHAITAN, "以更快步伐实施经济动能提升工程", 2025),  # the 2025 plan inside a 2024 summary
        (ZHAITAN, "仅用2周时间完成花田坌村", 2024),
        (TANGYANG, "掀起大干项目新热潮", 2024),
        (ZUSHIDIAN, "坚持民生优先", 2023),  # the second half of the same year
        (TEMPLATE, "今后五年的发展指导思想", 2021),
    ],
)
def test_passages_carry_the_year_their_section_is_about(processed, doc_id, fragment, about_year):
    assert _passage(processed, doc_id, fragment).about_year == about_year


def test_publisher_and_date_when_stated(processed):
    assert (processed[ZHAITAN].document.publisher, processed[ZHAITAN].document.published) == ("斋坛乡人民政府", "2025-05-21")
    assert processed[ZHAITAN].document.title == "斋坛乡2024年工作总结和2025年工作计划"
    assert processed[ZUSHIDIAN].document.publisher == "溆浦县祖师殿镇人民政府"  # signed at the end
    assert processed[TANGYANG].document.publisher is None


def test_the_template_never_yields_a_fake_township_or_year(processed):
    report = processed[TEMPLATE]
    assert report.document.township is None
    assert any(w.startswith(TOWNSHIP_UNKNOWN) for w in report.document.warnings)
    text = "\n".join(p.text for p in report.passages)
    rules = domain.load_rules()
    assert metadata.township_candidates(text, rules) == {}


def test_metadata_does_not_come_from_file_names(processed):
    """The same text under another name gives the same metadata."""
    source = SourceText((DATA_DIR / f"{GUIZHUMAO}.txt").read_text(encoding="utf-8"), "utf-8")
    renamed = process_text(source, "祖师殿镇_2019", "祖师殿镇_2019.txt")
    assert (renamed.document.township, renamed.document.year) == ("桂竹帽镇", 2023)


def test_metadata_overrides_win_and_are_reported():
    source = SourceText((DATA_DIR / f"{TEMPLATE}.txt").read_text(encoding="utf-8"), "utf-8")
    corrected = process_text(
        source,
        "t",
        overrides={
            "township": "大均乡",
            "year": 2021,
            "county": "景宁畲族自治县",
            "city": "丽水市",
            "kind": "工作总结",
            "period": "下半年",
            "script": "zh-Hant",
        },
    )
    document = corrected.document
    assert (document.township, document.year, document.year_inferred, document.county) == ("大均乡", 2021, False, "景宁畲族自治县")
    assert (document.city, document.kind, document.period, document.script) == ("丽水市", "工作总结", "下半年", "zh-Hant")
    assert any("township" in c and "大均乡" in c for c in document.corrections)
    assert document.evidence["township"] == CORRECTED
    assert all(p.kind == "工作总结" and p.period == "下半年" for p in corrected.passages)
    wrong = process_text(source, "t", overrides={"kind": "年度"}).document
    assert wrong.kind == "总结与计划" and any("忽略类型" in c for c in wrong.corrections)
    assert all(p.township == "大均乡" and p.year == 2021 for p in corrected.passages)


def _passage(processed, doc_id, fragment):
    matches = [p for p in processed[doc_id].passages if fragment in p.text]
    assert matches, fragment
    return matches[0]


@pytest.mark.parametrize(
    "doc_id, fragment, section",
    [
        (TANGYANG, "党员教育管理不够有力", "问题"),
        (TANGYANG, "2023年汤垟乡以习近平", "其他"),  # preamble
        (TANGYANG, "集体经济量质齐飞", "总结"),
        (TANGYANG, "掀起大干项目新热潮", "计划"),
        (ZUSHIDIAN, "这半年,我们着力加强自身建设", "总结"),  # 主要成效及亮点
        (ZUSHIDIAN, "村级工作力量相对薄弱", "问题"),
        (ZUSHIDIAN, "坚持民生优先", "计划"),
        (ZUSHIDIAN, "溆浦县祖师殿镇人民政府", "其他"),  # signature
        (ZHAITAN, "在肯定成绩的同时更要正视不足", "问题"),  # a problem paragraph without a heading
        (ZHAITAN, "表示衷心的感谢", "其他"),  # closing words
        (ZHAITAN, "以更快步伐实施经济动能提升工程", "计划"),
        (GUIZHUMAO, "出臺百香果納入產業保險政策", "建议"),
        (GUIZHUMAO, "基層黨建水平還有待提升", "问题"),
        (GUIZHUMAO, "瞄準百香果龍頭產業擺位", "计划"),
        (TEMPLATE, "“十三五”规划的收官之年", "总结"),
        (TEMPLATE, "今后五年的发展指导思想", "计划"),
    ],
)
def test_sections_of_known_passages(processed, doc_id, fragment, section):
    assert _passage(processed, doc_id, fragment).section == section


def test_section_values_are_exactly_the_five(passages):
    assert {p.section for p in passages} == set(SECTIONS)


@pytest.mark.parametrize(
    "doc_id, fragment, heading",
    [
        (TANGYANG, "集体经济量质齐飞", "一、2023年工作总结 › (二)砥砺奋进抓项目、促共富…"),
        (TANGYANG, "党建责任压力传导力度强度不够", "二、存在突出问题 › (一)党员教育管理不够有力"),
        (ZUSHIDIAN, "组织全体干部职工、驻村工作队长", "一、上半年工作开展情况 › (一)大力抓党建、提作风… › 2.坚持理论引领,筑牢思想“主心骨”"),
        (ZHAITAN, "仅用2周时间完成花田坌村", "2024年工作总结 › (一)一年来… › 一是项目建设蹄疾步稳"),
        (ZHAITAN, "2025年是“十四五”规划的收官之年", "2025年工作计划"),
        (GUIZHUMAO, "召開黨委理論學習中心組11次", "一、2023年工作總結 › (一)聚焦全面從嚴治黨,黨的建設持續增強 › 一是強化思想政治建設"),
    ],
)
def test_heading_paths(processed, doc_id, fragment, heading):
    assert _passage(processed, doc_id, fragment).heading == heading


def test_headings_are_passages_too(processed):
    headings = [p for p in processed[ZHAITAN].passages if p.is_heading]
    assert [(p.level, p.text) for p in headings[:3]] == [
        (0, "斋坛乡2024年工作总结和2025年工作计划"),
        (1, "2024年工作总结"),
        (2, "(一)一年来,我们聚力抓项目、育产业、提质量,发展实力持续增强。"),
    ]
    assert any(p.level == 1 and p.text == "2025年工作计划" for p in headings)


def test_long_paragraphs_split_at_sentence_ends(passages):
    long_pieces = [p for p in passages if len(p.text) > MAX_PASSAGE_CHARS]
    assert long_pieces == []
    split = {}
    for p in passages:
        split.setdefault((p.doc_id, p.paragraph), []).append(p)
    multi = [group for group in split.values() if len(group) > 1]
    assert multi, "the reports have paragraphs over 400 characters"
    for group in multi:
        for piece in group[:-1]:
            assert piece.text[-1] in "。；;！!？?”", piece.text[-20:]


def test_passage_ids_are_stable_and_ordered(processed):
    for doc_id, report in processed.items():
        ids = [p.passage_id for p in report.passages]
        assert ids == [f"{doc_id}-{i:04d}" for i in range(len(ids))]
    source = SourceText((DATA_DIR / f"{TANGYANG}.txt").read_text(encoding="utf-8"), "utf-8")
    again = process_text(source, TANGYANG)
    assert [(p.passage_id, p.text) for p in again.passages] == [(p.passage_id, p.text) for p in processed[TANGYANG].passages]


def test_text_is_shown_as_written_without_pinyin(processed):
    texts = [p.text for p in processed[GUIZHUMAO].passages]
    assert any("鎮" in t for t in texts)
    assert not any("(zh" in t or "è" in t for t in texts)


@pytest.mark.parametrize(
    "doc_id, fragment, theme",
    [
        (GUIZHUMAO, "牢牢抓住百香果這一龍頭產業", "产业发展"),
        (ZHAITAN, "深化信访源头治理", "社会治理"),
        (TANGYANG, "新申请低保5户6人", "民生保障"),
        (TANGYANG, "完成全乡156名党员档案清查", "党的建设"),
        (ZUSHIDIAN, "全面落实安全生产责任制", "安全生产"),
        (ZHAITAN, "引进高校毕业生48人", "人才招商"),
        (TANGYANG, "拆除违法建筑1095平方米", "生态环境"),
    ],
)
def test_themes_of_known_passages(processed, doc_id, fragment, theme):
    passage = _passage(processed, doc_id, fragment)
    assert theme in passage.themes
    assert 1 <= len(passage.themes) <= 3


def test_theme_names_are_the_taxonomy(passages):
    names = set(domain.load_themes().names)
    assert names == {
        "党的建设",
        "产业发展",
        "项目建设",
        "乡村振兴",
        "生态环境",
        "民生保障",
        "社会治理",
        "安全生产",
        "文化旅游",
        "人才招商",
        "政府建设",
    }
    used = {t for p in passages for t in p.themes}
    assert used <= names and len(used) == len(names)


def _extract(text: str):
    return process_text(SourceText(text, "utf-8"), "t").document


def test_a_township_always_named_after_its_county_stays_a_township():
    report = _extract(
        "一、2023年工作总结\n遂昌县杜丽镇全面推进乡村振兴，全镇完成项目12个。\n"
        "遂昌县杜丽镇党委扎实开展主题教育。\n二、2024年工作计划\n全镇继续推进项目建设。\n遂昌县杜丽镇人民政府"
    )
    assert (report.township, report.county, report.year) == ("杜丽镇", "遂昌县", 2023)


@pytest.mark.parametrize(
    "heading, year",
    [("一、2025年主要工作总结", 2025), ("一、2024年上半年工作回顾", 2024), ("一、2022年度重点工作开展情况", 2022)],
)
def test_review_year_with_words_between(heading, year):
    report = _extract(f"{heading}\n全镇各项工作稳步推进。\n二、{year + 1}年工作计划\n继续推进。")
    assert report.year == year and not report.year_inferred


# ---------------------------------------------------------------------------- issue 11: real reports


@pytest.mark.parametrize(
    "text, township, county",
    [
        # a name mentioned once, in the title only
        ("孝桥镇2023年工作总结\n一、工作开展情况\n全镇完成项目12个。", "孝桥镇", "临川区"),
        # names whose stem is a common word, found by their cues
        ("一、2022年工作总结\n全镇完成项目。\n太平镇人民政府", "太平镇", None),
        ("中共通江县胜利乡委员会\n一、2022年工作总结\n全乡完成项目。", "胜利乡", "通江县"),
        # names containing 乡 or 镇
        ("东乡镇2022年工作总结\n一、工作开展情况\n全镇完成项目。", "东乡镇", "武宣县"),
        ("新镇乡2024年工作总结\n一、工作开展情况\n全乡完成项目。", "新镇乡", "友谊县"),
        # an ambiguous name narrowed by the city the text names
        ("百色市太平镇2022年工作总结\n一、工作开展情况\n全镇完成项目。", "太平镇", "平果市"),
        # 我代表…人民政府 is the only cue
        ("各位代表：\n现在，我代表大金店镇人民政府向大会报告工作，请予审议。\n一、2022年工作回顾\n全镇完成项目。", "大金店镇", "登封市"),
        # an older name the official list lacks: from the text, with its county
        ("大方县石桥铺乡2014年工作总结\n一、工作开展情况\n全乡完成项目。\n大方县石桥铺乡人民政府", "石桥铺乡", "大方县"),
    ],
)
def test_township_and_county_from_cues(text, township, county):
    report = _extract(text)
    assert (report.township, report.county) == (township, county)


def test_an_ambiguous_township_leaves_the_county_empty_and_says_why():
    report = _extract("太平镇2022年工作总结\n一、工作开展情况\n全镇完成项目。")
    assert report.township == "太平镇" and report.county is None and report.division_code is None
    assert "官方区划名录有50个太平镇" in report.evidence["county"]


@pytest.mark.parametrize("slogan", ["产业兴镇", "生态立乡", "文旅富镇", "工业强镇", "实干兴乡"])
def test_slogans_are_never_names(slogan):
    text = f"一、2023年工作总结\n全镇坚持“{slogan}”，{slogan}成效明显。\n坚持{slogan}，{slogan}战略深入人心。\n全镇完成项目12个。"
    assert _extract(text).township is None
    assert metadata.is_slogan(slogan, domain.load_rules())


def test_compilations_decide_no_township():
    toc = "乡镇工作总结汇编\n1.孝桥镇2023年工作总结\n2.球溪镇2023年工作总结\n3.湖滨镇2023年工作总结\n孝桥镇2023年工作总结\n全镇完成项目。\n孝桥镇人民政府"
    report = _extract(toc)
    assert report.township is None and "汇编" in report.evidence["township"]
    pieces = "乡镇工作总结 篇1\n十屋镇党委、政府带领全镇。\n乡镇工作总结 篇2\n锁簧镇人民政府完成任务。\n锁簧镇党委全镇上下。"
    assert _extract(pieces).township is None


@pytest.mark.parametrize(
    "text, year",
    [
        ("2021年，全镇完成项目12个。\n一、产业发展\n全镇新建基地。", 2021),
        ("一、2022 年工作总结\n全镇完成项目。", 2022),
        ("薛关镇2023年度乡村振兴工作计划\n一、总体目标\n全镇完成项目。", 2023),
        ("回顧總結2021年工作，全鎮完成項目。\n一、產業發展\n全鎮新建基地。", 2021),
        ("2022年镇政府工作报告\n各位代表：\n现在，我代表兵营镇人民政府向大会报告工作。\n一、2021年工作回顾\n全镇完成项目。", 2022),
        ("一、2024年主要工作开展情况\n全乡完成项目。\n二、2025年工作思路\n继续推进。", 2024),
        ("各位代表：\n现在，我代表十屋镇人民政府向大会报告工作。\n一、2019年工作和“十三五”时期回顾\n全镇完成项目。", 2020),
        ("新九镇二〇二二年工作总结\n一、主要工作\n全镇完成项目。", 2022),
        ("莼湖街道2023年工作总结\n2018年投用的市场运行良好。\n一、重点工作\n全街道完成项目。", 2023),
        ("xx乡xxxx年工作总结\n一、主要工作\n全乡完成项目。", None),
    ],
)
def test_year_phrasings(text, year):
    assert _extract(text).year == year


@pytest.mark.parametrize(
    "title, kind, period",
    [
        ("白沙镇2023年工作总结", "工作总结", "年度"),
        ("白沙镇2024年工作计划", "工作计划", "年度"),
        ("白沙镇2023年工作总结和2024年工作计划", "总结与计划", "年度"),
        ("白沙镇2023年上半年工作总结及下半年工作打算", "总结与计划", "上半年"),
        ("白沙镇2023年下半年工作计划", "工作计划", "下半年"),
        ("2024年白沙镇政府工作报告", "政府工作报告", "年度"),
    ],
)
def test_kind_and_period(title, kind, period):
    report = _extract(f"{title}\n一、主要工作\n全镇完成项目12个。")
    assert (report.kind, report.period) == (kind, period)


def test_a_title_naming_both_does_not_make_everything_a_plan():
    report = process_text(
        SourceText(
            "首页 > 工作总结\n豫灵镇2023年工作总结和2024年工作计划\n一、2023年工作推进情况\n完成果园改造。\n二、2024年工作打算\n加快项目建设。",
            "utf-8",
        ),
        "t",
    )
    sections = {p.text: p.section for p in report.passages}
    assert sections["完成果园改造。"] == "总结" and sections["加快项目建设。"] == "计划"
    assert not any(">" in p.text for p in report.passages)


def test_a_headings_theme_is_not_copied_onto_fragments_under_it():
    report = process_text(SourceText("一、2023年工作总结\n(一)党建引领，党员教育全覆盖\n完成道路硬化12公里。\n党员冬训覆盖全体党员。", "utf-8"), "t")
    themes = {p.text: p.themes for p in report.passages}
    assert "党的建设" not in themes["完成道路硬化12公里。"]
    assert "党的建设" in themes["党员冬训覆盖全体党员。"]


def test_no_year_after_the_one_following_its_signing():
    report = _extract("一、主要工作\n到2035年基本建成现代化强镇的工作思路已经明确。\n全镇完成项目12个。\n白沙镇人民政府\n2021年1月5日")
    assert report.year == 2020 and report.year_inferred  # from the date, not from 2035


def test_theme_scores_count_keywords_as_str_count_does(passages):
    # One Aho-Corasick pass finds every keyword; the counts must be those of str.count per
    # keyword (non-overlapping occurrences), on real passages and on self-overlapping keywords.
    from indexer import domain
    from indexer.normalize import normalize
    from indexer.themes import score_themes

    rules = domain.load_themes()

    def reference(text: str, heading: str) -> dict[str, float]:
        body, head = normalize(text), normalize(heading)
        scores = {}
        for theme in rules.themes:
            in_body = sum(body.count(k) for k in theme.keywords)
            if in_body:
                scores[theme.name] = in_body + 2 * sum(head.count(k) for k in theme.keywords)
        return scores

    keyword = next(k for t in rules.themes for k in t.keywords if len(k) >= 2)
    crafted = [(keyword * 3, keyword), (keyword[0] + keyword + keyword[1:] + keyword, "")]
    samples = [(p.text, p.heading_text) for p in passages] + crafted
    assert [score_themes(t, h, rules) for t, h in samples] == [reference(t, h) for t, h in samples]


# ---------------------------------------------------------------------------- issue 11: the independent evaluation


@pytest.mark.parametrize(
    "text, township, county",
    [
        # 畬 is read as 畲 (a variant some pages write); the county from "地处…县"
        (
            "少數民族工作總結\n竹裏畬族鄉地處泰順縣東部山區，全鄉轄9個行政村。\n一、主要工作\n全鄉完成項目。\n竹裏畬族鄉人民政府",
            "竹里畲族乡",
            "泰顺县",
        ),
        # a short form of a 民族乡 becomes the listed name
        ("莪山乡新丰村2021年工作总结\n桐庐县莪山乡新丰村距乡政府6公里。\n一、主要工作\n全乡完成项目。", "莪山畲族乡", "桐庐县"),
        # peoples and 乡 alone are a stripped template, never a name
        ("亮点工作总结2021\n瑶族乡作为全县唯一的瑶族乡，打造新瑶乡。\n一、主要工作\n全乡完成项目。", None, None),
        # no township: the county the report places itself in; never 武乡镇 (another place)
        ("2016年乡政府工作计划\n我乡地处武乡县东部，建设武乡东部一流强乡。\n一、主要工作\n全乡推进项目。", None, "武乡县"),
        # a list naming counties as often as each other decides none
        ("2023年度十强村名单\n涟水县高沟镇杨口村\n涟水县五港镇五港村\n盱眙县马坝镇腰滩村\n盱眙县黄花塘镇杨庄村", None, None),
        # a county the official list lacks, right before the township, beats a namesake on the list
        ("南投縣竹山鎮公所一一二年度施政成果報告\n一、施政成果\n全鎮完成道路改善工程十八件。", "竹山镇", "南投县"),
        # a table of contents flattened into one line: a compilation
        (
            "1、汇编目录1.2024年高沟镇政府工作报告 2.2024年马坝镇政府工作报告 3.2024年蒋坝镇政府工作报告 2024年高沟镇政府工作报告各位代表：现在，我代表高沟镇人民政府向大会报告工作。",
            None,
            None,
        ),
        # a village's page: the township its office's 信息来源 names (its own text names none)
        ("永丰村2023年工作总结\n信息来源：三界镇永丰村村民委员会\n一、主要工作\n全村完成道路硬化3公里，新建灌溉渠道2公里。", "三界镇", None),
        # 三界镇 (嵊州市 in 浙江省, 明光市 in 安徽省): where the report places itself, and the
        # province that honours it, decide; a neighbour across the border or a partner never does
        ("三界镇2023年工作总结\n三界镇地处滁州市东部，与江苏省南京市接壤。\n一、主要工作\n全镇完成项目12个。", "三界镇", "明光市"),
        ("三界镇2023年工作总结\n三界镇成功入选浙江省首批未来乡村示范镇。\n一、主要工作\n全镇完成项目12个。", "三界镇", "嵊州市"),
        ("三界镇2023年工作总结\n三界镇与安徽省一家企业签订合作协议。\n一、主要工作\n全镇完成项目12个。", "三界镇", None),
        ("三界镇2023年工作总结\n三界镇地处浙江省，与安徽省接壤，荣获安徽省合作伙伴奖。\n一、主要工作\n全镇完成项目12个。", "三界镇", None),
    ],
)
def test_names_and_counties_of_real_page_patterns(text, township, county):
    report = _extract(text)
    assert (report.township, report.county) == (township, county)


@pytest.mark.parametrize(
    "text, year, kind, period",
    [
        # the session date under the title, written in Chinese numerals
        (
            "某镇政府工作报告\n（二〇一三年一月二十二日）\n各位代表：\n现在，我代表乡人民政府向大会作政府工作报告。\n二〇一二年工作回忆\n2012年，全乡完成项目。",
            2013,
            "政府工作报告",
            "年度",
        ),
        # a session in December opens the next year's report
        (
            "政 府 工 作 报 告\n——2022年12月28日在盱眙县第十八届人民代表大会第二次会议上\n各位代表：\n现在，我代表县人民政府向大会报告工作。",
            2023,
            "政府工作报告",
            "年度",
        ),
        # ROC years on a Taiwan page
        ("羅東鎮公所112年度施政成果報告\n一、施政成果\n完成人行道改善工程。", 2023, "工作总结", "年度"),
        # a summary's opening year, not its plan heading's
        (
            "党政办年度工作总结\n2025 年，镇党政办公室统筹推进各项工作。\n一、主要工作\n完成会议保障。\n二、2026 年工作打算\n提升协调能力。",
            2025,
            "工作总结",
            "年度",
        ),
        # news of a meeting, an interpretation, a party congress report: 其他
        ("莘县魏庄镇召开2023年度工作总结表彰大会\n2月19日上午，魏庄镇召开大会。", 2023, "其他", "年度"),
        ("《2023年杨柳青镇政府工作报告》政策解读\n一、起草过程\n2022年工作回顾部分全面总结了成绩。", 2023, "其他", "年度"),
        (
            "凝心聚力谋发展\n——在中国共产党孝丰镇第十五次代表大会上的报告\n（2021年9月16日）\n现在，我代表中共孝丰镇第十四届委员会向大会报告工作。",
            2021,
            "其他",
            "其他",
        ),
        # a quarter is not a year; 二〇二三年 is not 三年
        ("乡镇2022年第一季度工作总结和第二季度工作计划\n一、一季度工作总结\n完成投资4.2亿元。", 2022, "总结与计划", "其他"),
        ("白沙镇二〇二三年工作总结\n一、主要工作\n全镇完成项目12个。", 2023, "工作总结", "年度"),
        # a summary whose title lost its year: the review part's own results
        ("镇长年度工作总结\n一、经济发展\n全镇2020年共完成税收收入3380万元。\n二、下步打算\n2021年，本人将继续抓好项目。", 2020, "工作总结", "年度"),
        # the title's period before the opening's: a second-half plan looks back on the first
        # half, an annual plan names a target for it
        (
            "白沙镇2023年下半年工作计划\n上半年，全镇完成投资4.2亿元。现将下半年工作计划如下：\n一、抓项目\n确保完成全年任务。",
            2023,
            "工作计划",
            "下半年",
        ),
        ("白沙镇2024年工作计划\n全年实施重点项目12个，力争上半年开工率达到80%。\n一、抓项目\n加快推进项目建设。", 2024, "工作计划", "年度"),
    ],
)
def test_year_kind_and_period_of_real_page_patterns(text, year, kind, period):
    report = _extract(text)
    assert (report.year, report.kind, report.period) == (year, kind, period)


def test_the_review_of_a_half_year_government_report_is_about_the_same_year():
    report = process_text(
        SourceText(
            "2023年上半年政府工作报告\n各位代表：\n现在，我代表xx镇人民政府向大会报告工作。\n一、上半年工作回顾\n夏粮平均亩产提高。\n二、下半年工作安排\n抓好秋粮生产。",
            "utf-8",
        ),
        "t",
    )
    assert report.document.period == "上半年"
    assert {p.text: p.about_year for p in report.passages}["夏粮平均亩产提高。"] == 2023


def test_an_autonomous_county_is_read_in_its_common_form():
    assert gazetteer.county_forms("芷江侗族自治县")[:2] == ("芷江侗族自治县", "芷江县")
    assert gazetteer.official_counties("芷江县") == ("芷江侗族自治县",)
    assert gazetteer.official_counties("芷江侗族自治县") == ("芷江侗族自治县",)
    assert gazetteer.official_counties("双江县") == ("双江拉祜族佤族布朗族傣族自治县",)
    assert gazetteer.official_counties("溆浦县") == ("溆浦县",) and gazetteer.county_forms("溆浦县") == ("溆浦县",)
    assert gazetteer.official_counties("河南县") == ()  # (it would read as the province)
    assert gazetteer.official_counties("东乡县") == ()  # 东乡族自治县 has no name left without its people
