"""In-process measurements behind bench/README.md's "Reports" figures, on a database that
`bench/gen_reports.py` filled (no server, no wrk):

    .venv/bin/python bench/reports_inprocess.py --sqlite DATA_DIR/ioc.sqlite3 intake [N]
    .venv/bin/python bench/reports_inprocess.py --sqlite DATA_DIR/ioc.sqlite3 list [N]
    .venv/bin/python bench/reports_inprocess.py --sqlite DATA_DIR/ioc.sqlite3 scorecard [N]

- intake: CPU and wall time per report of the Open311 unit of work (api_key check in its own
  read session, then submit_form and the commit), then a cProfile of 200 more.
- list: the Open311 list (query, documents, JSON) of the last 30 days, open, for the 8
  commonest categories, loading whole ORM rows and public columns alternately (A/B in one run).
- scorecard: evaluate_agencies and evaluate_officers over the last 365 days, and the plan of
  the agencies' GROUP BY.
- rollup: creates the roll-up tables and the new indexes if missing, backfills the roll-up
  (timed), then the year's agencies scorecard live (the baseline) and from the roll-up,
  alternated in one run, checking that both give the same figures; then one changed report
  (its day counted live) and the job's rebuild.
Writes to the database (intake adds reports): use a bench copy.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from starlette.datastructures import FormData

import ioc.modules
from ioc.db import Database
from ioc.kit import auth
from ioc.kit.i18n import translator
from ioc.reports import evaluation, open311, queries
from ioc.reports import lifecycle as lc
from ioc.reports import open311_render as render
from ioc.reports.models import Report


def intake(db: Database, n: int) -> None:
    with db.session() as s:
        _, key = auth.create_api_token(s, name="bench in-process", scopes=["open311.submit"])

    def one(i: int) -> None:
        data = FormData(
            [
                ("api_key", key),
                ("service_code", "road.pothole"),
                ("attribute[size]", "large"),
                ("lat", f"{21.59 + random.uniform(-0.02, 0.02):.5f}"),
                ("long", f"{105.85 + random.uniform(-0.02, 0.02):.5f}"),
                ("description", f"Ổ gà số {i} giữa đường"),
            ]
        )
        actor, _touch = open311._checked_key(db, key)
        with db.session() as s:
            open311.submit_form(s, actor, data, idempotency_key=None)

    for i in range(50):  # warm the caches
        one(i)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        one(i)
    print(
        f"{n} reports: CPU {1000 * (time.process_time() - cpu) / n:.2f} ms/report, "
        f"wall {1000 * (time.perf_counter() - wall) / n:.2f} ms/report"
    )
    profile = cProfile.Profile()
    profile.enable()
    for i in range(200):
        one(i)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(r"ioc/(reports|kit|db)", 25)


def list_ab(db: Database, n: int) -> None:
    now = datetime.now(UTC)
    with db.session(write=False) as s:
        categories = list(
            s.scalars(
                select(Report.category_id)
                .group_by(Report.category_id)
                .order_by(func.count().desc())
                .limit(8)
            )
        )
    ctx = render.Context("vi", ZoneInfo("Asia/Ho_Chi_Minh"), "http://bench", translator("vi"))

    def one(public_columns: bool, category_id: int) -> tuple[float, int]:
        f = queries.ReportFilter(
            category_ids=[category_id],
            statuses=sorted(lc.OPEN),
            submitted_from=now - timedelta(days=30),
            submitted_to=now,
        )
        with db.session(write=False) as s:
            started = time.perf_counter()
            rows = queries.list_reports(
                s, f, limit=1000, public_columns=public_columns, with_attributes=False
            )
            render.respond("json", "service_requests", open311._documents(s, ctx, rows, False))
            return (time.perf_counter() - started) * 1000, len(rows)

    results: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    for i in range(n):
        category_id = categories[i % len(categories)]
        for lean in (True, False) if i % 2 else (False, True):
            results[lean].append(one(lean, category_id))
    for lean in (False, True):
        ms = sorted(x[0] for x in results[lean])
        print(
            f"{'public columns' if lean else 'whole rows    '} p50 {statistics.median(ms):.1f} ms"
            f"  p95 {ms[int(0.95 * len(ms))]:.1f} ms"
            f"  rows per page (median) {statistics.median(x[1] for x in results[lean]):.0f}"
        )


def scorecard(db: Database, n: int) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(days=365)
    statements: list[tuple[str, Any]] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _keep(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    for _ in range(n):
        with db.session(write=False) as s:
            t0 = time.perf_counter()
            agencies = evaluation.evaluate_agencies(s, start=start, end=now, now=now)
            t1 = time.perf_counter()
            officers = evaluation.evaluate_officers(s, start=start, end=now)
            t2 = time.perf_counter()
        print(
            f"agencies {1000 * (t1 - t0):.0f} ms ({len(agencies)}), "
            f"officers {1000 * (t2 - t1):.0f} ms ({len(officers)})"
        )
    grouped = next(st for st in statements if "GROUP BY" in st[0])
    with db.session(write=False) as s:
        for row in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + grouped[0], grouped[1]):
            print("  plan:", row[-1])


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms (n={len(ordered)})"


def rollup_ab(db: Database, n: int) -> None:
    from sqlalchemy import update

    from ioc.db import Base, utcnow
    from ioc.reports import rollup
    from ioc.reports.models import ReportAgencyDay, ReportRollupDay

    Base.metadata.create_all(
        db.engine, tables=[ReportAgencyDay.__table__, ReportRollupDay.__table__]
    )
    for index in Report.__table__.indexes:
        t0 = time.perf_counter()
        index.create(db.engine, checkfirst=True)
        print(f"index {index.name}: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with db.session() as s:
        days = rollup.refresh(s, limit=None)
        rows = s.scalar(select(func.count()).select_from(ReportAgencyDay))
    print(f"backfill: {days} days, {rows} rows, {time.perf_counter() - t0:.1f} s")
    now = datetime.now(UTC)
    # The console's period: the last 365 days to the end of today (UTC), and a rolling one.
    end_day = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    periods = {
        "page (365d)": (end_day - timedelta(days=365), end_day),
        "rolling": (now - timedelta(days=365), now),
    }
    for label, (start, end) in periods.items():
        times: dict[bool, list[float]] = {False: [], True: []}
        results: dict[bool, Any] = {}
        for i in range(2 * n):
            use = i % 2 == 1
            with db.session(write=False) as s:
                t0 = time.perf_counter()
                results[use] = evaluation.evaluate_agencies(
                    s, start=start, end=end, now=now, use_rollup=use
                )
                times[use].append(1000 * (time.perf_counter() - t0))
        assert results[True] == results[False], "the roll-up differs from the live figures"
        base, new = statistics.median(times[False]), statistics.median(times[True])
        print(f"{label}: live {_ms(times[False])}")
        print(f"{label}: roll-up {_ms(times[True])}; ratio roll-up / live {new / base:.3f}")
    # One report changes: its day is counted live until the job rebuilds it.
    start, end = periods["page (365d)"]
    with db.session() as s:
        report_id = s.scalar(
            select(Report.id).where(Report.status == lc.RESOLVED).order_by(Report.id.desc())
        )
        s.execute(update(Report).where(Report.id == report_id).values(updated_at=utcnow()))
    after: list[float] = []
    for _ in range(n):
        with db.session(write=False) as s:
            t0 = time.perf_counter()
            evaluation.evaluate_agencies(s, start=start, end=end, now=now)
            after.append(1000 * (time.perf_counter() - t0))
        with db.session(write=False) as s:
            _days, live = rollup.plan(s, start, end)
    print(f"one day changed ({len(live)} live intervals): {_ms(after)}")
    t0 = time.perf_counter()
    with db.session() as s:
        built = rollup.refresh(s)
    print(f"job run: {built} day(s) rebuilt in {1000 * (time.perf_counter() - t0):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", required=True, help="DATA_DIR/ioc.sqlite3 of a bench copy")
    parser.add_argument("what", choices=("intake", "list", "scorecard", "rollup"))
    parser.add_argument("n", type=int, nargs="?", default=0)
    args = parser.parse_args()
    ioc.modules.installed_modules()
    db = Database(f"sqlite:///{args.sqlite}")
    if args.what == "intake":
        intake(db, args.n or 300)
    elif args.what == "list":
        list_ab(db, args.n or 160)
    elif args.what == "rollup":
        rollup_ab(db, args.n or 5)
    else:
        scorecard(db, args.n or 2)


if __name__ == "__main__":
    main()
