"""The evaluation's roll-up (rollup.py) gives the very figures of the live query: on seeded
random reports, over periods aligned to local days and not, before and after changes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.kit.workdays import VIETNAM_TZ, WorkCalendar
from ioc.reports import lifecycle as lc
from ioc.reports import rollup
from ioc.reports.evaluation import AgencyScore, evaluate_agencies
from ioc.reports.models import (
    Category,
    Report,
    ReportAgencyDay,
    ReportAgencyRecord,
    ReportRollupDay,
)
from ioc.reports.seed import seed_categories

CALENDAR = WorkCalendar(overrides={})
FIRST = datetime(2026, 2, 20, tzinfo=VIETNAM_TZ)
DAYS = 30
NOW = datetime(2026, 3, 25, 9, 30, tzinfo=VIETNAM_TZ)
STATUSES = [
    *sorted(lc.OPEN),
    lc.RESOLVED,
    lc.RESOLVED,
    lc.CLOSED,
    lc.CLOSED,
    lc.CLOSED_UNFIXED,
    lc.REJECTED,
    lc.DUPLICATE,
]


def _maybe(rng: random.Random, p: float, value: datetime) -> datetime | None:
    return value if rng.random() < p else None


def _fill(session: Session, seed: int, n: int = 600) -> None:
    rng = random.Random(seed)
    seed_categories(session)
    category = session.scalar(select(Category).where(Category.code == "road.pothole"))
    assert category is not None
    agencies = session.scalars(select(Agency.id).order_by(Agency.id).limit(6)).all()
    for i in range(n):
        received = FIRST + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
        status = rng.choice(STATUSES)
        resolved_at = None
        if status in (lc.RESOLVED, lc.CLOSED) or rng.random() < 0.1:
            resolved_at = received + timedelta(hours=rng.uniform(0.5, 200))
        report = Report(
            code=f"PA-2026-9{seed:02d}{i:04d}",
            category_id=category.id,
            description="Ổ gà lớn giữa đường",
            status=status,
            agency_id=rng.choice(agencies),
            submitted_at=received,
            accept_due_at=_maybe(rng, 0.9, received + timedelta(hours=rng.uniform(1, 30))),
            accepted_at=_maybe(rng, 0.7, received + timedelta(hours=rng.uniform(0.1, 40))),
            resolve_due_at=_maybe(rng, 0.9, received + timedelta(hours=rng.uniform(10, 150))),
            resolved_at=resolved_at,
            paused_at=_maybe(rng, 0.1, received + timedelta(hours=rng.uniform(1, 100))),
            reopen_count=rng.choice([0, 0, 0, 1, 2]),
            rating=rng.choice([None, None, 1, 2, 3, 4, 5]),
            # Changed long before the roll-up is built.
            updated_at=received,
        )
        session.add(report)
        session.flush()
        holders = [rng.choice(agencies)]
        if rng.random() < 0.2:
            holders.insert(0, rng.choice(agencies))
        for k, agency_id in enumerate(holders):
            last = k == len(holders) - 1
            outcome = "transferred" if not last else rng.choice(["", "", "", "not_competent"])
            seconds = None
            if resolved_at is not None and rng.random() < 0.8:
                seconds = rng.randrange(60, 400_000)
            session.add(
                ReportAgencyRecord(
                    report_id=report.id,
                    agency_id=agency_id,
                    received_at=received + timedelta(hours=3 * k),
                    outcome=outcome,
                    resolve_working_seconds=seconds,
                )
            )
    session.flush()


def _both(session: Session, start: datetime, end: datetime, now: datetime = NOW) -> None:
    kwargs = {"start": start, "end": end, "now": now, "calendar": CALENDAR, "min_volume": 5}
    live = evaluate_agencies(session, use_rollup=False, **kwargs)  # type: ignore[arg-type]
    rolled = evaluate_agencies(session, **kwargs)  # type: ignore[arg-type]
    assert live, "no data in the period"
    assert rolled == live


PERIODS = [
    (FIRST, FIRST + timedelta(days=DAYS)),
    (FIRST + timedelta(days=3), FIRST + timedelta(days=17)),
    # Not at local midnight: the edges are counted live.
    (FIRST + timedelta(days=2, hours=5, minutes=7), FIRST + timedelta(days=21, hours=13)),
    (FIRST - timedelta(days=10), FIRST + timedelta(days=60)),
    (FIRST + timedelta(days=4, hours=2), FIRST + timedelta(days=4, hours=20)),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_gives_the_live_figures(seeded: Session, seed: int) -> None:
    _fill(seeded, seed)
    assert rollup.refresh(seeded, now=NOW + timedelta(days=30), calendar=CALENDAR, limit=None)
    spans, live = rollup.plan(seeded, *PERIODS[0])
    assert spans == [("day", FIRST.date() + timedelta(days=i)) for i in range(DAYS)]
    assert live == []
    # A whole month (March 2026) is read from its month row, the days around it from theirs.
    spans, live = rollup.plan(seeded, *PERIODS[3])
    assert ("month", datetime(2026, 3, 1).date()) in spans
    assert ("day", datetime(2026, 3, 2).date()) not in spans
    assert ("day", datetime(2026, 2, 27).date()) in spans
    assert seeded.scalar(select(func.count()).select_from(ReportAgencyDay)) > 0
    for start, end in PERIODS:
        _both(seeded, start, end)
        _both(seeded, start, end, now=NOW + timedelta(days=40))


def test_a_changed_report_counts_live_until_its_day_is_rebuilt(seeded: Session) -> None:
    _fill(seeded, 7, n=300)
    rollup.refresh(seeded, now=NOW + timedelta(days=30), calendar=CALENDAR, limit=None)
    period = PERIODS[0]
    record = seeded.scalars(
        select(ReportAgencyRecord)
        .join(Report, Report.id == ReportAgencyRecord.report_id)
        .where(Report.status == lc.RESOLVED)
        .order_by(ReportAgencyRecord.id)
    ).first()
    assert record is not None
    before = evaluate_agencies(seeded, start=period[0], end=period[1], now=NOW, calendar=CALENDAR)
    # Reopened: the change sets updated_at, as every change of a report does.
    seeded.execute(
        update(Report)
        .where(Report.id == record.report_id)
        .values(status=lc.REOPENED, reopen_count=Report.reopen_count + 1, updated_at=utcnow())
    )
    day = rollup.local_day(record.received_at)
    spans, live = rollup.plan(seeded, *period)
    assert ("day", day) not in spans
    assert any(a <= rollup.day_start(day) < b for a, b in live)
    _both(seeded, *period)
    # Over a whole month, the changed month is read from its unchanged days and the live day.
    month = (rollup.day_start(day.replace(day=1)), rollup.day_start(day.replace(day=28)))
    _both(seeded, *month)
    _both(seeded, *PERIODS[3])
    after = evaluate_agencies(seeded, start=period[0], end=period[1], now=NOW, calendar=CALENDAR)
    assert after != before
    # The job rebuilds the day; the figures stay the same.
    assert rollup.refresh(seeded, now=NOW + timedelta(days=30), calendar=CALENDAR) >= 1
    built_at = seeded.scalar(select(ReportRollupDay.built_at).where(ReportRollupDay.day == day))
    assert built_at is not None
    _both(seeded, *period)


def test_an_open_report_in_the_rollup_is_overdue_once_its_deadline_has_passed(
    seeded: Session,
) -> None:
    _fill(seeded, 5, n=200)
    category = seeded.scalar(select(Category).where(Category.code == "road.pothole"))
    agency = seeded.scalar(select(Agency.id).order_by(Agency.id.desc()))
    assert category is not None and agency is not None
    received = FIRST + timedelta(days=2, hours=3)
    due = received + timedelta(hours=20, microseconds=7)
    open_reports = {
        # Its clock runs: overdue once the deadline has passed, and late.
        "PA-2026-990001": {"status": lc.SUBMITTED, "accept_due_at": due},
        # Waiting for the citizen, asked after the deadline: overdue for good.
        "PA-2026-990002": {
            "status": lc.WAITING,
            "accept_due_at": received + timedelta(hours=1),
            "paused_at": received + timedelta(hours=2),
        },
        # Waiting, asked before the deadline: never overdue while it waits.
        "PA-2026-990003": {
            "status": lc.WAITING,
            "accept_due_at": due,
            "paused_at": received + timedelta(hours=2),
        },
        # Rated unsatisfied before it was reopened: late or unsatisfied counts it once.
        "PA-2026-990004": {
            "status": lc.REOPENED,
            "accepted_at": received,
            "resolve_due_at": due,
            "rating": 1,
            "reopen_count": 1,
        },
    }
    for code, values in open_reports.items():
        report = Report(
            code=code,
            category_id=category.id,
            description="Cống bị tắc",
            agency_id=agency,
            submitted_at=received,
            updated_at=received,
            **values,
        )
        seeded.add(report)
        seeded.flush()
        seeded.add(ReportAgencyRecord(report_id=report.id, agency_id=agency, received_at=received))
    seeded.flush()
    rollup.refresh(seeded, now=NOW, calendar=CALENDAR, limit=None)
    period = (FIRST, FIRST + timedelta(days=DAYS))
    spans, _live = rollup.plan(seeded, *period)
    assert ("day", rollup.local_day(received)) in spans

    def ours(now: datetime) -> AgencyScore:
        kwargs = {"start": period[0], "end": period[1], "now": now, "calendar": CALENDAR}
        live = evaluate_agencies(seeded, use_rollup=False, **kwargs)  # type: ignore[arg-type]
        rolled = evaluate_agencies(seeded, **kwargs)  # type: ignore[arg-type]
        assert rolled == live
        return next(s for s in rolled if s.agency_id == agency)

    at_deadline, after = ours(due), ours(due + timedelta(microseconds=1))
    assert after.overdue_open == at_deadline.overdue_open + 2
    assert after.open == at_deadline.open
    # The unsatisfied one was late or unsatisfied already: only the other one adds.
    late_at_deadline = at_deadline.within_competence * (1 - at_deadline.ratio_satisfied_on_time)
    late_after = after.within_competence * (1 - after.ratio_satisfied_on_time)
    assert round(late_after - late_at_deadline) == 1
