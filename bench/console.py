"""The console benchmark (issue 5, "Targets"): the overview's server time with 1 M reports (and
25 indicators × 100 areas × 36 months), and 500 live-feed clients on one process each receiving
a new event within 1 s.

    .venv/bin/python bench/console.py                       # reuses var/bench/console/ if built
    .venv/bin/python bench/console.py --reports 100000 --db var/bench/console-100k/ioc.sqlite3
    .venv/bin/python bench/console.py --clients 200 --events 5 --skip-overview

1. Server time of GET /console (the whole overview page: figures, indicator tiles, events,
   map layer list, rendering), also with its cache emptied before each request (the first view
   after a change), and of its pieces (the tiles fragment, the two report map layers),
   in process with FastAPI's TestClient (routing, middleware, database, rendering; no sockets),
   for the leader (the province) and an agency head (one agency), against /healthz in the same
   run. Target: the overview's p95 under 150 ms.
2. Live feed: a real `ioc serve` process; N asyncio + httpx clients hold /console/live open;
   reports are filed through the app's JSON API; for each resulting event, the time from its
   recording (the event's own timestamp) to its receipt by every client. Target: every client
   within 1 s.

The database is built once (seeded province, demo accounts, the indicators bench's observations
and `gen_reports`' reports) and reused when the file exists. Prints figures; asserts no times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

DEFAULT_DB = REPO_DIR / "var" / "bench" / "console" / "ioc.sqlite3"
TARGET_OVERVIEW_P95_MS = 150.0
TARGET_LIVE_S = 1.0
LEADER = "lanhdao@demo.ioc.vn"
AGENCY_HEAD = "truongphong@demo.ioc.vn"
CITIZEN = "congdan@demo.ioc.vn"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def line(name: str, ms: list[float], target: float | None = None) -> str:
    p95 = pct(ms, 0.95)
    mark = (
        ""
        if target is None
        else ("  ✓" if p95 < target else "  ✗") + f" (target p95 < {target:.0f})"
    )
    return (
        f"  {name:<34} median {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  "
        f"max {max(ms):7.1f} ms{mark}"
    )


# --- the database ---------------------------------------------------------------------------


def ensure_database(path: Path, reports: int) -> str:
    url = f"sqlite:///{path}"
    if path.exists():
        print(f"Reusing {path} ({path.stat().st_size / 1e6:,.0f} MB)", flush=True)
        return url
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Building {path} with {reports:,} reports (once) …", flush=True)
    t0 = time.perf_counter()
    try:
        import indicators as indicators_bench  # bench/indicators.py: observations + reports

        indicators_bench.build(url, reports)
    except ImportError:
        _build_reports_only(url, reports)
    print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
    return url


def _build_reports_only(url: str, reports: int) -> None:
    import gen_reports
    from sqlalchemy import text

    from ioc.db import Base, Database
    from ioc.modules import define_permissions, import_all_models
    from ioc.seed import seed_demo_accounts, seed_modules

    define_permissions()
    import_all_models()
    db = Database(url)
    Base.metadata.create_all(db.engine)
    with db.session() as s:
        seed_modules(s)
        seed_demo_accounts(s)
    writer = gen_reports.SqliteWriter(Path(url.removeprefix("sqlite:///")))
    try:
        gen_reports.generate(writer, reports, progress=lambda _m: None)
    finally:
        writer.close()
    with db.engine.connect() as c:
        c.execute(text("ANALYZE"))
    db.dispose()


def counts(url: str) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return {
            "reports": conn.execute("SELECT count(*) FROM reports").fetchone()[0],
            "open": conn.execute(
                "SELECT count(*) FROM reports WHERE status IN "
                "('submitted','accepted','in_progress','waiting','reopened')"
            ).fetchone()[0],
            "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
        }
    finally:
        conn.close()


# --- 1. the overview's server time ------------------------------------------------------------


def _sign_in(client: Any, email: str) -> None:
    from ioc.seed import DEMO_PASSWORD

    page = client.get("/signin")
    token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
    assert token, "no sign-in form"
    r = client.post(
        "/signin", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    )
    assert r.status_code == 303, f"sign-in of {email}: {r.status_code}"


def measure_overview(url: str, repeat: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from ioc.app import create_app
    from ioc.config import Settings
    from ioc.db import Database

    data_dir = Path(tempfile.mkdtemp(prefix="console-bench-"))
    settings = Settings(
        env="test", data_dir=data_dir, database_url=url, secret_key="b" * 40, scheduler=False
    )
    db = Database(url)
    app = create_app(settings, database=db)
    routes = [
        ("/healthz (baseline)", "/healthz", None),
        ("/console", "/console", TARGET_OVERVIEW_P95_MS),
        ("/console?wall=1", "/console?wall=1", TARGET_OVERVIEW_P95_MS),
        ("/console/overview/tiles", "/console/overview/tiles", None),
        ("heat map layer", "/console/map/reports-heat.geojson", None),
        ("open reports layer", "/console/map/reports-open.geojson", None),
    ]
    out: dict[str, Any] = {}
    for who, email in (("leader (province)", LEADER), ("agency head (SXD)", AGENCY_HEAD)):
        print(f"Overview server time, {who}, {repeat} requests per route …", flush=True)
        with TestClient(app, follow_redirects=False) as client:
            _sign_in(client, email)
            for name, path, target in routes:
                for _ in range(5):  # warm-up
                    assert client.get(path).status_code == 200, path
                ms = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    r = client.get(path)
                    ms.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, f"{path}: {r.status_code}"
                print(line(name, ms, target), flush=True)
                out[f"{who} {name}"] = {
                    "median_ms": statistics.median(ms),
                    "p95_ms": pct(ms, 0.95),
                    "max_ms": max(ms),
                }
            # The same page with the overview's cache emptied before each request: what the
            # first view after a change costs (console/cache.py).
            cold = []
            for _ in range(max(5, repeat // 4)):
                app.state.console_cache.clear()
                t0 = time.perf_counter()
                assert client.get("/console").status_code == 200
                cold.append((time.perf_counter() - t0) * 1000)
            print(line("/console, cache emptied each time", cold), flush=True)
            out[f"{who} /console cold"] = {
                "median_ms": statistics.median(cold),
                "p95_ms": pct(cold, 0.95),
                "max_ms": max(cold),
            }
    db.dispose()
    return out


# --- 2. the live feed ---------------------------------------------------------------------


def start_server(url: str, port: int, data_dir: Path, redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IOC_DATABASE_URL": url,
        "IOC_DATA_DIR": str(data_dir),
        "IOC_SECRET_KEY": "b" * 40,
        "IOC_PORT": str(port),
        "IOC_HOST": "127.0.0.1",
        "IOC_SCHEDULER": "false",
        "IOC_LOG_LEVEL": "WARNING",
        "IOC_REDIS_URL": redis_url,
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from ioc.cli import main; main()", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start: " + proc.communicate()[1].decode()[-2000:])


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# event id → (its recording time, {client number: receipt time})
Received = dict[int, tuple[float, dict[int, float]]]


async def _sse_client(
    client: httpx.AsyncClient,
    n: int,
    target: int,
    connected: asyncio.Event,
    ready: list[int],
    received: Received,
    stop: asyncio.Event,
) -> None:
    async with client.stream("GET", "/console/live", timeout=httpx.Timeout(30, read=None)) as r:
        if r.status_code != 200:
            raise RuntimeError(f"client {n}: HTTP {r.status_code}")
        ready.append(n)
        if len(ready) == target:
            connected.set()
        data = ""
        async for raw in r.aiter_lines():
            if stop.is_set():
                return
            if raw.startswith("data:"):
                data += raw[5:]
            elif raw == "" and data:
                now = time.time()
                event = json.loads(data)
                data = ""
                recorded = datetime.fromisoformat(event["time"]).timestamp()
                received.setdefault(int(event["id"]), (recorded, {}))[1][n] = now


async def _file_report(client: httpx.AsyncClient, csrf: str, category: str, k: int) -> float:
    t0 = time.time()
    r = await client.post(
        "/api/v1/reports",
        json={
            "category_code": category,
            "lat": 21.59 + k * 0.001,
            "lon": 105.85,
            "description": f"Bench: cống thoát nước bị tắc, nước tràn ra đường (lần {k}).",
        },
        headers={"X-CSRF-Token": csrf},
    )
    if r.status_code != 201:
        raise RuntimeError(f"filing a report: {r.status_code} {r.text[:200]}")
    return t0


async def live_run(base: str, clients: int, events: int, gap_s: float) -> dict[str, Any]:
    from ioc.seed import DEMO_PASSWORD

    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as leader:
        page = await leader.get("/signin")
        token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
        assert token
        await leader.post(
            "/signin",
            data={"email": LEADER, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        )
        async with httpx.AsyncClient(base_url=base, timeout=30) as citizen:
            page = await citizen.get("/signin")
            token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
            assert token
            await citizen.post(
                "/signin",
                data={"email": CITIZEN, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
            )
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', (await citizen.get("/")).text)
            assert csrf
            category = (await citizen.get("/api/v1/categories")).json()[0]["code"]

            connected, stop = asyncio.Event(), asyncio.Event()
            ready: list[int] = []
            received: Received = {}
            t0 = time.perf_counter()
            tasks = [
                asyncio.create_task(
                    _sse_client(leader, n, clients, connected, ready, received, stop)
                )
                for n in range(clients)
            ]
            await asyncio.wait_for(connected.wait(), 120)
            connect_s = time.perf_counter() - t0
            print(f"  {clients} clients connected in {connect_s:.1f} s", flush=True)
            await asyncio.sleep(0.5)
            sent: list[float] = []
            for k in range(events):
                sent.append(await _file_report(citizen, csrf.group(1), category, k))
                await asyncio.sleep(gap_s)
            await asyncio.sleep(3.0)
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # Only events recorded during the run (the filings' report.submitted and report.routed).
    first = min(sent) - 1
    latencies: list[float] = []
    per_event_max: list[float] = []
    missing = 0
    for _event_id, (t_record, got) in sorted(received.items()):
        if t_record < first:
            continue
        lat = [t - t_record for t in got.values()]
        latencies += lat
        per_event_max.append(max(lat))
        missing += clients - len(got)
    within = sum(1 for v in latencies if v <= TARGET_LIVE_S)
    return {
        "clients": clients,
        "connect_s": connect_s,
        "events": len(per_event_max),
        "deliveries": len(latencies),
        "missing": missing,
        "median_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": pct(latencies, 0.95),
        "max_s": max(latencies) if latencies else float("nan"),
        "within_1s": within / len(latencies) if latencies else 0.0,
        "per_event_max_s": per_event_max,
    }


def measure_live(
    url: str, clients: int, events: int, gap_s: float, redis_url: str
) -> dict[str, Any]:
    port = _free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="console-live-"))
    print(
        f"Live feed: {clients} clients on one `ioc serve` process"
        f"{' (through Redis)' if redis_url else ''}, {events} reports filed …",
        flush=True,
    )
    proc = start_server(url, port, data_dir, redis_url)
    try:
        result = asyncio.run(live_run(f"http://127.0.0.1:{port}", clients, events, gap_s))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    ok = result["within_1s"] == 1.0 and result["missing"] == 0
    print(
        f"  {result['events']} events × {clients} clients = {result['deliveries']:,} deliveries, "
        f"{result['missing']} missing\n"
        f"  record → receipt: median {result['median_s'] * 1000:.0f} ms  "
        f"p95 {result['p95_s'] * 1000:.0f} ms  max {result['max_s'] * 1000:.0f} ms; "
        f"{result['within_1s']:.1%} within 1 s  {'✓' if ok else '✗'} (target: all within 1 s)",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db", type=Path, default=DEFAULT_DB, help="SQLite file (built if missing)"
    )
    parser.add_argument("--reports", type=int, default=1_000_000, help="when building")
    parser.add_argument("--repeat", type=int, default=60, help="requests per route")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--events", type=int, default=10, help="reports filed (2 events each)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between filings")
    parser.add_argument("--redis", default="", help="IOC_REDIS_URL for the live-feed server")
    parser.add_argument("--skip-overview", action="store_true")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    url = ensure_database(args.db.resolve(), args.reports)
    record: dict[str, Any] = {"db": counts(url), "when": datetime.now(UTC).isoformat()}
    print(
        f"# Console benchmark: {record['db']['reports']:,} reports "
        f"({record['db']['open']:,} open), {record['db']['events']:,} events; "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    if not args.skip_overview:
        record["overview"] = measure_overview(url, args.repeat)
    if not args.skip_live:
        record["live"] = measure_live(url, args.clients, args.events, args.gap, args.redis)
    if args.json:
        args.json.write_text(json.dumps(record, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
