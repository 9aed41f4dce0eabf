"""A supervisor's answers: who reported on time, and what changed from one year to the next.

- :func:`status` — one row per expected agency (its report(s), publication date, deadline, on time?,
  errors, warnings and the problems in short Chinese), :func:`summarize` the counts, and
  :func:`status_xlsx` / :func:`status_csv` the sheet an office sends round (bytes: the caller
  writes them). Whether a report is on time is decided by :func:`xxgk.corpus.checks.timeliness`,
  the same function the ``corpus-report-*`` rules use. 是否按时: 是 / 否 / 未发布 (deadline
  passed, no report) / 未到期 (no report yet, deadline not passed) / 不详 (a report without a
  publication date).
- :func:`compare` — two reports side by side: the cells (changed ones by default, all on
  request) with both values and the change, and each part's text diff as runs of
  ``("=", text)``, ``("-", text)``, ``("+", text)`` with :meth:`PartDiff.terminal` and
  :meth:`PartDiff.html` renderings.

Pure: no I/O.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from xxgk.agency import KIND_ZH
from xxgk.corpus.checks import STATE_ZH, check_corpus, current, reports_by_agency, timeliness, unique
from xxgk.corpus.types import AgencyRecord, CorpusFinding, ReportEntry
from xxgk.export import cell_labels
from xxgk.safetext import neutralise
from xxgk.template import Template, load_template

__all__ = [
    "STATUS_HEADER", "CellChange", "Comparison", "PartDiff", "StatusRow", "StatusSummary", "compare",
    "diff_runs", "short_zh", "status", "status_csv", "status_xlsx", "summarize",
]

Number = int | float


# ---------------------------------------------------------------- status


@dataclass
class StatusRow:
    agency: str
    name: str
    kind: str
    kind_zh: str
    reports: list[str]
    published: dt.date | None
    deadline: dt.date
    state: str  # on-time | late | missing | not-due | date-unknown
    on_time: str  # 是 | 否 | 未发布 | 未到期 | 不详
    days_late: int | None  # late: days after the deadline; missing: days overdue
    errors: int
    warnings: int
    problems: list[str] = field(default_factory=list)

    @property
    def problems_zh(self) -> str:
        return "；".join(self.problems)


@dataclass(frozen=True)
class StatusSummary:
    year: int
    as_of: dt.date
    expected: int
    received: int
    on_time: int
    late: int
    missing: int
    not_due: int
    date_unknown: int
    with_errors: int  # received reports with at least one error (their own or across reports)

    def zh(self) -> str:
        return (f"{self.year}年度（截至{self.as_of.isoformat()}）：应报{self.expected}家，已报{self.received}家，"
                f"按时{self.on_time}家，逾期{self.late}家，未发布{self.missing}家，未到期{self.not_due}家，"
                f"发布日期不详{self.date_unknown}家，有错误{self.with_errors}家")


def _pct(v: object) -> str:
    return f"{float(v):.0%}" if isinstance(v, int | float) else ""


def short_zh(f: CorpusFinding) -> str | None:
    """The finding as a few Chinese words for the status sheet (None: not a problem to list)."""
    d = f.detail
    if f.rule == "corpus-report-missing":
        return f"逾期未发布（已过期限{d.get('days_overdue')}天）"
    if f.rule == "corpus-report-late":
        return f"逾期{d.get('days_late')}天发布"
    if f.rule == "corpus-published-unknown":
        return "发布日期不详"
    if f.rule == "corpus-carryover-mismatch":
        return "上年结转申请数与上年报告不一致"
    if f.rule == "corpus-in-force-mismatch":
        return f"{'规章' if d.get('row') == 'rules' else '行政规范性文件'}现行有效件数与上年不衔接"
    if f.rule in ("corpus-text-copied", "corpus-problems-reused"):
        m = (d.get("matches") or [{}])[0]  # type: ignore[index]
        sim = _pct(m.get("similarity"))  # type: ignore[union-attr]
        if f.rule == "corpus-problems-reused":
            return f"存在的主要问题与本机关{m.get('year')}年报告基本相同（{sim}）"  # type: ignore[union-attr]
        return f"“{d.get('part_zh')}”与{m.get('agency') or '其他'}机关报告雷同（{sim}）"  # type: ignore[union-attr]
    if f.rule == "corpus-outlier-history":
        return f.message.split("，请核实")[0]
    if f.rule == "corpus-outlier-peers":
        return "不予公开比例明显偏离同类机关"
    return None  # corpus-continuity-unchecked, corpus-text-reused: said in the findings, not a problem


def status(agencies: Sequence[AgencyRecord], entries: Iterable[ReportEntry], year: int, as_of: dt.date,
           findings: Sequence[CorpusFinding] | None = None) -> list[StatusRow]:
    """One row per expected agency, in the order given (duplicates once).

    ``findings``: the corpus findings to count and list (None: :func:`check_corpus` is run for
    ``year``). Errors and warnings are the standing report's own (``ReportEntry.errors`` /
    ``warnings``) plus the corpus findings about the agency's year.
    """
    entries = list(entries)
    if findings is None:
        findings = check_corpus(entries, agencies=agencies, year=year, as_of=as_of)
    by_agency = reports_by_agency(entries, year)
    stand = current(entries)
    about: dict[str, list[CorpusFinding]] = {}
    for f in findings:
        if f.agency is not None and f.year == year:
            about.setdefault(f.agency, []).append(f)
    rows: list[StatusRow] = []
    for a in unique(agencies):
        t = timeliness(a, by_agency.get(a.code, []), year, as_of)
        own = stand.get((a.code, year))
        errors = own.errors if own else 0
        warnings = own.warnings if own else 0
        problems: list[str] = []
        for f in about.get(a.code, []):
            errors += f.severity == "error"
            warnings += f.severity == "warning"
            s = short_zh(f)
            if s and s not in problems:
                problems.append(s)
        if own and (own.errors or own.warnings):
            problems.append(f"报告自身核查：错误{own.errors}项、警告{own.warnings}项")
        rows.append(StatusRow(
            agency=a.code, name=a.name, kind=a.kind, kind_zh=KIND_ZH.get(a.kind, a.kind),
            reports=[e.id for e in t.reports], published=t.first.published if t.first else None,
            deadline=t.deadline, state=t.state, on_time=STATE_ZH[t.state], days_late=t.days,
            errors=errors, warnings=warnings, problems=problems,
        ))
    return rows


def summarize(rows: Sequence[StatusRow], year: int, as_of: dt.date) -> StatusSummary:
    def n(state: str) -> int:
        return sum(1 for r in rows if r.state == state)

    received = [r for r in rows if r.reports]
    return StatusSummary(
        year=year, as_of=as_of, expected=len(rows), received=len(received), on_time=n("on-time"),
        late=n("late"), missing=n("missing"), not_due=n("not-due"), date_unknown=n("date-unknown"),
        with_errors=sum(1 for r in received if r.errors),
    )


STATUS_HEADER: list[tuple[str, int]] = [  # (header, column width in characters)
    ("序号", 6), ("机关代码", 20), ("机关名称", 34), ("机关类别", 16), ("报告编号", 16), ("发布日期", 12),
    ("法定期限", 12), ("是否按时", 9), ("逾期天数", 9), ("错误", 6), ("警告", 6), ("问题", 70),
]


def _cells(i: int, r: StatusRow) -> list[object]:
    return [i, r.agency, r.name, r.kind_zh, "、".join(r.reports),
            r.published.isoformat() if r.published else "", r.deadline.isoformat(), r.on_time,
            r.days_late if r.days_late is not None else "", r.errors, r.warnings, r.problems_zh]


def _safe(v: object) -> object:
    return neutralise(v) if isinstance(v, str) else v


def status_xlsx(rows: Sequence[StatusRow], summary: StatusSummary | None = None) -> bytes:
    """The status as one XLSX sheet: Chinese headers, frozen header row, filters, widths; the
    summary two rows below the table. Report text is neutralised against formula injection."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("报送情况")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                          "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    bad = wb.add_format({"font_color": "#C00000", "valign": "top"})
    for c, (h, width) in enumerate(STATUS_HEADER):
        ws.write_string(0, c, h, head)
        ws.set_column(c, c, width, wrap if h == "问题" else None)
    for i, r in enumerate(rows, start=1):
        for c, v in enumerate(_cells(i, r)):
            v = _safe(v)
            fmt = bad if STATUS_HEADER[c][0] == "是否按时" and r.state in ("late", "missing") else None
            if isinstance(v, int):
                ws.write_number(i, c, v, fmt)
            else:
                ws.write_string(i, c, str(v), fmt or (wrap if STATUS_HEADER[c][0] == "问题" else None))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(STATUS_HEADER) - 1)
    if summary is not None:
        ws.write_string(len(rows) + 2, 0, "合计", head)
        ws.write_string(len(rows) + 2, 1, summary.zh())
    wb.close()
    return buf.getvalue()


