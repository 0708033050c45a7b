"""The reports module's live counts for the overview: what is open, late, due today, what came
in today and what was resolved on time this month, for the province or an agency's picture.

Each figure is an indexed count: the open ones over the open reports (status index), the day's
intake over the submission index, the month's resolutions over the agency records' resolution
index. No scan of the whole history per page view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from ioc.db import UTCDateTime, utcnow
from ioc.kit.events import Event
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.models import Report, ReportAgencyRecord

from .cache import TtlCache
from .scope import ConsoleScope

LIVE_TTL_SECONDS = 15.0


@dataclass(frozen=True)
class ReportFigures:
    open: int
    overdue: int
    due_today: int
    received_today: int
    resolved_this_month: int
    resolved_on_time_this_month: int

    @property
    def on_time_share(self) -> float | None:
        if not self.resolved_this_month:
            return None
        return self.resolved_on_time_this_month / self.resolved_this_month


def local_day_start(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date(), time(), ZoneInfo(tz))


def local_month_start(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz)).date()
    return datetime.combine(date(local.year, local.month, 1), time(), ZoneInfo(tz))


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def report_figures(
    session: Session,
    scope: ConsoleScope,
    *,
    tz: str,
    now: datetime | None = None,
    cache: TtlCache | None = None,
) -> ReportFigures:
    now = now or utcnow()
    day_start = local_day_start(now, tz)
    day_end = day_start + timedelta(days=1)
    month_start = local_month_start(now, tz)
    now_ = literal(now, UTCDateTime())
    due = dl.current_due_sql()
    running = Report.status.in_(sorted(lc.CLOCK_RUNNING))
    # While a report waits for the citizen its clock stands at the pause (deadlines.is_overdue).
    overdue = or_(
        and_(running, due.is_not(None), now_ > due),
        and_(Report.status == lc.WAITING, Report.paused_at.is_not(None), Report.paused_at > due),
    )
    due_today = and_(running, due >= literal(now, UTCDateTime()), due < day_end)

    def scoped(*conds: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        out = list(conds)
        if scope.agency_ids is not None:
            out.append(Report.agency_id.in_(sorted(scope.agency_ids)))
        return out

    def live_counts() -> tuple[int, int, int, int]:
        open_row = session.execute(
            select(func.count(), _count(overdue), _count(due_today)).where(
                *scoped(Report.status.in_(sorted(lc.OPEN)))
            )
        ).one()
        if scope.agency_ids is None:
            received = (
                session.scalar(
                    select(func.count()).select_from(Report).where(Report.submitted_at >= day_start)
                )
                or 0
            )
        else:
            # What the agency received today, transfers in included: its own records, on their
            # (agency, received_at) index.
            received = (
                session.scalar(
                    select(func.count())
                    .select_from(ReportAgencyRecord)
                    .where(
                        ReportAgencyRecord.agency_id.in_(sorted(scope.agency_ids)),
                        ReportAgencyRecord.received_at >= day_start,
                    )
                )
                or 0
            )
        return (
            int(open_row[0] or 0),
            int(open_row[1] or 0),
            int(open_row[2] or 0),
            int(received),
        )

    if cache is not None:
        # A new event (any change to a report records one) makes a new key; the short life
        # covers deadlines passing while nothing happens.
        last_event = session.scalar(select(func.max(Event.id))) or 0
        key = ("live", scope.agency_ids, day_start, last_event)
        counts = cache.get(key, live_counts, ttl=LIVE_TTL_SECONDS)
    else:
        counts = live_counts()
    month_key = ("month", scope.agency_ids, month_start)
    resolved_row = (
        cache.get(month_key, lambda: _month_resolutions(session, scope, month_start, now))
        if cache is not None
        else _month_resolutions(session, scope, month_start, now)
    )
    return ReportFigures(
        open=counts[0],
        overdue=counts[1],
        due_today=counts[2],
        received_today=counts[3],
        resolved_this_month=resolved_row[0],
        resolved_on_time_this_month=resolved_row[1],
    )


def _month_resolutions(
    session: Session, scope: ConsoleScope, month_start: datetime, now: datetime
) -> tuple[int, int]:
    """Reports resolved (or closed after a resolution) since the month began, and how many of
    them by their deadline: the standing resolutions on the agency records."""
    rec = ReportAgencyRecord
    month = [rec.resolved_at >= month_start, rec.resolved_at <= now]
    if scope.agency_ids is not None:
        # "+ 0" keeps SQLite on the resolution-time index (a month of rows) rather than the
        # agency's index (all its records ever).
        month.append((rec.agency_id + 0).in_(sorted(scope.agency_ids)))
    on_time = or_(Report.resolve_due_at.is_(None), Report.resolved_at <= Report.resolve_due_at)
    row = session.execute(
        select(func.count(), _count(on_time))
        .select_from(rec)
        .join(Report, Report.id == rec.report_id)
        .where(*month, Report.status.in_((lc.RESOLVED, lc.CLOSED)))
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


@dataclass(frozen=True)
class LateAgency:
    code: str
    name: str
    open: int
    overdue: int
    resolved_this_month: int
    on_time_this_month: int

    @property
    def overdue_share(self) -> float:
        return self.overdue / self.open if self.open else 0.0

    @property
    def on_time_share(self) -> float | None:
        if not self.resolved_this_month:
            return None
        return self.on_time_this_month / self.resolved_this_month


def late_agencies(
    session: Session, *, tz: str, now: datetime | None = None, limit: int = 6
) -> list[LateAgency]:
    """The agencies with the most overdue open reports (the province's picture): which agencies
    are late, with their on-time share of this month's resolutions."""
    from ioc.areas.models import Agency

    now = now or utcnow()
    now_ = literal(now, UTCDateTime())
    due = dl.current_due_sql()
    running = Report.status.in_(sorted(lc.CLOCK_RUNNING))
    overdue = or_(
        and_(running, due.is_not(None), now_ > due),
        and_(Report.status == lc.WAITING, Report.paused_at.is_not(None), Report.paused_at > due),
    )
    rows = session.execute(
        select(Report.agency_id, func.count(), _count(overdue))
        .where(Report.status.in_(sorted(lc.OPEN)), Report.agency_id.is_not(None))
        .group_by(Report.agency_id)
    ).all()
    late = sorted(
        ((int(a or 0), int(n or 0), int(o or 0)) for a, n, o in rows if o),
        key=lambda r: (-r[2], -r[1], r[0]),
    )[:limit]
    if not late:
        return []
    ids = [a for a, _, _ in late]
    names = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(ids))).all()}
    rec = ReportAgencyRecord
    month_start = local_month_start(now, tz)
    on_time = or_(Report.resolve_due_at.is_(None), Report.resolved_at <= Report.resolve_due_at)
    month = {
        int(a): (int(n or 0), int(t or 0))
        for a, n, t in session.execute(
            select(rec.agency_id, func.count(), _count(on_time))
            .join(Report, Report.id == rec.report_id)
            .where(
                rec.resolved_at >= month_start,
                rec.resolved_at <= now,
                # "+ 0": on the resolution-time index (a month of rows), as _month_resolutions.
                (rec.agency_id + 0).in_(ids),
                Report.status.in_((lc.RESOLVED, lc.CLOSED)),
            )
            .group_by(rec.agency_id)
        ).all()
    }
    out = []
    for agency_id, open_count, overdue_count in late:
        agency = names.get(agency_id)
        if agency is None:
            continue
        resolved, in_time = month.get(agency_id, (0, 0))
        out.append(
            LateAgency(
                code=agency.code,
                name=agency.name,
                open=open_count,
                overdue=overdue_count,
                resolved_this_month=resolved,
                on_time_this_month=in_time,
            )
        )
    return out
