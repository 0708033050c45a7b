"""In-process measurements behind bench/README.md's "Reports" figures, on a database that
`bench/gen_reports.py` filled (no server, no wrk):

    .venv/bin/python bench/reports_inprocess.py --sqlite DATA_DIR/ioc.sqlite3 intake [N]
    .venv/bin/python bench/reports_inprocess.py --sqlite DATA_DIR/ioc.sqlite3 list [N]
    .venv/bin/python bench/reports_inprocess.py --sqlite DATA_DIR/ioc.sqlite3 scorecard [N]
    .venv/bin/python bench/reports_inprocess.py --sqlite DATA_DIR/ioc.sqlite3 route [N]
    .venv/bin/python bench/reports_inprocess.py --postgres postgresql+psycopg://… route [N]

- intake: CPU and wall time per report of the Open311 unit of work, one report a transaction
  (api_key check and checks in a read session, then intake.write and the commit), then a
  cProfile of 200 more. bench/intake_asgi.py measures the group-commit writer through the app.
- list: the phases of the Open311 list (query, documents, JSON, XML) of the last 30 days,
  open, for the 8 commonest categories, timed apart (CPU), without the kept renderings.
- route: the same page through the app's route (`GET /open311/v2/requests.{json,xml}`, an
  in-process TestClient: routing, parameters, query, documents, serialisation, gzip), JSON
  and XML alternately: every page rendered afresh, then with the renderings kept per
  process (open311_render.rendered_requests) as a polling client meets them, then with
  extensions=true; wall and CPU time; then a cProfile of the route function for 40 pages.
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
import tempfile
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
from ioc.reports import intake as reports_intake
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
        # The intake writer's steps for one submission, in this thread: check it in a read
        # session, then write it in a unit of work of its own (bench/intake_asgi.py measures
        # the writer itself, with its batches, through the app).
        with db.session(write=False) as read:
            actor, _touch = open311._checked_key(read, key)
            draft = open311.prepare_form(read, actor, data, idempotency_key=None)
        with db.session() as s:
            reports_intake.write(s.connection(), [draft])

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


def list_phases(db: Database, n: int) -> None:
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
    phases: dict[str, list[float]] = {"query": [], "documents": [], "json": [], "xml": []}
    sizes: list[int] = []
    for i in range(n):
        f = queries.ReportFilter(
            category_ids=[categories[i % len(categories)]],
            statuses=sorted(lc.OPEN),
            submitted_from=now - timedelta(days=30),
            submitted_to=now,
        )
        with db.session(write=False) as s:
            t0 = time.thread_time()
            page = queries.request_rows(s, f, limit=1000)
            t1 = time.thread_time()
            first = {r.id: r.first_photo_id for r in page.rows if r.first_photo_id is not None}
            documents = render.request_documents(page, ctx, first_photos=first)
            t2 = time.thread_time()
            render.to_json(documents)
            t3 = time.thread_time()
            render.to_xml("service_requests", documents)
            t4 = time.thread_time()
        sizes.append(len(page.rows))
        for name, start, end in (
            ("query", t0, t1),
            ("documents", t1, t2),
            ("json", t2, t3),
            ("xml", t3, t4),
        ):
            phases[name].append(1000 * (end - start))
    # CPU time of this thread (the machine is shared; wall times mostly measure the others).
    for name, values in phases.items():
        print(f"{name:9} CPU {_ms(values)}")
    print(f"rows per page (median) {statistics.median(sizes):.0f}")


def list_route(db: Database, url: str, n: int) -> None:
    from pathlib import Path

    from fastapi.testclient import TestClient

    from ioc.app import create_app
    from ioc.config import Settings
    from ioc.reports.models import Category

    now = datetime.now(UTC)
    with db.session(write=False) as s:
        codes = list(
            s.scalars(
                select(Category.code)
                .join(Report, Report.category_id == Category.id)
                .group_by(Category.code)
                .order_by(func.count().desc())
                .limit(8)
            )
        )
    data_dir = Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite") else None
    settings = Settings(
        data_dir=data_dir or Path(tempfile.mkdtemp()),
        database_url=url,
        env="test",
        scheduler=False,
    )
    client = TestClient(create_app(settings, database=db))
    local = ZoneInfo(settings.timezone)
    window = {
        "status": "open",
        "start_date": (now - timedelta(days=30)).astimezone(local).isoformat(timespec="seconds"),
        "end_date": now.astimezone(local).isoformat(timespec="seconds"),
    }

    def one(fmt: str, code: str, **extra: str) -> tuple[float, int, float]:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(
            f"/open311/v2/requests.{fmt}", params={"service_code": code, **window, **extra}
        )
        elapsed = (time.perf_counter() - started) * 1000
        # The whole process's CPU (the TestClient's threads too): steadier than the wall time
        # on a machine that other work shares.
        cpu_ms = (time.process_time() - cpu) * 1000
        assert response.status_code == 200, response.text[:300]
        rows = (
            len(response.json())
            if fmt == "json"
            else response.content.count(b"<service_request_id>")
        )
        return elapsed, rows, cpu_ms

    for code in codes:  # warm the caches and the page cache of the file
        one("json", code)
    # Each page rendered afresh (no kept renderings), then as a polling client finds it: its
    # rows rendered before (render.rendered_requests; absent before the fourth round).
    kept = getattr(render, "rendered_requests", None)
    runs: list[tuple[str, dict[str, str], int]] = [
        (" fresh", {}, 0),
        *([(" kept", {}, kept.size)] if kept is not None else []),
        (" extensions=true", {"extensions": "true"}, 0),
    ]
    for label, extra, keep in runs:
        if kept is not None:
            kept.clear()
            kept.size = keep
        results: dict[str, list[tuple[float, int, float]]] = {"json": [], "xml": []}
        for i in range(n):
            code = codes[i % len(codes)]
            for fmt in ("json", "xml") if i % 2 else ("xml", "json"):
                results[fmt].append(one(fmt, code, **extra))
        for fmt, got in results.items():
            rows = statistics.median(x[1] for x in got)
            cpu = statistics.median(x[2] for x in got)
            print(
                f"route {fmt}{label}: {_ms([x[0] for x in got])}, CPU median {cpu:.1f} ms, "
                f"rows per page (median) {rows:.0f}"
            )
    # The route's own work, profiled in this thread (the TestClient runs it in another).
    from urllib.parse import urlencode

    from starlette.requests import Request

    app = client.app

    def direct(code: str) -> None:
        query = urlencode({"service_code": code, **window}).encode()
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/open311/v2/requests.json",
            "query_string": query,
            "headers": [],
            "app": app,
        }
        with db.session(write=False) as s:
            open311.list_requests(Request(scope), s, "json")

    profile = cProfile.Profile()
    profile.enable()
    for i in range(40):
        direct(codes[i % len(codes)])
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(30)


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
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", help="DATA_DIR/ioc.sqlite3 of a bench copy")
    where.add_argument(
        "--postgres", help="postgresql+psycopg://postgres@127.0.0.1:5432/NAME (list, route)"
    )
    parser.add_argument("what", choices=("intake", "list", "route", "scorecard", "rollup"))
    parser.add_argument("n", type=int, nargs="?", default=0)
    args = parser.parse_args()
    ioc.modules.installed_modules()
    url = f"sqlite:///{args.sqlite}" if args.sqlite else args.postgres
    db = Database(url)
    if args.what == "intake":
        intake(db, args.n or 300)
    elif args.what == "list":
        list_phases(db, args.n or 160)
    elif args.what == "route":
        list_route(db, url, args.n or 160)
    elif args.what == "rollup":
        rollup_ab(db, args.n or 5)
    else:
        scorecard(db, args.n or 2)


if __name__ == "__main__":
    main()
