"""Benchmark: copied text (雷同) across a corpus of report parts, and the texts it is tested on.

    python bench/bench_copies.py [--parts 20000] [--copies 0.01] [--seed 1]

Builds ``--parts`` independently written parts (two per report: 总体情况 and 存在的主要问题),
copies a share of them into other agencies' reports (the numbers changed, a sentence added) and
into the same agency's next year, runs :func:`xxgk.corpus.copies.copies` and prints the time,
how many injected copies were found and how many other pairs were flagged.

The texts (used by ``tests/test_corpus_checks.py`` too):

* :func:`independent_text` — prose in the register of the reports, written clause by clause from
  word lists and sentence patterns (subject, adverb, verb, object, purpose, time…), so two texts
  share words and stock phrases but not passages, as two agencies' own texts do;
* :func:`seed_parts` — the prose parts of the real seeds (``shared/seeds``), read by xxgk;
* :func:`gen_parts` — the prose of ``xxgk.gen`` (a template text every generated agency shares,
  filled with its name and numbers: copies of one another by construction);
* :func:`copy_of` — a copy of a text: its numbers changed, a sentence added, the agency renamed.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xxgk.corpus.types import ReportEntry  # noqa: E402

SUBJECTS = (
    "我局", "本单位", "我委", "局办公室", "各科室", "全县各部门", "我区", "本机关", "政务公开领导小组", "各乡镇街道",
    "县政府办公室", "市政务服务中心", "我中心", "局党组", "信息公开工作专班", "各业务股室", "区政务公开办", "办公室",
)
ADVERBS = (
    "进一步", "持续", "切实", "认真", "不断", "扎实", "积极", "全面", "深入", "着力", "稳步", "主动", "及时", "严格",
    "大力", "统筹", "有序", "逐步", "创新", "坚持",
)
VERBS = (
    "加强", "完善", "规范", "推进", "落实", "优化", "健全", "深化", "提升", "拓展", "建立", "强化", "改进", "梳理",
    "更新", "整合", "调整", "细化", "开展", "组织", "修订", "编制", "推动", "压实",
)
OBJECTS = (
    "政务公开工作机制", "信息发布审核流程", "政策解读质量", "依申请公开办理程序", "政府网站专栏建设", "政务新媒体管理",
    "主动公开基本目录", "保密审查制度", "基层政务公开标准化建设", "重点领域信息公开", "政府信息管理", "公开平台功能",
    "政策文件库", "办事指南", "财政预决算公开", "公共资源配置信息", "重大建设项目信息", "行政执法公示", "双随机一公开",
    "民生实事进展", "惠企政策兑现", "社会救助信息", "教育收费信息", "医疗卫生信息", "生态环境信息", "安全生产信息",
    "食品药品监管信息", "征地拆迁信息", "就业创业信息", "乡村振兴政策", "营商环境政策", "人大代表建议办理结果",
    "政协提案办理结果", "政府开放日活动", "政务服务事项清单", "权责清单", "行政许可事项目录", "收费目录清单",
    "规范性文件备案", "历史文件清理", "政策咨询窗口", "12345热线联动", "网上留言办理", "互动交流栏目",
    "新闻发布会制度", "舆情回应机制", "业务培训", "考核评议", "社会评议", "工作台账", "档案管理", "信息公开年报编制",
    "公开指南", "申请受理登记", "答复文书格式", "法律顾问审核", "信息公开意见箱", "村务公开栏", "便民服务站点",
)
PURPOSES = (
    "保障人民群众的知情权、参与权和监督权", "提高公开工作的针对性和实效性", "增强政府公信力", "方便群众查阅和办事",
    "推动公开工作规范化、标准化", "回应社会关切", "营造良好的营商环境", "促进依法行政", "提升群众满意度",
    "确保各项政策落地见效", "切实做到应公开尽公开", "把公开融入行政权力运行全过程", "让群众看得到、听得懂、能监督",
    "提高依申请公开的答复质量", "推动形成公开常态化", "为决策提供参考",
)
TIMES = (
    "年初", "上半年", "下半年", "全年", "年内", "截至年底", "一季度", "三季度", "本年度", "报告期内", "年中", "今年以来",
)
RESULTS = (
    "取得了明显成效", "群众反映良好", "公开质量有所提升", "工作效率显著提高", "各项任务按期完成", "未发生泄密事件",
    "社会关注度持续上升", "办理时限明显缩短", "得到上级部门肯定", "形成了长效机制", "公开内容更加丰富",
)
CHANNELS = (
    "政府门户网站", "政务微信公众号", "政务微博", "政务服务大厅", "新闻发布会", "公开栏", "档案馆查阅点", "图书馆",
    "短视频平台", "报纸电视", "便民服务中心", "移动客户端",
)
PROBLEMS = (
    "公开内容的深度有待加强", "政策解读形式较为单一", "工作人员业务能力有待提高", "栏目更新不够及时",
    "基层公开规范化程度不高", "公众参与渠道不够畅通", "依申请公开答复规范性不足", "信息发布审核把关不严",
    "互动回应不够及时", "公开信息的可读性不强", "数据开放程度不高", "考核机制不够健全",
)
PATTERNS = (
    "{time}，{subj}{adv}{verb}{obj}，{adv2}{verb2}{obj2}，{purpose}。",
    "{subj}通过{channel}、{channel2}等渠道，{adv}{verb}{obj}，{time}共发布相关信息{n}条。",
    "围绕{obj}，{subj}{adv}{verb}{obj2}，{result}。",
    "{time}，{subj}组织开展{obj}专项检查{n}次，{adv}{verb}{obj2}，{purpose}。",
    "一是{adv}{verb}{obj}；二是{adv2}{verb2}{obj2}；三是{verb3}{obj3}，{result}。",
    "{subj}把{obj}作为重点，{adv}{verb}{obj2}，{time}{result}。",
    "针对{problem}的问题，{subj}将{adv}{verb}{obj}，{purpose}。",
    "在{channel}开设{obj}专栏，{adv}{verb}{obj2}，累计访问量达{n}人次。",
    "{subj}认为，{problem}，下一步将{adv}{verb}{obj}，{adv2}{verb2}{obj2}。",
    "{time}，{subj}共接待群众咨询{n}人次，{adv}{verb}{obj}，{result}。",
)


def independent_text(rng: random.Random, sentences: tuple[int, int] = (8, 16)) -> str:
    """A part written independently of every other (module docstring)."""
    out = []
    for _ in range(rng.randint(*sentences)):
        out.append(rng.choice(PATTERNS).format(
            time=rng.choice(TIMES), subj=rng.choice(SUBJECTS), adv=rng.choice(ADVERBS),
            adv2=rng.choice(ADVERBS),
            verb=rng.choice(VERBS), verb2=rng.choice(VERBS), verb3=rng.choice(VERBS), obj=rng.choice(OBJECTS),
            obj2=rng.choice(OBJECTS), obj3=rng.choice(OBJECTS), purpose=rng.choice(PURPOSES),
            result=rng.choice(RESULTS), channel=rng.choice(CHANNELS), channel2=rng.choice(CHANNELS),
            problem=rng.choice(PROBLEMS), n=rng.randint(2, 5000),
        ))
    return "".join(out)


def copy_of(text: str, rng: random.Random, rename: tuple[str, str] | None = None) -> str:
    """``text`` copied: every number changed, one sentence added in the middle, an agency renamed."""
    t = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 99)), text)
    if rename:
        t = t.replace(*rename)
    cut = t.find("。", len(t) // 2)
    added = "同时，" + independent_text(rng, (1, 1))
    return t[:cut + 1] + added + t[cut + 1:] if cut >= 0 else t + added


def seed_parts() -> list[dict[str, str]]:
    """The seeds' parts, as xxgk reads them (one dict per seed)."""
    from xxgk.api import parse

    seeds = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))
    return [{k: p.text for k, p in parse(f).parts.items()} for f in seeds]


