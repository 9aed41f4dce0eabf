"""The explorer's figures as pages need them: ECharts options built from the corpus's chart data
(the server computes every number; the browser only draws), the region tree's colours, and the
scope of the signed-in user as the corpus queries take it."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from xxgk.corpus.explore_charts import ChartData, RegionTree
from xxgk.web.accounts import Principal
from xxgk.web.policy import AGENCY_ROLES, Scope

T = TypeVar("T")


class FigureCache:
    """Charts and trees of the corpus, kept for a minute and while no report has been stored since
    (the newest report id is part of the key): the national share measures scan every report, and
    many people ask for the same few figures. Bounded (least recently used go first)."""

    def __init__(self, size: int = 256, ttl: float = 60.0) -> None:
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                self._items.move_to_end(key)
                return hit[1]  # type: ignore[no-any-return]
        value = make()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


PALETTE = ["#1d4f91", "#b3171b", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a"]


def regions_for(p: Principal, scope: Scope) -> set[str] | None:
    """What the corpus queries take: None = every region; a set = these subtrees. Agency staff read
    their own agency's page only (an empty set here: lists and charts show nothing)."""
    if p.role in AGENCY_ROLES:
        return set()
    return scope.allowed_regions()


def chart_options(c: ChartData) -> dict[str, Any]:
    """ECharts options: bars by year (a mix: stacked, one series per category) or by category."""
    xs = [str(p.x) for p in c.series[0].points] if c.series else []
    stacked = c.kind == "mix" and c.by == "year"
    unit = "%" if c.kind in ("ratio", "share") else c.unit
    series = [{"name": s.name, "type": "bar", "stack": "all" if stacked else None,
               "data": [{"value": p.value, "n": p.n} for p in s.points],
               "itemStyle": {"color": PALETTE[i % len(PALETTE)]}} for i, s in enumerate(c.series)]
    return {
        "animation": False,
        "aria": {"enabled": True, "decal": {"show": True}},
        "tooltip": {"trigger": "axis"},
        "legend": {"show": len(series) > 1, "type": "scroll", "bottom": 0},
        "grid": {"left": 56, "right": 16, "top": 64, "bottom": 48 if len(series) > 1 else 28},
        "title": {"text": f"{c.name}（{unit}）", "left": 0, "textStyle": {"fontSize": 14}},
        "xAxis": {"type": "category", "data": xs, "name": c.x_label},
        "yAxis": {"type": "value", "name": unit},
        "series": series,
    }


def tree_options(t: RegionTree) -> dict[str, Any]:
    """A treemap of the children regions, sized by their sample and coloured by the measure."""
    values = [n.value for n in t.nodes if n.value is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    data = [{"name": f"{n.name}\n{_fmt(n.value)}", "value": [max(n.n, 1), n.value if n.value is not None else lo]}
            for n in t.nodes]
    return {
        "animation": False,
        "aria": {"enabled": True},
        "tooltip": {},
        "visualMap": {"type": "continuous", "min": lo, "max": hi if hi > lo else lo + 1, "dimension": 1,
                      "inRange": {"color": ["#e3f2fd", "#64a0e8"]}, "orient": "horizontal", "left": "center",
                      "bottom": 0, "calculable": False, "text": ["高", "低"]},
        "series": [{"type": "treemap", "data": data, "roam": False, "nodeClick": False, "breadcrumb": {"show": False},
                    "label": {"show": True, "color": "#111"}, "top": 8, "bottom": 48, "left": 0, "right": 0}],
    }


def tree_colour(t: RegionTree, value: float | None) -> str:
    """The same scale for the table beside the treemap (light to dark blue)."""
    values = [n.value for n in t.nodes if n.value is not None]
    if value is None or not values:
        return "transparent"
    lo, hi = min(values), max(values)
    f = 0.0 if hi == lo else (value - lo) / (hi - lo)
    r, g, b = (int(a + (z - a) * f) for a, z in ((0xE3, 0x64), (0xF2, 0xA0), (0xFD, 0xE8)))
    return f"rgb({r},{g},{b})"


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.1f}"


def as_json(options: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/json">`` block: ``</`` cannot close it."""
    return json.dumps(options, ensure_ascii=False).replace("</", "<\\/")
