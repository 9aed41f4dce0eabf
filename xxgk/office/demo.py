"""Demo data for the office: one county's departments with a year of requests (seeded, repeatable)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from xxgk.office.service import Office
from xxgk.office.vocab import applicant_kinds, outcomes
from xxgk.template import load_template

AGENCIES = {
    "fgw": "示例县发展和改革局",
    "zjj": "示例县住房和城乡建设局",
    "zrzy": "示例县自然资源局",
}
TEXTS = {
    "overview": "{year}年，{name}深入贯彻《中华人民共和国政府信息公开条例》，依法依规做好政府信息公开工作。"
                "本报告由 xxgk 依据本机关政府信息公开申请台账生成（示例数据）。",
    "problems": "一是依申请公开答复文书规范性有待加强；二是主动公开栏目更新不够及时。下一步将加强业务培训，"
                "落实台账管理，确保按期答复。",
    "other": "本年度未收取信息处理费。",
}


def populate(office: Office, year: int = 2024, per_agency: int = 120, seed: int = 7) -> dict[str, int]:
    """Fill an empty office database with a year of demo records; returns requests per agency."""
    rng = random.Random(seed)
    cal = office.calendar()
    today = dt.date(year + 1, 1, 20)
    kinds = list(applicant_kinds())
    plain = [k for k in outcomes(load_template("2021" if year >= 2021 else "2019")) if not k.startswith("other.")]
    days = [dt.date(year - 1, 11, 1) + dt.timedelta(days=i) for i in range(425)]
    workdays = [d for d in days if d.year <= year and cal.is_workday(d)]
    counts = {}
    for code, name in AGENCIES.items():
        office.add_agency(code, name)
        batch = []
        for i in range(per_agency):
            received = rng.choice(workdays)
            item = {"applicant": {"kind": rng.choices(kinds, [75, 10, 2, 3, 5, 5])[0], "name": f"申请人{i:03d}"},
                    "channel": rng.choice(["online", "online", "in_person", "registered_post", "email"]),
                    "received_on": received, "description": rng.choice(
                        ["征地补偿安置方案", "建设项目审批文件", "政府投资项目立项批复", "房屋征收决定",
                         "规划许可证及附图", "本单位年度预算执行情况"])}
            if rng.random() < 0.9:
                decided = cal.add(received, rng.randint(1, 22)).due
                if decided <= today:
                    item.update(decided_on=decided, outcome=rng.choices(plain, [50, 12] + [1] * (len(plain) - 2))[0])
            batch.append(item)
        office.add_requests(code, batch, today=today)
        counts[code] = len(batch)
        for part, text in TEXTS.items():
            office.set_text(code, year, part, text.format(year=year, name=name))
        office.add_document(code, "normative", f"{name}关于规范政府信息公开工作的通知", f"{code}规〔{year}〕1号",
                            dt.date(year, 3, 1))
        office.add_actions(code, "licensing", [(f"{code}-许-{k}", dt.date(year, 1 + k % 12, 10), None)
                                               for k in range(rng.randint(20, 200))])
        office.add_actions(code, "fees", [(f"{code}-费-1", dt.date(year, 6, 1), Decimal("15996.59"))])
    office.add_appeal("fgw", "reconsideration", dt.date(year, 10, 15))
    return counts
