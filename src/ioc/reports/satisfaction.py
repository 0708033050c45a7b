"""The citizen's word on an answer (issue 3, "Satisfaction"): a rating of 1–5 with a comment,
and "not fixed", which reopens the report within a set number of days.

FixMyStreet lesson (DOMAIN.md): a reopen must really reach the agency, so a reopened report is
open, back in the agency's "new" list, with a new resolve deadline, and counts as not resolved.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from ioc.kit.permissions import Actor, require
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.history import (
    REOPEN_DAYS,
    add_update,
    end_record,
    event,
    is_reporter,
    target_of,
    transition,
)
from ioc.reports.history import text as _clean
from ioc.reports.models import Report

REASON_MAX = 1000


def reopen(
    session: Session,
    actor: Actor,
    report: Report,
    *,
    reason: str,
    reopen_days: int = REOPEN_DAYS,
    now: datetime | None = None,
) -> Report:
    """ "Not fixed": back to the agency with a new resolve deadline; counts as not resolved.
    By the reporter, or an operator taking their call, within ``reopen_days`` of the answer."""
    now = now or utcnow()
    if not is_reporter(actor, report):
        require(actor, "reports.triage", target_of(session, report))
    reason = _clean(reason, "reason", REASON_MAX)
    lc.check("reopen", report.status)
    if report.resolved_at is None or now - report.resolved_at > timedelta(days=reopen_days):
        raise Conflict("The time to reopen this report has passed.", field="status")
    transition(
        session,
        actor,
        report,
        "reopen",
        "report.reopened",
        now=now,
        reason=reason,
    )
    report.reopen_count = (report.reopen_count or 0) + 1
    report.resolved_at = None
    report.resolve_due_at = dl.resolve_due(
        session, category_id=report.category_id, urgency=report.urgency, start=now
    )
    report.reminded_at = None
    report.escalated_at = None
    end_record(session, report, "reopened", now)
    session.flush()
    return report


def rate(
    session: Session,
    actor: Actor,
    report: Report,
    *,
    rating: int,
    comment: str = "",
    now: datetime | None = None,
) -> Report:
    """The reporter's satisfaction with the answer, 1–5. A low rating does not reopen the
    report by itself: "not fixed" is the separate reopen action, so ratings stay opinions."""
    now = now or utcnow()
    if not is_reporter(actor, report):
        if not actor.is_authenticated:
            raise NotAuthenticated("Please sign in to continue.")
        raise PermissionDenied("Only the person who filed this report can do this.")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed("Choose a rating from 1 to 5.", field="rating")
    comment = _clean(comment, "comment", 1000, required=False)
    lc.check("rate", report.status)
    report.rating = rating
    report.rating_comment = comment
    report.rated_at = now
    report.updated_at = now
    add_update(session, report, actor, "rating", at=now, public_text=comment)
    event(
        session,
        report,
        "report.rated",
        actor,
        now=now,
        title=f"Report {report.code} rated {rating}/5",
        payload={"rating": rating},
    )
    session.flush()
    return report
