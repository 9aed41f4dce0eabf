"""Checks across reports: each report seen against the agency's previous year and the others.

Pure functions over :class:`~xxgk.corpus.types.ReportEntry` and
:class:`~xxgk.corpus.types.AgencyRecord` (no database, no I/O). Every rule has a stable code in
:mod:`xxgk.checks.rules` (group ``corpus``) and produces :class:`~xxgk.corpus.types.CorpusFinding`
records, Chinese message first.

- continuity (:func:`continuity`): this year's 上年结转 cells equal last year's 结转下年度继续办理
  cells, column by column (``corpus-carryover-mismatch``, error: the two are one number printed
  twice); 现行有效件数 follows on, row by row: last year's in force + 本年制发 − 本年废止 = this
  year's (``corpus-in-force-mismatch``, warning only: a normative document whose term of validity
  runs out leaves force without being repealed, so a gap is a question, not proof). Only where
  both years' reports exist and both cells exist in their templates and are known (a null,
  ambiguous or missing cell is skipped, and the findings' ``detail["skipped"]`` says which and
  why; a carry-over cell printed empty in both reports agrees). The 2019 template has no
  现行有效件数 (its 对外公开总数量 is not the same measure) and no 本年废止件数, so the in-force check runs only between two 2021-template reports. When no cell
  of a check can be compared at all, ``corpus-continuity-unchecked`` (info) says so.
- missing and late (:func:`missing_and_late`): the deadline of each expected agency comes from its
  kind in the registry through :mod:`xxgk.agency` (31 March for a government's own report, 31
  January otherwise). No report and the deadline passed by ``as_of``: missing (error). No report
  and the deadline not yet passed: nothing is found (nothing is wrong yet; the status table says
  未到期). A report published after the deadline: late (error, days late); a report whose
  publication date is unknown: ``corpus-published-unknown`` (info).
- copied text (雷同): :mod:`xxgk.corpus.copies`;
- outliers: :mod:`xxgk.corpus.outliers`.

:func:`check_corpus` runs them all (or the ``rules`` asked for).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from xxgk.agency import KIND_ZH, KindDecision
from xxgk.checks.rules import RuleInfo, all_rules
from xxgk.corpus.types import AgencyRecord, CorpusFinding, ReportEntry
from xxgk.template import Template, load_template

__all__ = [
    "CONTINUITY_RULES", "COPY_RULES", "OUTLIER_RULES", "TIMELINESS_RULES", "check_corpus", "continuity",
    "STATE_ZH", "Timeliness", "current", "deadline", "finding", "missing_and_late", "reports_by_agency",
    "timeliness",
]

CONTINUITY_RULES = ("corpus-carryover-mismatch", "corpus-in-force-mismatch", "corpus-continuity-unchecked")
TIMELINESS_RULES = ("corpus-report-missing", "corpus-report-late", "corpus-published-unknown")
COPY_RULES = ("corpus-text-copied", "corpus-text-reused", "corpus-problems-reused")
OUTLIER_RULES = ("corpus-outlier-history", "corpus-outlier-peers")

# Why a cell was not compared, in words (keys: the reader contract's statuses, or our own).
SKIP_ZH = {
    "ambiguous": "数字存疑", "missing": "未找到该行或该表", "blank": "空白未填", "null": "空缺",
    "absent": "该报告所用模板无此单元格", "template-2019": "2019年模板无“现行有效件数”“本年废止件数”"
    "（其“对外公开总数量”含义不同），未核查",
}
_UNUSABLE = ("ambiguous", "missing")


@cache
def _catalogue() -> dict[str, RuleInfo]:
    return {r.code: r for r in all_rules()}


def finding(code: str, message: str, message_en: str, entry: ReportEntry | None = None, *,
            agency: str | None = None, year: int | None = None, cells: Sequence[str] = (),
            others: Sequence[str] = (), detail: dict[str, object] | None = None) -> CorpusFinding:
    """A finding of rule ``code`` with the severity the catalogue gives it (one source of truth)."""
    r = _catalogue()[code]
    return CorpusFinding(
        rule=code, severity=r.severity, message=message, message_en=message_en,
        report=entry.id if entry else None, agency=entry.agency if entry else agency,
        year=entry.year if entry else year, cells=list(cells), others=list(others), detail=detail or {},
    )


def _published_key(e: ReportEntry) -> tuple[dt.date, str]:
    return (e.published or dt.date.min, e.id)


def current(entries: Iterable[ReportEntry]) -> dict[tuple[str, int], ReportEntry]:
    """The report of each (agency, year) that stands: the latest published (a corrected
    re-publication replaces the first), ties broken by id. Entries without agency or year are left out."""
    out: dict[tuple[str, int], ReportEntry] = {}
    for e in entries:
        if e.agency is None or e.year is None:
            continue
        k = (e.agency, e.year)
        if k not in out or _published_key(e) > _published_key(out[k]):
            out[k] = e
    return out


@cache
def _cell_ids(template_id: str) -> frozenset[str]:
    return frozenset(load_template(template_id).cell_ids)


def _value(e: ReportEntry, t: Template, cell: str) -> tuple[float | int | None, str | None]:
    """The cell's value, or None and why it cannot be used."""
    if cell not in _cell_ids(t.id):
        return None, "absent"
    status = e.statuses.get(cell)
    if status in _UNUSABLE:
        return None, status
    v = e.cells.get(cell)
    if v is None:
        return None, "blank" if status == "blank" else ("missing" if cell not in e.cells else "null")
    return v, None


