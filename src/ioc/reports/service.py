"""The rules of citizen field reports: what each person may do to a report, and when.

Plain functions, session first, the rest by name; nothing here commits. Every status change
goes through lifecycle.next_status (the one table of allowed transitions), writes a
ReportUpdate (who, when, from, to, why; public text and internal note in separate columns) and
records an event in the same transaction (history.transition).

Filing is in intake.py, the citizen's rating and reopening in satisfaction.py and the staff
read side in inbox.py; all are re-exported here so that callers have one module to import.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.errors import Conflict, NotFound, ValidationFailed
from ioc.kit.permissions import Actor, can, require
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.evaluation import record_resolution
from ioc.reports.history import (
    REOPEN_DAYS,
    ReportTarget,
    active_agency,
    add_update,
    end_record,
    event,
    hand_to,
    is_reporter,
    require_any,
    target_of,
    transition,
)
from ioc.reports.history import text as _clean
from ioc.reports.inbox import (
    Page,
    get_by_code,
    list_for_agency,
    public_view,
    reporter_view,
    staff_view,
    timeline,
    triage_queue,
)
from ioc.reports.intake import MAX_PHOTO_BYTES, MAX_PIXELS, submit
from ioc.reports.models import Report, ReportFollower, ReportPhoto, ReportUpdate
from ioc.reports.satisfaction import rate, reopen

__all__ = [
    "MAX_PHOTO_BYTES",
    "MAX_PIXELS",
    "REOPEN_DAYS",
    "Page",
    "ReportTarget",
    "accept",
    "add_note",
    "assign_agency",
    "close_unfixed",
    "get_by_code",
    "hide",
    "list_for_agency",
    "mark_duplicate",
    "provide_info",
    "public_view",
    "rate",
    "reject",
    "reopen",
    "reporter_view",
    "request_info",
    "resolve",
    "staff_view",
    "start",
    "submit",
    "target_of",
    "timeline",
    "transfer",
    "triage_queue",
]

REASON_MAX = 1000
ANSWER_MAX = 4000


def _handle(session: Session, actor: Actor, report: Report) -> None:
    require(actor, "reports.handle", target_of(session, report))


# --- routing by an operator ------------------------------------------------------------------


def assign_agency(
    session: Session,
    actor: Actor,
    report: Report,
    *,
    agency: Agency,
    reason: str = "",
    now: datetime | None = None,
) -> Report:
    """Triage: route a report that no rule could route (or re-route one not yet accepted)."""
    now = now or utcnow()
    require(actor, "reports.triage", target_of(session, report))
    lc.check("assign_agency", report.status)
    active_agency(agency)
    if agency.id == report.agency_id:
        raise ValidationFailed("The report is already with this agency.", field="agency")
    reason = _clean(reason, "reason", REASON_MAX, required=False)
    end_record(session, report, "transferred", now)
    # The agency's accept deadline counts from now, not from filing: it could not have
    # acted on a report it did not have. Handed over first, so the event names the agency.
    hand_to(session, report, agency, now)
    transition(
        session,
        actor,
        report,
        "assign_agency",
        "report.routed",
        now=now,
        kind="transfer",
        reason=reason,
        to_agency_id=agency.id,
        payload={"agency": agency.code, "by": "operator"},
    )
    session.flush()
    return report


# --- the agency's work -----------------------------------------------------------------------


def accept(
    session: Session, actor: Actor, report: Report, *, now: datetime | None = None
) -> Report:
    """The agency takes the report on: the resolve deadline starts now."""
    now = now or utcnow()
    _handle(session, actor, report)
    transition(session, actor, report, "accept", "report.accepted", now=now)
    report.accepted_at = now
    report.assignee_id = actor.user_id
    report.resolve_due_at = dl.resolve_due(
        session, category_id=report.category_id, urgency=report.urgency, start=now
    )
    # A new deadline deserves its own reminder and its own escalation.
    report.reminded_at = None
    report.escalated_at = None
    session.flush()
    return report


def start(session: Session, actor: Actor, report: Report, *, now: datetime | None = None) -> Report:
    now = now or utcnow()
    _handle(session, actor, report)
    transition(session, actor, report, "start", "report.started", now=now)
    session.flush()
    return report


def request_info(
    session: Session, actor: Actor, report: Report, *, question: str, now: datetime | None = None
) -> Report:
    """Ask the citizen for information; the deadline clock stops until they answer."""
    now = now or utcnow()
    _handle(session, actor, report)
    question = _clean(question, "question", REASON_MAX)
    transition(
        session,
        actor,
        report,
        "request_info",
        "report.info_requested",
        now=now,
        kind="info",
        public_text=question,
    )
    dl.pause(report, now)
    session.flush()
    return report


def _status_before_pause(session: Session, report: Report) -> str | None:
    return session.scalar(
        select(ReportUpdate.from_status)
        .where(ReportUpdate.report_id == report.id, ReportUpdate.to_status == lc.WAITING)
        .order_by(ReportUpdate.at.desc(), ReportUpdate.id.desc())
        .limit(1)
    )


def provide_info(
    session: Session, actor: Actor, report: Report, *, text: str, now: datetime | None = None
) -> Report:
    """The reporter answers (or a handler types their answer from a call); the clock resumes
    where it stopped and the deadlines move by the working time paused."""
    now = now or utcnow()
    if not is_reporter(actor, report):
        require(actor, "reports.handle", target_of(session, report))
    answer = _clean(text, "text", ANSWER_MAX)
    previous = _status_before_pause(session, report)
    transition(
        session,
        actor,
        report,
        "provide_info",
        "report.info_provided",
        now=now,
        kind="info",
        public_text=answer,
        previous=previous,
    )
    dl.resume(session, report, now)
    session.flush()
    return report


def resolve(
    session: Session, actor: Actor, report: Report, *, answer: str, now: datetime | None = None
) -> Report:
    """Answer the report as fixed. The public answer is required: it is what the citizen
    reads and rates (Decision 766 counts satisfaction with it)."""
    now = now or utcnow()
    _handle(session, actor, report)
    answer = _clean(answer, "answer", ANSWER_MAX)
    transition(
        session,
        actor,
        report,
        "resolve",
        "report.resolved",
        now=now,
        kind="answer",
        public_text=answer,
    )
    report.public_answer = answer
    report.resolved_at = now
    end_record(session, report, "resolved", now)
    # The scorecard's working time to resolve and the officer, worked out once, here. A reopen
    # leaves them: the scorecard counts them only while the report is resolved or closed, and
    # the next resolution writes them again.
    record_resolution(session, report, resolver_id=actor.user_id, at=now)
    session.flush()
    return report


def close_unfixed(
    session: Session, actor: Actor, report: Report, *, reason: str, now: datetime | None = None
) -> Report:
    """Close without a fix, kept apart from "resolved" so fix rates stay honest (FixMyStreet
    lesson in DOMAIN.md). The agency holding it or an operator may do it."""
    now = now or utcnow()
    require_any(actor, ("reports.handle", "reports.triage"), target_of(session, report))
    reason = _clean(reason, "reason", REASON_MAX)
    transition(
        session,
        actor,
        report,
        "close_unfixed",
        "report.closed_unfixed",
        now=now,
        reason=reason,
    )
    report.closed_at = now
    report.paused_at = None
    end_record(session, report, "closed_unfixed", now)
    session.flush()
    return report


def reject(
    session: Session,
    actor: Actor,
    report: Report,
    *,
    reason: str,
    not_competent: bool = False,
    now: datetime | None = None,
) -> Report:
    """Refuse a report. ``not_competent``: the matter is outside the agency's competence, so
    it leaves the denominator of Decision 766's on-time ratio (answered on time ÷ within
    competence)."""
    now = now or utcnow()
    _handle(session, actor, report)
    reason = _clean(reason, "reason", REASON_MAX)
    transition(
        session,
        actor,
        report,
        "reject",
        "report.rejected",
        now=now,
        reason=reason,
    )
    report.closed_at = now
    report.paused_at = None
    end_record(session, report, "not_competent" if not_competent else "rejected", now)
    session.flush()
    return report


def mark_duplicate(
    session: Session,
    actor: Actor,
    report: Report,
    *,
    original: Report,
    now: datetime | None = None,
) -> Report:
    """Merge ``report`` into ``original``: its followers move there, so updates reach them
    (FixMyStreet lesson). Operators, or the agency holding both reports."""
    now = now or utcnow()
    if not can(actor, "reports.triage", target_of(session, report)):
        _handle(session, actor, report)
        _handle(session, actor, original)
    if original.id == report.id:
        raise ValidationFailed("A report cannot duplicate itself.", field="original")
    if not lc.is_open(original.status) or original.duplicate_of_id is not None:
        raise Conflict("The original report must be open.", field="original")
    transition(
        session,
        actor,
        report,
        "mark_duplicate",
        "report.duplicate",
        now=now,
        public_text=original.code,
        payload={"original": original.code},
    )
    report.duplicate_of_id = original.id
    report.closed_at = now
    report.paused_at = None
    end_record(session, report, "duplicate", now)
    following = set(
        session.scalars(
            select(ReportFollower.user_id).where(ReportFollower.report_id == original.id)
        )
    )
    movers = session.scalars(
        select(ReportFollower).where(ReportFollower.report_id == report.id)
    ).all()
    for follower in movers:
        if follower.user_id not in following:
            session.add(ReportFollower(report_id=original.id, user_id=follower.user_id, since=now))
    session.execute(delete(ReportFollower).where(ReportFollower.report_id == report.id))
    session.flush()
    return report


def transfer(
    session: Session,
    actor: Actor,
    report: Report,
    *,
    to_agency: Agency,
    reason: str,
    now: datetime | None = None,
) -> Report:
    """Hand an open report to another agency, which must accept it again with a fresh
    deadline. Both agencies keep it in their books (ReportAgencyRecord)."""
    now = now or utcnow()
    _handle(session, actor, report)
    lc.check("transfer", report.status)
    active_agency(to_agency, "to_agency")
    if report.agency_id is None:
        raise Conflict("Route this report from the triage queue.", field="to_agency")
    if to_agency.id == report.agency_id:
        raise ValidationFailed("The report is already with this agency.", field="to_agency")
    reason = _clean(reason, "reason", REASON_MAX)
    transition(
        session,
        actor,
        report,
        "transfer",
        "report.transferred",
        now=now,
        kind="transfer",
        reason=reason,
        to_agency_id=to_agency.id,
        payload={"to_agency": to_agency.code},
    )
    end_record(session, report, "transferred", now)
    hand_to(session, report, to_agency, now)
    session.flush()
    return report


# --- notes and moderation --------------------------------------------------------------------


def add_note(
    session: Session, actor: Actor, report: Report, *, text: str, now: datetime | None = None
) -> ReportUpdate:
    """An internal note: never in the public timeline, never sent to the citizen."""
    now = now or utcnow()
    require_any(actor, ("reports.handle", "reports.triage"), target_of(session, report))
    note = _clean(text, "text", ANSWER_MAX)
    update = ReportUpdate(
        report_id=report.id,
        at=now,
        actor_id=actor.user_id,
        actor_role=actor.primary_role or "",
        kind="note",
        agency_id=report.agency_id,
        internal_note=note,
    )
    session.add(update)
    session.flush()
    return update


def hide(
    session: Session,
    actor: Actor,
    report: Report,
    *,
    reason: str,
    photo: ReportPhoto | None = None,
    hidden: bool = True,
    now: datetime | None = None,
) -> Report:
    """Moderation: hide (or show again) a report or one of its photos from the public."""
    now = now or utcnow()
    require(actor, "reports.moderate", target_of(session, report))
    reason = _clean(reason, "reason", REASON_MAX)
    if photo is not None:
        if photo.report_id != report.id:
            raise NotFound("No such photo.", field="photo")
        photo.is_hidden = hidden
    else:
        report.is_hidden = hidden
    report.updated_at = now
    what = f"photo {photo.id}" if photo is not None else "report"
    add_update(
        session,
        report,
        actor,
        "moderation",
        at=now,
        reason=reason,
        internal_note=f"{'hidden' if hidden else 'shown'}: {what}",
    )
    event(
        session,
        report,
        "report.hidden",
        actor,
        now=now,
        title=f"Report {report.code}: {what} {'hidden' if hidden else 'shown'}",
        payload={"photo": photo.id if photo else None, "hidden": hidden},
    )
    session.flush()
    return report
