"""Shared by the corpus storage tests: a registry that covers every agency xxgk.gen names, and
matchers that slow a worker down (to kill things mid-ingest) or stall on chosen documents."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from xxgk.agency import kind_of_name
from xxgk.corpus.ingest import NameMatcher
from xxgk.corpus.types import AgencyRecord, Match, Region
from xxgk.gen import make
from xxgk.gen.content import _OFFICES, _PLACES, _TOWNS

PROVINCES = {
    "廊坊市": ("130000", "河北省"), "邯郸市": ("130000", "河北省"), "宁波市": ("330000", "浙江省"),
    "绍兴市": ("330000", "浙江省"), "成都市": ("510000", "四川省"), "凉山州": ("510000", "四川省"),
    "济南市": ("370000", "山东省"), "淄博市": ("370000", "山东省"), "潍坊市": ("370000", "山东省"),
    "赣州市": ("360000", "江西省"), "南阳市": ("410000", "河南省"), "洛阳市": ("410000", "河南省"),
    "株洲市": ("430000", "湖南省"), "大理州": ("530000", "云南省"), "曲靖市": ("530000", "云南省"),
    "贵阳市": ("520000", "贵州省"), "安顺市": ("520000", "贵州省"), "晋中市": ("140000", "山西省"),
    "盐城市": ("320000", "江苏省"), "宜昌市": ("420000", "湖北省"),
}


def _code(prefix: str, name: str) -> str:
    return prefix[:2] + str(int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**4).zfill(4)


def registry() -> tuple[list[Region], list[AgencyRecord]]:
    """Provinces, cities and districts of every place xxgk.gen writes, and every agency it names."""
    regions: dict[str, Region] = {}
    agencies: list[AgencyRecord] = []
    for place in _PLACES:
        city = next(c for c in PROVINCES if place.startswith(c))
        county = place.removeprefix(city)
        pcode, pname = PROVINCES[city]
        regions[pcode] = Region(pcode, pname, "province")
        ccode = _code(pcode, city)
        regions[ccode] = Region(ccode, city, "city", pcode)
        where = ccode
        if county:
            where = _code(pcode, place)
            regions[where] = Region(where, county, "county", ccode)
        gov = f"{place}人民政府"
        for suffix in ("人民政府", *_TOWNS, *_OFFICES):
            name = place + suffix
            code = "A" + hashlib.sha256(name.encode()).hexdigest()[:12]
            parent = None if suffix == "人民政府" else "A" + hashlib.sha256(gov.encode()).hexdigest()[:12]
            agencies.append(AgencyRecord(code, name, kind_of_name(name) or "department", where, parent, parent,
                                         (name.removeprefix(city),) if county and suffix != "人民政府" else ()))
    return list(regions.values()), agencies


def agency_code(name: str) -> str:
    return "A" + hashlib.sha256(name.encode()).hexdigest()[:12]


def write_reports(folder: Path, n: int, seed: int = 1, family: str = "viewer-text") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for s in make(family, n, seed=seed):
        p = folder / f"{s.name}.{s.suffix}"
        p.write_bytes(s.data)
        out.append(p)
    return out


class SlowMatcher(NameMatcher):
    """Matches by name, and takes ``delay`` seconds a document (``stall`` seconds for sources
    containing ``stall_on``), so a test can act while an ingest runs."""

    def __init__(self, agencies: Any = (), delay: float = 0.0, stall_on: str | None = None,
                 stall: float = 0.0) -> None:
        super().__init__(agencies)
        self.delay, self.stall_on, self.stall = delay, stall_on, stall

    def __call__(self, report: Any) -> Match:
        if self.stall_on and self.stall_on in (report.source_path or ""):
            time.sleep(self.stall)
        if self.delay:
            time.sleep(self.delay)
        return super().__call__(report)


class WorkerKiller(NameMatcher):
    """Kills the Dask worker reading a source containing ``kill_on`` (the reader is a child of the
    worker): the document that takes down every worker it is given to."""

    def __init__(self, agencies: Any = (), kill_on: str = "") -> None:
        super().__init__(agencies)
        self.kill_on = kill_on

    def __call__(self, report: Any) -> Match:
        if self.kill_on and self.kill_on in (report.source_path or ""):
            import os
            import signal

            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(30)
        return super().__call__(report)
