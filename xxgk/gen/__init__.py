"""A realistic corpus generator: reports written the way agencies publish them, with the truth kept.

    >>> from xxgk.gen import families, make
    >>> samples = make("word-pdf", 10, seed=1)      # list[Sample]
    >>> s = samples[0]; s.data, s.cells, s.expect, s.features

Every sample is a whole report (title, six parts with prose, the three tables, signature and date)
in one published form, with the value every cell prints (``cells``), what a reader can and cannot
know (``expect``: ``missing`` rows, ``undetermined`` cells) and the realistic features the sample
has. ``make`` is deterministic for a given (family, n, seed). Families (see ``FAMILIES``):

* ``word-pdf`` / ``word-pdf-2019``: the official Word template filled and saved to PDF by
  LibreOffice (2021 / 2019 format) in many page sizes, fonts and column widths;
* ``word-docx``: the filled DOCX as downloaded; ``word-doc``: the same saved as Word 97 DOC;
* ``cms-html``: the report as a government CMS publishes it (``cms.py``);
* ``md-mineru``, ``md-marker``, ``md-pandoc``, ``md-chat``: Markdown made from the document by
  conversion tools, in each tool's way of writing tables (``markdown.py``);
* ``viewer-text``: text copied out of a PDF viewer, one cell per line (``text.py``);
* ``web-flat``: text copied from a web page, the whole report on one line;
* ``pdf-layout-text``: ``pdftotext -layout`` of the word-pdf PDFs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xxgk.errors import XxgkError
from xxgk.gen.content import Content, Rates, draw
from xxgk.template import load_template

Number = int | float


@dataclass(frozen=True)
class Sample:
    family: str  # e.g. "word-pdf"
    name: str  # unique and stable, e.g. "word-pdf-2021-0007"
    format: str  # "pdf" | "docx" | "doc" | "html" | "md" | "text"
    data: bytes  # the file as published
    template: str  # "2019" | "2021"
    report_year: int
    agency: str
    published: str | None  # ISO date printed in the report, if any
    cells: dict[str, Number | None]  # every cell id of the template: the value the report prints
    expect: dict[str, str]  # cell id -> "missing" | "undetermined"; absent: must be read exactly
    features: tuple[str, ...]  # realistic features this sample has

    @property
    def suffix(self) -> str:
        return {"text": "txt"}.get(self.format, self.format)


@dataclass(frozen=True)
class Family:
    name: str
    format: str
    rates: Rates
    template: str | None = None  # force a template
    needs: tuple[str, ...] = ()  # system tools: "soffice", "pdftotext"
    description: str = ""


_PDF_RATES = Rates(blank_zeros=0.25)
FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("word-pdf", "pdf", _PDF_RATES, "2021", ("soffice", "pdftotext"),
           "官方 Word 模板填报后由 LibreOffice 另存为 PDF / the official Word template filled, saved to PDF"),
    Family("word-pdf-2019", "pdf", _PDF_RATES, "2019", ("soffice", "pdftotext"),
           "2019 年格式的 Word 报告另存为 PDF / a 2019-format Word report saved to PDF"),
    Family("word-doc", "doc", Rates(template_2019=0.3), None, ("soffice",),
           "另存为 Word 97-2003 的 DOC / the filled report saved as Word 97-2003 DOC"),
    Family("word-docx", "docx", Rates(template_2019=0.3), None, (),
           "填报后的 DOCX 原件 / the filled DOCX as downloaded"),
    Family("cms-html", "html", Rates(template_2019=0.3), None, (),
           "政府网站内容管理系统发布的网页 / a page as a government CMS publishes it"),
    Family("md-mineru", "md", Rates(template_2019=0.25), None, (),
           "MinerU 转换的 Markdown（HTML 表格） / MinerU's Markdown (HTML tables)"),
    Family("md-marker", "md", Rates(template_2019=0.25), None, (),
           "marker 转换的 Markdown（管道表格，<br>） / marker's Markdown (pipe tables, <br>)"),
    Family("md-pandoc", "md", Rates(template_2019=0.25), None, (),
           "pandoc 转换的 Markdown（网格表格或 HTML 表格） / pandoc's Markdown (grid or HTML tables)"),
    Family("md-chat", "md", Rates(template_2019=0.25, blank_zeros=0.1), None, (),
           "对话式大模型转写的 Markdown（分块小表格） / Markdown as a chat assistant rewrites it"),
    Family("viewer-text", "text", Rates(template_2019=0.25, blank_zeros=0.0), None, (),
           "从 PDF 阅读器复制的文本（每格一行） / text copied out of a PDF viewer, one cell per line"),
    Family("web-flat", "text", Rates(template_2019=0.25, blank_zeros=0.0), None, (),
           "从网页复制、全文一行的文本 / text copied from a web page, the whole report on one line"),
    Family("pdf-layout-text", "text", Rates(template_2019=0.25, blank_zeros=0.15), None, ("soffice", "pdftotext"),
           "pdftotext -layout 的输出 / pdftotext -layout output of the Word PDFs"),
)}


def families() -> list[str]:
    return list(FAMILIES)


def _rng(family: str, seed: int, i: int) -> random.Random:
    return random.Random(f"xxgk.gen/{family}/{seed}/{i}")


def _sample(fam: Family, i: int, c: Content, data: bytes, extra: list[str]) -> Sample:
    t = load_template(c.template)
    assert list(c.cells) == t.cell_ids
    features = tuple(dict.fromkeys([*c.features, *extra]))
    return Sample(
        family=fam.name, name=f"{fam.name}-{c.template}-{i:04d}", format=fam.format, data=data,
        template=c.template, report_year=c.year, agency=c.agency,
        published=c.published.isoformat() if c.published else None,
        cells=dict(c.cells), expect=dict(c.expect), features=features,
    )


Renderer = Callable[[Content, random.Random], tuple[bytes, list[str]]]


def _renderer(name: str) -> Renderer:
    if name == "word-docx":
        from xxgk.gen import word

        def docx(c: Content, rng: random.Random) -> tuple[bytes, list[str]]:
            st = word.draw_style(rng)
            return word.build_docx(c, st, rng), list(st.features)
        return docx
    if name == "cms-html":
        from xxgk.gen.cms import render_html

        return render_html
    if name.startswith("md-"):
        from xxgk.gen.markdown import render_markdown

        style = name[3:]
        return lambda c, rng: render_markdown(c, rng, style)
    if name == "viewer-text":
        from xxgk.gen.text import render_viewer

        return render_viewer
    if name == "web-flat":
        from xxgk.gen.text import render_flat

        return render_flat
    raise KeyError(name)


def make(family: str, n: int, seed: int, *, workdir: Path | None = None) -> list[Sample]:
    """``n`` samples of ``family``, deterministic for (family, n, seed).

    Families published through LibreOffice convert the whole batch in one soffice call and raise
    :class:`~xxgk.errors.XxgkError` when soffice (or pdftotext) is not installed.
    """
    if family not in FAMILIES:
        raise XxgkError("unknown-family", f"未知的样本类别：{family}（可选：{'、'.join(FAMILIES)}）",
                        f"unknown family: {family} (known: {', '.join(FAMILIES)})")
    fam = FAMILIES[family]
    if "soffice" in fam.needs:
        from xxgk.gen.pdf import make_pdf_family

        return make_pdf_family(fam, n, seed, workdir=workdir, rng_for=_rng, sample=_sample)
    render = _renderer(family)
    out = []
    for i in range(n):
        rng = _rng(family, seed, i)
        c = draw(rng, fam.rates, template=fam.template)
        data, extra = render(c, rng)
        out.append(_sample(fam, i, c, data, extra))
    return out


__all__ = ["FAMILIES", "Family", "Sample", "families", "make"]
