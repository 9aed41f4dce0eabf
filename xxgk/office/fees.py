"""信息处理费 (information-processing fee) under 国办函〔2020〕109号: pure arithmetic, no I/O.

The fee is charged either per request (按件, 第四条) or per page (按量, 第五条), both "超额累进"
(第三条): every request or page is charged at the rate of the band it falls in. For each request the
agency picks one of the two methods, never both; this module quotes the method it is told to and does
not choose for the agency. Amounts are whole 元.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from xxgk.errors import XxgkError

Method = Literal["per_request", "per_page"]

# A band: (first, last or None for open-ended, 元 per request or per page), 1-based and inclusive.
Band = tuple[int, int | None, int]

PER_REQUEST_FREE = 10
# 第四条: per applicant per calendar month. The open band from 31 on is cut into steps of
# PER_REQUEST_STEP requests, each step PER_REQUEST_STEP_YUAN 元 dearer per request (31–40: 200, 41–50: 300, …).
PER_REQUEST_BANDS: tuple[Band, ...] = (
    (1, PER_REQUEST_FREE, 0),
    (PER_REQUEST_FREE + 1, 30, 100),
    (31, None, 200),
)
PER_REQUEST_STEP = 10
PER_REQUEST_STEP_YUAN = 100

# 第五条: pages of one request, each page at its own band's rate.
PER_PAGE_BANDS: tuple[Band, ...] = (
    (1, 30, 0),
    (31, 100, 10),
    (101, 200, 20),
    (201, None, 40),
)

PAYMENT_WORKING_DAYS = 20

_MEASURES = "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"
_BASIS: dict[str, str] = {
    "per_request": f"{_MEASURES}第四条（按件计收）",
    "per_page": f"{_MEASURES}第五条（按量计收）",
}
_METHOD_ZH: dict[str, str] = {"per_request": "按件计收", "per_page": "按量计收"}
_UNIT_ZH: dict[str, str] = {"per_request": "件", "per_page": "页"}


class FeeLine(NamedTuple):
    """One band used in a quote: what, how many, 元 each, 元 in all."""

    description: str
    quantity: int
    rate: int
    subtotal: int


@dataclass(frozen=True)
class FeeQuote:
    """A fee for one request by one method, with the bands it used, ready for a fee notice."""

    method: Method
    amount: int
    basis: str
    lines: tuple[FeeLine, ...]

    def explain(self) -> str:
        """Chinese text for a fee notice: basis, method, each band's quantity and rate, total, deadline."""
        unit = _UNIT_ZH[self.method]
        if self.method == "per_request":
            how = "按件计收，按同一申请人一个自然月内累计申请件数分档，超额累进"
        else:
            how = "按量计收，按本件申请提供的页数分档，各页按所在档次单价超额累进"
        out = [
            "信息处理费计费说明",
            f"收费依据：{self.basis}",
            f"计费方式：{how}",
            "计费明细：",
        ]
        for line in self.lines:
            out.append(
                f"  {line.description}：{line.quantity}{unit} × {line.rate}元/{unit} = {line.subtotal}元"
            )
        out.append(f"金额合计：人民币{self.amount}元")
        if self.amount > 0:
            out.append(
                f"缴费期限：自收到本通知次日起{PAYMENT_WORKING_DAYS}个工作日内缴纳；逾期未缴纳的，视为放弃本项申请。"
            )
        else:
            out.append("缴费期限：本件不收费，无需缴纳。")
        return "\n".join(out)


