"""The report checker's work, without the web: open a document (bytes and a name) as a checked
report, apply people's confirmations of ambiguous cells, take an upload apart (one file, a ZIP of
many, pasted text) and store what was read, and record a confirmation.

A document is read once per content (an LRU cache by SHA-256; a copy is handed out, since
confirmations change it). The newest confirmation of a cell is applied wherever the document is
shown (an upload, a corpus report): its value, status ``resolved``, the note 人工确认：用户 时间,
and the cell no longer ``ambiguous``; the findings are computed again on the result. Uploaded
bytes are stored once in the corpus's ``blob`` table; a ZIP is read by the corpus's own archive
reader (:mod:`xxgk.corpus.sources`: members too large or compressed like a bomb refused, never
inflated past the limit), each member its own checked report, a bad member listed with its reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xxgk.api import check, parse_bytes
from xxgk.corpus.schema import Blob
from xxgk.document import Document
from xxgk.errors import XxgkError
from xxgk.model import Finding, Number, Report, cell_info
from xxgk.readers import DEFAULT_MAX_BYTES
from xxgk.web.models import CellConfirmation, CheckedReport

CACHE_SIZE = 32  # documents read, by content hash
MAX_MEMBERS = 200  # reports of one ZIP checked in one request
PASTE_NAME = "粘贴文本.txt"
MAX_NAME = 300


@dataclass(frozen=True)
class Refusal:
    """A file (or archive member) that was not checked, and why, in one Chinese line."""

    name: str
    reason: str
    code: str = "refused"


@dataclass
class Checked:
    """A document as the checker shows it: the report (confirmations applied), its findings, the
    confirmations on record (oldest first) and the report as read (before them)."""

    name: str
    data: bytes
    content_hash: str
    report: Report
    findings: list[Finding]
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    raw: Report | None = None


class _Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: str, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_REPORTS = _Lru(CACHE_SIZE)
_DOCUMENTS = _Lru(8)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_report(data: bytes, name: str) -> Report:
    """The report in ``data`` (read once per content; a copy each time). XxgkError if it is none."""
    h = digest(data)
    cached = _REPORTS.get(h)
    if cached is None:
        try:
            cached = parse_bytes(data, name)
        except RecursionError:
            raise XxgkError("too-complex", f"文件结构过于复杂，无法读取：{name}", f"file too complex: {name}") from None
        _REPORTS.put(h, cached)
    return cached.model_copy(deep=True)


def read_doc(data: bytes, name: str) -> Document:
    """The document the report was read from (the text its offsets refer to; a PDF's boxes)."""
    from xxgk.web.source import read_source

    h = digest(data)
    doc = _DOCUMENTS.get(h)
    if doc is None:
        doc = read_source(data, name)
        _DOCUMENTS.put(h, doc)
    return doc


# ---------------------------------------------------------------- confirmations


def number(v: float | None) -> Number | None:
    if v is None:
        return None
    return int(v) if float(v).is_integer() else float(v)


def confirmations(s: Session, subject: str) -> list[dict[str, Any]]:
    """The confirmations of one subject (``check:ID`` or ``report:ID``), oldest first."""
    rows = s.scalars(select(CellConfirmation).where(CellConfirmation.subject == subject)
                     .order_by(CellConfirmation.id))
    return [{"id": c.id, "cell": c.cell, "value": number(c.value), "candidates": list(c.candidates or []),
             "actor": c.actor, "at": c.at.isoformat(timespec="seconds")} for c in rows]


def when(at: str) -> str:
    """A stored time (UTC) as people read it here: Beijing time, to the minute."""
    t = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    return t.strftime("%Y-%m-%d %H:%M")


def apply_confirmations(report: Report, confs: list[dict[str, Any]]) -> Report:
    """``report`` (changed in place) with the newest confirmation of each cell applied."""
    newest = {c["cell"]: c for c in confs}
    for cid, c in newest.items():
        if cid not in report.cells:
            continue
        old = report.provenance.get(cid)
        report.cells[cid] = c["value"]
        report.provenance[cid] = cell_info("resolved", old.source if old else None,
                                           list(old.candidates) if old else list(c["candidates"]),
                                           relation=None, evidence=None,
                                           note=f"人工确认：{c['actor']} {when(c['at'])}")
        report.ambiguous.pop(cid, None)
    return report


def open_checked(data: bytes, name: str, confs: list[dict[str, Any]]) -> Checked:
    """The document read, the confirmations applied, the findings computed on the result."""
    raw = read_report(data, name)
    report = apply_confirmations(read_report(data, name), confs)
    return Checked(name, data, report.content_hash, report, check(report), confs, raw)


def parse_value(text: str | None) -> Number | None:
    """A confirmed value as typed or chosen: empty / 空 / 空白 / null = the cell left empty."""
    t = (text or "").strip()
    if t in ("", "空", "空白", "null", "None"):
        return None
    try:
        v = float(t.replace(",", ""))
    except ValueError:
        raise XxgkError("invalid-value", f"不是数字：{t[:20]}", f"not a number: {t[:20]}") from None
    return int(v) if v.is_integer() else v


def confirm(s: Session, accounts: Any, checked: Checked, cell: str, value: Number | None, *, actor: str,
            subject: str, agency_id: int | None = None) -> CellConfirmation:
    """Record ``actor``'s reading of an ambiguous cell (inside ``office.writing()``): the value
    must be one of the candidates the reader listed (None only if the cell may be empty)."""
    raw = checked.raw or checked.report
    info = raw.provenance.get(cell)
    if info is None or info.status != "ambiguous":
        raise XxgkError("not-ambiguous", f"此单元格不是待定单元格，无需确认：{cell}",
                        f"this cell is not ambiguous: {cell}")
    cands = list(raw.ambiguous.get(cell, info.candidates))
    if not any((c is None and value is None) or (c is not None and value is not None and float(c) == float(value))
               for c in cands):
        shown = "、".join("空白" if c is None else str(c) for c in cands)
        raise XxgkError("not-a-candidate", f"所填数值不在候选值之中（候选值：{shown}）",
                        f"the value is not one of the candidates ({', '.join(map(str, cands))})")
    row = CellConfirmation(subject=subject, content_hash=checked.content_hash, cell=cell,
                           value=None if value is None else float(value), candidates=cands, actor=actor,
                           at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    s.add(row)
    s.flush()
    accounts.audit(s, actor, "cell_confirmation", row.id, "confirm", agency_id=agency_id,
                   after={"subject": subject, "content_hash": checked.content_hash, "cell": cell, "value": value, "candidates": cands,
                          "name": checked.name[:MAX_NAME]})
    return row


# ---------------------------------------------------------------- uploads


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def too_large(name: str, size: int, limit: int) -> XxgkError:
    return XxgkError("too-large", f"文件过大（{size / 1048576:.1f} MB，上限 {limit / 1048576:.0f} MB）：{name}",
                     f"file too large ({size / 1048576:.1f} MB, limit {limit / 1048576:.0f} MB): {name}")


def is_zip(data: bytes, name: str) -> bool:
    """A ZIP archive of reports (not a Word or Excel file, which are ZIPs too)."""
    from xxgk.readers.docx import zip_names

    if not data.startswith(b"PK\x03\x04"):
        return False
    members = zip_names(data)
    if members is None:
        return name.lower().endswith(".zip")  # damaged: refused by the archive reader, as a ZIP
    return "word/document.xml" not in members and "xl/workbook.xml" not in members


def unpack(name: str, data: bytes, *, max_upload: int) -> tuple[list[Upload], list[Refusal]]:
    """The documents of one uploaded file: itself, or a ZIP's members (read by the corpus's
    archive reader within its limits). Raises XxgkError ``too-large`` for an upload over the limit."""
    name = (name or "未命名文件")[:MAX_NAME]
    if len(data) > max_upload:
        raise too_large(name, len(data), max_upload)
    if not is_zip(data, name):
        return [Upload(name, data)], []
    from xxgk.corpus.sources import SourceReader, enumerate_sources

    with tempfile.TemporaryDirectory(prefix="xxgk-upload-") as tmp:
        path = Path(tmp) / "upload.zip"
        path.write_bytes(data)
        refs, failures = enumerate_sources([path], max_bytes=DEFAULT_MAX_BYTES)
        prefix = f"{path}!"
        refused = [Refusal(_member(f.source, prefix, name), f.message.replace(str(path), name), f.code)
                   for f in failures]
        uploads: list[Upload] = []
        reader = SourceReader(DEFAULT_MAX_BYTES)
        try:
            for i, ref in enumerate(refs):
                member = _member(ref.source, prefix, name)
                if i >= MAX_MEMBERS:
                    refused.append(Refusal(member, f"一次最多核查 {MAX_MEMBERS} 份报告，其余未读", "too-many"))
                    continue
                try:
                    uploads.append(Upload(member, reader.read(ref)))
                except XxgkError as e:
                    refused.append(Refusal(member, e.message.replace(str(path), name), e.code))
        finally:
            reader.close()
    return uploads, refused


def _member(source: str, prefix: str, archive: str) -> str:
    return f"{archive}/{source[len(prefix):]}"[:MAX_NAME] if source.startswith(prefix) else archive


def store_upload(s: Session, accounts: Any, owner_id: int, actor: str, item: Upload, report: Report,
                 findings: list[Finding]) -> CheckedReport:
    """The bytes (once, by hash) and the checked report, with an audit entry (inside ``writing()``)."""
    h = report.content_hash
    if s.get(Blob, h) is None:
        s.add(Blob(sha256=h, size=len(item.data), data=item.data))
    summary = {"agency": report.agency, "year": report.report_year, "template": report.template,
               "format": report.format, "errors": sum(f.severity == "error" for f in findings),
               "warnings": sum(f.severity == "warning" for f in findings), "ambiguous": len(report.ambiguous)}
    row = CheckedReport(owner_id=owner_id, name=item.name[:MAX_NAME], content_hash=h,
                        created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), summary=summary)
    s.add(row)
    s.flush()
    accounts.audit(s, actor, "checked_report", row.id, "create", after={"name": row.name, "content_hash": h, **summary})
    return row


def check_uploads(office: Any, accounts: Any, owner_id: int, actor: str, items: list[Upload]
                  ) -> tuple[list[CheckedReport], list[Refusal]]:
    """Read each document; store those that are reports; list the others with their reason. The
    batch goes on past a bad file."""
    done: list[tuple[Upload, Report, list[Finding]]] = []
    refused: list[Refusal] = []
    for item in items:
        try:
            report = read_report(item.data, item.name)
        except XxgkError as e:
            refused.append(Refusal(item.name, e.message, e.code))
            continue
        except Exception as e:  # noqa: BLE001 - a reader's surprise on one file stops only that file
            refused.append(Refusal(item.name, f"无法读取（{type(e).__name__}）：{item.name}", "unreadable"))
            continue
        done.append((item, report, check(report)))
    rows: list[CheckedReport] = []
    if done:
        with office.writing() as s:
            for item, report, findings in done:
                rows.append(store_upload(s, accounts, owner_id, actor, item, report, findings))
            s.expunge_all()
    return rows, refused
