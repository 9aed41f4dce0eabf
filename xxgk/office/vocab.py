"""The office's vocabularies. Applicant kinds, outcomes and appeal rows come from the template
declaration (``templates/report.toml``); only what the template does not hold is listed here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from xxgk.errors import XxgkError
from xxgk.template import Template, load_template, template_for_year


@dataclass(frozen=True)
class Channel:
    key: str
    label: str
    receipt_rule: str  # 条例 第三十一条: which day counts as the day of receipt


CHANNELS: dict[str, Channel] = {c.key: c for c in (
    Channel("in_person", "当面提交", "申请人提交之日"),
    Channel("registered_post", "邮寄（挂号信、快递）", "行政机关签收之日"),
    Channel("ordinary_letter", "平常信函", "行政机关与申请人确认之日"),
    Channel("online", "互联网（在线申请平台）", "双方确认之日"),
    Channel("fax", "传真", "双方确认之日"),
    Channel("email", "电子邮件", "双方确认之日"),
)}

CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "in_person": ("当面", "现场"),
    "registered_post": ("挂号信", "挂号信函", "挂号", "邮寄", "快递", "EMS"),
    "ordinary_letter": ("平信", "信函", "平常信函"),
    "online": ("网上", "在线", "互联网", "网络", "网站"),
    "fax": ("传真",),
    "email": ("电子邮件", "邮件"),
}
def resolve_channel(v: str) -> str:
    """A channel from its key, its label or the words ledgers use (当面, 挂号信, 网上申请 …)."""
    labels = {k: c.label for k, c in CHANNELS.items()}
    s = unicodedata.normalize("NFKC", v).strip()
    if s in labels or s in labels.values():
        return resolve(s, labels, "申请方式", "channel")
    if s.lower() in labels:
        return s.lower()
    bare = re.sub(r"(申请|提交|方式)$", "", s)
    exact = [k for k, words in CHANNEL_WORDS.items() if bare in words]
    if len(exact) == 1:
        return exact[0]
    found = {k for k, words in CHANNEL_WORDS.items() if any(w in s for w in words)}
    if found == {"email", "online"} and "电子邮件" in s:
        found = {"email"}
    if len(found) == 1:
        return found.pop()
    listed = "、".join(f"{k}（{lab}）" for k, lab in labels.items())
    raise XxgkError("unknown-channel", f"未知的申请方式：{v!r}；可选：{listed}",
                    f"unknown channel: {v!r}; expected one of: {', '.join(labels)}")


DOCUMENT_KINDS = {"rules": "规章", "normative": "行政规范性文件"}
ACTION_KINDS = {"licensing": "行政许可", "penalty": "行政处罚", "coercion": "行政强制", "fees": "行政事业性收费"}


def requests_block(t: Template):  # type: ignore[no-untyped-def]
    return t.table("requests").blocks[0]


def applicant_kinds(t: Template | None = None) -> dict[str, str]:
    """Column key -> label of table 三's applicant columns (总计 excluded)."""
    t = t or load_template("2021")
    return {c.key: c.label.text for c in requests_block(t).columns if c.key != "total"}


def outcomes(t: Template) -> dict[str, str]:
    """Result row key -> printed label (with numbering), for one template."""
    block = requests_block(t)
    out: dict[str, str] = {}
    parent = ""
    for row in block.rows:
        if row.group:
            parent = f"{row.numbering}{row.label.text}"
        elif row.result:
            label = f"{row.numbering}{row.label.text}"
            out[row.key] = f"{parent} {label}" if "." in row.key else label
    return out


WITHDRAWN_OUTCOME = {"2021": "other.other", "2019": "other"}
OVERDUE_CORRECTION = {"2021": "other.overdue_correction", "2019": "other"}
OVERDUE_FEE = {"2021": "other.overdue_fee", "2019": "other"}


def appeal_kinds() -> dict[str, str]:
    block = load_template("2021").table("appeals").blocks[0]
    return {r.key: r.label.text for r in block.rows}


def appeal_outcomes() -> dict[str, str]:
    block = load_template("2021").table("appeals").blocks[0]
    return {c.key: c.label.text for c in block.columns if c.key not in ("pending", "total")}


def outcome_aliases(t: Template) -> dict[str, list[str]]:
    """Result row key -> the wordings an officer may type: the label, its variants, with numbering."""
    out: dict[str, list[str]] = {}
    for row in requests_block(t).data_rows():
        if row.result:
            texts = [row.label.text, *(v.text for v in row.label.variants if not v.ocr)]
            out[row.key] = texts + [f"{row.numbering}{x}" for x in texts]
    return out


def resolve(value: str, options: dict[str, str], what_zh: str, what_en: str,
            aliases: dict[str, list[str]] | None = None) -> str:
    """A key from its key or its Chinese label; a clear error listing the options otherwise."""
    v = (value or "").strip()
    if v in options:
        return v
    for k, label in options.items():
        if v and (v == label or v == label.split(" ")[-1] or v in (aliases or {}).get(k, ())):
            return k
    listed = "、".join(f"{k}（{lab}）" for k, lab in options.items())
    raise XxgkError(f"unknown-{what_en.replace(' ', '-')}", f"未知的{what_zh}：{value!r}；可选：{listed}",
                    f"unknown {what_en}: {value!r}; expected one of: {', '.join(options)}")


def outcome_for(value: str, year: int) -> tuple[str, Template]:
    """Resolve an outcome for a decision taken in ``year``: it must be a row of that year's template."""
    t = template_for_year(year)
    opts = outcomes(t)
    if value in opts:
        return value, t
    other = [load_template(tid) for tid in ("2019", "2021") if tid != t.id]
    if other and value in outcomes(other[0]):
        raise XxgkError("outcome-template",
                        f"办理结果 {value!r} 属于{other[0].id}年版报告格式，{year}年的决定应使用{t.id}年版"
                        f"（{t.title}）的结果：{'、'.join(opts)}",
                        f"outcome {value!r} belongs to the {other[0].id} template; a decision in {year} "
                        f"takes a row of the {t.id} template: {', '.join(opts)}")
    return resolve(value, opts, "办理结果", "outcome", outcome_aliases(t)), t
