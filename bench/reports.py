"""The reports benchmark (issue 3, "Targets"): a big reports table, Open311 intake under load
against a bare insert route, the public list, duplicate lookups, the agency scorecard, memory,
and a check that no acknowledged report was lost.

    .venv/bin/python bench/reports.py                              # SQLite, 1 M reports
    .venv/bin/python bench/reports.py --db postgres --reports 1000000 --duration 5 --repeat 3
    .venv/bin/python bench/reports.py --reports 100000 --profile   # smaller, with profiles

Prints figures beside their targets (✓/✗), never asserts times; exits non-zero only when
something could not be measured, or when an acknowledged report is missing afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import gen_reports
import httpx
from appserver import BENCH_DIR, free_port, start_command_server
from harness import (
    BenchError,
    CpuMeter,
    Environment,
    Server,
    Target,
    WrkResult,
    ensure_wrk,
    machine_info,
    median_of,
    prepare_environment,
    start_server,
    targets_table,
    write_results,
)
from loadgen import run_wrk_output

INTAKE_PATH = "/open311/v2/requests.json"
CEILING_PATH = "/ceiling"
SERVICE_CODE = "road.pothole"
CENTRE = (21.59, 105.85)  # Thái Nguyên city
JITTER_DEG = 0.04  # ± 0.02° ≈ ± 2 km
DESCRIPTION = "Ổ gà sâu giữa đường, xe máy đi qua dễ ngã. Báo từ bench "
RSS_EVERY_S = 0.1
SETTLE_TIMEOUT_S = 60.0

INTAKE_RPS_TARGET = 1000.0
INTAKE_P99_TARGET_MS = 100.0
LIST_P95_TARGET_MS = 30.0
DUPLICATE_P95_TARGET_MS = 10.0
SCORECARD_TARGET_MS = 200.0
MEMORY_TARGET_MB = 300.0

LUA = r"""-- Written by bench/reports.py: Open311 POST with jittered points. Each thread counts its
-- 2xx answers and keeps the service_request_id of each; done() prints them once at the end.
local api_key = "@API_KEY@"
local path = "@PATH@"
local threads = {}
local counter = 0
acked = {}
ok = 0
other = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
end

