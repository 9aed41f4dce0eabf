"""The output contract: every cell of every report has exactly one status with its evidence
(xxgk/contract.py, docs/cells.md). Walks every fixture, every seed and 10,000 generated reports
(a quarter of them damaged: dropped, doubled and run-together cells)."""

from __future__ import annotations

from pathlib import Path

import pytest

import xxgk
from xxgk import synth
from xxgk.contract import violations
from xxgk.errors import XxgkError

FIXTURES = Path(__file__).parent / "fixtures"
GENERATED = 10_000
CHUNK = 500


def _fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix not in (".json", ".py", ".md"))


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_contract_holds_on_every_fixture(path: Path) -> None:
    try:
        report = xxgk.parse(path)
    except XxgkError as e:
        assert "bad" in path.parts or e.code in ("needs-libreoffice",), e  # refused files say why
        return
    assert violations(report) == []


@pytest.mark.parametrize("chunk", range(GENERATED // CHUNK))
def test_contract_holds_on_generated_reports(chunk: int) -> None:
    bad: dict[int, list[str]] = {}
    for i, (text, _truth) in enumerate(synth.corpus(CHUNK, seed=1000 + chunk)):
        v = violations(xxgk.parse_bytes(text.encode("utf-8")))
        if v:
            bad[i] = v[:3]
    assert not bad, f"{len(bad)} reports break the contract, e.g. {list(bad.items())[:3]}"


def test_contract_catches_a_null_without_a_status() -> None:
    report = xxgk.parse(FIXTURES / "seeds" / "000_623b78143b223035.txt")
    cid = "requests.new.total"
    broken = report.model_copy(update={
        "cells": {**report.cells, cid: None},
    })
    assert any(cid in v for v in violations(broken))
    info = report.provenance[cid].model_copy(update={"status": "ambiguous", "candidates": [3]})
    broken = report.model_copy(update={"cells": {**report.cells, cid: None},
                                       "provenance": {**report.provenance, cid: info}})
    assert any("fewer than two" in v for v in violations(broken))
