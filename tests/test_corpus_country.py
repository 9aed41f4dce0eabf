"""The synthetic country (``xxgk.corpus.country``): its tree and agencies are well formed, its
files and truth agree, the reader reads the files back as the truth says, the numbers continue
from year to year except where a break was injected, the injected defects are really there at the
rates asked for, and the whole is deterministic for a seed."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

import xxgk
from xxgk.corpus.country import Rates, make_country, truth_cells
from xxgk.corpus.country_tree import uscc_valid
from xxgk.errors import XxgkError
from xxgk.synth import check_cells

RATES = Rates(late=0.08, missing=0.05, copied=0.04, wrong_total=0.05, discontinuity=0.04)
YEARS = (2022, 2023, 2024)
APPLICANTS = ("natural", "commercial", "research", "social", "legal", "other_org")
LEVEL_RANK = {"省级": 0, "市级": 1, "县级": 2, "乡镇（街道）": 3}


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("country") / "c"
    make_country(out, reports=300, years=YEARS, seed=3, rates=RATES)
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _truth(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


@cache
def _parsed(path: str) -> xxgk.Report:
    return xxgk.parse(path)


def _value(line: dict, cells: dict, cid: str) -> int | float | None:
    """A cell's number (an empty cell is 0), None where the report does not print it."""
    if cid in line["expect"]:
        return None
    return cells[cid] or 0


# ----------------------------------------------------------------------------- tree and agencies


def test_region_tree(country: Path) -> None:
    rows = _csv(country / "registry" / "地区.csv")
    assert list(rows[0]) == ["地区代码", "地区名称", "层级", "上级地区代码"]
    by_code = {r["地区代码"]: r for r in rows}
    assert len(by_code) == len(rows)
    assert set(Counter(r["层级"] for r in rows)) == set(LEVEL_RANK)
    suffixes = {"省级": ("省", "自治区"), "市级": ("市", "自治州", "地区", "盟"), "县级": ("县", "区", "市", "旗"),
                "乡镇（街道）": ("乡", "镇", "街道")}
    for r in rows:
        code, level = r["地区代码"], r["层级"]
        assert r["地区名称"].endswith(suffixes[level]), r
        assert re.fullmatch(r"\d{9}" if level == "乡镇（街道）" else r"\d{6}", code), r
        if level == "省级":
            assert r["上级地区代码"] == "" and code.endswith("0000")
            continue
        parent = by_code[r["上级地区代码"]]
        assert LEVEL_RANK[parent["层级"]] == LEVEL_RANK[level] - 1, r
        keep = {"市级": 2, "县级": 4, "乡镇（街道）": 6}[level]
        assert code[:keep] == parent["地区代码"][:keep] and code != parent["地区代码"], r
    parents = {r["上级地区代码"] for r in rows}
    assert all(r["地区代码"] in parents for r in rows if r["层级"] != "乡镇（街道）"), "a region without children"


def test_agencies_parents_and_supervisors(country: Path) -> None:
    regions = {r["地区代码"]: r for r in _csv(country / "registry" / "地区.csv")}
    rows = _csv(country / "registry" / "机关.csv")
    assert list(rows[0]) == ["机关代码", "机关名称", "类别", "所在地区代码", "上级机关代码", "监督机关代码", "别名"]
    by_code = {a["机关代码"]: a for a in rows}
    assert len(by_code) == len(rows)
    kinds = Counter(a["类别"] for a in rows)
    assert set(kinds) == {"人民政府", "政府办公室", "政府部门", "乡镇街道", "其他"}
    assert kinds["政府部门"] > kinds["人民政府"] and kinds["乡镇街道"] > kinds["人民政府"]
    gov = {a["所在地区代码"]: a["机关代码"] for a in rows if a["类别"] == "人民政府"}
    office = {a["所在地区代码"]: a["机关代码"] for a in rows if a["类别"] == "政府办公室"}
    for a in rows:
        assert uscc_valid(a["机关代码"]), a
        region = regions[a["所在地区代码"]]
        up = region["上级地区代码"]
        kind = a["类别"]
        aliases = a["别名"].split("、")
        assert aliases and a["机关名称"] not in aliases and all(aliases), a
        if kind == "人民政府":
            assert region["层级"] != "乡镇（街道）"
            assert a["上级机关代码"] == gov.get(up, "") and a["监督机关代码"] == office.get(up, ""), a
        elif kind == "政府办公室":
            assert a["上级机关代码"] == gov[region["地区代码"]] and a["监督机关代码"] == office.get(up, ""), a
            assert "办公" in a["机关名称"]
        elif kind == "乡镇街道":
            assert region["层级"] == "乡镇（街道）"
            assert a["上级机关代码"] == gov[up] and a["监督机关代码"] == office[up], a
            assert a["机关名称"].endswith(("乡人民政府", "镇人民政府", "街道办事处")), a
        else:  # departments and others: their government's, reviewed by its office
            assert a["上级机关代码"] == gov[region["地区代码"]] and a["监督机关代码"] == office[region["地区代码"]], a
        for ref in (a["上级机关代码"], a["监督机关代码"]):
            assert ref == "" or ref in by_code


