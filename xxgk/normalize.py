"""Text normalisation that never moves a character.

Every transformation here is length-preserving, so an offset in the normalised text is the same
offset in the decoded source: provenance (line, column, raw text) stays exact.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

# Full-width ASCII (！ to ～) -> ASCII; the many Unicode spaces -> a plain space.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_WIDTH.update({c: 0x20 for c in (0x3000, 0x00A0, 0x2002, 0x2003, 0x2009, 0x200B, 0xFEFF, 0x202F)})
_WIDTH.update({0x2212: ord("-"), 0x0D: 0x20, 0x0B: 0x20, 0x0C: 0x20})

# Web-page and word-processor residue, blanked to spaces of the same length.
_RESIDUE = re.compile(
    r"\[bookmark:[^\]\n]*\]|\*\*|__|\[(?:image|img|图片)[^\]\n]*\]"
    # page numbers on a line of their own (text copied from a PDF viewer): "- 3 -", "— 3 —",
    # "第 3 页", "第3页 共7页", "3/7"
    r"|(?m:^[ \t]*[-—–－][ \t]*\d{1,4}[ \t]*[-—–－][ \t]*$)"
    r"|(?m:^[ \t]*第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*[,，]?[ \t]*共[ \t]*\d{1,4}[ \t]*页)?[ \t]*$)"
    r"|(?m:^[ \t]*\d{1,3}[ \t]*/[ \t]*\d{1,3}[ \t]*$)",
    re.I,
)


@cache
def _opencc():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified, character for character (lines that would change length are
    left as they are, which only happens for a few multi-character phrases)."""
    conv = _opencc().convert(text)
    if len(conv) == len(text):
        return conv
    lines = text.split("\n")
    out = []
    for line in lines:
        c = _opencc().convert(line)
        out.append(c if len(c) == len(line) else line)
    return "\n".join(out)


# A bare page number on the line before or after a page break (form feed: pdftotext's output).
_PAGE_BREAK_NUMBER = re.compile(r"(?m:^[ \t]*\d{1,4}[ \t]*(?=\n?\f))|(?<=\f)[ \t]*\d{1,4}[ \t]*(?=\n)")


def normalize(text: str) -> str:
    """Normalise decoded text for reading, keeping every offset."""
    numbers = [m.span() for m in _PAGE_BREAK_NUMBER.finditer(text)] if "\f" in text else []
    text = text.translate(_WIDTH)
    text = _RESIDUE.sub(lambda m: " " * len(m.group()), text)
    for a, b in numbers:
        text = text[:a] + " " * (b - a) + text[b:]
    return to_simplified(text)


_DROP = r"\s“”\"'‘’「」『』*"
_KEEP_RUN = re.compile(f"[^{_DROP}]+")
_DROP_RE = re.compile(f"[{_DROP}]+")


def compact(label: str) -> str:
    """A label's matching form: normalised, without white space or quotes."""
    return _DROP_RE.sub("", normalize(label))


class Compact:
    """The text without white space and quotes, with a map back to source offsets.

    Labels in real reports are broken by spaces, tabs and line breaks anywhere ("三、本 年度办
    理结果", "（三）不\\n予公开"); matching them in the compact text makes that irrelevant.
    """

    __slots__ = ("text", "source_text", "_starts", "_origins")

    def __init__(self, text: str) -> None:
        self.source_text = text
        parts: list[str] = []
        self._starts: list[int] = []
        self._origins: list[int] = []
        pos = 0
        for m in _KEEP_RUN.finditer(text):
            self._starts.append(pos)
            self._origins.append(m.start())
            parts.append(m.group())
            pos += m.end() - m.start()
        self.text = "".join(parts)

    def source(self, i: int) -> int:
        """Source offset of compact index ``i`` (``i == len`` maps past the last character)."""
        if not self._starts:
            return 0
        k = bisect_right(self._starts, i) - 1
        if k < 0:
            return self._origins[0]
        return self._origins[k] + (i - self._starts[k])

    def source_end(self, i: int) -> int:
        """Source offset just after compact index ``i - 1`` (the end of a match)."""
        if i <= 0:
            return self.source(0)
        return self.source(i - 1) + 1

    def compact_index(self, src: int) -> int:
        """The first compact index at or after source offset ``src``."""
        k = bisect_right(self._origins, src) - 1
        if k < 0:
            return 0
        start, origin = self._starts[k], self._origins[k]
        run_len = (self._starts[k + 1] if k + 1 < len(self._starts) else len(self.text)) - start
        if src - origin < run_len:
            return start + (src - origin)
        return start + run_len
