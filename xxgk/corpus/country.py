"""A synthetic country: the benchmark and the demo data of the corpus (``xxgk corpus make-demo``).

    >>> from xxgk.corpus.country import make_country, Rates
    >>> m = make_country("demo", reports=10_000, seed=0, rates=Rates(late=0.05), workers=2)
    >>> m.reports, m.realised["late"]

writes

* ``registry/地区.csv`` and ``registry/机关.csv``: the region tree (province → city → county →
  township/street, 行政区划-style codes) and its agencies (government, office, departments,
  townships, others; parent, supervisor, aliases), UTF-8 with BOM, Chinese headers;
* ``reports/<省>/<市>/<县>/<file>``: each agency's report of each year, in the reader's generator
  layouts (:mod:`xxgk.corpus.country_render`), its cells continuing the previous year's
  (:mod:`xxgk.corpus.country_cells`), its prose its own (:mod:`xxgk.corpus.country_prose`);
* ``truth.jsonl``: a line per report file (path, agency, year, name printed, date, deadline,
  family, the defects injected with their detail, features, the cells as printed — sparse:
  ``default`` and the cells that differ from it, expanded by :func:`truth_cells` — and
  ``expect``, the cells a reader cannot know); ``missing.jsonl``: a line per report expected and
  not published (agency, year, deadline);
* ``manifest.json``: counts (regions by level, agencies by kind, reports by year, format and
  family), the rates asked for and realised, the seed and the generator's version.

Defects are planned for the whole country at once so that each rate is met exactly (up to
rounding, and up to what is possible: a discontinuity needs the previous year's report): missing
over the reports expected, the others over the reports published. A report may carry several.
The output depends only on the arguments, not on ``workers``: every random draw is seeded by
(seed, agency, year). Reports are written as they are made (a chunk of agencies at a time, on
``workers`` processes), so memory does not grow with the country's reports (the plan keeps one
small record per expected report: ~150 MB for 10⁵ reports). On this 2-core machine: ~0.9 ms of
CPU a text report, 10⁵ text reports in about a minute with ``workers=2`` when the machine is
otherwise idle (~100 MB of truth, ~500 MB of files).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from xxgk.corpus import country_cells as cc
from xxgk.corpus import country_prose as cp
from xxgk.corpus import country_render as cr
from xxgk.corpus.country_tree import AgencySpec, Country, build_country
from xxgk.corpus.types import LEVEL_ZH, LEVELS
from xxgk.errors import XxgkError

VERSION = "country/1"
KIND_CSV = {"government": "人民政府", "office": "政府办公室", "department": "政府部门", "township": "乡镇街道",
            "other": "其他"}
REGION_HEADER = ("地区代码", "地区名称", "层级", "上级地区代码")
AGENCY_HEADER = ("机关代码", "机关名称", "类别", "所在地区代码", "上级机关代码", "监督机关代码", "别名")
DEFECTS = ("late", "missing", "copied", "wrong_total", "discontinuity")
CHUNK = 40  # agencies a task


@dataclass(frozen=True)
class Rates:
    """The share of reports with each injected defect: ``missing`` of the reports expected, the
    others of the reports published."""

    late: float = 0.05
    missing: float = 0.03
    copied: float = 0.02
    wrong_total: float = 0.03
    discontinuity: float = 0.02


@dataclass
class CountryManifest:
    """What was written (``manifest.json`` holds the same, less ``out_dir`` and ``seconds``)."""

    out_dir: str
    seed: int
    version: str
    years: list[int]
    formats: list[str]
    requested_reports: int
    regions: dict[str, int]
    agencies: dict[str, int]
    expected: int  # agency × year
    reports: int  # files written
    missing: int
    by_year: dict[str, int]
    by_format: dict[str, int]
    by_family: dict[str, int]
    rates: dict[str, float]
    injected: dict[str, int]
    realised: dict[str, float]
    seconds: float = 0.0
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("out_dir")
        d.pop("seconds")
        return d


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Item:
    """One expected report: where it goes and what is wrong with it."""

    path: str | None  # relative to out_dir (None: missing)
    fmt: str
    family: str
    defects: dict[str, dict[str, object]]


def _check_args(reports: int, years: Sequence[int], rates: Rates, formats: Sequence[str]) -> None:
    def bad(code: str, zh: str, en: str) -> XxgkError:
        return XxgkError(code, zh, en)
    if not isinstance(reports, int) or reports < 1:
        raise bad("bad-reports", f"报告数须为正整数：{reports}", f"reports must be a positive integer: {reports}")
    if not years or len(set(years)) != len(years) or any(not isinstance(y, int) or y < 2021 for y in years):
        raise bad("bad-years", f"年份须为互不相同的 2021 年以后的年份：{list(years)}",
                  f"years must be distinct years from 2021 on: {list(years)}")
    for name in DEFECTS:
        v = getattr(rates, name)
        if not 0 <= v < 1:
            raise bad("bad-rate", f"比例须在 0 与 1 之间：{name}={v}", f"a rate must be in [0, 1): {name}={v}")
    unknown = [f for f in formats if f not in cr.FORMAT_FAMILIES]
    if not formats or unknown:
        raise bad("bad-format", f"未知的格式：{'、'.join(unknown) or '（无）'}（可选：{'、'.join(cr.FORMAT_FAMILIES)}）",
                  f"unknown formats: {', '.join(unknown) or '(none)'} (known: {', '.join(cr.FORMAT_FAMILIES)})")


def _neighbour_keys(a: AgencySpec) -> tuple[tuple[str, str, str], ...]:
    """Where an agency finds a report to copy, nearest first: the same field and level in the
    same county (townships), city (county level), province (city level) or country; then the same
    field and level anywhere; then the same kind anywhere."""
    r = a.record.region
    area = {"province": "", "city": r[:2], "county": r[:4], "township": r[:6]}[a.level]
    return ((area, a.level, a.field), ("*", a.level, a.field), ("*", "*", a.record.kind))


def _file_name(a: AgencySpec, year: int, suffix: str, rng: random.Random) -> str:
    r = rng.random()
    name = rng.choice([a.record.name, *a.printable])
    if r < 0.45:
        return f"{name}{year}年政府信息公开工作年度报告.{suffix}"
    if r < 0.6:
        return f"{year}年{name}政府信息公开工作年度报告.{suffix}"
    if r < 0.75:
        return f"{name}{year}年度政府信息公开年报.{suffix}"
    if r < 0.85:
        return f"{year}年度政府信息公开工作年度报告.{suffix}"
    return f"W0{year + 1}0{rng.randint(1, 3)}{rng.randint(10, 28)}{rng.randrange(10**6):06d}.{suffix}"


def plan(country: Country, years: Sequence[int], seed: int, rates: Rates,
         formats: tuple[str, ...]) -> list[Item]:
    """Every expected report (agency-major, years in order) with its file and its defects."""
    ny = len(years)
    agencies = country.agencies
    n = len(agencies) * ny
    rng = random.Random(f"xxgk.country/{seed}/plan")
    missing = set(rng.sample(range(n), round(rates.missing * n)))
    present = [i for i in range(n) if i not in missing]
    n_present = len(present)
    defects: dict[int, dict[str, dict[str, object]]] = {}

    def mark(i: int, name: str, detail: dict[str, object]) -> None:
        defects.setdefault(i, {})[name] = detail

    for i in rng.sample(present, round(rates.late * n_present)):
        mark(i, "late", {})
    for i in rng.sample(present, round(rates.wrong_total * n_present)):
        mark(i, "wrong_total", {})
    eligible = [i for i in present if i % ny and i - 1 not in missing]
    for i in rng.sample(eligible, min(len(eligible), round(rates.discontinuity * n_present))):
        mark(i, "discontinuity", {})
    # copies: sources are published reports that copy nothing themselves
    copies = set(rng.sample(present, round(rates.copied * n_present)))
    groups: dict[tuple[str, str, str], list[int]] = {}
    for ai, a in enumerate(agencies):
        for key in _neighbour_keys(a):
            groups.setdefault(key, []).append(ai)
    sources: dict[int, int] = {}
    for i in sorted(copies):
        ai, yi = divmod(i, ny)
        options: list[tuple[int, str]] = []
        if yi and i - 1 not in missing and i - 1 not in copies:
            options.append((i - 1, "own-previous-year"))
        for key in _neighbour_keys(agencies[ai]):
            peers = [p * ny + yi for p in groups[key] if p != ai]
            peers = [j for j in peers if j not in missing and j not in copies]
            if peers:
                options.append((rng.choice(peers), "other-agency"))
                break
        if not options:
            continue
        src, how = rng.choice(options)
        sources[i] = src
        part = rng.choice(["overview", "overview", "overview", "problems", "problems"])
        mark(i, "copied", {"part": part, "how": how, "source_agency": agencies[src // ny].record.code,
                           "source_year": years[src % ny], "source_key": _prose_key(seed, agencies[src // ny],
                                                                                     years[src % ny])})
    items: list[Item] = []
    taken: set[str] = set()
    for ai, a in enumerate(agencies):
        for yi, y in enumerate(years):
            i = ai * ny + yi
            frng = random.Random(f"xxgk.country/{seed}/{a.record.code}/{y}/file")
            fmt, family = cr.family_for(frng, formats)
            path = None
            if i not in missing:
                stem = "/".join(("reports", *a.folder))
                name = _file_name(a, y, cr.SUFFIX[fmt], frng)
                path = f"{stem}/{name}"
                k = 1
                while path in taken:
                    base, dot, ext = name.rpartition(".")
                    path = f"{stem}/{base}({k}){dot}{ext}"
                    k += 1
                taken.add(path)
            items.append(Item(path, fmt, family, defects.get(i, {})))
    for i, src in sources.items():  # a copy names its source's file
        items[i].defects["copied"]["source_path"] = items[src].path
    return items


def _prose_key(seed: int, a: AgencySpec, year: int) -> str:
    return f"xxgk.country/{seed}/{a.record.code}/{year}/prose"


# ----------------------------------------------------------------------------- writing


def write_registry(country: Country, out: Path) -> None:
    """``registry/地区.csv`` and ``registry/机关.csv`` (UTF-8 with BOM, Chinese headers)."""
    reg = out / "registry"
    reg.mkdir(parents=True, exist_ok=True)
    with open(reg / "地区.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(REGION_HEADER)
        for r in country.regions:
            w.writerow((r.code, r.name, LEVEL_ZH[r.level], r.parent or ""))
    with open(reg / "机关.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(AGENCY_HEADER)
        for a in country.agencies:
            r = a.record
            w.writerow((r.code, r.name, KIND_CSV[r.kind], r.region, r.parent or "", r.supervisor or "",
                        "、".join(r.aliases)))


@dataclass(frozen=True)
class _Task:
    out_dir: str
    seed: int
    years: tuple[int, ...]
    agencies: tuple[AgencySpec, ...]
    items: tuple[Item, ...]  # len(agencies) × len(years)


def _facts(a: AgencySpec, name: str, year: int, cells: cc.Cells, extra: dict[str, int]) -> cp.Facts:
    def v(cid: str) -> int:
        return int(cells.get(cid) or 0)
    return cp.Facts(
        agency=name, me=a.me, area=a.area, kind=a.record.kind, field=a.field, year=year,
        received=v("requests.new.total"), handled=v("requests.total.total"),
        normative_issued=v("proactive.normative.issued"), normative_repealed=v("proactive.normative.repealed"),
        normative_in_force=v("proactive.normative.in_force"), licensing=v("proactive.licensing.decisions"),
        penalty=v("proactive.penalty.decisions"), items=extra["items"], interpretations=extra["interpretations"],
        trainings=extra["trainings"], hotline=extra["hotline"])


def _agency_reports(task: _Task, a: AgencySpec, items: Sequence[Item]) -> Iterator[tuple[Item, dict[str, object]]]:
    """Each year's (item, truth line) of one agency; files written as they come."""
    code = a.record.code
    prng = random.Random(f"xxgk.country/{task.seed}/{code}/cells")
    prof = cc.profile(a.record.kind, a.level, a.field, prng)
    state = cc.first_state(prof, prng)
    for y, it in zip(task.years, items, strict=True):
        cells, nxt, extra = cc.year_cells(prof, state, prng)
        drng = random.Random(f"xxgk.country/{task.seed}/{code}/{y}/defects")
        done: dict[str, dict[str, object]] = {}
        if "discontinuity" in it.defects:
            done["discontinuity"] = cc.break_continuity(cells, drng)
            nxt.normative_in_force = int(cells["proactive.normative.in_force"] or 0)
        if "wrong_total" in it.defects:
            done["wrong_total"] = cc.wrong_total(cells, drng)
        state = nxt
        if it.path is None:
            yield it, {}
            continue
        rng = random.Random(f"xxgk.country/{task.seed}/{code}/{y}/render")
        name = a.printable[0] if rng.random() < 0.55 else a.printable[-1]
        late = "late" in it.defects
        pub = cr.published_date(rng, a.record.kind, y, late)
        due = cr.deadline(a.record.kind, y)
        if late:
            done["late"] = {"deadline": due.isoformat(), "days": (pub - due).days}
        printed = cc.blank_zeros(cells) if it.family in cr.BLANKS and rng.random() < cr.BLANK_RATE else cells
        keys = dict.fromkeys(cp.PARTS, _prose_key(task.seed, a, y))
        if "copied" in it.defects:
            d = it.defects["copied"]
            keys[str(d["part"])] = str(d["source_key"])
            done["copied"] = {k: v for k, v in d.items() if k != "source_key"}
        prose = cp.prose(_facts(a, name, y, printed, extra), keys)
        out = cr.render(it.family, printed, agency=name, year=y, published=pub, prose=prose, rng=rng)
        path = Path(task.out_dir) / it.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.data)
        yield it, {
            "path": it.path, "agency": code, "year": y, "name": name, "kind": a.record.kind, "level": a.level,
            "published": pub.isoformat(), "deadline": due.isoformat(), "format": it.fmt, "family": it.family,
            "template": "2021", "defects": {k: done[k] for k in DEFECTS if k in done},
            "features": out.features, **_sparse(out.cells), "expect": out.expect,
        }


