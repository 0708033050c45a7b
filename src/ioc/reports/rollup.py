"""The evaluation's roll-up: per agency and local day of receipt, the counts of the scorecard
(evaluation.py), so that a year over a million reports sums a few thousand rows instead of
grouping 350 000 records. (The officer table has its own, by day of resolution:
officer_rollup.py.)

How it stays exact:

- A day's rows are the live tally (`evaluation.tally_live`, the same `_add`) of that day's
  records, with every working time to resolve kept (packed float64), so medians and means are
  the live ones to the last bit.
- Whether an open report is overdue moves with the clock: its row counts it as not overdue
  and keeps its deadline (`_add_open`), and the reader counts the deadlines passed at its own
  ``now`` (a report waiting for the citizen, its clock stopped, is overdue or not for good).
- Rows exist per local day and, for months that are over, per local month (``span``): a
  period reads its whole months from the month rows, the other days from the day rows.
- A day or month is built at a time (`ReportRollupDay.built_at`, restamped by every job run
  that finds it unchanged); every change to a report sets its ``updated_at``
  (history.transition, service, satisfaction), so a report changed since — less a safety
  margin for transactions still open during the build — makes that day or month count from
  the finer rows or live until the job (`refresh`, every five minutes) rebuilds it.
- Days not built, today, the edges of a period that does not start or end at local midnight
  and a filter by commune are counted live.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit.workdays import WorkCalendar
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.evaluation import (
    NOT_COMPETENT,
    TRANSFERRED,
    UNSATISFIED_AT_MOST,
    _add,
    _on_time_sql,
    _Tally,
    default_calendar,
    tally_live,
)
from ioc.reports.models import Report, ReportAgencyDay, ReportAgencyRecord, ReportRollupDay

# Vietnam keeps one offset all year (UTC+7): local days are fixed UTC intervals.
LOCAL_OFFSET = timedelta(hours=7)
ONE_DAY = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A transaction that changed a report before a day was built but committed after it is caught
# by counting changes from a little before the build.
MARGIN = timedelta(minutes=2)
COUNTS = (
    "received",
    "transferred_out",
    "rejected_not_competent",
    "duplicates",
    "within",
    "accepted",
    "accepted_on_time",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "closed_unfixed",
    "rejected",
    "ratings",
    "rating_sum",
    "unsatisfied",
    "reopened",
    "ever_resolved",
    "late_or_unsatisfied",
    "open",
    "overdue_open",
)


DAY = "day"
MONTH = "month"


def local_day(at: datetime) -> date:
    return (at.astimezone(UTC) + LOCAL_OFFSET).date()


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - LOCAL_OFFSET


def _next(span: str, first: date) -> date:
    """The first day after the span starting on ``first``."""
    if span == DAY:
        return first + ONE_DAY
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _key(span: str, day: date) -> date:
    return day if span == DAY else day.replace(day=1)


def _pack(hours: list[float]) -> bytes:
    values = array("d", hours)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _unpack(blob: bytes | None) -> array[float]:
    values = array("d")
    if blob:
        values.frombytes(blob)
        if sys.byteorder == "big":
            values.byteswap()
    return values


def _built(
    session: Session, span: str, first: date | None = None, last: date | None = None
) -> dict[date, datetime]:
    stmt = select(ReportRollupDay.day, ReportRollupDay.built_at).where(ReportRollupDay.span == span)
    if first is not None:
        stmt = stmt.where(ReportRollupDay.day >= first)
    if last is not None:
        stmt = stmt.where(ReportRollupDay.day <= last)
    return dict(session.execute(stmt).tuples().all())


def _changed(session: Session, span: str, built: dict[date, datetime]) -> set[date]:
    """The built days (or months) with a record of a report changed since (less the margin):
    the reports changed since the oldest stamp (through their ``updated_at`` index; few, as
    the job stamps the unchanged ones at every run), then their records."""
    if not built:
        return set()
    since = min(built.values()) - MARGIN
    changed_at = dict(
        session.execute(select(Report.id, Report.updated_at).where(Report.updated_at > since))
        .tuples()
        .all()
    )
    ids = sorted(changed_at)
    changed = set()
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(ReportAgencyRecord.report_id, ReportAgencyRecord.received_at).where(
                ReportAgencyRecord.report_id.in_(ids[i : i + 500])
            )
        ).tuples()
        for report_id, received_at in rows:
            key = _key(span, local_day(received_at))
            built_at = built.get(key)
            if built_at is not None and changed_at[report_id] > built_at - MARGIN:
                changed.add(key)
    return changed


def _clean(session: Session, span: str, first: date, last: date) -> set[date]:
    built = _built(session, span, first, last)
    return set(built) - _changed(session, span, built)


CleanSpans = Callable[[Session, str, date, date], set[date]]


def plan(
    session: Session, start: datetime, end: datetime, *, clean: CleanSpans = _clean
) -> tuple[list[tuple[str, date]], list[tuple[datetime, datetime]]]:
    """Split [start, end) into the built, unchanged months and days read from the roll-up,
    as (span, first day) in order, and the intervals counted live (merged, in order).
    ``clean(session, span, first, last)`` gives the built, unchanged spans of a roll-up (the
    agencies' by default; officer_rollup.py has its own)."""
    first = local_day(start)
    if day_start(first) < start:
        first += ONE_DAY
    last = local_day(end) - ONE_DAY  # the last day that may end by ``end``
    if first > last:
        return [], [(start, end)]
    months = clean(session, MONTH, _key(MONTH, first), last)
    days = clean(session, DAY, first, last)
    spans: list[tuple[str, date]] = []
    live: list[tuple[datetime, datetime]] = []
    cursor_day = first
    live_from: datetime | None = start if day_start(first) > start else None
    while cursor_day <= last:
        month_end = _next(MONTH, cursor_day)
        if cursor_day.day == 1 and cursor_day in months and month_end <= last + ONE_DAY:
            span, following = MONTH, month_end
        elif cursor_day in days:
            span, following = DAY, cursor_day + ONE_DAY
        else:
            if live_from is None:
                live_from = day_start(cursor_day)
            cursor_day += ONE_DAY
            continue
        if live_from is not None:
            live.append((live_from, day_start(cursor_day)))
            live_from = None
        spans.append((span, cursor_day))
        cursor_day = following
    end_of_last = day_start(last + ONE_DAY)
    if live_from is not None:
        live.append((live_from, max(end, end_of_last)))
    elif end_of_last < end:
        live.append((end_of_last, end))
    return spans, live


def add_spans(
    session: Session,
    tallies: dict[int, _Tally],
    spans: list[tuple[str, date]],
    *,
    now: datetime,
) -> None:
    """Add the roll-up rows of ``spans`` (built, unchanged) to ``tallies`` as of ``now``: the
    counts summed per agency in SQL, the working hours joined per agency and unpacked once,
    the open reports' deadlines passed at ``now`` counted as overdue."""
    if not spans:
        return
    chosen = []
    for span in (DAY, MONTH):
        keys = sorted(d for s, d in spans if s == span)
        for i in range(0, len(keys), 500):
            chosen.append(
                and_(ReportAgencyDay.span == span, ReportAgencyDay.day.in_(keys[i : i + 500]))
            )
    where = or_(*chosen)
    sums = [func.sum(getattr(ReportAgencyDay, name)) for name in COUNTS]
    rows = session.execute(
        select(ReportAgencyDay.agency_id, *sums).where(where).group_by(ReportAgencyDay.agency_id)
    ).tuples()
    for agency_id, *values in rows:
        tally = tallies[agency_id]
        for name, value in zip(COUNTS, values, strict=True):
            setattr(tally, name, getattr(tally, name) + (value or 0))
    blobs: dict[int, list[bytes]] = defaultdict(list)
    now_us = _micros(now)
    day = ReportAgencyDay
    for agency_id, hours, due, due_satisfied in session.execute(
        select(day.agency_id, day.hours, day.open_due, day.open_due_satisfied).where(
            where, or_(day.resolved != 0, day.open != 0)
        )
    ).tuples():
        if hours:
            blobs[agency_id].append(hours)
        if due:
            passed = bisect_left(_unpack_micros(due), now_us)
            tallies[agency_id].overdue_open += passed
        if due_satisfied:
            passed = bisect_left(_unpack_micros(due_satisfied), now_us)
            tallies[agency_id].late_or_unsatisfied += passed
    for agency_id, parts in blobs.items():
        tallies[agency_id].hours.extend(_unpack(b"".join(parts)))


def _micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def _pack_micros(values: list[int]) -> bytes:
    packed = array("q", sorted(values))
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _unpack_micros(blob: bytes) -> array[int]:
    values = array("q")
    values.frombytes(blob)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _add_open(
    session: Session, tallies: dict[int, _Tally], period: list[ColumnElement[bool]]
) -> dict[int, tuple[list[int], list[int]]]:
    """Add the open reports' records matching ``period`` to ``tallies`` as not overdue unless
    they are for good (`evaluation._overdue_sql`: waiting, the clock stopped past the deadline);
    return per agency the deadlines (µs) of the others within competence, all and those not
    rated unsatisfied, which the reader counts as overdue (and late) once passed."""
    rec = ReportAgencyRecord
    due = dl.current_due_sql()
    stopped = and_(Report.status == lc.WAITING, Report.paused_at.is_not(None))
    stmt = (
        select(
            rec.agency_id,
            rec.outcome,
            Report.status,
            Report.accepted_at.is_not(None).label("accepted"),
            _on_time_sql(Report.accepted_at, Report.accept_due_at).label("accepted_on_time"),
            Report.resolved_at.is_not(None).label("has_resolved_at"),
            and_(due.is_not(None), stopped, Report.paused_at > due).label("overdue"),
            Report.rating,
            (Report.reopen_count != 0).label("reopened"),
            case((~stopped, due)).label("clock_due"),
        )
        .join(Report, Report.id == rec.report_id)
        .where(*period, Report.status.in_(lc.OPEN))
    )
    dues: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for row in session.execute(stmt):
        group = SimpleNamespace(**row._mapping, n=1, resolved_on_time=False, seconds=None)
        _add(tallies[row.agency_id], group)
        within = row.outcome not in (TRANSFERRED, NOT_COMPETENT)
        if within and row.clock_due is not None:
            every, satisfied = dues[row.agency_id]
            every.append(_micros(row.clock_due))
            if row.rating is None or row.rating > UNSATISFIED_AT_MOST:
                satisfied.append(_micros(row.clock_due))
    return dues


def build(
    session: Session,
    span: str,
    firsts: Iterable[date],
    *,
    calendar: WorkCalendar | None = None,
) -> int:
    """(Re)build the roll-up rows of the days (or months) starting on ``firsts``; returns how
    many were built."""
    calendar = calendar or default_calendar(session)
    rec = ReportAgencyRecord
    built = 0
    for first in firsts:
        built_at = utcnow()
        a, b = day_start(first), day_start(_next(span, first))
        tallies: dict[int, _Tally] = defaultdict(_Tally)
        period = [rec.received_at >= a, rec.received_at < b]
        tally_live(
            session,
            tallies,
            [*period, Report.status.not_in(lc.OPEN)],
            now=built_at,
            calendar=calendar,
        )
        dues = _add_open(session, tallies, period)
        session.execute(
            delete(ReportAgencyDay).where(
                ReportAgencyDay.span == span, ReportAgencyDay.day == first
            )
        )
        session.execute(
            delete(ReportRollupDay).where(
                ReportRollupDay.span == span, ReportRollupDay.day == first
            )
        )
        for agency_id, tally in tallies.items():
            session.add(
                ReportAgencyDay(
                    span=span,
                    day=first,
                    agency_id=agency_id,
                    # Sorted: the medians sort a year of rows, and sorted runs merge fast.
                    hours=_pack(sorted(tally.hours)),
                    open_due=_pack_micros(dues[agency_id][0]) if agency_id in dues else b"",
                    open_due_satisfied=(
                        _pack_micros(dues[agency_id][1]) if agency_id in dues else b""
                    ),
                    **{name: getattr(tally, name) for name in COUNTS},
                )
            )
        session.add(ReportRollupDay(span=span, day=first, built_at=built_at))
        session.flush()
        built += 1
    return built


def build_days(
    session: Session, days: Iterable[date], *, calendar: WorkCalendar | None = None
) -> int:
    return build(session, DAY, days, calendar=calendar)


def refresh(
    session: Session,
    *,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
    limit: int | None = 120,
) -> int:
    """Build the days before today (local) and the months before this one that are not built
    or have changed since; at most ``limit`` of each per run (None: all, for a backfill).
    Returns how many days and months were built.

    The ones found unchanged are stamped as checked now, so that the readers' look for
    changes (`_changed`) covers only the reports changed since the last run."""
    checked_at = utcnow()
    now = now or checked_at
    first_at = session.scalar(select(func.min(ReportAgencyRecord.received_at)))
    if first_at is None:
        return 0
    calendar = calendar or default_calendar(session)
    today = local_day(now)
    done = 0
    for span in (DAY, MONTH):
        current = _key(span, today)
        built = _built(session, span, last=current - ONE_DAY)
        stale = _changed(session, span, built)
        todo = []
        key = _key(span, local_day(first_at))
        while key < current:
            if key not in built or key in stale:
                todo.append(key)
            key = _next(span, key)
        # The most recent first: they change most and are read most.
        todo.reverse()
        if limit is not None:
            todo = todo[:limit]
        session.execute(
            update(ReportRollupDay)
            .where(
                ReportRollupDay.span == span,
                ReportRollupDay.built_at < checked_at,
                ReportRollupDay.day.not_in(sorted(stale)),
            )
            .values(built_at=checked_at)
            .execution_options(synchronize_session=False)
        )
        done += build(session, span, todo, calendar=calendar)
    return done
