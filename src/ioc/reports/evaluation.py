"""The evaluation of agencies and officers from the record of field reports (DOMAIN.md: "from
citizens' questions and officials' answers the province evaluates its officials").

Read-only queries returning plain dataclasses; the caller checks ``reports.evaluate``.

How each figure is counted, per agency, over the agency records (`ReportAgencyRecord`) whose
``received_at`` falls in [start, end), so that a transfer counts in both agencies' records:

- *received*: every record, transfers in included.
- Left out of the agency's *competence* (Decision 766/QĐ-TTg, satisfaction group): records it
  transferred out (outcome ``transferred``), reports it rejected as outside its competence
  (outcome ``not_competent``), and duplicates merged into another report (the same matter is
  counted once, on the original).
- Within competence, the report's own timestamps: *accepted on time* (accepted_at ≤
  accept_due_at), *resolved on time* / *late* (status resolved or closed; resolved_at against
  resolve_due_at), *closed without fix* kept apart from resolved (FixMyStreet: honest fix
  rates), *open* and *overdue* (still open past the acceptance deadline when not accepted, or
  past the resolution deadline; a report waiting for the citizen is judged at the moment its
  clock stopped), satisfaction from ratings (unsatisfied = 1 or 2 of 5), reopen rate.
- Decision 766 ratios: *answered on time ÷ within competence*, where only a fix on time counts as
  an answer on time (closing without a fix or rejecting does not), and *(all − unsatisfied −
  late) ÷ all* over the reports within competence, where a report both late and unsatisfied is
  subtracted once and "late" is resolved late or open past its deadline.
- *Ranking*: only agencies with at least `min_volume` reports within competence are ranked (one
  fast case must not top the table); by the second ratio, then the first, then code.

How it is computed: the agency table is one GROUP BY query over the records joined to their
reports, grouped by every flag a figure depends on (outcome, status, accepted on time, resolved
on time, overdue, rating, reopened), each evaluated once per row in SQL; the few thousand
groups are then counted in Python by the rules above, with their working seconds to resolve
(one string per group) for the medians. The working time needs the office calendar, so it is
stored on the agency records when the report is resolved (`record_resolution`, called by
service.resolve); a resolved record without it (rows written below the service) is worked out
with the calendar here. The officer table is one GROUP BY over the records holding the standing
resolution (time and officer, stored by `record_resolution`). No timestamp comes back to Python.

Over the whole province the agency table reads the built days and months of the roll-up
(rollup.py: the same tally per agency and day, kept by the job ``reports.rollup``; open
reports with their deadlines) and counts only the rest live: days changed since they were
built, today and the period's edges. The officer table does the same with its own roll-up by
day of resolution (officer_rollup.py). ``use_rollup=False`` gives the live path alone
(tests/reports/test_rollup*.py check that they agree).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ioc.areas.models import Agency
from ioc.db import UTCDateTime, utcnow
from ioc.kit.auth import User
from ioc.kit.workdays import WorkCalendar
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.models import Report, ReportAgencyRecord

TRANSFERRED = "transferred"
NOT_COMPETENT = "not_competent"
RESOLVED_STATUSES = frozenset({lc.RESOLVED, lc.CLOSED})
UNSATISFIED_AT_MOST = 2
DEFAULT_MIN_VOLUME = 10


@dataclass(frozen=True)
class AgencyScore:
    agency_id: int
    code: str
    name: str
    received: int
    transferred_out: int
    rejected_not_competent: int
    duplicates: int
    within_competence: int
    accepted: int
    accepted_on_time: int
    resolved: int
    resolved_on_time: int
    resolved_late: int
    closed_unfixed: int
    rejected: int  # rejected for another reason (not a real problem, not enough information)
    open: int
    overdue_open: int
    median_hours_to_resolve: float | None  # working hours, from the agency's receipt
    mean_hours_to_resolve: float | None
    ratings: int
    rating_mean: float | None
    unsatisfied: int
    unsatisfied_share: float | None
    reopened: int
    reopen_rate: float | None  # reopened ÷ reports resolved at least once
    ratio_on_time: float | None  # Decision 766: answered on time ÷ within competence
    ratio_satisfied_on_time: float | None  # Decision 766: (all − unsatisfied − late) ÷ all
    ranked: bool
    rank: int | None


@dataclass(frozen=True)
class OfficerScore:
    user_id: int
    name: str
    agency_code: str
    resolved: int
    resolved_on_time: int
    reopened: int
    ratings: int
    rating_mean: float | None


@dataclass(frozen=True)
class Evaluation:
    start: datetime
    end: datetime
    area_code: str | None
    now: datetime
    min_volume: int
    agencies: list[AgencyScore]
    officers: list[OfficerScore]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def default_calendar(session: Session) -> WorkCalendar:
    return dl.calendar(session)


def record_resolution(
    session: Session,
    report: Report,
    *,
    resolver_id: int | None,
    at: datetime,
    calendar: WorkCalendar | None = None,
) -> None:
    """Store on the report's agency records what the scorecard needs of its resolution at
    ``at``: on each record the working time from that agency's receipt, and on the resolving
    agency's record (the latest one of the report's agency) the time and the officer. A former
    resolution (the report was reopened, then transferred) is taken off the other records, so
    that only the standing resolution counts for an officer."""
    calendar = calendar or default_calendar(session)
    records = session.scalars(
        select(ReportAgencyRecord)
        .where(ReportAgencyRecord.report_id == report.id)
        .order_by(ReportAgencyRecord.id)
    ).all()
    current = next((r for r in reversed(records) if r.agency_id == report.agency_id), None)
    for record in records:
        worked = calendar.working_time_between(record.received_at, at)
        record.resolve_working_seconds = round(worked.total_seconds())
        record.resolved_at = at if record is current else None
        record.resolver_id = resolver_id if record is current else None


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _on_time_sql(
    done: InstrumentedAttribute[datetime | None], due: InstrumentedAttribute[datetime | None]
) -> ColumnElement[bool]:
    # No deadline set means none was missed.
    return and_(done.is_not(None), or_(due.is_(None), done <= due))


def _overdue_sql(now: datetime) -> ColumnElement[bool]:
    """`deadlines.is_overdue` for an open report: one definition of overdue for the inbox, the
    jobs and this table. Compared as instants; while waiting, the clock stands at the pause."""
    due = dl.current_due_sql()
    stopped = and_(Report.status == lc.WAITING, Report.paused_at.is_not(None))
    now_ = literal(now, UTCDateTime())
    return and_(
        due.is_not(None),
        or_(and_(stopped, Report.paused_at > due), and_(~stopped, now_ > due)),
    )


@dataclass
class _Tally:
    received: int = 0
    transferred_out: int = 0
    rejected_not_competent: int = 0
    duplicates: int = 0
    within: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    closed_unfixed: int = 0
    rejected: int = 0
    open: int = 0
    overdue_open: int = 0
    hours: list[float] = field(default_factory=list)
    ratings: int = 0
    rating_sum: int = 0
    unsatisfied: int = 0
    reopened: int = 0
    ever_resolved: int = 0
    late_or_unsatisfied: int = 0


def evaluate_agencies(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    area_code: str | None = None,
    now: datetime | None = None,
    min_volume: int = DEFAULT_MIN_VOLUME,
    calendar: WorkCalendar | None = None,
    use_rollup: bool = True,
) -> list[AgencyScore]:
    """One row per agency that received a report in [start, end): ranked agencies first, in
    rank order, then those below the minimum volume by volume.

    Over the whole province the built days of the roll-up (rollup.py) are read from it, and
    only the rest is counted live: changed days, today and the edges of the period."""
    now = now or utcnow()
    rec = ReportAgencyRecord
    from ioc.reports import rollup

    tallies: dict[int, _Tally] = defaultdict(_Tally)
    if area_code is None and use_rollup:
        days, live = rollup.plan(session, start, end)
    else:
        days, live = [], [(start, end)]
    rollup.add_spans(session, tallies, days, now=now)
    for a, b in live:
        period = [rec.received_at >= a, rec.received_at < b]
        if area_code is not None:
            period.append(Report.area_code == area_code)
        tally_live(session, tallies, period, now=now, calendar=calendar)
    tallies = {k: t for k, t in tallies.items() if t.received}
    if not tallies:
        return []
    agencies = {
        a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(list(tallies))))
    }
    scores = [_score(agencies[agency_id], tally) for agency_id, tally in tallies.items()]
    return _rank(scores, min_volume)


def tally_live(
    session: Session,
    tallies: dict[int, _Tally],
    period: list[ColumnElement[bool]],
    *,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> None:
    """Add to ``tallies`` the records matching ``period`` (conditions on the records joined
    to their reports), counted from the rows."""
    rec = ReportAgencyRecord
    # The records grouped by everything a figure depends on: each row is evaluated once in
    # SQL, and the few thousand groups are counted in Python by the rules above.
    keys = (
        rec.agency_id,
        rec.outcome,
        Report.status,
        Report.accepted_at.is_not(None).label("accepted"),
        _on_time_sql(Report.accepted_at, Report.accept_due_at).label("accepted_on_time"),
        Report.resolved_at.is_not(None).label("has_resolved_at"),
        _on_time_sql(Report.resolved_at, Report.resolve_due_at).label("resolved_on_time"),
        and_(Report.status.in_(lc.OPEN), _overdue_sql(now)).label("overdue"),
        Report.rating,
        (Report.reopen_count != 0).label("reopened"),
    )
    stmt = (
        select(
            *keys,
            func.count().label("n"),
            # The working seconds to resolve, for the medians, in the same pass over the rows.
            _concat(session, rec.resolve_working_seconds).label("seconds"),
            func.count(rec.resolve_working_seconds).label("stored"),
        )
        .join(Report, Report.id == rec.report_id)
        .where(*period)
        .group_by(*keys)
    )
    unstored = False
    for group in session.execute(stmt):
        unstored |= _add(tallies[group.agency_id], group)
    if unstored:
        _work_out_hours(session, tallies, period, calendar)


def _is_resolved(status: Any, has_resolved_at: Any) -> bool:
    return status in RESOLVED_STATUSES and bool(has_resolved_at)


def _add(t: _Tally, g: Any) -> bool:
    """Add a group of ``g.n`` alike records; True if some resolved one has no stored working
    time (to be worked out)."""
    n = g.n
    t.received += n
    if g.outcome == TRANSFERRED:
        t.transferred_out += n
        return False
    if g.outcome == NOT_COMPETENT:
        t.rejected_not_competent += n
        return False
    if g.status == lc.DUPLICATE:
        t.duplicates += n
        return False
    t.within += n
    if g.accepted:
        t.accepted += n
        t.accepted_on_time += n if g.accepted_on_time else 0
    late = False
    unstored = False
    if _is_resolved(g.status, g.has_resolved_at):
        t.resolved += n
        if g.resolved_on_time:
            t.resolved_on_time += n
        else:
            t.resolved_late += n
            late = True
        if g.seconds:
            t.hours.extend(int(v) / 3600 for v in g.seconds.split(","))
        unstored = g.stored < n
    elif g.status == lc.CLOSED_UNFIXED:
        t.closed_unfixed += n
    elif g.status == lc.REJECTED:
        t.rejected += n
    elif g.status in lc.OPEN:
        t.open += n
        # One definition of overdue for the inbox, the jobs and this table.
        if g.overdue:
            t.overdue_open += n
            late = True
    unsatisfied = g.rating is not None and g.rating <= UNSATISFIED_AT_MOST
    if g.rating is not None:
        t.ratings += n
        t.rating_sum += g.rating * n
        t.unsatisfied += n if unsatisfied else 0
    if g.reopened:
        t.reopened += n
    if g.has_resolved_at or g.reopened:
        t.ever_resolved += n
    t.late_or_unsatisfied += n if late or unsatisfied else 0
    return unstored


def _concat(
    session: Session, value: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> ColumnElement[str]:
    """The non-null values of a group as one comma-separated string."""
    if session.get_bind().dialect.name == "postgresql":
        return func.string_agg(cast(value, String), ",")
    return func.group_concat(value, ",")


def _work_out_hours(
    session: Session,
    tallies: dict[int, _Tally],
    period: list[ColumnElement[bool]],
    calendar: WorkCalendar | None,
) -> None:
    """The working time to resolve of records resolved without it stored (rows written below
    the service), worked out with the calendar."""
    rec = ReportAgencyRecord
    missing = (
        select(rec.agency_id, rec.outcome, Report.status, rec.received_at, Report.resolved_at)
        .join(Report, Report.id == rec.report_id)
        .where(
            *period,
            rec.resolve_working_seconds.is_(None),
            Report.status.in_(RESOLVED_STATUSES),
            Report.resolved_at.is_not(None),
        )
    )
    calendar = calendar or default_calendar(session)
    for row in session.execute(missing):
        if row.outcome in (TRANSFERRED, NOT_COMPETENT):
            continue
        worked = calendar.working_time_between(row.received_at, row.resolved_at)
        tallies[row.agency_id].hours.append(worked.total_seconds() / 3600)


def _score(agency: Agency, t: _Tally) -> AgencyScore:
    hours = t.hours
    return AgencyScore(
        agency_id=agency.id,
        code=agency.code,
        name=agency.name,
        received=t.received,
        transferred_out=t.transferred_out,
        rejected_not_competent=t.rejected_not_competent,
        duplicates=t.duplicates,
        within_competence=t.within,
        accepted=t.accepted,
        accepted_on_time=t.accepted_on_time,
        resolved=t.resolved,
        resolved_on_time=t.resolved_on_time,
        resolved_late=t.resolved_late,
        closed_unfixed=t.closed_unfixed,
        rejected=t.rejected,
        open=t.open,
        overdue_open=t.overdue_open,
        median_hours_to_resolve=statistics.median(hours) if hours else None,
        mean_hours_to_resolve=statistics.fmean(hours) if hours else None,
        ratings=t.ratings,
        rating_mean=t.rating_sum / t.ratings if t.ratings else None,  # = fmean of the ratings
        unsatisfied=t.unsatisfied,
        unsatisfied_share=_share(t.unsatisfied, t.ratings),
        reopened=t.reopened,
        reopen_rate=_share(t.reopened, t.ever_resolved),
        ratio_on_time=_share(t.resolved_on_time, t.within),
        ratio_satisfied_on_time=_share(t.within - t.late_or_unsatisfied, t.within),
        ranked=False,
        rank=None,
    )


def _rank(scores: list[AgencyScore], min_volume: int) -> list[AgencyScore]:
    def key(s: AgencyScore) -> tuple[float, float]:
        return (-(s.ratio_satisfied_on_time or 0.0), -(s.ratio_on_time or 0.0))

    eligible = sorted(
        (s for s in scores if s.within_competence >= max(min_volume, 1)),
        key=lambda s: (*key(s), s.code),
    )
    ranked: list[AgencyScore] = []
    for i, score in enumerate(eligible):
        # Competition ranking (1, 2, 2, 4): equal figures share a place.
        rank = ranked[-1].rank if ranked and key(ranked[-1]) == key(score) else i + 1
        ranked.append(replace(score, ranked=True, rank=rank))
    rest = sorted(
        (s for s in scores if s.within_competence < max(min_volume, 1)),
        key=lambda s: (-s.received, s.code),
    )
    return ranked + rest


@dataclass
class _OfficerTally:
    resolved: int = 0
    resolved_on_time: int = 0
    reopened: int = 0
    ratings: int = 0
    rating_sum: int = 0
    agencies: dict[int, int] = field(default_factory=dict)  # agency id → resolutions


def tally_officers_live(
    session: Session, tallies: dict[int, _OfficerTally], period: list[ColumnElement[bool]]
) -> None:
    """Add to ``tallies`` the standing resolutions of the records matching ``period``
    (conditions on the records joined to their reports), per officer and agency."""
    rec = ReportAgencyRecord
    stmt = (
        select(
            rec.resolver_id,
            rec.agency_id,
            func.count().label("resolved"),
            _count(_on_time_sql(rec.resolved_at, Report.resolve_due_at)).label("on_time"),
            _count(Report.reopen_count != 0).label("reopened"),
            func.count(Report.rating).label("ratings"),
            func.sum(Report.rating).label("rating_sum"),
        )
        .join(Report, Report.id == rec.report_id)
        .where(*period, rec.resolver_id.is_not(None), Report.status.in_(RESOLVED_STATUSES))
        .group_by(rec.resolver_id, rec.agency_id)
    )
    for row in session.execute(stmt):
        t = tallies[row.resolver_id]
        t.resolved += row.resolved
        t.resolved_on_time += row.on_time
        t.reopened += row.reopened
        t.ratings += row.ratings
        t.rating_sum += row.rating_sum or 0
        t.agencies[row.agency_id] = t.agencies.get(row.agency_id, 0) + row.resolved


def _officer_agency(agencies: dict[int, int], codes: dict[int, str]) -> str:
    """An officer may resolve for one agency at a time; the most frequent one is theirs (ties:
    the greatest code)."""
    by_code: dict[str, int] = {}
    for agency_id, n in agencies.items():
        code = codes.get(agency_id, "")
        by_code[code] = by_code.get(code, 0) + n
    top = max(by_code.values())
    return max(c for c, n in by_code.items() if n == top)


def evaluate_officers(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    area_code: str | None = None,
    use_rollup: bool = True,
) -> list[OfficerScore]:
    """Per officer: the reports whose standing resolution they gave in [start, end).

    Only the last resolution of a report counts (`record_resolution` keeps it on one agency
    record), and only if the report is still resolved or closed: an answer the citizen
    reopened as not fixed is not a resolution.

    Over the whole province the built days and months of the officer roll-up
    (officer_rollup.py) are read from it and the rest is counted live: changed days, today and
    the period's edges."""
    from ioc.reports import officer_rollup

    rec = ReportAgencyRecord
    tallies: dict[int, _OfficerTally] = defaultdict(_OfficerTally)
    if area_code is None and use_rollup:
        spans, live = officer_rollup.plan(session, start, end)
        officer_rollup.add_spans(session, tallies, spans)
    else:
        live = [(start, end)]
    for a, b in live:
        period = [rec.resolved_at >= a, rec.resolved_at < b]
        if area_code is not None:
            period.append(Report.area_code == area_code)
        tally_officers_live(session, tallies, period)
    if not tallies:
        return []
    names = dict(
        session.execute(select(User.id, User.full_name).where(User.id.in_(list(tallies))))
        .tuples()
        .all()
    )
    agency_ids = {a for t in tallies.values() for a in t.agencies}
    codes = dict(
        session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(agency_ids)))
        .tuples()
        .all()
    )
    scores = []
    for user_id, t in tallies.items():
        scores.append(
            OfficerScore(
                user_id=user_id,
                name=names.get(user_id) or f"#{user_id}",
                agency_code=_officer_agency(t.agencies, codes),
                resolved=t.resolved,
                resolved_on_time=t.resolved_on_time,
                reopened=t.reopened,
                ratings=t.ratings,
                rating_mean=t.rating_sum / t.ratings if t.ratings else None,
            )
        )
    return sorted(scores, key=lambda s: (-s.resolved, s.name, s.user_id))


def evaluate(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    area_code: str | None = None,
    now: datetime | None = None,
    min_volume: int = DEFAULT_MIN_VOLUME,
    calendar: WorkCalendar | None = None,
    use_rollup: bool = True,
) -> Evaluation:
    """Agencies and officers over [start, end), optionally for one commune."""
    now = now or utcnow()
    return Evaluation(
        start=start,
        end=end,
        area_code=area_code,
        now=now,
        min_volume=min_volume,
        agencies=evaluate_agencies(
            session,
            start=start,
            end=end,
            area_code=area_code,
            now=now,
            min_volume=min_volume,
            calendar=calendar,
            use_rollup=use_rollup,
        ),
        officers=evaluate_officers(
            session, start=start, end=end, area_code=area_code, use_rollup=use_rollup
        ),
    )