def _fmt(v: float | int) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _template(e: ReportEntry) -> Template | None:
    try:
        return load_template(e.template)
    except KeyError:
        return None


# ---------------------------------------------------------------- continuity


def _carryover(prev: ReportEntry, cur: ReportEntry, tp: Template, tc: Template) -> list[CorpusFinding]:
    block = tc.table("requests").blocks[0]
    diffs: list[dict[str, object]] = []
    skipped: list[dict[str, str]] = []
    compared = 0
    for col in block.columns:
        last_cell, this_cell = f"requests.carried_out.{col.key}", f"requests.carried_in.{col.key}"
        a, why_a = _value(prev, tp, last_cell)
        b, why_b = _value(cur, tc, this_cell)
        if why_a == "blank" and why_b == "blank":
            compared += 1  # printed empty in both: the same thing printed twice, nothing to contradict
            continue
        # an empty cell against a printed number: empty is at most zero (tables leave zeros blank), so
        # it agrees with 0 and contradicts anything else
        if why_a == "blank" and why_b is None:
            a, why_a = 0, None
        elif why_b == "blank" and why_a is None:
            b, why_b = 0, None
        if why_a or why_b:
            reason = why_b or why_a or ""
            skipped.append({"cell": this_cell, "reason": reason, "reason_zh": SKIP_ZH[reason],
                            "report": cur.id if why_b else prev.id})
            continue
        assert a is not None and b is not None
        compared += 1
        if abs(a - b) > 1e-9:
            diffs.append({"column": col.key, "column_zh": col.label.text, "cell": this_cell,
                          "value": b, "previous_cell": last_cell, "previous_value": a})
    if compared == 0:
        return [finding(
            "corpus-continuity-unchecked",
            f"无法核查与{prev.year}年报告（{prev.id}）的衔接：“上年结转”与上年“结转下年度继续办理”各列均空缺或存疑",
            f"carry-over against the {prev.year} report ({prev.id}) cannot be checked: no column is known "
            "in both reports", cur, others=[prev.id], detail={"check": "carryover", "skipped": skipped})]
    if not diffs:
        return []
    pairs = [(str(d["column_zh"]), str(d["column"]), _fmt(d["value"]), _fmt(d["previous_value"]))  # type: ignore[arg-type]
             for d in diffs]
    zh = "；".join(f"{c_zh}：本年{v}，上年{p}" for c_zh, _, v, p in pairs)
    en = "; ".join(f"{c}: {v} vs {p}" for _, c, v, p in pairs)
    return [finding(
        "corpus-carryover-mismatch",
        f"“上年结转政府信息公开申请数量”与{prev.year}年报告（{prev.id}）“结转下年度继续办理”不一致：{zh}",
        f"applications carried in differ from those carried out in the {prev.year} report ({prev.id}): {en}",
        cur, cells=[str(d["cell"]) for d in diffs], others=[prev.id],
        detail={"previous_report": prev.id, "differences": diffs, "skipped": skipped},
    )]


