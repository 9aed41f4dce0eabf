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

from xxgk.document import Document, TableCell
from xxgk.errors import XxgkError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
SLIVER_TWIPS = 30  # ~0.5 mm


def is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def _document_xml(data: bytes, name: str) -> bytes:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise XxgkError("bad-docx", f"Word 文件已损坏或不完整：{name}", f"corrupted or truncated Word file: {name}") from None
    with z:
        infos = z.infolist()
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
            raise XxgkError(
                "zip-bomb",
                f"文件解压后过大（{total / 1048576:.0f} MB，压缩比 {total / packed:.0f}），疑为压缩炸弹，已拒绝：{name}",
                f"refused: the file would inflate to {total / 1048576:.0f} MB (ratio {total / packed:.0f}), "
                f"a zip bomb: {name}",
            )
        try:
            info = z.getinfo("word/document.xml")
        except KeyError:
            raise XxgkError("bad-docx", f"不是 Word 文档（缺少 word/document.xml）：{name}",
                            f"not a Word document (no word/document.xml): {name}") from None
        try:
            with z.open(info) as fh:
                out = fh.read(MAX_UNCOMPRESSED + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise XxgkError("bad-docx", f"Word 文件已损坏或不完整：{name}（{e}）",
                            f"corrupted or truncated Word file: {name} ({e})") from None
        if len(out) > MAX_UNCOMPRESSED:
            raise XxgkError("zip-bomb", f"文件解压后过大，已拒绝：{name}", f"refused: inflates too much: {name}")
        return out


def _parse_xml(xml: bytes, name: str) -> object:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_blank_text=False)
    try:
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as e:
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
    _blocks(body, items)
    return Document.from_blocks(items, "docx")


def _blocks(parent: object, items: list[str | list[list[TableCell]]]) -> None:
    for child in parent:  # type: ignore[attr-defined]
        tag = child.tag
        if tag == f"{W}p":
            text = _para_text(child)
            if text.strip():
                items.append(text)
            for box in child.iter(f"{W}txbxContent"):
                # a text box is written twice (DrawingML and its VML fallback): read it once
                if any(a.tag == f"{MC}Fallback" for a in box.iterancestors()):
                    continue
                _blocks(box, items)
        elif tag == f"{W}tbl":
            grid, nested = _table(child)
            items.append(grid)
            for t in nested:
                grid2, _ = _table(t)
                items.append(grid2)
        elif tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                _blocks(content, items)


def _para_text(p: object) -> str:
    parts: list[str] = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}txbxContent"):  # type: ignore[attr-defined]
        if el.tag == f"{W}t":
            # a text box inside this paragraph is read as blocks of its own; a paragraph that is
            # itself inside a text box (a table set in a text box) keeps its text
            inner = False
            for a in el.iterancestors():
                if a is p:
                    break
                if a.tag == f"{W}txbxContent":
                    inner = True
                    break
            if not inner:
                parts.append(el.text or "")
        elif el.tag == f"{W}tab":
            parts.append("\t")
        elif el.tag == f"{W}br":
            parts.append(" ")
    return "".join(parts)


def _table(tbl: object) -> tuple[list[list[TableCell]], list[object]]:
    """Rows of cells with grid positions, and tables nested in cells (read after this one)."""
    widths = [int(g.get(f"{W}w") or 0) for g in tbl.findall(f"{W}tblGrid/{W}gridCol")]  # type: ignore[attr-defined]
    # map raw grid columns to logical ones, dropping slivers
    logical: list[int] = []
    n = -1
    for w in widths:
        if w >= SLIVER_TWIPS or n < 0:
            n += 1
        logical.append(n)
    nested: list[object] = []
    rows: list[list[TableCell]] = []
    open_merge: dict[int, TableCell] = {}
    for r, tr in enumerate(tbl.findall(f"{W}tr")):  # type: ignore[attr-defined]
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
                        span = max(1, int(gs.get(f"{W}val") or 1))
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
                owner = open_merge.get(col)
                if owner is not None:
                    idx = _find(rows, owner)
                    if idx is not None:
                        ri, ci = idx
                        grown = TableCell(owner.text, owner.row, owner.col, owner.rowspan + 1, owner.colspan)
                        rows[ri][ci] = grown
                        open_merge[col] = grown
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
                open_merge[col] = cell
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


def _find(rows: list[list[TableCell]], cell: TableCell) -> tuple[int, int] | None:
    for ri in range(len(rows) - 1, -1, -1):
        for ci, c in enumerate(rows[ri]):
            if c is cell:
                return ri, ci
    return None
