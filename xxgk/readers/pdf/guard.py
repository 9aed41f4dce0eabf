"""A look at a PDF's streams before PDFium opens it: bounded work for any file.

PDFium inflates and parses a page's content streams (and the fonts, forms and object streams it
needs) whole, in memory. So a 200 KB file whose content stream inflates to 2 GB would take
gigabytes and seconds, a 1 MB content stream of tiny operators a million page objects, and a
form XObject drawn two thousand times from a 700-byte file two million objects (20 s, 700 MB).
Before PDFium sees the file, every stream that reading text could decode is inflated here in
bounded chunks, counting bytes and keeping nothing (images are skipped: text extraction never
decodes them; layers of Flate inside Flate are followed), and:

* no stream may inflate beyond a bound (fonts get more room than content);
* a page's content (its ``/Contents`` streams, found in the file and in object streams) and
  every content-like stream stay under MAX_PAGE_CONTENT: a report page needs 10-150 KB;
* forms drawn by ``Do`` may not multiply the content past MAX_FORM_WORK.

LZW and RunLength, whose output a quick look cannot bound, are allowed only when small. The cost
is one pass of zlib over the text-related streams, a few milliseconds for a report.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from xxgk.errors import XxgkError

MAX_STREAM = 16 * 1024 * 1024       # object streams, cmaps, xref streams
MAX_FONT_STREAM = 48 * 1024 * 1024  # a whole CJK font embedded uncompressed is 10-20 MB
MAX_TOTAL = 160 * 1024 * 1024       # all inflated streams of one file
MAX_PAGE_CONTENT = 1024 * 1024      # one page's content; reports have 10-150 KB
MAX_FORM_WORK = 2 * 1024 * 1024     # content parsed again for each form drawn
_SMALL_OTHER = 64 * 1024            # LZW / RunLength streams allowed up to this size
_KEEP = 4 * 1024 * 1024             # object streams kept (to find page dictionaries in them)
_CHUNK = 1 << 20

_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_OBJ = re.compile(rb"(\d+)\s+\d+\s+obj\b")
_IMAGE = re.compile(rb"/Subtype\s*/Image|/(?:DCTDecode|JPXDecode|CCITTFaxDecode|JBIG2Decode|DCT|CCF)\b")
_SKIP = re.compile(rb"/Type\s*/(?:EmbeddedFile|Metadata)\b")
_FONT = re.compile(rb"/Length[123]\b|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType)")
_FORM = re.compile(rb"/Subtype\s*/Form\b")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm\b")
_NOT_CONTENT = re.compile(rb"/Type\b|/Subtype\b|/N\s|/CMapName|/FunctionType|/ShadingType|/PatternType")
_RISKY = re.compile(rb"/(?:LZWDecode|RunLengthDecode|LZW|RL)\b")
_CONTENTS = re.compile(rb"/Contents\s*(?:(\d+)\s+\d+\s+R|\[([^\]]*)\])")
_REF = re.compile(rb"(\d+)\s+\d+\s+R")
_DO = re.compile(rb"\sDo\b")


@dataclass
class _Scan:
    name: str
    total: int = 0
    sizes: dict[int, int] = field(default_factory=dict)  # content-like stream: inflated size
    kept: list[bytes] = field(default_factory=list)       # object streams' text
    page_do: int = 0    # forms or images drawn from page content
    form_do: int = 0    # ... from inside forms
    max_form: int = 0


def check_streams(data: bytes, name: str) -> None:
    scan = _Scan(name)
    view = memoryview(data)
    pos = 0
    while True:
        m = _STREAM.search(data, pos)
        if m is None:
            break
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        pos = max(end, start)
        head = data[max(0, m.start() - 2048):m.start()]
        objs = list(_OBJ.finditer(head))
        num = int(objs[-1].group(1)) if objs else -1
        if objs:
            head = head[objs[-1].start():]
        if _IMAGE.search(head) or _SKIP.search(head):
            continue
        _stream(scan, head, num, view[start:end])
    _check_pages(scan, data)


def _stream(scan: _Scan, head: bytes, num: int, body: memoryview) -> None:
    font = bool(_FONT.search(head))
    form = bool(_FORM.search(head))
    content = not font and (form or not _NOT_CONTENT.search(head))
    limit = MAX_FONT_STREAM if font else MAX_PAGE_CONTENT if content else MAX_STREAM
    if _RISKY.search(head) and len(body) > _SMALL_OTHER:
        raise _bomb(scan.name)
    keep = bool(_OBJSTM.search(head))
    if len(body) >= 2 and _zlib_header(body[0], body[1]):
        size, out = _inflate(body, min(limit, MAX_TOTAL - scan.total), scan.name, keep or content)
    else:  # stored as is (or a filter PDFium decodes without inflating much)
        size, out = len(body), bytes(body) if (keep or content) and len(body) <= _KEEP else b""
        if size > limit:
            raise _bomb(scan.name)
    scan.total += size
    if keep and out:
        scan.kept.append(out)
    if content:
        scan.sizes[num] = size
        draws = len(_DO.findall(out))
        if form:
            scan.form_do += draws
            scan.max_form = max(scan.max_form, size)
        else:
            scan.page_do += draws


def _check_pages(scan: _Scan, data: bytes) -> None:
    for text in (data, *scan.kept):
        for m in _CONTENTS.finditer(text):
            if m.group(1) is not None:
                refs = [int(m.group(1))]
                if refs[0] not in scan.sizes:  # an indirect array of streams
                    arr = re.search(rb"(?<!\d)%d\s+\d+\s+obj\s*\[([^\]]*)\]" % refs[0], data)
                    refs = [int(r) for r in _REF.findall(arr.group(1))] if arr else []
            else:
                refs = [int(r) for r in _REF.findall(m.group(2))]
            if sum(scan.sizes.get(r, 0) for r in refs) > MAX_PAGE_CONTENT:
                raise _too_much(scan.name)
    if scan.max_form and scan.page_do:
        # each form drawn is parsed again; forms drawing forms multiply
        work = scan.page_do * scan.max_form * (1 + scan.form_do) ** 2
        if work > MAX_FORM_WORK:
            raise _too_much(scan.name)


def _zlib_header(b0: int, b1: int) -> bool:
    return b0 & 0x0F == 8 and (b0 << 8 | b1) % 31 == 0


def _inflate(body: memoryview, limit: int, name: str, keep: bool, depth: int = 0) -> tuple[int, bytes]:
    """Bytes this zlib stream inflates to (following nested zlib layers), refusing past limit;
    the inflated text itself when asked and small."""
    d = zlib.decompressobj()
    inner: zlib._Decompress | None = None
    parts: list[bytes] = []
    total = 0
    data: bytes | memoryview = body
    first = True
    try:
        while data:
            out = d.decompress(data, _CHUNK)
            data = d.unconsumed_tail
            if first and len(out) >= 2 and depth < 3 and _zlib_header(out[0], out[1]):
                inner = zlib.decompressobj()
            first = first and not out
            if inner is not None:
                out = _drain(inner, out, limit - total, name)
            total += len(out)
            if total > limit:
                raise _bomb(name)
            if keep and total <= _KEEP:
                parts.append(out)
            if d.eof:
                break
    except zlib.error:
        pass  # a damaged stream: PDFium inflates no more of it than zlib does here
    return total, b"".join(parts) if keep and total <= _KEEP else b""


def _drain(d: zlib._Decompress, data: bytes, room: int, name: str) -> bytes:
    parts: list[bytes] = []
    total = 0
    try:
        while data and not d.eof:
            out = d.decompress(data, _CHUNK)
            data = d.unconsumed_tail
            total += len(out)
            if total > room:
                raise _bomb(name)
            parts.append(out)
    except zlib.error:
        pass
    return b"".join(parts)


def _bomb(name: str) -> XxgkError:
    return XxgkError(
        "too-large",
        f"PDF 中的数据流解压后过大（疑为压缩炸弹），已拒绝读取：{name}",
        f"a stream in the PDF inflates to too much data (a decompression bomb?); refused: {name}",
    )


def _too_much(name: str) -> XxgkError:
    return XxgkError(
        "too-large",
        f"PDF 页面内容过多（远超年度报告所需），已拒绝读取：{name}",
        f"a page of the PDF has far more content than a report needs; refused: {name}",
    )
