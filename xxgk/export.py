"""Exports: JSON, JSON Lines, CSV in long form, and XLSX laid out as the template.

Every layout is read from the template declaration: no rows or columns are listed here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xxgk.model import Report
from xxgk.template import load_template

LONG_COLUMNS = ["source_path", "content_hash", "agency", "report_year", "template", "cell", "value",
                "status", "candidates", "line", "column"]


def report_dict(report: Report) -> dict[str, Any]:
    return report.model_dump(mode="json")


def to_json(reports: Sequence[Report], single: bool) -> str:
    if single and len(reports) == 1:
        return json.dumps(report_dict(reports[0]), ensure_ascii=False, indent=1) + "\n"
    return json.dumps([report_dict(r) for r in reports], ensure_ascii=False, indent=1) + "\n"


def to_jsonl(reports: Sequence[Report]) -> str:
    return "".join(json.dumps(report_dict(r), ensure_ascii=False) + "\n" for r in reports)


def long_rows(report: Report) -> list[list[Any]]:
    rows = []
    for cid, value in report.cells.items():
        info = report.provenance.get(cid)
        rows.append([
            report.source_path or "", report.content_hash, report.agency or "", report.report_year or "",
            report.template, cid, "" if value is None else value, info.status if info else "",
            " ".join("?" if c is None else str(c) for c in report.ambiguous.get(cid, [])),
            info.source.line if info and info.source else "",
            info.source.column if info and info.source else "",
        ])
    return rows


def to_csv(reports: Sequence[Report]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LONG_COLUMNS)
    for r in reports:
        w.writerows(long_rows(r))
    return buf.getvalue()


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write all of ``data`` or nothing: a temporary file in the same folder, then a rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- XLSX

def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in '[]:*?/\\')[:28] or "sheet"
    title, n = base, 2
    while title in used:
        title = f"{base[:25]}-{n}"
        n += 1
    used.add(title)
    return title


def to_xlsx(reports: Sequence[Report], layout_limit: int = 20, summary: bool = True) -> bytes:
    """A workbook: a summary sheet (one row per report, one column per cell) and, for up to
    ``layout_limit`` reports, each table laid out as the template prints it (merged cells
    included), for colleagues who live in Excel or WPS."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from xxgk.layout import placed, table_grid, title

    wb = Workbook()
    used: set[str] = set()
    ws = wb.active
    if summary:
        ws.title = _sheet_title("汇总", used)
        ids: list[str] = []
        for r in reports:
            for cid in r.cells:
                if cid not in ids:
                    ids.append(cid)
        ws.append(["来源文件", "机关", "年度", "模板", "发布日期"] + ids)
        for r in reports:
            ws.append([r.source_path or "", r.agency or "", r.report_year, r.template,
                       r.published_date.isoformat() if r.published_date else None]
                      + [r.cells.get(c) for c in ids])
        for c in ws[1]:
            c.font = Font(bold=True)
    else:
        wb.remove(ws)

    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, r in enumerate(reports[:layout_limit], 1):
        t = load_template(r.template)
        prefix = f"{n}-" if len(reports) > 1 else ""
        for table in t.tables:
            ws = wb.create_sheet(_sheet_title(f"{prefix}{table.title}", used))
            ws.cell(1, 1, f"{title(r)} {table.title}").font = Font(bold=True)
            for ri, col, c in placed(table_grid(table, r.cells)):
                value: Any = r.cells.get(c.cell_id) if c.cell_id is not None else c.text
                cell = ws.cell(3 + ri, 1 + col, value)
                cell.alignment = center
                cell.border = border
                if c.rowspan > 1 or c.colspan > 1:
                    ws.merge_cells(start_row=3 + ri, start_column=1 + col,
                                   end_row=3 + ri + c.rowspan - 1, end_column=col + c.colspan)
            ws.column_dimensions["A"].width = 16
            ws.column_dimensions["B"].width = 20
            ws.column_dimensions["C"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
