"""Exports: JSON, JSON Lines and the long CSV, written one report at a time.

Every writer streams: a batch of any size is written report by report as each is done, so memory
stays flat. Serialisation is pydantic-core's (``model_dump_json``, ``pydantic_core.to_json``);
no Python-level ``json.dumps`` of large dicts. Output files are written atomically (a temporary
file in the same folder, renamed at the end; a failure or Ctrl-C leaves no half file).

The encoders (``encode_*``) are module-level functions of one :class:`~xxgk.batch.Item`, so a
batch's worker processes can run them and send back bytes. Labels (tables, rows with their
numbering, columns) come from the template declaration; the XLSX workbook is in
:mod:`xxgk.export_xlsx`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pydantic_core
from rich.text import Span, Text

from xxgk.model import CellInfo, Finding, Report
from xxgk.safetext import sheet_row
from xxgk.template import load_template

if TYPE_CHECKING:
    from xxgk.batch import Item

# The statuses of docs/cells.md in Chinese, for people reading the CSV or the workbook.
STATUS_ZH: dict[str, str] = {
    "read": "读取", "placed": "定位", "blank": "空白", "computed": "计算",
    "resolved": "正文确定", "ambiguous": "待定", "missing": "缺失",
}
STATUS_MEANING: dict[str, str] = {
    "read": "原文在该栏印有此数 / printed in its column",
    "placed": "原文印有此数，所在栏（或连写数字的拆分）由勾稽关系确定 / printed; the arithmetic chose its column or cut",
    "blank": "原文此处为空 / printed empty",
    "computed": "原文未印，由勾稽关系算出 / not printed, derived from an arithmetic relation",
    "resolved": "表格有多种读法，正文数字确定了其中一种 / the table left it open, a figure in the prose decided",
    "ambiguous": "原文无法唯一确定，列出全部候选值 / the text does not determine it: every candidate listed",
    "missing": "未找到该行或该表 / its row or table was not found",
}

# The long form: one row per cell. Headers say it in Chinese, with the identifier.
LONG_FIELDS: list[tuple[str, str]] = [
    ("来源文件", "source_path"), ("内容哈希", "content_hash"), ("机关", "agency"), ("年度", "report_year"),
    ("模板", "template"), ("表格", "table"), ("行", "row"), ("列", "column"), ("单元格", "cell"),
    ("数值", "value"), ("状态", "status"), ("状态说明", "status_zh"), ("候选值", "candidates"),
    ("候选完整", "complete"), ("关系", "relation"), ("原文行", "line"), ("原文列", "col"),
    ("原文文字", "text"), ("依据句", "evidence"), ("依据句所在行", "evidence_line"), ("说明", "note"),
]
LONG_HEADER = [f"{zh} {en}" for zh, en in LONG_FIELDS]
LONG_COLUMNS = [en for _, en in LONG_FIELDS]

# ---------------------------------------------------------------- labels from the template

@cache
def cell_labels(template_id: str) -> dict[str, tuple[str, str, str]]:
    """cell id -> (table title, row label as printed with its numbering and enclosing groups,
    column label), from the template declaration."""
    from xxgk.layout import _level

    t = load_template(template_id)
    out: dict[str, tuple[str, str, str]] = {}
    for table in t.tables:
        for block in table.blocks:
            groups: list[tuple[int, str]] = []
            for row in block.rows:
                level = _level(row)
                while groups and groups[-1][0] >= level:
                    groups.pop()
                label = f"{row.numbering}{row.label.text}"
                if row.group:
                    groups.append((level, label))
                    continue
                path = ([block.heading.text] if block.heading else []) + [g for _, g in groups] + [label]
                for col in block.row_columns(row):
                    out[f"{table.key}.{row.key}.{col.key}"] = (table.title, " / ".join(path), col.label.text)
    return out


def _candidates(info: CellInfo) -> str:
    return " ".join("空" if c is None else str(c) for c in info.candidates)


def long_rows(report: Report) -> list[list[Any]]:
    """One row per cell (LONG_FIELDS), as the report holds it: the writers make its text safe
    for a spreadsheet (:func:`xxgk.safetext.sheet_value`)."""
    labels = cell_labels(report.template)
    head = [report.source_path or "", report.content_hash, report.agency or "",
            report.report_year if report.report_year is not None else "", report.template]
    rows = []
    for cid, value in report.cells.items():
        info = report.provenance.get(cid) or CellInfo(status="missing", note="无记录 / no record")
        table, row, col = labels.get(cid, ("", "", ""))
        src, ev = info.source, info.evidence
        rows.append(head + [
            table, row, col, cid, "" if value is None else value, info.status, STATUS_ZH.get(info.status, ""),
            _candidates(info) if info.status in ("ambiguous", "resolved") else "",
            ("是" if info.complete else "否") if info.status == "ambiguous" else "",
            info.relation or "", src.line if src else "", src.column if src else "",
            src.text if src else "", ev.text if ev else "", ev.line if ev else "", info.note or "",
        ])
    return rows


# ---------------------------------------------------------------- encoders (run in workers)

def encode_json(item: Item, element: bool = True) -> bytes:
    """A report as indented JSON: alone (``element=False``) or as an element of the array the
    JSON writer streams (indented one more level, as ``json.dumps(list, indent=1)`` would)."""
    assert item.report is not None
    data = item.report.model_dump_json(indent=1).encode()
    return b" " + data.replace(b"\n", b"\n ") if element else data + b"\n"


def encode_jsonl(item: Item) -> bytes:
    assert item.report is not None
    return item.report.model_dump_json().encode() + b"\n"


def encode_csv(item: Item) -> bytes:
    assert item.report is not None
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(sheet_row(r) for r in long_rows(item.report))
    return buf.getvalue().encode("utf-8")


def _check_record(item: Item) -> dict[str, Any]:
    r = item.report
    assert r is not None
    return {"source_path": item.path, "agency": r.agency, "report_year": r.report_year,
            "findings": item.findings or []}


def encode_check_json(item: Item, element: bool = True) -> bytes:
    """Findings as JSON: the list alone (one file, ``element=False``) or a record in the array."""
    if not element:
        return pydantic_core.to_json(item.findings or [], indent=1) + b"\n"
    return b" " + pydantic_core.to_json(_check_record(item), indent=1).replace(b"\n", b"\n ")


def encode_check_jsonl(item: Item) -> bytes:
    return pydantic_core.to_json(_check_record(item)) + b"\n"


def finding_text(f: Finding) -> Text:
    """One finding as a styled line. User text (a title, a file name: ``[/x]…``) is never read
    as Rich markup: the line is assembled from plain pieces."""
    color = {"error": "red", "warning": "yellow", "info": "blue"}[f.severity]
    where = f"（第{f.source.line}行）" if f.source else ""
    return Text.assemble("  ", (f"{f.severity:<7}", color), " ", (f.rule, "bold"), " ", f.message, where)


def check_text(item: Item, show_info: bool = False) -> Text:
    """A report's findings as styled lines (user text kept plain)."""
    r = item.report
    assert r is not None
    out = Text.assemble((item.path, "bold"), "  ", r.agency or "（未署名机关）",
                        f" {r.report_year or '?'}年 模板{r.template}")
    shown = [f for f in (item.findings or []) if show_info or f.severity != "info"]
    if not shown:
        out.append("\n")
        out.append("  未发现问题 / no problems found", "green")
    for f in shown:
        out.append("\n")
        out.append_text(finding_text(f))
    return out


