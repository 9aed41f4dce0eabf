"""The intermediate document every reader produces, and the one extractor reads.

A document is a sequence of blocks, paragraphs and tables (grids of cells with row and column
spans), over one linear text: a paragraph is a line, a table row is its cells joined by tabs.
Offsets in ``Document.text`` are what provenance refers to; a reader of plain text keeps the
source text as it is, so offsets are offsets in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Paragraph:
    text: str
    span: Span


@dataclass(frozen=True)
class TableCell:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    span: Span | None = None


@dataclass(frozen=True)
class Table:
    cells: tuple[TableCell, ...]
    n_rows: int
    n_cols: int
    span: Span | None = None


Block = Paragraph | Table


@dataclass(frozen=True)
class TextBox:
    """Where a stretch ``[start, end)`` of a PDF document's text is drawn: its page (0-based) and
    box in PDF points, top-down from the page's top-left corner as displayed (x0, top, x1, bottom).
    ``char``: one character (``group`` numbers the printed line or table cell it belongs to);
    ``cell``: a whole table cell, also an empty one (``start == end``)."""

    start: int
    end: int
    page: int
    bbox: tuple[float, float, float, float]
    kind: Literal["char", "cell"] = "char"
    group: int = 0


@dataclass
class Document:
    text: str
    _blocks: list[Block] | None = field(default=None, repr=False)
    format: str = "text"
    encoding: str | None = None
    # PDF: computes the boxes (on demand, so reading pays nothing for them); see ``boxes``
    layout: Callable[[Document], list[TextBox]] | None = field(default=None, repr=False, compare=False)
    _boxes: list[TextBox] | None = field(default=None, repr=False, compare=False)
    page_sizes: list[tuple[float, float]] | None = None  # PDF: each page's (width, height) in points

    @property
    def boxes(self) -> list[TextBox] | None:
        """PDF only (None otherwise): where the text is drawn, sorted by ``start``: a box per
        character read from the page, and one per table cell."""
        if self._boxes is None and self.layout is not None:
            self._boxes = self.layout(self)
        return self._boxes

    @property
    def blocks(self) -> list[Block]:
        """Paragraphs and tables; for plain text, one paragraph per line (built on demand)."""
        if self._blocks is None:
            blocks: list[Block] = []
            pos = 0
            for line in self.text.split("\n"):
                blocks.append(Paragraph(line, Span(pos, pos + len(line))))
                pos += len(line) + 1
            self._blocks = blocks
        return self._blocks

    @classmethod
    def from_text(cls, text: str, encoding: str | None = None) -> Document:
        return cls(text=text, format="text", encoding=encoding)

    @classmethod
    def from_blocks(cls, items: list[str | list[list[TableCell]]], fmt: str) -> Document:
        """Build a document from paragraphs (strings) and tables (rows of cells), laying tables
        out as tab-separated lines: the same shape the text reader sees in tab-separated reports.
        A cell covered by a span from above is written empty, so columns stay aligned."""
        out: list[str] = []
        blocks: list[Block] = []
        pos = 0
        for item in items:
            if isinstance(item, str):
                text = item.replace("\n", " ")
                blocks.append(Paragraph(text, Span(pos, pos + len(text))))
                out.append(text)
                pos += len(text) + 1
                continue
            start = pos
            cells: list[TableCell] = []
            n_cols = 0
            for r, row in enumerate(item):
                line_parts: list[str] = []
                lpos = pos
                for c in row:
                    t = " ".join(c.text.split())
                    cells.append(TableCell(t, r, c.col, c.rowspan, c.colspan, Span(lpos, lpos + len(t))))
                    line_parts.append(t)
                    lpos += len(t) + 1
                    n_cols = max(n_cols, c.col + c.colspan)
                line = "\t".join(line_parts)
                out.append(line)
                pos += len(line) + 1
            blocks.append(Table(tuple(cells), len(item), n_cols, Span(start, pos)))
        return cls(text="\n".join(out), _blocks=blocks, format=fmt)
