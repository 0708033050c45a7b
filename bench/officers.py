"""The year's scorecard (agencies and officers, `evaluation.evaluate` as /console/evaluation
calls it) live and from the roll-ups, on a database that `bench/gen_reports.py` filled:

    .venv/bin/python bench/officers.py --sqlite DATA_DIR/ioc.sqlite3 [--runs 9]
    .venv/bin/python bench/officers.py --postgres postgresql://postgres@127.0.0.1:5432/NAME

1. Creates the officer roll-up's tables and the agencies' roll-up columns for open reports if
   missing (until their migration; the agencies' days are then built again), backfills both
   roll-ups (timed), runs the job once (as it runs every five minutes), timed, and ANALYZEs
   the roll-up tables.
2. For the page's period (the last 365 days to the end of today, UTC) and a rolling 365 days:
   the officers' table, the agencies' table and the whole scorecard, live and from the
   roll-ups alternately in one process, asserting equal results; median and p95 of the wall
   time, and the median CPU time of the process (the machine is shared: CPU time is what the
   work costs, the wall time adds the wait for a core).
3. The page's scorecard from the roll-ups alone (no live run in between to evict caches).
4. One resolved report is reopened and resolved again today by another officer: the
   scorecard with its two days counted live, then the job's run that rebuilds them.
Writes to the database (the roll-ups, one changed report): use a bench copy.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, inspect, select, text, update

import ioc.modules
from ioc.db import Base, Database, utcnow
from ioc.reports import evaluation, officer_rollup, rollup
from ioc.reports import lifecycle as lc
from ioc.reports.models import (
    Report,
    ReportAgencyDay,
    ReportAgencyRecord,
    ReportOfficerDay,
    ReportOfficerMark,
    ReportOfficerRollupDay,
    ReportRollupDay,
)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):7.1f} ms, p95 {p95:7.1f} ms"


def _timed(db: Database, fn: Callable[[Any], Any]) -> tuple[float, float, Any]:
    """(wall ms, CPU ms, result) of ``fn(session)``."""
    with db.session(write=False) as s:
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(s)
        return 1000 * (time.perf_counter() - t0), 1000 * (time.process_time() - c0), result


def _job(db: Database) -> str:
    t0 = time.perf_counter()
    with db.session() as s:
        agencies = rollup.refresh(s)
        officers = officer_rollup.refresh(s)
    ms = 1000 * (time.perf_counter() - t0)
    return f"job run: {agencies} agency and {officers} officer days/months built in {ms:.0f} ms"


def _compare(db: Database, label: str, runs: int, fn: Callable[[Any, bool], Any]) -> None:
    wall: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    results: dict[bool, Any] = {}
    for i in range(2 * runs):
        use = i % 2 == 1

        def run(s: Any, use: bool = use) -> Any:
            return fn(s, use)

        ms, cpu_ms, results[use] = _timed(db, run)
        wall[use].append(ms)
        cpu[use].append(cpu_ms)
        if use:
            assert results[True] == results[False], f"{label}: the roll-up differs from live"
    for use, name in ((False, "live"), (True, "roll-up")):
        print(
            f"{label:26} {name:7} wall {_ms(wall[use])}, "
            f"CPU median {statistics.median(cpu[use]):7.1f} ms (n={runs})"
        )
    ratio = statistics.median(wall[True]) / statistics.median(wall[False])
    print(f"{label:26} ratio of the medians roll-up / live {ratio:.3f}")


def _add_open_columns(db: Database) -> None:
    """Until their migration: the agencies' roll-up columns for open reports, and every day
    to be built again with them."""
    have = {c["name"] for c in inspect(db.engine).get_columns("report_agency_days")}
    table = ReportAgencyDay.__table__
    missing = [c for c in table.columns if c.name not in have]
    if not missing:
        return
    with db.engine.begin() as conn:
        for column in missing:
            kind = column.type.compile(dialect=db.engine.dialect)
            default = " NOT NULL DEFAULT 0" if column.server_default is not None else ""
            conn.execute(
                text(f'ALTER TABLE report_agency_days ADD COLUMN "{column.name}" {kind}{default}')
            )
        conn.execute(delete(ReportRollupDay))
    print(f"added {', '.join(c.name for c in missing)} to report_agency_days; rebuilding")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", help="DATA_DIR/ioc.sqlite3 of a bench copy")
    where.add_argument("--postgres", help="postgresql://postgres@127.0.0.1:5432/NAME")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--skip-change", action="store_true", help="skip step 4")
    args = parser.parse_args()
    ioc.modules.installed_modules()
    if args.sqlite:
        db = Database(f"sqlite:///{args.sqlite}")
    else:
        db = Database(args.postgres.replace("postgresql://", "postgresql+psycopg://", 1))
    tables = (
        ReportAgencyDay,
        ReportRollupDay,
        ReportOfficerDay,
        ReportOfficerRollupDay,
        ReportOfficerMark,
    )
    Base.metadata.create_all(db.engine, tables=[t.__table__ for t in tables])
    _add_open_columns(db)
    t0 = time.perf_counter()
    with db.session() as s:
        built = rollup.refresh(s, limit=None)
    print(f"agencies' backfill: {built} days and months in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with db.session() as s:
        built = officer_rollup.refresh(s, limit=None)
    print(f"officers' backfill: {built} days and months in {time.perf_counter() - t0:.1f} s")
    print(_job(db))
    # Fresh tables have no statistics until autovacuum (PostgreSQL) or ANALYZE gives them.
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"ANALYZE {table.__tablename__}"))

    now = datetime.now(UTC)
    end_day = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    periods = {
        "page (365 d)": (end_day - timedelta(days=365), end_day),
        "rolling 365 d": (now - timedelta(days=365), now),
    }
    for label, (start, end) in periods.items():

        def officers(s: Any, use: bool, start: datetime = start, end: datetime = end) -> Any:
            return evaluation.evaluate_officers(s, start=start, end=end, use_rollup=use)

        def agencies(s: Any, use: bool, start: datetime = start, end: datetime = end) -> Any:
            return evaluation.evaluate_agencies(s, start=start, end=end, now=now, use_rollup=use)

        def scorecard(s: Any, use: bool, start: datetime = start, end: datetime = end) -> Any:
            return evaluation.evaluate(s, start=start, end=end, now=now, use_rollup=use)

        _compare(db, f"{label}: officers", args.runs, officers)
        _compare(db, f"{label}: agencies", args.runs, agencies)
        _compare(db, f"{label}: scorecard", args.runs, scorecard)
    # The roll-up alone: no live query of a year evicting the caches between runs.
    start, end = periods["page (365 d)"]
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(args.runs):
        ms, cpu_ms, _result = _timed(
            db, lambda s: evaluation.evaluate(s, start=start, end=end, now=now)
        )
        wall.append(ms)
        cpu.append(cpu_ms)
    print(
        f"{'page (365 d): scorecard':26} roll-up alone, wall {_ms(wall)}, "
        f"CPU median {statistics.median(cpu):7.1f} ms (n={args.runs})"
    )
    if args.skip_change:
        return

    # A resolved report is reopened and answered again today by another officer.
    with db.session() as s:
        record = s.scalars(
            select(ReportAgencyRecord)
            .join(Report, Report.id == ReportAgencyRecord.report_id)
            .where(Report.status == lc.RESOLVED, ReportAgencyRecord.resolver_id.is_not(None))
            .order_by(ReportAgencyRecord.resolved_at)
            .limit(1)
        ).one()
        at = utcnow()
        print(f"re-resolved: report {record.report_id}, from {record.resolved_at} to {at}")
        record.resolved_at = at
        record.resolver_id = (record.resolver_id or 0) + 1
        s.execute(
            update(Report)
            .where(Report.id == record.report_id)
            .values(resolved_at=at, reopen_count=Report.reopen_count + 1, updated_at=at)
        )
    times: list[float] = []
    for _ in range(args.runs):
        ms, _cpu, rolled = _timed(
            db, lambda s: evaluation.evaluate(s, start=start, end=end, now=now)
        )
        times.append(ms)
    _ms_live, _cpu, live = _timed(
        db, lambda s: evaluation.evaluate(s, start=start, end=end, now=now, use_rollup=False)
    )
    assert rolled == live
    with db.session(write=False) as s:
        _spans, live_days = officer_rollup.plan(s, start, end)
    print(f"scorecard, its days counted live ({len(live_days)} live intervals): {_ms(times)}")
    print(_job(db))


if __name__ == "__main__":
    main()