def encode_check_text(item: Item, show_info: bool = False) -> bytes:
    """:func:`check_text`, serialised in a worker (the text and its styled spans as JSON), for the
    parent to print as it comes (:func:`decode_check_text`)."""
    t = check_text(item, show_info)
    return pydantic_core.to_json({"text": t.plain, "spans": [[s.start, s.end, str(s.style)] for s in t.spans]})


def decode_check_text(payload: bytes) -> Text:
    data = pydantic_core.from_json(payload)
    return Text(data["text"], spans=[Span(a, b, style) for a, b, style in data["spans"]])


# ---------------------------------------------------------------- streaming writers

class JsonArray:
    """Writes ``[``, the elements as they come, ``]``: what ``json.dumps(list, indent=1)`` writes."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.n = 0

    def write(self, element: bytes) -> None:
        self.out.write((b",\n" if self.n else b"[\n") + element)
        self.n += 1

    def close(self) -> None:
        self.out.write(b"\n]\n" if self.n else b"[]\n")


class Lines:
    """JSON Lines or CSV rows: each payload written as it comes, after an optional header."""

    def __init__(self, out: BinaryIO, header: bytes = b"") -> None:
        self.out = out
        out.write(header)

    def write(self, payload: bytes) -> None:
        self.out.write(payload)

    def close(self) -> None:
        pass


def csv_header() -> bytes:
    """UTF-8 with BOM (Excel and WPS on Chinese Windows read it as UTF-8), then the header row."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(LONG_HEADER)
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")


@contextmanager
def sink(path: str | os.PathLike[str] | None) -> Iterator[BinaryIO]:
    """A binary stream to write output to: standard output, or ``path`` written atomically (a
    temporary file beside it, renamed when the block ends normally, removed otherwise)."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with temp_path(path) as tmp, open(tmp, "wb", buffering=1 << 20) as fh:
        yield fh


@contextmanager
def temp_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` for a library that writes files itself, renamed to
    ``path`` when the block ends normally, removed otherwise."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write all of ``data`` or nothing: a temporary file in the same folder, then a rename."""
    with sink(path) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


# ---------------------------------------------------------------- whole batches at once (API)

def _items(reports: Sequence[Report]) -> list[Item]:
    from xxgk.batch import Item

    return [Item(r.source_path or "", r) for r in reports]


def to_json(reports: Sequence[Report], single: bool) -> str:
    if single and len(reports) == 1:
        return encode_json(_items(reports)[0], element=False).decode()
    buf = io.BytesIO()
    w = JsonArray(buf)
    for it in _items(reports):
        w.write(encode_json(it))
    w.close()
    return buf.getvalue().decode()


def to_jsonl(reports: Sequence[Report]) -> str:
    return b"".join(encode_jsonl(it) for it in _items(reports)).decode()


def to_csv(reports: Sequence[Report]) -> bytes:
    """The long CSV (UTF-8 with BOM) of ``reports``."""
    return csv_header() + b"".join(encode_csv(it) for it in _items(reports))


def to_xlsx(reports: Sequence[Report], summary: bool = True) -> bytes:
    """A workbook of ``reports`` (see :mod:`xxgk.export_xlsx`); ``summary=False``: the tables
    alone, laid out as the template prints them (``xxgk render --to xlsx``)."""
    from xxgk.export_xlsx import Workbook

    buf = io.BytesIO()
    book = Workbook(buf, summary=summary)
    for it in _items(reports):
        book.add(it)
    book.close()
    return buf.getvalue()
