"""Decoding plain text: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030 (a superset of
GBK and GB2312, so pages labelled gb2312 that use GBK characters still decode), and, failing
those, whatever charset-normalizer finds with confidence."""

from __future__ import annotations

import codecs
import re

from xxgk.errors import XxgkError

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]

# Text of a real report is CJK prose; a decoded binary is full of control characters.
_CONTROL_OK = {"\t", "\n", "\r", "\f", "\v"}


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:20000]
    bad = len(_CONTROL.findall(sample))
    return bad > max(5, len(sample) // 200)


# A text whose bytes mostly decode: how many damaged places (each becomes U+FFFD) it may have.
MAX_DAMAGED = 16
DAMAGED_PER_CHARS = 1000  # and one more per this many characters
REPLACEMENT = "\ufffd"


def _lenient(data: bytes) -> tuple[str, str] | None:
    """UTF-8, then GB18030, decoded with the bytes that do not decode replaced by U+FFFD, when
    they are few (one damaged byte, a file cut mid-character): the rest is read, and the reader
    flags the damaged places (``xxgk.extract``: a ``text-damaged`` diagnostic)."""
    best: tuple[int, str, str] | None = None
    for enc in ("utf-8", "gb18030"):
        text = data.decode(enc, errors="replace")
        bad = text.count(REPLACEMENT)
        if bad <= MAX_DAMAGED + len(text) // DAMAGED_PER_CHARS and (best is None or bad < best[0]):
            best = (bad, text, enc)
    if best is None or _looks_binary(best[1]):
        return None
    return best[1], best[2]


def decode_text(data: bytes, name: str = "<bytes>", *, lenient: bool = False) -> tuple[str, str]:
    """Return (text, encoding) or raise XxgkError with a one-line reason.

    ``lenient``: a text with a few bytes that decode in no encoding (a damaged byte, a file cut
    mid-character) is decoded with those bytes replaced by U+FFFD rather than refused whole."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                break
            return text.lstrip("\ufeff"), enc
    if b"\x00" in data[:4096]:
        raise XxgkError("binary", f"不是文本文件（含二进制内容）：{name}", f"not a text file (binary content): {name}")
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            raise XxgkError("binary", f"不是文本文件（含二进制内容）：{name}", f"not a text file (binary content): {name}")
        return text, enc
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200000]).best()
    if best is not None and best.encoding and best.chaos < 0.2:
        try:
            text = data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            text = ""
        if text and not _looks_binary(text):
            return text, best.encoding
    if lenient and (found := _lenient(data)) is not None:
        return found
    raise XxgkError(
        "unknown-encoding",
        f"无法识别文件编码（不是 UTF-8、GB18030/GBK 或 UTF-16）：{name}",
        f"unknown text encoding (not UTF-8, GB18030/GBK or UTF-16): {name}",
    )
