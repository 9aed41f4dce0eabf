"""Word files (DOCX): the body's paragraphs and tables, in order, into the intermediate Document.

The file is untrusted: the ZIP's declared sizes and compression ratio are checked before
anything is inflated (a zip bomb is refused), and XML is parsed with entity resolution and
network access off (no XXE). Tables keep their grid: ``gridSpan`` gives column spans, ``vMerge``
row spans; grid columns narrower than about 0.5 mm (LibreOffice writes such slivers) are
dropped before positions are mapped. Numbers split over several runs, text boxes and nested
tables are read; headers and footers are not part of the body and are ignored.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from xxgk.document import Document, TableCell
from xxgk.errors import XxgkError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
SLIVER_TWIPS = 30  # ~0.5 mm
# Bounds on work: Word allows 63 columns; a report has a few hundred cells and a few text boxes.
MAX_SPAN = 64
MAX_CELLS = 200_000
MAX_ROWS = 2_000  # a table's rows
MAX_TEXTBOX_DEPTH = 8
# What a damaged ZIP raises on opening or inflating a member (zipfile, zlib, seeks past the start).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
              RuntimeError, KeyError, IndexError, OverflowError, UnicodeDecodeError)


def zip_names(data: bytes) -> list[str] | None:
    """The member names of a ZIP, or None if it cannot be opened."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.namelist()
    except ZIP_ERRORS:
        return None


def is_docx(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04") and "word/document.xml" in (zip_names(data) or [])


def open_zip(data: bytes, name: str, kind: tuple[str, str], code: str) -> zipfile.ZipFile:
    """Open an Office file's ZIP, refusing a damaged one and a zip bomb (by declared sizes; a
    member is never inflated past its declared size)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except ZIP_ERRORS:
        raise XxgkError(code, f"{kind[0]}已损坏或不完整：{name}", f"corrupted or truncated {kind[1]}: {name}") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        z.close()
        raise XxgkError(
            "zip-bomb",
            f"文件解压后过大（{total / 1048576:.0f} MB，压缩比 {total / packed:.0f}），疑为压缩炸弹，已拒绝：{name}",
            f"refused: the file would inflate to {total / 1048576:.0f} MB (ratio {total / packed:.0f}), "
            f"a zip bomb: {name}",
        )
    return z


def read_member(z: zipfile.ZipFile, member: str, name: str, kind: tuple[str, str], code: str,
                limit: int = MAX_UNCOMPRESSED, head: bool = False) -> bytes:
    """A member's bytes, a damaged member refused in one line; more than ``limit`` bytes are
    refused too, unless ``head``: then its first ``limit`` bytes."""
    try:
        with z.open(member) as fh:
            out = fh.read(limit + 1)
    except ZIP_ERRORS as e:
        raise XxgkError(code, f"{kind[0]}已损坏或不完整：{name}（{type(e).__name__}）",
                        f"corrupted or truncated {kind[1]}: {name} ({type(e).__name__})") from None
    if len(out) > limit and head:
        return out[:limit]
    if len(out) > limit:
        raise XxgkError("zip-bomb", f"文件解压后过大，已拒绝：{name}", f"refused: inflates too much: {name}")
    return out


WORD = ("Word 文件", "Word file")


def _document_xml(data: bytes, name: str) -> bytes:
    with open_zip(data, name, WORD, "bad-docx") as z:
        if "word/document.xml" not in z.namelist():
            raise XxgkError("bad-docx", f"不是 Word 文档（缺少 word/document.xml）：{name}",
                            f"not a Word document (no word/document.xml): {name}")
        return read_member(z, "word/document.xml", name, WORD, "bad-docx")


def _parse_xml(xml: bytes, name: str) -> object:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_blank_text=False)
    try:
        root = etree.fromstring(xml, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as e:
        raise XxgkError("bad-docx", f"Word 文件内容已损坏：{name}（{e}）", f"corrupted Word content: {name} ({e})") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise XxgkError("xml-entities", f"Word 文件含有 DTD/实体声明，已拒绝：{name}",
                        f"refused: the Word file declares a DTD or entities: {name}")
    return root


def read_docx(data: bytes, name: str = "<bytes>") -> Document:
    root = _parse_xml(_document_xml(data, name), name)
    body = root.find(f"{W}body")  # type: ignore[attr-defined]
    if body is None:
        raise XxgkError("bad-docx", f"Word 文档没有正文：{name}", f"the Word document has no body: {name}")
    items: list[str | list[list[TableCell]]] = []
    try:
        _blocks(body, items, 0)
    except XxgkError as e:  # a table too large: say which file
        raise XxgkError(e.code, f"{e.message}：{name}", f"{e.message_en}: {name}") from None
    if sum(len(r) for it in items if isinstance(it, list) for r in it) > MAX_CELLS:
        raise XxgkError("too-complex", f"Word 文档的表格过大（超过 {MAX_CELLS} 格），不像年度报告，已拒绝：{name}",
                        f"refused: the Word document's tables are too large for an annual report "
                        f"(over {MAX_CELLS} cells): {name}")
    return Document.from_blocks(items, "docx")


def _boxes(p: object) -> list[object]:
    """The text boxes in a paragraph that are not inside another of its text boxes."""
    out = []
    for box in p.iter(f"{W}txbxContent"):  # type: ignore[attr-defined]
        a = box.getparent()
        while a is not None and a is not p and a.tag != f"{W}txbxContent":
            a = a.getparent()
        if a is p:
            out.append(box)
    return out


def _blocks(parent: object, items: list[str | list[list[TableCell]]], depth: int) -> None:
    """Paragraphs and tables in order; a text box's contents after its paragraph (text boxes
    nested more than MAX_TEXTBOX_DEPTH deep are not read)."""
    for child in parent:  # type: ignore[attr-defined]
        tag = child.tag
        if tag == f"{W}p":
            text = _para_text(child)
            if text.strip():
                items.append(text)
            if depth < MAX_TEXTBOX_DEPTH:
                for box in _boxes(child):
                    # a text box is written twice (DrawingML and its VML fallback): read it once
                    if any(a.tag == f"{MC}Fallback" for a in box.iterancestors()):
                        continue
                    _blocks(box, items, depth + 1)
        elif tag == f"{W}tbl":
            grid, nested = _table(child)
            items.append(grid)
            for t in nested:
                grid2, _ = _table(t)
                items.append(grid2)
        elif tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                _blocks(content, items, depth)


def _para_text(p: object) -> str:
    """The paragraph's own text (not that of its text boxes, read as paragraphs of their own)."""
    parts: list[str] = []
    _own_text(p, parts)
    return "".join(parts)