function request()
  counter = counter + 1
  local lat = @LAT@ + (math.random() - 0.5) * @JITTER@
  local lon = @LON@ + (math.random() - 0.5) * @JITTER@
  local body = "api_key=" .. api_key .. "&service_code=@CODE@&attribute%5Bsize%5D=medium"
    .. string.format("&lat=%.6f&long=%.6f", lat, lon)
    .. "&description=@DESCRIPTION@" .. tid .. "-" .. counter
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    local id = string.match(body, '"service_request_id":"([^"]+)"')
    if id then acked[#acked + 1] = id end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("BENCH-COUNTS %d %d\n", thread:get("ok"), thread:get("other")))
    io.write("BENCH-IDS " .. table.concat(thread:get("acked"), " ") .. "\n")
  end
end
"""


def lua_script(path: Path, *, api_key: str, target_path: str) -> Path:
    text = LUA
    for name, value in {
        "@API_KEY@": quote_plus(api_key),
        "@PATH@": target_path,
        "@CODE@": SERVICE_CODE,
        "@LAT@": f"{CENTRE[0]}",
        "@LON@": f"{CENTRE[1]}",
        "@JITTER@": f"{JITTER_DEG}",
        "@DESCRIPTION@": quote_plus(DESCRIPTION),
    }.items():
        text = text.replace(name, value)
    path.write_text(text)
    return path


# --- the database, seen from outside the app -----------------------------------------------------


class Db:
    """Plain DB-API access to the benchmark's database for counting and checking."""

    def __init__(self, env: Environment) -> None:
        self.kind = env.db
        self.sqlite_path = env.data_dir / "ioc.sqlite3"
        self.url = env.database_url or f"sqlite:///{self.sqlite_path}"

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        if self.kind == "sqlite":
            conn: Any = sqlite3.connect(self.sqlite_path, timeout=30)
        else:
            import psycopg

            conn = psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"))
        try:
            yield conn
        finally:
            conn.close()

    def scalar(self, sql: str) -> Any:
        with self.connect() as conn:
            row = conn.execute(sql).fetchone()
            return row[0] if row else None

    def column(self, sql: str) -> list[Any]:
        with self.connect() as conn:
            return [r[0] for r in conn.execute(sql).fetchall()]

    def writer(self) -> gen_reports._Writer:
        if self.kind == "sqlite":
            return gen_reports.SqliteWriter(self.sqlite_path)
        return gen_reports.PostgresWriter(self.url)

    def size_mb(self) -> float:
        if self.kind == "sqlite":
            return sum(p.stat().st_size for p in self.sqlite_path.parent.glob("ioc.sqlite3*")) / 1e6
        return float(self.scalar("SELECT pg_database_size(current_database())")) / 1e6


# --- intake under load --------------------------------------------------------------------------


@dataclass
class LoadRun:
    wrk: WrkResult
    acked: int  # 2xx answers the Lua script counted
    other: int  # answers outside 2xx
    rows_added: int  # rows the run added to the table it writes
    missing: int  # acknowledged ids not in the table afterwards
    unacknowledged_rows: int  # rows added without an acknowledgement seen by wrk
    settle_s: float
    rss_max_mb: float = 0.0  # Pss of the server's processes (see RssSampler)
    rss_sum_max_mb: float = 0.0  # their RSS summed, shared pages counted in each
    missing_sample: list[str] = field(default_factory=list)


def _parse_lua(stdout: str) -> tuple[int, int, list[str]]:
    ok = other = 0
    ids: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("BENCH-COUNTS "):
            a, b = line.split()[1:3]
            ok, other = ok + int(a), other + int(b)
        elif line.startswith("BENCH-IDS"):
            ids += line.split()[1:]
    return ok, other, ids


def _settle(count: Callable[[], int], timeout: float = SETTLE_TIMEOUT_S) -> tuple[int, float]:
    """Wait until the server has finished what wrk left in flight: the row count stops moving."""
    started = time.perf_counter()
    last, stable = count(), 0
    while time.perf_counter() - started < timeout and stable < 3:
        time.sleep(0.2)
        now = count()
        stable = stable + 1 if now == last else 0
        last = now
    return last, time.perf_counter() - started


class RssSampler:
    """The memory of a server's process tree, sampled every 0.1 s while it runs: its Pss (what
    the processes use together: pages that forked workers share count once) and, for
    comparison, its RSS summed per process (shared pages counted in each)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.samples: list[float] = []
        self.rss_samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.server.pss_mb())
            self.rss_samples.append(self.server.rss_mb())
            self._stop.wait(RSS_EVERY_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)

    @property
    def rss_peak(self) -> float:
        return max(self.rss_samples, default=0.0)


def load_run(
    server: Server,
    path: str,
    script: Path,
    *,
    db: Db,
    table: str,
    id_prefix: str,
    where: str,
    duration: float,
    connections: int,
    threads: int,
) -> LoadRun:
    """One wrk run, then every acknowledged id checked against the rows the run added."""
    before = int(db.scalar(f"SELECT coalesce(max(id), 0) FROM {table}"))
    added_sql = f"SELECT count(*) FROM {table} WHERE id > {before} AND {where}"
    with RssSampler(server) as rss:
        result, stdout = run_wrk_output(
            server.url(path),
            duration=duration,
            connections=connections,
            threads=threads,
            script=script,
        )
        added, settle_s = _settle(lambda: int(db.scalar(added_sql)))
    ok, other, ids = _parse_lua(stdout)
    column = "code" if table == "reports" else f"'{id_prefix}' || id"
    stored = set(db.column(f"SELECT {column} FROM {table} WHERE id > {before} AND {where}"))
    missing = [i for i in ids if i not in stored]
    return LoadRun(
        wrk=result,
        acked=ok,
        other=other,
        rows_added=added,
        missing=len(missing) + max(0, ok - len(ids)),
        unacknowledged_rows=len(stored - set(ids)),
        settle_s=settle_s,
        rss_max_mb=rss.peak,
        rss_sum_max_mb=rss.rss_peak,
        missing_sample=missing[:10],
    )


def api_key(env: Environment) -> str:
    from appserver import ioc_command

    done = subprocess.run(
        [*ioc_command(), "api-keys", "create", "bench"],
        env=env.env,
        cwd=env.data_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1].strip()


# --- py-spy -------------------------------------------------------------------------------------


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if os.access(found, os.X_OK) else None


@contextlib.contextmanager
def spy(pid: int, out: Path, seconds: float, *, idle: bool = False) -> Iterator[None]:
    """py-spy record of `pid` for `seconds` (raw collapsed stacks), when py-spy is installed."""
    exe = py_spy()
    if exe is None:
        yield
        return
    args = [exe, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
            "--rate", "250", "--format", "raw", "--output", str(out), "--nonblocking"]  # fmt: skip
    # CPU: only the thread holding the GIL (otherwise a thread waiting for the GIL after a
    # system call counts against that call); idle: every thread, waiting ones too.
    args.append("--idle" if idle else "--gil")
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        try:
            process.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)


def summarise_stacks(path: Path, *, top: int = 25) -> dict[str, Any]:
    """Self and inclusive shares per function from py-spy's collapsed stacks."""
    if not path.exists():
        return {}
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(f) for f in stack.split(";")]
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return {
        "samples": total,
        "self": [(f, n / total) for f, n in own.most_common(top)] if total else [],
        "inclusive": [(f, n / total) for f, n in inclusive.most_common(top * 3)] if total else [],
    }


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" → "function (module.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0]
    parts = file.split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 else file
    return f"{name} ({short})"


