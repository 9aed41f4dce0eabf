"""The families published through LibreOffice: Word reports saved to PDF, and ``pdftotext -layout``
of those PDFs.

All the batch's DOCX files are converted in one soffice call. Features that depend on how the
pages fell are read back from the PDF itself, so they are true of the file: ``table-split``
(table 三 runs over two or more pages) and ``header-repeated`` (its header rows are printed again
on a following page).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xxgk.gen import word
from xxgk.gen.content import Content, draw
from xxgk.gen.office import pdftotext, pdftotext_exe, to_pdf
from xxgk.normalize import compact

if TYPE_CHECKING:
    from xxgk.gen import Family, Sample


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
    pdftotext_exe()  # fail early, with a clear message, when poppler is missing
    drawn: list[tuple[Content, word.WordStyle]] = []
    docs: dict[str, bytes] = {}
    for i in range(n):
        rng = rng_for(fam.name, seed, i)
        c = draw(rng, fam.rates, template=fam.template)
        st = word.draw_style(rng)
        docs[f"doc{i:05d}"] = word.build_docx(c, st, rng)
        drawn.append((c, st))
    pdfs = to_pdf(docs, workdir)
    out = []
    for i, (c, st) in enumerate(drawn):
        pdf = pdfs[f"doc{i:05d}"]
        extra = list(st.features) + page_features(pdf, workdir)
        if fam.format == "pdf":
            out.append(sample(fam, i, c, pdf, extra))
        else:
            text = pdftotext(pdf, layout=True, workdir=workdir)
            extra = [f for f in extra if not f.startswith("font:")]
            out.append(sample(fam, i, c, text.encode("utf-8"), extra))
    return out
