"""Anonymising a person's reports when their account is deleted.

The reports stay (they are the province's record of problems and answers; other people follow
them, the scorecards count them) but nothing in them names or reaches the person any more:
contact fields emptied, the link to the account cut, the person's steps in the timeline no
longer tied to an account, follows removed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit.events import Event
from ioc.reports.models import Report, ReportFollower, ReportUpdate


@dataclass(frozen=True)
class AnonymisedCounts:
    reports: int
    updates: int
    follows: int


def anonymise_reporter(
    session: Session, user_id: int, *, phone: str | None = None, email: str | None = None
) -> AnonymisedCounts:
    """Strip ``user_id``'s identity from every report they filed. With ``phone``/``email``,
    reports filed without signing in but with those contact details are stripped too (the
    same person, reachable by the same number)."""
    report_ids = set(
        session.scalars(select(Report.id).where(Report.reporter_user_id == user_id)).all()
    )
    contact_matches: list[ColumnElement[bool]] = []
    if phone:
        local = "0" + phone[3:] if phone.startswith("+84") else phone
        contact_matches.append(Report.reporter_phone.in_({phone, local}))
    if email:
        contact_matches.append(Report.reporter_email == email.lower())
    for condition in contact_matches:
        report_ids.update(session.scalars(select(Report.id).where(condition)).all())
    ids = sorted(report_ids)
    now = utcnow()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(
            update(Report)
            .where(Report.id.in_(chunk))
            .values(
                reporter_user_id=None,
                reporter_name="",
                reporter_phone="",
                reporter_email="",
                anonymous=True,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    updates = session.execute(
        update(ReportUpdate)
        .where(ReportUpdate.actor_id == user_id, ReportUpdate.actor_role == "citizen")
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )
    # Timeline events name their actor by id only; the id must lead nowhere.
    session.execute(
        update(Event)
        .where(Event.actor_id == user_id)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )
    follows = session.execute(
        delete(ReportFollower)
        .where(ReportFollower.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return AnonymisedCounts(
        reports=len(ids),
        updates=int(getattr(updates, "rowcount", 0) or 0),
        follows=int(getattr(follows, "rowcount", 0) or 0),
    )
