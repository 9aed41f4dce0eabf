"""Benchmark: reading each published form, and the PDF reader against a general-purpose extractor.

    python bench/bench_formats.py [--rounds 3]

For every seed's ground truth written in the official layout (xxgk render) to HTML, DOCX, PDF
and XLSX, plus the hand-made real-world fixtures (a GBK government page, the official template
filled in Word, its LibreOffice PDF export, the same as old DOC): documents per second (parse +
check, one process) and peak traced memory per document.

PDF comparison, on the same files: xxgk's reader (PDFium: characters and ruling lines, its own
grid finder, characters by centre point, tables mended over page breaks) against the previous xxgk
reader (pdfplumber/pdfminer's table finder, characters by centre point) and pdfplumber's default
``extract_tables()`` (cells cropped by bounding box), each feeding the same extractor: how many of
the template's cells each recovers exactly, and how fast.

    python bench/bench_formats.py --libreoffice

adds, when LibreOffice is installed, the seeds' DOCX set on A5 and B5 pages with page numbers, a
running header and repeated header rows, converted to PDF (table 三 runs over pages): the PDF
reader's hard cases.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import xxgk  # noqa: E402
from xxgk.document import Document, TableCell  # noqa: E402
from xxgk.extract import extract  # noqa: E402
from xxgk.writers import render  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
REAL = ROOT / "tests" / "fixtures" / "real"


def libreoffice_pdfs(reports: list[tuple[xxgk.Report, dict]]) -> list[tuple[bytes, dict]]:
    """Each report as DOCX on A5 ('- N -' footer) and B5 ('第 N 页', running header, header rows
    repeated), converted by LibreOffice in one call."""
    import shutil
    import subprocess
    import tempfile

    from docx import Document as Docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    if shutil.which("soffice") is None:
        print("(LibreOffice not installed: --libreoffice skipped)")
        return []
    out: list[tuple[bytes, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for k, (report, truth) in enumerate(reports):
            for tag, (w, h, foot, header) in {"a5": (148, 210, ("- ", " -"), False),
                                              "b5": (176, 250, ("第 ", " 页"), True)}.items():
                src = Path(tmp) / f"r{k}{tag}.docx"
                src.write_bytes(render(report, "docx", force=True))
                d = Docx(str(src))
                sec = d.sections[0]
                sec.page_width, sec.page_height = Mm(w), Mm(h)
                for a in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
                    setattr(sec, a, Mm(15))
                par = sec.footer.paragraphs[0]
                par.add_run(foot[0])
                for kind, instr in (("begin", None), (None, "PAGE"), ("end", None)):
                    e = OxmlElement("w:fldChar" if kind else "w:instrText")
                    if kind:
                        e.set(qn("w:fldCharType"), kind)
                    else:
                        e.text = instr
                    par.add_run()._r.append(e)
                par.add_run(foot[1])
                if header:
                    sec.header.paragraphs[0].add_run("政府信息公开工作年度报告")
                    for t in d.tables:
                        n = 1
                        while n < len(t.rows) and t.rows[n]._tr.xpath(
                                './w:tc/w:tcPr/w:vMerge[not(@w:val) or @w:val="continue"]'):
                            n += 1
                        for row in t.rows[:n] if len(t.rows) > 6 else []:
                            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
                d.save(str(src))
                names.append((src, truth))
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp,
                        *[str(n) for n, _ in names]], check=True, capture_output=True, timeout=600)
        for src, truth in names:
            out.append((src.with_suffix(".pdf").read_bytes(), truth))
    return out


def corpus(with_libreoffice: bool = False) -> dict[str, list[tuple[bytes, dict]]]:
    out: dict[str, list[tuple[bytes, dict]]] = {"text": [], "html": [], "docx": [], "pdf": [], "xlsx": []}
    reports = []
    for p in sorted(SEEDS.glob("*.txt")):
        truth = json.loads(p.with_suffix(".json").read_text("utf-8"))["cells"]
        report = xxgk.parse(p).model_copy(update={"cells": dict(truth), "ambiguous": {}})
        reports.append((report, truth))
        out["text"].append((p.read_bytes(), truth))
        for fmt in ("html", "docx", "pdf", "xlsx"):
            out[fmt].append((render(report, fmt, force=True), truth))
    real_truth = json.loads((SEEDS / "003_7097c5c10f7e9ea9.json").read_text("utf-8"))["cells"]
    html_truth = {k: (None if k.startswith(("requests.partial.", "requests.unable.unclear.")) else v)
                  for k, v in real_truth.items()}
    out["html"].append(((REAL / "gov-article-gbk.html").read_bytes(), html_truth))
    out["docx"].append(((REAL / "official-template-filled.docx").read_bytes(), real_truth))
    out["pdf"].append(((REAL / "official-template-filled-libreoffice.pdf").read_bytes(), real_truth))
    out["doc"] = [((REAL / "official-template-filled.doc").read_bytes(), real_truth)]
    if with_libreoffice:
        out["pdf (LibreOffice, A5/B5, split tables)"] = libreoffice_pdfs(reports)
    return out


def score(cells: dict, truth: dict) -> int:
    return sum(1 for k, v in truth.items() if cells.get(k) == v)


def measure(docs: list[tuple[bytes, dict]], rounds: int) -> tuple[float, float, int, int]:
    for data, _ in docs[:2]:
        xxgk.check(xxgk.parse_bytes(data))
    t0 = time.perf_counter()
    n = 0
    for _ in range(rounds):
        for data, _ in docs:
            xxgk.check(xxgk.parse_bytes(data))
            n += 1
    rate = n / (time.perf_counter() - t0)
    peak = 0.0
    for data, _ in docs:
        tracemalloc.start()
        xxgk.parse_bytes(data)
        peak = max(peak, tracemalloc.get_traced_memory()[1] / 1048576)
        tracemalloc.stop()
    got = sum(score(xxgk.parse_bytes(d).cells, t) for d, t in docs)
    return rate, peak, got, sum(len(t) for _, t in docs)


def pdfplumber_default(data: bytes) -> Document:
    """pdfplumber's default table extraction, rows joined as the other readers do."""
    import io

    import pdfplumber

    items: list[str | list[list[TableCell]]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            items += [ln for ln in (page.extract_text() or "").split("\n")]
            for table in page.extract_tables():
                items.append([[TableCell(c or "", r, k) for k, c in enumerate(row) if c is not None]
                              for r, row in enumerate(table)])
    return Document.from_blocks(items, "pdf")


def pdfplumber_grid(data: bytes) -> Document:
    """The previous xxgk PDF reader, kept here for comparison: pdfplumber's table finder, the grid
    rebuilt from its cells' edges, characters given to cells by their centre point."""
    import io
    import re
    from bisect import bisect_right

    import pdfplumber

    def edges(values: list[float]) -> list[float]:
        out: list[float] = []
        for v in sorted(values):
            if not out or v - out[-1] > 2.0:
                out.append(v)
        return out

    def cell_text(chars: list[tuple[float, float, str]]) -> str:
        lines: list[list[tuple[float, float, str]]] = []
        for ch in sorted(chars):
            if lines and abs(ch[0] - lines[-1][0][0]) < 3:
                lines[-1].append(ch)
            else:
                lines.append([ch])
        return " ".join(" ".join("".join(c[2] for c in sorted(ln, key=lambda c: c[1])) for ln in lines).split())

    def grid(table: object, chars: list[dict]) -> list[list[TableCell]]:
        cells = [c for c in table.cells if c is not None]  # type: ignore[attr-defined]
        xs = edges([c[0] for c in cells] + [c[2] for c in cells])
        ys = edges([c[1] for c in cells] + [c[3] for c in cells])
        at: dict[tuple[int, int], int] = {}
        spec = []
        for k, (x0, top, x1, bottom) in enumerate(cells):
            c0, c1 = (max(0, bisect_right(xs, v + 2) - 1) for v in (x0, x1))
            r0, r1 = (max(0, bisect_right(ys, v + 2) - 1) for v in (top, bottom))
            spec.append((r0, c0, max(1, r1 - r0), max(1, c1 - c0)))
            for r in range(r0, max(r0 + 1, r1)):
                for c in range(c0, max(c0 + 1, c1)):
                    at[(r, c)] = k
        texts: list[list[tuple[float, float, str]]] = [[] for _ in cells]
        for ch in chars:
            cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
            k = at.get((bisect_right(ys, cy) - 1, bisect_right(xs, cx) - 1))
            if k is not None:
                texts[k].append((ch["top"], ch["x0"], ch["text"]))
        rows: dict[int, list[TableCell]] = {}
        for k, (r0, c0, rs, cs) in enumerate(spec):
            text = cell_text(texts[k])
            rows.setdefault(r0, []).append(TableCell(text, r0, c0, rs, cs))
        return [sorted(rows[r], key=lambda c: c.col) for r in sorted(rows)]

    page_number = re.compile(r"^[\s\-—–－]*(?:第\s*)?\d{1,4}(?:\s*页)?[\s\-—–－]*$")

    def page_items(page: object) -> list[str | list[list[TableCell]]]:
        tables = page.find_tables()  # type: ignore[attr-defined]
        boxes = [t.bbox for t in tables]
        placed: list[tuple[float, str | list[list[TableCell]]]] = [
            (t.bbox[1], grid(t, page.chars)) for t in tables]  # type: ignore[attr-defined]

        def outside(o: dict) -> bool:
            cx, cy = (o["x0"] + o["x1"]) / 2, (o["top"] + o["bottom"]) / 2
            return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

        rest = page.filter(lambda o: o.get("object_type") != "char" or outside(o))  # type: ignore[attr-defined]
        lines = [ln for ln in rest.extract_text_lines(layout=False, strip=True)
                 if ln["text"] and not page_number.match(ln["text"])]
        if lines:
            right, left = max(ln["x1"] for ln in lines), min(ln["x0"] for ln in lines)
            em = max(8.0, min(ln["bottom"] - ln["top"] for ln in lines))
            prev = None
            for ln in lines:
                if (prev is not None and prev["x1"] >= right - 1.5 * em and ln["x0"] <= left + 0.5 * em
                        and isinstance(placed[-1][1], str)):
                    placed[-1] = (placed[-1][0], placed[-1][1] + ln["text"])
                else:
                    placed.append((ln["top"], ln["text"]))
                prev = ln
        return [p for _, p in sorted(placed, key=lambda x: x[0])]

    items: list[str | list[list[TableCell]]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            items += page_items(page)
    return Document.from_blocks(items, "pdf")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--libreoffice", action="store_true", help="add LibreOffice PDFs with tables split over pages")
    args = ap.parse_args()
    docs = corpus(args.libreoffice)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    print("| format | documents | documents/s (parse+check, 1 process) | peak traced MB/document | cells exact |")
    print("|---|---|---|---|---|")
    for fmt, items in docs.items():
        rounds = 1 if fmt == "doc" else args.rounds
        rate, peak, got, total = measure(items, rounds)
        print(f"| {fmt} | {len(items)} | {rate:.1f} | {peak:.1f} | {got}/{total} |")
    print()
    print("| PDF reader, same PDFs | cells exact | documents/s (read + extract, 1 process) "
          "| documents per CPU second |")
    print("|---|---|---|---|")
    pdfs = [d for fmt, items in docs.items() if fmt.startswith("pdf") for d in items]
    total = sum(len(t) for _, t in pdfs)
    for label, read in (("xxgk (PDFium, ruling-line grid, centre-point characters)", None),
                        ("previous xxgk reader (pdfplumber table finder, centre-point characters)",
                         pdfplumber_grid),
                        ("pdfplumber default extract_tables() + same extractor", pdfplumber_default)):
        t0, c0 = time.perf_counter(), time.process_time()
        if read is None:
            got = sum(score(xxgk.parse_bytes(d).cells, t) for d, t in pdfs)
        else:
            got = sum(score(extract(read(d)).cells, t) for d, t in pdfs)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"| {label} | {got}/{total} | {len(pdfs) / wall:.1f} | {len(pdfs) / cpu:.1f} |")


if __name__ == "__main__":
    main()
