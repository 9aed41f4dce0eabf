"""Cutting a row's value region into slots: numbers and explicit blank cells, with positions.

A printed row arrives in many shapes: tab-separated cells ("⇥⇥0⇥0⇥…"), one cell per line with
the first cells on the label's line ("⍽99⍽1¶¶¶¶¶100"), tab-indented lines ("¶⇥1¶⇥0…"), space
separated, or digits run together ("221148"). A *slot* is one printed cell: a number token (which
may hold several cells' digits run together) or an empty cell. How many cell boundaries a run of
white space makes: the number of tabs if it has any, else the number of line breaks, else one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>[-+]?\d+(?:\.\d+)?)"
    r"|(?P<dash>[—–/\\-]+)"
    r"|(?P<unit>万元|元|件|条|个|项|次|篇|份)"
    r"|(?P<other>[^\s\d—–/\\-]+)"
)
_LEADING_ZERO = re.compile(r"0\d")
# Text that, glued after a number, makes it part of prose or a heading rather than a cell; any
# other text glued after a number is the next label or heading run into the row
# ("行政强制42第二十条第（八）项", "…0000000三、本年度办理结果").
_WORD_END = re.compile(r"[\u4e00-\u9fffA-Za-z]$")
_NOT_A_CELL = re.compile(r"[年月日号时分秒%‰位倍期批届次人户家名万亿余多]|[.、]\D|热线|小时")


@dataclass(slots=True)
class Slot:
    kind: str  # "num" | "blank"
    text: str
    start: int  # offset in the document text
    end: int
    hard: bool = True  # starts a new cell (after a tab or line break), not glued to a neighbour

    @property
    def is_num(self) -> bool:
        return self.kind == "num"


def slots(text: str, start: int, end: int) -> list[Slot]:
    """Slots of ``text[start:end]``.

    Anything that is not a number, a dash or white space (label residue, a unit, a group label
    such as "（四）无法提供") is dropped; a number glued to such text on both sides, or glued before
    it (保留4位小数, 2022年), is residue too.
    """
    toks: list[tuple[str, str, int, int]] = [
        (m.lastgroup or "other", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)
    ]
    if not any(k == "other" or k == "unit" for k, _, _, _ in toks):
        return _build(toks)
    # Drop residue numbers.
    keep = [True] * len(toks)
    for i, (kind, _s, _a, _b) in enumerate(toks):
        if kind in ("num", "dash"):
            prev_k = toks[i - 1][0] if i > 0 else "ws"
            next_k = toks[i + 1][0] if i + 1 < len(toks) else "ws"
            if kind == "dash" and (prev_k == "other" or next_k == "other"):
                keep[i] = False  # "本年增/减", "—年—": part of a word, not an empty cell
            elif kind == "num" and (
                # glued after a word: 保留4位小数, 第3页, a header's 数据1 (not after a closing quote)
                (prev_k == "other" and next_k != "unit" and _WORD_END.search(toks[i - 1][1]))
                or (next_k == "other" and _NOT_A_CELL.match(toks[i + 1][1]))  # 2022年, 12345热线
            ):
                keep[i] = False
        elif kind in ("other", "unit"):
            keep[i] = False
    last_value = max((i for i, t in enumerate(toks) if keep[i] and t[0] != "ws"), default=-1)
    cleaned: list[tuple[str, str, int, int]] = []
    for i, tok in enumerate(toks):
        if tok[0] == "other" and i > last_value >= 0:
            break  # text after the row's last value (the next group's label): the row has ended
        if keep[i]:
            cleaned.append(tok)
    return _build(cleaned)


def _build(cleaned: list[tuple[str, str, int, int]]) -> list[Slot]:
    """Cells from tokens. A run of tabs makes as many cell boundaries as it has tabs; a run of
    line breaks (one cell per line) as many as it has breaks, and there the label's own line is
    a cell too (its remainder holds the first cells, or nothing)."""
    out: list[Slot] = []
    hard = False  # the first value on the label's own line is glued to the label
    last_value = max((i for i, t in enumerate(cleaned) if t[0] != "ws"), default=-1)
    # a row whose cells are separated by tabs on one line: a line break before its first value
    # (values printed on the line below a header) is not a cell
    tab_row = any(k == "ws" and "\t" in s and "\n" not in s for k, s, _, _ in cleaned[1:last_value])
    for i, (kind, s, a, b) in enumerate(cleaned):
        if kind == "ws":
            tabs = s.count("\t")
            n = tabs or s.count("\n")
            if n == 0:
                hard = False
                continue  # spaces only separate tokens
            hard = True
            if i > last_value and i > 0 and "\n" in s:
                # after the row's last value, a line break ends the row: what follows it (the
                # next row's indent) is not a cell of this row; tabs before the break are empty
                # cells, and in a one-cell-per-line layout the empty lines between may be too
                empty = s[: s.index("\n")].count("\t")
                if not tab_row and empty == 0:
                    lines = s.split("\n")[1:-1]  # whole lines between the value's and the next
                    if any("\t" in ln for ln in lines):
                        # tab-indented cells, one per line: a line holding only a tab is an empty
                        # cell, up to the empty line that separates this row from the next
                        for ln in lines:
                            if "\t" not in ln:
                                break
                            out.append(Slot("blank", "", a, a))
                    else:
                        # empty lines may be empty cells or the separation from the next row
                        out.extend(Slot("blank", "", a, a, hard=False) for _ in lines)
                    continue
            elif tabs and i == 0 and "\n" in s and tab_row:
                # values on a line of their own, tab-separated: each leading tab closes an empty cell
                empty = s[s.rindex("\n") + 1:].count("\t")
            elif tabs:
                empty = n - 1 if i < last_value else n  # boundaries between cells, or before the row's end
            elif i == 0 and tab_row:
                empty = 0
            else:
                empty = n if i == 0 else n - 1  # the label's line is a cell of its own
            out.extend(Slot("blank", "", a, a) for _ in range(empty))
        elif kind == "dash":
            out.append(Slot("blank", s, a, b))
            hard = False
        else:
            out.append(Slot("num", s, a, b, hard))
            hard = False
    return out


def valid_number(s: str, signed: bool, decimal: bool) -> bool:
    body = s
    if body[:1] in "+-":
        if not signed:
            return False
        body = body[1:]
    if "." in body:
        if not decimal:
            return False
        whole = body.split(".")[0]
        return not _LEADING_ZERO.match(whole)
    return not _LEADING_ZERO.match(body)


def to_number(s: str) -> int | float:
    if "." in s:
        f = float(s)
        return int(f) if f.is_integer() and s.endswith(".0") else f
    return int(s)


def splits(digits: str, k: int) -> list[list[str]]:
    """All ways to cut a run of digits into k numbers without leading zeros."""
    n = len(digits)
    if k == 1:
        return [[digits]] if not _LEADING_ZERO.match(digits) else []
    if k > n:
        return []
    out: list[list[str]] = []
    first_max = n - (k - 1)
    for i in range(1, first_max + 1):
        head = digits[:i]
        if _LEADING_ZERO.match(head):
            break
        for rest in splits(digits[i:], k - 1):
            out.append([head, *rest])
    return out