def _in_force(prev: ReportEntry, cur: ReportEntry, tp: Template, tc: Template) -> list[CorpusFinding]:
    rows = [(b, r) for b in tc.table("proactive").blocks for r in b.data_rows()
            if any(c.key == "in_force" for c in b.row_columns(r))]
    if not rows or tp.id == "2019":
        return []  # the 2019 template has no 现行有效件数: nothing to follow on (module docstring)
    out: list[CorpusFinding] = []
    skipped: list[dict[str, str]] = []
    compared = 0
    for _block, row in rows:
        cells = {k: f"proactive.{row.key}.{k}" for k in ("issued", "repealed", "in_force")}
        last, why = _value(prev, tp, cells["in_force"])
        vals: dict[str, float | int] = {}
        reasons = [] if why is None else [(cells["in_force"], why, prev.id)]
        for k, cid in cells.items():
            v, w = _value(cur, tc, cid)
            if w:
                reasons.append((cid, w, cur.id))
            else:
                assert v is not None
                vals[k] = v
        if reasons:
            skipped += [{"cell": c, "reason": w, "reason_zh": SKIP_ZH[w], "report": r} for c, w, r in reasons]
            continue
        assert last is not None
        compared += 1
        expected = last + vals["issued"] - vals["repealed"]
        if abs(expected - vals["in_force"]) <= 1e-9:
            continue
        label = row.label.text
        out.append(finding(
            "corpus-in-force-mismatch",
            f"{label}现行有效件数不衔接：{prev.year}年报告（{prev.id}）现行有效{_fmt(last)}件＋本年制发"
            f"{_fmt(vals['issued'])}件－本年废止{_fmt(vals['repealed'])}件＝{_fmt(expected)}件，"
            f"本年报告为{_fmt(vals['in_force'])}件",
            f"{row.key}: in force {_fmt(last)} in the {prev.year} report ({prev.id}) + issued "
            f"{_fmt(vals['issued'])} − repealed {_fmt(vals['repealed'])} = {_fmt(expected)}, but this "
            f"report prints {_fmt(vals['in_force'])}",
            cur, cells=list(cells.values()), others=[prev.id],
            detail={"previous_report": prev.id, "row": row.key, "previous_in_force": last, **vals,
                    "expected_in_force": expected, "skipped": skipped},
        ))
    if compared == 0 and skipped:
        out.append(finding(
            "corpus-continuity-unchecked",
            f"无法核查现行有效件数与{prev.year}年报告（{prev.id}）的衔接：相关单元格空缺或存疑",
            f"documents in force against the {prev.year} report ({prev.id}) cannot be checked: the cells "
            "are unknown", cur, others=[prev.id], detail={"check": "in_force", "skipped": skipped}))
    return out


def continuity(entries: Iterable[ReportEntry], *, year: int | None = None) -> list[CorpusFinding]:
    """Each report against the same agency's report of the year before (module docstring).

    ``year``: check only the reports of that year (against the year before); None: every year.
    """
    stand = current(entries)
    out: list[CorpusFinding] = []
    for (agency, y), cur in sorted(stand.items()):
        if year is not None and y != year:
            continue
        prev = stand.get((agency, y - 1))
        if prev is None:
            continue
        tp, tc = _template(prev), _template(cur)
        if tp is None or tc is None:
            continue
        out += _carryover(prev, cur, tp, tc)
        out += _in_force(prev, cur, tp, tc)
    return out


# ---------------------------------------------------------------- missing and late


def deadline(kind: str, year: int) -> dt.date:
    """The statutory deadline of a report on ``year`` by an agency of ``kind`` (xxgk.agency)."""
    return KindDecision(kind).deadline(year)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Timeliness:
    """One expected agency's report on a year, against its deadline (shared by the rule and
    :func:`xxgk.corpus.answers.status`, so the two never disagree)."""

    state: str  # "on-time" | "late" | "missing" | "not-due" | "date-unknown"
    deadline: dt.date
    reports: tuple[ReportEntry, ...]  # the agency's reports on the year, by id
    first: ReportEntry | None  # the report whose publication date counts (the earliest known)
    days: int | None  # days late (late) or overdue (missing)


STATE_ZH = {"on-time": "是", "late": "否", "missing": "未发布", "not-due": "未到期", "date-unknown": "不详"}


def timeliness(a: AgencyRecord, reports: Iterable[ReportEntry], year: int, as_of: dt.date) -> Timeliness:
    """Whether ``a`` published its report on ``year`` by its deadline (the module docstring's rules)."""
    due = deadline(a.kind, year)
    reps = tuple(sorted(reports, key=lambda e: e.id))
    if not reps:
        if as_of > due:
            return Timeliness("missing", due, reps, None, (as_of - due).days)
        return Timeliness("not-due", due, reps, None, None)
    dated = [e for e in reps if e.published is not None]
    if not dated:
        return Timeliness("date-unknown", due, reps, reps[0], None)
    first = min(dated, key=lambda e: (e.published, e.id))
    assert first.published is not None
    if first.published > due:
        return Timeliness("late", due, reps, first, (first.published - due).days)
    return Timeliness("on-time", due, reps, first, None)


def reports_by_agency(entries: Iterable[ReportEntry], year: int) -> dict[str, list[ReportEntry]]:
    by_agency: dict[str, list[ReportEntry]] = defaultdict(list)
    for e in entries:
        if e.agency is not None and e.year == year:
            by_agency[e.agency].append(e)
    return by_agency