def _own_text(el: object, parts: list[str]) -> None:
    for child in el:  # type: ignore[attr-defined]
        tag = child.tag
        if tag == f"{W}t":
            parts.append(child.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag == f"{W}br":
            parts.append(" ")
        elif tag != f"{W}txbxContent" and len(child):
            _own_text(child, parts)


def _table(tbl: object) -> tuple[list[list[TableCell]], list[object]]:
    """Rows of cells with grid positions, and tables nested in cells (read after this one)."""
    widths = [_twips(g.get(f"{W}w")) for g in tbl.findall(f"{W}tblGrid/{W}gridCol")]  # type: ignore[attr-defined]
    # map raw grid columns to logical ones, dropping slivers
    logical: list[int] = []
    n = -1
    for w in widths:
        if w >= SLIVER_TWIPS or n < 0:
            n += 1
        logical.append(n)
    trs = tbl.findall(f"{W}tr")  # type: ignore[attr-defined]
    if len(trs) > MAX_ROWS:
        raise XxgkError("too-complex", f"Word 文档的表格行数过多（{len(trs)} 行），不像年度报告，已拒绝",
                        f"refused: a table of the Word document has too many rows ({len(trs)}) for an annual report")
    nested: list[object] = []
    rows: list[list[TableCell]] = []
    open_merge: dict[int, tuple[int, int]] = {}
    for r, tr in enumerate(trs):
        raw = 0
        row: list[TableCell] = []
        for tc in tr.findall(f"{W}tc"):
            pr = tc.find(f"{W}tcPr")
            span = 1
            vmerge = None
            if pr is not None:
                gs = pr.find(f"{W}gridSpan")
                if gs is not None:
                    try:
                        span = max(1, min(int(gs.get(f"{W}val") or 1), MAX_SPAN))
                    except ValueError:
                        span = 1
                vm = pr.find(f"{W}vMerge")
                if vm is not None:
                    vmerge = vm.get(f"{W}val") or "continue"
            start = _logical(logical, raw)
            end = _logical(logical, raw + span - 1)
            raw += span
            col, colspan = start, end - start + 1
            if vmerge == "continue":
                at = open_merge.get(col)
                if at is not None:
                    ri, ci = at
                    owner = rows[ri][ci] if ri < len(rows) else row[ci]
                    grown = TableCell(owner.text, owner.row, owner.col, owner.rowspan + 1, owner.colspan)
                    (rows[ri] if ri < len(rows) else row)[ci] = grown
                continue
            texts = []
            for p in tc:
                if p.tag == f"{W}p":
                    texts.append(_para_text(p))
                elif p.tag == f"{W}tbl":
                    nested.append(p)
            cell = TableCell(" ".join(" ".join(texts).split()), r, col, 1, colspan)
            row.append(cell)
            if vmerge == "restart":
                open_merge[col] = (r, len(row) - 1)  # where the merge's first cell is
            else:
                open_merge.pop(col, None)
        rows.append(row)
    return rows, nested


def _logical(logical: list[int], raw: int) -> int:
    if not logical:
        return raw
    if raw < len(logical):
        return logical[raw]
    return logical[-1] + (raw - len(logical) + 1)


def _twips(v: str | None) -> int:
    """A grid column's width; a malformed one (12.5, abc, 1e999) counts as what it can."""
    try:
        return int(float(v or 0))
    except (ValueError, OverflowError):
        return 0
