"""What the prose says: title, agency, report year, publication date, statistics period and the
headline figures (主动公开政务信息2926条 …), each with where it was read."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from xxgk.template import _raw


def _wrappable(word: str) -> str:
    """A phrase that may be broken by one line break anywhere (titles wrap in PDFs)."""
    return r"\s?".join(re.escape(ch) for ch in word)


_TITLE = re.compile(
    r"(?P<agency>[^\s\d。，,:;；>|]{0,40}?)[ \t]*(?P<year>20\d{2})\s*年\s*(?:度)?\s*(?:本机关|本单位|的)?"
    r"(?:" + "|".join(_wrappable(w) for w in ("政府信息公开", "政务公开", "信息公开")) + r")\s*"
    r"(?:" + _wrappable("工作") + r")?\s*(?:" + _wrappable("年度") + r")?\s*" + _wrappable("报告")
)
_TITLE_YEAR_FIRST = re.compile(
    r"(?P<year>20\d{2})\s*年\s*(?:度)?\s*(?P<agency>[^\s\d。，,:;；>|（(]{2,40}?)\s*"
    r"(?:" + "|".join(_wrappable(w) for w in ("政府信息公开", "政务公开", "信息公开")) + r")\s*"
    r"(?:" + _wrappable("工作") + r")?\s*(?:" + _wrappable("年度") + r")?\s*" + _wrappable("报告")
)
_GENERIC_AGENCY = re.compile(
    r"^(?:本|我)?(?:[区县市州旗镇乡]|街道)?(?:人民)?政府(?:办公室|办公厅|办)?$|^(?:本|我)(?:单位|机关|局|办|委)$"
)
_NOT_TITLE_LINE = re.compile(r"[\d。，,:;；：>|]|\s")
_NOT_AGENCY = re.compile(r"(?:报告|公开|首页|专栏|位置|栏目|目录)$")
_ORG_SUFFIX = re.compile(
    r"(?:人民政府|办公室|办公厅|局|委员会|委|街道办事处|办事处|中心|厅|院|署|政府|镇|乡|街道|公司)$"
)
_CN_DIGIT = "〇零○Ｏ一二三四五六七八九"
_CN_SMALL = "一二三四五六七八九十"
_CN_DATE_TEXT = rf"[{_CN_DIGIT}]{{4}}\s*年\s*[{_CN_SMALL}]{{1,3}}\s*月\s*[{_CN_SMALL}]{{1,3}}\s*日"
_FLAT_SIGNATURE = re.compile(
    r"(?<![^\s。])(?P<org>[^\s，。,;；:：]{2,30}?(?:人民政府|办公室|办公厅|局|委员会|街道办事处|办事处|中心|厅|"
    r"行政公署))\s*"
    r"(?P<date>20\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|" + _CN_DATE_TEXT + r")\s*$"
)
# 二〇二三年三月十三日: signatures are often dated in Chinese numerals
_CN_DATE = re.compile(
    rf"(?P<y>[{_CN_DIGIT}]{{4}})\s*年\s*(?P<m>[{_CN_SMALL}]{{1,3}})\s*月\s*(?P<d>[{_CN_SMALL}]{{1,3}})\s*日"
)
_LINE = re.compile(r"[^\n]+")
_DATE = re.compile(
    r"(?P<y>20\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?"
)
_PERIOD = re.compile(
    r"统计(?:期限|时限|期间|区间|时间|周期)?(?:为|是|:)?\s*(?:自|从)?\s*"
    r"(?P<y1>20\d{2})\s*年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日\s*(?:起)?\s*(?:至|到|-|—|~)\s*"
    r"(?:(?P<y2>20\d{2})\s*年\s*)?(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日"
)
_MISSING_NUMBER = re.compile(r"(?:(?<![公一])共|共计|合计|累计|总计)\s*(?=[条件篇项期份次])")


@dataclass(frozen=True)
class Found:
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class HeadlineSpec:
    key: str
    label: str
    unit: str
    patterns: tuple[re.Pattern[str], ...]
    cells: tuple[str, ...]


@cache
def headline_specs() -> tuple[HeadlineSpec, ...]:
    return tuple(
        HeadlineSpec(
            h["key"], h["label"], h.get("unit", ""),
            tuple(re.compile(p) for p in h["patterns"]), tuple(h.get("cells", [])),
        )
        for h in _raw().get("headlines", [])
    )


def find_title(text: str, limit: int) -> tuple[Found | None, int | None, str | None]:
    """(title, report year, agency as printed in the title) from the text before ``limit``."""
    stop = max(limit, 0) or len(text)
    m = _TITLE.search(text, 0, stop)
    y = _TITLE_YEAR_FIRST.search(text, 0, stop)
    if y is not None and (m is None or y.start() < m.start() or not m.group("agency").strip()) \
            and _ORG_SUFFIX.search(y.group("agency")) and not _NOT_AGENCY.search(y.group("agency")) \
            and not _GENERIC_AGENCY.match(y.group("agency").strip()):
        # "2019年上海市人民政府办公厅政府信息公开工作年度报告": the year before the agency
        agency = y.group("agency").strip()
        return Found(y.group(0).strip(), y.start(), y.end()), int(y.group("year")), agency
    if not m:
        m = _TITLE.search(text)
    if not m:
        return None, None, None
    agency = m.group("agency").strip(" \t\r\n*#:：")
    if agency.endswith("关于"):  # "某局关于2024年政府信息公开工作年度报告"
        agency = agency[:-2].rstrip()
    title = Found(m.group(0).strip(), m.start(), m.end())
    if not agency:
        # a long title wrapped after the agency's name (PDFs, narrow pages): the line just above
        prev_end = text.rfind("\n", 0, m.start())
        prev_start = text.rfind("\n", 0, prev_end) + 1 if prev_end > 0 else -1
        prev = text[prev_start:prev_end].strip() if prev_end > 0 else ""
        if 2 <= len(prev) <= 40 and _ORG_SUFFIX.search(prev) and not _NOT_TITLE_LINE.search(prev):
            agency = prev
            title = Found(prev + title.value, text.index(prev, prev_start), m.end())
    return title, int(m.group("year")), agency or None


def title_lines(text: str, start: int) -> list[Found]:
    """Lines from ``start`` on that hold a report's title and nothing else (another report's
    title in a file holding several, or a page header repeating the title)."""
    out = []
    for m in _TITLE.finditer(text, start):
        a = text.rfind("\n", 0, m.start()) + 1
        b = text.find("\n", m.end())
        b = len(text) if b < 0 else b
        if text[a:b].strip(" \t\r*#") == m.group(0).strip(" \t\r*#"):
            out.append(Found(m.group(0).strip(), m.start(), m.end()))
    return out


def clean_agency(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip()
    if len(name) < 2 or _GENERIC_AGENCY.match(name) or _NOT_AGENCY.search(name):
        return None
    return name


def find_signature(text: str) -> tuple[Found | None, Found | None]:
    """(agency, date) from the signature lines at the end of the report."""
    base = max(0, len(text) - 3000)
    lines = [(m.start(), m.group()) for m in _LINE.finditer(text, base)]
    tail = [(s, ln) for s, ln in lines if ln.strip()][-8:]
    agency: Found | None = None
    date: Found | None = None
    m = _FLAT_SIGNATURE.search(text[-200:])
    if m and len(tail) <= 2:
        # a report flattened onto one line: "… 安泽县人民政府 2022年2月15日"
        base = len(text) - len(text[-200:])
        return (Found(m.group("org"), base + m.start("org"), base + m.end("org")),
                Found(m.group("date"), base + m.start("date"), base + m.end("date")))
    for s, ln in tail:
        stripped = ln.strip()
        lead = len(ln) - len(ln.lstrip())
        dm = _DATE.fullmatch(stripped) or _CN_DATE.fullmatch(stripped)
        if dm:
            date = Found(stripped, s + lead, s + lead + len(stripped))
            continue
        if len(stripped) <= 30 and _ORG_SUFFIX.search(stripped) and not re.search(r"[，。,;；:：]", stripped):
            agency = Found(stripped, s + lead, s + lead + len(stripped))
    return agency, date


def find_published_date(text: str, head_end: int, report_year: int | None) -> Found | None:
    """A publication date in the page header (before the first part) or signature."""
    period = _PERIOD.search(text, 0, max(head_end, 0))
    for m in _DATE.finditer(text, 0, max(head_end, 0)):
        if period is not None and period.start() <= m.start() < period.end():
            continue  # the statistics period, not a publication date
        y = int(m.group("y"))
        if report_year is not None and not (report_year < y <= report_year + 2):
            continue
        if _valid_date(m):
            return Found(m.group(0), m.start(), m.end())
    return None


def _valid_date(m: re.Match[str]) -> bool:
    try:
        dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return False
    return True


def _cn_number(s: str) -> int | None:
    """一 … 九, 十, 十一 … 十九, 二十 … 三十一 (days and months in Chinese numerals)."""
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    if "十" not in s:
        return digits.get(s) if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    if len(tens) > 1 or len(ones) > 1 or (tens and tens not in digits) or (ones and ones not in digits):
        return None
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def _cn_date(m: re.Match[str]) -> dt.date | None:
    digit = {**dict.fromkeys("〇零○Ｏ", "0"), **{c: str(i) for i, c in enumerate("一二三四五六七八九", 1)}}
    year = "".join(digit[c] for c in m.group("y"))
    month, day = _cn_number(m.group("m")), _cn_number(m.group("d"))
    if month is None or day is None:
        return None
    try:
        return dt.date(int(year), month, day)
    except ValueError:
        return None


def to_date(f: Found) -> dt.date | None:
    m = _DATE.search(f.value)
    if not m:
        cm = _CN_DATE.search(f.value)
        return _cn_date(cm) if cm else None
    if not _valid_date(m):
        return None
    return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))


def find_period(text: str) -> tuple[dt.date, dt.date, Found] | None:
    m = _PERIOD.search(text)
    if not m:
        return None
    try:
        a = dt.date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
        b = dt.date(int(m.group("y2") or m.group("y1")), int(m.group("m2")), int(m.group("d2")))
    except ValueError:
        return None
    return a, b, Found(m.group(0), m.start(), m.end())


_SENTENCE_END = re.compile(r"[。；;！？!?\n]")


def sentence_around(text: str, start: int, end: int, lo: int = 0, hi: int | None = None) -> Found:
    """The sentence holding ``text[start:end]`` (between sentence marks or line breaks)."""
    hi = len(text) if hi is None else hi
    a = start
    while a > lo and not _SENTENCE_END.match(text, a - 1):
        a -= 1
    m = _SENTENCE_END.search(text, end, hi)
    b = m.end() if m and text[m.start()] != "\n" else (m.start() if m else hi)
    while a < b and text[a].isspace():
        a += 1
    return Found(text[a:b], a, b)


def find_headlines(
    text: str, start: int = 0, stop: int | None = None,
) -> list[tuple[HeadlineSpec, Found, str, Found]]:
    """Headline figures in ``text[start:stop]``: (spec, where, number text ('' if left out), the
    sentence it was read in)."""
    stop = len(text) if stop is None else stop
    out = []
    for spec in headline_specs():
        for pat in spec.patterns:
            m = pat.search(text, start, stop)
            if m:
                out.append((spec, Found(m.group(0), m.start(), m.end()), m.group("n"),
                            sentence_around(text, m.start(), m.end(), start, stop)))
                break
    return out


def find_missing_numbers(text: str, start: int = 0, stop: int | None = None) -> list[Found]:
    """Places where the prose gives a quantity word with its number left out ("公开信息共条")."""
    stop = len(text) if stop is None else stop
    out = []
    for m in _MISSING_NUMBER.finditer(text, start, stop):
        a = max(start, m.start() - 12)
        b = min(stop, m.end() + 1)
        out.append(Found(text[a:b].replace("\n", " "), m.start(), m.end() + 1))
    return out
