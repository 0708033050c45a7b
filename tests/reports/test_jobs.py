"""Reminders, escalation on breach and auto-close: each once, however often the job runs."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.kit.events import Event
from ioc.kit.notify import Message
from ioc.kit.workdays import VIETNAM_TZ
from ioc.reports import jobs
from ioc.reports import service as reports
from ioc.reports.models import Report
from tests.reports.conftest import add_rule, communes, make_category, make_report, person

pytestmark = pytest.mark.usefixtures("defaults_only")


def vn(m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=VIETNAM_TZ)


def events_of(session: Session, type_: str, report: Report) -> list[Event]:
    return list(
        session.scalars(
            select(Event).where(Event.type == type_, Event.subject_id == report.code)
        ).all()
    )


def accepted_report(session: Session) -> tuple[Report, str]:
    """Filed Mon 2 Mar 08:00, accepted 09:00: due (3 working days) Thu 5 Mar 09:00."""
    category = make_category(session)
    add_rule(session, category, "commune")
    area = communes(session, 1)[0]
    report = make_report(session, category, area=area, now=vn(3, 2, 8))
    reports.accept(session, person(session, "operator"), report, now=vn(3, 2, 9))
    assert report.resolve_due_at == vn(3, 5, 9)
    return report, f"UBND-{area.code}"


def test_reminder_is_sent_once_within_four_working_hours_of_the_deadline(seeded: Session) -> None:
    report, _ = accepted_report(seeded)
    assert jobs.send_reminders(seeded, now=vn(3, 4, 10)) == 0  # 7 working hours left
    assert jobs.send_reminders(seeded, now=vn(3, 4, 14)) == 1  # 4 working hours left
    assert jobs.send_reminders(seeded, now=vn(3, 4, 15)) == 0
    (reminder,) = events_of(seeded, "report.reminder", report)
    assert reminder.visibility == "agency" and reminder.agency_id == report.agency_id
    assert report.reminded_at == vn(3, 4, 14)


def test_overdue_report_escalates_once_to_each_head_of_its_agency(seeded: Session) -> None:
    report, agency_code = accepted_report(seeded)
    heads = [person(seeded, "agency_head", agency_code) for _ in range(2)]
    person(seeded, "officer", agency_code)
    person(seeded, "agency_head", "SXD")

    assert jobs.escalate_overdue(seeded, now=vn(3, 5, 8)) == 0
    assert jobs.escalate_overdue(seeded, now=vn(3, 5, 10)) == 1
    assert jobs.escalate_overdue(seeded, now=vn(3, 5, 11)) == 0
    (overdue,) = events_of(seeded, "report.overdue", report)
    assert (overdue.severity, overdue.visibility) == ("warning", "staff")
    messages = seeded.scalars(select(Message).where(Message.event_id == overdue.id)).all()
    assert sorted(m.user_id for m in messages) == sorted(h.user_id for h in heads)  # type: ignore[misc]
    assert {m.channel for m in messages} == {"inapp"}

    # A crash after the messages but before escalated_at was kept: the rerun sends nothing new.
    report.escalated_at = None
    seeded.flush()
    assert jobs.escalate_overdue(seeded, now=vn(3, 5, 12)) == 1
    assert seeded.scalar(select(func.count()).select_from(Message)) == 2


def test_a_waiting_report_is_not_escalated_while_the_clock_is_stopped(seeded: Session) -> None:
    report, _ = accepted_report(seeded)
    reports.request_info(
        seeded, person(seeded, "operator"), report, question="Where?", now=vn(3, 3, 9)
    )
    assert jobs.escalate_overdue(seeded, now=vn(3, 20, 9)) == 0
    assert jobs.send_reminders(seeded, now=vn(3, 5, 8)) == 0


def test_resolved_reports_close_after_the_reopen_period(seeded: Session) -> None:
    report, _ = accepted_report(seeded)
    reports.resolve(seeded, person(seeded, "operator"), report, answer="Fixed", now=vn(3, 3, 10))
    assert jobs.auto_close(seeded, now=vn(3, 9, 10)) == 0
    assert jobs.auto_close(seeded, now=vn(3, 10, 11)) == 1
    assert report.status == "closed" and report.closed_at == vn(3, 10, 11)
    assert len(events_of(seeded, "report.closed", report)) == 1
    assert jobs.auto_close(seeded, now=vn(3, 20, 11)) == 0
    assert jobs.auto_close(seeded, now=vn(3, 5, 11), reopen_days=1) == 0


def test_the_module_declares_its_jobs() -> None:
    assert [spec.name for spec in jobs.JOBS] == [
        "reports.reminders",
        "reports.escalate",
        "reports.auto_close",
        "reports.rollup",
    ]
