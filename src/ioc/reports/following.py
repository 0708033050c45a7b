"""Citizens following a report instead of filing a duplicate (FixMyStreet's lesson)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ioc.errors import NotAuthenticated
from ioc.kit.permissions import Actor
from ioc.reports.models import Report, ReportFollower


def follow(session: Session, actor: Actor, report: Report) -> None:
    if actor.user_id is None:
        raise NotAuthenticated("Please sign in to continue.")
    if session.get(ReportFollower, (report.id, actor.user_id)) is None:
        session.add(ReportFollower(report_id=report.id, user_id=actor.user_id))
        session.flush()


def is_following(session: Session, actor: Actor, report: Report) -> bool:
    if actor.user_id is None:
        return False
    return session.get(ReportFollower, (report.id, actor.user_id)) is not None


def my_reports(session: Session, actor: Actor, *, limit: int = 100) -> Sequence[Report]:
    """Reports the person filed or follows, newest first."""
    if actor.user_id is None:
        raise NotAuthenticated("Please sign in to continue.")
    followed = select(ReportFollower.report_id).where(ReportFollower.user_id == actor.user_id)
    return session.scalars(
        select(Report)
        .where(or_(Report.reporter_user_id == actor.user_id, Report.id.in_(followed)))
        .order_by(Report.submitted_at.desc(), Report.id.desc())
        .limit(limit)
    ).all()