def status_csv(rows: Sequence[StatusRow]) -> bytes:
    """The status as CSV (UTF-8 with BOM, so Excel and WPS read the Chinese), neutralised."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([h for h, _ in STATUS_HEADER])
    for i, r in enumerate(rows, start=1):
        w.writerow([_safe(v) for v in _cells(i, r)])
    return out.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------- compare

CHANGE_ZH = {"same": "相同", "changed": "有变化", "a-empty": "前一年空缺", "b-empty": "后一年空缺",
             "absent-a": "前一年模板无此项", "absent-b": "后一年模板无此项"}


@dataclass(frozen=True)
class CellChange:
    cell: str
    table_zh: str
    row_zh: str
    column_zh: str
    a: Number | None
    b: Number | None
    change: Number | None  # b − a when both are numbers
    state: str  # a key of CHANGE_ZH
    status_a: str | None = None  # the reader contract's status, when known
    status_b: str | None = None

    @property
    def state_zh(self) -> str:
        return CHANGE_ZH[self.state]


@dataclass(frozen=True)
class PartDiff:
    part: str
    title: str
    similarity: float  # difflib ratio of the two texts, 0..1
    runs: tuple[tuple[str, str], ...]  # ("=" | "-" | "+", text)

    @property
    def changed(self) -> bool:
        return any(op != "=" for op, _ in self.runs)

    def terminal(self, context: int = 20) -> str:
        """[-deleted-]{+inserted+}, long unchanged stretches shortened to their ends."""
        out = []
        for op, text in self.runs:
            text = text.replace("\n", "⏎")
            if op == "=":
                out.append(text if len(text) <= 2 * context + 1 else f"{text[:context]}…{text[-context:]}")
            else:
                out.append(f"[-{text}-]" if op == "-" else f"{{+{text}+}}")
        return "".join(out)

    def html(self) -> str:
        """The same as HTML: <del>, <ins>, escaped text."""
        tag = {"=": "span", "-": "del", "+": "ins"}
        return "".join(f"<{tag[op]}>{html.escape(t)}</{tag[op]}>" for op, t in self.runs)


@dataclass(frozen=True)
class Comparison:
    a: str  # report ids
    b: str
    agency: str | None
    year_a: int | None
    year_b: int | None
    cells: list[CellChange]
    unchanged: int  # cells equal in both (listed only with all_cells)
    parts: list[PartDiff]


_SENTENCE = re.compile(r"[^。；！？\n]*(?:[。；！？\n]+|$)")
_MAX_CHAR_DIFF = 5000


_PADDING = re.compile(r"[ \t\u3000\xa0]+")


def _layout_free(text: str) -> str:
    """Runs of spaces and tabs as one space, each line trimmed, empty lines dropped."""
    lines = (_PADDING.sub(" ", ln).strip() for ln in text.splitlines())
    return "\n".join(ln for ln in lines if ln)


def _sentences(text: str) -> list[str]:
    return [m.group() for m in _SENTENCE.finditer(text) if m.group()]


def diff_runs(a: str, b: str) -> list[tuple[str, str]]:
    """The edit from ``a`` to ``b``: sentences matched first, then characters within changed
    sentences that are still alike (ratio ≥ 0.5), so a diff reads as edits, not confetti."""
    sa, sb = _sentences(a), _sentences(b)
    runs: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if runs and runs[-1][0] == op:
            runs[-1] = (op, runs[-1][1] + text)
        else:
            runs.append((op, text))

    for op, i1, i2, j1, j2 in SequenceMatcher(None, sa, sb, autojunk=False).get_opcodes():
        x, y = "".join(sa[i1:i2]), "".join(sb[j1:j2])
        if op == "equal":
            add("=", x)
            continue
        sm = SequenceMatcher(None, x, y, autojunk=False)
        if x and y and len(x) + len(y) <= _MAX_CHAR_DIFF and sm.ratio() >= 0.5:
            for cop, c1, c2, d1, d2 in sm.get_opcodes():
                if cop == "equal":
                    add("=", x[c1:c2])
                else:
                    add("-", x[c1:c2])
                    add("+", y[d1:d2])
        else:
            add("-", x)
            add("+", y)
    return runs


def _template(t: Template | str | None, fallback: str) -> Template:
    if isinstance(t, Template):
        return t
    return load_template(t or fallback)


def compare(a: ReportEntry, b: ReportEntry, template: Template | str | None = None, *,
            all_cells: bool = False) -> Comparison:
    """``a`` (usually the earlier year) and ``b`` side by side.

    Cells come in ``template``'s order (default: ``b``'s template), then any cell only the other
    template has; labels from the template declaration. Only cells that differ are listed unless
    ``all_cells``. Every part either report has gets a text diff.
    """
    main = _template(template, b.template)
    other_ids = [load_template(x).id for x in {a.template, b.template} if x != main.id and _known_tid(x)]
    ids_a = set(load_template(a.template).cell_ids) if _known_tid(a.template) else set(a.cells)
    ids_b = set(load_template(b.template).cell_ids) if _known_tid(b.template) else set(b.cells)
    order = list(main.cell_ids)
    labels = dict(cell_labels(main.id))
    for tid in other_ids:
        for cid in load_template(tid).cell_ids:
            if cid not in labels:
                order.append(cid)
                labels[cid] = cell_labels(tid)[cid]
    changes: list[CellChange] = []
    unchanged = 0
    for cid in order:
        if cid not in ids_a and cid not in ids_b:
            continue
        va, vb = a.cells.get(cid), b.cells.get(cid)
        if cid not in ids_a:
            state = "absent-a"
        elif cid not in ids_b:
            state = "absent-b"
        elif va is None and vb is None:
            state = "same"
        elif va is None:
            state = "a-empty"
        elif vb is None:
            state = "b-empty"
        else:
            state = "same" if abs(va - vb) <= 1e-9 else "changed"
        if state == "same":
            unchanged += 1
            if not all_cells:
                continue
        change = vb - va if va is not None and vb is not None else None
        table, row, col = labels[cid]
        changes.append(CellChange(cid, table, row, col, va, vb, change, state,
                                  a.statuses.get(cid), b.statuses.get(cid)))
    parts: list[PartDiff] = []
    known = [p.key for p in main.parts]
    keys = known + sorted(k for k in {*a.parts, *b.parts} if k not in known)
    for key in keys:
        ta, tb = a.parts.get(key), b.parts.get(key)
        if ta is None and tb is None:
            continue
        # layout white space (a table's column padding, a page's indents) is not a change of text
        x, y = _layout_free(ta or ""), _layout_free(tb or "")
        title = main.part(key).title if key in known else key
        if len(x) + len(y) <= 2 * _MAX_CHAR_DIFF:
            ratio = SequenceMatcher(None, x, y, autojunk=False).ratio()
        else:
            ratio = SequenceMatcher(None, x, y).quick_ratio()
        parts.append(PartDiff(key, title, ratio, tuple(diff_runs(x, y))))
    return Comparison(a.id, b.id, b.agency or a.agency, a.year, b.year, changes, unchanged, parts)


def _known_tid(tid: str) -> bool:
    try:
        load_template(tid)
    except KeyError:
        return False
    return True
