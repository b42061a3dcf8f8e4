"""Generated reports of the same townships over three years, whose plans are followed (or not)
by what the next reports say was done, with the truth recorded.

Each township writes one report a year, ``{乡镇}{Y}年工作总结和{Y+1}年工作计划``: a review of the
year (outcomes grouped under ``(一)…`` headings, numbered items, some items merged into one
paragraph), the problems, and a plan for the next year (numbered plan items, plus a general
paragraph that plans nothing concrete). A plan item is one project in one village (光伏电站 in
青石村, 污水管网 in 红岩村 …), written with a plan's words (计划, 力争, 启动 …). What the next
report says about it is decided by the generator and recorded:

* ``done``: the next review reports it done, in other words (建成, 完成 …), often with the
  same figures, sometimes merged with another outcome into one paragraph;
* ``progress``: the next review reports work under way on it;
* ``delayed``: the next review is silent, the item is planned again, and the review after
  that reports it done (the follow-up should find that later report);
* ``none``: no later review mentions it. Some of these are hard: the next review reports the
  same kind of project in *another* village, which is not this plan's outcome;
* ``general``: the plan section's general paragraph, which plans nothing one could report on.

Every review also reports projects that were never planned and carries general paragraphs
(党建, 安全生产, 信访) sharing the reports' common words, and other townships report the same
kinds of projects: a follow-up must stay within its township. The last year's plans have no
later report. Report texts are the generator's own; figures, villages and phrasings come
from a seeded random generator, so ``generate(seed)`` is deterministic.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.benchmarks.corpus import township_names

TRUTH_FILE = ".plans-truth.jsonl"  # hidden: the indexer skips it
FIRST_YEARS = (2020, 2021, 2022)
VILLAGE_CHARS = "青石桥岭溪坪塘湾源峰岩坑畈庄寨渡滩洲潭泉沙港湖林竹梅桃柳枫松柏兰桂杨丰兴和泰康福寿双龙凤鹤云霞星阳月茶花田园葛樟楠杉桐荷莲芦稻禾"


@dataclass(frozen=True)
class Project:
    key: str
    domain: str  # 产业 | 设施 | 民生 | 治理
    plans: tuple[str, ...]  # plan phrasings: {v} village, {r} river, {n} {m} {a} {k} figures
    done: tuple[str, ...]  # done phrasings, other words, often the same figures
    progress: tuple[str, ...]  # work under way
    # plans[i], done[i] and progress[i] are about the same work, in a plan's and in a review's words
    figures: dict = field(default_factory=dict)  # slot -> (low, high)


PROJECTS = (
    Project(
        "光伏",
        "产业",
        (
            "计划投资{m}万元，在{v}建设村级光伏电站{n}座，装机容量{a}千瓦，带动村集体经济年增收{k}万元。",
            "谋划实施{v}屋顶分布式光伏项目，力争新增装机容量{a}千瓦，壮大村集体经济。",
        ),
        ("{v}村级光伏电站{n}座建成并网发电，总装机{a}千瓦，村集体年增收{k}万元。", "完成{v}分布式光伏项目建设，新增装机容量{a}千瓦，已全部并网。"),
        ("{v}光伏电站项目已完成选址和备案，正在开展施工招标。", "{v}分布式光伏项目已完成屋顶踏勘，正在安装光伏支架。"),
        {"a": (150, 900), "k": (8, 40)},
    ),
    Project(
        "茶叶",
        "产业",
        ("新建{v}标准化茶叶加工厂房{n}处，扩种白茶{a}亩，打造茶旅融合示范带。", "力争在{v}扩种高山白茶{a}亩，配套建设茶叶加工厂房。"),
        ("{v}茶叶加工厂房建成投产，新扩种白茶{a}亩，茶农人均增收{k}元。", "{v}新增白茶种植{a}亩，茶叶加工厂房{n}处投入使用。"),
        ("{v}白茶扩种已完成土地流转，茶叶加工厂房正在进行主体施工。", "{v}高山白茶扩种已完成整地，加工厂房正在设计。"),
        {"a": (120, 800), "k": (800, 3000)},
    ),
    Project(
        "电商",
        "产业",
        ("建设{v}农村电商服务站，培训电商从业人员{k}人次，拓宽农产品线上销售渠道。", "依托{v}电商服务站，计划开展直播带货培训{k}人次。"),
        ("{v}农村电商服务站建成运营，开展电商培训{k}人次，线上销售农产品{m}万元。", "{v}电商服务站组织直播带货培训{k}人次，带动农产品网销{m}万元。"),
        ("{v}电商服务站已完成场地装修，培训课程正在筹备。", "{v}电商服务站直播间正在装修，带货培训已完成报名。"),
        {"k": (60, 400)},
    ),
    Project(
        "民宿",
        "产业",
        ("引导{v}发展精品民宿{n}家，培育乡村旅游新业态。", "计划在{v}培育农家乐和精品民宿{n}家，做热乡村旅游。"),
        ("{v}新开业精品民宿{n}家，接待游客{k}万人次。", "{v}培育精品民宿{n}家，全年接待游客{k}万人次，旅游收入{m}万元。"),
        ("{v}已有{n}家民宿完成装修设计，正在办理经营证照。", "{v}农家乐和民宿培育对象已确定，正在进行改造提升。"),
        {"k": (1, 12)},
    ),
    Project(
        "香菇",
        "产业",
        ("扩大{v}香菇种植基地规模至{a}万袋，推广代料香菇标准化种植。", "计划新建{v}食用菌大棚{n}个，发展香菇种植{a}万袋。"),
        ("{v}香菇种植基地规模达{a}万袋，实现产值{m}万元。", "{v}新建食用菌大棚{n}个，香菇种植{a}万袋，带动农户增收。"),
        ("{v}香菇种植基地正在扩建，代料菌棒已完成订购。", "{v}食用菌大棚正在搭建，菌棒已完成订购。"),
        {"a": (20, 120)},
    ),
    Project(
        "农田",
        "产业",
        ("开展{v}高标准农田建设{a}亩，同步实施旱地改水田项目。", "计划实施{v}高标准农田改造提升{a}亩，新增耕地{k}亩。"),
        ("完成{v}高标准农田建设{a}亩，新增水田面积{k}亩。", "{v}高标准农田改造提升{a}亩通过验收，新增耕地{k}亩。"),
        ("{v}高标准农田项目已完成规划设计，正在进行土地平整。", "{v}高标准农田改造提升已完成招标，正在施工。"),
        {"a": (300, 2000), "k": (20, 150)},
    ),
    Project(
        "农房",
        "产业",
        ("盘活{v}闲置农房{n}幢，引进文创、研学业态。", "计划收储{v}闲置农房{n}幢，打造乡村文创街区。"),
        ("盘活{v}闲置农房{n}幢，引进文创工作室{k}家。", "{v}闲置农房{n}幢完成收储改造，文创街区开街运营。"),
        ("{v}闲置农房盘活已签订协议{n}幢，业态招引正在洽谈。", "{v}闲置农房收储协议已签订{n}幢，改造方案正在论证。"),
        {"k": (2, 9)},
    ),
    Project(
        "道路",
        "设施",
        ("实施{v}至集镇道路提升改造{a}公里，争取上级补助资金{m}万元。", "计划硬化{v}通组道路{a}公里，打通群众出行最后一公里。"),
        ("{v}至集镇道路提升改造工程完工，改造路面{a}公里，群众出行条件明显改善。", "完成{v}通组道路硬化{a}公里，投入资金{m}万元。"),
        ("{v}至集镇道路改造工程路基已完成，正在进行路面施工。", "{v}通组道路硬化已完成路基开挖。"),
        {"a": (2, 15)},
    ),
    Project(
        "桥梁",
        "设施",
        ("新建{v}便民桥{n}座，消除危桥安全隐患。", "计划对{v}危桥实施拆除重建，新建便民桥{n}座。"),
        ("{v}便民桥{n}座建成通车，彻底消除危桥隐患。", "完成{v}危桥拆除重建，新建便民桥{n}座。"),
        ("{v}便民桥已完成桩基施工。", "{v}危桥已拆除，新桥正在施工。"),
        {"n": (1, 3)},
    ),
    Project(
        "污水",
        "设施",
        ("启动{v}农村生活污水管网改造工程，新铺设污水管网{a}公里，覆盖农户{k}户。", "计划对{v}生活污水处理终端提标改造，配套铺设管网{a}公里。"),
        ("完成{v}生活污水管网改造，铺设管网{a}公里，{k}户农户污水纳管处理。", "{v}生活污水处理终端提标改造完成，新铺设管网{a}公里。"),
        ("{v}污水管网改造已铺设管道过半，正在加紧施工。", "{v}污水处理终端提标改造设备正在安装。"),
        {"a": (2, 12), "k": (80, 600)},
    ),
    Project(
        "饮水",
        "设施",
        ("实施{v}农村饮用水达标提标工程，新建蓄水池{n}座，解决{k}名群众饮水问题。", "计划改造{v}供水管网，新建蓄水池{n}座。"),
        ("{v}饮用水提标工程完工，新建蓄水池{n}座，{k}名群众喝上放心水。", "完成{v}供水管网改造，新建蓄水池{n}座，供水保障能力提升。"),
        ("{v}饮用水达标提标工程蓄水池正在浇筑。", "{v}供水管网改造已完成管材采购，蓄水池正在施工。"),
        {"k": (300, 2500)},
    ),
    Project(
        "河道",
        "设施",
        ("实施{r}{v}段河道综合治理，清淤疏浚{a}公里，加固堤防{k}米。", "计划开展{r}{v}段生态河道建设，整治河岸{a}公里。"),
        ("完成{r}{v}段河道清淤疏浚{a}公里，新建加固堤防{k}米，防洪能力有效提升。", "{r}{v}段生态河道建成，整治河岸{a}公里。"),
        ("{r}{v}段河道治理工程已完成清淤，堤防加固正在施工。", "{r}{v}段生态河道建设已完成设计，正在施工。"),
        {"a": (2, 10), "k": (300, 2500)},
    ),
    Project(
        "安置",
        "设施",
        ("推进{v}安置小区二期建设，完成{k}套安置房主体工程。", "计划完成{v}安置小区基础设施配套，启动二期{k}套安置房建设。"),
        ("{v}安置小区二期{k}套安置房主体结顶，配套设施同步推进。", "{v}安置小区基础设施配套完成，二期{k}套安置房开工建设。"),
        ("{v}安置小区二期已完成桩基，主体正在施工。", "{v}安置小区配套工程正在施工，二期已完成设计。"),
        {"k": (60, 400)},
    ),
    Project(
        "公厕",
        "设施",
        ("新建改造{v}等村旅游公厕{n}座，提升农村人居环境。", "计划对{v}公共厕所进行提档升级，新建公厕{n}座。"),
        ("完成{v}等村{n}座旅游公厕新建改造，人居环境进一步改善。", "{v}公共厕所完成提档升级，新建公厕{n}座投入使用。"),
        ("{v}等村旅游公厕改造已完成选址，正在施工。", "{v}公共厕所提档升级正在施工。"),
    ),
    Project(
        "养老",
        "民生",
        ("改造提升{v}居家养老服务照料中心，为{k}名老年人提供助餐服务。", "计划在{v}新建老年食堂，解决高龄老人吃饭难问题。"),
        ("{v}居家养老服务照料中心改造完成并投入运营，累计助餐{m}人次。", "{v}老年食堂建成开餐，服务老年人{k}名。"),
        ("{v}居家养老服务照料中心改造正在进行室内装修。", "{v}老年食堂正在装修，预计明年开餐。"),
        {"k": (40, 300)},
    ),
    Project(
        "幼儿园",
        "民生",
        ("推进{v}幼儿园新建工程，新增学位{k}个。", "计划改扩建{v}中心幼儿园，新增学位{k}个。"),
        ("{v}幼儿园新建工程投入使用，新增学位{k}个。", "完成{v}中心幼儿园改扩建，新增学位{k}个，秋季顺利开学。"),
        ("{v}幼儿园新建工程主体已封顶，正在进行室内装修。", "{v}中心幼儿园改扩建工程正在施工。"),
        {"k": (60, 360)},
    ),
    Project(
        "礼堂",
        "民生",
        ("新建{v}农村文化礼堂，打造村民文化活动阵地。", "计划提升{v}文化礼堂，配套建设乡村书屋和文体广场。"),
        ("{v}文化礼堂建成开放，全年开展文艺活动{k}场次。", "{v}文化礼堂完成提升，乡村书屋和文体广场同步投用。"),
        ("{v}文化礼堂已完成主体施工。", "{v}文化礼堂提升工程正在施工，乡村书屋已完成选址。"),
        {"k": (12, 60)},
    ),
    Project(
        "卫生室",
        "民生",
        ("标准化建设{v}村卫生室，配备常用诊疗设备。", "计划新建{v}村卫生室，开展家庭医生签约服务{k}人。"),
        ("{v}村卫生室完成标准化建设，配齐诊疗设备，群众就近看病更方便。", "{v}村卫生室建成投用，家庭医生签约服务{k}人。"),
        ("{v}村卫生室标准化建设正在进行设备采购。", "{v}村卫生室新建工程已完成主体。"),
        {"k": (200, 1500)},
    ),
    Project(
        "消防",
        "治理",
        ("在{v}建设微型消防站{n}个，配齐消防器材，提升火灾防控能力。", "计划为{v}等村配备微型消防站{n}个。"),
        ("建成{v}微型消防站{n}个，配备消防器材{k}件。", "{v}等村{n}个微型消防站投入使用，开展消防演练{m}人次。"),
        ("{v}微型消防站器材已完成采购，站点正在布置。", "{v}等村微型消防站正在建设。"),
        {"k": (40, 300)},
    ),
    Project(
        "监控",
        "治理",
        ("在{v}安装视频监控探头{k}个，推进雪亮工程全覆盖。", "计划完善{v}治安监控网络，新增高清探头{k}个。"),
        ("{v}新装视频监控探头{k}个，雪亮工程实现全覆盖。", "完成{v}治安监控网络建设，新增高清探头{k}个，接入综治中心。"),
        ("{v}视频监控线路已完成铺设，探头正在安装调试。", "{v}治安监控网络建设已完成方案设计。"),
        {"k": (20, 120)},
    ),
    Project(
        "垃圾分类",
        "治理",
        ("在{v}推行生活垃圾分类，新建垃圾分类投放亭{n}座。", "计划实现{v}生活垃圾分类全覆盖，配备分类督导员{k}名。"),
        ("{v}生活垃圾分类覆盖率达到百分之百，建成分类投放亭{n}座。", "{v}实现生活垃圾分类全覆盖，配备分类督导员{k}名。"),
        ("{v}垃圾分类投放亭正在建设。", "{v}垃圾分类督导员已完成招募，正在开展培训。"),
        {"k": (4, 20)},
    ),
    Project(
        "松材线虫",
        "治理",
        ("开展{v}一带松材线虫病疫木除治{a}亩，严防疫情扩散。", "计划对{v}山场实施松材线虫病防治{a}亩。"),
        ("完成{v}一带松材线虫病疫木除治{a}亩，清理疫木{k}株。", "{v}山场松材线虫病防治{a}亩全部完成，疫情得到有效控制。"),
        ("{v}一带松材线虫病疫木除治已完成调查，清理工作正在开展。", "{v}山场松材线虫病防治正在开展。"),
        {"a": (500, 5000), "k": (800, 9000)},
    ),
)
DOMAINS = ("产业", "设施", "民生", "治理")
PLAN_HEADINGS = {
    "产业": ("(一)聚焦产业发展，壮大集体经济", "(一)做强特色产业"),
    "设施": ("(二)补齐基础设施短板", "(二)加快重点项目建设"),
    "民生": ("(三)办好民生实事", "(三)提升公共服务水平"),
    "治理": ("(四)提升基层治理水平", "(四)守牢安全发展底线"),
}
REVIEW_HEADINGS = {
    "产业": ("(一)产业发展提质增效", "(一)特色产业持续壮大"),
    "设施": ("(二)基础设施不断完善", "(二)项目建设有力推进"),
    "民生": ("(三)民生事业稳步推进", "(三)公共服务持续改善"),
    "治理": ("(四)基层治理成效明显", "(四)平安建设扎实开展"),
}
PLAN_OPENERS = ("", "", "年内", "力争年内", "着力")
DONE_OPENERS = ("", "", "全年", "年内")
DONE_CLOSERS = ("", "", "", "受到群众好评。", "项目通过县级验收。", "群众满意度明显提升。")
AGAIN = ("继续推进", "加快推进", "全力推进")
GENERAL_REVIEW = (
    "(五)党的建设全面加强",
    "深入开展党纪学习教育，召开党委理论学习中心组学习会{k}次，全年发展党员{n}名，整顿软弱涣散村党组织{n}个，党员干部干事创业热情持续高涨。",
    "坚持安全生产和信访维稳两手抓，开展安全隐患排查整治{k}次，化解矛盾纠纷{m}起，全年未发生较大以上安全事故，社会大局和谐稳定。",
    "扎实推进作风建设，严格落实中央八项规定精神，持续整治形式主义、官僚主义，干部队伍精气神明显提升。",
)
GENERAL_PLAN = (
    "{Y}年是全面推进乡村振兴的关键之年。今年工作的总体要求是：坚持稳中求进工作总基调，"
    "聚焦产业发展、项目建设和民生改善，推动各项事业再上新台阶，重点抓好以下工作。"
)
PROBLEMS = (
    "二、存在的问题",
    "一是产业发展基础仍然薄弱，村集体经济增收渠道不多；二是基础设施还有短板，部分项目推进较慢；"
    "三是公共服务供给不足，干部队伍能力与新形势要求还有差距。",
)
OPENING = "{Y}年，在县委、县政府的坚强领导下，{T}党委、政府团结带领全{X}干部群众，凝心聚力、真抓实干，各项工作取得新成效。现将有关情况总结如下。"


@dataclass
class PlanTruth:
    """What became of one plan passage."""

    township: str
    year: int  # the report holding the plan
    plan_text: str  # the plan passage as written
    status: str  # done | progress | delayed | none | general
    outcome_texts: list[str] = field(default_factory=list)  # the passages that report on it
    has_later_report: bool = True
    project: str = ""
    village: str = ""
    distractor_texts: list[str] = field(default_factory=list)  # the same kind of project elsewhere


@dataclass
class Township:
    name: str
    county: str
    villages: list[str]
    river: str

    @property
    def suffix(self) -> str:
        return "街道" if self.name.endswith("街道") else self.name[-1]


@dataclass
class Item:
    """One project in one village, and how each of its texts came out."""

    project: Project
    village: str
    values: dict
    variant: int = 0  # which of the project's phrasings


def _villages(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    found = []
    while len(found) < count:
        name = "".join(rng.sample(VILLAGE_CHARS, 2)) + "村"
        if name not in taken:
            taken.add(name)
            found.append(name)
    return found


def _values(rng: random.Random, project: Project) -> dict:
    ranges = {"n": (2, 6), "m": (50, 900), "a": (2, 60), "k": (5, 90), **project.figures}
    return {slot: rng.randint(low, high) for slot, (low, high) in ranges.items()}


def _fill(template: str, item: Item, township: Township, rng: random.Random, same_figures: bool = True) -> str:
    values = dict(item.values)
    if not same_figures:  # a done item may report other figures than the plan's
        values = {slot: max(1, round(v * rng.uniform(0.8, 1.3))) for slot, v in values.items()}
    return template.format(v=item.village, r=township.river, **values)


@dataclass
class Year:
    """What one report says: review outcomes by domain, and plan items by domain."""

    review: dict[str, list[str]] = field(default_factory=dict)
    plans: dict[str, list[str]] = field(default_factory=dict)


def _numbered(texts: list[str]) -> list[str]:
    """Items as 1. 2. …; a merged paragraph (一是…；二是…) stands unnumbered."""
    lines, number = [], 0
    for text in texts:
        if text.startswith("一是"):
            lines.append(text)
        else:
            number += 1
            lines.append(f"{number}.{text}")
    return lines


PLAN_VERBS = ("计划", "力争", "谋划")


def _plan_text(template: str, item: Item, township: Township, rng: random.Random, again: bool = False) -> str:
    body = _fill(template, item, township, rng)
    for verb in PLAN_VERBS:
        if body.startswith(verb):
            return (rng.choice(AGAIN) + body[len(verb) :]) if again else body
    return (rng.choice(AGAIN) if again else rng.choice(PLAN_OPENERS)) + body


def _report_text(township: Township, year: int, content: Year, rng: random.Random) -> str:
    lines = [f"{township.name}{year}年工作总结和{year + 1}年工作计划", OPENING.format(Y=year, T=township.name, X=township.suffix)]
    lines.append(rng.choice((f"一、{year}年工作总结", f"一、{year}年工作回顾", f"一、{year}年主要工作开展情况")))
    for domain in DOMAINS:
        outcomes = content.review.get(domain, [])
        if outcomes:
            lines.append(rng.choice(REVIEW_HEADINGS[domain]))
            lines += _numbered(outcomes)
    lines.append(GENERAL_REVIEW[0])
    lines += [text.format(k=rng.randint(6, 14), n=rng.randint(2, 9), m=rng.randint(20, 90)) for text in GENERAL_REVIEW[1:]]
    lines += list(PROBLEMS)
    lines.append(rng.choice((f"三、{year + 1}年工作计划", f"三、{year + 1}年工作安排", f"三、{year + 1}年工作思路")))
    lines.append(GENERAL_PLAN.format(Y=year + 1))
    for domain in DOMAINS:
        plans = content.plans.get(domain, [])
        if plans:
            lines.append(rng.choice(PLAN_HEADINGS[domain]))
            lines += _numbered(plans)
    lines += [f"{township.county}{township.name}人民政府", f"{year + 1}年1月{rng.randint(5, 28)}日"]
    return "\n\n".join(lines) + "\n"


@dataclass
class Corpus:
    reports: dict[str, str]  # file name -> text
    truth: list[PlanTruth]
    townships: list[Township]
    years: list[int]


def _strip_number(line: str) -> str:
    return line.split(".", 1)[1] if line[:1].isdigit() else line


def generate(seed: int, townships: int = 3, plans_per_report: int = 9) -> Corpus:
    rng = random.Random(f"plans-{seed}")
    first = rng.choice(FIRST_YEARS)
    years = [first, first + 1, first + 2]
    taken: set[str] = set()
    places = [
        Township(name, county, _villages(rng, 12, taken), rng.choice(("清", "桃", "龙", "白", "青", "金")) + rng.choice(("溪", "源溪", "坑溪")))
        for name, county in township_names(townships, seed)
    ]
    reports: dict[str, str] = {}
    truth: list[PlanTruth] = []
    for township in places:
        contents = {year: Year() for year in years}
        # Plans carried over to the next year (delayed items): (item, truth records waiting for it)
        carried: list[tuple[Item, list[PlanTruth]]] = []
        used: set[tuple[str, str]] = set()
        for year in years:
            content = contents[year]
            later = year != years[-1]
            items: list[tuple[Item, str]] = []  # (item, plan text)
            for item, _ in carried:
                items.append((item, _plan_text(item.project.plans[item.variant], item, township, rng, again=True)))
            fresh = []
            while len(items) + len(fresh) < plans_per_report:
                project = rng.choice(PROJECTS)
                village = rng.choice(township.villages)
                if (project.key, village) in used:
                    continue
                used.add((project.key, village))
                item = Item(project, village, _values(rng, project), rng.randrange(len(project.plans)))
                fresh.append((item, _plan_text(project.plans[item.variant], item, township, rng)))
            items += fresh
            rng.shuffle(items)
            previous = {id(i): w for i, w in carried}
            carried = []
            for item, text in items:
                content.plans.setdefault(item.project.domain, []).append(text)
            truth.append(PlanTruth(township.name, year, GENERAL_PLAN.format(Y=year + 1), "general", has_later_report=later))
            if not later:
                for item, text in items:
                    truth.append(PlanTruth(township.name, year, text, "none", has_later_report=False, project=item.project.key, village=item.village))
                continue
            following = contents[year + 1]
            for item, text in items:
                record = PlanTruth(township.name, year, text, "none", project=item.project.key, village=item.village)
                truth.append(record)
                waiting = previous.get(id(item), [])
                roll = rng.random()
                if roll < 0.5:
                    record.status = "done"
                    outcome = (
                        rng.choice(DONE_OPENERS)
                        + _fill(item.project.done[item.variant], item, township, rng, rng.random() < 0.7)
                        + rng.choice(DONE_CLOSERS)
                    )
                elif roll < 0.65:
                    record.status = "progress"
                    outcome = _fill(item.project.progress[item.variant], item, township, rng)
                else:
                    outcome = ""
                    if roll < 0.8 and year + 2 in contents:  # planned again, done the year after
                        record.status = "delayed"
                        carried.append((item, waiting + [record]))
                if outcome:
                    following.review.setdefault(item.project.domain, []).append(outcome)
                    for r in [record] + waiting:
                        r.outcome_texts.append(outcome)
                        if r is not record:
                            r.status = "delayed"
                elif record.status == "none" and rng.random() < 0.4:
                    # The same kind of project in another village: not this plan's outcome.
                    other = rng.choice([v for v in township.villages if v != item.village])
                    twin = Item(item.project, other, _values(rng, item.project), item.variant)
                    text = _fill(item.project.done[twin.variant], twin, township, rng)
                    used.add((item.project.key, other))
                    following.review.setdefault(item.project.domain, []).append(text)
                    record.distractor_texts.append(text)
            # Projects done without having been planned.
            for _ in range(rng.randint(2, 4)):
                project = rng.choice(PROJECTS)
                village = rng.choice(township.villages)
                if (project.key, village) in used:
                    continue
                used.add((project.key, village))
                item = Item(project, village, _values(rng, project))
                following.review.setdefault(project.domain, []).append(_fill(rng.choice(project.done), item, township, rng))
        # The first year's review: outcomes of an earlier, unseen plan.
        for _ in range(5):
            project = rng.choice(PROJECTS)
            village = rng.choice(township.villages)
            if (project.key, village) not in used:
                used.add((project.key, village))
                item = Item(project, village, _values(rng, project))
                contents[years[0]].review.setdefault(project.domain, []).append(_fill(rng.choice(project.done), item, township, rng))
        for record in truth:
            if record.status == "delayed" and not record.outcome_texts:
                record.status = "none"  # planned again, and again not reported
        for year in years:
            _merge_some(contents[year], truth, township.name, rng)
            reports[f"{township.name}-{year}.txt"] = _report_text(township, year, contents[year], rng)
    return Corpus(reports, truth, places, years)


def _merge_some(content: Year, truth: list[PlanTruth], township: str, rng: random.Random) -> None:
    """Write some pairs of outcomes of a domain as one paragraph (一是…；二是…)."""
    for domain, outcomes in content.review.items():
        rng.shuffle(outcomes)
        merged: list[str] = []
        i = 0
        while i < len(outcomes):
            if i + 1 < len(outcomes) and rng.random() < 0.3:
                first, second = outcomes[i], outcomes[i + 1]
                paragraph = f"一是{first.rstrip('。')}；二是{second}"
                for record in truth:
                    if record.township == township:
                        record.outcome_texts = [paragraph if t in (first, second) else t for t in record.outcome_texts]
                        record.distractor_texts = [paragraph if t in (first, second) else t for t in record.distractor_texts]
                merged.append(paragraph)
                i += 2
            else:
                merged.append(outcomes[i])
                i += 1
        content.review[domain] = merged


def write(corpus: Corpus, directory: Path) -> Path:
    """The reports as UTF-8 text files, and the truth beside them (a hidden file)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in corpus.reports.items():
        (directory / name).write_text(text, encoding="utf-8")
    with (directory / TRUTH_FILE).open("w", encoding="utf-8") as handle:
        for record in corpus.truth:
            handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
    return directory
