"""The region tree and its agencies, as a supervisor keeps them: read from CSV/XLSX, checked, written back.

A registry file has Chinese headers (English aliases accepted). Regions: 地区代码, 地区名称, 层级,
上级地区代码; agencies: 机关代码, 机关名称, 类别, 所在地区代码, 上级机关代码, 监督机关代码, 别名. One table
may hold both (each row fills one group), or they come in two files or two sheets. A reference
(上级…, 所在地区…) is a code, or a name when that name is unique. Every bad row is returned as a
:class:`RowError` with its reason and the good rows are kept; a row that leans on a bad one is
bad too, saying so. A :class:`Registry` is always consistent and never changes once built.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from xxgk.agency import KindDecision
from xxgk.corpus.registry_rows import (  # noqa: F401 - re-exported
    _KIND,
    AGENCY_HEADERS,
    REGION_HEADERS,
    RowError,
    _Errors,
    _raw_records,
    _read_table,
    _tables,
    _validate,
    norm,
    region_variants,
    split_aliases,
)
from xxgk.corpus.types import KIND_ZH, LEVEL_ZH, AgencyRecord, Region
from xxgk.errors import XxgkError
from xxgk.export import write_atomic
from xxgk.safetext import neutralise

__all__ = ["AGENCY_HEADERS", "REGION_HEADERS", "Registry", "RowError", "norm", "region_variants", "split_aliases"]

# ----------------------------------------------------------------------------- the registry

class Registry:
    """Regions and agencies, checked and indexed for the questions a supervisor asks."""

    def __init__(self, regions: Iterable[Region] = (), agencies: Iterable[AgencyRecord] = ()) -> None:
        """A registry from records; any bad record raises XxgkError (use :meth:`build` for a list)."""
        regs, ags, errors = _validate(*_raw_records(regions, agencies, "<记录>"))
        if errors:
            more = f"（另有{len(errors) - 3}处）" if len(errors) > 3 else ""
            raise XxgkError("registry-invalid", "名录有误：" + "；".join(map(str, errors[:3])) + more,
                            "invalid registry: " + "; ".join(f"row {e.row}: {e.reason_en}" for e in errors[:3]))
        self._setup(regs, ags)

    @classmethod
    def _of(cls, regions: list[Region], agencies: list[AgencyRecord]) -> Registry:
        obj = cls.__new__(cls)
        obj._setup(regions, agencies)
        return obj

    def _setup(self, regions: list[Region], agencies: list[AgencyRecord]) -> None:
        self._regions = {r.code: r for r in regions}
        self._agencies = {a.code: a for a in agencies}
        self._children: dict[str, list[str]] = {}
        for r in regions:
            if r.parent:
                self._children.setdefault(r.parent, []).append(r.code)
        self._in_region: dict[str, list[str]] = {}
        self._supervised: dict[str, list[str]] = {}
        for a in agencies:
            self._in_region.setdefault(a.region, []).append(a.code)
            if a.supervisor:
                self._supervised.setdefault(a.supervisor, []).append(a.code)
        self._paths: dict[str, tuple[str, ...]] = {}
        self._names: dict[str, list[str]] | None = None

    # ---------------------------------------------------------------- building and reading

    @classmethod
    def build(cls, regions: Iterable[Region] = (), agencies: Iterable[AgencyRecord] = (), *,
              file: str = "<记录>") -> tuple[Registry, list[RowError]]:
        """A registry of the good records, and every bad one with its reason (rows count from 1)."""
        regs, ags, errors = _validate(*_raw_records(regions, agencies, file))
        return cls._of(regs, ags), errors

    @classmethod
    def load_tables(cls, tables: Iterable[tuple[str, Iterable[Sequence[object]]]], *,
                    base: Registry | None = None) -> tuple[Registry, list[RowError]]:
        """Tables as (file label, rows with the header first), checked together (and with ``base``)."""
        errors = _Errors()
        rraw, araw = _raw_records(base.regions.values(), base.agencies.values(), "<已有名录>") if base else ([], [])
        for file, rows in tables:
            _read_table(file, rows, rraw, araw, errors)
        regs, ags, more = _validate(rraw, araw)
        return cls._of(regs, ags), sorted(errors + more, key=lambda e: (e.file, e.row))

    @classmethod
    def load_rows(cls, rows: Iterable[Sequence[object]], *, file: str = "<rows>",
                  base: Registry | None = None) -> tuple[Registry, list[RowError]]:
        """One table (header first) of regions, agencies or both."""
        return cls.load_tables([(file, rows)], base=base)

    @classmethod
    def load(cls, *paths: str | Path, base: Registry | None = None) -> tuple[Registry, list[RowError]]:
        """CSV or XLSX files (all sheets), read together: references may cross files; bad rows listed."""
        tables = [t for p in paths for t in _tables(Path(p))]
        return cls.load_tables(tables, base=base)

    def merge(self, other: Registry) -> tuple[Registry, list[RowError]]:
        """Both registries in one: a record in both must be the same (else the other's is listed, ours kept)."""
        rr, ar = _raw_records(self.regions.values(), self.agencies.values(), "<本名录>")
        rr2, ar2 = _raw_records(other.regions.values(), other.agencies.values(), "<合并名录>")
        regs, ags, errors = _validate(rr + rr2, ar + ar2)
        return Registry._of(regs, ags), errors

    # ---------------------------------------------------------------- writing

    def _region_rows(self) -> list[list[str]]:
        order = [c for root in self._regions.values() if not root.parent for c in self.descendant_codes(root.code)]
        return [[r.code, r.name, LEVEL_ZH[r.level], r.parent or ""] for r in (self._regions[c] for c in order)]

    def _agency_rows(self) -> list[list[str]]:
        return [[a.code, a.name, KIND_ZH[a.kind], a.region, a.parent or "", a.supervisor or "", "、".join(a.aliases)]
                for a in self._agencies.values()]

    def dump_csv(self, path_regions: str | Path, path_agencies: str | Path) -> None:
        """Two CSV files in UTF-8 with a BOM (Excel opens them), Chinese headers, text guarded against formulas."""
        for path, head, rows in ((path_regions, REGION_HEADERS, self._region_rows()),
                                 (path_agencies, AGENCY_HEADERS, self._agency_rows())):
            buf = io.StringIO(newline="")
            w = csv.writer(buf, lineterminator="\r\n")
            w.writerow(head)
            w.writerows([neutralise(v) for v in row] for row in rows)
            write_atomic(path, "\ufeff" + buf.getvalue())

    def dump_xlsx(self, path: str | Path) -> None:
        """One workbook with the sheets 地区 and 机关 (every cell text, guarded against formulas)."""
        import openpyxl
        from openpyxl.styles import Font

        wb = openpyxl.Workbook()
        wb.remove(wb.active)  # type: ignore[arg-type]
        for title, head, rows, widths in (("地区", REGION_HEADERS, self._region_rows(), (14, 20, 12, 14)),
                                          ("机关", AGENCY_HEADERS, self._agency_rows(),
                                           (22, 36, 18, 14, 22, 22, 40))):
            ws = wb.create_sheet(title)
            ws.append(list(head))
            for row in rows:
                ws.append([neutralise(v) for v in row])
            for i, w in enumerate(widths):
                ws.column_dimensions[chr(65 + i)].width = w
            for c in ws[1]:
                c.font = Font(bold=True)
            ws.freeze_panes = "A2"
        buf = io.BytesIO()
        wb.save(buf)
        write_atomic(path, buf.getvalue())

    # ---------------------------------------------------------------- queries

    @property
    def regions(self) -> Mapping[str, Region]:
        return MappingProxyType(self._regions)

    @property
    def agencies(self) -> Mapping[str, AgencyRecord]:
        return MappingProxyType(self._agencies)

    def __len__(self) -> int:
        return len(self._agencies)

    def _region(self, code: str) -> Region:
        r = self._regions.get(code)
        if r is None:
            raise XxgkError("registry-unknown", f"名录中没有地区“{code}”", f"no region {code} in the registry")
        return r

    def agency(self, code: str) -> AgencyRecord:
        a = self._agencies.get(code)
        if a is None:
            raise XxgkError("registry-unknown", f"名录中没有机关“{code}”", f"no agency {code} in the registry")
        return a

    def ancestors(self, code: str) -> tuple[str, ...]:
        """The codes above a region, the root first (cached: the matcher asks often)."""
        p = self._paths.get(code)
        if p is None:
            parent = self._region(code).parent
            p = (*self.ancestors(parent), parent) if parent else ()
            self._paths[code] = p
        return p

    def region_path(self, code: str) -> list[Region]:
        """Province → … → the region itself (from the highest region the registry holds)."""
        return [self._regions[c] for c in (*self.ancestors(code), self._region(code).code)]

    def descendant_codes(self, code: str) -> list[str]:
        self._region(code)
        out, stack = [], [code]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(reversed(self._children.get(c, [])))
        return out

    def descendants(self, region_code: str) -> list[Region]:
        """The region and every region under it, in tree order."""
        return [self._regions[c] for c in self.descendant_codes(region_code)]

    def agencies_in(self, region_code: str, kinds: Iterable[str] | None = None) -> list[AgencyRecord]:
        """The agencies of a region and of every region under it, optionally of the given kinds."""
        want = None if kinds is None else {_KIND.get(norm(k), k) for k in kinds}
        return [self._agencies[a] for c in self.descendant_codes(region_code) for a in self._in_region.get(c, [])
                if want is None or self._agencies[a].kind in want]

    def supervised_by(self, agency_code: str) -> list[AgencyRecord]:
        """The agencies whose supervisor is this agency (directly)."""
        self.agency(agency_code)
        return [self._agencies[a] for a in self._supervised.get(agency_code, [])]

    def expected_reporters(self, supervisor_or_region: str, *, transitive: bool = False) -> list[AgencyRecord]:
        """Whose report is expected: an agency code -> the agencies it supervises (with ``transitive``,
        also those they supervise, and so on); a region code -> every agency in it and under it."""
        code = supervisor_or_region
        if code in self._agencies and code in self._regions:
            raise XxgkError("registry-ambiguous", f"“{code}”既是机关代码又是地区代码", f"{code} is both an agency and a region")
        if code in self._regions:
            return self.agencies_in(code)
        out: dict[str, AgencyRecord] = {}
        todo = [code]
        while todo:
            for a in self.supervised_by(todo.pop()):
                if a.code not in out and a.code != code:
                    out[a.code] = a
                    if transitive:
                        todo.append(a.code)
        return list(out.values())

    def deadline(self, agency_code: str, year: int) -> dt.date:
        """The statutory deadline of an agency's report on ``year`` (xxgk.agency: 31 March or 31 January)."""
        return KindDecision(self.agency(agency_code).kind).deadline(year)

    # ---------------------------------------------------------------- names of places

    def region_names(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """Normalised name -> (codes of regions so named, codes of regions with it as a variant)."""
        if self._names is None:
            exact: dict[str, list[str]] = {}
            var: dict[str, list[str]] = {}
            for r in self._regions.values():
                exact.setdefault(norm(r.name), []).append(r.code)
                for v in region_variants(r.name, r.level):
                    var.setdefault(v, []).append(r.code)
            self._names = {n: (tuple(exact.get(n, ())), tuple(var.get(n, ()))) for n in {*exact, *var}}
            self._name_len = max(map(len, self._names), default=0)
        return self._names  # type: ignore[return-value]

    def region_tokens(self, text: str) -> tuple[list[tuple[str, tuple[str, ...]]], str]:
        """The region names a normalised text starts with (longest first), with their codes, and the rest."""
        names = self.region_names()
        tokens: list[tuple[str, tuple[str, ...]]] = []
        i = 0
        while i < len(text):
            for ln in range(min(self._name_len, len(text) - i), 1, -1):
                hit = names.get(text[i:i + ln])
                if hit:
                    tokens.append((text[i:i + ln], hit[0] or hit[1]))
                    i += ln
                    break
            else:
                break
        return tokens, text[i:]

    def resolve_chain(self, codes: Sequence[Sequence[str]]) -> list[set[str]] | None:
        """Each name's regions kept only where the names form a line of descent (levels may be skipped);
        None when they cannot."""
        sets = [set(c) for c in codes]
        for i in range(len(sets) - 2, -1, -1):
            sets[i] = {c for c in sets[i] if any(c in self.ancestors(d) for d in sets[i + 1])}
        for i in range(1, len(sets)):
            sets[i] = {d for d in sets[i] if sets[i - 1] & set(self.ancestors(d))}
        return None if any(not s for s in sets) else sets

    def find_region(self, name: str) -> list[Region]:
        """Regions by code, by name (all of them: 城关镇 is in many counties) or by a chain (三门峡市陕州区)."""
        if name in self._regions:
            return [self._regions[name]]
        tokens, rest = self.region_tokens(norm(name))
        if not tokens or rest:
            return []
        chain = self.resolve_chain([c for _, c in tokens])
        return [] if chain is None else [self._regions[c] for c in self._regions if c in chain[-1]]
