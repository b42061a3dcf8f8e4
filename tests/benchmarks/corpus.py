"""A deterministic synthetic corpus: N township reports recombined from the bundled ones.

Every generated report is built from real material of ``data/reports``: the opening
paragraphs, the numbered blocks (``(一)`` headings with their ``1.`` / ``一是`` paragraphs), the
plain paragraphs and the closing paragraphs, grouped by the section they come from (总结,
问题, 计划, 建议). A report gets a synthetic township (…乡 / …镇 / …街道), a real county name
from jieba's dictionary (the metadata stage only believes counties it knows), a year from
2015–2025, and the structure the indexer expects:

* a title line (``青石镇2019年工作总结和2020年工作计划``) or an opening paragraph,
* level-one headings ``一、2019年工作总结`` / ``二、存在的问题`` / ``三、2020年工作计划``,
* ``(一)`` blocks renumbered in order, plain paragraphs, sometimes a closing paragraph,
* signature lines (``中共某某县青石镇委员会`` / ``某某县青石镇人民政府`` / a date).

Names and years of the source reports are replaced (汤垟乡 → the new township, 2023 → the new
year, keeping offsets such as "next year"), and the self-references 全乡/我镇/镇党委 follow
the new township's suffix. About 15 % of the reports are written in traditional script
(OpenCC ``s2t``), about 20 % are GB18030-encoded, a few carry a UTF-8 BOM or CRLF line ends.

Report ``i`` depends only on ``(seed, i)``, so the first 100 reports of the 1,000-report
corpus are the 100-report corpus. The corpus is written to a cache folder and reused; it is
never committed. ``.truth.jsonl`` (hidden, so the indexer skips it) records what each file
should be indexed as.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer.clean import clean
from indexer.domain import PROJECT_ROOT
from indexer.read import read_report
from indexer.structure import classify, structure

GENERATOR_VERSION = 1
DEFAULT_SEED = 20240601
SOURCE_DIR = PROJECT_ROOT / "data" / "reports"
YEARS = range(2015, 2026)
TRADITIONAL_SHARE = 0.15
GB18030_SHARE = 0.20

# What the bundled reports call themselves: (township, stem, suffix, county, county stem, year).
SOURCES = {
    "000_6b839ddbfe8036b3.txt": ("汤垟乡", "汤垟", "乡", None, None, 2023),
    "001_e159975677d4b3cb.txt": ("祖师殿镇", "祖师殿", "镇", "溆浦县", "溆浦", 2023),
    "002_b6e2129330959370.txt": ("斋坛乡", "斋坛", "乡", None, None, 2024),
    "003_401b8d6f37713bac.txt": ("桂竹帽镇", "桂竹帽", "镇", "寻乌县", "寻乌", 2023),
    "004_cc03cb1b8fd4d28d.txt": ("xx镇", "xx", "镇", None, None, 2020),
}

# Characters of synthetic place names: common in real names, the same in both scripts after
# the indexer's folding (checked below), and rarely the start of an ordinary word.
NAME_CHARS = (
    "青石桥岭溪坪塘湾源峰岩坑坳垟畈埠庄寨堡渡滩洲潭泉沙港湖江河山林竹梅桃柳枫松柏兰桂"
    "杨李陈黄白红金银铜东西南北前后古高长丰富兴和泰康福寿双龙凤马鹤云霞星阳月茶花田园"
    "溆浦汤斋竺岱嵩崇婺衢丽瓯甬苍翠碧丹玉珠葛樟楠杉柘桐檀杜蒲苇荷莲菱芦藕稻麦禾粟黎"
)
SUFFIXES = ("镇", "镇", "乡", "乡", "街道")
SUMMARY_HEADINGS = ("一、@Y0@年工作总结", "一、@Y0@年工作回顾", "一、@Y0@年工作开展情况", "@Y0@年工作总结", "一、@Y0@年度工作总结")
HALF_YEAR_HEADINGS = ("一、@Y0@年上半年工作开展情况", "一、@Y0@年上半年工作总结")
PROBLEM_HEADINGS = ("二、存在的问题", "二、存在问题及不足", "二、工作中存在的困难和问题", "存在的问题")
PLAN_HEADINGS = ("三、@Y1@年工作计划", "三、@Y1@年工作安排", "三、下一步工作打算", "@Y1@年工作计划", "三、@Y1@年工作思路")
HALF_PLAN_HEADINGS = ("三、下半年工作打算", "三、下半年工作计划")
ADVICE_HEADINGS = ("四、意见建议", "四、对县委、县政府的意见建议")
NUMERALS = "一二三四五六七八九十"
_YEAR = re.compile(r"(?<!\d)(20[0-3]\d)(?!\d)")
_LEVEL2 = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
_NUMBER = re.compile(r"@[^@\n]*@|\d+")
_PLACEHOLDER = re.compile(r"@(T|S|X|C|K|N|Y(-?\d+))@")


@dataclass
class Block:
    lines: list[str]  # placeholders: @T@ township, @S@ its stem, @X@ its suffix, @C@ county, @K@ its stem, @Y<d>@ year + d
    numbered: bool = False  # starts with a (一) marker, renumbered when used


@dataclass
class Pools:
    openings: list[Block] = field(default_factory=list)
    closings: list[Block] = field(default_factory=list)
    numbered: dict[str, list[Block]] = field(default_factory=dict)  # section → (一) blocks
    plain: dict[str, list[Block]] = field(default_factory=dict)  # section → paragraphs / runs of 1. or 一是 items


@lru_cache(maxsize=2)
def _opencc(conversion: str):
    import opencc

    return opencc.OpenCC(conversion)


def _placeholders(text: str, source: tuple) -> str:
    township, stem, suffix, county, county_stem, year = source
    text = text.replace(township, "@T@")
    if county:
        text = text.replace(county, "@C@")
    if stem == "xx":
        text = text.replace("xxxx年", f"{year}年")
        # The template's placeholders: xx个 / x.xx亿 are figures, a bare xx is the township.
        text = re.sub(r"(?<![a-z])x{1,5}(?=[\d.%个万余亿千百小户人元名家条座处项次所公里亩批期件只场支套台辆头株棵栋幢间张份])", "@N@", text)
        text = re.sub(r"(?<![a-z])xx(?![a-z0-9x])", "@S@", text)
    else:
        text = text.replace(stem, "@S@")
    if county_stem:
        text = text.replace(county_stem, "@K@")
    text = re.sub(r"([全我本该])([乡镇])", r"\1@X@", text)
    text = re.sub(r"([乡镇])(党委|政府|人大|纪委)", r"@X@\2", text)
    return _YEAR.sub(lambda m: f"@Y{int(m.group(1)) - year}@", text)


@lru_cache(maxsize=1)
def pools() -> Pools:
    """The recombinable material of the bundled reports (simplified script, placeholders)."""
    t2s = _opencc("t2s")
    result = Pools()
    for name, source in SOURCES.items():
        text = read_report(SOURCE_DIR / name).text
        if name.startswith("003"):
            text = t2s.convert(text)
        lines = clean(text).lines
        classified = classify(lines)
        section_of = {d.paragraph: d.section for d in structure(lines)}
        current: Block | None = None
        section = "其他"
        seen_heading = False
        for index, line in enumerate(classified):
            body = _placeholders(line.text, source)
            if line.kind in ("title", "signature"):
                current = None
                continue
            if line.kind == "heading" and line.level == 1:
                section, current, seen_heading = section_of.get(index, "其他"), None, True
                continue
            if not seen_heading:
                result.openings.append(Block([body]))
                continue
            own = section_of.get(index, section)
            if own == "其他" and line.level == 0:
                result.closings.append(Block([body]))
                current = None
                continue
            if line.level == 2:
                current = Block([body], numbered=True)
                result.numbered.setdefault(section, []).append(current)
            elif current is not None:
                current.lines.append(body)
            elif line.level in (3, 5):
                run = result.plain.setdefault(section, [])
                if run and run[-1].lines and _is_item_run(run[-1]) and not _first_item(line.folded):
                    run[-1].lines.append(body)
                else:
                    run.append(Block([body]))
            else:
                result.plain.setdefault(section, []).append(Block([body]))
    return result


def _first_item(folded: str) -> bool:
    return folded.startswith(("1.", "1、", "一是"))


def _is_item_run(block: Block) -> bool:
    return block.lines[0].startswith(("1.", "1、", "一是"))


# ---------------------------------------------------------------------------- names


def _roundtrips(text: str) -> bool:
    from indexer.normalize import normalize

    return normalize(_opencc("s2t").convert(text)) == text


@lru_cache(maxsize=1)
def county_names() -> tuple[str, ...]:
    """Real county names jieba knows (so the metadata stage accepts them), sorted."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "ns" and parts[0].endswith("县") and len(parts[0]) == 3 and _roundtrips(parts[0]):
            names.append(parts[0])
    return tuple(sorted(set(names)))