class PgWaits:
    """What the benchmark database's active backends wait on, sampled every 50 ms (PostgreSQL:
    pg_stat_activity), e.g. Lock/transactionid on one hot row."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        sql = (
            "SELECT coalesce(wait_event_type, 'CPU') || '/' || coalesce(wait_event, '-') || ' ' "
            "|| regexp_replace(left(query, 50), '\\s+', ' ', 'g') FROM pg_stat_activity "
            "WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
        )
        with self.db.connect() as conn:
            conn.autocommit = True
            while not self._stop.is_set():
                self.samples += 1
                for (what,) in conn.execute(sql).fetchall():
                    self.counts[what] += 1
                self._stop.wait(0.05)

    def __enter__(self) -> PgWaits:
        if self.db.kind == "postgres":
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def top(self, n: int = 12) -> list[tuple[str, float]]:
        """(wait and query, average number of backends in it)."""
        return (
            [(w, c / self.samples) for w, c in self.counts.most_common(n)] if self.samples else []
        )


# --- reads: the public list over HTTP --------------------------------------------------------


@dataclass
class Latency:
    name: str
    samples_ms: list[float]
    note: str = ""

    def pct(self, q: float) -> float:
        if not self.samples_ms:
            return 0.0
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return self.pct(0.50)

    @property
    def p95(self) -> float:
        return self.pct(0.95)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n": len(self.samples_ms),
            "p50_ms": self.p50,
            "p95_ms": self.p95,
            "max_ms": max(self.samples_ms, default=0.0),
            "note": self.note,
        }


def _w3c(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def measure_list(
    server: Server, codes: list[str], *, now: datetime, years: float, n: int, seed: int = 7
) -> list[Latency]:
    """GET requests.json filtered by service_code + status=open + a 30-day window: the last 30
    days, random 30-day windows over the whole history, and page 2 of 50 of the last 30 days."""
    rng = random.Random(seed)
    span = timedelta(days=years * 365 - 30)
    variants: dict[str, Callable[[], dict[str, str]]] = {
        "last 30 days": lambda: {"start_date": _w3c(now - timedelta(days=30)),
                                 "end_date": _w3c(now)},
        "random 30-day window": lambda: _window(now - span * rng.random()),
        "page 2, page_size=50": lambda: {"start_date": _w3c(now - timedelta(days=30)),
                                         "end_date": _w3c(now), "page": "2", "page_size": "50"},
    }  # fmt: skip
    out: list[Latency] = []
    sizes: dict[str, list[int]] = {}
    with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
        for name, params_for in variants.items():
            samples: list[float] = []
            rows: list[int] = []
            for i in range(n + 5):
                params = {"service_code": rng.choice(codes), "status": "open", **params_for()}
                started = time.perf_counter()
                answer = client.get("/open311/v2/requests.json", params=params)
                elapsed = (time.perf_counter() - started) * 1000
                if answer.status_code != 200:
                    raise BenchError(f"GET requests.json {params}: HTTP {answer.status_code}")
                if i >= 5:  # the first few warm caches
                    samples.append(elapsed)
                    rows.append(len(answer.json()))
            sizes[name] = rows
            out.append(
                Latency(
                    name,
                    samples,
                    note=f"rows per answer: median {median_of(rows):.0f}, max {max(rows)}",
                )
            )
    return out


def _window(end: datetime) -> dict[str, str]:
    return {"start_date": _w3c(end - timedelta(days=30)), "end_date": _w3c(end)}


# --- in-process: duplicates and the scorecard -------------------------------------------------


def _sql_time(db: Db, t: datetime) -> str:
    """A timestamp literal as the app stores it (SQLite: naive UTC text with microseconds)."""
    if db.kind == "sqlite":
        return "'" + t.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds") + "'"
    return f"'{t.isoformat()}'"


def measure_duplicates(db: Db, *, n: int, now: datetime, seed: int = 11) -> Latency:
    """`duplicates.nearby_open` over random points: half beside open reports of the last 30 days
    (where candidates exist), half anywhere near a commune centre with a random category."""
    from ioc.db import Database
    from ioc.reports import duplicates

    rng = random.Random(seed)
    database = Database(db.url)
    since = _sql_time(db, now - timedelta(days=30))
    with db.connect() as conn:
        open_rows = conn.execute(
            "SELECT category_id, lat, lon, description FROM reports WHERE status IN "
            "('submitted','accepted','in_progress','waiting','reopened') "
            f"AND submitted_at >= {since} AND lat IS NOT NULL LIMIT 5000"
        ).fetchall()
        categories = [r[0] for r in conn.execute("SELECT id FROM report_categories")]
        centres = conn.execute(
            "SELECT lat, lon FROM areas WHERE kind <> 'province' AND lat IS NOT NULL"
        ).fetchall()
    samples: list[float] = []
    found = 0
    try:
        with database.session() as session:
            for i in range(n + 20):
                if open_rows and i % 2 == 0:
                    category_id, lat, lon, text = rng.choice(open_rows)
                    lat, lon = lat + rng.gauss(0, 0.0005), lon + rng.gauss(0, 0.0005)
                else:
                    category_id, text = rng.choice(categories), "Ổ gà giữa đường"
                    lat, lon = rng.choice(centres)
                    lat, lon = lat + rng.gauss(0, 0.01), lon + rng.gauss(0, 0.01)
                started = time.perf_counter()
                hits = duplicates.nearby_open(
                    session, category_id=category_id, lat=lat, lon=lon, text=text, now=now
                )
                elapsed = (time.perf_counter() - started) * 1000
                session.rollback()  # each lookup in its own read transaction, as a request
                if i >= 20:
                    samples.append(elapsed)
                    found += bool(hits)
    finally:
        database.dispose()
    return Latency(
        "duplicate lookup", samples, note=f"{found} of {len(samples)} lookups found candidates"
    )


@dataclass
class Scorecard:
    runs_ms: list[float]
    agencies_ms: list[float]
    officers_ms: list[float]
    agencies: int
    records_in_year: int
    profile: str = ""
    rebuilt: int = 0  # days and months the job's run before the timing rebuilt


def measure_scorecard(db: Db, *, now: datetime, repeat: int, profile: bool) -> Scorecard:
    """`evaluation.evaluate(session, start, end)` over the last 365 days, in-process, each run in
    a new session; and its two halves (agencies, officers) timed apart."""
    from ioc.db import Database
    from ioc.reports import evaluation, officer_rollup, rollup

    database = Database(db.url)
    start, end = now - timedelta(days=365), now
    card = Scorecard([], [], [], 0, 0)
    try:
        # What a reader meets in production: the roll-up job (every 5 minutes) has run since
        # the last changes. Right after the backfill, a day holding a report changed within
        # rollup.MARGIN of that day's build is still counted live (the generated reports'
        # last changes are at `now`), until the job's next run rebuilds it: run it once.
        wait = (now + rollup.MARGIN - datetime.now(UTC)).total_seconds() + 1
        if wait > 0:
            time.sleep(wait)
        with database.session() as session:
            card.rebuilt = rollup.refresh(session) + officer_rollup.refresh(session)
        for _ in range(repeat):
            with database.session() as session:
                t0 = time.perf_counter()
                result = evaluation.evaluate(session, start=start, end=end, now=now)
                card.runs_ms.append((time.perf_counter() - t0) * 1000)
                card.agencies = len(result.agencies)
                card.records_in_year = sum(a.received for a in result.agencies)
            with database.session() as session:
                t0 = time.perf_counter()
                evaluation.evaluate_agencies(session, start=start, end=end, now=now)
                t1 = time.perf_counter()
                evaluation.evaluate_officers(session, start=start, end=end)
                t2 = time.perf_counter()
                card.agencies_ms.append((t1 - t0) * 1000)
                card.officers_ms.append((t2 - t1) * 1000)
        if profile:
            with database.session() as session:
                profiler = cProfile.Profile()
                profiler.enable()
                evaluation.evaluate(session, start=start, end=end, now=now)
                profiler.disable()
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(18)
            card.profile = buffer.getvalue()
    finally:
        database.dispose()
    return card


def profile_list(db: Db, code: str, *, now: datetime) -> str:
    """cProfile of the requests.json route's work in-process (parse → query → render)."""
    from ioc.db import Database
    from ioc.reports import open311_render as render
    from ioc.reports import queries

    database = Database(db.url)
    try:
        with database.session() as session:
            category_id = queries.category_ids_for(session, [code])[code]
            f = queries.ReportFilter(
                category_ids=[category_id],
                statuses=sorted(("submitted", "accepted", "in_progress", "waiting", "reopened")),
                submitted_from=now - timedelta(days=30),
                submitted_to=now,
            )
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                rows = queries.list_reports(session, f, limit=1000)
                queries.first_visible_photos(session, [r.report.id for r in rows])
                docs = [
                    {"service_request_id": r.report.code, "description": r.report.description}
                    for r in rows
                ]
                render.to_json(docs)
            profiler.disable()
    finally:
        database.dispose()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(15)
    return buffer.getvalue()


