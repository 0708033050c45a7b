"""Notifications to citizens on every change of their reports and of the reports they follow.

A local event handler (kit.events) turns each report event into one in-app notification per
person concerned and, by the person's preferences, an SMS and/or an e-mail queued in the
outbox (kit.notify). Every row carries a key made of the event and the person, so an event
handled twice (redelivery after a crash) notifies nobody twice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit import notify
from ioc.kit.auth import User
from ioc.kit.events import EventOut
from ioc.kit.i18n import translate
from ioc.kit.permissions import Actor
from ioc.portal.models import CitizenProfile, Notification
from ioc.reports.models import Report, ReportFollower

log = logging.getLogger(__name__)

# The report events a citizen hears about, with the sentence that tells them (message ids).
MESSAGES: dict[str, str] = {
    "report.accepted": "Report {code} was accepted by {agency}.",
    "report.started": "Work has started on report {code}.",
    "report.info_requested": "The agency needs more information about report {code}.",
    "report.resolved": "Report {code} was answered as resolved. Please rate the answer.",
    "report.closed": "Report {code} was closed.",
    "report.closed_unfixed": "Report {code} was closed without a fix.",
    "report.rejected": "Report {code} was not accepted.",
    "report.duplicate": "Report {code} was merged into a report on the same problem.",
    "report.transferred": "Report {code} was transferred to another agency.",
    "report.reopened": "Report {code} was reopened.",
}
SMS_PREFIX = "C-ThaiNguyen"


def recipients(session: Session, report: Report, actor_id: int | None) -> list[int]:
    """The reporter and the followers, without the person who made the change."""
    ids = set(
        session.scalars(
            select(ReportFollower.user_id).where(ReportFollower.report_id == report.id)
        ).all()
    )
    if report.reporter_user_id is not None:
        ids.add(report.reporter_user_id)
    if actor_id is not None:
        ids.discard(actor_id)
    return sorted(ids)


def agency_name(session: Session, agency_id: int | None, locale: str) -> str:
    from ioc.areas.models import Agency

    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is None:
        return translate(locale, "the agency")
    return (agency.name_en or agency.name) if locale == "en" else agency.name


def text_for(kind: str, params: dict[str, Any], locale: str) -> str:
    return translate(locale, MESSAGES.get(kind, "Report {code} was updated."), **params)


def on_report_event(session: Session, event: EventOut) -> None:
    """The local event handler (idempotent: keyed by event and person)."""
    if event.type not in MESSAGES or event.subject_type != "report":
        return
    report = session.scalar(select(Report).where(Report.code == event.subject_id))
    if report is None:
        return
    for user_id in recipients(session, report, event.actor_id):
        notify_person(session, user_id, event, report)


def notify_person(session: Session, user_id: int, event: EventOut, report: Report) -> None:
    """One in-app notification, and the SMS and/or e-mail the person wants."""
    key = f"event:{event.id}:user:{user_id}"
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
        return
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return
    profile = session.get(CitizenProfile, user_id)
    params = {"code": report.code}
    if event.type == "report.accepted":
        params["agency"] = agency_name(session, report.agency_id, "vi")
        params["agency_en"] = agency_name(session, report.agency_id, "en")
    note = Notification(
        user_id=user_id,
        event_id=event.id,
        dedupe_key=key,
        kind=event.type,
        subject=report.code,
        url=f"/reports/{report.code}",
        params=params,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(note)
    except IntegrityError:
        return  # another process handled this event for this person meanwhile
    locale = user.locale if user.locale in ("vi", "en") else "vi"
    text = text_for(event.type, localised_params(params, locale), locale)
    if (profile is None or profile.notify_sms) and user.phone:
        notify.queue(
            session,
            channel="sms",
            user_id=user_id,
            address=user.phone,
            body=f"{SMS_PREFIX}: {text}",
            dedupe_key=f"{key}:sms",
            event_id=event.id,
        )
    if profile is not None and profile.notify_email and user.email:
        notify.queue(
            session,
            channel="email",
            user_id=user_id,
            address=user.email,
            subject=translate(locale, "Report {code}: an update", code=report.code),
            body=text
            + "\n\n"
            + translate(
                locale, "See the report in the C-ThaiNguyen app: /reports/{code}", code=report.code
            ),
            dedupe_key=f"{key}:email",
            event_id=event.id,
        )


def localised_params(params: dict[str, Any], locale: str) -> dict[str, Any]:
    out = {k: v for k, v in params.items() if not k.endswith("_en")}
    if locale == "en" and "agency_en" in params:
        out["agency"] = params["agency_en"]
    return out


_subscribed = False


def subscribe() -> None:
    """Once per process (the module is built once, but be safe against a second call)."""
    global _subscribed
    if _subscribed:
        return
    from ioc.kit.events import bus

    bus.subscribe(on_report_event, types=list(MESSAGES))
    _subscribed = True


# --- reading and marking ---------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def latest(session: Session, user_id: int, *, limit: int = 50) -> Sequence[Notification]:
    return session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()


def mark_read(
    session: Session,
    user_id: int,
    notification_id: int | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Mark one of the person's notifications (or all of them) read; returns how many."""
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = session.execute(
        stmt.values(read_at=now or utcnow()).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def page_context(request: Request, actor: Actor, face: str) -> dict[str, Any]:
    """For the portal header's bell: the unread count, for signed-in people only. Also notes
    the person as active today (one short write a day at most, only on plain page views)."""
    if face != "portal" or actor.user_id is None or actor.kind != "user":
        return {}
    from ioc.portal import usage

    db = request.app.state.db
    # One statement for both (this runs on every portal page of a signed-in person).
    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    profiles = (
        select(func.count(CitizenProfile.user_id))
        .where(CitizenProfile.user_id == actor.user_id)
        .scalar_subquery()
    )
    active_on = (
        select(CitizenProfile.last_active_on)
        .where(CitizenProfile.user_id == actor.user_id)
        .scalar_subquery()
    )
    with db.session(write=False) as session:
        count, has_profile, last_active_on = session.execute(
            select(unread, profiles, active_on)
        ).one()
    writing = request.method != "GET" or getattr(request.state, "writes", False)
    stale = bool(has_profile) and (last_active_on is None or last_active_on < usage.local_today())
    if stale and not writing:
        try:
            with db.session(write=True) as session:
                usage.mark_active(session, actor.user_id)
        except Exception:  # counting must never break a page
            log.exception("could not count an active account")
    return {"unread_notifications": int(count or 0)}
