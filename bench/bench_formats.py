"""Benchmark: reading each published form, and the PDF reader against a general-purpose extractor.

    python bench/bench_formats.py [--rounds 3]

For every seed's ground truth written in the official layout (xxgk render) to HTML, DOCX, PDF
and XLSX, plus the hand-made real-world fixtures (a GBK government page, the official template
filled in Word, its LibreOffice PDF export, the same as old DOC): documents per second (parse +
check, one process) and peak traced memory per document.

PDF comparison, on the same files: xxgk's reader (grids rebuilt from ruling lines, characters by
centre point) against pdfplumber's default ``extract_tables()`` (cells cropped by bounding box)
feeding the same extractor: how many of the template's cells each recovers exactly, and how fast.
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


def corpus() -> dict[str, list[tuple[bytes, dict]]]:
    out: dict[str, list[tuple[bytes, dict]]] = {"text": [], "html": [], "docx": [], "pdf": [], "xlsx": []}
    for p in sorted(SEEDS.glob("*.txt")):
        truth = json.loads(p.with_suffix(".json").read_text("utf-8"))["cells"]
        report = xxgk.parse(p).model_copy(update={"cells": dict(truth), "ambiguous": {}})
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    docs = corpus()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    print("| format | documents | documents/s (parse+check, 1 process) | peak traced MB/document | cells exact |")
    print("|---|---|---|---|---|")
    for fmt, items in docs.items():
        rounds = 1 if fmt == "doc" else args.rounds
        rate, peak, got, total = measure(items, rounds)
        print(f"| {fmt} | {len(items)} | {rate:.1f} | {peak:.1f} | {got}/{total} |")
    print()
    print("| PDF reader | cells exact | seconds/document |")
    print("|---|---|---|")
    pdfs = docs["pdf"]
    t0 = time.perf_counter()
    got = sum(score(xxgk.parse_bytes(d).cells, t) for d, t in pdfs)
    ours = (time.perf_counter() - t0) / len(pdfs)
    t0 = time.perf_counter()
    got2 = sum(score(extract(pdfplumber_default(d)).cells, t) for d, t in pdfs)
    theirs = (time.perf_counter() - t0) / len(pdfs)
    total = sum(len(t) for _, t in pdfs)
    print(f"| xxgk (ruling-line grid, centre-point characters) | {got}/{total} | {ours:.2f} |")
    print(f"| pdfplumber default extract_tables() + same extractor | {got2}/{total} | {theirs:.2f} |")


if __name__ == "__main__":
    main()
