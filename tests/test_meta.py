"""What the prose says: signatures dated in Chinese numerals, titles with 关于, 行政公署."""

from __future__ import annotations

import datetime as dt

import pytest

from xxgk.agency import kind_of_name
from xxgk.extract.meta import Found, find_signature, find_title, to_date


@pytest.mark.parametrize(("text", "date"), [
    ("二〇二三年三月十三日", dt.date(2023, 3, 13)),
    ("二零二四年一月二十日", dt.date(2024, 1, 20)),
    ("二〇二二年十二月三十一日", dt.date(2022, 12, 31)),
    ("二〇二二年十月十日", dt.date(2022, 10, 10)),
    ("二〇二二年二月三十日", None),  # no such day
    ("二〇二二年十三月一日", None),
    ("2023年3月1日", dt.date(2023, 3, 1)),
])
def test_dates_in_chinese_numerals(text: str, date: dt.date | None) -> None:
    assert to_date(Found(text, 0, len(text))) == date


@pytest.mark.parametrize("text", [
    "……特此报告。\n\n某省教育厅\n二〇二三年一月十三日\n",
    "……特此报告。 某省教育厅 二〇二三年一月十三日",  # a page's text on one line
])
def test_signature_of_a_province_department_dated_in_chinese(text: str) -> None:
    org, date = find_signature(text)
    assert org is not None and org.value == "某省教育厅"
    assert date is not None and to_date(date) == dt.date(2023, 1, 13)


def test_title_with_guanyu_names_the_agency_without_it() -> None:
    _, year, agency = find_title("某市教育局关于2024年政府信息公开工作年度报告\n正文", 100)
    assert (year, agency) == (2024, "某市教育局")


def test_xingzheng_gongshu_is_a_government() -> None:
    assert kind_of_name("大兴安岭地区行政公署") == "government"
