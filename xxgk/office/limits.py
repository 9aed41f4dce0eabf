"""What the office accepts, checked at the service boundary so SQLite and PostgreSQL take the same data.

SQLite does not enforce ``VARCHAR(n)`` or ``NUMERIC(18,2)``, stores ``Infinity`` and ``NaN``, and
keeps a NUL character that PostgreSQL refuses; either database takes a date in year 1. So every
string, number and date is checked here, before it reaches either, with one clear message (Chinese
first) naming the field. Pure functions.

- Text: a ``str``, no NUL, no unpaired surrogate (neither database can store one), no control
  character in a one-line field, and no longer than its column (lengths read from the models).
- Numbers: finite, not negative where that means nothing, at most as many decimals as the column
  keeps, and at most 15 significant digits: SQLite keeps a NUMERIC value with a fraction as an
  8-byte float, exact to 15 digits, so a larger amount would read back changed there and not on
  PostgreSQL (``NUMERIC(18,2)`` therefore takes amounts below 10^13 元). Counts are whole numbers
  in a declared range.
- Dates: not before the regime (the 条例 took effect on 2008-05-01, 国务院令第492号; its 2019 revision
  on 2019-05-15) and not after today. Registers of rules and normative documents go back further:
  a 规章 of 1995 may still be in force.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column

from xxgk.errors import XxgkError

REGIME_START = dt.date(2008, 5, 1)  # 《政府信息公开条例》（国务院令第492号）施行
EARLIEST_DOCUMENT = dt.date(1949, 10, 1)  # the oldest rule or normative document a register may hold
MAX_TEXT = 100_000  # a TEXT column (description, reasons, a part's narrative): a generous cap, the same on both
MAX_PAGES = 1_000_000  # a per-page fee for more pages is not a typing error we should price
MAX_INT = 2**31 - 1  # PostgreSQL INTEGER
EXACT_DIGITS = 15  # significant digits a float (SQLite's NUMERIC) keeps exactly


def bad(what_zh: str, what_en: str, why_zh: str, why_en: str, code: str = "bad-input") -> XxgkError:
    return XxgkError(code, f"{what_zh}{why_zh}", f"{what_en}: {why_en}")


def column_length(col: Column[Any]) -> int | None:
    return getattr(col.type, "length", None)


def text(value: Any, what_zh: str, what_en: str, *, limit: int | None = MAX_TEXT, line: bool = True,
         required: bool = False) -> str | None:
    """A string the column can hold: None stays None (unless ``required``); surrounding spaces go."""
    if value is None:
        if required:
            raise bad(what_zh, what_en, "不能为空", "is required")
        return None
    if not isinstance(value, str):
        raise bad(what_zh, what_en, f"应为文字，收到 {type(value).__name__}", f"must be text, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise bad(what_zh, what_en, "不能为空", "is required")
    if "\x00" in value:
        raise bad(what_zh, what_en, "含有空字符（\\0），数据库不能保存", "holds a NUL character, which no database keeps")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(what_zh, what_en, "含有无效字符（不成对的代理项）", "holds an invalid character (a lone surrogate)") from None
    if line and any(unicodedata.category(ch) == "Cc" for ch in value):
        raise bad(what_zh, what_en, "含有换行或控制字符（应为一行文字）", "holds a line break or control character")
    if limit is not None and len(value) > limit:
        raise bad(what_zh, what_en, f"过长：{len(value)} 个字符，最多 {limit} 个",
                  f"is too long: {len(value)} characters, at most {limit}")
    return value


def date(value: dt.date, what_zh: str, what_en: str, *, today: dt.date | None,
         earliest: dt.date = REGIME_START) -> dt.date:
    """A date within the regime and, if ``today`` is given, not after it."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise bad(what_zh, what_en, f"应为日期，收到 {value!r}", f"must be a date, not {value!r}", "bad-date")
    if value < earliest:
        why = ("《政府信息公开条例》2008年5月1日起施行" if earliest == REGIME_START else f"最早为 {earliest}")
        raise bad(what_zh, what_en, f" {value} 过早（{why}）", f"{value} is too early (not before {earliest})",
                  "bad-date")
    if today is not None and value > today:
        raise bad(what_zh, what_en, f" {value} 晚于今天（{today}）", f"{value} is after today ({today})", "bad-date")
    return value


def amount(value: Any, what_zh: str, what_en: str, *, digits: int = 18, scale: int = 2,
           negative: bool = False) -> Decimal:
    """A finite decimal for a ``NUMERIC(digits, scale)`` column: refuses Infinity, NaN, sNaN, more
    decimals than ``scale``, more integer digits than either ``digits - scale`` or what SQLite
    keeps exactly (``EXACT_DIGITS - scale``), and (unless allowed) a negative amount."""
    if isinstance(value, bool):
        raise bad(what_zh, what_en, f"应为数字，收到 {value!r}", f"must be a number, not {value!r}", "bad-amount")
    if isinstance(value, float) and not math.isfinite(value):
        raise bad(what_zh, what_en, f"不是有限的数：{value}", f"is not a finite number: {value}", "bad-amount")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise bad(what_zh, what_en, f"不是数字：{value!r}", f"is not a number: {value!r}", "bad-amount") from None
    if not d.is_finite():
        raise bad(what_zh, what_en, f"不是有限的数：{value}", f"is not a finite number: {value}", "bad-amount")
    if d < 0 and not negative:
        raise bad(what_zh, what_en, f"不能为负数：{d}", f"cannot be negative: {d}", "bad-amount")
    exponent = d.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale:
        raise bad(what_zh, what_en, f"最多 {scale} 位小数：{value}", f"has more than {scale} decimals: {value}",
                  "bad-amount")
    whole = min(digits, EXACT_DIGITS) - scale
    if abs(d) >= Decimal(10) ** whole:
        raise bad(what_zh, what_en, f"超出范围：{value}（应小于 10^{whole}）",
                  f"is out of range: {value} (must be below 10^{whole})", "bad-amount")
    return d


def count(value: Any, what_zh: str, what_en: str, *, lo: int = 1, hi: int = MAX_INT) -> int:
    """A whole number in [lo, hi] (bool, float and text refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(what_zh, what_en, f"应为整数，收到 {value!r}", f"must be a whole number, not {value!r}")
    if not lo <= value <= hi:
        raise bad(what_zh, what_en, f"应在 {lo} 至 {hi} 之间，收到 {value}", f"must be {lo} to {hi}, not {value}")
    return value