def query_plans(db: Db, *, now: datetime) -> dict[str, str]:
    """The database's plan for the list and the duplicate queries (what the indexes do)."""
    s = _sql_time(db, now - timedelta(days=30))
    year, end = _sql_time(db, now - timedelta(days=365)), _sql_time(db, now)
    explain = "EXPLAIN QUERY PLAN " if db.kind == "sqlite" else "EXPLAIN "
    open_in = "('submitted','accepted','in_progress','waiting','reopened')"
    sqls = {
        "list": (
            "SELECT reports.id FROM reports JOIN report_categories c ON c.id = reports.category_id "
            "LEFT JOIN agencies a ON a.id = reports.agency_id WHERE reports.is_hidden = false "
            f"AND reports.category_id IN (1) AND reports.status IN {open_in} "
            f"AND reports.submitted_at >= {s} ORDER BY reports.submitted_at DESC, reports.id DESC "
            "LIMIT 1000"
        ),
        "duplicates": (
            "SELECT code FROM reports WHERE category_id = 1 AND h3_cell IN ('89416a3a0d7ffff', "
            f"'89416a3a0c3ffff') AND status IN {open_in} AND submitted_at >= {s} "
            "AND is_hidden = false ORDER BY submitted_at DESC LIMIT 200"
        ),
        "scorecard": (
            "SELECT r.agency_id FROM report_agency_records r JOIN reports ON reports.id = "
            f"r.report_id WHERE r.received_at >= {year} AND r.received_at < {end}"
        ),
        "officers": (
            "SELECT u.report_id FROM report_updates u JOIN reports ON reports.id = u.report_id "
            f"WHERE u.to_status = 'resolved' AND u.at >= {year} AND u.at < {end} "
            "ORDER BY u.report_id, u.at, u.id"
        ),
    }
    plans = {}
    with db.connect() as conn:
        for name, sql in sqls.items():
            rows = conn.execute(explain + sql).fetchall()
            plans[name] = "\n".join(" ".join(str(c) for c in r) for r in rows)
    return plans


