"""Periodic work on reports: reminders before a deadline, escalation when one is missed, and
closing answered reports once the citizen's time to reopen has passed.

Every job selects only rows it has not handled yet (reminded_at, escalated_at, status), so a
rerun (after a crash, or by a second worker) does nothing twice; notifications carry a dedupe
key as well. FixMyStreet users ask most for overdue markers, reminders, and pressure on agencies
that ignore reports (DOMAIN.md, lessons): that is this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.kit import notify
from ioc.kit.auth import RoleAssignment, User
from ioc.kit.module import JobSpec
from ioc.kit.permissions import Actor
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.history import REOPEN_DAYS, event, transition
from ioc.reports.models import Report

BATCH = 500
# Jobs act as nobody in particular; their updates show the role "system".
SYSTEM = Actor(display_name="scheduler", kind="user")
_DUE = dl.current_due_sql()
_CLOCK_RUNNING = Report.status.in_(sorted(lc.CLOCK_RUNNING))


def send_reminders(
    session: Session, *, now: datetime | None = None, window: timedelta = dl.REMINDER_WINDOW
) -> int:
    """report.reminder once per deadline, when at most ``window`` of working time is left."""
    now = now or utcnow()
    limit = dl.due_soon_limit(dl.calendar(session), now, window)
    rows = session.scalars(
        select(Report)
        .where(
            _CLOCK_RUNNING,
            Report.agency_id.is_not(None),
            Report.reminded_at.is_(None),
            _DUE.between(now, limit),
        )
        .order_by(_DUE, Report.id)
        .limit(BATCH)
    ).all()
    for report in rows:
        due = dl.current_due(report)
        event(
            session,
            report,
            "report.reminder",
            SYSTEM,
            now=now,
            title=f"Report {report.code} is due soon",
            payload={"due": due.isoformat() if due else None},
        )
        report.reminded_at = now
    session.flush()
    return len(rows)


def agency_heads(session: Session, agency: Agency) -> Sequence[int]:
    return session.scalars(
        select(User.id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == "agency_head",
            RoleAssignment.scope_type == "agency",
            RoleAssignment.scope_ref == agency.code,
            User.is_active.is_(True),
        )
        .order_by(User.id)
        .distinct()
    ).all()


def escalate_overdue(session: Session, *, now: datetime | None = None) -> int:
    """On a missed deadline: a warning event for the IOC and an in-app message to each head
    of the agency holding the report, once per deadline."""
    now = now or utcnow()
    rows = session.scalars(
        select(Report)
        .where(
            Report.escalated_at.is_(None),
            or_(
                and_(_CLOCK_RUNNING, now > _DUE),
                # Late already when the agency stopped the clock: still late.
                and_(Report.status == lc.WAITING, Report.paused_at > _DUE),
            ),
        )
        .order_by(_DUE, Report.id)
        .limit(BATCH)
    ).all()
    for report in rows:
        due = dl.current_due(report)
        stage = "accept" if report.accepted_at is None else "resolve"
        row = event(
            session,
            report,
            "report.overdue",
            SYSTEM,
            now=now,
            title=f"Report {report.code} is overdue ({stage})",
            payload={"due": due.isoformat() if due else None, "stage": stage},
        )
        report.escalated_at = now
        agency = session.get(Agency, report.agency_id) if report.agency_id else None
        if agency is None:
            continue  # unrouted: the event itself reaches the operators
        stamp = int(due.timestamp()) if due else 0
        for user_id in agency_heads(session, agency):
            notify.queue(
                session,
                channel="inapp",
                user_id=user_id,
                subject=f"Report {report.code} is overdue",
                body=f"Report {report.code} held by {agency.code} passed its {stage} deadline.",
                dedupe_key=f"report:{report.code}:overdue:{stage}:{stamp}:user:{user_id}",
                event_id=row.id,
            )
    session.flush()
    return len(rows)


def auto_close(
    session: Session, *, now: datetime | None = None, reopen_days: int = REOPEN_DAYS
) -> int:
    """Close answered reports the citizen did not reopen within ``reopen_days``."""
    now = now or utcnow()
    rows = session.scalars(
        select(Report)
        .where(
            Report.status == lc.RESOLVED,
            Report.resolved_at <= now - timedelta(days=reopen_days),
        )
        .order_by(Report.resolved_at, Report.id)
        .limit(BATCH)
    ).all()
    for report in rows:
        transition(
            session,
            SYSTEM,
            report,
            "close",
            "report.closed",
            now=now,
            reason="No reopen request within the time allowed.",
        )
        report.closed_at = now
    session.flush()
    return len(rows)


def job_specs(*, reopen_days: int = REOPEN_DAYS) -> tuple[JobSpec, ...]:
    """The module's jobs, for ``Module(jobs=...)``."""

    def close(session: Session) -> int:
        return auto_close(session, reopen_days=reopen_days)

    return (
        JobSpec(
            "reports.reminders",
            lambda session: send_reminders(session),
            timedelta(minutes=5),
            "Remind agencies of report deadlines falling due within 4 working hours",
        ),
        JobSpec(
            "reports.escalate",
            lambda session: escalate_overdue(session),
            timedelta(minutes=5),
            "Escalate overdue reports to the IOC and the agency heads",
        ),
        JobSpec(
            "reports.auto_close",
            close,
            timedelta(hours=1),
            "Close resolved reports once the time to reopen has passed",
        ),
        JobSpec(
            "reports.rollup",
            _rollup,
            timedelta(minutes=5),
            "Rebuild the evaluation roll-ups (agencies, officers) of past days that changed",
        ),
    )


def _rollup(session: Session) -> int:
    from ioc.reports import officer_rollup, rollup

    return rollup.refresh(session) + officer_rollup.refresh(session)


JOBS = job_specs()
