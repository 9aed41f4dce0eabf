"""The output contract: every cell of a report has exactly one status, with its evidence.

``violations(report)`` lists every breach; it is empty for every report xxgk writes. The tests
walk every fixture, every seed and thousands of generated reports through it. The statuses and
what each must carry (docs/cells.md):

=========  =========  ==========================================================================
status     value      evidence
=========  =========  ==========================================================================
read       a number   ``source``: the printed number (its digits are in the source text)
placed     a number   ``source``: the printed number or run of digits it was cut from; ``note``
blank      null       ``source``: the empty cell, or the row when the whole row prints nothing
computed   a number*  ``relation``: the arithmetic relation (or office-records); ``note``
resolved   a number   ``evidence``: the prose sentence; ``candidates``: the table's readings
ambiguous  null       ``candidates`` (>= 2, distinct; null = left empty), or ``complete`` false
                      with ``note`` saying why they cannot be listed
missing    null       ``note``: what was looked for and where
=========  =========  ==========================================================================

\\* null only when the arithmetic gives 0 in a table that writes its zeros as blanks.
"""

from __future__ import annotations

from xxgk.model import CELL_STATUSES, Report
from xxgk.normalize import normalize
from xxgk.template import load_template


def _printed(v: int | float) -> str:
    if isinstance(v, float) and not v.is_integer():
        return repr(v).rstrip("0")
    return str(int(v))


def violations(report: Report) -> list[str]:
    """Every breach of the output contract in ``report`` (empty when it holds)."""
    t = load_template(report.template)
    out: list[str] = []
    ids = list(t.cell_ids)
    if list(report.cells) != ids:
        extra = set(report.cells) - set(ids)
        lost = set(ids) - set(report.cells)
        out.append(f"cells differ from the template: extra {sorted(extra)[:3]}, lost {sorted(lost)[:3]}")
    if set(report.provenance) != set(ids):
        out.append("provenance does not account for exactly the template's cells")
    records = report.format == "records"
    for cid in ids:
        v = report.cells.get(cid)
        info = report.provenance.get(cid)
        if info is None:
            out.append(f"{cid}: no status")
            continue
        st = info.status
        if st not in CELL_STATUSES:
            out.append(f"{cid}: unknown status {st!r}")
            continue
        number = isinstance(v, (int, float)) and not isinstance(v, bool)
        if st in ("read", "placed", "resolved") and not number:
            out.append(f"{cid}: {st} without a number")
        if st in ("blank", "ambiguous", "missing") and v is not None:
            out.append(f"{cid}: {st} with a value {v!r}")
        if st == "read" and not records:
            if info.source is None:
                out.append(f"{cid}: read without a source")
            elif number and _printed(v) not in normalize(info.source.text).replace(",", ""):  # type: ignore[arg-type]
                out.append(f"{cid}: read {v!r} but the source says {info.source.text!r}")
        if st == "placed" and (info.source is None or not info.note):
            out.append(f"{cid}: placed without its printed number and a note")
        if st == "blank" and info.source is None:
            out.append(f"{cid}: blank without the empty cell's position")
        if st == "computed":
            if not info.relation or not info.note:
                out.append(f"{cid}: computed without the relation that gives it")
            if v is None and not records and "0" not in (info.note or ""):
                out.append(f"{cid}: computed null without saying the table leaves zeros empty")
        if st == "resolved":
            if info.evidence is None or not info.evidence.text:
                out.append(f"{cid}: resolved without the sentence that decides it")
            if len(info.candidates) < 2 or not any(c == v for c in info.candidates):
                out.append(f"{cid}: resolved without the table's readings, its value among them")
        if st == "ambiguous":
            cands = info.candidates
            if len(set(map(repr, cands))) != len(cands):
                out.append(f"{cid}: ambiguous with repeated candidates {cands}")
            if info.complete and len(cands) < 2:
                out.append(f"{cid}: ambiguous with fewer than two candidates {cands} and no reason")
            if not info.complete and not info.note:
                out.append(f"{cid}: ambiguous, candidates incomplete, and no reason given")
            if report.ambiguous.get(cid) != cands:
                out.append(f"{cid}: Report.ambiguous disagrees with the provenance")
        elif cid in report.ambiguous:
            out.append(f"{cid}: listed in Report.ambiguous but its status is {st}")
        if st == "missing" and not info.note:
            out.append(f"{cid}: missing without saying what was looked for")
    return out
