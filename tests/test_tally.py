"""The tally is pure and balances by construction: a property test over arbitrary request histories."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from xxgk.checks import run
from xxgk.model import Report
from xxgk.office.tally import request_cells
from xxgk.office.vocab import applicant_kinds, outcomes
from xxgk.template import load_template, template_for_year

KINDS = list(applicant_kinds())
DAY0 = dt.date(2019, 1, 1)


@st.composite
def history(draw):  # type: ignore[no-untyped-def]
    received = DAY0 + dt.timedelta(days=draw(st.integers(0, 365 * 6)))
    closed = None
    outcome = None
    if draw(st.booleans()):
        closed = received + dt.timedelta(days=draw(st.integers(0, 400)))
        outcome = draw(st.sampled_from(sorted(outcomes(template_for_year(closed.year)))))
    return draw(st.sampled_from(KINDS)), received, closed, outcome


@settings(max_examples=200, deadline=None)
@given(st.lists(history(), max_size=60), st.integers(2019, 2025))
def test_any_history_balances(rows, year):
    t = template_for_year(year)
    cells = request_cells(t, rows, year)
    full = {cid: None for cid in t.cell_ids if not cid.startswith("requests.")} | cells
    report = Report(template=t.id, report_year=year, agency="某局", published_date=None, content_hash="x",
                    cells=full)
    assert [f.rule for f in run(report) if f.rule.startswith("requests-")] == []
    # every request of the year lands in exactly one first and one last bucket
    live = [r for r in rows if r[1] <= dt.date(year, 12, 31) and (r[2] is None or r[2] >= dt.date(year, 1, 1))]
    assert cells["requests.new.total"] + cells["requests.carried_in.total"] == len(live)


def test_a_2019_outcome_closed_in_a_2021_year_counts_in_its_group():
    t = load_template("2021")
    cells = request_cells(t, [("natural", dt.date(2021, 3, 1), dt.date(2021, 3, 5), "other")], 2021)
    assert cells["requests.other.other.natural"] == 1