# --- the run ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--reports", type=int, default=1_000_000, help="reports to generate")
    parser.add_argument("--years", type=float, default=3.0, help="history they spread over")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="`ioc serve --workers N` (forked processes; default: one per core)",
    )
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="serve with IOC_SCHEDULER=false, as beside `ioc worker` (the periodic jobs, e.g. "
        "the indicators over 1 M reports, otherwise run in the measured process)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs per route (medians)")
    parser.add_argument("--gets", type=int, default=200, help="requests per list variant")
    parser.add_argument("--lookups", type=int, default=1000, help="duplicate lookups")
    parser.add_argument("--scorecards", type=int, default=3, help="scorecard runs")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave the planner without statistics after generating (SQLite: no ANALYZE)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the in-process figures and py-spy the server during one more intake run "
        "(`.venv/bin/pip install py-spy`)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 60 or not 1 <= args.repeat <= 10:
        parser.error("keep runs bounded: --duration 1..60, --repeat 1..10")
    if not 1 <= args.reports <= 20_000_000:
        parser.error("--reports 1..20,000,000")
    return args


def _median_run(runs: list[LoadRun]) -> dict[str, float]:
    return {
        "requests_per_s": median_of([r.wrk.requests_per_s for r in runs]),
        "p50_ms": median_of([r.wrk.p50_ms for r in runs]),
        "p90_ms": median_of([r.wrk.p90_ms for r in runs]),
        "p99_ms": median_of([r.wrk.p99_ms for r in runs]),
        "errors": float(sum(r.wrk.errors for r in runs)),
        "non_2xx": float(sum(r.other for r in runs)),
        "acked": float(sum(r.acked for r in runs)),
        "rows_added": float(sum(r.rows_added for r in runs)),
        "missing": float(sum(r.missing for r in runs)),
        "unacknowledged_rows": float(sum(r.unacknowledged_rows for r in runs)),
        "rss_max_mb": max((r.rss_max_mb for r in runs), default=0.0),
        "rss_sum_max_mb": max((r.rss_sum_max_mb for r in runs), default=0.0),
    }


