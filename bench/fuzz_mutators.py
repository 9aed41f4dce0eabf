"""Mutators for the fuzz campaign (bench/fuzz.py): each takes a random source and a file's bytes
and returns damaged bytes. Generic damage (bit flips, truncation, inserted, deleted and
duplicated bytes), ZIP damage (bits flipped inside deflate streams, wrong CRCs, bad sizes), XML
mutations of DOCX and XLSX members, HTML bombs, digit runs in text, odd XLSX values, hostile PDFs.
Everything is a pure function of the random source and the input."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from functools import cache

Mutator = Callable[[random.Random, bytes], bytes]


# ---------------------------------------------------------------- generic

def bitflip(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[:rng.randrange(1, len(data))]


def insert_bytes(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + rng.randbytes(rng.randint(1, 64)) + data[i:]


def delete_bytes(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randint(1, 256):]


def duplicate_block(rng: random.Random, data: bytes) -> bytes:
    a = rng.randrange(len(data))
    block = data[a:a + rng.randint(1, 4096)] * rng.choice([1, 2, 10])
    c = rng.randrange(len(data))
    return data[:c] + block + data[c:]


GENERIC: dict[str, Mutator] = {"bitflip": bitflip, "truncate": truncate, "insert": insert_bytes,
                               "delete": delete_bytes, "duplicate": duplicate_block}


# ---------------------------------------------------------------- ZIP containers (DOCX, XLSX)

def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, int]]:
    """Each member with the offset of its compressed data."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            h = info.header_offset
            name_len, extra_len = struct.unpack("<HH", data[h + 26:h + 30])
            out.append((info, h + 30 + name_len + extra_len))
    return out


def zip_deflate_flip(rng: random.Random, data: bytes) -> bytes:
    """Bits flipped inside one member's deflate stream (the CRC no longer matches, or inflating fails)."""
    members = [(i, o) for i, o in _members(data) if i.compress_size > 8 and i.compress_type == zipfile.ZIP_DEFLATED]
    info, off = rng.choice(members)
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        k = off + rng.randrange(info.compress_size)
        b[k] ^= 1 << rng.randrange(8)
    return bytes(b)


def _central(data: bytes) -> list[int]:
    return [m.start() for m in re.finditer(rb"PK\x01\x02", data)]