def unique(agencies: Iterable[AgencyRecord]) -> list[AgencyRecord]:
    """The agencies in order, each once (the first record of a code)."""
    out: dict[str, AgencyRecord] = {}
    for a in agencies:
        out.setdefault(a.code, a)
    return list(out.values())


def missing_and_late(agencies: Sequence[AgencyRecord], entries: Iterable[ReportEntry], year: int,
                     as_of: dt.date) -> list[CorpusFinding]:
    """Every expected agency's report on ``year`` against its deadline, as of ``as_of``.

    Reports of agencies not in ``agencies`` are not looked at. With several reports of one agency
    (a re-publication), the earliest known publication date counts.
    """
    by_agency = reports_by_agency(entries, year)
    out: list[CorpusFinding] = []
    for a in unique(agencies):
        k = KindDecision(a.kind)
        t = timeliness(a, by_agency.get(a.code, []), year, as_of)
        due = t.deadline
        base = {"agency_name": a.name, "kind": a.kind, "kind_zh": KIND_ZH.get(a.kind, a.kind),
                "deadline": due.isoformat(), "basis": k.basis, "basis_en": k.basis_en}
        if t.state == "missing":
            out.append(finding(
                "corpus-report-missing",
                f"{a.name}未发布{year}年度报告：法定期限{due.isoformat()}已过{t.days}天（截至{as_of.isoformat()}；{k.basis}）",
                f"{a.name} has no report on {year}: the deadline {due.isoformat()} passed {t.days} days "
                f"ago (as of {as_of.isoformat()}; {k.basis_en})",
                agency=a.code, year=year,
                detail={**base, "as_of": as_of.isoformat(), "days_overdue": t.days}))
        elif t.state == "date-unknown":
            assert t.first is not None
            out.append(finding(
                "corpus-published-unknown",
                f"已收到{a.name}{year}年度报告，但发布日期不详，无法核查是否在{due.isoformat()}前发布",
                f"the {year} report of {a.name} was received but its publication date is unknown "
                f"(deadline {due.isoformat()})",
                t.first, others=[r.id for r in t.reports[1:]], detail=base))
        elif t.state == "late":
            first = t.first
            assert first is not None and first.published is not None
            out.append(finding(
                "corpus-report-late",
                f"{a.name}{year}年度报告于{first.published.isoformat()}发布，晚于法定期限{due.isoformat()}"
                f"（逾期{t.days}天；{k.basis}）",
                f"the {year} report of {a.name} was published {first.published.isoformat()}, {t.days} days "
                f"after the deadline {due.isoformat()} ({k.basis_en})",
                first, others=[r.id for r in t.reports if r is not first],
                detail={**base, "published": first.published.isoformat(), "days_late": t.days}))
    return out


# ---------------------------------------------------------------- everything


def _years(entries: Sequence[ReportEntry]) -> list[int]:
    return sorted({e.year for e in entries if e.year is not None})


def check_corpus(entries: Sequence[ReportEntry], *, agencies: Sequence[AgencyRecord] | None = None,
                 year: int | None = None, as_of: dt.date | None = None,
                 rules: Collection[str] | None = None) -> list[CorpusFinding]:
    """Every rule across reports (or only the codes in ``rules``), sorted by year, agency, report, rule.

    ``year``: the reports checked (they are compared with every other year); None: all years.
    ``agencies``: the expected agencies, needed for missing and late (without them those rules do
    not run). ``as_of``: the date missing reports are judged on; None means today.
    """
    from xxgk.corpus.copies import copies
    from xxgk.corpus.outliers import outliers

    entries = list(entries)
    wanted = set(rules) if rules is not None else None
    if wanted is not None:
        unknown = sorted(c for c in wanted if c not in _catalogue() or _catalogue()[c].group != "corpus")
        if unknown:
            from xxgk.errors import XxgkError

            raise XxgkError("unknown-rule", f"未知的跨报告核查规则：{'、'.join(unknown)}",
                            f"unknown corpus rules: {', '.join(unknown)}")

    def want(codes: Iterable[str]) -> bool:
        return wanted is None or any(c in wanted for c in codes)

    out: list[CorpusFinding] = []
    if want(CONTINUITY_RULES):
        out += continuity(entries, year=year)
    if agencies is not None and want(TIMELINESS_RULES):
        when = as_of or dt.date.today()
        for y in [year] if year is not None else _years(entries):
            out += missing_and_late(agencies, entries, y, when)
    if want(COPY_RULES):
        out += copies(entries, year=year)
    if want(OUTLIER_RULES):
        out += outliers(entries, agencies=agencies, year=year)
    if wanted is not None:
        out = [f for f in out if f.rule in wanted]
    out.sort(key=lambda f: (f.year or 0, f.agency or "", f.report or "", f.rule))
    return out