def _load_line(name: str, run: LoadRun) -> str:
    return (
        f"  {name:<8} {run.wrk.requests_per_s:>7.0f} req/s  p50 {run.wrk.p50_ms:6.1f} ms  "
        f"p99 {run.wrk.p99_ms:7.1f} ms  2xx {run.acked}  other {run.other}  "
        f"errors {run.wrk.errors}  rows +{run.rows_added}  missing {run.missing}  "
        f"unacked rows {run.unacknowledged_rows}  memory max {run.rss_max_mb:.0f} MB "
        f"(RSS summed {run.rss_sum_max_mb:.0f})"
    )


def run(args: argparse.Namespace) -> int:
    ensure_wrk()
    record: dict[str, Any] = {"machine": machine_info(), "args": vars(args)}
    print(f"# Reports benchmark: {args.db}, {args.reports:,} reports", flush=True)
    with prepare_environment(args.db, demo=False) as env:
        db = Db(env)
        record["setup_s"] = env.setup_seconds
        # 1. the big table
        print(f"Generating {args.reports:,} reports …", flush=True)
        now = datetime.now(UTC)
        writer = db.writer()
        try:
            stats = gen_reports.generate(
                writer, args.reports, years=args.years, now=now, analyze=not args.no_analyze
            )
        finally:
            writer.close()
        record["generate"] = asdict(stats) | {"reports_per_s": stats.reports_per_s}
        # As `ioc reports-rollup` does after an import (the job keeps it up to date after).
        built, rollup_s = gen_reports.fill_rollup(
            db.sqlite_path if db.kind == "sqlite" else None,
            None if db.kind == "sqlite" else db.url,
        )
        record["rollup"] = {"built": built, "seconds": rollup_s}
        print(f"  evaluation roll-ups: {built:,} days and months in {rollup_s:.1f} s", flush=True)
        record["database_mb"] = db.size_mb()
        print(
            f"  {stats.reports:,} reports + {stats.records:,} agency records + "
            f"{stats.updates:,} updates in {stats.seconds:.1f} s ({stats.reports_per_s:,.0f} "
            f"reports/s); database {record['database_mb']:,.0f} MB",
            flush=True,
        )
        record["plans"] = query_plans(db, now=now)

        # 4. and 5. in-process, on a quiet machine
        print("Duplicate lookups (in-process) …", flush=True)
        dup = measure_duplicates(db, n=args.lookups, now=now)
        print(f"  p50 {dup.p50:.2f} ms  p95 {dup.p95:.2f} ms  ({dup.note})", flush=True)
        print("Scorecard for a year (in-process) …", flush=True)
        card = measure_scorecard(db, now=now, repeat=args.scorecards, profile=args.profile)
        print(
            f"  evaluate(): {', '.join(f'{v:.0f}' for v in card.runs_ms)} ms "
            f"(agencies {median_of(card.agencies_ms):.0f} ms + officers "
            f"{median_of(card.officers_ms):.0f} ms); {card.agencies} agencies, "
            f"{card.records_in_year:,} agency records in the year; the roll-up job's run before "
            f"rebuilt {card.rebuilt} days and months",
            flush=True,
        )
        record["duplicates"] = dup.summary()
        record["scorecard"] = asdict(card)

        key = api_key(env)
        codes = db.column(
            "SELECT c.code FROM report_categories c JOIN reports r ON r.category_id = c.id "
            "GROUP BY c.code ORDER BY count(*) DESC LIMIT 8"
        )
        ceiling_port = free_port()
        ceiling_args = [sys.executable, str(BENCH_DIR / "ceiling_app.py"), "--port",
                        str(ceiling_port)]  # fmt: skip
        ceiling_args += (
            ["--sqlite", str(db.sqlite_path)] if db.kind == "sqlite" else ["--postgres", db.url]
        )
        with (
            start_server(
                env,
                workers=args.workers,
                extra_env={"IOC_SCHEDULER": "false"} if args.no_scheduler else None,
            ) as server,
            start_command_server(env, ceiling_args, ceiling_port, name="ceiling") as ceiling,
        ):
            record["idle_rss_mb"] = server.pss_mb()
            # 3. the public list
            print("GET requests.json (one client, sequential) …", flush=True)
            lists = measure_list(server, codes, now=now, years=args.years, n=args.gets)
            for lat in lists:
                print(f"  {lat.name:<22} p50 {lat.p50:6.1f} ms  p95 {lat.p95:6.1f} ms  "
                      f"({lat.note})", flush=True)  # fmt: skip
            record["list"] = [lat.summary() for lat in lists]
            if args.profile:
                record["list_profile"] = profile_list(db, codes[0], now=now)

            # 2. and 6. intake under load against the bare insert, interleaved
            intake_lua = lua_script(env.data_dir / "intake.lua", api_key=key,
                                    target_path=INTAKE_PATH)  # fmt: skip
            ceiling_lua = lua_script(env.data_dir / "ceiling.lua", api_key=key,
                                     target_path=CEILING_PATH)  # fmt: skip
            print(
                f"Open311 POST under load ({args.connections} connections, {args.threads} wrk "
                f"threads, {args.repeat} × {args.duration:.0f} s, interleaved with the ceiling) …",
                flush=True,
            )
            meter = CpuMeter()
            intake_runs: list[LoadRun] = []
            ceiling_runs: list[LoadRun] = []
            common = {"db": db, "duration": args.duration, "connections": args.connections,
                      "threads": args.threads}  # fmt: skip
            for _ in range(args.repeat):
                ceiling_runs.append(
                    load_run(ceiling, CEILING_PATH, ceiling_lua, table="bench_ceiling",
                             id_prefix="C-", where="1=1", **common)
                )  # fmt: skip
                print(_load_line("ceiling", ceiling_runs[-1]), flush=True)
                intake_runs.append(
                    load_run(server, INTAKE_PATH, intake_lua, table="reports", id_prefix="",
                             where="channel = 'open311'", **common)
                )  # fmt: skip
                print(_load_line("intake", intake_runs[-1]), flush=True)
            record["cpu"] = meter.read()
            record["peak_rss_mb"] = server.rss_mb("VmHWM")
            record["rss_after_mb"] = server.pss_mb()
            if args.profile:
                out = env.data_dir / "intake.pyspy.txt"
                out_idle = env.data_dir / "intake-idle.pyspy.txt"
                if py_spy() is None:
                    print("  (py-spy not installed: .venv/bin/pip install py-spy)")
                waits = PgWaits(db)
                for target, idle in ((out, False), (out_idle, True)):
                    with spy(server.process.pid, target, args.duration, idle=idle), waits:
                        extra = load_run(server, INTAKE_PATH, intake_lua, table="reports",
                                         id_prefix="", where="channel = 'open311'",
                                         **common)  # fmt: skip
                    print(_load_line("profiled", extra), flush=True)
                record["intake_profile"] = summarise_stacks(out)
                record["intake_profile_idle"] = summarise_stacks(out_idle)
                record["pg_waits"] = waits.top()

        record["intake_runs"] = [asdict(r) for r in intake_runs]
        record["ceiling_runs"] = [asdict(r) for r in ceiling_runs]
        record["intake"] = _median_run(intake_runs)
        record["ceiling"] = _median_run(ceiling_runs)
        record["events_rows"] = db.scalar("SELECT count(*) FROM events")
    print_report(record)
    path = write_results(f"reports-{args.db}", record)
    print(f"\nRecord: {path}")
    return 1 if record["intake"]["missing"] else 0