def _sparse(cells: cc.Cells) -> dict[str, object]:
    """The cells as the truth keeps them: ``default`` (0, or None when zeros print empty) and
    ``cells``, only those whose value is not the default (a report's cells are mostly zero)."""
    default = None if any(v is None for v in cells.values()) and not any(v == 0 for v in cells.values()) else 0
    return {"default": default, "cells": {cid: v for cid, v in cells.items() if v != default}}


def truth_cells(line: dict[str, object]) -> dict[str, int | float | None]:
    """Every 2021 cell of a truth line: the value it prints (None: printed empty or not printed)."""
    from xxgk.template import load_template

    sparse = line["cells"]
    assert isinstance(sparse, dict)
    return {cid: sparse.get(cid, line["default"]) for cid in load_template(str(line["template"])).cell_ids}


def _run_task(task: _Task) -> tuple[list[str], list[str]]:
    """Write a chunk's files; (truth lines, missing lines) as JSON text, in order."""
    truth: list[str] = []
    missing: list[str] = []
    ny = len(task.years)
    for k, a in enumerate(task.agencies):
        for (it, line), y in zip(_agency_reports(task, a, task.items[k * ny:(k + 1) * ny]), task.years,
                                 strict=True):
            if it.path is None:
                missing.append(json.dumps({
                    "agency": a.record.code, "name": a.record.name, "kind": a.record.kind, "year": y,
                    "deadline": cr.deadline(a.record.kind, y).isoformat()}, ensure_ascii=False))
            else:
                truth.append(json.dumps(line, ensure_ascii=False))
    return truth, missing


