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

Everything is computed in Python over one query's rows: a year of one province is a few
thousand reports, and working time (office hours, holidays) has no SQL form on SQLite.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.kit.auth import User
from ioc.kit.workdays import WorkCalendar
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.models import Report, ReportAgencyRecord, ReportUpdate

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
    ratings: list[int] = field(default_factory=list)
    reopened: int = 0
    ever_resolved: int = 0
    late_or_unsatisfied: int = 0


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _on_time(done: datetime | None, due: datetime | None) -> bool:
    # No deadline set means none was missed.
    return done is not None and (due is None or done <= due)


@dataclass
class _Deadlines:
    """The columns `deadlines.is_overdue` reads, from a query row."""

    status: str
    accept_due_at: datetime | None
    resolve_due_at: datetime | None
    accepted_at: datetime | None
    paused_at: datetime | None


def default_calendar(session: Session) -> WorkCalendar:
    return dl.calendar(session)


def evaluate_agencies(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    area_code: str | None = None,
    now: datetime | None = None,
    min_volume: int = DEFAULT_MIN_VOLUME,
    calendar: WorkCalendar | None = None,
) -> list[AgencyScore]:
    """One row per agency that received a report in [start, end): ranked agencies first, in
    rank order, then those below the minimum volume by volume."""
    now = now or utcnow()
    calendar = calendar or default_calendar(session)
    stmt = (
        select(
            ReportAgencyRecord.agency_id,
            ReportAgencyRecord.received_at,
            ReportAgencyRecord.outcome,
            Report.status,
            Report.accept_due_at,
            Report.accepted_at,
            Report.resolve_due_at,
            Report.resolved_at,
            Report.paused_at,
            Report.reopen_count,
            Report.rating,
        )
        .join(Report, Report.id == ReportAgencyRecord.report_id)
        .where(ReportAgencyRecord.received_at >= start, ReportAgencyRecord.received_at < end)
    )
    if area_code is not None:
        stmt = stmt.where(Report.area_code == area_code)
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    for row in session.execute(stmt):
        _count(tallies[row.agency_id], row, now=now, calendar=calendar)
    if not tallies:
        return []
    agencies = {
        a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(list(tallies))))
    }
    scores = [_score(agencies[agency_id], tally) for agency_id, tally in tallies.items()]
    return _rank(scores, min_volume)


def _count(t: _Tally, row: Any, *, now: datetime, calendar: WorkCalendar) -> None:
    t.received += 1
    if row.outcome == TRANSFERRED:
        t.transferred_out += 1
        return
    if row.outcome == NOT_COMPETENT:
        t.rejected_not_competent += 1
        return
    if row.status == lc.DUPLICATE:
        t.duplicates += 1
        return
    t.within += 1
    if row.accepted_at is not None:
        t.accepted += 1
        t.accepted_on_time += _on_time(row.accepted_at, row.accept_due_at)
    late = False
    if row.status in RESOLVED_STATUSES and row.resolved_at is not None:
        t.resolved += 1
        if _on_time(row.resolved_at, row.resolve_due_at):
            t.resolved_on_time += 1
        else:
            t.resolved_late += 1
            late = True
        worked = calendar.working_time_between(row.received_at, row.resolved_at)
        t.hours.append(worked.total_seconds() / 3600)
    elif row.status == lc.CLOSED_UNFIXED:
        t.closed_unfixed += 1
    elif row.status == lc.REJECTED:
        t.rejected += 1
    elif row.status in lc.OPEN:
        t.open += 1
        due = _Deadlines(
            row.status, row.accept_due_at, row.resolve_due_at, row.accepted_at, row.paused_at
        )
        # One definition of overdue for the inbox, the jobs and this table.
        if dl.is_overdue(due, now):
            t.overdue_open += 1
            late = True
    unsatisfied = row.rating is not None and row.rating <= UNSATISFIED_AT_MOST
    if row.rating is not None:
        t.ratings.append(row.rating)
    if row.reopen_count:
        t.reopened += 1
    if row.resolved_at is not None or row.reopen_count:
        t.ever_resolved += 1
    t.late_or_unsatisfied += late or unsatisfied


def _score(agency: Agency, t: _Tally) -> AgencyScore:
    unsatisfied = sum(1 for r in t.ratings if r <= UNSATISFIED_AT_MOST)
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
        median_hours_to_resolve=statistics.median(t.hours) if t.hours else None,
        mean_hours_to_resolve=statistics.fmean(t.hours) if t.hours else None,
        ratings=len(t.ratings),
        rating_mean=statistics.fmean(t.ratings) if t.ratings else None,
        unsatisfied=unsatisfied,
        unsatisfied_share=_share(unsatisfied, len(t.ratings)),
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


def evaluate_officers(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    area_code: str | None = None,
) -> list[OfficerScore]:
    """Per officer: the reports whose standing resolution they gave in [start, end).

    Only the last resolution of a report counts, and only if the report is still resolved or
    closed: an answer the citizen reopened as not fixed is not a resolution."""
    stmt = (
        select(
            ReportUpdate.report_id,
            ReportUpdate.at,
            ReportUpdate.actor_id,
            ReportUpdate.agency_id,
            Report.status,
            Report.resolve_due_at,
            Report.rating,
            Report.reopen_count,
        )
        .join(Report, Report.id == ReportUpdate.report_id)
        .where(
            ReportUpdate.to_status == "resolved",
            ReportUpdate.at >= start,
            ReportUpdate.at < end,
        )
        .order_by(ReportUpdate.report_id, ReportUpdate.at, ReportUpdate.id)
    )
    if area_code is not None:
        stmt = stmt.where(Report.area_code == area_code)
    last: dict[int, Any] = {}
    for row in session.execute(stmt):
        last[row.report_id] = row
    per_officer: dict[int, list[Any]] = defaultdict(list)
    for row in last.values():
        if row.actor_id is not None and row.status in RESOLVED_STATUSES:
            per_officer[row.actor_id].append(row)
    if not per_officer:
        return []
    names = dict(
        session.execute(select(User.id, User.full_name).where(User.id.in_(list(per_officer))))
        .tuples()
        .all()
    )
    agency_ids = {r.agency_id for rows in per_officer.values() for r in rows if r.agency_id}
    codes = dict(
        session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(agency_ids)))
        .tuples()
        .all()
    )
    scores = []
    for user_id, rows in per_officer.items():
        ratings = [r.rating for r in rows if r.rating is not None]
        # An officer may resolve for one agency at a time; the most frequent one is theirs.
        agency_counts: dict[str, int] = defaultdict(int)
        for r in rows:
            agency_counts[codes.get(r.agency_id, "")] += 1
        scores.append(
            OfficerScore(
                user_id=user_id,
                name=names.get(user_id) or f"#{user_id}",
                agency_code=max(agency_counts, key=lambda c: (agency_counts[c], c)),
                resolved=len(rows),
                resolved_on_time=sum(_on_time(r.at, r.resolve_due_at) for r in rows),
                reopened=sum(1 for r in rows if r.reopen_count),
                ratings=len(ratings),
                rating_mean=statistics.fmean(ratings) if ratings else None,
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
        ),
        officers=evaluate_officers(session, start=start, end=end, area_code=area_code),
    )
