"""A bounded fuzz campaign over the readers (bench/fuzz.py; the long run is
``python bench/fuzz.py --files 10000``): every seed written as text in four encodings, Markdown,
HTML, DOCX and XLSX, damaged by every mutator, read by ``xxgk.parse`` under the batch watchdog
(10 s, 1 GB): no traceback, nothing over the time or memory limit. Derandomised in CI (fixed
seed), random on developers' machines (the seed is printed on failure).

Every format (PDF included) and every mutator (long digit runs and inserted digits in table rows
too: the row aligner works under a bound); the hangs an earlier campaign found are kept as
regression tests below.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import fuzz  # noqa: E402
import fuzz_mutators as mut  # noqa: E402

from xxgk import batch  # noqa: E402

SEED = 20261201 if os.environ.get("CI") else random.randrange(1 << 30)
FORMATS = list(fuzz.FORMATS)
FILES = 240


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[bytes]]:
    return fuzz.bases(FORMATS, cache=tmp_path_factory.mktemp("bases"))


def test_readers_survive_a_fuzz_campaign(bases: dict[str, list[bytes]], tmp_path: Path) -> None:
    files = fuzz.generate(FILES, SEED, tmp_path / "files", bases)
    assert len(files) == FILES
    assert {fmt for _, fmt, _ in files} == set(FORMATS)
    assert len({m for _, _, m in files}) >= 20  # the format-specific mutators too, not just bit flips
    res = fuzz.campaign(files, jobs=2, out=tmp_path)
    bad = "\n".join(f"{o}: {Path(p).name}: {why}" for p, o, why in res.failures)
    assert res.count("traceback") == 0, f"seed {SEED}:\n{bad}"
    assert res.count("timeout") == 0, f"seed {SEED}:\n{bad}"
    assert res.count("memory") == 0, f"seed {SEED}:\n{bad}"
    assert res.count("read") + res.count("refused") == FILES


@pytest.mark.parametrize("mutator", ["zip-deflate-flip", "zip-bad-crc", "zip-bad-sizes", "bitflip", "truncate"])
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_damaged_office_zip_is_refused_in_one_line(bases: dict[str, list[bytes]], fmt: str, mutator: str) -> None:
    """The previous campaign's tracebacks: zlib.error, BadZipFile, NotImplementedError, negative seeks."""
    import xxgk

    rng = random.Random(SEED)
    for k in range(10):
        data = fuzz.mutators(fmt)[mutator](rng, bases[fmt][k % len(bases[fmt])])
        try:
            xxgk.parse_bytes(data, name=f"{fmt}-{mutator}-{k}")
        except xxgk.XxgkError as e:
            assert "\n" not in str(e) and " / " in str(e)


def test_hostile_readers_inputs_are_refused_quickly(bases: dict[str, list[bytes]], tmp_path: Path) -> None:
    """Each of the bombs the campaign draws at random, once each, under the 10 s limit."""
    rng = random.Random(SEED)
    cases = {
        "gridcol.docx": mut.docx_gridcol(rng, bases["docx"][0]),
        "vmerge.docx": mut.docx_vmerges(random.Random(3), bases["docx"][0]),
        "textboxes.docx": mut.docx_nested_textboxes(random.Random(1), bases["docx"][1]),
        "entities.docx": mut.xml_entities(rng, bases["docx"][2]),
        "merge.xlsx": mut.xlsx_huge_dimension(rng, bases["xlsx"][0]),
        "odd.xlsx": mut.xlsx_odd_values(rng, bases["xlsx"][1]),
        "spans.html": mut.html_span_bomb(rng, bases["html"][0]),
        "tables.html": mut.html_many_tables(random.Random(0), bases["html"][1]),
        "deep.html": mut.html_deep(rng, bases["html"][2]),
        "charset.html": mut.html_charset(rng, bases["html"][3]),
    }
    for cs in (b"idna", b"punycode", b"utf-16", b"x-undefined", b"hex"):
        cases[f"charset-{cs.decode()}.html"] = bases["html"][4].replace(b'charset="utf-8"', b'charset="' + cs + b'"')
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    files, _ = batch.collect([tmp_path])
    items = list(batch.run(files, jobs=2, limits=batch.Limits(timeout=10, memory_mb=1024)))
    outcomes = {Path(i.path).name: fuzz.outcome(i) for i in items}
    assert all(o in ("read", "refused") for o in outcomes.values()), outcomes
    for i in items:
        if Path(i.path).name.startswith("charset-"):
            assert i.report is not None, i.failure  # an impossible declaration is ignored, the page read


def _one(tmp_path: Path, name: str, data: bytes, seconds: float = 10) -> str:
    (tmp_path / name).write_bytes(data)
    item = next(batch.run([tmp_path / name], limits=batch.Limits(timeout=seconds, memory_mb=1024)))
    return fuzz.outcome(item)


def test_long_digit_run_in_a_table_row_is_read_in_time(tmp_path: Path) -> None:
    """Seed 003 (one cell per line) with 40 digits run onto the 予以公开 row's first cell (line
    91, ``\t1``): 20 digits read in about a second, 40 in over a minute."""
    lines = (fuzz.SEEDS / "003_7097c5c10f7e9ea9.txt").read_text("utf-8").split("\n")
    assert lines[90] == "\t1"
    lines[90] += "1234567890" * 4
    assert _one(tmp_path, "digits.txt", "\n".join(lines).encode()) in ("read", "refused")


def test_pdf_page_of_200000_characters_is_refused_in_time(tmp_path: Path) -> None:
    data = mut.pdf_page_of(200_000)
    assert _one(tmp_path, "chars.pdf", data) in ("read", "refused")
