"""What the store keeps of one read report: a compact, picklable digest (no evidence locations).

A worker turns a :class:`~xxgk.model.Report` and its findings into a :class:`Digest`; only the
digest crosses to the process that writes the database, so a cluster sends a few kilobytes per
report instead of the whole provenance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xxgk.corpus.types import Match
from xxgk.model import Finding, Report


def clean(text: str | None) -> str | None:
    """Text a database accepts (PostgreSQL refuses NUL characters)."""
    return text.replace("\x00", "") if text else text


@dataclass
class Digest:
    content_hash: str
    format: str
    template: str
    year: int | None
    printed_agency: str | None  # as the title prints it (else the signature)
    signature_agency: str | None
    agency_kind: str | None  # the reader's decision from the text
    title: str | None
    published: dt.date | None
    cells: dict[str, float | None] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    parts: list[tuple[str, str | None, str]] = field(default_factory=list)  # (key, heading, text)
    findings: list[tuple[str, str, str, str, list[str]]] = field(default_factory=list)
    match: Match | None = None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f[1] == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f[1] == "warning")


def digest(report: Report, findings: list[Finding] | None = None, match: Match | None = None) -> Digest:
    """The digest of a read report (and its own findings, and which agency it is from)."""
    cells = {k: (None if v is None else float(v)) for k, v in report.cells.items()}
    statuses = {k: info.status for k, info in report.provenance.items()}
    for k in cells:
        statuses.setdefault(k, "missing" if cells[k] is None else "read")
    return Digest(
        content_hash=report.content_hash, format=report.format, template=report.template,
        year=report.report_year, printed_agency=clean(report.agency or report.signature_agency),
        signature_agency=clean(report.signature_agency), agency_kind=report.agency_kind,
        title=clean(report.title), published=report.published_date, cells=cells, statuses=statuses,
        parts=[(p.key, clean(p.heading), clean(p.text) or "") for p in report.parts.values()],
        findings=[(f.rule, f.severity, clean(f.message) or "", clean(f.message_en) or "", list(f.cells))
                  for f in findings or []],
        match=match,
    )
