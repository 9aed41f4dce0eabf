"""信息处理费 (国办函〔2020〕109号 第四条、第五条): band edges, monthly ordinals, bad input, the notice text."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xxgk.errors import XxgkError
from xxgk.office.fees import (
    PER_PAGE_BANDS,
    PER_REQUEST_BANDS,
    PER_REQUEST_FREE,
    FeeQuote,
    monthly_ordinals,
    per_page_fee,
    per_request_fee,
    quote,
)

D = datetime.date


# --- 第四条, per request: the ordinal-th request of the month is charged at its own band's rate ----


@pytest.mark.parametrize(
    ("ordinal", "fee"),
    [(1, 0), (10, 0), (11, 100), (30, 100), (31, 200), (40, 200), (41, 300), (50, 300), (51, 400)],
)
def test_per_request_band_edges(ordinal: int, fee: int) -> None:
    assert per_request_fee(ordinal) == fee


def test_per_request_open_band_keeps_rising_by_100_every_10() -> None:
    # 61–70 is the fourth band of ten after 30: 200 + 3 × 100 = 500.
    assert per_request_fee(61) == 500
    assert per_request_fee(70) == 500
    assert per_request_fee(71) == 600


def test_free_requests_constant_matches_bands() -> None:
    assert PER_REQUEST_FREE == 10
    assert PER_REQUEST_BANDS[0] == (1, 10, 0)
    assert per_request_fee(PER_REQUEST_FREE) == 0
    assert per_request_fee(PER_REQUEST_FREE + 1) > 0


# --- 第五条, per page: progressive, each page at its own band's rate ----------------------------


@pytest.mark.parametrize(
    ("pages", "fee"),
    [
        (1, 0),  # page 1 is in the free band 1–30
        (30, 0),  # 30 free pages
        (31, 10),  # 30 free + 1 page × 10 = 10
        (100, 700),  # 30 free + 70 pages (31–100) × 10 = 700
        (101, 720),  # 700 + 1 page (101) × 20 = 720
        (200, 2700),  # 700 + 100 pages (101–200) × 20 = 700 + 2000 = 2700
        (201, 2740),  # 2700 + 1 page (201) × 40 = 2740
        (250, 4700),  # 2700 + 50 pages (201–250) × 40 = 2700 + 2000 = 4700
    ],
)
def test_per_page_band_edges(pages: int, fee: int) -> None:
    assert per_page_fee(pages) == fee


def test_per_page_is_progressive_not_whole_request_at_top_rate() -> None:
    # Charging all 101 pages at 20 would give 2020 (or 1420 for 71 chargeable pages); 累进 gives 720.
    assert per_page_fee(101) == 720


def _rate_of_page(page: int) -> int:
    """The 第五条 rate of one page, written out independently of the module's band table."""
    if page <= 30:
        return 0
    if page <= 100:
        return 10
    if page <= 200:
        return 20
    return 40


@given(st.integers(min_value=1, max_value=2000))
def test_per_page_marginal_fee_is_the_next_pages_rate(n: int) -> None:
    step = per_page_fee(n + 1) - per_page_fee(n)
    assert step >= 0
    assert step == _rate_of_page(n + 1)


