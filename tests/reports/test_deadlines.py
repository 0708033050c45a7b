"""Deadlines in working time, across Tết 2026 (Mon 16 – Fri 20 Feb off) and weekends, and the
pause while the agency waits for the citizen. Times in comments are local (UTC+7)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from ioc.kit.calendar_store import set_override
from ioc.kit.workdays import VIETNAM_TZ, WorkCalendar
from ioc.reports import deadlines as dl
from ioc.reports import service as reports
from ioc.reports.models import DeadlinePolicy
from tests.reports.conftest import add_rule, agency, communes, make_category, make_report, person

H = timedelta(hours=1)
CAL = WorkCalendar()


pytestmark = pytest.mark.usefixtures("defaults_only")


def vn(m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=VIETNAM_TZ)


def routed_category(session: Session, **kw: object) -> object:
    category = make_category(session, **kw)  # type: ignore[arg-type]
    add_rule(session, category, "commune")
    return category


def test_accept_deadline_skips_the_weekend_and_tet(seeded: Session) -> None:
    category = routed_category(seeded)
    # Fri 13 Feb 15:00: 2 h that day; Sat–Sun, Tết Mon 16 – Fri 20, Sat–Sun off; 6 h on Mon 23.
    report = make_report(seeded, category, now=vn(2, 13, 15))  # type: ignore[arg-type]
    assert report.accept_due_at == vn(2, 23, 15)


def test_a_report_filed_on_saturday_is_due_at_the_end_of_monday(seeded: Session) -> None:
    category = routed_category(seeded)
    report = make_report(seeded, category, now=vn(3, 7, 10))  # type: ignore[arg-type]
    assert report.accept_due_at == vn(3, 9, 17)  # 8 working hours: all of Monday


def test_resolve_deadline_set_at_acceptance_counts_working_days_across_tet(
    seeded: Session,
) -> None:
    category = routed_category(seeded)
    officer = person(seeded, "operator")
    report = make_report(seeded, category, now=vn(2, 13, 9))  # type: ignore[arg-type]
    assert report.resolve_due_at is None
    reports.accept(seeded, officer, report, now=vn(2, 13, 10))
    # 3 working days = 24 h: Fri 6 h, Mon 23 8 h, Tue 24 8 h, Wed 25 2 h → 10:00.
    assert report.resolve_due_at == vn(2, 25, 10)


def test_urgent_reports_are_due_in_four_working_hours(seeded: Session) -> None:
    category = routed_category(seeded, default_urgency="urgent")
    officer = person(seeded, "operator")
    report = make_report(seeded, category, now=vn(2, 12, 15))  # type: ignore[arg-type]
    reports.accept(seeded, officer, report, now=vn(2, 12, 16))
    assert report.resolve_due_at == vn(2, 13, 11)  # Thu 1 h, Fri 08:00–11:00


def test_complex_reports_have_ten_working_days(seeded: Session) -> None:
    category = routed_category(seeded, default_urgency="complex")
    officer = person(seeded, "operator")
    report = make_report(seeded, category, now=vn(3, 2, 9))  # type: ignore[arg-type]
    reports.accept(seeded, officer, report, now=vn(3, 2, 9))
    assert report.resolve_due_at == vn(3, 16, 9)  # Mon 2 Mar 09:00 + 10 days of 8 h


def test_category_policy_beats_province_policy_beats_defaults(seeded: Session) -> None:
    own = make_category(seeded)
    other = make_category(seeded)
    seeded.add_all(
        [
            DeadlinePolicy(
                category_id=None,
                urgency="normal",
                accept_amount=4,
                accept_unit="hours",
                resolve_amount=2,
                resolve_unit="days",
            ),
            DeadlinePolicy(
                category_id=own.id,
                urgency="normal",
                accept_amount=1,
                accept_unit="hours",
                resolve_amount=0.5,
                resolve_unit="days",
            ),
        ]
    )
    seeded.flush()
    start = vn(3, 3, 9)
    assert dl.accept_due(seeded, category_id=own.id, urgency="normal", start=start) == vn(3, 3, 10)
    assert dl.resolve_due(seeded, category_id=own.id, urgency="normal", start=start) == vn(3, 3, 14)
    assert dl.accept_due(seeded, category_id=other.id, urgency="normal", start=start) == vn(
        3, 3, 14
    )
    # No row for "urgent" at all: the built-in default (DOMAIN.md).
    assert dl.resolve_due(seeded, category_id=own.id, urgency="urgent", start=start) == vn(3, 3, 14)


def test_announced_working_saturday_from_the_overrides_table_counts(seeded: Session) -> None:
    set_override(seeded, date(2026, 2, 21), is_working=True, note="test swap day")
    seeded.flush()
    seeded.info.pop("ioc.reports.calendar", None)
    category = routed_category(seeded)
    report = make_report(seeded, category, now=vn(2, 13, 15))  # type: ignore[arg-type]
    assert report.accept_due_at == vn(2, 21, 15)


def test_waiting_for_the_citizen_extends_the_deadline_by_exactly_the_time_paused(
    seeded: Session,
) -> None:
    category = routed_category(seeded)
    officer = person(seeded, "operator")
    citizen = person(seeded, "citizen")
    report = make_report(seeded, category, actor=citizen, now=vn(2, 11, 8))  # type: ignore[arg-type]
    reports.accept(seeded, officer, report, now=vn(2, 11, 9))
    due = report.resolve_due_at
    assert due == vn(2, 23, 9)  # Wed 7 h, Thu 8, Fri 8, then 1 h after Tết
    pause_start, pause_end = vn(2, 12, 14), vn(2, 24, 10)
    reports.request_info(seeded, officer, report, question="Which alley?", now=pause_start)
    assert report.status == "waiting" and report.paused_at == pause_start
    # While waiting the clock stands still: time left is what it was when the pause began.
    left_at_pause = CAL.working_time_between(pause_start, due)
    assert dl.time_left(CAL, report, vn(2, 24, 9)) == left_at_pause
    assert not dl.is_overdue(report, vn(2, 24, 9))

    reports.provide_info(seeded, citizen, report, text="Alley 12", now=pause_end)
    paused = CAL.working_time_between(pause_start, pause_end)
    assert paused == 21 * H  # Thu 3 h, Fri 8 h, Mon 23 8 h, Tue 24 2 h
    assert report.status == "accepted" and report.paused_at is None
    assert CAL.working_time_between(due, report.resolve_due_at) == paused
    assert report.resolve_due_at == vn(2, 25, 15)  # Mon 23 7 h, Tue 24 8 h, Wed 25 6 h
    assert CAL.working_time_between(pause_end, report.resolve_due_at) == left_at_pause


def test_a_pause_before_acceptance_extends_the_accept_deadline(seeded: Session) -> None:
    category = routed_category(seeded)
    officer = person(seeded, "operator")
    citizen = person(seeded, "citizen")
    report = make_report(seeded, category, actor=citizen, now=vn(3, 2, 8))  # type: ignore[arg-type]
    assert report.accept_due_at == vn(3, 2, 17)
    reports.request_info(seeded, officer, report, question="Photo?", now=vn(3, 2, 10))
    reports.provide_info(seeded, citizen, report, text="Sent", now=vn(3, 3, 10))
    assert report.status == "submitted"
    assert report.accept_due_at == vn(3, 3, 17)  # 8 working hours paused


def test_time_left_is_negative_when_overdue(seeded: Session) -> None:
    category = routed_category(seeded)
    report = make_report(seeded, category, now=vn(3, 2, 8))  # type: ignore[arg-type]
    assert dl.time_left(CAL, report, vn(3, 2, 15)) == 2 * H
    assert dl.due_soon(CAL, report, vn(3, 2, 15))
    assert not dl.due_soon(CAL, report, vn(3, 2, 8))
    assert dl.time_left(CAL, report, vn(3, 3, 9)) == -H
    assert dl.is_overdue(report, vn(3, 3, 9))
    # Friday 17:00 deadline read on Saturday: overdue although no working time has passed.
    late = make_report(seeded, category, now=vn(3, 6, 8))  # type: ignore[arg-type]
    assert late.accept_due_at == vn(3, 6, 17)
    assert dl.is_overdue(late, vn(3, 7, 10)) and dl.time_left(CAL, late, vn(3, 7, 10)) == H * 0


def test_transfer_gives_the_new_agency_a_fresh_accept_deadline(seeded: Session) -> None:
    category = routed_category(seeded)
    officer = person(seeded, "operator")
    area_a, area_b = communes(seeded, 2)
    report = make_report(seeded, category, area=area_a, now=vn(3, 2, 8))  # type: ignore[arg-type]
    reports.accept(seeded, officer, report, now=vn(3, 2, 9))
    reports.transfer(
        seeded,
        officer,
        report,
        to_agency=agency(seeded, f"UBND-{area_b.code}"),
        reason="Not ours",
        now=vn(3, 4, 14),
    )
    assert report.status == "submitted"
    assert report.accepted_at is None and report.resolve_due_at is None
    assert report.accept_due_at == vn(3, 5, 14)