def _township_ok(name: str, county: str) -> bool:
    """Would the metadata stage read ``name`` back from a short report that uses it?"""
    from indexer import domain, metadata

    suffix = "街道" if name.endswith("街道") else name[-1]
    text = f"{county}{name}{2020}年工作总结\n全{suffix}上下团结一心,{name}党委政府坚强领导。\n中共{county}{name}委员会\n{county}{name}人民政府"
    found, _ = metadata.extract_township(text, None, f"{county}{name}人民政府", domain.load_rules())
    return found == name and _roundtrips(name)


def township_names(count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` distinct (township, county) pairs the indexer recognises; deterministic."""
    rng = random.Random(f"{seed}-townships")
    counties = county_names()
    chars = [c for c in dict.fromkeys(NAME_CHARS) if _roundtrips(c)]
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    attempts = 0
    while len(found) < count:
        attempts += 1
        if attempts > count * 50:
            raise RuntimeError(f"could not make {count} township names")
        stem = "".join(rng.choice(chars) for _ in range(3 if rng.random() < 0.2 else 2))
        name = stem + rng.choice(SUFFIXES)
        county = counties[rng.randrange(len(counties))]
        if stem in seen or len(set(stem)) < len(stem) or not _township_ok(name, county):
            continue
        seen.add(stem)
        found.append((name, county))
    return found


# ---------------------------------------------------------------------------- reports


@dataclass
class GeneratedReport:
    relative: str
    text: str
    encoding: str
    township: str
    county: str
    year: int
    traditional: bool


def _other_number(rng: random.Random, digits: str) -> str:
    if len(digits) == 1:
        return str(rng.randint(2, 9))
    return str(rng.randint(10 ** (len(digits) - 1), 10 ** len(digits) - 1))


def _vary(rng: random.Random, match: re.Match) -> str:
    """A figure changed half the time; placeholders, list numbers (1. / (1)) and 1+3+N kept."""
    text, start, end, line = match.group(0), match.start(), match.end(), match.string
    if text.startswith("@") or start == 0 or line[start - 1] in "(（+" or line[end : end + 1] == "+" or rng.random() < 0.5:
        return text
    return _other_number(rng, text)


def _numbered_line(line: str, number: int) -> str:
    return _LEVEL2.sub(f"({NUMERALS[number] if number < 10 else '十' + NUMERALS[number - 10]})", line, count=1)


def _section(rng: random.Random, material: Pools, section: str, heading: str, low: int, high: int) -> list[str]:
    lines = [heading]
    plain = material.plain.get(section, [])
    numbered = material.numbered.get(section, [])
    if plain and rng.random() < 0.35:
        lines += rng.choice(plain).lines
    if numbered and (rng.random() < 0.75 or not plain):
        count = min(len(numbered), rng.randint(low, high))
        for n, block in enumerate(rng.sample(numbered, count)):
            lines.append(_numbered_line(block.lines[0], n))
            lines += block.lines[1:]
    elif plain:
        for block in rng.sample(plain, min(len(plain), rng.randint(low, high))):
            lines += block.lines
    return lines


def report(i: int, seed: int, names: list[tuple[str, str]]) -> GeneratedReport:
    """Report number ``i`` of the corpus (depends only on ``seed``, ``i`` and the name list)."""
    rng = random.Random(f"{seed}-report-{i}")
    material = pools()
    township, county = names[rng.randrange(len(names))]
    suffix = "街道" if township.endswith("街道") else township[-1]
    stem = township[: -len(suffix)]
    year = rng.choice(YEARS)
    half_year = rng.random() < 0.12
    traditional = rng.random() < TRADITIONAL_SHARE

    lines: list[str] = []
    if rng.random() < 0.6:
        if half_year:
            lines.append(f"{county}{township}@Y0@年上半年工作总结和下半年工作计划")
        else:
            lines.append(
                rng.choice(
                    (f"{township}@Y0@年工作总结和@Y1@年工作计划", f"{county}{township}@Y0@年工作总结", f"{township}@Y0@年度工作总结及@Y1@年工作思路")
                )
            )
    if rng.random() < 0.8:
        lines += rng.choice(material.openings).lines
    lines += _section(rng, material, "总结", rng.choice(HALF_YEAR_HEADINGS if half_year else SUMMARY_HEADINGS), 3, 7)
    lines += _section(rng, material, "问题", rng.choice(PROBLEM_HEADINGS), 1, 4)
    lines += _section(rng, material, "计划", rng.choice(HALF_PLAN_HEADINGS if half_year else PLAN_HEADINGS), 3, 6)
    if rng.random() < 0.15:
        lines += _section(rng, material, "建议", rng.choice(ADVICE_HEADINGS), 1, 2)
    if rng.random() < 0.4:
        lines += rng.choice(material.closings).lines
    lines += [f"中共{county}{township}委员会", f"{township}人民政府"]
    if rng.random() < 0.7:
        lines.append(f"@Y1@年{rng.randint(1, 2)}月{rng.randint(1, 28)}日" if not half_year else f"@Y0@年7月{rng.randint(1, 28)}日")

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key == "T":
            return township
        if key == "S":
            return stem
        if key == "X":
            return suffix
        if key == "C":
            return county
        if key == "K":
            return county[:-1]
        if key == "N":
            return str(rng.randint(2, 99))
        return str(year + int(match.group(2)))

    if traditional:
        s2t = _opencc("s2t")
        lines = [_cached_s2t(line) for line in lines]
    # Figures vary from report to report (placeholders such as @Y-1@ are kept as they are).
    lines = [_NUMBER.sub(lambda m: _vary(rng, m), line) for line in lines]
    if traditional:
        names_t = {
            "T": s2t.convert(township),
            "S": s2t.convert(stem),
            "X": s2t.convert(suffix),
            "C": s2t.convert(county),
            "K": s2t.convert(county[:-1]),
        }

        def fill_t(match: re.Match) -> str:
            return names_t.get(match.group(1)) or fill(match)

        text = "\n".join(_PLACEHOLDER.sub(fill_t, line) for line in lines)
    else:
        text = "\n".join(_PLACEHOLDER.sub(fill, line) for line in lines)
    roll = rng.random()
    encoding = "gb18030" if roll < GB18030_SHARE else ("utf-8-sig" if roll < GB18030_SHARE + 0.05 else "utf-8")
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return GeneratedReport(f"r{i:05d}.txt", text + "\n", encoding, township, county, year, traditional)


@lru_cache(maxsize=4096)
def _cached_s2t(line: str) -> str:
    # Placeholders are ASCII and survive the conversion; converted once per distinct line.
    return _opencc("s2t").convert(line)


def corpus_dir(work_dir: Path, reports: int, seed: int = DEFAULT_SEED) -> Path:
    return work_dir / f"corpus-{reports}-s{seed}-v{GENERATOR_VERSION}"


def index_dir(work_dir: Path, reports: int, seed: int = DEFAULT_SEED) -> Path:
    """Where the benchmark (and the soak) build the index of that corpus, reused across runs."""
    return work_dir / f"index-{reports}-s{seed}-v{GENERATOR_VERSION}"


def generate(work_dir: Path, reports: int, seed: int = DEFAULT_SEED, log=print) -> Path:
    """Write the corpus (or reuse a complete one) and return its folder."""
    target = corpus_dir(work_dir, reports, seed)
    if (target / ".complete").exists():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    names = township_names(max(5, reports // 5), seed)
    chars = 0
    with (partial / ".truth.jsonl").open("w", encoding="utf-8") as truth:
        for i in range(reports):
            generated = report(i, seed, names)
            (partial / generated.relative).write_bytes(generated.text.encode(generated.encoding))
            chars += len(generated.text)
            truth.write(
                json.dumps(
                    {
                        "file": generated.relative,
                        "township": generated.township,
                        "county": generated.county,
                        "year": generated.year,
                        "traditional": generated.traditional,
                        "encoding": generated.encoding,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            if log and reports >= 1000 and (i + 1) % 1000 == 0:
                log(f"  generated {i + 1}/{reports} reports")
    (partial / ".complete").write_text(json.dumps({"reports": reports, "seed": seed, "chars": chars}) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    return target


def truth(corpus: Path) -> dict[str, dict]:
    with (corpus / ".truth.jsonl").open(encoding="utf-8") as handle:
        return {row["file"]: row for row in map(json.loads, handle)}
