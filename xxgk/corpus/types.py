"""The records the corpus modules share: plain, pure data (no database, no I/O).

Codes: a region's code is its 行政区划代码 (6 digits to county level, 9 for a township/street);
an agency's code is stable and unique within a registry (统一社会信用代码 where known, else any
code the registry assigns). Everything a user reads has a Chinese form first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from xxgk.agency import KIND_ZH, Kind

Level = Literal["province", "city", "county", "township"]
LEVELS: tuple[str, ...] = ("province", "city", "county", "township")
LEVEL_ZH = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇（街道）"}

__all__ = [
    "KIND_ZH", "LEVELS", "LEVEL_ZH", "AgencyRecord", "CorpusFinding", "Kind", "Level", "Match",
    "Region", "ReportEntry",
]


@dataclass(frozen=True)
class Region:
    code: str  # 行政区划代码
    name: str  # as the region calls itself: 三门峡市, 陕州区, 张汴乡
    level: Level
    parent: str | None = None  # the parent region's code; None for a province


@dataclass(frozen=True)
class AgencyRecord:
    code: str
    name: str  # full name: 三门峡市陕州区人民政府
    kind: Kind  # decides the statutory deadline (xxgk.agency)
    region: str  # region code
    parent: str | None = None  # parent agency's code (a department's people's government)
    supervisor: str | None = None  # the agency that reviews its report (a government's 政务公开 office)
    aliases: tuple[str, ...] = ()  # the other names it is printed under: 陕州区人民政府, 区政府


@dataclass(frozen=True)
class Match:
    """Which agency a report is from: the decision, how sure, and why."""

    agency: str | None  # agency code, None when unmatched
    confidence: float  # 0..1
    method: str  # "title" | "signature" | "body" | "path" | "manual" | "none"
    accepted: bool  # True: attached; False: waits for a person (doubtful or unmatched)
    candidates: tuple[tuple[str, float], ...] = ()  # (agency code, score), best first
    reasons: tuple[str, ...] = ()  # in Chinese, each a piece of evidence


@dataclass
class ReportEntry:
    """What the checks across reports need to know of one stored report."""

    id: str  # stable id (the stored report's id, as text)
    agency: str | None  # agency code when matched and accepted
    year: int | None
    template: str
    published: dt.date | None = None
    kind: Kind | None = None
    region: str | None = None
    level: Level | None = None
    cells: dict[str, float | int | None] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # cell -> reader contract status
    parts: dict[str, str] = field(default_factory=dict)  # part key -> its text
    errors: int = 0  # the report's own findings by severity
    warnings: int = 0


@dataclass
class CorpusFinding:
    """A finding about a report seen against the others (rule codes in xxgk.checks.rules)."""

    rule: str
    severity: Literal["error", "warning", "info"]
    message: str  # Chinese
    message_en: str
    report: str | None  # ReportEntry.id (None for an agency with no report: "missing")
    agency: str | None
    year: int | None
    cells: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # the other reports involved (ids)
    detail: dict[str, object] = field(default_factory=dict)
