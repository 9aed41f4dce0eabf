"""Markdown as converters write it (MinerU, marker, pandoc, chat tools) reads like every other
format: pipe tables, HTML tables inside Markdown, one small table per row, <br> inside cells,
pandoc grid tables, the appeals table as three rows of five."""

from __future__ import annotations

import re

import pytest
from conftest import SEEDS, seed_names

import xxgk
from xxgk.contract import violations
from xxgk.model import Report
from xxgk.writers import render


def _truth(name: str) -> Report:
    return xxgk.parse(SEEDS / f"{name}.txt")


def _same_cells(a: Report, b: Report) -> list[tuple[str, object, object]]:
    return [(c, a.cells[c], b.cells[c]) for c in a.cells
            if a.cells[c] != b.cells[c] or (a.cells[c] is None) != (b.cells[c] is None)]


def _mineru(report: Report) -> str:
    """Headings as Markdown, tables as the HTML <table>s MinerU keeps (rowspan/colspan)."""
    html = render(report, "html", force=True).decode("utf-8")
    body = html[html.index("<body"):]
    body = re.sub(r"<h[1-6][^>]*>(.*?)</h[1-6]>", lambda m: "\n# " + re.sub("<[^>]+>", "", m.group(1)) + "\n", body, flags=re.S)
    body = re.sub(r"<p[^>]*>(.*?)</p>", lambda m: "\n" + re.sub("<[^>]+>", "", m.group(1)) + "\n", body, flags=re.S)
    body = re.sub(r"</?(?:body|html|div|section|article|main|caption)[^>]*>", "\n", body)
    # MinerU writes each table on one line
    body = re.sub(r"<table.*?</table>", lambda m: m.group(0).replace("\n", ""), body, flags=re.S)
    return body


def _one_table_per_row(md: str) -> str:
    """Chat tools: every table row its own little table with a rule line."""
    out = []
    for line in md.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| :]+\|$", line):
            n = line.count("|") - 1
            out += ["", line, "|" + "---|" * n, ""]
        elif not line.startswith("|"):
            out.append(line)
    return "\n".join(out)


def _br_labels(md: str) -> str:
    """marker: long labels wrapped with <br> inside the cell."""
    def wrap(m: re.Match[str]) -> str:
        s = m.group(1)
        return "| " + (s[: len(s) // 2] + "<br>" + s[len(s) // 2:] if len(s) > 8 else s) + " |"
    return re.sub(r"^\| ([^|]+?) \|", wrap, md, flags=re.M)


def _grid(md: str) -> str:
    """pandoc grid tables: +---+ rules, every cell padded to its column's width."""
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        if not block:
            return
        n = max(len(r) for r in block)
        rows = [r + [""] * (n - len(r)) for r in block]
        w = [max(len(r[k]) for r in rows) + 2 for k in range(n)]
        rule = "+" + "+".join("-" * x for x in w) + "+"
        out.append(rule)
        for r in rows:
            out.append("|" + "|".join(" " + r[k].ljust(w[k] - 1) for k in range(n)) + "|")
            out.append(rule)
        block.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            if not re.match(r"^\|[-| :]+\|$", line):
                block.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out)


STYLES = {
    "xxgk": lambda r: render(r, "md", force=True).decode("utf-8"),
    "mineru-html-tables": _mineru,
    "one-table-per-row": lambda r: _one_table_per_row(render(r, "md", force=True).decode("utf-8")),
    "br-in-cells": lambda r: _br_labels(render(r, "md", force=True).decode("utf-8")),
    "pandoc-grid": lambda r: _grid(render(r, "md", force=True).decode("utf-8")),
}


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("name", seed_names())
def test_markdown_reads_like_the_original(name: str, style: str) -> None:
    truth = _truth(name)
    md = STYLES[style](truth)
    back = xxgk.parse_bytes(md.encode("utf-8"), name=f"{name}.md")
    assert back.format == "markdown"
    assert _same_cells(truth, back) == []
    assert violations(back) == []


def test_html_table_inside_markdown_is_not_read_as_a_web_page() -> None:
    md = "# 某局2022年政府信息公开工作年度报告\n\n<table><tr><td>规章</td><td>1</td></tr></table>\n"
    assert xxgk.parse_bytes(md.encode()).format == "markdown"
