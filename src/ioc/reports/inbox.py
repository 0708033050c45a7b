"""The staff read side of reports: an agency's inbox, the operators' triage queue, a report's
timeline (public entries for everyone, internal notes for staff of that report only) and the
reporter's identity (audited). The public lists and Open311 reads are in queries.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.errors import NotFound, ValidationFailed
from ioc.kit import audit
from ioc.kit.auth import User
from ioc.kit.permissions import ANONYMOUS, Actor, can, require
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.history import target_of
from ioc.reports.models import Category, Report, ReportPhoto, ReportUpdate
from ioc.reports.schemas import (
    PhotoOut,
    ReporterIdentity,
    ReportPublic,
    ReportStaff,
    TimelineEntry,
)

BUCKETS = ("new", "due_soon", "overdue", "all")
PAGE_SIZE = 50
# Update kinds that hold only staff matter: left out of the public timeline altogether.
INTERNAL_KINDS = frozenset({"note", "moderation"})


@dataclass(frozen=True)
class Page:
    items: Sequence[Report]
    total: int
    page: int
    page_size: int


def get_by_code(session: Session, code: str) -> Report:
    report = session.scalar(select(Report).where(Report.code == code.strip().upper()))
    if report is None:
        raise NotFound("No such report.", field="code")
    return report


def _sees_internal(session: Session, actor: Actor, report: Report) -> bool:
    return can(actor, "reports.view_internal", target_of(session, report))


def _visible(session: Session, actor: Actor, report: Report) -> None:
    """A hidden report is, to the public, a report that does not exist."""
    if report.is_hidden and not (
        _sees_internal(session, actor, report)
        or can(actor, "reports.moderate", target_of(session, report))
    ):
        raise NotFound("No such report.", field="code")


# The deadline that applies now, as SQL: to accept until accepted, then to resolve.
_DUE = dl.current_due_sql()
_CLOCK_RUNNING = Report.status.in_(sorted(lc.CLOCK_RUNNING))


def _bucket_filter(session: Session, bucket: str, now: datetime) -> ColumnElement[bool]:
    if bucket == "new":
        # Reopened reports are back in "new": a "not fixed" must be seen (FixMyStreet lesson).
        return Report.status.in_((lc.SUBMITTED, lc.REOPENED))
    if bucket == "overdue":
        # Waiting reports count only if they were already late when the clock stopped.
        return and_(
            Report.status.in_(sorted(lc.OPEN)),
            or_(
                and_(_CLOCK_RUNNING, now > _DUE),
                and_(Report.status == lc.WAITING, Report.paused_at > _DUE),
            ),
        )
    if bucket == "due_soon":
        limit = dl.due_soon_limit(dl.calendar(session), now)
        return and_(_CLOCK_RUNNING, _DUE.between(now, limit))
    return Report.id.is_not(None)


def list_for_agency(
    session: Session,
    actor: Actor,
    agency: Agency,
    *,
    bucket: str = "all",
    page: int = 1,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> Page:
    """An agency's inbox: new (and reopened), due soon, overdue, or all it holds."""
    require(actor, "reports.view_internal", agency)
    if bucket not in BUCKETS:
        raise ValidationFailed("Choose a list.", field="bucket")
    page = max(1, page)
    page_size = min(max(1, page_size), 200)
    where = and_(Report.agency_id == agency.id, _bucket_filter(session, bucket, now or utcnow()))
    total = session.scalar(select(func.count()).select_from(Report).where(where)) or 0
    order = (
        (Report.submitted_at.desc(), Report.id.desc())
        if bucket == "all"
        else (Report.submitted_at, Report.id)
        if bucket == "new"
        else (_DUE, Report.id)
    )
    items = session.scalars(
        select(Report).where(where).order_by(*order).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return Page(items, total, page, page_size)


def triage_queue(session: Session, actor: Actor, *, limit: int = 200) -> Sequence[Report]:
    """Reports no rule could route, oldest first: the operators route them by hand."""
    require(actor, "reports.triage")
    return session.scalars(
        select(Report)
        .where(Report.status == lc.SUBMITTED, Report.agency_id.is_(None))
        .order_by(Report.submitted_at, Report.id)
        .limit(limit)
    ).all()


def timeline(session: Session, actor: Actor, report: Report) -> list[TimelineEntry]:
    """Everything that happened to a report. Internal notes and who did what only for staff
    holding reports.view_internal for this report (another agency's officer does not)."""
    _visible(session, actor, report)
    internal = _sees_internal(session, actor, report)
    rows = session.scalars(
        select(ReportUpdate)
        .where(ReportUpdate.report_id == report.id)
        .order_by(ReportUpdate.at, ReportUpdate.id)
    ).all()
    entries = []
    for row in rows:
        if not internal and row.kind in INTERNAL_KINDS:
            continue
        entries.append(
            TimelineEntry(
                at=row.at,
                kind=row.kind,
                from_status=row.from_status,
                to_status=row.to_status,
                public_text=row.public_text,
                reason=row.reason,
                agency_id=row.agency_id,
                to_agency_id=row.to_agency_id,
                internal_note=row.internal_note if internal else None,
                actor_id=row.actor_id if internal else None,
                actor_role=row.actor_role or None,
            )
        )
    return entries


def reporter_view(
    session: Session, actor: Actor, report: Report, *, ip: str | None = None
) -> ReporterIdentity:
    """Who filed the report, for a handler who must call back. Personal data (Decree 13/2023):
    every view is written to the audit log, with who looked and when."""
    require(actor, "reports.view_reporter", target_of(session, report))
    audit.log(
        session,
        "personal_data.view",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="report",
        subject_id=report.code,
        ip=ip,
        detail={"fields": ["reporter"]},
    )
    if report.anonymous:
        return ReporterIdentity(anonymous=True, user_id=None, name="", phone="", email="")
    # A signed-in citizen's contact is their account's, unless they gave another one.
    account = session.get(User, report.reporter_user_id) if report.reporter_user_id else None
    return ReporterIdentity(
        anonymous=False,
        user_id=report.reporter_user_id,
        name=report.reporter_name or (account.full_name if account else ""),
        phone=report.reporter_phone or ((account.phone or "") if account else ""),
        email=report.reporter_email or ((account.email or "") if account else ""),
    )


# --- output shapes ---------------------------------------------------------------------------


def _public_fields(session: Session, report: Report, *, hidden_photos: bool) -> dict[str, object]:
    category = session.get(Category, report.category_id)
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    original = session.get(Report, report.duplicate_of_id) if report.duplicate_of_id else None
    photos = session.scalars(
        select(ReportPhoto).where(ReportPhoto.report_id == report.id).order_by(ReportPhoto.id)
    ).all()
    return {
        "code": report.code,
        "category_code": category.code if category else "",
        "status": report.status,
        "open311_status": lc.open311_status(report.status),
        "description": report.description,
        "lat": report.lat,
        "lon": report.lon,
        "address": report.address,
        "area_code": report.area_code,
        "agency_code": agency.code if agency else None,
        "agency_name": agency.name if agency else None,
        "submitted_at": report.submitted_at,
        "expected_at": dl.current_due(report),
        "resolved_at": report.resolved_at,
        "closed_at": report.closed_at,
        "public_answer": report.public_answer,
        "rating": report.rating,
        "duplicate_of": original.code if original else None,
        "photos": [
            PhotoOut(
                id=p.id,
                key=p.key,
                thumb_key=p.thumb_key,
                width=p.width,
                height=p.height,
                is_hidden=p.is_hidden,
            )
            for p in photos
            if hidden_photos or not p.is_hidden
        ],
        "updated_at": report.updated_at,
    }


def public_view(session: Session, report: Report, *, actor: Actor = ANONYMOUS) -> ReportPublic:
    """What anyone may see: never the reporter, never hidden photos; NotFound if hidden."""
    _visible(session, actor, report)
    return ReportPublic.model_validate(_public_fields(session, report, hidden_photos=False))


def staff_view(
    session: Session, actor: Actor, report: Report, *, now: datetime | None = None
) -> ReportStaff:
    require(actor, "reports.view_internal", target_of(session, report))
    now = now or utcnow()
    left = dl.time_left(dl.calendar(session), report, now)
    return ReportStaff.model_validate(
        {
            **_public_fields(session, report, hidden_photos=True),
            "id": report.id,
            "urgency": report.urgency,
            "channel": report.channel,
            "anonymous": report.anonymous,
            "attributes": dict(report.attributes or {}),
            "assignee_id": report.assignee_id,
            "accept_due_at": report.accept_due_at,
            "accepted_at": report.accepted_at,
            "resolve_due_at": report.resolve_due_at,
            "paused_at": report.paused_at,
            "reopen_count": report.reopen_count,
            "reminded_at": report.reminded_at,
            "escalated_at": report.escalated_at,
            "rating_comment": report.rating_comment,
            "is_hidden": report.is_hidden,
            "seconds_left": int(left.total_seconds()) if left is not None else None,
            "overdue": dl.is_overdue(report, now),
        }
    )