# ----------------------------------------------------------------------------- files and truth


def test_files_match_truth_and_manifest(country: Path) -> None:
    truth = _truth(country)
    missing = [json.loads(x) for x in (country / "missing.jsonl").read_text(encoding="utf-8").splitlines()]
    manifest = json.loads((country / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(p.relative_to(country).as_posix() for p in (country / "reports").rglob("*") if p.is_file())
    assert files == sorted(t["path"] for t in truth)
    agencies = _csv(country / "registry" / "机关.csv")
    assert manifest["expected"] == len(agencies) * len(YEARS) == len(truth) + len(missing)
    assert manifest["reports"] == len(truth) and manifest["missing"] == len(missing)
    assert 270 <= len(truth) <= 330
    assert sum(manifest["agencies"].values()) == len(agencies)
    assert manifest["by_year"] == {str(y): sum(1 for t in truth if t["year"] == y) for y in YEARS}
    names = {a["机关代码"]: a for a in agencies}
    regions = {r["地区代码"]: r for r in _csv(country / "registry" / "地区.csv")}
    seen = {(t["agency"], t["year"]) for t in truth}
    assert not seen & {(m["agency"], m["year"]) for m in missing}
    for t in truth:
        a = names[t["agency"]]
        assert t["name"] in (a["机关名称"], *a["别名"].split("、")), t["name"]
        chain, code = [], a["所在地区代码"]
        while code:
            chain.insert(0, regions[code])
            code = regions[code]["上级地区代码"]
        folders = [r["地区名称"] for r in chain if r["层级"] != "乡镇（街道）"]
        assert t["path"].split("/")[1:-1] == folders, t["path"]


def test_reader_reads_every_file_as_the_truth_says(country: Path) -> None:
    """No cell ever read wrong; ≥ 99.5 % of the cells exact (a page number a PDF viewer copies
    right after table 二 leaves 行政事业性收费 open in some viewer-text files: the reader's known
    limit); the year always, the date wherever the reader finds one."""
    truth = _truth(country)
    cells = exact = dated = 0
    wrong: list[tuple] = []
    for t in truth:
        r = _parsed(str(country / t["path"]))
        assert r.report_year == t["year"], t["path"]
        assert t["name"] in (r.title or ""), (t["path"], r.title)
        if r.published_date is not None:
            dated += 1
            assert r.published_date.isoformat() == t["published"], t["path"]
        for cid, v in truth_cells(t).items():
            got = r.cells[cid]
            if cid in t["expect"]:
                assert got is None, (t["path"], cid, got)
                continue
            cells += 1
            if got == v and (got is None) == (v is None):
                exact += 1
            elif got is not None:
                wrong.append((t["path"], t["family"], cid, v, got))
    assert not wrong, wrong[:5]
    assert exact / cells >= 0.995, exact / cells
    assert dated / len(truth) >= 0.7, dated / len(truth)


def test_cells_add_up_except_wrong_totals(country: Path) -> None:
    for t in _truth(country):
        cells = {cid: (None if cid in t["expect"] else v) for cid, v in truth_cells(t).items()}
        broken = check_cells("2021", cells)
        if "wrong_total" in t["defects"]:
            d = t["defects"]["wrong_total"]
            assert broken and cells[d["cell"]] == d["printed"] != d["correct"], t["path"]
            assert _parsed(str(country / t["path"])).cells[d["cell"]] in (d["printed"], None)
        elif not t["expect"]:
            assert not broken, (t["path"], broken)


def test_continuity_except_where_broken(country: Path) -> None:
    by = {(t["agency"], t["year"]): t for t in _truth(country)}
    checked = broken = 0
    for (agency, year), t in by.items():
        prev = by.get((agency, year - 1))
        if prev is None:
            continue
        a, b = truth_cells(prev), truth_cells(t)
        pairs = [(_value(prev, a, f"requests.carried_out.{x}"), _value(t, b, f"requests.carried_in.{x}"), x)
                 for x in APPLICANTS]
        for row in ("rules", "normative"):
            last = _value(prev, a, f"proactive.{row}.in_force")
            now = [_value(t, b, f"proactive.{row}.{c}") for c in ("in_force", "issued", "repealed")]
            if last is not None and None not in now:
                pairs.append((last + now[1] - now[2], now[0], row))
        mismatched = [x for before, after, x in pairs if before is not None and after is not None and before != after]
        checked += 1
        if "discontinuity" in t["defects"]:
            broken += 1
            cell = t["defects"]["discontinuity"]["cells"][0]
            assert cell.split(".")[-1] in mismatched or "normative" in mismatched, (t["path"], mismatched)
        else:
            assert not mismatched, (t["path"], mismatched)
    assert checked > 150 and broken > 0


def test_late_reports_read_late(country: Path) -> None:
    """Injected late reports are dated after the deadline (31 March for a government, 31 January
    for every other agency) and read so; every other report is on time."""
    late = 0
    for t in _truth(country):
        due = f"{t['year'] + 1}-{'03-31' if t['kind'] == 'government' else '01-31'}"
        assert t["deadline"] == due
        if "late" in t["defects"]:
            late += 1
            assert t["published"] > due
            got = _parsed(str(country / t["path"])).published_date
            assert got is None or got.isoformat() > due, t["path"]
        else:
            assert t["published"] <= due, t["path"]
    assert late > 0


def test_rates_realised(country: Path) -> None:
    truth = _truth(country)
    manifest = json.loads((country / "manifest.json").read_text(encoding="utf-8"))
    n = len(truth)
    for name in ("late", "copied", "wrong_total", "discontinuity"):
        count = sum(1 for t in truth if name in t["defects"])
        assert count == manifest["injected"][name]
        assert abs(count / n - getattr(RATES, name)) <= 1.5 / n + 0.005, (name, count, n)
        assert manifest["realised"][name] == round(count / n, 6)
    assert abs(manifest["missing"] / manifest["expected"] - RATES.missing) <= 1 / manifest["expected"]


def _shingles(text: str) -> set[str]:
    s = re.sub(r"\d+", "#", re.sub(r"\s+", "", text))
    return {s[i:i + 5] for i in range(len(s) - 4)}


def _jaccard(a: str, b: str) -> float:
    x, y = _shingles(a), _shingles(b)
    return len(x & y) / max(1, len(x | y))


def test_copied_parts_read_alike_and_others_do_not(country: Path) -> None:
    truth = _truth(country)
    copies = [t for t in truth if "copied" in t["defects"]]
    assert copies
    involved = {t["path"] for t in copies} | {t["defects"]["copied"]["source_path"] for t in copies}
    for t in copies:
        d = t["defects"]["copied"]
        mine = _parsed(str(country / t["path"])).parts[d["part"]].text
        theirs = _parsed(str(country / d["source_path"])).parts[d["part"]].text
        assert _jaccard(mine, theirs) >= 0.75, (t["path"], d)
    honest = [t for t in truth if t["path"] not in involved]
    rng = random.Random(0)
    for _ in range(150):
        a, b = rng.sample(honest, 2)
        for part in ("overview", "problems"):
            pa = _parsed(str(country / a["path"])).parts[part].text
            pb = _parsed(str(country / b["path"])).parts[part].text
            assert _jaccard(pa, pb) < 0.6, (a["path"], b["path"], part)


# ----------------------------------------------------------------------------- determinism, formats, errors


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_deterministic_for_a_seed_whatever_the_workers(tmp_path: Path) -> None:
    a = make_country(tmp_path / "a", reports=60, seed=5, years=(2023, 2024))
    b = make_country(tmp_path / "b", reports=60, seed=5, years=(2023, 2024), workers=2)
    c = make_country(tmp_path / "c", reports=60, seed=6, years=(2023, 2024))
    assert a.to_json() == b.to_json()
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")
    assert c.reports > 0


def test_other_formats_read_exactly(tmp_path: Path) -> None:
    m = make_country(tmp_path / "f", reports=40, years=(2024,), seed=2, formats=("md", "html", "docx"))
    truth = _truth(tmp_path / "f")
    assert set(m.by_format) == {"md", "html", "docx"} and len(truth) == m.reports
    exact = total = 0
    for t in truth:
        r = xxgk.parse(tmp_path / "f" / t["path"])
        assert t["path"].endswith({"md": ".md", "html": ".html", "docx": ".docx"}[t["format"]])
        for cid, v in truth_cells(t).items():
            got = r.cells[cid]
            if cid in t["expect"]:
                assert got is None
            elif got is not None:
                assert got == v, (t["path"], cid, v, got)
        known = {cid: v for cid, v in truth_cells(t).items() if cid not in t["expect"]}
        total += len(known)
        exact += sum(1 for cid, v in known.items() if r.cells[cid] == v and (v is None) == (r.cells[cid] is None))
    assert exact / total >= 0.99, exact / total


def test_progress_and_bad_arguments(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    m = make_country(tmp_path / "p", reports=20, years=(2024,), seed=1, progress=lambda d, n: calls.append((d, n)))
    assert calls and calls[-1] == (m.expected, m.expected)
    for kwargs in ({"reports": 0}, {"years": ()}, {"years": (2019,)}, {"rates": Rates(late=1.5)},
                   {"formats": ("pdfx",)}):
        with pytest.raises(XxgkError):
            make_country(tmp_path / "bad", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(XxgkError):
        make_country(tmp_path / "p", reports=20)  # not empty
