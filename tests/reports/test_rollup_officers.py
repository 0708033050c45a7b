"""The officer table's roll-up (officer_rollup.py) gives the very figures of the live query:
on seeded random resolutions, over periods aligned to local days and not, after a new
resolution moved a report to another day, and after other changes, before and after the job."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.kit.workdays import VIETNAM_TZ
from ioc.reports import lifecycle as lc
from ioc.reports import officer_rollup
from ioc.reports.evaluation import OfficerScore, evaluate_officers
from ioc.reports.models import (
    Category,
    Report,
    ReportAgencyRecord,
    ReportOfficerDay,
    ReportOfficerMark,
    ReportOfficerRollupDay,
)
from ioc.reports.rollup import MARGIN, day_start, local_day
from ioc.reports.seed import seed_categories

FIRST = datetime(2026, 2, 20, tzinfo=VIETNAM_TZ)
DAYS = 40
NOW = datetime(2026, 4, 10, 9, 30, tzinfo=VIETNAM_TZ)
OFFICERS = range(900_001, 900_009)
STATUSES = [
    *sorted(lc.OPEN),
    lc.RESOLVED,
    lc.RESOLVED,
    lc.CLOSED,
    lc.CLOSED,
    lc.CLOSED,
    lc.CLOSED_UNFIXED,
]


def _fill(session: Session, seed: int, n: int = 700) -> None:
    """Reports received over DAYS days; the resolved and closed ones (and some reopened or
    closed without a fix after an answer) carry a standing resolution on their last record."""
    rng = random.Random(seed)
    seed_categories(session)
    category = session.scalar(select(Category).where(Category.code == "road.pothole"))
    assert category is not None
    agencies = session.scalars(select(Agency.id).order_by(Agency.id).limit(5)).all()
    for i in range(n):
        received = FIRST + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
        status = rng.choice(STATUSES)
        resolved_at = None
        if status in (lc.RESOLVED, lc.CLOSED) or rng.random() < 0.2:
            resolved_at = received + timedelta(hours=rng.uniform(0.5, 300))
        report = Report(
            code=f"PA-2026-8{seed:02d}{i:04d}",
            category_id=category.id,
            description="Đèn đường không sáng",
            status=status,
            agency_id=rng.choice(agencies),
            submitted_at=received,
            resolve_due_at=(
                received + timedelta(hours=rng.uniform(10, 150)) if rng.random() < 0.9 else None
            ),
            resolved_at=resolved_at,
            reopen_count=rng.choice([0, 0, 0, 1]),
            rating=rng.choice([None, None, 1, 2, 3, 4, 5]),
            updated_at=received,  # changed long before the roll-up is built
        )
        session.add(report)
        session.flush()
        holders = [rng.choice(agencies)]
        if rng.random() < 0.2:
            holders.insert(0, rng.choice(agencies))
        for k, agency_id in enumerate(holders):
            last = k == len(holders) - 1
            standing = last and resolved_at is not None and rng.random() < 0.95
            session.add(
                ReportAgencyRecord(
                    report_id=report.id,
                    agency_id=agency_id,
                    received_at=received + timedelta(hours=k),
                    outcome="" if last else "transferred",
                    resolved_at=resolved_at if standing else None,
                    resolver_id=rng.choice(OFFICERS) if standing else None,
                )
            )
    session.flush()


def _both(session: Session, start: datetime, end: datetime) -> list[OfficerScore]:
    live = evaluate_officers(session, start=start, end=end, use_rollup=False)
    rolled = evaluate_officers(session, start=start, end=end)
    assert live, "no resolution in the period"
    assert rolled == live
    return rolled


def _refresh(session: Session, limit: int | None = None) -> int:
    return officer_rollup.refresh(session, now=NOW, limit=limit)


PERIODS = [
    (FIRST, FIRST + timedelta(days=DAYS)),
    (FIRST + timedelta(days=3), FIRST + timedelta(days=17)),
    # Not at local midnight: the edges are counted live.
    (FIRST + timedelta(days=2, hours=5, minutes=7), FIRST + timedelta(days=31, hours=13)),
    # Beyond the data on both sides, with the whole of March read from its month row.
    (FIRST - timedelta(days=10), NOW + timedelta(days=3)),
    (FIRST + timedelta(days=4, hours=2), FIRST + timedelta(days=4, hours=20)),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_officer_rollup_gives_the_live_figures(seeded: Session, seed: int) -> None:
    _fill(seeded, seed)
    assert _refresh(seeded)
    spans, live = officer_rollup.plan(seeded, *PERIODS[3])
    assert ("month", date(2026, 3, 1)) in spans
    assert ("day", date(2026, 3, 2)) not in spans
    assert ("day", date(2026, 2, 27)) in spans
    # Today (local, by the job's clock) is never built: it is counted live.
    assert any(a <= day_start(local_day(NOW)) < b for a, b in live)
    assert seeded.scalar(select(func.count()).select_from(ReportOfficerDay)) > 0
    for start, end in PERIODS:
        _both(seeded, start, end)
    # A commune's table is always live, and the same with or without the roll-up.
    assert evaluate_officers(seeded, start=PERIODS[0][0], end=PERIODS[0][1], area_code="x") == []


def _standing(session: Session, status: str) -> ReportAgencyRecord:
    record = session.scalars(
        select(ReportAgencyRecord)
        .join(Report, Report.id == ReportAgencyRecord.report_id)
        .where(
            Report.status == status,
            ReportAgencyRecord.resolver_id.is_not(None),
            ReportAgencyRecord.resolved_at < FIRST + timedelta(days=10),
        )
        .order_by(ReportAgencyRecord.id)
    ).first()
    assert record is not None and record.resolved_at is not None
    return record


def test_a_new_resolution_counts_live_on_both_days_until_they_are_rebuilt(
    seeded: Session,
) -> None:
    _fill(seeded, 7, n=400)
    _refresh(seeded)
    period = PERIODS[3]
    record = _standing(seeded, lc.RESOLVED)
    old_at = record.resolved_at
    assert old_at is not None
    old_day = local_day(old_at)
    # Still resolved: it may be reopened, so the day that counted it is kept.
    assert seeded.scalar(
        select(func.count())
        .select_from(ReportOfficerMark)
        .where(ReportOfficerMark.report_id == record.report_id, ReportOfficerMark.day == old_day)
    )
    before = _both(seeded, *period)
    # Reopened, transferred and resolved again by another officer of another agency three
    # weeks later, as service.resolve records it: the old record loses the resolution.
    new_at = old_at + timedelta(days=21)
    new_day = local_day(new_at)
    other_agency = seeded.scalar(
        select(Agency.id).where(Agency.id != record.agency_id).order_by(Agency.id)
    )
    assert other_agency is not None
    seeded.execute(
        update(ReportAgencyRecord)
        .where(ReportAgencyRecord.id == record.id)
        .values(resolved_at=None, resolver_id=None, outcome="transferred")
    )
    seeded.add(
        ReportAgencyRecord(
            report_id=record.report_id,
            agency_id=other_agency,
            received_at=old_at + timedelta(days=20),
            resolved_at=new_at,
            resolver_id=OFFICERS[0] + 100,
        )
    )
    seeded.execute(
        update(Report)
        .where(Report.id == record.report_id)
        .values(
            agency_id=other_agency,
            resolved_at=new_at,
            reopen_count=Report.reopen_count + 1,
            updated_at=utcnow(),
        )
    )
    seeded.flush()
    spans, live = officer_rollup.plan(seeded, *PERIODS[0])
    for day in (old_day, new_day):
        assert ("day", day) not in spans
        assert any(a <= day_start(day) < b for a, b in live)
    after = _both(seeded, *period)
    assert after != before
    assert any(o.user_id == OFFICERS[0] + 100 for o in after)
    # Over the month of either day, its month row is not read.
    for day in (old_day, new_day):
        month = day.replace(day=1)
        spans, _live = officer_rollup.plan(
            seeded, day_start(month), day_start((month + timedelta(days=32)).replace(day=1))
        )
        assert ("month", month) not in spans
    for start, end in PERIODS:
        _both(seeded, start, end)
    # The job rebuilds both days, and their months once all their days are built.
    assert _refresh(seeded) >= 2
    assert seeded.scalar(
        select(ReportOfficerRollupDay.built_at).where(
            ReportOfficerRollupDay.span == "month", ReportOfficerRollupDay.day == date(2026, 3, 1)
        )
    )
    assert _both(seeded, *period) == after
    # Changes within the margin before a build still count live; once it has passed, the
    # rebuilt days and month are read.
    seeded.execute(
        update(Report)
        .where(Report.id == record.report_id)
        .values(updated_at=utcnow() - MARGIN - timedelta(minutes=1))
    )
    spans, live = officer_rollup.plan(seeded, *period)
    assert ("month", date(2026, 3, 1)) in spans
    assert not any(a <= day_start(old_day) < b for a, b in live)
    assert _both(seeded, *period) == after
    assert not seeded.scalar(
        select(func.count())
        .select_from(ReportOfficerMark)
        .where(ReportOfficerMark.report_id == record.report_id, ReportOfficerMark.day == old_day)
    )


def test_a_rated_closed_report_counts_live_until_its_day_is_rebuilt(seeded: Session) -> None:
    _fill(seeded, 8, n=400)
    _refresh(seeded)
    record = _standing(seeded, lc.CLOSED)
    assert record.resolved_at is not None
    day = local_day(record.resolved_at)
    period = PERIODS[0]
    before = _both(seeded, *period)
    seeded.execute(
        update(Report)
        .where(Report.id == record.report_id)
        .values(rating=1, reopen_count=3, updated_at=utcnow())
    )
    spans, _live = officer_rollup.plan(seeded, *period)
    assert ("day", day) not in spans
    after = _both(seeded, *period)
    assert after != before
    assert _refresh(seeded) >= 1
    seeded.execute(
        update(Report)
        .where(Report.id == record.report_id)
        .values(updated_at=utcnow() - MARGIN - timedelta(minutes=1))
    )
    assert ("day", day) in officer_rollup.plan(seeded, *period)[0]
    assert _both(seeded, *period) == after


def test_a_reopened_report_leaves_the_table_at_once(seeded: Session) -> None:
    _fill(seeded, 9, n=400)
    _refresh(seeded)
    record = _standing(seeded, lc.RESOLVED)
    period = PERIODS[0]
    before = {o.user_id: o.resolved for o in _both(seeded, *period)}
    seeded.execute(
        update(Report)
        .where(Report.id == record.report_id)
        .values(status=lc.REOPENED, reopen_count=Report.reopen_count + 1, updated_at=utcnow())
    )
    after = {o.user_id: o.resolved for o in _both(seeded, *period)}
    assert record.resolver_id is not None
    assert after.get(record.resolver_id, 0) == before[record.resolver_id] - 1


def test_the_job_builds_a_bounded_number_of_days_per_run(seeded: Session) -> None:
    _fill(seeded, 4, n=300)
    assert _refresh(seeded, limit=5) == 5
    built = seeded.scalars(
        select(ReportOfficerRollupDay.day).where(ReportOfficerRollupDay.span == "day")
    ).all()
    # The most recent days first; no month while some of its days are not built.
    assert max(built) == local_day(NOW) - timedelta(days=1)
    assert not seeded.scalar(
        select(func.count())
        .select_from(ReportOfficerRollupDay)
        .where(ReportOfficerRollupDay.span == "month")
    )
    for start, end in PERIODS:
        _both(seeded, start, end)
    while _refresh(seeded, limit=20):
        pass
    assert seeded.scalar(
        select(func.count())
        .select_from(ReportOfficerRollupDay)
        .where(ReportOfficerRollupDay.span == "month")
    )
    assert ("month", date(2026, 3, 1)) in officer_rollup.plan(seeded, *PERIODS[3])[0]
    for start, end in PERIODS:
        _both(seeded, start, end)
