"""Readers: a file's bytes in, an intermediate :class:`~xxgk.document.Document` out.

The reader is chosen by content, not by file name (sites serve DOCX as .doc and HTML as
.shtml): plain text (``text``), web pages (``html``), Word DOCX (``docx``), PDF with a text layer
(``pdf``), and old Word/WPS/RTF files through LibreOffice (``doc``). Every reader yields
the same document, so one extractor and one checker serve every format.
"""

from __future__ import annotations

import os
from pathlib import Path

from xxgk.document import Document
from xxgk.errors import XxgkError
from xxgk.readers.text import decode_text

# 100 MB is far beyond any real annual report (they are 5-50 KB of text, a few MB as PDF).
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Magic numbers of formats that are not plain text.
_MAGIC: list[tuple[bytes, str, str]] = [
    (b"%PDF", "PDF 文件", "a PDF file"),
    (b"PK\x03\x04", "ZIP/Office 文件（DOCX、XLSX 等）", "a ZIP/Office file (DOCX, XLSX, ...)"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文件（DOC、WPS 等）", "an old Office file (DOC, WPS, ...)"),
    (b"\x89PNG", "PNG 图像", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图像", "a JPEG image"),
    (b"GIF8", "GIF 图像", "a GIF image"),
    (b"BM", "BMP 图像", "a BMP image"),
    (b"II*\x00", "TIFF 图像", "a TIFF image"),
    (b"MM\x00*", "TIFF 图像", "a TIFF image"),
    (b"RIFF", "RIFF 媒体文件", "a RIFF media file"),
    (b"\x1f\x8b", "gzip 压缩文件", "a gzip archive"),
    (b"Rar!", "RAR 压缩文件", "a RAR archive"),
    (b"7z\xbc\xaf", "7z 压缩文件", "a 7z archive"),
    (b"\x7fELF", "可执行文件", "an executable"),
]


def read_bytes(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    p = Path(path)
    if not p.exists():
        raise XxgkError("not-found", f"文件不存在：{p}", f"no such file: {p}")
    if p.is_dir():
        raise XxgkError("is-directory", f"这是一个文件夹，不是文件：{p}", f"this is a folder, not a file: {p}")
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise XxgkError(
                "too-large",
                f"文件过大（{size / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB）：{p}",
                f"file too large ({size / 1048576:.1f} MB, limit {max_bytes / 1048576:.0f} MB): {p}",
            )
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise XxgkError("unreadable", f"无权读取文件：{p}", f"permission denied: {p}") from None
    except OSError as e:
        raise XxgkError("unreadable", f"无法读取文件：{p}（{e.strerror}）", f"cannot read file: {p} ({e.strerror})") from None
    if len(data) > max_bytes:
        raise XxgkError("too-large", f"文件过大：{p}", f"file too large: {p}")
    return data


def sniff(data: bytes) -> tuple[str, str] | None:
    """The kind of a non-text file from its first bytes, or None for (possibly) text."""
    for magic, zh, en in _MAGIC:
        if data.startswith(magic):
            return zh, en
    return None


def read_document(data: bytes, name: str = "<bytes>") -> Document:
    """Bytes -> Document, choosing the reader by content."""
    if not data.strip():
        raise XxgkError("empty", f"文件为空：{name}", f"empty file: {name}")
    if b"%PDF-" in data[:1024]:
        from xxgk.readers.pdf import read_pdf

        return read_pdf(data, name)
    if data.startswith(b"PK\x03\x04"):
        from xxgk.readers.docx import read_docx, zip_names
        from xxgk.readers.xlsx import read_xlsx

        members = zip_names(data)
        if members is None or "word/document.xml" in members:
            return read_docx(data, name)  # a damaged ZIP is refused there, as a damaged Word file
        if "xl/workbook.xml" in members:
            return read_xlsx(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0") or data.startswith(b"{\\rtf"):
        from xxgk.readers.office import read_office

        return read_office(data, name, ".rtf" if data.startswith(b"{\\rtf") else ".doc")
    kind = sniff(data)
    if kind is None:
        from xxgk.readers.html import looks_like_html, read_html
        from xxgk.readers.markdown import looks_like_markdown

        if looks_like_html(data) and not looks_like_markdown(data[:200_000].decode("utf-8", "replace")):
            return read_html(data, name)
    if kind is not None:
        raise XxgkError(
            "unsupported-format",
            f"不是文本格式的年度报告（{kind[0]}），此格式暂不支持：{name}",
            f"not a plain-text report ({kind[1]}); this format is not supported yet: {name}",
        )
    text, encoding = decode_text(data, name, lenient=True)
    from xxgk.readers.markdown import looks_like_markdown, read_markdown

    if looks_like_markdown(text):
        return read_markdown(text, name, encoding)
    return Document.from_text(text, encoding=encoding)