def gen_parts(rng: random.Random) -> dict[str, str]:
    """One report's prose from ``xxgk.gen`` (overview and problems), by its part headings."""
    from xxgk.gen.content import Rates, draw

    c = draw(rng, Rates())
    parts: dict[str, list[str]] = {}
    key = None
    for b in c.blocks:
        if b.kind == "heading":
            key = {"一": "overview", "五": "problems", "六": "other"}.get(b.text[:1])
        elif key and b.kind in ("para", "subheading"):
            parts.setdefault(key, []).append(b.text)
    return {k: "\n".join(v) for k, v in parts.items()}


def corpus(n_parts: int, copy_rate: float, seed: int) -> tuple[list[ReportEntry], set[tuple[str, str, str]]]:
    """Reports of two parts each, and the injected copies as (report id, part, source report id)."""
    rng = random.Random(seed)
    n_reports = n_parts // 2
    entries = []
    for i in range(n_reports):
        entries.append(ReportEntry(
            id=f"r{i}", agency=f"A{i}", year=2024, template="2021",
            parts={"overview": independent_text(rng), "problems": independent_text(rng, (4, 8))},
        ))
    injected: set[tuple[str, str, str]] = set()
    for i in range(int(n_reports * copy_rate)):
        src = entries[rng.randrange(n_reports)]
        part = rng.choice(["overview", "problems"])
        if i % 2:  # another agency, same year
            dst = ReportEntry(id=f"c{i}", agency=f"C{i}", year=2024, template="2021",
                              parts={part: copy_of(src.parts[part], rng)})
        else:  # the same agency, next year
            dst = ReportEntry(id=f"c{i}", agency=src.agency, year=2025, template="2021",
                              parts={part: copy_of(src.parts[part], rng)})
        entries.append(dst)
        injected.add((dst.id, part, src.id))
    return entries, injected


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=20000)
    ap.add_argument("--copies", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from xxgk.corpus.copies import copies

    t0 = time.perf_counter()
    entries, injected = corpus(args.parts, args.copies, args.seed)
    t1, c1 = time.perf_counter(), time.process_time()
    found = copies(entries)
    t2, c2 = time.perf_counter(), time.process_time()
    flagged = {(f.report, str(f.detail["part"]), o) for f in found for o in f.others}
    hit = sum(1 for x in injected if x in flagged)
    wrong = [f for f in found if not any((f.report, f.detail["part"], o) in injected
                                         or (o, f.detail["part"], f.report) in injected for o in f.others)]
    parts = sum(len(e.parts) for e in entries)
    print(f"parts: {parts} in {len(entries)} reports (generated in {t1 - t0:.1f} s)")
    print(f"copies(): {t2 - t1:.1f} s wall, {c2 - c1:.1f} s CPU (one process; the machine is shared, "
          f"so CPU time is the steadier figure), {parts / (c2 - c1):.0f} parts per CPU second")
    print(f"injected copies found: {hit}/{len(injected)}; findings not about an injected copy: {len(wrong)}")


if __name__ == "__main__":
    main()
