"""What happens to a report, written down: the permission target of a report, the status
change with its ReportUpdate and event, and the agencies' books (ReportAgencyRecord).

Shared by intake.py (filing) and service.py (the actions); nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ioc.areas import units
from ioc.areas.models import Agency
from ioc.errors import Conflict, ValidationFailed
from ioc.kit import events
from ioc.kit.permissions import Actor, Scope, can, require
from ioc.kit.text import clean_text
from ioc.reports import EVENT_TYPES, refdata
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.models import Report, ReportAgencyRecord, ReportUpdate

# How long the citizen may say "not fixed" after an answer; afterwards the report closes by
# itself (jobs.auto_close). FixMyStreet lesson: a reopen must really reach the agency.
REOPEN_DAYS = 7
# Channels where staff type a report for someone else (a hotline call): the reporter is the
# caller named in the contact fields, never the operator.
STAFF_CHANNELS = frozenset({"console", "hotline"})
_EVENT_DEFAULTS = {e.name: e for e in EVENT_TYPES}


# --- permission targets ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTarget:
    """A report as permissions see it: the agency holding it and its commune (and province).
    An officer acts only on reports their agency holds now; operators hold province grants."""

    code: str
    agency_code: str | None
    area_code: str | None

    def permission_scope(self) -> Scope:
        areas = {units.province_code()}
        if self.area_code:
            areas.add(self.area_code)
        agencies = frozenset({self.agency_code}) if self.agency_code else frozenset()
        return Scope(agency_codes=agencies, area_codes=frozenset(areas))


def target_of(session: Session, report: Report) -> ReportTarget:
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    return ReportTarget(report.code, agency.code if agency else None, report.area_code)


def require_any(actor: Actor, permissions: Sequence[str], target: object | None) -> None:
    if not any(can(actor, p, target) for p in permissions):
        require(actor, permissions[0], target)  # raises, and audits the denial


def is_reporter(actor: Actor, report: Report) -> bool:
    return (
        actor.kind == "user"
        and actor.user_id is not None
        and actor.user_id == report.reporter_user_id
    )


def _role(actor: Actor, report: Report) -> str:
    return role_of(actor, report.reporter_user_id)


# --- events and updates ----------------------------------------------------------------------


def event_values(
    type_: str,
    *,
    code: str,
    status: str,
    area_code: str | None,
    lat: float | None,
    lon: float | None,
    agency_id: int | None,
    is_hidden: bool,
    actor_id: int | None,
    now: datetime,
    title: str,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row of a report's event (``events.values``) with the type's severity and visibility."""
    spec = _EVENT_DEFAULTS[type_]
    visibility = spec.visibility
    if visibility == "public" and is_hidden:
        visibility = "staff"  # a hidden report must not surface on the public feed
    return events.values(
        type_,
        subject_type="report",
        subject_id=code,
        actor_id=actor_id,
        title=title,
        area_code=area_code,
        lat=lat,
        lon=lon,
        severity=spec.severity,
        visibility=visibility,
        agency_id=agency_id,
        payload={"status": status, **(payload or {})},
        occurred_at=now,
    )


def event(
    session: Session,
    report: Report,
    type_: str,
    actor: Actor,
    *,
    now: datetime,
    title: str,
    payload: dict[str, Any] | None = None,
    agency_id: int | EllipsisType | None = ...,
    flush: bool = True,
) -> events.Event:
    """Record ``type_`` about ``report``; ``agency_id`` is the report's unless given (intake
    files the report already routed, but its first event names no agency yet)."""
    row = event_values(
        type_,
        code=report.code,
        status=report.status,
        area_code=report.area_code,
        lat=report.lat,
        lon=report.lon,
        agency_id=report.agency_id if isinstance(agency_id, EllipsisType) else agency_id,
        is_hidden=bool(report.is_hidden),
        actor_id=actor.user_id,
        now=now,
        title=title,
        payload=payload,
    )
    return events.add(session, row, flush=flush)


def role_of(actor: Actor, reporter_user_id: int | None) -> str:
    """The actor's role on a report whose reporter is ``reporter_user_id``."""
    if actor.kind == "user" and actor.user_id is not None and actor.user_id == reporter_user_id:
        return "citizen"
    return actor.primary_role or ("system" if actor.is_authenticated else "public")


def add_update(session: Session, report: Report, actor: Actor, kind: str, **values: Any) -> None:
    session.add(
        ReportUpdate(
            report_id=report.id,
            at=values.pop("at"),
            actor_id=actor.user_id,
            actor_role=_role(actor, report),
            kind=kind,
            agency_id=values.pop("agency_id", report.agency_id),
            **values,
        )
    )


def transition(
    session: Session,
    actor: Actor,
    report: Report,
    action: str,
    event_type: str,
    *,
    now: datetime,
    previous: str | None = None,
    kind: str = "status",
    public_text: str = "",
    internal_note: str = "",
    reason: str = "",
    to_agency_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    """Move the report to its next status; returns the status it left."""
    before = report.status
    after = lc.next_status(action, before, previous=previous)
    # Compare-and-set: of two people acting on one report at once, the second gets a Conflict
    # instead of silently overwriting (on PostgreSQL the row lock makes it wait, then re-check).
    result = session.execute(
        update(Report)
        .where(Report.id == report.id, Report.status == before)
        .values(status=after, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        session.refresh(report)
        raise Conflict("This report was changed by someone else. Reload it.", field="status")
    agency_id = report.agency_id
    add_update(
        session,
        report,
        actor,
        kind,
        at=now,
        from_status=before,
        to_status=after,
        agency_id=agency_id,
        to_agency_id=to_agency_id,
        public_text=public_text,
        internal_note=internal_note,
        reason=reason,
    )
    event(
        session,
        report,
        event_type,
        actor,
        now=now,
        title=f"Report {report.code}: {before} -> {after}",
        payload={"from": before, "action": action, **(payload or {})},
    )
    return before


def text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str:
    return clean_text(value, field=field, max_length=max_length, required=required)


def agency_record(session: Session, report: Report) -> ReportAgencyRecord | None:
    if report.agency_id is None:
        return None
    return session.scalar(
        select(ReportAgencyRecord)
        .where(
            ReportAgencyRecord.report_id == report.id,
            ReportAgencyRecord.agency_id == report.agency_id,
        )
        .order_by(ReportAgencyRecord.id.desc())
        .limit(1)
    )


def end_record(session: Session, report: Report, outcome: str, now: datetime) -> None:
    record = agency_record(session, report)
    if record is not None:
        record.outcome = outcome
        record.left_at = None if outcome in ("reopened", "") else now


def hand_to(
    session: Session, report: Report, agency: Agency | refdata.AgencyRef, now: datetime
) -> None:
    """The report reaches ``agency``: a fresh accept deadline and a record in its books."""
    report.agency_id = agency.id
    report.assignee_id = None
    report.accepted_at = None
    report.resolve_due_at = None
    report.paused_at = None
    report.reminded_at = None
    report.escalated_at = None
    report.accept_due_at = dl.accept_due(
        session, category_id=report.category_id, urgency=report.urgency, start=now
    )
    session.add(ReportAgencyRecord(report_id=report.id, agency_id=agency.id, received_at=now))


def active_agency(agency: Agency, field: str = "agency") -> Agency:
    if not agency.is_active:
        raise ValidationFailed("This agency is not active.", field=field)
    return agency
