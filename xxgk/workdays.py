"""China's working days: weekends, statutory holidays, 补假/调休 rest days and 调休 make-up working days.

The national calendar comes from ``chinesecalendar`` (the 国务院办公厅's yearly notices, 2004 to the
last year it ships). A local override table adds what it does not know: a year whose notice came out
after the package was released (declared as a whole, with its holidays and make-up days), or a local
closure. A day in a year neither knows is an error naming the year — never a Monday–Friday guess.

Counting follows 民法典 第二百零一条: the start day is day 0, the deadline is the end of the N-th
working day after it.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar

from xxgk.errors import XxgkError

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
WEEKDAYS = "一二三四五六日"
# The years a local override table may declare (the disclosure regime began in 2008).
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class DayKind:
    date: dt.date
    workday: bool
    reason: str  # 工作日 / 周六 / 国庆节 / 调休上班（国庆节）/ 本地调整：…

    def describe(self) -> str:
        return f"{self.date.isoformat()}（周{WEEKDAYS[self.date.weekday()]}）{self.reason}"


@dataclass(frozen=True)
class Overrides:
    """The local override table: whole years the package does not know, and single days.

    ``years`` maps a declared year to its source (e.g. the notice's document number); in a declared
    year, days not listed in ``days`` follow Monday–Friday. ``days`` maps a date to (workday, note).
    """

    years: Mapping[int, str] = field(default_factory=dict)
    days: Mapping[dt.date, tuple[bool, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Overrides:
        """Read an override file (TOML)::

            [years.2027]
            source = "国办发明电〔2026〕7号"
            holidays = ["2027-01-01", "2027-02-06", ...]
            workdays = ["2027-02-14"]

            [[days]]
            date = "2025-06-03"
            workday = false
            note = "本地防汛停止办公"
        """
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise XxgkError("calendar-file", f"找不到日历调整文件：{path}", f"calendar file not found: {path}") from e
        except OSError as e:
            raise XxgkError("calendar-file", f"无法读取日历调整文件：{path}（{e.strerror or type(e).__name__}）",
                            f"cannot read the calendar file: {path} ({e.strerror or type(e).__name__})") from e
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise XxgkError("calendar-file", f"日历调整文件格式错误：{path}：{e}",
                            f"calendar file is not valid TOML: {path}: {e}") from e
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: Mapping[str, object], where: str = "overrides") -> Overrides:
        """The table from parsed TOML; any value of the wrong kind (a year that is not a year, a
        list that is not a list) is refused on one line naming it."""
        years: dict[int, str] = {}
        days: dict[dt.date, tuple[bool, str]] = {}

        def bad(what: str, what_en: str, v: object) -> XxgkError:
            return XxgkError("calendar-file", f"{where}：{what}：{v!r}", f"{where}: {what_en}: {v!r}")

        def date_of(v: object) -> dt.date:
            if isinstance(v, dt.datetime):
                return v.date()
            if isinstance(v, dt.date):
                return v
            try:
                return dt.date.fromisoformat(str(v))
            except ValueError as e:
                raise XxgkError("calendar-file", f"{where}：日期格式错误：{v!r}（应为 YYYY-MM-DD）",
                                f"{where}: bad date {v!r} (expected YYYY-MM-DD)") from e

        def table(v: object, what: str, what_en: str) -> Mapping[str, object]:
            if not isinstance(v, Mapping):
                raise bad(f"{what}应为表（[…]）", f"{what_en} must be a table", v)
            return v

        def array(v: object, what: str, what_en: str) -> list[object]:
            if not isinstance(v, list):
                raise bad(f"{what}应为列表（[…]）", f"{what_en} must be a list", v)
            return v

        for y, spec in table(raw.get("years", {}), "years", "years").items():
            if not (y.isdigit() and MIN_YEAR <= int(y) <= MAX_YEAR):
                raise bad(f"年度应为 {MIN_YEAR}–{MAX_YEAR} 的四位数", f"a year must be {MIN_YEAR}-{MAX_YEAR}", y)
            year = int(y)
            spec = table(spec, f"years.{year}", f"years.{year}")
            years[year] = str(spec.get("source", ""))
            for key, workday in (("holidays", False), ("workdays", True)):
                for v in array(spec.get(key, []), f"years.{year}.{key}", f"years.{year}.{key}"):
                    d = date_of(v)
                    if d.year != year:
                        raise XxgkError("calendar-file", f"{where}：{d} 不在 {year} 年内",
                                        f"{where}: {d} is not in {year}")
                    days[d] = (workday, "节假日" if not workday else "调休上班")
        for item in array(raw.get("days", []), "days（[[days]]）", "days ([[days]])"):
            item = table(item, "[[days]] 的每一项", "each [[days]] entry")
            workday = item.get("workday", False)
            if not isinstance(workday, bool):
                raise bad("workday 应为 true 或 false", "workday must be true or false", workday)
            days[date_of(item.get("date"))] = (workday, str(item.get("note", "")))
        return cls(years=years, days=days)


class Calendar:
    """Working days in China, with a local override table."""

    def __init__(self, overrides: Overrides | None = None) -> None:
        self.overrides = overrides or Overrides()
        self._cache: dict[dt.date, DayKind] = {}

    def kind(self, d: dt.date) -> DayKind:
        k = self._cache.get(d)
        if k is None:
            k = self._cache[d] = self._kind(d)
        return k

    def _kind(self, d: dt.date) -> DayKind:
        if d in self.overrides.days:
            workday, note = self.overrides.days[d]
            label = "工作日" if workday else "休息日"
            return DayKind(d, workday, f"本地调整：{note or label}")
        weekend = d.weekday() >= 5
        if d.year in self.overrides.years:
            return DayKind(d, not weekend, "休息日" if weekend else "工作日")
        try:
            holiday, name = chinese_calendar.get_holiday_detail(d)
        except NotImplementedError as e:
            raise unknown_year(d.year) from e
        zh = HOLIDAY_NAMES.get(name or "", name or "")
        if holiday:
            if name and weekend:
                return DayKind(d, False, f"{zh}假期（周{WEEKDAYS[d.weekday()]}）")
            if name:
                return DayKind(d, False, f"{zh}假期" + ("（调休）" if chinese_calendar.is_in_lieu(d) else ""))
            return DayKind(d, False, "休息日")
        if weekend:
            return DayKind(d, True, f"调休上班（{zh}）" if zh else "调休上班")
        return DayKind(d, True, "工作日")

    def is_workday(self, d: dt.date) -> bool:
        return self.kind(d).workday

    def add(self, start: dt.date, n: int, paused: Iterable[tuple[dt.date, dt.date]] = ()) -> Count:
        """The n-th working day after ``start`` (day 0), not counting days inside ``paused``.

        ``paused`` holds inclusive (first, last) date ranges during which the clock stands still
        (a consultation outstanding, say). Returns the due date and every day looked at.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        spans = sorted(paused)
        days: list[CountedDay] = []
        d, counted = start, 0
        while counted < n:
            try:
                d += dt.timedelta(days=1)
            except OverflowError:
                raise XxgkError("bad-date", "日期超出可计算的范围", "a date is out of range") from None
            kind = self.kind(d)
            pause = next((s for s in spans if s[0] <= d <= s[1]), None)
            if kind.workday and pause is None:
                counted += 1
                days.append(CountedDay(kind, counted, None))
            else:
                days.append(CountedDay(kind, None, pause))
        return Count(start, n, d, tuple(days))

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self.kind(d).workday
        return n


def unknown_year(year: int) -> XxgkError:
    lo, hi = min(chinese_calendar.constants.holidays).year, max(chinese_calendar.constants.holidays).year
    return XxgkError(
        "calendar-unknown-year",
        f"工作日历不包含 {year} 年（内置 {lo}–{hi} 年）：请在本地日历调整表中加入 {year} 年国务院办公厅放假通知，"
        "不会按周一至周五推算",
        f"the working-day calendar does not know {year} (built in: {lo}–{hi}); add that year's holiday "
        "notice to the local override table — xxgk never guesses Monday–Friday",
    )


@dataclass(frozen=True)
class CountedDay:
    kind: DayKind
    ordinal: int | None  # the working day's number, None when skipped
    paused_by: tuple[dt.date, dt.date] | None = None

    def describe(self) -> str:
        if self.ordinal is not None:
            return f"{self.kind.describe()}：第{self.ordinal}个工作日"
        if self.paused_by is not None and self.kind.workday:
            return f"{self.kind.describe()}：暂停计算（{self.paused_by[0]}至{self.paused_by[1]}）"
        return f"{self.kind.describe()}：不计"


@dataclass(frozen=True)
class Count:
    start: dt.date
    n: int
    due: dt.date
    days: tuple[CountedDay, ...]

    @property
    def skipped(self) -> list[CountedDay]:
        return [d for d in self.days if d.ordinal is None]