def _check_count(value: object, what_zh: str, what_en: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise XxgkError(
            "fee-bad-number",
            f"{what_zh}应为正整数，收到：{value!r}",
            f"{what_en} must be a positive integer, got {value!r}",
        )
    if value < 1:
        raise XxgkError(
            "fee-bad-number",
            f"{what_zh}应为正整数（从1起），收到：{value}",
            f"{what_en} must be a positive integer (from 1), got {value}",
        )
    return value


def _request_band(ordinal: int) -> tuple[int, int, int]:
    """The concrete band (first, last, 元 per request) that the ordinal-th request of a month falls in."""
    for first, last, yuan in PER_REQUEST_BANDS:
        if last is not None and first <= ordinal <= last:
            return first, last, yuan
        if last is None and ordinal >= first:
            step = (ordinal - first) // PER_REQUEST_STEP
            start = first + step * PER_REQUEST_STEP
            return start, start + PER_REQUEST_STEP - 1, yuan + step * PER_REQUEST_STEP_YUAN
    raise AssertionError(f"PER_REQUEST_BANDS do not cover {ordinal}")  # pragma: no cover


def _page_lines(pages: int) -> tuple[FeeLine, ...]:
    """The pages 1..pages split over the page bands, one line per band that holds any of them."""
    lines: list[FeeLine] = []
    for first, last, yuan in PER_PAGE_BANDS:
        if pages < first:
            break
        end = pages if last is None else min(last, pages)
        quantity = end - first + 1
        where = f"第{first}页" if end == first else f"第{first}—{end}页"
        lines.append(FeeLine(where, quantity, yuan, quantity * yuan))
    return tuple(lines)


def per_request_fee(ordinal: int) -> int:
    """元 for the ordinal-th request (1-based) of one applicant in one calendar month (第四条)."""
    return _request_band(_check_count(ordinal, "本月申请序号", "ordinal"))[2]


def per_page_fee(pages: int) -> int:
    """元 for one request of `pages` pages, each page at its band's rate (第五条)."""
    return sum(line.subtotal for line in _page_lines(_check_count(pages, "页数", "pages")))


def quote(*, method: str, ordinal: int | None = None, pages: int | None = None) -> FeeQuote:
    """Quote one request by the method the agency picked: per_request needs ordinal, per_page needs pages."""
    if method not in _BASIS:
        raise XxgkError(
            "fee-unknown-method",
            f"未知计费方式：{method}（可选 per_request 按件计收、per_page 按量计收）",
            f"unknown fee method: {method} (per_request, per_page)",
        )
    if ordinal is not None and pages is not None:
        raise XxgkError(
            "fee-both-methods",
            "每件申请只能选择按件或按量其中一种标准计收，不得同时按两种标准计算",
            "one fee method per request: give either ordinal (per_request) or pages (per_page), never both",
        )
    if method == "per_request":
        if ordinal is None:
            raise XxgkError(
                "fee-missing-number",
                "按件计收需要本月申请序号（ordinal）",
                "per_request needs the request's ordinal within the month",
            )
        n = _check_count(ordinal, "本月申请序号", "ordinal")
        first, last, yuan = _request_band(n)
        band = f"第{first}—{last}件档" + ("，不收费" if yuan == 0 else "")
        lines = (FeeLine(f"本月第{n}件（{band}）", 1, yuan, yuan),)
        return FeeQuote("per_request", yuan, _BASIS["per_request"], lines)
    if pages is None:
        raise XxgkError(
            "fee-missing-number",
            "按量计收需要页数（pages）",
            "per_page needs the number of pages",
        )
    lines = _page_lines(_check_count(pages, "页数", "pages"))
    return FeeQuote("per_page", sum(line.subtotal for line in lines), _BASIS["per_page"], lines)


def monthly_ordinals(dates: Iterable[datetime.date]) -> list[int]:
    """Each request's ordinal within its calendar month, in input order.

    `dates` are one applicant's receipt dates in any order; requests on the same date are counted in
    input order.
    """
    items = list(dates)
    order = sorted(range(len(items)), key=lambda i: items[i])  # stable: ties keep input order
    seen: dict[tuple[int, int], int] = {}
    out = [0] * len(items)
    for i in order:
        month = (items[i].year, items[i].month)
        seen[month] = seen.get(month, 0) + 1
        out[i] = seen[month]
    return out
