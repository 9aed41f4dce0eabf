"""What kind of agency a report is from, decided from everything the report says.

The kind decides the statutory deadline (条例 第四十九条): a local government's own report on its
level is published by 31 March; departments of governments at county level and above by 31
January. Townships and street offices are not named by the article; common practice publishes
their reports with the departments', by 31 January (UNCONFIRMED, said so in the output).

The evidence, strongest first: the agency named in the title, the agency in the signature, and
how the body speaks of itself (我县/全区 … a government; 我局/本委 … a department). Every piece of
evidence found is kept, in words, so the checker can say which deadline it applied and why.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["government", "office", "department", "township", "other"]
KINDS: tuple[str, ...] = ("government", "office", "department", "township", "other")
KIND_ZH = {
    "government": "人民政府（本级政府）", "office": "政府办公室（厅）", "department": "政府部门",
    "township": "乡镇、街道", "other": "其他机关",
}

_TOWNSHIP = re.compile(r"(?:[乡镇]人民政府|[乡镇]政府|街道办事处|街道办|街道工委|苏木人民政府)$")
_OFFICE = re.compile(r"人民政府办公(?:室|厅)$|政府办公(?:室|厅)$|政府办$")
_GOVERNMENT = re.compile(r"(?:[省市县区州盟旗]|自治[区州县旗])人民政府$|行政公署$|^[^\s]{2,12}?[省市县区州盟旗]政府$")
_REGION_ONLY = re.compile(r"^[^\s]{1,12}?(?:省|自治区|市|自治州|州|盟|县|自治县|旗|区)$")
_DEPARTMENT = re.compile(
    r"(?:局|委员会|委|厅|办公室|办|中心|院|署|处|所|站|队|监狱|管委会|管理委员会|公司|大学|学校)$"
)
# How the body speaks of itself.
_GOV_SELF = re.compile(r"(?:我|本|全)(?:省|市|县|区|州|旗)(?![委局厅办])")
_DEPT_SELF = re.compile(r"(?:我|本)(?:局|委|厅|办|中心|院|署|单位|部门)(?![长任])")

DEADLINE_LAW = "条例第四十九条"


@dataclass
class KindDecision:
    kind: Kind
    reasons: list[str] = field(default_factory=list)  # in Chinese, each a piece of evidence
    reasons_en: list[str] = field(default_factory=list)
    overridden: bool = False

    @property
    def government(self) -> bool:
        return self.kind == "government"

    def deadline(self, report_year: int) -> dt.date:
        return dt.date(report_year + 1, 3, 31) if self.government else dt.date(report_year + 1, 1, 31)

    @property
    def basis(self) -> str:
        if self.government:
            return f"本级政府年度报告，{DEADLINE_LAW}规定3月31日前公布"
        if self.kind in ("township", "other"):
            return "按部门年度报告的1月31日期限（乡镇、街道的期限条例未明定，此为通行做法，未经确认）"
        return f"政府部门年度报告，{DEADLINE_LAW}规定1月31日前公布"

    @property
    def basis_en(self) -> str:
        if self.government:
            return "a government's own report: by 31 March (条例 art. 49)"
        if self.kind in ("township", "other"):
            return ("the departments' deadline of 31 January (the article names no deadline for "
                    "townships and street offices; common practice, UNCONFIRMED)")
        return "a department's report: by 31 January (条例 art. 49)"


def kind_of_name(name: str) -> Kind | None:
    """The kind an agency's name says, or None when the name does not say."""
    n = re.sub(r"\s+", "", name or "")
    if not n:
        return None
    if _TOWNSHIP.search(n):
        return "township"
    if _OFFICE.search(n):
        return "office"
    if n.endswith("人民政府") or _GOVERNMENT.search(n):
        return "government"
    if _DEPARTMENT.search(n):
        return "department"
    return None


def decide(
    title_agency: str | None, signature_agency: str | None, body: str,
    override: str | None = None,
) -> KindDecision:
    """The agency's kind from the title's agency, the signature's and the body's self-reference."""
    if override and override != "auto":
        kind = "government" if override == "government" else override
        return KindDecision(kind, [f"由 --agency-kind 指定为{KIND_ZH.get(kind, kind)}"],  # type: ignore[arg-type]
                            [f"set by --agency-kind: {kind}"], overridden=True)
    votes: dict[str, int] = {}
    evidence: list[tuple[str, str, str]] = []

    def vote(kind: Kind, weight: int, zh: str, en: str) -> None:
        votes[kind] = votes.get(kind, 0) + weight
        evidence.append((kind, zh, en))

    t = (title_agency or "").strip()
    if t:
        k = kind_of_name(t)
        if k is None and _REGION_ONLY.match(t):
            k = "government"  # "安泽县2021年政府信息公开工作年度报告": the region's own report
        if k is not None:
            vote(k, 4, f"标题署名“{t}”（{KIND_ZH[k]}）", f"the title names {t} ({k})")
    s = (signature_agency or "").strip()
    if s:
        k = kind_of_name(s)
        if k is not None:
            vote(k, 3, f"落款“{s}”（{KIND_ZH[k]}）", f"signed {s} ({k})")
    gov = _GOV_SELF.findall(body)
    dept = _DEPT_SELF.findall(body)
    if len(gov) >= 2 and len(gov) > 2 * len(dept):
        common = max(set(gov), key=gov.count)
        vote("government", 2, f"正文以“{common}”自称（{len(gov)}处）", f"the body speaks of {common} ({len(gov)} times)")
    elif len(dept) >= 2 and len(dept) > 2 * len(gov):
        common = max(set(dept), key=dept.count)
        vote("department", 2, f"正文以“{common}”自称（{len(dept)}处）", f"the body speaks of {common} ({len(dept)} times)")
    if not votes:
        return KindDecision("department", ["报告未写明机关类别，按部门报告的较早期限核查"],
                            ["the report does not say what kind of agency it is; checked against the "
                             "departments' (earlier) deadline"])
    kind = max(votes, key=lambda k: (votes[k], k == "department"))
    reasons = [zh for k, zh, _ in evidence if k == kind] + [f"另：{zh}" for k, zh, _ in evidence if k != kind]
    reasons_en = [en for k, _, en in evidence if k == kind] + [f"but {en}" for k, _, en in evidence if k != kind]
    return KindDecision(kind, reasons, reasons_en)  # type: ignore[arg-type]
