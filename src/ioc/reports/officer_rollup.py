"""The officer table's roll-up: per officer and local day of the standing resolution, the
counts of `evaluation.evaluate_officers`, so that a year over a million reports sums some
fifteen thousand rows instead of grouping 300 000 records.

How it stays exact (the discipline of rollup.py, which keeps the agencies' table):

- A day's rows are the live tally (`evaluation.tally_officers_live`) of the records whose
  standing resolution falls on that day; every figure is an integer, and the resolutions per
  agency are kept, so the officer's agency is chosen from the same counts.
- A month's rows are the sum of its day rows, built once every day of the month is built and
  unchanged; rebuilding a day drops its month until the job builds it again.
- A day or month is stamped when built and at every job run that finds it unchanged; a report
  whose ``updated_at`` is later (less the margin) sends back to live counting the day of its
  standing resolution and every day it was counted in while still resolved: a reopen followed
  by a new resolution moves ``resolved_at`` away from the day that counted it, so those days
  are kept (`ReportOfficerMark`). Closed reports cannot be reopened and stay where they are.
- Days not built, today, the edges of a period that does not start or end at local midnight
  and a filter by commune are counted live.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.reports import lifecycle as lc
from ioc.reports.evaluation import _OfficerTally, tally_officers_live
from ioc.reports.models import (
    Report,
    ReportAgencyRecord,
    ReportOfficerDay,
    ReportOfficerMark,
    ReportOfficerRollupDay,
)
from ioc.reports.rollup import (
    DAY,
    MARGIN,
    MONTH,
    ONE_DAY,
    _key,
    _next,
    day_start,
    local_day,
)
from ioc.reports.rollup import plan as _plan

COUNTS = ("resolved", "resolved_on_time", "reopened", "ratings", "rating_sum")
CHUNK = 500


def _days(first: date, end: date) -> list[date]:
    return [first + ONE_DAY * i for i in range((end - first).days)]


def _pack(agencies: dict[int, int]) -> bytes:
    """The agency of each resolution, one int32 each: summed by concatenation, and counted
    per officer in one pass (`collections.Counter` counts in C)."""
    values = array("i")
    for agency_id in sorted(agencies):
        values.extend([agency_id] * agencies[agency_id])
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _unpack(blob: bytes) -> array[int]:
    values = array("i")
    values.frombytes(blob)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _built(
    session: Session, span: str, first: date | None = None, last: date | None = None
) -> dict[date, datetime]:
    marker = ReportOfficerRollupDay
    stmt = select(marker.day, marker.built_at).where(marker.span == span)
    if first is not None:
        stmt = stmt.where(marker.day >= first)
    if last is not None:
        stmt = stmt.where(marker.day <= last)
    return dict(session.execute(stmt).tuples().all())


def _changed(session: Session, span: str, built: dict[date, datetime]) -> set[date]:
    """The built days (or months) a report changed since (less the margin) was or is counted
    in: the day of its standing resolution and the days it was counted in while resolved."""
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
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        rec = ReportAgencyRecord
        standing = session.execute(
            select(rec.report_id, rec.resolved_at).where(
                rec.report_id.in_(chunk), rec.resolved_at.is_not(None)
            )
        ).tuples()
        days = [(report_id, local_day(at)) for report_id, at in standing if at is not None]
        days += session.execute(
            select(ReportOfficerMark.report_id, ReportOfficerMark.day).where(
                ReportOfficerMark.report_id.in_(chunk)
            )
        ).tuples()
        for report_id, day in days:
            key = _key(span, day)
            built_at = built.get(key)
            if built_at is not None and changed_at[report_id] > built_at - MARGIN:
                changed.add(key)
    return changed


def _clean(session: Session, span: str, first: date, last: date) -> set[date]:
    built = _built(session, span, first, last)
    return set(built) - _changed(session, span, built)


def plan(
    session: Session, start: datetime, end: datetime
) -> tuple[list[tuple[str, date]], list[tuple[datetime, datetime]]]:
    """[start, end) as the built, unchanged months and days of resolution read from the
    roll-up, and the intervals counted live (`rollup.plan`)."""
    return _plan(session, start, end, clean=_clean)


def _where(spans: Iterable[tuple[str, date]]) -> list[ColumnElement[bool]]:
    chosen = []
    spans = list(spans)
    for span in (DAY, MONTH):
        keys = sorted(d for s, d in spans if s == span)
        for i in range(0, len(keys), CHUNK):
            chosen.append(
                and_(ReportOfficerDay.span == span, ReportOfficerDay.day.in_(keys[i : i + CHUNK]))
            )
    return chosen


def _sum_rows(
    session: Session, where: list[ColumnElement[bool]], tallies: dict[int, _OfficerTally]
) -> dict[int, bytes]:
    """Add the counts of the rows matching ``where`` to ``tallies``, summed per officer in
    SQL, and return the agency parts joined per officer (in SQL too: SQLite as hex text)."""
    o = ReportOfficerDay
    sums = [func.sum(getattr(o, name)) for name in COUNTS]
    hexed = session.get_bind().dialect.name != "postgresql"
    if hexed:
        joined = func.group_concat(func.hex(o.agencies), "")
    else:
        joined = func.string_agg(o.agencies, literal(b"", LargeBinary()))
    parts: dict[int, bytes] = {}
    for resolver_id, agencies, *values in session.execute(
        select(o.resolver_id, joined, *sums).where(*where).group_by(o.resolver_id)
    ).tuples():
        t = tallies[resolver_id]
        for name, value in zip(COUNTS, values, strict=True):
            setattr(t, name, getattr(t, name) + (value or 0))
        if agencies:
            parts[resolver_id] = bytes.fromhex(agencies) if hexed else bytes(agencies)
    return parts


def add_spans(
    session: Session, tallies: dict[int, _OfficerTally], spans: list[tuple[str, date]]
) -> None:
    """Add the roll-up rows of ``spans`` (built, unchanged) to ``tallies``."""
    if not spans:
        return
    parts = _sum_rows(session, [or_(*_where(spans))], tallies)
    for resolver_id, blob in parts.items():
        counts = Counter(_unpack(blob))
        agencies = tallies[resolver_id].agencies
        if not agencies:
            agencies.update(counts)
            continue
        for agency_id, n in counts.items():
            agencies[agency_id] = agencies.get(agency_id, 0) + n


def _write(
    session: Session,
    span: str,
    first: date,
    built_at: datetime,
    tallies: dict[int, _OfficerTally],
    packed: dict[int, bytes] | None = None,
) -> None:
    o, marker = ReportOfficerDay, ReportOfficerRollupDay
    session.execute(delete(o).where(o.span == span, o.day == first))
    session.execute(delete(marker).where(marker.span == span, marker.day == first))
    rows = [
        {
            "span": span,
            "day": first,
            "resolver_id": resolver_id,
            "agencies": packed.get(resolver_id, b"") if packed is not None else _pack(t.agencies),
            **{name: getattr(t, name) for name in COUNTS},
        }
        for resolver_id, t in tallies.items()
    ]
    if rows:
        session.execute(insert(o), rows)
    session.execute(insert(marker), [{"span": span, "day": first, "built_at": built_at}])


def build_day(session: Session, day: date) -> None:
    """(Re)build the rows of one local day of resolution and its marks; its month (built
    from the days) is dropped until the job builds it again."""
    built_at = utcnow()
    rec = ReportAgencyRecord
    period = [rec.resolved_at >= day_start(day), rec.resolved_at < day_start(day + ONE_DAY)]
    tallies: dict[int, _OfficerTally] = defaultdict(_OfficerTally)
    tally_officers_live(session, tallies, period)
    # The reports that may still be reopened and resolved again on another day.
    marked = session.scalars(
        select(rec.report_id)
        .join(Report, Report.id == rec.report_id)
        .where(*period, rec.resolver_id.is_not(None), Report.status == lc.RESOLVED)
        .distinct()
    ).all()
    _write(session, DAY, day, built_at, tallies)
    session.execute(delete(ReportOfficerMark).where(ReportOfficerMark.day == day))
    if marked:
        session.execute(insert(ReportOfficerMark), [{"day": day, "report_id": r} for r in marked])
    month = _key(MONTH, day)
    session.execute(
        delete(ReportOfficerDay).where(
            ReportOfficerDay.span == MONTH, ReportOfficerDay.day == month
        )
    )
    session.execute(
        delete(ReportOfficerRollupDay).where(
            ReportOfficerRollupDay.span == MONTH, ReportOfficerRollupDay.day == month
        )
    )


def build_month(session: Session, first: date, *, built_at: datetime) -> None:
    """(Re)build a month's rows as the sum of its day rows, which must all be built and
    unchanged as of ``built_at``."""
    o = ReportOfficerDay
    tallies: dict[int, _OfficerTally] = defaultdict(_OfficerTally)
    parts = _sum_rows(
        session, [o.span == DAY, o.day >= first, o.day < _next(MONTH, first)], tallies
    )
    _write(session, MONTH, first, built_at, tallies, parts)


def _restamp(session: Session, span: str, stale: set[date], checked_at: datetime) -> None:
    marker = ReportOfficerRollupDay
    session.execute(
        update(marker)
        .where(marker.span == span, marker.built_at < checked_at, marker.day.not_in(sorted(stale)))
        .values(built_at=checked_at)
        .execution_options(synchronize_session=False)
    )


def refresh(session: Session, *, now: datetime | None = None, limit: int | None = 120) -> int:
    """Build the days of resolution before today (local) that are not built or have changed
    since, at most ``limit`` per run (None: all, for a backfill), then the months before this
    one whose days are all built and unchanged. Returns how many days and months were built.

    The ones found unchanged are stamped as checked now, so that the readers' look for
    changes (`_changed`) covers only the reports changed since the last run."""
    checked_at = utcnow()
    now = now or checked_at
    first_at = session.scalar(select(func.min(ReportAgencyRecord.resolved_at)))
    if first_at is None:
        return 0
    today = local_day(now)
    first_day = local_day(first_at)

    built = _built(session, DAY, last=today - ONE_DAY)
    stale = _changed(session, DAY, built)
    due = [d for d in _days(first_day, today) if d not in built or d in stale]
    # The most recent first: they change most and are read most.
    due.reverse()
    todo = due if limit is None else due[:limit]
    _restamp(session, DAY, stale, checked_at)
    for day in todo:
        build_day(session, day)
    session.flush()
    # A month is built from its days once they are all built and unchanged.
    pending = {_key(MONTH, d) for d in due[len(todo) :]}

    current = _key(MONTH, today)
    months = _built(session, MONTH, last=current - ONE_DAY)
    stale_months = _changed(session, MONTH, months)
    _restamp(session, MONTH, stale_months, checked_at)
    done = len(todo)
    month = _key(MONTH, first_day)
    while month < current:
        if (month not in months or month in stale_months) and month not in pending:
            build_month(session, month, built_at=checked_at)
            done += 1
        month = _next(MONTH, month)
    session.flush()
    return done
