"""The intermediate document every reader produces, and the one extractor reads.

A document is a sequence of blocks, paragraphs and tables (grids of cells with row and column
spans), over one linear text: a paragraph is a line, a table row is its cells joined by tabs.
Offsets in ``Document.text`` are what provenance refers to; a reader of plain text keeps the
source text as it is, so offsets are offsets in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class Document:
    text: str
    _blocks: list[Block] | None = field(default=None, repr=False)
    format: str = "text"
    encoding: str | None = None

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
