"""The catalogue of checks: every rule's stable code, severity and description, in one place.

The arithmetic rules come from the template declaration (``templates/report.toml``); the others
are declared here. ``docs/rules.md`` is generated from this catalogue (``xxgk rules --format md``)
and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from xxgk.model import Severity
from xxgk.template import load_template, template_ids


@dataclass(frozen=True)
class RuleInfo:
    code: str
    severity: Severity
    title: str
    title_en: str
    group: str


_RULES: list[RuleInfo] = [
    # structure
    RuleInfo("part-missing", "error", "缺少报告的组成部分（六部分之一）",
             "one of the six parts of the report is missing", "structure"),
    RuleInfo("part-heading-missing", "warning", "组成部分没有标题（表格存在，但无“三、…”等标题）",
             "a part has no heading (its table is there)", "structure"),
    RuleInfo("table-missing", "error", "缺少统计表", "a statistical table is missing", "structure"),
    RuleInfo("row-missing", "error", "统计表缺少行", "a table row is missing", "structure"),
    RuleInfo("template-year-mismatch", "error", "统计表格式与报告年度不符（2021年及以后应使用2021年新模板）",
             "the tables use the wrong template for the report year", "structure"),
    RuleInfo("template-undetected", "warning", "无法从表格判断所用模板",
             "the template could not be told from the tables", "structure"),
    RuleInfo("agency-unnamed", "warning", "报告未写明发布机关名称", "the report does not name its agency",
             "structure"),
    RuleInfo("year-unknown", "warning", "无法确定报告年度", "the report year cannot be determined", "structure"),
    RuleInfo("several-reports", "warning", "文件中含有多份年度报告，只读取了第一份",
             "the file holds several reports; only the first was read", "structure"),
    # timeliness and period
    RuleInfo("late-publication", "error", "发布晚于法定期限（部门1月31日前，本级政府3月31日前）",
             "published after the legal deadline (31 January for departments, 31 March for a "
             "government's own report)", "timeliness"),
    RuleInfo("deadline-applied", "info", "发布期限核查：所用期限及其依据（机关类别由标题、落款和正文判断）",
             "the deadline applied and why (the agency's kind, from title, signature and body)", "timeliness"),
    RuleInfo("published-date-unknown", "info", "报告中未找到发布日期", "no publication date in the report",
             "timeliness"),
    RuleInfo("period-not-calendar-year", "error", "统计期限不是报告年度的1月1日至12月31日",
             "the statistics period is not 1 January to 31 December of the report year", "timeliness"),
    # prose
    RuleInfo("prose-number-missing", "warning", "正文中数字缺失（如“公开信息共条”）",
             "a figure in the prose has its number left out", "prose"),
    RuleInfo("prose-contradicts-table", "warning", "正文数字与统计表不一致",
             "a figure in the prose contradicts the tables", "prose"),
    # reading
    RuleInfo("cell-ambiguous", "error", "表格数字无法唯一确定（已列出候选值）",
             "a table number cannot be determined from the text (candidates listed)", "reading"),
    RuleInfo("cell-inferred", "info", "表格数字由勾稽关系推定（原文未印出或连写）",
             "table numbers were placed or computed by the arithmetic", "reading"),
    RuleInfo("row-width", "warning", "表格行印出的数字个数与列数不符",
             "table rows print more or fewer numbers than the template has columns", "reading"),
    RuleInfo("digits-run-together", "warning", "表格数字连写，无分隔", "table numbers run together",
             "reading"),
    RuleInfo("cell-blank", "warning", "表格中个别单元格空白，而本表其他各格的0均印出（可能漏印了数字）",
             "a table cell is printed empty in a table that prints its zeros (a number may be lost)",
             "reading"),
    RuleInfo("text-damaged", "warning", "文件有无法解码的损坏字节（已替换为“\ufffd”），该处文字可能缺失或有误",
             "the file has bytes that decode in no encoding (replaced): text there may be lost or wrong",
             "reading"),
    RuleInfo("label-variant", "info", "表格标签与模板用语不一致（旧称、简称或错别字）",
             "a table label differs from the template's wording", "reading"),
    # across reports (xxgk.corpus.checks): each compares a report with others of the corpus
    RuleInfo("corpus-carryover-mismatch", "error",
             "本年“上年结转政府信息公开申请数量”与上年报告“结转下年度继续办理”不一致",
             "this year's applications carried in differ from last year's report's carried out",
             "corpus"),
    RuleInfo("corpus-in-force-mismatch", "warning",
             "现行有效件数不衔接：上年现行有效件数＋本年制发－本年废止≠本年现行有效件数",
             "documents in force do not follow on: last year's in force + issued − repealed ≠ this "
             "year's in force", "corpus"),
    RuleInfo("corpus-continuity-unchecked", "info", "与上年报告的衔接无法核查（相关单元格空缺或存疑）",
             "continuity with last year's report cannot be checked (the cells are empty or doubtful)",
             "corpus"),
    RuleInfo("corpus-report-missing", "error", "法定期限已过，未收到该机关的年度报告",
             "the deadline has passed and the agency has no report", "corpus"),
    RuleInfo("corpus-report-late", "error", "年度报告晚于法定期限发布（按机关名录中的机关类别确定期限）",
             "the report was published after the deadline of the agency's kind in the registry", "corpus"),
    RuleInfo("corpus-published-unknown", "info", "已收到年度报告，但发布日期不详，无法核查是否按时",
             "a report was received but its publication date is unknown", "corpus"),
    RuleInfo("corpus-text-copied", "warning", "报告文字与其他机关的报告高度雷同",
             "a part's text is nearly identical to another agency's report", "corpus"),
    RuleInfo("corpus-text-reused", "info", "报告文字与本机关往年报告基本相同",
             "a part's text is nearly the same as the agency's own earlier report", "corpus"),
    RuleInfo("corpus-problems-reused", "warning", "“存在的主要问题及改进情况”与本机关往年报告基本相同",
             "the problems and improvements are nearly the same as in the agency's earlier report",
             "corpus"),
    RuleInfo("corpus-outlier-history", "warning", "数字较本机关往年中位数变化十倍以上",
             "a figure changed tenfold or more against the median of the agency's earlier years",
             "corpus"),
    RuleInfo("corpus-outlier-peers", "info", "比例明显偏离同类别、同层级机关（稳健Z分数）",
             "a share far from agencies of the same kind and level (robust z-score)", "corpus"),
]


def arithmetic_rules() -> list[RuleInfo]:
    seen: dict[str, RuleInfo] = {}
    for tid in template_ids():
        for r in load_template(tid).rules:
            seen.setdefault(r.code, RuleInfo(r.code, "error", r.title, r.title_en, "arithmetic"))
    return list(seen.values())


def all_rules() -> list[RuleInfo]:
    return arithmetic_rules() + _RULES


def rule(code: str) -> RuleInfo:
    for r in all_rules():
        if r.code == code:
            return r
    raise KeyError(code)


def rules_markdown() -> str:
    lines = [
        "# 核查规则 / Checks",
        "",
        "Generated by `xxgk rules --format md`; do not edit by hand.",
        "",
        "| code | severity | 规则 | rule |",
        "|---|---|---|---|",
    ]
    for r in all_rules():
        lines.append(f"| `{r.code}` | {r.severity} | {r.title} | {r.title_en} |")
    return "\n".join(lines) + "\n"
