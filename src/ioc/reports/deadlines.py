"""Deadlines of a report, counted in working time (DOMAIN.md, "Deadlines for field reports").

Two deadlines: the agency must *accept* a report (set when the report reaches an agency, again
when it is transferred: the new agency gets a fresh accept deadline) and then *resolve* it (set
at acceptance, and again when the citizen reopens it). Amounts come from a ``DeadlinePolicy``
row for the category and urgency, else the province-wide row for the urgency, else the
defaults below. While the agency waits for the citizen the clock stops, and on resumption the
deadlines move by exactly the working time of the pause (WorkCalendar.extend_for_pause).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.orm import Session

from ioc.kit.calendar_store import load_overrides
from ioc.kit.workdays import WorkCalendar
from ioc.reports import lifecycle as lc
from ioc.reports import refdata
from ioc.reports.models import DeadlinePolicy, Report

_CALENDAR_KEY = "ioc.reports.calendar"
REMINDER_WINDOW = timedelta(hours=4)


@dataclass(frozen=True)
class Amount:
    value: float
    unit: str  # "hours" | "days"


@dataclass(frozen=True)
class Policy:
    accept: Amount
    resolve: Amount


# DOMAIN.md: accept and verify within 8 working hours (iHanoi); urgent matters within 4
# working hours; normal 3 working days (Da Nang, Thủ Đức); complex 7–10 working days (Thủ Đức
# construction 7; we take the upper end, 10, as the issue asks).
DEFAULT_POLICIES: dict[str, Policy] = {
    # DOMAIN.md gives 8 working hours to accept and 4 to resolve an urgent matter; accepting
    # must then come first, so urgent matters are accepted within 1 working hour.
    "urgent": Policy(Amount(1, "hours"), Amount(4, "hours")),
    "normal": Policy(Amount(8, "hours"), Amount(3, "days")),
    "complex": Policy(Amount(8, "hours"), Amount(10, "days")),
}


class HasDeadlines(Protocol):
    status: str
    accept_due_at: datetime | None
    resolve_due_at: datetime | None
    accepted_at: datetime | None
    paused_at: datetime | None


def calendar(session: Session) -> WorkCalendar:
    """The office calendar with the announced overrides, built once per session (a request or
    a job run), so a changed override is seen by the next request."""
    cached = session.info.get(_CALENDAR_KEY)
    if isinstance(cached, WorkCalendar):
        return cached
    ref = refdata.get(session)
    cal = ref.calendar if ref is not None else WorkCalendar(overrides=load_overrides(session))
    session.info[_CALENDAR_KEY] = cal
    return cal


def policy_for(session: Session, *, category_id: int, urgency: str) -> Policy:
    ref = refdata.get(session)
    if ref is not None:
        # The category's own row beats the province-wide default row.
        cached = ref.policies.get((category_id, urgency)) or ref.policies.get((None, urgency))
        if cached is None:
            return DEFAULT_POLICIES.get(urgency, DEFAULT_POLICIES["normal"])
        return Policy(
            Amount(cached.accept_amount, cached.accept_unit),
            Amount(cached.resolve_amount, cached.resolve_unit),
        )
    rows = session.scalars(
        select(DeadlinePolicy).where(
            DeadlinePolicy.urgency == urgency,
            (DeadlinePolicy.category_id == category_id) | DeadlinePolicy.category_id.is_(None),
        )
    ).all()
    # The category's own row beats the province-wide default row.
    rows = sorted(rows, key=lambda r: r.category_id is None)
    if rows:
        row = rows[0]
        return Policy(
            Amount(row.accept_amount, row.accept_unit), Amount(row.resolve_amount, row.resolve_unit)
        )
    return DEFAULT_POLICIES.get(urgency, DEFAULT_POLICIES["normal"])


def add(cal: WorkCalendar, start: datetime, amount: Amount) -> datetime:
    if amount.unit == "days":
        # A working day is one office day (8 h): 3 days from 10:00 is 10:00 three working
        # days later (see kit.workdays). Fractions of a day are allowed in the data.
        return cal.add_working_hours(start, cal.day_length * amount.value)
    return cal.add_working_hours(start, timedelta(hours=amount.value))


def accept_due(session: Session, *, category_id: int, urgency: str, start: datetime) -> datetime:
    policy = policy_for(session, category_id=category_id, urgency=urgency)
    return add(calendar(session), start, policy.accept)


def resolve_due(session: Session, *, category_id: int, urgency: str, start: datetime) -> datetime:
    policy = policy_for(session, category_id=category_id, urgency=urgency)
    return add(calendar(session), start, policy.resolve)


def pause(report: HasDeadlines, now: datetime) -> None:
    if report.paused_at is None:
        report.paused_at = now


def resume(session: Session, report: HasDeadlines, now: datetime) -> timedelta:
    """End a pause: move the deadlines by the working time paused. Returns that time."""
    started = report.paused_at
    if started is None:
        return timedelta(0)
    cal = calendar(session)
    end = max(now, started)
    if report.resolve_due_at is not None:
        report.resolve_due_at = cal.extend_for_pause(report.resolve_due_at, started, end)
    if report.accepted_at is None and report.accept_due_at is not None:
        report.accept_due_at = cal.extend_for_pause(report.accept_due_at, started, end)
    report.paused_at = None
    return cal.working_time_between(started, end)


def current_due(report: HasDeadlines) -> datetime | None:
    """The deadline that matters now: to accept until accepted, then to resolve. None once the
    report is answered or closed."""
    if report.status not in lc.OPEN:
        return None
    if report.accepted_at is None:
        return report.accept_due_at
    return report.resolve_due_at


def time_left(cal: WorkCalendar, report: HasDeadlines, now: datetime) -> timedelta | None:
    """Working time until the current deadline; negative when overdue. While waiting, the
    clock stands where the pause stopped it."""
    due = current_due(report)
    if due is None:
        return None
    clock = report.paused_at if report.status == lc.WAITING and report.paused_at else now
    return cal.working_time_between(clock, due)


def is_overdue(report: HasDeadlines, now: datetime) -> bool:
    # Compared as instants, not working time: a deadline of Friday 17:00 is passed on
    # Saturday although no working time has run since.
    due = current_due(report)
    if due is None:
        return False
    clock = report.paused_at if report.status == lc.WAITING and report.paused_at else now
    return clock > due


def due_soon(
    cal: WorkCalendar,
    report: HasDeadlines,
    now: datetime,
    threshold: timedelta = REMINDER_WINDOW,
) -> bool:
    """Not yet overdue, and at most ``threshold`` of working time left."""
    if report.status == lc.WAITING or is_overdue(report, now):
        return False
    left = time_left(cal, report, now)
    return left is not None and left <= threshold


def due_soon_limit(
    cal: WorkCalendar, now: datetime, threshold: timedelta = REMINDER_WINDOW
) -> datetime:
    """The latest deadline instant that counts as due soon, for SQL filters."""
    return cal.add_working_hours(now, threshold)


def current_due_sql() -> ColumnElement[datetime]:
    """``current_due`` as SQL, for inbox buckets and jobs (open reports only)."""
    return case((Report.accepted_at.is_(None), Report.accept_due_at), else_=Report.resolve_due_at)
