"""Outliers: a figure far from the agency's own history, or a share far from its peers.

Two comparisons, each saying in its finding's ``detail`` what was compared with what:

- **History** (``corpus-outlier-history``, warning): a figure of :data:`HISTORY_METRICS` against the
  median of the same agency's earlier years (at least ``min_history`` of them, the latest
  ``max_history``). Flagged when it is ``fold`` times the median or more, or the median is
  ``fold`` times it or more, and the larger of the two reaches ``min_count`` (from 2 requests to
  25 is a change of no consequence; from 300 to 3000 is a typing error or a story). A median of
  0 and a figure of ``min_count`` or more is flagged too (the ratio is then undefined).
- **Peers** (``corpus-outlier-peers``, info): a share of :data:`PEER_METRICS` against the agencies of
  the same kind and level in the same year, by the robust z-score 0.6745·(x − median)/MAD
  (Iglewicz and Hoaglin; flagged at |z| ≥ ``z``). Nothing is ranked unless the group has at least
  ``min_peers`` agencies with the share known, and only agencies whose denominator reaches
  ``min_denominator`` take part (1 of 2 is not a share). When the MAD is 0 (more than half the
  peers have the same share, typically none denied) the spread is unknown and nothing is said.

Cells: an ambiguous or missing cell makes the figure unknown (the report is left out of that
comparison); a cell printed empty counts as 0 in a sum of rows (reports leave zeros empty), but
a figure that is itself empty is unknown. Reports are the standing one per agency and year
(:func:`xxgk.corpus.checks.current`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xxgk.corpus.checks import current, finding
from xxgk.corpus.types import LEVEL_ZH, AgencyRecord, CorpusFinding, ReportEntry
from xxgk.template import load_template

__all__ = [
    "HISTORY_METRICS", "PEER_METRICS", "OutlierSettings", "PeerMetric", "history_outliers", "outliers",
    "peer_outliers",
]


@dataclass(frozen=True)
class OutlierSettings:
    fold: float = 10.0
    min_history: int = 2
    max_history: int = 5
    min_count: int = 30
    min_peers: int = 20
    min_denominator: int = 10
    z: float = 3.5


# (cell, 中文, English): cells with the same id in both templates.
HISTORY_METRICS: tuple[tuple[str, str, str], ...] = (
    ("requests.new.total", "本年新收政府信息公开申请数量", "new applications"),
    ("proactive.licensing.decisions", "行政许可处理决定数量", "licensing decisions"),
    ("proactive.penalty.decisions", "行政处罚处理决定数量", "penalty decisions"),
)


@dataclass(frozen=True)
class PeerMetric:
    key: str
    zh: str
    en: str
    numerator_rows: str  # requests rows whose key starts with this, summed over their total column
    denominator: str  # a cell


PEER_METRICS: tuple[PeerMetric, ...] = (
    PeerMetric("denied_share", "不予公开占办结申请的比例", "share of closed applications denied", "denied.",
               "requests.total.total"),
)


def _known(e: ReportEntry, cell: str) -> float | int | None:
    if e.statuses.get(cell) in ("ambiguous", "missing") or cell not in e.cells:
        return None
    return e.cells[cell]


def _summand(e: ReportEntry, cell: str) -> tuple[bool, float | int]:
    """(usable, value): an empty cell counts as 0 in a sum; ambiguous or missing does not."""
    if e.statuses.get(cell) in ("ambiguous", "missing") or cell not in e.cells:
        return False, 0
    return True, e.cells[cell] or 0


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def history_outliers(entries: Iterable[ReportEntry], *, year: int | None = None,
                     settings: OutlierSettings | None = None) -> list[CorpusFinding]:
    """Figures far from the median of the agency's earlier years (module docstring)."""
    s = settings or OutlierSettings()
    stand = current(entries)
    years_of: dict[str, list[int]] = defaultdict(list)
    for agency, y in stand:
        years_of[agency].append(y)
    out: list[CorpusFinding] = []
    for (agency, y), e in sorted(stand.items()):
        if year is not None and y != year:
            continue
        earlier = sorted(x for x in years_of[agency] if x < y)[-s.max_history:]
        for cell, zh, en in HISTORY_METRICS:
            v = _known(e, cell)
            if v is None:
                continue
            past = {x: _known(stand[(agency, x)], cell) for x in earlier}
            known = {x: pv for x, pv in past.items() if pv is not None}
            if len(known) < s.min_history:
                continue
            med = statistics.median(known.values())
            if max(v, med) < s.min_count:
                continue
            if med == 0:
                ratio = None
            elif v >= s.fold * med or med >= s.fold * v:
                ratio = v / med
            else:
                continue
            yrs = "、".join(str(x) for x in known)
            if ratio is None:
                how, how_en = f"而本机关{yrs}年的中位数为0", f"against a median of 0 in {yrs}"
            elif ratio >= 1:
                how = f"为本机关{yrs}年中位数{_fmt(med)}的{ratio:.1f}倍"
                how_en = f"{ratio:.1f} times the median {_fmt(med)} of {yrs}"
            else:
                how, how_en = (f"仅为本机关{yrs}年中位数{_fmt(med)}的{ratio:.1%}",
                               f"{ratio:.1%} of the median {_fmt(med)} of {yrs}")
            out.append(finding(
                "corpus-outlier-history", f"{zh}为{_fmt(v)}，{how}，请核实",
                f"{en}: {_fmt(v)}, {how_en}; please verify", e, cells=[cell],
                others=[stand[(agency, x)].id for x in known],
                detail={"compared": f"{cell} of {y} with the median of the same agency's reports on {yrs}",
                        "value": v, "median": med, "ratio": ratio, "history": known, "fold": s.fold,
                        "min_count": s.min_count},
            ))
    return out