@given(st.integers(min_value=1, max_value=2000), st.integers(min_value=1, max_value=2000))
def test_per_page_fee_is_non_decreasing(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert per_page_fee(lo) <= per_page_fee(hi)


@given(st.integers(min_value=1, max_value=500))
def test_per_request_fee_follows_article_four(n: int) -> None:
    expected = 0 if n <= 10 else 100 if n <= 30 else 200 + (n - 31) // 10 * 100
    assert per_request_fee(n) == expected


def test_page_bands_are_contiguous_and_open_ended() -> None:
    assert PER_PAGE_BANDS[0][0] == 1
    for (_, last, _), (first, _, _) in zip(PER_PAGE_BANDS, PER_PAGE_BANDS[1:], strict=False):
        assert last is not None and first == last + 1
    assert PER_PAGE_BANDS[-1][1] is None


# --- quote -----------------------------------------------------------------------------------------


def test_quote_per_page_lines_and_amount() -> None:
    q = quote(method="per_page", pages=120)
    assert isinstance(q, FeeQuote)
    assert q.method == "per_page"
    # 30 × 0 + 70 × 10 + 20 × 20 = 0 + 700 + 400 = 1100
    assert q.amount == 1100 == per_page_fee(120)
    assert q.lines == (
        ("第1—30页", 30, 0, 0),
        ("第31—100页", 70, 10, 700),
        ("第101—120页", 20, 20, 400),
    )
    assert "国办函〔2020〕109号" in q.basis and "第五条" in q.basis


def test_quote_per_request() -> None:
    q = quote(method="per_request", ordinal=35)
    assert q.method == "per_request"
    assert q.amount == 200
    assert len(q.lines) == 1
    description, quantity, rate, subtotal = q.lines[0]
    assert "第35件" in description and "31—40" in description
    assert (quantity, rate, subtotal) == (1, 200, 200)
    assert "国办函〔2020〕109号" in q.basis and "第四条" in q.basis


def test_quote_is_frozen() -> None:
    q = quote(method="per_page", pages=31)
    with pytest.raises(AttributeError):
        q.amount = 0  # type: ignore[misc]


def test_explain_mentions_basis_amount_bands_and_deadline() -> None:
    text = quote(method="per_page", pages=120).explain()
    assert "国办函〔2020〕109号" in text and "第五条" in text
    assert "1100元" in text
    assert "70页 × 10元/页 = 700元" in text
    assert "自收到本通知次日起20个工作日内" in text
    assert len(text.splitlines()) > 5

    text = quote(method="per_request", ordinal=11).explain()
    assert "第四条" in text and "100元" in text and "1件 × 100元/件" in text


def test_explain_free_request_says_nothing_to_pay() -> None:
    text = quote(method="per_request", ordinal=3).explain()
    assert "人民币0元" in text
    assert "无需缴纳" in text
    assert "20个工作日" not in text


# --- bad input ---------------------------------------------------------------------------------------


def _has_both_languages(e: XxgkError) -> None:
    assert e.code
    assert any("\u4e00" <= c <= "\u9fff" for c in e.message)
    assert e.message_en and e.message_en.isascii()


@pytest.mark.parametrize(
    "call",
    [
        lambda: quote(method="per_page", pages=0),
        lambda: quote(method="per_page", pages=-5),
        lambda: quote(method="per_request", ordinal=0),
        lambda: quote(method="per_request", ordinal=-1),
        lambda: quote(method="per_request"),
        lambda: quote(method="per_page"),
        lambda: quote(method="per_request", pages=40),
        lambda: quote(method="per_page", ordinal=12, pages=40),
        lambda: quote(method="per_request", ordinal=12, pages=40),
        lambda: quote(method="by_weight", pages=40),
        lambda: quote(method="per_page", pages=True),
        lambda: per_page_fee(0),
        lambda: per_page_fee(-1),
        lambda: per_request_fee(0),
        lambda: per_request_fee(-3),
    ],
)
def test_bad_input_raises_xxgk_error_in_both_languages(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(XxgkError) as info:
        call()
    _has_both_languages(info.value)


def test_both_methods_error_says_one_or_the_other() -> None:
    with pytest.raises(XxgkError) as info:
        quote(method="per_page", ordinal=12, pages=40)
    assert info.value.code == "fee-both-methods"
    assert "不得同时" in info.value.message
    assert "never both" in info.value.message_en


def test_unknown_method_error_code() -> None:
    with pytest.raises(XxgkError) as info:
        quote(method="by_weight", pages=40)
    assert info.value.code == "fee-unknown-method"
    assert "by_weight" in info.value.message


# --- monthly ordinals ----------------------------------------------------------------------------------


def test_monthly_ordinals_across_month_boundary() -> None:
    dates = [D(2024, 1, 30), D(2024, 1, 31), D(2024, 2, 1), D(2024, 1, 31)]
    # January: 30th → 1, 31st → 2, the second 31st (later in input) → 3; 1 February starts again at 1.
    assert monthly_ordinals(dates) == [1, 2, 1, 3]


def test_monthly_ordinals_two_months_any_order() -> None:
    dates = [D(2024, 3, 15), D(2024, 2, 10), D(2024, 3, 1), D(2024, 2, 29), D(2024, 2, 1)]
    # February: 1st → 1, 10th → 2, 29th → 3; March: 1st → 1, 15th → 2.
    assert monthly_ordinals(dates) == [2, 2, 1, 3, 1]


def test_monthly_ordinals_same_month_other_year_counted_apart() -> None:
    assert monthly_ordinals([D(2023, 5, 2), D(2024, 5, 1), D(2023, 5, 1)]) == [2, 1, 1]


def test_monthly_ordinals_empty() -> None:
    assert monthly_ordinals([]) == []


def test_monthly_ordinals_pick_the_band() -> None:
    # Twelve requests in one month and one in the next: the 11th and 12th are charged 100 each.
    dates = [D(2024, 4, d) for d in range(1, 13)] + [D(2024, 5, 2)]
    fees = [per_request_fee(n) for n in monthly_ordinals(dates)]
    assert fees == [0] * 10 + [100, 100, 0]