def make_country(
    out_dir: str | os.PathLike[str], *, reports: int = 100_000, years: Sequence[int] = (2022, 2023, 2024),
    seed: int = 0, rates: Rates = Rates(), formats: Sequence[str] = ("text",), workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> CountryManifest:
    """Write a synthetic country of about ``reports`` report files to ``out_dir`` (an empty or new
    folder); see the module docstring. ``progress(done, total)`` is called as reports are written
    (counting expected reports, missing ones included)."""
    t0 = time.perf_counter()
    years = tuple(years)
    formats = tuple(dict.fromkeys(formats))
    _check_args(reports, years, rates, formats)
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise XxgkError("out-dir-not-empty", f"输出目录已存在且不为空：{out}",
                        f"the output folder exists and is not empty: {out}")
    budget = max(1, round(reports / (len(years) * (1 - rates.missing))))
    country = build_country(budget, seed)
    items = plan(country, years, seed, rates, formats)
    out.mkdir(parents=True, exist_ok=True)
    write_registry(country, out)
    ny = len(years)
    tasks = (_Task(str(out), seed, years, tuple(country.agencies[s:s + CHUNK]),
                   tuple(items[s * ny:(s + CHUNK) * ny])) for s in range(0, len(country.agencies), CHUNK))
    total = len(items)
    done = 0
    with open(out / "truth.jsonl", "w", encoding="utf-8") as ft, open(out / "missing.jsonl", "w", encoding="utf-8") as fm:
        if workers > 1:
            with _context().Pool(workers) as pool:
                results: Iterator[tuple[list[str], list[str]]] = pool.imap(_run_task, tasks)
                done = _collect(results, ft, fm, progress, total)
        else:
            done = _collect(map(_run_task, tasks), ft, fm, progress, total)
    assert done == total
    m = _manifest(out, country, items, years, seed, rates, formats, reports)
    m.seconds = round(time.perf_counter() - t0, 3)
    (out / "manifest.json").write_text(json.dumps(m.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return m


def _context() -> multiprocessing.context.BaseContext:
    """fork where the platform has it and the caller runs no other thread (no re-import of the
    caller's main module, which a script without a ``__main__`` guard would run again in every
    worker); spawn otherwise."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _collect(results: Iterator[tuple[list[str], list[str]]], ft: object, fm: object,
             progress: Callable[[int, int], None] | None, total: int) -> int:
    done = 0
    for truth, missing in results:
        for line in truth:
            ft.write(line + "\n")  # type: ignore[attr-defined]
        for line in missing:
            fm.write(line + "\n")  # type: ignore[attr-defined]
        done += len(truth) + len(missing)
        if progress:
            progress(done, total)
    return done


def _manifest(out: Path, country: Country, items: list[Item], years: tuple[int, ...], seed: int, rates: Rates,
              formats: tuple[str, ...], requested: int) -> CountryManifest:
    ny = len(years)
    present = [(i, it) for i, it in enumerate(items) if it.path is not None]
    n_present = len(present)
    injected = {d: sum(1 for _, it in present if d in it.defects) for d in DEFECTS if d != "missing"}
    injected["missing"] = len(items) - n_present
    realised = {d: round(injected[d] / max(1, n_present), 6) for d in injected}
    realised["missing"] = round(injected["missing"] / max(1, len(items)), 6)
    from xxgk import __version__

    return CountryManifest(
        out_dir=str(out), seed=seed, version=f"{VERSION} (xxgk {__version__})", years=list(years),
        formats=list(formats), requested_reports=requested,
        regions={lv: sum(1 for r in country.regions if r.level == lv) for lv in LEVELS},
        agencies={k: v for k, v in sorted(Counter(a.record.kind for a in country.agencies).items())},
        expected=len(items), reports=n_present, missing=injected["missing"],
        by_year={str(y): sum(1 for i, _ in present if i % ny == yi) for yi, y in enumerate(years)},
        by_format=dict(sorted(Counter(it.fmt for _, it in present).items())),
        by_family=dict(sorted(Counter(it.family for _, it in present).items())),
        rates={d: getattr(rates, d) for d in DEFECTS},
        injected={d: injected[d] for d in DEFECTS}, realised={d: realised[d] for d in DEFECTS},
        files={"regions": "registry/地区.csv", "agencies": "registry/机关.csv", "truth": "truth.jsonl",
               "missing": "missing.jsonl", "reports": "reports/"},
    )


__all__ = ["CountryManifest", "Rates", "make_country", "plan", "truth_cells", "write_registry"]