def print_report(record: dict[str, Any]) -> None:
    intake, ceiling = record["intake"], record["ceiling"]
    ratio = intake["requests_per_s"] / ceiling["requests_per_s"] if ceiling["requests_per_s"] else 0
    lists = {item["name"]: item for item in record["list"]}
    card = record["scorecard"]
    gen = record["generate"]
    args = record["args"]
    print(f"\n## Reports (issue 3): {args['db']}, {gen['reports']:,} reports\n")
    print(
        f"Generated {gen['reports']:,} reports, {gen['records']:,} agency records and "
        f"{gen['updates']:,} updates in {gen['seconds']:.1f} s "
        f"({gen['reports_per_s']:,.0f} reports/s: rows built {gen['make_seconds']:.1f} s, written "
        f"{gen['write_seconds']:.1f} s, ANALYZE and the rest {gen['finish_seconds']:.1f} s); "
        f"database {record['database_mb']:,.0f} MB.\n"
    )
    targets = [
        Target("intake req/s (median)", intake["requests_per_s"], INTAKE_RPS_TARGET, "req/s",
               higher_is_better=True),
        Target("intake p99 (median)", intake["p99_ms"], INTAKE_P99_TARGET_MS, "ms"),
        Target("requests.json p95, last 30 days", lists["last 30 days"]["p95_ms"],
               LIST_P95_TARGET_MS, "ms"),
        Target("requests.json p95, random 30-day window",
               lists["random 30-day window"]["p95_ms"], LIST_P95_TARGET_MS, "ms"),
        Target("requests.json p95, page 2 of 50", lists["page 2, page_size=50"]["p95_ms"],
               LIST_P95_TARGET_MS, "ms"),
        Target("duplicate lookup p95", record["duplicates"]["p95_ms"], DUPLICATE_P95_TARGET_MS,
               "ms"),
        Target("scorecard, a year (median)", median_of(card["runs_ms"]), SCORECARD_TARGET_MS,
               "ms"),
        Target("server memory under load (max Pss)", intake["rss_max_mb"], MEMORY_TARGET_MB, "MB"),
        Target("acknowledged reports missing", intake["missing"], 1, ""),
    ]  # fmt: skip
    print(targets_table(targets))
    print(
        f"\nIntake {intake['requests_per_s']:,.0f} req/s (p50 {intake['p50_ms']:.1f} ms, p99 "
        f"{intake['p99_ms']:.1f} ms) against the bare insert route's "
        f"{ceiling['requests_per_s']:,.0f} req/s (p50 {ceiling['p50_ms']:.1f} ms, p99 "
        f"{ceiling['p99_ms']:.1f} ms): **{ratio:.2f} × ceiling**. Over all intake runs: "
        f"{intake['acked']:,.0f} acknowledged (2xx), {intake['non_2xx']:,.0f} other answers, "
        f"{intake['errors']:,.0f} socket errors, {intake['rows_added']:,.0f} rows added, "
        f"{intake['missing']:,.0f} acknowledged ids missing, "
        f"{intake['unacknowledged_rows']:,.0f} rows committed without an answer wrk saw "
        f"(in flight when it stopped)."
    )
    print(
        f"Scorecard runs: {', '.join(f'{v:.0f}' for v in card['runs_ms'])} ms; agencies "
        f"{median_of(card['agencies_ms']):.0f} ms + officers {median_of(card['officers_ms']):.0f}"
        f" ms; {card['records_in_year']:,} agency records in the year."
    )
    for item in record["list"]:
        print(f"requests.json {item['name']}: p50 {item['p50_ms']:.1f} ms, p95 "
              f"{item['p95_ms']:.1f} ms ({item['note']})")  # fmt: skip
    dup = record["duplicates"]
    print(f"Duplicate lookup: p50 {dup['p50_ms']:.2f} ms, p95 {dup['p95_ms']:.2f} ms, max "
          f"{dup['max_ms']:.1f} ms ({dup['note']})")  # fmt: skip
    print(
        f"Memory (Pss of the server's processes): idle {record['idle_rss_mb']:.0f} MB, max under "
        f"load {intake['rss_max_mb']:.0f} MB (their RSS summed: {intake['rss_sum_max_mb']:.0f} "
        f"MB); peak RSS (VmHWM, summed) {record['peak_rss_mb']:.0f} MB. Processes other than "
        f"this one used {record['cpu']['other_share']:.0%} of the CPU during the load runs (the "
        "servers under test and PostgreSQL included)."
    )
    for name, plan in record["plans"].items():
        print(f"\nplan, {name}:\n{plan}")
    if card.get("profile"):
        print("\ncProfile of one scorecard:\n" + card["profile"])
    if record.get("list_profile"):
        print("\ncProfile of 20 list queries (1000 rows max):\n" + record["list_profile"])
    if record.get("pg_waits"):
        print("\nPostgreSQL backends during the profiled intake runs (average number active):")
        for what, share in record["pg_waits"]:
            print(f"  {share:5.2f}  {what}")
    for key in ("intake_profile", "intake_profile_idle"):
        prof = record.get(key)
        if prof:
            print(f"\npy-spy, {key} ({prof['samples']} samples), self:")
            for frame, share in prof["self"][:20]:
                print(f"  {share:6.1%}  {frame}")
            print("inclusive:")
            for frame, share in prof["inclusive"][:60]:
                print(f"  {share:6.1%}  {frame}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except BenchError as error:
        print(f"\n✗ {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
