"""Text from a report made safe for the files xxgk writes, in one place.

Reports come from thousands of websites, and a ledger from whatever an applicant typed: an
agency's name, a title, a file name or a sentence may begin with ``=`` (``=HYPERLINK("http://…")某局``)
or hold a control character. Every writer passes its text through here:

* spreadsheets (the long CSV, every XLSX sheet, the ledger export): :func:`sheet_value` — a text
  cell starting with ``=`` ``+`` ``-`` ``@``, a tab or a carriage return (OWASP's list) gets a
  leading apostrophe, and is written as text (a string cell in XLSX), so neither Excel, WPS nor
  LibreOffice runs it as a formula, and editing the cell keeps it text; numbers stay numbers.
  The ledger import takes the apostrophe off again.
* XML formats (DOCX, XLSX) cannot hold most C0 control characters (python-docx refuses them
  with a ValueError): :func:`xml_text` turns a vertical tab or form feed (Word's line and page
  breaks) into a line break and drops the others; :func:`printable` does it for a whole report
  before it is rendered (DOCX, HTML, PDF, XLSX, Markdown alike).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from xxgk.model import Report

# OWASP's CSV injection advice: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Not allowed in XML 1.0: C0 controls but tab, LF, CR; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\x0b\x0c]")


def neutralise(text: str) -> str:
    """A spreadsheet cell's text that no spreadsheet runs as a formula: a leading ``'``."""
    return "'" + text if text.startswith(FORMULA_START) else text


def xml_text(text: str) -> str:
    """``text`` with what XML cannot hold taken out (vertical tab and form feed become line breaks)."""
    if not _XML_ILLEGAL.search(text):
        return text
    return _XML_ILLEGAL.sub("", _BREAKS.sub("\n", text))


def sheet_text(text: str) -> str:
    """One text cell of a spreadsheet (CSV or XLSX): XML-safe, then neutralised."""
    return neutralise(xml_text(text))


def sheet_value(value: Any) -> Any:
    """A cell's value for a spreadsheet: text made safe (:func:`sheet_text`), anything else as it is."""
    return sheet_text(value) if isinstance(value, str) else value


def sheet_row(values: Iterable[Any]) -> list[Any]:
    return [sheet_value(v) for v in values]


def printable(report: Report) -> Report:
    """``report`` with the text a rendered report prints (agency, title, signature, the parts'
    text and headings) XML-safe; the report itself when nothing needs it (the common case)."""
    parts = {k: p for k, p in report.parts.items()
             if _XML_ILLEGAL.search(p.text) or (p.heading and _XML_ILLEGAL.search(p.heading))}
    fields = {k: getattr(report, k) for k in ("agency", "title", "signature_agency")}
    fields = {k: v for k, v in fields.items() if v and _XML_ILLEGAL.search(v)}
    if not parts and not fields:
        return report
    update: dict[str, Any] = {k: xml_text(v) for k, v in fields.items()}
    if parts:
        update["parts"] = {**report.parts, **{
            k: p.model_copy(update={"text": xml_text(p.text), "heading": xml_text(p.heading) if p.heading else None})
            for k, p in parts.items()}}
    return report.model_copy(update=update)
