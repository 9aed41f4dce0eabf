"""The PDF writer's self-check: a PDF is handed out only if every visible character of the page
came out as text, no glyph is .notdef (the empty box printed for a character no font has) and
every font is embedded. Otherwise one line, Chinese first, and nothing is written.

The glyphs are read from the content streams (pdfminer's interpreter) and decoded as a viewer
does: the font's encoding CMap (Identity-H, or an embedded CMap such as the one WeasyPrint writes
when it had to draw .notdef) gives the CID, the CIDToGIDMap the glyph; glyph 0 is .notdef.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from xxgk.errors import XxgkError

FONT_FILES = ("FontFile", "FontFile2", "FontFile3")
IDENTITY = ("Identity-H", "Identity-V")


@dataclass
class PdfGlyphs:
    text: list[str] = field(default_factory=list)  # each drawn glyph's text (its ToUnicode entry)
    notdef: list[str] = field(default_factory=list)  # the text of glyphs drawn as .notdef
    not_embedded: set[str] = field(default_factory=set)


def _name(obj: object) -> str:
    return str(getattr(obj, "name", obj))


def _encoding_cmap(data: bytes) -> dict[int, int]:
    """Code → CID of an embedded encoding CMap (cidrange and cidchar entries)."""
    text = data.decode("latin-1")
    out: dict[int, int] = {}
    for block in re.findall(r"begincidrange(.*?)endcidrange", text, re.S):
        for lo, hi, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\d+)", block):
            for k in range(int(lo, 16), int(hi, 16) + 1):
                out[k] = int(cid) + k - int(lo, 16)
    for block in re.findall(r"begincidchar(.*?)endcidchar", text, re.S):
        for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s*(\d+)", block):
            out[int(code, 16)] = int(cid)
    return out


Decoder = Callable[[bytes], Iterator[tuple[int, int | None]]]


def _decoder(spec: dict[str, Any]) -> tuple[Decoder, bool]:
    """(bytes → (code, glyph or None when unknown), embedded?) for one font dictionary."""
    from pdfminer.pdftypes import PDFStream, resolve1

    subtype = _name(resolve1(spec.get("Subtype")))
    if subtype != "Type0":
        descriptor = resolve1(spec.get("FontDescriptor")) or {}
        embedded = subtype == "Type3" or any(k in descriptor for k in FONT_FILES)
        return (lambda s: ((b, None) for b in s)), embedded
    cidfont = resolve1(resolve1(spec["DescendantFonts"])[0])
    descriptor = resolve1(cidfont.get("FontDescriptor")) or {}
    embedded = any(k in descriptor for k in FONT_FILES)
    enc = resolve1(spec.get("Encoding"))
    code2cid = _encoding_cmap(enc.get_data()) if isinstance(enc, PDFStream) else None
    known = code2cid is not None or _name(enc) in IDENTITY
    c2g = resolve1(cidfont.get("CIDToGIDMap"))
    gidmap = c2g.get_data() if isinstance(c2g, PDFStream) else None

    def decode(s: bytes) -> Iterator[tuple[int, int | None]]:
        for i in range(0, len(s) - 1, 2):
            code = s[i] << 8 | s[i + 1]
            if not known:
                yield code, None
                continue
            cid = code if code2cid is None else code2cid.get(code, 0)
            gid = cid if gidmap is None else int.from_bytes(gidmap[2 * cid:2 * cid + 2] or b"\0\0", "big")
            yield code, gid

    return decode, embedded


def inspect(pdf: bytes) -> PdfGlyphs:
    """Every glyph the PDF draws, with its text; the .notdef ones; the fonts not embedded."""
    from pdfminer.pdfdevice import PDFDevice
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    out = PdfGlyphs()
    specs: dict[int, tuple[object, Decoder]] = {}

    class Fonts(PDFResourceManager):
        def get_font(self, objid: object, spec: Any) -> Any:
            font = super().get_font(objid, spec)
            # pdfminer reads a Type0 font through its descendant CIDFont: the Type0 dictionary
            # (with the encoding) is the one that tells the glyphs.
            from pdfminer.pdftypes import resolve1

            descendant = _name(resolve1(spec.get("Subtype"))) in ("CIDFontType0", "CIDFontType2")
            if id(font) not in specs and not descendant:
                decode, embedded = _decoder(spec)
                specs[id(font)] = (font, decode)
                if not embedded:
                    out.not_embedded.add(_name(spec.get("BaseFont", "?")))
            return font

    class Glyphs(PDFDevice):
        def render_string(self, textstate: Any, seq: Any, ncs: Any, graphicstate: Any) -> None:
            font = textstate.font
            decode = specs[id(font)][1]
            for obj in seq:
                if not isinstance(obj, bytes):
                    continue
                for code, gid in decode(obj):
                    try:
                        text = font.to_unichr(code)
                    except Exception:  # no ToUnicode entry: the glyph has no text
                        text = ""
                    (out.notdef if gid == 0 else out.text).append(text)

    rsrc = Fonts(caching=True)
    device = Glyphs(rsrc)
    interpreter = PDFPageInterpreter(rsrc, device)
    for page in PDFPage.get_pages(io.BytesIO(pdf)):
        interpreter.process_page(page)
    return out


def visible_text(html: str) -> str:
    """The text a page prints: the body without screen-reader-only captions."""
    import lxml.html

    doc = lxml.html.fromstring(html)
    for el in doc.xpath('//head | //style | //script | //*[contains(concat(" ", @class, " "), " sr ")]'):
        el.drop_tree()
    return doc.text_content()


def _counted(c: str) -> bool:
    """A character that prints a glyph of its own (not white space, a control, a format
    character or a combining mark drawn with its base)."""
    return unicodedata.category(c)[0] not in "CZM" or unicodedata.category(c) == "Co"


def _shown(chars: list[str]) -> str:
    uniq = list(dict.fromkeys(c for c in chars if c))
    s = "、".join(f"“{c}”U+{ord(c):04X}" for c in uniq[:8])
    return s + ("等" if len(uniq) > 8 else "") if uniq else "？"


def verify_pdf(pdf: bytes, html: str) -> None:
    """Refuse (XxgkError) a PDF whose text did not all come out, with a .notdef glyph, or with a
    font not embedded."""
    try:
        got = inspect(pdf)
    except Exception as e:  # the writer's own PDF unreadable: nothing to hand out
        raise XxgkError("pdf-self-check", f"PDF 自检无法读回生成的文件（{type(e).__name__}），拒绝输出",
                        f"PDF self-check could not read the file back ({type(e).__name__}); refused") from None
    if got.notdef:
        chars = "".join(got.notdef)
        raise XxgkError(
            "pdf-missing-glyphs",
            f"PDF 自检未通过：{len(got.notdef)} 个字没有可用字体，会印成方框（{_shown(list(chars))}），拒绝输出；"
            "请安装含这些字的字体，或改用 DOCX、HTML 输出",
            f"PDF self-check failed: {len(got.notdef)} character(s) have no font and would print as boxes; "
            "refused — install a font with them, or write DOCX or HTML")
    if got.not_embedded:
        names = ", ".join(sorted(got.not_embedded))
        raise XxgkError("pdf-self-check", f"PDF 自检未通过：字体未嵌入（{names}），拒绝输出",
                        f"PDF self-check failed: fonts not embedded ({names}); refused")
    want = Counter(c for c in visible_text(html) if _counted(c))
    have = Counter(c for t in got.text for c in t)
    missing = [c for c, n in want.items() if have[c] < n]
    if missing:
        raise XxgkError(
            "pdf-self-check",
            f"PDF 自检未通过：{len(missing)} 个字符未能作为文字写入 PDF（{_shown(missing)}），拒绝输出",
            f"PDF self-check failed: {len(missing)} character(s) did not come out as text; refused")
