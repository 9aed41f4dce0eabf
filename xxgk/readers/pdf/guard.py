"""A look at a PDF's streams before PDFium opens it: no stream may inflate beyond a bound.

PDFium inflates a page's content streams (and the fonts and object streams it needs) whole, in
memory: a 200 KB file whose content stream inflates to 2 GB would take gigabytes and seconds. So
every stream that could be inflated for reading text is inflated here first, in bounded chunks,
counting bytes and keeping none (images are skipped: text extraction never decodes them); layers
of Flate inside Flate are followed. LZW and RunLength, whose output is not bounded by a quick
look, are allowed only when small. The cost is one pass of zlib over the file's text-related
streams, a few milliseconds for a report.
"""

from __future__ import annotations

import re
import zlib

from xxgk.errors import XxgkError

MAX_STREAM = 16 * 1024 * 1024       # content, cmaps, object streams: a report page needs < 1 MB
MAX_FONT_STREAM = 48 * 1024 * 1024  # a whole CJK font embedded uncompressed is 10-20 MB
MAX_TOTAL = 160 * 1024 * 1024       # all inflated streams of one file
_SMALL_OTHER = 64 * 1024            # LZW / RunLength streams allowed up to this size
_CHUNK = 1 << 20

_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_IMAGE = re.compile(rb"/Subtype\s*/Image|/(?:DCTDecode|JPXDecode|CCITTFaxDecode|JBIG2Decode|DCT|CCF)\b")
_FONT = re.compile(rb"/Length[123]\b|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType)")
_RISKY = re.compile(rb"/(?:LZWDecode|RunLengthDecode|LZW|RL)\b")


def check_streams(data: bytes, name: str) -> None:
    view = memoryview(data)
    total = 0
    pos = 0
    while True:
        m = _STREAM.search(data, pos)
        if m is None:
            return
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        pos = max(end, start)
        head = data[max(0, m.start() - 2048):m.start()]
        k = head.rfind(b" obj")
        if k >= 0:
            head = head[k:]
        if _IMAGE.search(head):
            continue
        limit = MAX_FONT_STREAM if _FONT.search(head) else MAX_STREAM
        if _RISKY.search(head) and end - start > _SMALL_OTHER:
            raise _bomb(name)
        body = view[start:end]
        if len(body) < 2 or not _zlib_header(body[0], body[1]):
            continue
        total += _inflated_size(body, min(limit, MAX_TOTAL - total), name)


def _zlib_header(b0: int, b1: int) -> bool:
    return b0 & 0x0F == 8 and (b0 << 8 | b1) % 31 == 0


def _inflated_size(body: memoryview, limit: int, name: str, depth: int = 0) -> int:
    """Bytes this zlib stream inflates to (following nested zlib layers), refusing past limit."""
    d = zlib.decompressobj()
    inner: zlib._Decompress | None = None
    total = 0
    data: bytes | memoryview = body
    first = True
    try:
        while data:
            out = d.decompress(data, _CHUNK)
            data = d.unconsumed_tail
            if first and len(out) >= 2 and depth < 3 and _zlib_header(out[0], out[1]):
                inner = zlib.decompressobj()
            first = False if out else first
            if inner is not None:
                total += _drain(inner, out, limit - total, name)
            else:
                total += len(out)
            if total > limit:
                raise _bomb(name)
            if d.eof:
                break
    except zlib.error:
        pass  # a damaged stream: PDFium inflates no more of it than zlib does here
    return total


def _drain(d: zlib._Decompress, data: bytes, room: int, name: str) -> int:
    total = 0
    try:
        while data and not d.eof:
            out = d.decompress(data, _CHUNK)
            data = d.unconsumed_tail
            total += len(out)
            if total > room:
                raise _bomb(name)
    except zlib.error:
        pass
    return total


def _bomb(name: str) -> XxgkError:
    return XxgkError(
        "too-large",
        f"PDF 中的数据流解压后过大（疑为压缩炸弹），已拒绝读取：{name}",
        f"a stream in the PDF inflates to too much data (a decompression bomb?); refused: {name}",
    )
