"""The prose of a synthetic country's report: parts 一 (总体情况), 五 (存在的主要问题及改进情况) and
六 (其他需要报告的事项), different from one agency to the next and one year to the next, so that only
injected copies read alike.

Every part is a function of two things kept apart: its *wording* (which sentences, in which
order: drawn from ``random.Random(key)``) and its *facts* (the agency's name, how it speaks of
itself, the year, the figures). An honest report's key is its own; a copied part uses the key of
the report it copies from with its own facts — the source's text with the names and numbers
changed, as copying is done. The figures stated are the cells the tables print (the reader
cross-checks them), so a copy is never told by a contradiction, only by its likeness.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PARTS = ("overview", "problems", "other")


@dataclass(frozen=True)
class Facts:
    agency: str  # as printed in this report
    me: str  # 我局, 我县
    area: str  # 全县
    kind: str
    field: str
    year: int
    received: int  # requests.new.total as printed
    handled: int  # requests.total.total as printed
    normative_issued: int
    normative_repealed: int
    normative_in_force: int
    licensing: int
    penalty: int
    items: int
    interpretations: int
    trainings: int
    hotline: int


_GUIDE = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神",
    "在上级政务公开主管部门的指导下，认真贯彻落实《中华人民共和国政府信息公开条例》",
    "深入贯彻落实党中央、国务院关于全面推进政务公开的决策部署",
    "坚持以人民为中心的发展思想，严格执行《中华人民共和国政府信息公开条例》",
    "紧紧围绕年度中心工作，对照政务公开工作要点",
    "按照“公开为常态、不公开为例外”的原则",
    "以提升政务公开质量为目标，聚焦群众关切",
)
_AIM = (
    "持续深化政务公开，不断提升公开质量和实效",
    "扎实推进决策、执行、管理、服务、结果公开",
    "着力加强政策解读和回应关切，切实保障人民群众知情权、参与权、表达权和监督权",
    "推动政务公开标准化规范化建设，助力法治政府建设",
    "不断拓展公开深度和广度，提升政府透明度和公信力",
    "以公开促落实、以公开促规范、以公开促服务",
)
_CHANNEL = ("政府门户网站", "政府信息公开专栏", "政务新媒体和门户网站", "政府网站和政务公开栏", "“一网通办”平台和门户网站")
_PROACTIVE = (
    "{y}年，{me}通过{ch}主动公开政府信息{items}条，内容涵盖机构职能、政策文件、财政预决算、人事信息等。",
    "全年主动公开政府信息{items}条，及时更新机构信息、工作动态和政策文件，做到应公开尽公开。",
    "{me}依托{ch}累计发布政府信息{items}条，重点公开群众关心关注的事项。",
    "围绕重点领域信息公开，{me}全年共发布政府信息{items}条，其中工作动态占比较大。",
)
_INTERPRET = (
    "坚持政策文件与解读材料同步组织、同步审签、同步发布，全年发布政策解读{interp}篇。",
    "创新解读形式，采用图表图解、视频动漫等方式发布政策解读{interp}篇。",
    "主要负责同志带头解读政策，全年发布政策解读{interp}篇，回应社会关切。",
    "加强政策解读工作，全年发布解读稿件{interp}篇，提高政策知晓度。",
)
_NORMATIVE = (
    "本年制发规范性文件{ni}件，废止规范性文件{nr}件，现行有效规范性文件{nf}件，均在网站专栏集中公开。",
    "严格规范性文件管理，本年制发规范性文件{ni}件，均按规定进行合法性审核并及时公开。",
    "开展规范性文件清理工作，废止规范性文件{nr}件，现行有效规范性文件{nf}件。",
)
_ENFORCE = (
    "全面落实行政执法“三项制度”，全年办理行政许可{lic}件，作出行政处罚决定{pen}件，均在规定时限内公示。",
    "坚持“双公示”制度，作出行政处罚决定{pen}件，办理行政许可{lic}件，相关信息在信用平台同步公开。",
)
_REQUESTS = (
    "{y}年，{me}共收到政府信息公开申请{rec}件，办理政府信息公开申请{hd}件，均在法定期限内答复。",
    "全年收到政府信息公开申请{rec}件，{me}严格按照法定程序受理、审查和答复，未发生超期答复情况。",
    "规范依申请公开办理流程，全年收到政府信息公开申请{rec}件，办理政府信息公开申请{hd}件。",
    "{me}进一步完善依申请公开工作机制，实行登记、审核、答复全流程管理，全年收到政府信息公开申请{rec}件。",
)
_MANAGE = (
    "严格落实公开前保密审查制度，坚持“先审查、后公开”和“一事一审”原则，全年未发生泄密事件。",
    "动态调整主动公开基本目录，及时清理过时信息，确保公开信息准确、完整、有效。",
    "健全政府信息公开属性源头认定机制，公文在拟制时即明确公开属性。",
    "规范政府信息发布流程，落实信息发布“三审三校”制度，确保信息发布安全。",
    "加强政府信息管理，对历年发布的政策文件进行梳理，标注有效性。",
)
_PLATFORM = (
    "进一步优化政府信息公开专栏，完善栏目设置，提高信息检索便利度。",
    "加强政务新媒体管理，及时关停整合更新不及时的账号，拓宽公开渠道。",
    "推进政府网站集约化建设，统一信息发布标准，提升平台服务能力。",
    "在办事大厅、图书馆等场所设置政府信息查阅点，方便群众查阅。",
    "依托12345热线受理群众诉求{hot}件，及时回应社会关切。",
)
_SUPERVISE = (
    "将政务公开工作纳入年度目标考核，组织业务培训{tr}次，主动接受社会监督。",
    "成立政务公开工作领导小组，明确专人负责，全年开展政务公开专题培训{tr}次。",
    "建立政务公开工作定期通报制度，组织工作人员参加培训{tr}次，提升业务能力。",
    "畅通社会评议渠道，认真听取意见建议，全年未发生因政务公开工作引发的责任追究。",
)
_FIELD = {
    "education": "围绕招生入学、教育收费、学校安全等群众关注事项，及时公开招生政策和收费标准。",
    "police": "及时公开户籍办理、出入境、交通管理等办事指南，推进警务公开。",
    "civil": "做好社会救助、养老服务、婚姻登记等领域信息公开，及时公布低保、特困人员救助资金发放情况。",
    "finance": "按规定公开政府预决算和“三公”经费，细化公开内容，接受社会监督。",
    "labour": "及时公开就业创业扶持政策、社会保险待遇调整、职业技能培训等信息。",
    "land": "公开国土空间规划、土地征收、不动产登记等信息，保障群众合法权益。",
    "ecology": "及时公开环境质量状况、建设项目环评审批和生态环境执法信息。",
    "housing": "做好保障性住房、建筑市场监管、城镇老旧小区改造等信息公开。",
    "transport": "公开交通基础设施建设项目信息和道路运输行政许可办理情况。",
    "water": "公开水利工程建设、水资源管理、防汛抗旱等重点信息。",
    "agriculture": "及时公开强农惠农富农政策、农业补贴发放和乡村振兴项目信息。",
    "health": "及时公开公共卫生、医疗机构执业、健康促进等领域信息。",
    "market": "公开市场主体登记、食品药品安全监督抽检和行政执法信息。",
    "emergency": "公开安全生产、防灾减灾救灾和应急管理信息，提升群众安全意识。",
    "medical": "公开医疗保障待遇政策、医保基金监管和定点医药机构信息。",
    "government": "围绕重大决策、重点项目和民生实事，加大公开力度。",
    "township": "通过村（居）务公开栏公开惠民补贴、低保评定、项目建设等群众关心事项。",
}
_PROBLEM = (
    "政策解读形式较为单一，图文、视频等多样化解读运用不够",
    "公开内容的深度和广度有待加强，部分领域信息更新不够及时",
    "工作人员业务水平有待提高，对条例理解还不够深入",
    "依申请公开答复的规范性有待进一步提升",
    "政务新媒体运维力量不足，互动回应还不够及时",
    "主动公开基本目录动态调整不够及时",
    "基层政务公开标准化规范化建设还需加强",
    "政府信息公开专栏部分栏目内容不够丰富",
    "信息发布审核把关还需进一步严格",
    "回应社会关切的主动性和时效性还有差距",
)
_IMPROVE = (
    "加强业务培训，提升工作人员政务公开业务能力",
    "丰富政策解读形式，提高解读质量",
    "加大重点领域信息公开力度，及时更新公开内容",
    "规范依申请公开办理流程，提升答复质量",
    "完善政务公开考核评估机制，压实工作责任",
    "加强政务新媒体管理，增强互动回应能力",
    "持续优化政府信息公开专栏，提升用户体验",
    "严格落实信息发布审核制度，确保信息安全",
)
_OTHER = (
    "本年度未收取信息处理费。",
    "{y}年度未收取政府信息公开信息处理费。",
    "本年度{me}未发生收取信息处理费的情况。",
    "依据《政府信息公开信息处理费管理办法》，本年度未收取信息处理费。",
)
_OTHER_MORE = (
    "本年度无其他需要报告的事项。",
    "{y}年，{me}认真落实年度政务公开工作要点，各项任务均按期完成。",
    "{me}认真办理人大代表建议和政协委员提案，办理结果按规定公开。",
    "无其他需要报告的事项。",
)
_NUMS = ("一", "二", "三", "四", "五")


def _fill(template: str, f: Facts, ch: str) -> str:
    return template.format(
        y=f.year, me=f.me, area=f.area, ch=ch, items=f.items, interp=f.interpretations, ni=f.normative_issued,
        nr=f.normative_repealed, nf=f.normative_in_force, lic=f.licensing, pen=f.penalty, rec=f.received,
        hd=f.handled, hot=f.hotline, tr=f.trainings)


def overview(f: Facts, key: str) -> list[str]:
    """Part 一: an opening paragraph, the period, then (一)…(五) as ``head。body`` or ``head\\nbody``."""
    rng = random.Random(f"{key}/overview")
    ch = rng.choice(_CHANNEL)
    intro = (f"{f.year}年，{f.agency}{rng.choice(_GUIDE)}，{rng.choice(_AIM)}。"
             + ("现将本年度政府信息公开工作情况报告如下。" if rng.random() < 0.5 else
                f"现将{f.year}年度政府信息公开工作年度报告公布如下。"))
    period = rng.choice([f"本报告所列数据统计期限自{f.year}年1月1日起至{f.year}年12月31日止。",
                         f"本报告中所列数据的统计期限自{f.year}年1月1日起至{f.year}年12月31日止。"])
    # every draw is made whatever the facts, so that a copy made with other facts keeps the wording
    proactive = [rng.choice(_PROACTIVE), rng.choice(_INTERPRET)]
    normative, use_normative = rng.choice(_NORMATIVE), rng.random() < 0.7
    enforce = rng.choice(_ENFORCE)
    use_field = rng.random() < 0.8
    if use_normative and f.kind in ("government", "office", "department"):
        proactive.append(normative)
    if f.licensing or f.penalty:
        proactive.append(enforce)
    if use_field and f.field in _FIELD:
        proactive.insert(1, _FIELD[f.field])
    subs = [
        ("主动公开", proactive),
        ("依申请公开", [rng.choice(_REQUESTS)]),
        ("政府信息管理", rng.sample(_MANAGE, 2)),
        ("平台建设", rng.sample(_PLATFORM, 2)),
        ("监督保障", rng.sample(_SUPERVISE, 2)),
    ]
    k = rng.randint(3, len(subs))
    out = [intro, period] if rng.random() < 0.7 else [intro + period]
    for i, (head, sentences) in enumerate(subs[:k]):
        body = "".join(_fill(s, f, ch) for s in sentences)
        sep = "。" if rng.random() < 0.5 else "\n"
        out.append(f"（{_NUMS[i]}）{head}{sep}{body}")
    return out


def problems(f: Facts, key: str) -> list[str]:
    rng = random.Random(f"{key}/problems")
    probs = rng.sample(_PROBLEM, rng.randint(2, 4))
    fixes = rng.sample(_IMPROVE, rng.randint(2, 4))
    lead = rng.choice(["{y}年，{me}政府信息公开工作取得了一定成效，但也存在一些不足：",
                       "对照新形势新要求，{me}政务公开工作仍存在一些问题：",
                       "一年来，{me}政府信息公开工作虽取得一定成效，但仍存在以下不足："])
    first = _fill(lead, f, "") + "一是" + "；".join(
        (["", "二是", "三是", "四是"][i] + p) for i, p in enumerate(probs)) + "。"
    nxt = rng.choice(["{y1}年，{me}将", "下一步，{me}将", "针对上述问题，{me}将"])
    second = nxt.format(y1=f.year + 1, me=f.me) + "：" + "；".join(fixes) + "，推动政务公开工作再上新台阶。"
    return [first, second]


def other(f: Facts, key: str) -> list[str]:
    rng = random.Random(f"{key}/other")
    out = [_fill(rng.choice(_OTHER), f, "")]
    if rng.random() < 0.6:
        out.append(_fill(rng.choice(_OTHER_MORE), f, ""))
    return out


def prose(f: Facts, keys: dict[str, str]) -> dict[str, list[str]]:
    """The three parts, each worded by its key in ``keys`` (its own, or a copied report's)."""
    return {"overview": overview(f, keys["overview"]), "problems": problems(f, keys["problems"]),
            "other": other(f, keys["other"])}
