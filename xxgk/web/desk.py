"""The supervisor's desk: every agency expected to report in a region for a year, with the flags
of the status sheet. Computed exactly as ``xxgk corpus status`` does (the registry's
:meth:`~xxgk.corpus.registry.Registry.expected_reporters`, this year's and last year's entries,
:func:`~xxgk.corpus.checks.check_corpus`, :func:`~xxgk.corpus.answers.status`): no rule is
re-implemented here, only sorted, filtered and flagged for the page.

Pure of the web framework: the routes and the review service call it with the corpus store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from xxgk.corpus.answers import StatusRow, StatusSummary, status, summarize
from xxgk.corpus.checks import check_corpus
from xxgk.corpus.registry import Registry
from xxgk.corpus.store import CorpusStore
from xxgk.corpus.types import CorpusFinding

# the copied-text flag: the copy rules that are problems (corpus-text-reused is only said, see
# xxgk.corpus.answers.short_zh)
COPIED_RULES = ("corpus-text-copied", "corpus-problems-reused")
CASE_RULES_SEVERITY = ("error", "warning")  # what a case may be opened on


@dataclass
class DeskRow:
    row: StatusRow
    findings: list[CorpusFinding] = field(default_factory=list)  # the corpus findings about the agency's year
    open_cases: int = 0

    @property
    def received(self) -> bool:
        return bool(self.row.reports)

    @property
    def missing(self) -> bool:
        return self.row.state == "missing"

    @property
    def late(self) -> bool:
        return self.row.state == "late"

    @property
    def copied(self) -> bool:
        return any(f.rule in COPIED_RULES for f in self.findings)

    @property
    def has_problem(self) -> bool:
        return bool(self.row.errors or self.row.warnings or self.missing or self.late or self.copied)

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        return {"agency": r.agency, "name": r.name, "kind": r.kind, "kind_zh": r.kind_zh,
                "reports": [int(x) for x in r.reports if x.isdigit()],
                "published": r.published.isoformat() if r.published else None,
                "deadline": r.deadline.isoformat(), "state": r.state, "on_time": r.on_time,
                "days_late": r.days_late, "received": self.received, "missing": self.missing, "late": self.late,
                "errors": r.errors, "warnings": r.warnings, "copied": self.copied, "problems": r.problems,
                "open_cases": self.open_cases}


@dataclass
class Desk:
    region: str
    region_name: str
    year: int
    as_of: dt.date
    rows: list[DeskRow]
    summary: StatusSummary
    findings: list[CorpusFinding]


def registry(store: CorpusStore) -> Registry:
    regions, agencies = store.registry()
    return Registry(regions, agencies)


def entries_for(store: CorpusStore, year: int, region: str) -> list[Any]:
    """This year's and last year's reports (continuity and copies look one year back), as the CLI."""
    return store.entries(year, region) + store.entries(year - 1, region)


def compute(store: CorpusStore, reg: Registry, region: str, year: int, as_of: dt.date) -> Desk:
    """The desk of ``region`` for ``year`` judged on ``as_of``: the rows of ``xxgk corpus status``."""
    agencies = reg.expected_reporters(region)
    entries = entries_for(store, year, region)
    findings = check_corpus(entries, agencies=agencies, year=year, as_of=as_of)
    rows = status(agencies, entries, year, as_of, findings)
    about: dict[str, list[CorpusFinding]] = {}
    for f in findings:
        if f.agency is not None and f.year == year:
            about.setdefault(f.agency, []).append(f)
    name = "/".join(r.name for r in reg.region_path(region))
    return Desk(region, name, year, as_of, [DeskRow(r, about.get(r.agency, [])) for r in rows],
                summarize(rows, year, as_of), findings)


def latest_year(store: CorpusStore, region: str) -> int | None:
    """The latest year with a stored report in the region (None: none)."""
    years = [t.year for t in store.tally(region=region) if t.reports]
    return max(years) if years else None


def years(store: CorpusStore, region: str) -> list[int]:
    return sorted({t.year for t in store.tally(region=region) if t.reports}, reverse=True)


# ------------------------------------------------------------ sorting and filtering

def _nulls_last(v: Any) -> tuple[int, Any]:
    return (v is None, v if v is not None else 0)


SORTS: dict[str, tuple[str, Callable[[DeskRow], Any]]] = {  # key -> (Chinese header, sort key)
    "name": ("机关名称", lambda d: d.row.name),
    "kind": ("机关类别", lambda d: d.row.kind_zh),
    "received": ("已报", lambda d: d.received),
    "published": ("发布日期", lambda d: _nulls_last(d.row.published)),
    "deadline": ("法定期限", lambda d: d.row.deadline),
    "state": ("是否按时", lambda d: d.row.on_time),
    "days_late": ("逾期天数", lambda d: _nulls_last(d.row.days_late)),
    "errors": ("错误", lambda d: d.row.errors),
    "warnings": ("警告", lambda d: d.row.warnings),
    "copied": ("文字雷同", lambda d: d.copied),
    "cases": ("整改事项", lambda d: d.open_cases),
}

FILTERS: dict[str, tuple[str, Callable[[DeskRow], bool]]] = {
    "": ("全部", lambda d: True),
    "problems": ("有问题", lambda d: d.has_problem),
    "received": ("已报", lambda d: d.received),
    "missing": ("未发布", lambda d: d.missing),
    "late": ("逾期发布", lambda d: d.late),
    "on-time": ("按时发布", lambda d: d.row.state == "on-time"),
    "not-due": ("未到期", lambda d: d.row.state == "not-due"),
    "date-unknown": ("发布日期不详", lambda d: d.row.state == "date-unknown"),
    "errors": ("有错误", lambda d: d.row.errors > 0),
    "warnings": ("有警告", lambda d: d.row.warnings > 0),
    "copied": ("文字雷同", lambda d: d.copied),
}


def arrange(rows: Sequence[DeskRow], *, sort: str = "", direction: str = "asc", only: str = "") -> list[DeskRow]:
    """The rows filtered by ``only`` (a key of :data:`FILTERS`) and sorted by ``sort`` (a key of
    :data:`SORTS`; unknown keys keep the registry's order), ties in the registry's order."""
    test = FILTERS.get(only, FILTERS[""])[1]
    out = [d for d in rows if test(d)]
    if sort in SORTS:
        key = SORTS[sort][1]
        out = sorted(out, key=key, reverse=direction == "desc")  # stable: ties keep the registry's order
    return out
