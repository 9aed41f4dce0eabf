"""The families published through LibreOffice: Word reports saved to PDF or to Word 97 DOC, and
``pdftotext -layout`` of the PDFs.

All the batch's DOCX files are converted in one soffice call. Features that depend on how the
pages fell are read back from the PDF itself, so they are true of the file: ``table-split``
(table 三 runs over two or more pages) and ``header-repeated`` (its header rows are printed again
on a following page).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xxgk.gen import word
from xxgk.gen.content import Content, draw
from xxgk.gen.office import pdftotext, pdftotext_exe, soffice, to_pdf
from xxgk.normalize import compact

if TYPE_CHECKING:
    from xxgk.gen import Family, Sample


def fixed_dates(pdf: bytes, day: str) -> bytes:
    """The PDF with LibreOffice's creation time replaced by ``day`` (YYYYMMDD) at 09:00:00, same
    length, so the bytes depend only on the document (offsets in the xref stay valid)."""
    pdf = re.sub(rb"/CreationDate\(D:\d{14}", b"/CreationDate(D:" + day.encode() + b"090000", pdf)
    # the file identifier LibreOffice draws at random: the hash of the rest of the file instead
    # (and the checksum LibreOffice computes over it): the hash of the rest of the file instead
    rest = re.sub(rb"/ID \[[^\]]*\]|/DocChecksum /[0-9A-F]{32}", b"", pdf)
    digest = hashlib.md5(rest).hexdigest().upper().encode()
    pdf = re.sub(rb"/DocChecksum /[0-9A-F]{32}", b"/DocChecksum /" + digest, pdf)
    return re.sub(rb"/ID \[ <[0-9A-F]{32}>\n<[0-9A-F]{32}> \]", b"/ID [ <" + digest + b">\n<" + digest + b"> ]", pdf)


def page_features(pdf: bytes, workdir: Path | None = None) -> list[str]:
    """``table-split`` / ``header-repeated``, read from the PDF's text page by page."""
    pages = [compact(p) for p in pdftotext(pdf, layout=False, workdir=workdir).split("\f")]
    first = next((i for i, p in enumerate(pages) if "本年新收" in p), None)
    last = next((i for i, p in enumerate(pages) if "结转下年度继续办理" in p), None)
    out = []
    if first is not None and last is not None and last > first:
        out.append("table-split")
        if sum(1 for p in pages[first:last + 1] if "申请人情况" in p) > 1:
            out.append("header-repeated")
    return out


def make_pdf_family(
    fam: Family, n: int, seed: int, *, workdir: Path | None,
    rng_for: Callable[[str, int, int], random.Random],
    sample: Callable[[Family, int, Content, bytes, list[str]], Sample],
) -> list[Sample]:
    soffice()  # fail early, with a clear message, when LibreOffice or poppler is missing
    if "pdftotext" in fam.needs:
        pdftotext_exe()
    drawn: list[tuple[Content, word.WordStyle]] = []
    docs: dict[str, bytes] = {}
    for i in range(n):
        rng = rng_for(fam.name, seed, i)
        c = draw(rng, fam.rates, template=fam.template)
        st = word.draw_style(rng)
        docs[f"doc{i:05d}"] = word.build_docx(c, st, rng)
        drawn.append((c, st))
    if fam.format == "doc":
        # Word 97-2003, as many sites still publish: converted by LibreOffice, one call
        converted = to_pdf(docs, workdir, target="doc:MS Word 97")
        return [sample(fam, i, c, converted[f"doc{i:05d}"], list(st.features))
                for i, (c, st) in enumerate(drawn)]
    pdfs = to_pdf(docs, workdir)
    out = []
    for i, (c, st) in enumerate(drawn):
        day = c.published.strftime("%Y%m%d") if c.published else "20000101"
        pdf = fixed_dates(pdfs[f"doc{i:05d}"], day)
        extra = list(st.features) + page_features(pdf, workdir)
        if fam.format == "pdf":
            out.append(sample(fam, i, c, pdf, extra))
        else:
            text = pdftotext(pdf, layout=True, workdir=workdir)
            extra = [f for f in extra if not f.startswith("font:")]
            out.append(sample(fam, i, c, text.encode("utf-8"), extra))
    return out
