"""The indicators benchmark (issue 5, "Targets"): 25 indicators × 100 areas × 36 months of
observations (and field reports from gen_reports), then the server time of the scorecard pages
and of `overview_tiles`, against the bare /healthz route measured in the same run.

    .venv/bin/python bench/indicators.py                      # SQLite, 100,000 reports
    .venv/bin/python bench/indicators.py --reports 1000000 --repeat 200
    .venv/bin/python bench/indicators.py --db postgres

Server time is measured in process (FastAPI's TestClient: routing, middleware, the database,
rendering; no sockets), R requests per route after 5 warm-ups: median and p95. Target: a
scorecard page under 200 ms. Prints figures, never asserts times.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

AREAS = 100
MONTHS = 36
INDICATORS = 25
TARGET_SCORECARD_MS = 200.0
TARGET_OVERVIEW_MS = 150.0


def _months(today: date) -> list[date]:
    out = []
    y, m = today.year, today.month
    for _ in range(MONTHS):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(date(y, m, 1))
    return list(reversed(out))


def build(url: str, reports: int) -> dict[str, Any]:
    """A seeded database with the observations and, if asked, the reports."""
    from ioc.areas.models import Area
    from ioc.db import Base, Database
    from ioc.indicators.models import Indicator, Observation
    from ioc.indicators.service import province_code
    from ioc.modules import define_permissions, import_all_models
    from ioc.seed import seed_demo_accounts, seed_modules

    define_permissions()
    import_all_models()
    db = Database(url)
    Base.metadata.create_all(db.engine)
    t0 = time.perf_counter()
    with db.session() as s:
        seed_modules(s)
        seed_demo_accounts(s)
        province = province_code(s)
        communes = list(s.scalars(select(Area.code).where(Area.parent_code.is_not(None))))
        # Up to 100 areas: the province, its communes and a few made-up ones.
        for n in range(AREAS - 1 - len(communes)):
            code = f"B{n:04d}"
            s.add(Area(code=code, name=f"Xã Thử {n}", kind="xã", parent_code=province))
            communes.append(code)
        s.flush()
        active = list(
            s.scalars(
                select(Indicator)
                .where(Indicator.kind == "indicator")
                .order_by(Indicator.sort_order)
            )
        )
        keep = active[:INDICATORS]
        s.execute(
            update(Indicator)
            .where(Indicator.id.in_([i.id for i in active[INDICATORS:]]))
            .values(is_active=False)
        )
        # Every kept indicator monthly for every area: the most rows a scorecard can meet.
        s.execute(
            update(Indicator)
            .where(Indicator.id.in_([i.id for i in keep]))
            .values(frequency="monthly", area_level="commune")
        )
        rng = random.Random(5)
        now = datetime.now(UTC)
        rows = []
        for ind in keep:
            for area in [province, *communes]:
                level = rng.uniform(20, 95)
                for month in _months(now.date()):
                    rows.append(
                        {
                            "indicator_id": ind.id,
                            "area_code": area,
                            "period_start": month,
                            "value": round(level + rng.gauss(0, 3), 1),
                            "status": "final",
                            "source": "import",
                            "entered_by_id": None,
                            "entered_by": "bench",
                            "entered_at": now,
                            "note": "",
                            "is_demo": False,
                        }
                    )
        for i in range(0, len(rows), 10_000):
            s.execute(insert(Observation), rows[i : i + 10_000])
    seeded_s = time.perf_counter() - t0
    gen_s = 0.0
    if reports:
        import gen_reports

        t1 = time.perf_counter()
        if url.startswith("sqlite"):
            writer = gen_reports.SqliteWriter(Path(url.removeprefix("sqlite:///")))
        else:
            writer = gen_reports.PostgresWriter(url.replace("+psycopg", ""))
        try:
            gen_reports.generate(writer, reports, progress=lambda _m: None)
        finally:
            writer.close()
        gen_s = time.perf_counter() - t1
    if url.startswith("sqlite"):
        with db.engine.connect() as c:
            c.execute(text("ANALYZE"))
    db.dispose()
    return {
        "observations": len(rows),
        "indicators": len(keep),
        "areas": 1 + len(communes),
        "reports": reports,
        "seed_seconds": round(seeded_s, 1),
        "reports_seconds": round(gen_s, 1),
    }


def _figures(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    for _ in range(5):
        fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return _figures(samples)


def measure(url: str, data_dir: Path, repeat: int) -> list[tuple[str, float, float, float | None]]:
    from fastapi.testclient import TestClient

    from ioc.app import create_app
    from ioc.areas.models import Agency
    from ioc.config import Settings
    from ioc.db import Database
    from ioc.indicators.overview import overview_tiles
    from ioc.seed import DEMO_PASSWORD

    settings = Settings(
        env="test",
        data_dir=data_dir,
        secret_key="bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        database_url=url,
        log_level="WARNING",
        scheduler=False,
    )
    app = create_app(settings)
    results: list[tuple[str, float, float, float | None]] = []
    with TestClient(app, follow_redirects=False) as client:
        page = client.get("/signin?method=email")
        import re

        token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        signed = client.post(
            "/signin",
            data={
                "email": "lanhdao@demo.ioc.vn",
                "password": DEMO_PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        if signed.status_code != 303:
            raise SystemExit(f"sign-in failed: {signed.status_code}")
        communes = ["05443", "05455", "01840", "B0001"]
        routes: list[tuple[str, Callable[[], Any]]] = [
            ("GET /healthz (baseline)", lambda: client.get("/healthz")),
            ("GET /console/scorecards (province)", lambda: client.get("/console/scorecards")),
            (
                "GET /console/scorecards?area=… (commune)",
                lambda: client.get(f"/console/scorecards?area={random.choice(communes)}"),
            ),
            (
                "GET /console/scorecards/rankings",
                lambda: client.get("/console/scorecards/rankings?indicator=env.pm25"),
            ),
            (
                "GET /console/indicators/env.pm25?area=…",
                lambda: client.get(f"/console/indicators/env.pm25?area={random.choice(communes)}"),
            ),
            (
                "GET /console/scorecards/agencies?agency=SXD",
                lambda: client.get("/console/scorecards/agencies?agency=SXD"),
            ),
        ]
        for name, call in routes:
            response = call()
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}")
            median, p95 = timed(call, repeat)
            results.append((name, median, p95, None))
    db = Database(url)
    with db.session(write=False) as s:
        sxd = s.scalar(select(Agency.id).where(Agency.code == "SXD"))
        for name, kwargs in (
            ("overview_tiles (province)", {"area_code": None, "agency_id": None}),
            ("overview_tiles (commune)", {"area_code": "05443", "agency_id": None}),
            ("overview_tiles (agency SXD)", {"area_code": None, "agency_id": sxd}),
        ):
            median, p95 = timed(
                lambda kw=kwargs: overview_tiles(s, locale="vi", **kw),  # type: ignore[misc]
                repeat,
            )
            results.append((name, median, p95, None))
    db.dispose()
    base = results[0][1]
    return [(n, m, p, m / base if base else None) for n, m, p, _ in results]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ioc-bench-indicators-"))
    os.environ["IOC_DATA_DIR"] = str(workdir)
    pg_name = ""
    if args.db == "sqlite":
        url = f"sqlite:///{workdir / 'ioc.sqlite3'}"
    else:
        import psycopg

        pg_name = f"ioc_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
    try:
        info = build(url, args.reports)
        print(
            f"data: {info['indicators']} indicators × {info['areas']} areas × {MONTHS} months = "
            f"{info['observations']:,} observations (seeded in {info['seed_seconds']} s); "
            f"{info['reports']:,} reports ({info['reports_seconds']} s); db {args.db}"
        )
        results = measure(url, workdir, args.repeat)
        print(f"\nserver time, {args.repeat} requests each after 5 warm-ups (ms):\n")
        print(f"| {'what':<44} | {'median':>8} | {'p95':>8} | {'× healthz':>9} | target |")
        print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 11}|--------|")
        for name, median, p95, ratio in results:
            target = ""
            if name.startswith("GET /console/scorecards"):
                target = (
                    "✓" if p95 < TARGET_SCORECARD_MS else "✗"
                ) + f" <{TARGET_SCORECARD_MS:.0f}"
            elif name.startswith("overview_tiles"):
                target = ("✓" if p95 < TARGET_OVERVIEW_MS else "✗") + f" <{TARGET_OVERVIEW_MS:.0f}"
            print(
                f"| {name:<44} | {median:8.1f} | {p95:8.1f} | "
                f"{(f'{ratio:.1f}' if ratio else ''):>9} | {target:<6} |"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if pg_name:
            import psycopg

            with psycopg.connect(
                "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
