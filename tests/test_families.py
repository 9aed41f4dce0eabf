"""The reader on the realistic corpus (``xxgk.gen``): reports written the way agencies publish
them — the official Word template saved to PDF by LibreOffice (tables across pages, repeated
headers, page numbers, vertical group labels, wrapped labels, spaced headers, headings beside a
table), DOCX and DOC, CMS web pages, Markdown as MinerU, marker, pandoc and chat tools write it,
text copied out of a PDF viewer, a page's text on one line — with misprinted labels, a 2021
report printing the 2019 one-row （六）, a table 二 without its 规章 row, totals printed wrong.

For every family: every cell the print determines is read exactly (a printed 0 is not a blank),
no cell is ever given a value where the truth is open or the row is not printed, and the output
contract holds. ``pdf-layout-text`` (``pdftotext -layout`` of the PDFs, where empty cells vanish
into spaces) is the one family not read exactly: there the test asks only that no value is wrong.
``bench/bench_layouts.py`` measures the same on larger samples.
"""

from __future__ import annotations

import shutil
from functools import cache

import pytest

import xxgk
from xxgk.contract import violations
from xxgk.gen import FAMILIES, Sample, families, make

N = 6
SEED = 23  # not the seeds the generator's own tests or the benchmark use
NOT_EXACT = {"pdf-layout-text"}


@cache
def _samples(family: str) -> tuple[Sample, ...]:
    return tuple(make(family, N, SEED))


def _errors(s: Sample) -> tuple[list[tuple], list[tuple], list[str]]:
    report = xxgk.parse_bytes(s.data, name=f"{s.name}.{s.format}")
    wrong, silent = [], []
    for cid, value in s.cells.items():
        got = report.cells[cid]
        status = report.provenance[cid].status
        if cid in s.expect:
            if got is not None:
                silent.append((cid, s.expect[cid], got, status))
            continue
        if got is None and value is None:
            continue
        if got is None or value is None or got != value:
            wrong.append((cid, value, got, status))
            if got is not None:
                silent.append((cid, value, got, status))
    return wrong, silent, violations(report)


def _params() -> list:
    out = []
    for f in families():
        marks = []
        if f in NOT_EXACT:
            marks.append(pytest.mark.xfail(strict=True, reason=(
                "pdftotext -layout: where empty cells vanished into spaces and a vertical group label "
                "is interleaved with the rows, some numbers are still placed in the wrong column")))
        out.append(pytest.param(f, marks=marks, id=f))
    return out


@pytest.mark.parametrize("family", _params())
def test_family_reads_exactly(family: str) -> None:
    """≥ 99.5 % of the non-zero cells exact (a bare page number a viewer copied between two
    cells leaves a cell open, never wrong), no value where the print says otherwise."""
    for tool in FAMILIES[family].needs:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: the {family} family cannot be generated")
    nonzero = exact = 0
    misses = {}
    for s in _samples(family):
        wrong, silent, broken = _errors(s)
        assert not broken, (s.name, broken[:3])
        assert not silent, (s.name, "a value where the print says otherwise", silent[:5])
        bad = {w[0] for w in wrong}
        for cid, value in s.cells.items():
            if cid not in s.expect and value:
                nonzero += 1
                exact += cid not in bad
        if wrong:
            misses[s.name] = (list(s.features), wrong[:3])
    assert exact >= 0.995 * nonzero, (f"{exact}/{nonzero} non-zero cells exact", misses)


# ----------------------------------------------------------------------------- properties

import os  # noqa: E402

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FAST = [f for f in families() if not FAMILIES[f].needs]  # made in milliseconds, no LibreOffice


@pytest.mark.parametrize("family", FAST)
@settings(max_examples=int(25 * float(os.environ.get("XXGK_PROPERTY_SCALE", "1"))), deadline=None,
          derandomize=bool(os.environ.get("CI") or os.environ.get("XXGK_DERANDOMIZE")),
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
@example(seed=579)  # word-docx: 规范性文件 in the prose before a table whose heading follows it
@example(seed=2560)  # viewer-text: a wrong total beside a page number, once read as the arithmetic said
def test_family_reads_soundly(family: str, seed: int) -> None:
    """Any report of a family (any seed): never a value where the print says otherwise, every cell
    accounted for, and everything exact but the rare cell a bare page number leaves open."""
    s = make(family, 1, seed)[0]
    wrong, silent, broken = _errors(s)
    assert not broken, broken[:3]
    assert not silent, silent[:5]
    assert all(w[3] in ("ambiguous", "missing") for w in wrong), wrong[:5]
