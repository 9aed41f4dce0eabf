"""The report templates, loaded from their one declaration (``templates/report.toml``).

Everything that knows about rows, columns, labels or arithmetic reads the objects built here:
the extractor (labels to find, order, columns), the checker (equations), the exporters and
writers (layout). Nothing else in the package lists rows or columns.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any

from xxgk.normalize import compact


@dataclass(frozen=True)
class Label:
    """An official label and the other wordings real reports use for it."""

    text: str
    variants: tuple[Variant, ...] = ()

    def forms(self) -> list[tuple[str, Variant | None]]:
        """Compacted forms to search for, longest first (so a longer label wins a tie)."""
        return _forms(self)


@cache
def _forms(label: Label) -> list[tuple[str, Variant | None]]:
    out: list[tuple[str, Variant | None]] = [(compact(label.text), None)]
    out += [(compact(v.text), v) for v in label.variants]
    seen: set[str] = set()
    uniq = []
    for form, v in out:
        if form and form not in seen:
            seen.add(form)
            uniq.append((form, v))
    return sorted(uniq, key=lambda fv: -len(fv[0]))


@dataclass(frozen=True)
class Variant:
    text: str
    ocr: bool = False


@dataclass(frozen=True)
class Column:
    key: str
    label: Label
    signed: bool = False
    decimal: bool = False
    unit: str | None = None
    unit_from_report: bool = False
    measure: str | None = None  # how the office computes it from its registers (see report.toml)


@dataclass(frozen=True)
class Row:
    key: str
    label: Label
    numbering: str = ""
    group: bool = False
    result: bool = False
    columns: tuple[str, ...] | None = None  # None: all the block's columns


@dataclass(frozen=True)
class Block:
    """One printed grid: a heading, a header row of columns, and labelled rows."""

    table: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    heading: Label | None = None
    corner: Label | None = None
    layout: str = "rows"  # "rows": one printed row per row; "flat": all rows side by side
    column_groups: tuple[dict[str, Any], ...] = ()

    def data_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.group]

    def row_columns(self, row: Row) -> list[Column]:
        if row.columns is None:
            return list(self.columns)
        return [c for c in self.columns if c.key in row.columns]

    def cell_ids(self, row: Row) -> list[str]:
        return [f"{self.table}.{row.key}.{c.key}" for c in self.row_columns(row)]


@dataclass(frozen=True)
class Table:
    key: str
    part: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Part:
    key: str
    numeral: str
    title: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One arithmetic relation (勾稽关系), instantiated per row or per column of a table."""

    code: str
    table: str
    each: str  # "row" | "column"
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    title: str
    title_en: str


@dataclass(frozen=True)
class Equation:
    """One instance of a rule: sum(lhs cells) == sum(rhs cells)."""

    rule: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    where: str  # the row or column it was instantiated for
    cells: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", self.lhs + self.rhs)