def zip_bad_crc(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for info, _ in rng.sample(_members(data), k=1):
        crc = struct.pack("<I", rng.getrandbits(32))
        b[info.header_offset + 14:info.header_offset + 18] = crc
        for c in _central(data):
            if struct.unpack("<I", data[c + 42:c + 46])[0] == info.header_offset:
                b[c + 16:c + 20] = crc
    return bytes(b)


def zip_bad_sizes(rng: random.Random, data: bytes) -> bytes:
    """Declared sizes changed in the central directory: tiny, huge, or off by a little."""
    b = bytearray(data)
    cds = _central(data)
    c = rng.choice(cds)
    field = rng.choice([20, 24])  # compressed size, uncompressed size
    old = struct.unpack("<I", data[c + field:c + field + 4])[0]
    new = rng.choice([0, 1, old + rng.randint(1, 100), max(0, old - rng.randint(1, 100)), 0xFFFFFFFE, 2 ** 31])
    b[c + field:c + field + 4] = struct.pack("<I", new)
    return bytes(b)


def _rezip(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info.filename, change(body) if info.filename == member else body)
    return out.getvalue()


ZIP: dict[str, Mutator] = {"zip-deflate-flip": zip_deflate_flip, "zip-bad-crc": zip_bad_crc,
                           "zip-bad-sizes": zip_bad_sizes}


# ---------------------------------------------------------------- DOCX XML

DOC = "word/document.xml"
W_TBL = (b'<w:tbl><w:tblGrid><w:gridCol w:w="2000"/></w:tblGrid>%s</w:tbl>')


def _into_body(xml: bytes, fragment: bytes) -> bytes:
    i = xml.find(b"<w:body>")
    return xml[:i + 8] + fragment + xml[i + 8:]


def docx_huge_attribute(rng: random.Random, data: bytes) -> bytes:
    value = rng.choice([b"9" * rng.randint(20, 200), b"A" * rng.randint(10 ** 5, 5 * 10 ** 6), b"-1", b"1e999"])

    def change(xml: bytes) -> bytes:
        attrs = list(re.finditer(rb'w:(?:val|w)="[^"]*"', xml))
        for m in rng.sample(attrs, k=min(len(attrs), rng.randint(1, 20))):
            xml = xml[:m.start()] + m.group().split(b"=")[0] + b'="' + value + b'"' + xml[m.end():]
        return xml
    return _rezip(data, DOC, change)


def docx_gridcol(rng: random.Random, data: bytes) -> bytes:
    bad = rng.choice([b"12.5", b"abc", b"", b"1e999", b"-30", b"0x1F", b"\xe4\xb8\x80", b"NaN", b"9" * 40])
    return _rezip(data, DOC, lambda xml: re.sub(rb'(<w:gridCol w:w=")[^"]*(")', rb"\g<1>" + bad + rb"\g<2>", xml))


def docx_vmerges(rng: random.Random, data: bytes) -> bytes:
    n = rng.choice([2000, 20000])
    first = b'<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc></w:tr>'
    rest = b"<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr>" * n
    return _rezip(data, DOC, lambda xml: _into_body(xml, W_TBL % (first + rest)))


def docx_nested_textboxes(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([30, 60, 200, 1000])
    inner = b"<w:p><w:r><w:t>\xe6\x9c\xac\xe5\xb9\xb4\xe6\x96\xb0\xe6\x94\xb6 12</w:t></w:r></w:p>"
    frag = b"<w:p><w:r><w:txbxContent>" * depth + inner + b"</w:txbxContent></w:r></w:p>" * depth
    return _rezip(data, DOC, lambda xml: _into_body(xml, frag))


def docx_nested_tables(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([50, 200, 1000])
    frag = b'<w:tbl><w:tr><w:tc><w:p/>' * depth + b"</w:tc></w:tr></w:tbl>" * depth
    return _rezip(data, DOC, lambda xml: _into_body(xml, frag))


def xml_entities(rng: random.Random, data: bytes, member: str = DOC) -> bytes:
    dtd = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
           b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')

    def change(xml: bytes) -> bytes:
        i = xml.find(b"?>") + 2 if xml.startswith(b"<?xml") else 0
        xml = xml[:i] + dtd + xml[i:]
        return xml.replace(b"<w:t>", b"<w:t>&d;", 1) if rng.random() < 0.5 else xml
    return _rezip(data, member, change)


DOCX: dict[str, Mutator] = {
    "docx-huge-attribute": docx_huge_attribute, "docx-gridcol": docx_gridcol, "docx-vmerge": docx_vmerges,
    "docx-textboxes": docx_nested_textboxes, "docx-nested-tables": docx_nested_tables,
    "docx-entities": xml_entities,
}


# ---------------------------------------------------------------- XLSX

def _sheet(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def xlsx_odd_values(rng: random.Random, data: bytes) -> bytes:
    """Cells turned into errors, huge strings, dates, formulas, booleans, odd numbers."""
    odd = [b'<c r="%s" t="e"><v>#DIV/0!</v></c>', b'<c r="%s" t="inlineStr"><is><t>' + b"9" * 300000 + b"</t></is></c>",
           b'<c r="%s" t="d"><v>2021-13-45T99:00:00</v></c>', b'<c r="%s" s="0"><f>1/0</f><v>12</v></c>',
           b'<c r="%s" t="b"><v>7</v></c>', b'<c r="%s"><v>1e308</v></c>', b'<c r="%s"><v>NaN</v></c>',
           b'<c r="%s"><v>-0.0000001</v></c>', b'<c r="%s" t="s"><v>99999</v></c>',
           b'<c r="%s" t="n"><v>12abc</v></c>', b'<c r="ZZZZZ%d"><v>1</v></c>']

    def change(xml: bytes) -> bytes:
        cells = list(re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S))
        for m in sorted(rng.sample(cells, k=min(len(cells), rng.randint(1, 10))), key=lambda m: -m.start()):
            t = rng.choice(odd)
            new = t % (rng.randint(1, 10 ** 7) if b"%d" in t else m.group(1))
            xml = xml[:m.start()] + new + xml[m.end():]
        return xml
    return _rezip(data, _sheet(data), change)


def xlsx_huge_dimension(rng: random.Random, data: bytes) -> bytes:
    """A merged range or a cell far away: 1,048,576 rows × 16,384 columns."""
    frag = rng.choice([b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
                       b'<mergeCells count="1"><mergeCell ref="B2:XFD1048576"/></mergeCells>'])

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"<mergeCells.*?</mergeCells>", b"", xml, flags=re.S)
        return xml.replace(b"</sheetData>", b"</sheetData>" + frag, 1)
    return _rezip(data, _sheet(data), change)


def xlsx_entities(rng: random.Random, data: bytes) -> bytes:
    return xml_entities(rng, data, _sheet(data))


XLSX: dict[str, Mutator] = {"xlsx-odd-values": xlsx_odd_values, "xlsx-huge-merge": xlsx_huge_dimension,
                            "xlsx-entities": xlsx_entities}


# ---------------------------------------------------------------- HTML

def _html_insert(rng: random.Random, data: bytes, frag: bytes) -> bytes:
    i = data.find(b"<body")
    i = data.find(b">", i) + 1 if i >= 0 else rng.randrange(len(data))
    return data[:i] + frag + data[i:]


def html_span_bomb(rng: random.Random, data: bytes) -> bytes:
    n = rng.choice([b"1000000", b"99999999999", b"-5", b"1e6", b"65534"])
    cells = b"".join(b'<td rowspan="%s" colspan="%s">%d</td>' % (n, n, k) for k in range(rng.randint(1, 50)))
    return _html_insert(rng, data, b"<table><tr>" + cells + b"</tr>" + b"<tr><td>1</td></tr>" * 100 + b"</table>")


def html_many_tables(rng: random.Random, data: bytes) -> bytes:
    n = rng.choice([10000, 100000])
    return _html_insert(rng, data, b"<table><tr><td>\xe6\x9c\xac\xe5\xb9\xb4\xe6\x96\xb0\xe6\x94\xb6</td><td>1</td></tr></table>" * n)


def html_deep(rng: random.Random, data: bytes) -> bytes:
    tag = rng.choice([b"div", b"span", b"table", b"font", b"td"])
    depth = rng.choice([300, 5000, 100000])
    return _html_insert(rng, data, b"<%s>" % tag * depth + b"x" + b"</%s>" % tag * depth)


def html_charset(rng: random.Random, data: bytes) -> bytes:
    cs = rng.choice([b"x-undefined", b"utf-7", b"bogus-charset", b"utf-32", b"cp65001", b"unicode", b"",
                     b"idna", b"rot13", b"hex", b"base64", b"punycode", b"zlib", b"utf-16"])
    data = re.sub(rb'<meta[^>]*charset[^>]*>', b"", data, flags=re.I)
    return data.replace(b"<head>", b'<head><meta charset="' + cs + b'">', 1) if b"<head>" in data else (
        b'<meta charset="' + cs + b'">' + data)


HTML: dict[str, Mutator] = {"html-span-bomb": html_span_bomb, "html-many-tables": html_many_tables,
                            "html-deep": html_deep, "html-charset": html_charset}


# ---------------------------------------------------------------- text

def _table_lines(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"^.*\d.*$", text, re.M)] or [(0, len(text))]


def text_digit_run(rng: random.Random, data: bytes, encoding: str = "utf-8") -> bytes:
    text = data.decode(encoding, "replace")
    a, b = rng.choice(_table_lines(text))
    i = rng.randint(a, b)
    run = "".join(rng.choice("0123456789") for _ in range(rng.randint(40, 300)))
    return (text[:i] + run + text[i:]).encode(encoding, "replace")


def text_inserted_digits(rng: random.Random, data: bytes, encoding: str = "utf-8") -> bytes:
    text = data.decode(encoding, "replace")
    lines = _table_lines(text)
    for _ in range(rng.randint(1, 12)):
        a, b = rng.choice(lines)
        i = rng.randint(a, b)
        text = text[:i] + rng.choice(["", " ", "\t"]) + str(rng.randint(0, 99999)) + text[i:]
    return text.encode(encoding, "replace")


TEXT: dict[str, Mutator] = {"text-digit-run": text_digit_run, "text-inserted-digits": text_inserted_digits}


# ---------------------------------------------------------------- PDF

def _pdf(content: bytes, filters: bytes = b"") -> bytes:
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d %s>>\nstream\n" % (len(content), filters) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return assemble_pdf(objs)


def assemble_pdf(objs: list[bytes], trailer_extra: bytes = b"", head: bytes = b"%PDF-1.4\n") -> bytes:
    """A PDF file from its objects' bodies (object 1 the catalog), with a correct xref table: the
    smallest PDF writer, for tests and hostile files."""
    out = bytearray(head)
    offsets = []
    for k, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, trailer_extra, xref)
    return bytes(out)


def pdf_page_of(n: int) -> bytes:
    """A PDF of one page with ``n`` characters (lines of digits, 1 pt high, over and over)."""
    lines = b"".join(b"0 -0.004 Td (%s) Tj\n" % (b"1234567890" * 10) for _ in range(n // 100))
    return _pdf(b"BT /F1 1 Tf 10 800 Td\n" + lines + b"ET")


def pdf_many_chars(rng: random.Random, data: bytes) -> bytes:
    return pdf_page_of(rng.choice([20000, 200000]))


@cache
def _bomb(size: int) -> bytes:
    c = zlib.compressobj(9)
    chunk = b"0 0 m\n" * (1 << 16)
    parts = [c.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + c.flush()


def pdf_deflate_bomb(rng: random.Random, data: bytes) -> bytes:
    """A content stream that inflates to 1 GB (a few MB on disk)."""
    return _pdf(_bomb(1 << 30), b"/Filter /FlateDecode ")


PDF: dict[str, Mutator] = {"pdf-many-chars": pdf_many_chars, "pdf-deflate-bomb": pdf_deflate_bomb}
