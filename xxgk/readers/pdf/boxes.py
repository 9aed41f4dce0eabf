"""Where a PDF document's text is drawn: the side map behind the source view.

The reader keeps, for each block it emits, the characters it was made of (a paragraph: its
printed lines, joined; a table cell: its characters, and the text a page break cut off and the
repair moved in). Only when someone asks (``Document.boxes``) are the document's characters
matched back to them, in order: spaces the reader put in have no box, a glyph painted twice
(fake bold) is skipped. So reading pays nothing for the map, and an offset in the text (a
provenance Location) maps to the exact boxes on the page.
"""

from __future__ import annotations

from xxgk.document import Document, Paragraph, Table, TextBox
from xxgk.readers.pdf.grid import Grid, lines_of
from xxgk.readers.pdf.layout import Line
from xxgk.readers.pdf.page import Char

_LOOK = 8  # characters of the page skipped at most to match one of the text (fake bold, repairs)


class Layout:
    """The blocks a PDF document was built from; called with the document, its boxes."""

    def __init__(self, blocks: list[Line | Grid]) -> None:
        # the blocks ``to_items`` turns into the document's blocks, in the same order
        self.blocks = [b for b in blocks if isinstance(b, Line) or b.cells]

    def __call__(self, doc: Document) -> list[TextBox]:
        out: list[TextBox] = []
        group = 0
        if len(doc.blocks) != len(self.blocks):
            return out
        for src, blk in zip(self.blocks, doc.blocks, strict=True):
            if isinstance(src, Line) and isinstance(blk, Paragraph):
                pool: list[tuple[int, int, Char]] = []
                for page, chars in src.parts:
                    group += 1
                    pool += [(page - 1, group, c) for c in chars]
                _align(blk.text, blk.span.start, pool, out)
            elif isinstance(src, Grid) and isinstance(blk, Table):
                cells = [c for row in src.rows() for c in row]
                if len(cells) != len(blk.cells):
                    return []
                for cell, tc in zip(cells, blk.cells, strict=True):
                    if tc.span is None:
                        continue
                    group += 1
                    box = (src.xs[cell.c0], src.ys[cell.r0], src.xs[cell.c1], src.ys[cell.r1])
                    out.append(TextBox(tc.span.start, tc.span.end, src.page - 1, box, "cell", group))
                    pool = [(src.page - 1, group, c) for line in lines_of(cell.chars) for c in line]
                    for page, chars in cell.moved:
                        pool += [(page - 1, group, c) for line in lines_of(chars) for c in line]
                    _align(tc.text, tc.span.start, pool, out)
            else:
                return []
        out.sort(key=lambda b: (b.start, b.kind != "cell"))
        return out


def _align(text: str, base: int, pool: list[tuple[int, int, Char]], out: list[TextBox]) -> None:
    """Each character of ``text`` (at ``base`` in the document) to the next character of the page
    that prints it, in order; what cannot be matched gets no box."""
    p, n = 0, len(pool)
    for i, t in enumerate(text):
        if t.isspace():
            continue
        for j in range(p, min(p + _LOOK, n)):
            page, group, c = pool[j]
            if c.text == t:
                out.append(TextBox(base + i, base + i + 1, page, (c.x0, c.top, c.x1, c.bottom), "char", group))
                p = j + 1
                break
