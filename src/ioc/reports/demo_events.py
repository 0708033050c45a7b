"""The demo's recent history on the timeline.

The demo writes a year of reports in bulk (demo.py), which records no events; a console would
then show nothing of "what just happened". This walks the demo reports' own history
(ReportUpdate rows) of the last days and writes the event each step would have recorded through
the real service (same type, subject, severity, visibility, place and agency as history.event),
so the live feed, the timeline and an agency head's feed start filled.

The events are written already handled: they are history, not news, so no notification or
alert rule runs for them again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.kit.events import H3_RESOLUTION, Event
from ioc.reports import EVENT_TYPES
from ioc.reports import lifecycle as lc
from ioc.reports.models import Report, ReportUpdate

RECENT = timedelta(hours=36)
_SPECS = {e.name: e for e in EVENT_TYPES}

# (from status, to status) of a status update -> the event the service records for it.
_STATUS_EVENTS: dict[tuple[str | None, str], str] = {
    (None, lc.SUBMITTED): "report.submitted",
    (lc.SUBMITTED, lc.ACCEPTED): "report.accepted",
    (lc.ACCEPTED, lc.IN_PROGRESS): "report.started",
    (lc.REOPENED, lc.IN_PROGRESS): "report.started",
    (lc.IN_PROGRESS, lc.RESOLVED): "report.resolved",
    (lc.IN_PROGRESS, lc.CLOSED_UNFIXED): "report.closed_unfixed",
    (lc.SUBMITTED, lc.REJECTED): "report.rejected",
    (lc.SUBMITTED, lc.DUPLICATE): "report.duplicate",
    (lc.RESOLVED, lc.CLOSED): "report.closed",
    (lc.RESOLVED, lc.REOPENED): "report.reopened",
    (lc.IN_PROGRESS, lc.WAITING): "report.info_requested",
    (lc.WAITING, lc.IN_PROGRESS): "report.info_provided",
}


def _event_type(update: ReportUpdate) -> str | None:
    if update.kind == "transfer":
        # An operator routing from the triage queue is service.route; an agency passing it on
        # is service.transfer.
        return "report.routed" if update.actor_role == "operator" else "report.transferred"
    if update.kind == "rating":
        return "report.rated"
    if update.kind in ("status", "answer", "info") and update.to_status:
        return _STATUS_EVENTS.get((update.from_status, update.to_status))
    return None


def record_recent_demo_events(
    session: Session, *, now: datetime | None = None, window: timedelta = RECENT
) -> int:
    """Write the events of the demo reports' steps in the last ``window``; returns how many.

    Idempotent: does nothing when the timeline already has report events."""
    if session.scalar(select(exists().where(Event.subject_type == "report"))):
        return 0
    import h3

    now = now or utcnow()
    since = now - window
    agency_codes = dict(session.execute(select(Agency.id, Agency.code)).tuples().all())
    rows = session.execute(
        select(ReportUpdate, Report)
        .join(Report, Report.id == ReportUpdate.report_id)
        .where(Report.is_demo.is_(True), ReportUpdate.at >= since, ReportUpdate.at <= now)
        .order_by(ReportUpdate.at, ReportUpdate.id)
    ).all()
    out: list[dict[str, Any]] = []
    for update, report in rows:
        type_ = _event_type(update)
        if type_ is None:
            continue
        spec = _SPECS[type_]
        visibility = spec.visibility
        if visibility == "public" and report.is_hidden:
            visibility = "staff"
        payload: dict[str, Any] = {"status": update.to_status or report.status}
        if update.from_status:
            payload["from"] = update.from_status
        agency_id = update.agency_id
        if type_ in ("report.routed", "report.transferred"):
            payload["agency"] = agency_codes.get(update.to_agency_id or 0, "")
            agency_id = update.to_agency_id
        if type_ == "report.rated" and report.rating:
            payload["rating"] = report.rating
        cell = None
        if report.lat is not None and report.lon is not None:
            cell = str(h3.latlng_to_cell(report.lat, report.lon, H3_RESOLUTION))
        out.append(
            {
                "type": type_,
                "occurred_at": update.at,
                "actor_id": update.actor_id,
                "subject_type": "report",
                "subject_id": report.code,
                "area_code": report.area_code,
                "lat": report.lat,
                "lon": report.lon,
                "h3_cell": cell,
                "severity": spec.severity,
                "visibility": visibility,
                "agency_id": agency_id,
                "title": f"Report {report.code}",
                "payload": payload,
                "handled_at": now,
                "attempts": 0,
            }
        )
    if out:
        session.execute(insert(Event).execution_options(render_nulls=True), out)
        session.flush()
    return len(out)
