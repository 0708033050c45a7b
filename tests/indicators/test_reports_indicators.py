"""The reports module's indicators on a handful of reports, against figures worked out by hand.

March 2026, office hours 08–12, 13–17 (see tests/reports/test_evaluation.py); "now" is
20 March 10:00. In the ward WARD:

- A (SXD) resolved on time, rated 5;            - B (SXD) resolved late (9 Mar, due 6 Mar), rated 2;
- C (SXD) in progress, due 10 Mar: overdue;     - D (SXD) accepted, due 25 Mar: open, not late;
- E (SXD) closed without a fix, rated 3;        - F filed 4 Mar at SXD, transferred to CAT on
  5 Mar, resolved on time there, rated 4;       - G a duplicate (left out everywhere).
In OTHER_WARD: H (SXD) resolved on time, rated 4.

WARD: within competence A–F = 6 (F once, at CAT); on time A, F = 2 → 33.33 %;
late or unsatisfied B, C = 2 → (6 − 2) ÷ 6 = 66.67 %; ratings 5, 2, 3, 4 → mean 3.5, one
unsatisfied → 75 % satisfied; open at the end (now): C, D = 2, of which overdue C = 1.
Province: 7 within, 3 on time → 42.86 %; ratings 5, 2, 3, 4, 4 → 3.6."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.reports import indicators as ri
from ioc.reports.evaluation import evaluate_agencies
from tests.reports.test_evaluation import END, NOW, OTHER_WARD, START, WARD, Book, at

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 4, 1), "now": NOW}


@pytest.fixture()
def book(seeded: Session) -> Book:
    b = Book(seeded)
    b.report(
        "SXD", received=at(2, 8), status="closed", resolve_due=at(5, 9), resolved=at(3, 9), rating=5
    )
    b.report(
        "SXD",
        received=at(2, 8),
        status="resolved",
        resolve_due=at(6, 10),
        resolved=at(9, 10),
        rating=2,
    )
    b.report(
        "SXD", received=at(3, 8), status="in_progress", accepted=at(3, 9), resolve_due=at(10, 9)
    )
    b.report("SXD", received=at(4, 8), status="accepted", accepted=at(4, 9), resolve_due=at(25, 9))
    e = b.report(
        "SXD",
        received=at(4, 8),
        status="closed_unfixed",
        accepted=at(4, 9),
        resolve_due=at(9, 9),
        rating=3,
    )
    e.closed_at = at(4, 15)
    b.report(
        "CAT",
        received=at(5, 8),
        transferred_from=("SXD", at(4, 8)),
        status="resolved",
        accepted=at(5, 9),
        resolve_due=at(12, 8),
        resolved=at(10, 8),
        rating=4,
    )
    b.report("SXD", received=at(6, 8), status="duplicate")
    b.report(
        "SXD",
        received=at(2, 8),
        status="closed",
        resolve_due=at(5, 9),
        resolved=at(4, 9),
        rating=4,
        area=OTHER_WARD,
    )
    seeded.flush()
    return b


def test_answered_on_time_in_a_ward(book: Book) -> None:
    assert ri.on_time(book.session, area_code=WARD, **MARCH) == pytest.approx(100 * 2 / 6)


def test_answered_on_time_in_the_province(book: Book) -> None:
    assert ri.on_time(book.session, area_code=None, **MARCH) == pytest.approx(100 * 3 / 7)


def test_satisfaction_766_subtracts_late_and_unsatisfied_once(book: Book) -> None:
    assert ri.satisfaction_766(book.session, area_code=WARD, **MARCH) == pytest.approx(100 * 4 / 6)


def test_ratings(book: Book) -> None:
    assert ri.rating_mean(book.session, area_code=WARD, **MARCH) == pytest.approx(3.5)
    assert ri.rating_mean(book.session, area_code=None, **MARCH) == pytest.approx(3.6)
    assert ri.satisfied_share(book.session, area_code=WARD, **MARCH) == pytest.approx(75.0)


def test_backlog_and_overdue_now(book: Book) -> None:
    assert ri.backlog(book.session, area_code=WARD, **MARCH) == 2
    assert ri.overdue(book.session, area_code=WARD, **MARCH) == 1


def test_backlog_at_the_end_of_a_past_period(book: Book) -> None:
    # At 7 March 00:00: B (answered only on 9 Mar, due 6 Mar: overdue then), C, D and F
    # (answered on 10 Mar) were open; A was answered, E closed on 4 Mar.
    period = {"start": date(2026, 3, 1), "end": date(2026, 3, 7), "now": NOW}
    assert ri.backlog(book.session, area_code=WARD, **period) == 4
    assert ri.overdue(book.session, area_code=WARD, **period) == 1


def test_nothing_to_measure_gives_none(book: Book) -> None:
    april = {"start": date(2026, 4, 1), "end": date(2026, 5, 1), "now": NOW}
    assert ri.on_time(book.session, area_code=WARD, **april) is None
    assert ri.rating_mean(book.session, area_code=WARD, **april) is None


def test_received_per_10000_people(book: Book) -> None:
    assert ri.per_10k(book.session, area_code=WARD, **MARCH) is None  # no population known
    ward = book.session.get(Area, WARD)
    assert ward is not None
    ward.population = 20_000
    book.session.flush()
    # A–F were filed in the ward in March (G is a duplicate): 6 ÷ 20,000 × 10,000.
    assert ri.per_10k(book.session, area_code=WARD, **MARCH) == pytest.approx(3.0)


def test_agency_figures(book: Book) -> None:
    figures = ri.agency_figures(
        book.session,
        agency_id=book.agency["SXD"],
        start=date(2026, 3, 1),
        end=date(2026, 4, 1),
        now=NOW,
    )
    # SXD's own records: A, B, C, D, E, H (F left it by transfer): 2 on time of 6.
    assert figures[ri.ON_TIME] == pytest.approx(100 * 2 / 6)
    assert figures[ri.SATISFACTION_766] == pytest.approx(100 * 4 / 6)
    assert figures[ri.RATING_MEAN] == pytest.approx(3.5)
    assert figures[ri.BACKLOG] == 2 and figures[ri.OVERDUE] == 1


def test_agrees_with_the_evaluation_of_agencies(book: Book) -> None:
    scores = evaluate_agencies(
        book.session, start=START, end=END, area_code=WARD, now=NOW, min_volume=1
    )
    within = sum(s.within_competence for s in scores)
    on_time = sum(s.resolved_on_time for s in scores)
    assert ri.on_time(book.session, area_code=WARD, **MARCH) == pytest.approx(
        100 * on_time / within
    )


def test_agency_table_agrees_with_the_evaluation(book: Book) -> None:
    table = ri.agency_table(book.session, start=START, end=END, now=NOW)
    scores = evaluate_agencies(book.session, start=START, end=END, now=NOW, min_volume=1)
    assert set(table) == {s.agency_id for s in scores}
    for s in scores:
        row = table[s.agency_id]
        assert row["received"] == s.received
        assert row["within"] == s.within_competence
        assert row["on_time"] == s.resolved_on_time
        assert row["overdue_open"] == s.overdue_open
        assert row["ratings"] == s.ratings
    # SXD: A, B, C, D, E and H within; F left it by transfer; G a duplicate.
    assert table[book.agency["SXD"]]["received"] == 8
    assert table[book.agency["SXD"]]["within"] == 6


def test_open_at_a_past_end_by_agency_commune_and_province(book: Book) -> None:
    # The backlog at 7 March 00:00 is counted in branches (open now; answered at or after the
    # end; closed without an answer at or after it): each report once, and the figures the
    # same whichever way is asked. Added to the book:
    # - I (SXD) closed without a fix on 8 Mar, due 6 Mar: open then, overdue then;
    # - J (SXD) resolved on 8 Mar, reopened since, due 20 Mar: open then (once), not overdue;
    # - K (SXD) a duplicate closed on 8 Mar: left out.
    i = book.report(
        "SXD", received=at(5, 8), status="closed_unfixed", accepted=at(5, 9), resolve_due=at(6, 9)
    )
    i.closed_at = at(8, 10)
    book.report(
        "SXD",
        received=at(2, 8),
        status="reopened",
        accepted=at(2, 9),
        resolve_due=at(20, 9),
        resolved=at(8, 10),
    )
    k = book.report("SXD", received=at(5, 8), status="duplicate")
    k.closed_at = at(8, 10)
    book.session.flush()
    end = date(2026, 3, 7)
    # SXD then: B (overdue), C, D, I (overdue), J; F was at CAT, A, E and H were done.
    sxd = ri.open_figures(book.session, end=end, agency_id=book.agency["SXD"], now=NOW)
    assert sxd == {"open": 5, "overdue": 2}
    # The ward: the same and F (answered on 10 Mar, due 12 Mar); the province adds nothing
    # (H was answered on 4 Mar).
    ward = ri.open_figures(book.session, end=end, area_code=WARD, now=NOW)
    assert ward == {"open": 6, "overdue": 2}
    assert ri.open_figures(book.session, end=end, now=NOW) == {"open": 6, "overdue": 2}
    both = ri.open_figures(
        book.session, end=end, area_code=WARD, agency_id=book.agency["SXD"], now=NOW
    )
    assert both == {"open": 5, "overdue": 2}
