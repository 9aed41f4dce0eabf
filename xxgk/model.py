"""The report model: what xxgk reads out of an annual report, and what the checker finds.

``Report.cells`` maps every cell identifier of the report's template to a number or ``None``;
``Report.provenance`` accounts for every cell with exactly one status and its evidence (see
:class:`CellInfo` and docs/cells.md): read, placed, blank, computed, resolved, ambiguous (with
every candidate reading, also listed in ``Report.ambiguous``) or missing. A null cell is always
explained: printed empty, left open by the text, or not found.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Number = int | float
_M = TypeVar("_M", bound=BaseModel)
SCHEMA_VERSION = "1"

CellStatus = Literal["read", "placed", "blank", "computed", "resolved", "ambiguous", "missing"]
CELL_STATUSES: tuple[str, ...] = ("read", "placed", "blank", "computed", "resolved", "ambiguous", "missing")


def trusted(cls: type[_M], **fields: object) -> _M:
    """Build a model from values the extractor already guarantees, without validation.

    ``model_construct`` costs several microseconds a call; a report has hundreds of cells, and
    reading at 200+ reports a second per core leaves no room for that. Every field must be given.
    """
    return _trusted(cls, fields)


def _trusted(cls: type[_M], fields: dict[str, object]) -> _M:
    obj = cls.__new__(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(fields))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_set = object.__setattr__


def location(offset: int, length: int, line: int, column: int, text: str) -> Location:
    """A Location from trusted values (the extractor makes one for nearly every cell)."""
    return _trusted(Location, {"offset": offset, "length": length, "line": line, "column": column, "text": text})


def cell_info(status: str, source: Location | None, candidates: list, complete: bool = True,  # type: ignore[type-arg]
              relation: str | None = None, evidence: Location | None = None,
              note: str | None = None) -> CellInfo:
    """A CellInfo from trusted values (one per cell of every report read)."""
    return _trusted(CellInfo, {"status": status, "source": source, "candidates": candidates,
                               "complete": complete, "relation": relation, "evidence": evidence,
                               "note": note})


class Location(BaseModel):
    """Where something was read: 1-based line and column, 0-based character offset, raw text."""

    model_config = ConfigDict(frozen=True)

    offset: int
    length: int
    line: int
    column: int
    text: str


class CellInfo(BaseModel):
    """How one cell was obtained, with its evidence (the output contract, docs/cells.md)."""

    status: CellStatus = Field(
        description="read: a printed number in its column; placed: a printed number whose column "
        "(or cut of run-together digits) the arithmetic chose; blank: the report prints nothing "
        "there (value null); computed: not printed, derived from an arithmetic relation (named in "
        "`relation`) or counted from the office's records; resolved: the table alone leaves it open "
        "and a figure stated in the prose decides it (`evidence`); ambiguous: null, with every "
        "candidate reading; missing: null, its row or table was not found (`note` says what was "
        "looked for and where)"
    )
    source: Location | None = Field(
        default=None,
        description="read/placed: the printed number; blank: the empty cell, or the row when the "
        "whole row prints nothing; computed/resolved/ambiguous: the printed row; missing: the "
        "region searched, when the table was found",
    )
    candidates: list[Number | None] = Field(
        default_factory=list,
        description="ambiguous: every reading the text and the arithmetic allow (null: the cell "
        "left empty); resolved: the readings the table allowed before the prose decided",
    )
    complete: bool = Field(
        default=True,
        description="false when an ambiguous cell's readings cannot all be listed; `note` says why",
    )
    relation: str | None = Field(
        default=None, description="computed: the relation that gives the value, e.g. "
        "requests-row-total@new (rule code @ row or column), or office-records",
    )
    evidence: Location | None = Field(
        default=None, description="resolved: the sentence of the prose that decides the value",
    )
    note: str | None = Field(default=None, description="in words, Chinese first")


class Headline(BaseModel):
    """A figure stated in the prose, e.g. 主动公开政务信息2926条."""

    key: str
    value: Number | None = Field(description="null when the prose leaves the number out")
    unit: str | None = None
    source: Location
    sentence: Location | None = Field(default=None, description="the whole sentence it was read in")


class PartText(BaseModel):
    key: str
    numeral: str
    heading: str | None = Field(description="the heading as printed, null if the report has none")
    text: str
    source: Location | None = None


class Diagnostic(BaseModel):
    """Something the reader noticed about the layout (the checker turns these into findings)."""

    kind: str
    message: str
    cells: list[str] = Field(default_factory=list)
    source: Location | None = None
    detail: dict[str, str | int | float | list[str] | None] = Field(default_factory=dict)


class Report(BaseModel):
    """One annual report as exact data."""

    schema_version: str = SCHEMA_VERSION
    template: Literal["2019", "2021"]
    report_year: int | None
    agency: str | None
    agency_source: Literal["title", "signature"] | None = Field(
        default=None, description="where the agency's name was read: the title or the signature"
    )
    published_date: dt.date | None
    agency_kind: Literal["government", "office", "department", "township", "other"] | None = Field(
        default=None, description="the kind of agency, decided from the title, the signature and the "
        "body (it decides the statutory deadline); see agency_kind_reasons")
    agency_kind_reasons: list[str] = Field(default_factory=list, description="the evidence, in words")
    signature_agency: str | None = Field(default=None, description="the agency named in the signature")
    title: str | None = None
    source_path: str | None = None
    content_hash: str = Field(description="sha256 of the source bytes")
    encoding: str | None = None
    format: str = "text"
    cells: dict[str, Number | None]
    ambiguous: dict[str, list[Number | None]] = Field(default_factory=dict)
    provenance: dict[str, CellInfo] = Field(default_factory=dict)
    units: dict[str, str] = Field(default_factory=dict)
    parts: dict[str, PartText] = Field(default_factory=dict)
    headlines: list[Headline] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    def value(self, cell_id: str) -> Number | None:
        return self.cells[cell_id]


Severity = Literal["error", "warning", "info"]


class Finding(BaseModel):
    rule: str
    severity: Severity
    message: str
    message_en: str
    cells: list[str] = Field(default_factory=list)
    source: Location | None = None


class ParseFailure(BaseModel):
    """A file that could not be read, with the reason (for batch output)."""

    source_path: str
    code: str
    message: str
    message_en: str
