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


def decode_text(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Return (text, encoding) or raise XxgkError with a one-line reason."""
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
    raise XxgkError(
        "unknown-encoding",
        f"无法识别文件编码（不是 UTF-8、GB18030/GBK 或 UTF-16）：{name}",
        f"unknown text encoding (not UTF-8, GB18030/GBK or UTF-16): {name}",
    )