@dataclass(frozen=True)
class CellSpec:
    id: str
    table: str
    row: Row
    column: Column
    block: Block


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    first_year: int
    last_year: int | None
    markers: tuple[str, ...]
    parts: tuple[Part, ...]
    tables: tuple[Table, ...]
    rules: tuple[Rule, ...]
    _cells: dict[str, CellSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for table in self.tables:
            for block in table.blocks:
                for row in block.data_rows():
                    for col in block.row_columns(row):
                        cid = f"{table.key}.{row.key}.{col.key}"
                        if cid in self._cells:
                            raise ValueError(f"duplicate cell {cid} in template {self.id}")
                        self._cells[cid] = CellSpec(cid, table.key, row, col, block)

    @property
    def cell_ids(self) -> list[str]:
        return list(self._cells)

    def cell(self, cell_id: str) -> CellSpec:
        return self._cells[cell_id]

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def part(self, key: str) -> Part:
        for p in self.parts:
            if p.key == key:
                return p
        raise KeyError(key)

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    def row_label(self, table: str, row_key: str) -> str:
        for block in self.table(table).blocks:
            for row in block.rows:
                if row.key == row_key:
                    return f"{row.numbering}{row.label.text}"
        return row_key

    def column_label(self, table: str, col_key: str) -> str:
        for block in self.table(table).blocks:
            for col in block.columns:
                if col.key == col_key:
                    return col.label.text
        return col_key

    @cached_property
    def equations(self) -> list[Equation]:
        return _equations(self)


def _equations(t: Template) -> list[Equation]:
    out: list[Equation] = []
    for rule in t.rules:
        table = t.table(rule.table)
        block = table.blocks[0]
        rows = block.data_rows()
        if rule.each == "row":
            for row in rows:
                ids = {c.key: f"{table.key}.{row.key}.{c.key}" for c in block.row_columns(row)}
                if all(k in ids for k in rule.lhs + rule.rhs):
                    out.append(
                        Equation(rule.code, tuple(ids[k] for k in rule.lhs),
                                 tuple(ids[k] for k in rule.rhs), row.key)
                    )
        else:
            def expand(keys: tuple[str, ...], rows: list[Row] = rows) -> list[str]:
                res: list[str] = []
                for k in keys:
                    if k == "@results":
                        res += [r.key for r in rows if r.result]
                    else:
                        res.append(k)
                return res

            for col in block.columns:
                out.append(
                    Equation(
                        rule.code,
                        tuple(f"{table.key}.{r}.{col.key}" for r in expand(rule.lhs)),
                        tuple(f"{table.key}.{r}.{col.key}" for r in expand(rule.rhs)),
                        col.key,
                    )
                )
    return out


def _label(d: dict[str, Any], key: str = "label") -> Label:
    return Label(
        d[key],
        tuple(Variant(v["text"], bool(v.get("ocr", False))) for v in d.get("variants", [])),
    )


def _applies(d: dict[str, Any], template_id: str) -> bool:
    return template_id in d.get("templates", [template_id])


def _build(raw: dict[str, Any], tid: str) -> Template:
    meta = next(t for t in raw["templates"] if t["id"] == tid)
    parts = tuple(
        Part(p["key"], p["numeral"], p["title"], tuple(p["keywords"])) for p in raw["parts"]
    )
    tables = []
    for t in raw["tables"]:
        blocks = []
        for b in t["blocks"]:
            if not _applies(b, tid):
                continue
            columns = tuple(
                Column(c["key"], _label(c), bool(c.get("signed")), bool(c.get("decimal")),
                       c.get("unit"), bool(c.get("unit_from_report")), c.get("measure"))
                for c in b["columns"]
            )
            rows = tuple(
                Row(r["key"], _label(r), r.get("numbering", ""), bool(r.get("group")),
                    bool(r.get("result")), tuple(r["columns"]) if "columns" in r else None)
                for r in b["rows"] if _applies(r, tid)
            )
            blocks.append(
                Block(
                    table=t["key"], columns=columns, rows=rows,
                    heading=Label(b["heading"]) if "heading" in b else None,
                    corner=Label(b["corner"]) if "corner" in b else None,
                    layout=b.get("layout", "rows"),
                    column_groups=tuple(b.get("column_groups", [])),
                )
            )
        tables.append(Table(t["key"], t["part"], t["title"], tuple(blocks)))
    rules = tuple(
        Rule(r["code"], r["table"], r["each"], tuple(r["lhs"]), tuple(r["rhs"]), r["title"],
             r["title_en"])
        for r in raw["rules"] if _applies(r, tid)
    )
    return Template(
        id=tid, title=meta["title"], first_year=meta["first_year"],
        last_year=meta.get("last_year"), markers=tuple(meta["markers"]), parts=parts,
        tables=tuple(tables), rules=rules,
    )


@cache
def _raw() -> dict[str, Any]:
    data = resources.files("xxgk.templates").joinpath("report.toml").read_bytes()
    return tomllib.loads(data.decode("utf-8"))


@cache
def load_template(template_id: str) -> Template:
    """The template ``"2019"`` or ``"2021"``."""
    ids = [t["id"] for t in _raw()["templates"]]
    if template_id not in ids:
        raise KeyError(f"unknown template {template_id!r}; known: {', '.join(ids)}")
    return _build(_raw(), template_id)


def template_ids() -> list[str]:
    return [t["id"] for t in _raw()["templates"]]


def template_for_year(year: int) -> Template:
    for tid in template_ids():
        t = load_template(tid)
        if t.covers(year):
            return t
    return load_template(template_ids()[0])


def cells_markdown(t: Template) -> str:
    """The template's cells as a Markdown table (docs/templates.md is generated from this)."""
    lines = [f"## Template {t.id} ({t.title})", "", "| cell | 行 row | 列 column |", "|---|---|---|"]
    for cid in t.cell_ids:
        spec = t.cell(cid)
        variants = [v.text for v in spec.row.label.variants]
        row = f"{spec.row.numbering}{spec.row.label.text}" + (f"（又作：{'、'.join(variants)}）" if variants else "")
        col = spec.column.label.text
        lines.append(f"| `{cid}` | {row} | {col} |")
    lines.append("")
    lines.append("Arithmetic (勾稽关系):")
    lines.append("")
    for r in t.rules:
        lines.append(f"- `{r.code}` ({r.each}): {r.title} — {r.title_en}")
    return "\n".join(lines) + "\n"