def _share(e: ReportEntry, m: PeerMetric, rows: list[str],
           s: OutlierSettings) -> tuple[float, float, float] | None:
    den = _known(e, m.denominator)
    if den is None or den < s.min_denominator:
        return None
    num = 0.0
    for r in rows:
        ok, v = _summand(e, f"requests.{r}.total")
        if not ok:
            return None
        num += v
    return num / den, num, den


def _robust_z(x: float, med: float, mad: float) -> float:
    return 0.6745 * (x - med) / mad


def peer_outliers(entries: Iterable[ReportEntry], *, agencies: Sequence[AgencyRecord] | None = None,
                  year: int | None = None, settings: OutlierSettings | None = None) -> list[CorpusFinding]:
    """Shares far from the agencies of the same kind and level in the same year (module docstring).

    An entry's kind is its own, else its agency's in ``agencies``; its level is its own.
    """
    s = settings or OutlierSettings()
    kinds = {a.code: a.kind for a in agencies or ()}
    groups: dict[tuple[str, str, int], list[ReportEntry]] = defaultdict(list)
    for (agency, y), e in current(entries).items():
        kind = e.kind or kinds.get(agency)
        if kind is None or e.level is None:
            continue
        groups[(kind, e.level, y)].append(e)
    out: list[CorpusFinding] = []
    for (kind, level, y), members in sorted(groups.items()):
        if year is not None and y != year:
            continue
        for m in PEER_METRICS:
            out += _rank(m, kind, level, y, members, s)
    return out


def _rank(m: PeerMetric, kind: str, level: str, y: int, members: list[ReportEntry],
          s: OutlierSettings) -> list[CorpusFinding]:
    from xxgk.agency import KIND_ZH

    out: list[CorpusFinding] = []
    by_template: dict[str, list[str]] = {}
    values: list[tuple[ReportEntry, tuple[float, float, float]]] = []
    for e in members:
        if e.template not in by_template:
            try:
                block = load_template(e.template).table("requests").blocks[0]
            except KeyError:
                continue
            by_template[e.template] = [r.key for r in block.data_rows() if r.key.startswith(m.numerator_rows)]
        v = _share(e, m, by_template[e.template], s)
        if v is not None:
            values.append((e, v))
    if len(values) < s.min_peers:
        return out
    xs = [v[0] for _, v in values]
    med = statistics.median(xs)
    mad = statistics.median(abs(x - med) for x in xs)
    if mad == 0:
        return out
    group_zh = f"{KIND_ZH.get(kind, kind)}、{LEVEL_ZH.get(level, level)}"
    for e, (x, num, den) in values:
        z = _robust_z(x, med, mad)
        if abs(z) < s.z:
            continue
        rank = sum(1 for o in xs if o <= x) / len(xs)
        out.append(finding(
            "corpus-outlier-peers",
            f"{m.zh}为{x:.1%}（{_fmt(num)}/{_fmt(den)}），同类别同层级（{group_zh}）{len(xs)}个机关{y}年的中位数为"
            f"{med:.1%}，稳健Z分数{z:.1f}，{'偏高' if z > 0 else '偏低'}，请核实",
            f"{m.en}: {x:.1%} ({_fmt(num)}/{_fmt(den)}); the median of {len(xs)} agencies of the same kind "
            f"and level ({kind}, {level}) in {y} is {med:.1%}; robust z {z:.1f}",
            e, cells=[m.denominator],
            detail={"compared": f"{m.key} with the {len(xs)} agencies of kind {kind} and level {level} "
                    f"in {y} whose {m.denominator} ≥ {s.min_denominator}",
                    "metric": m.key, "value": x, "numerator": num, "denominator": den, "median": med,
                    "mad": mad, "z": z, "percentile": rank, "peers": len(xs)},
        ))
    return out


def outliers(entries: Iterable[ReportEntry], *, agencies: Sequence[AgencyRecord] | None = None,
             year: int | None = None, settings: OutlierSettings | None = None) -> list[CorpusFinding]:
    """Both comparisons (module docstring)."""
    entries = list(entries)
    return (history_outliers(entries, year=year, settings=settings)
            + peer_outliers(entries, agencies=agencies, year=year, settings=settings))
