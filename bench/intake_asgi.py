"""Open311 POST intake in one process, without a network or a server: N concurrent clients
call the app's ASGI callable directly, so what is measured is the app (middleware, route,
intake writer, SQLite or PostgreSQL) and nothing of uvicorn, wrk or the loopback.

    .venv/bin/python bench/intake_asgi.py [--reports 3000] [--clients 64] [--postgres URL]
    .venv/bin/python bench/intake_asgi.py --spy      # + py-spy (GIL holder) of the run

Prints reports/s, CPU per report (process time over the run ÷ reports), the writer's batches,
and checks that every acknowledged report is in the database. Also times `/healthz` the same way
in the same run as the baseline (the app's fixed cost per request).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent


def _environment(args: argparse.Namespace) -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix="ioc-intake-"))
    os.environ["IOC_DATA_DIR"] = str(data_dir)
    os.environ["IOC_ENV"] = "production"
    os.environ.setdefault("IOC_SECRET_KEY", "bench-secret-key-0123456789-abcdefghijkl")
    if args.postgres:
        os.environ["IOC_DATABASE_URL"] = args.postgres
    return data_dir


async def _call(app: Any, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _load(
    clients: int, total: int, request: Callable[[int], Awaitable[tuple[int, bytes]]]
) -> tuple[float, float, list[float], list[tuple[int, bytes]]]:
    counter = iter(range(total))
    answers: list[tuple[int, bytes]] = []
    latencies: list[float] = []

    async def client() -> None:
        for i in counter:
            start = time.perf_counter()
            answers.append(await request(i))
            latencies.append(time.perf_counter() - start)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - wall, time.process_time() - cpu, latencies, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--postgres", default="", help="SQLAlchemy URL of an empty database")
    parser.add_argument("--spy", action="store_true", help="py-spy record --gil of the run")
    args = parser.parse_args()
    data_dir = _environment(args)

    from sqlalchemy import func, select

    from ioc import migrate
    from ioc.app import create_app
    from ioc.config import Settings
    from ioc.db import Database
    from ioc.kit import auth
    from ioc.reports import writer
    from ioc.reports.models import Report
    from ioc.seed import seed_modules

    settings = Settings()
    database = Database(settings.resolved_database_url)
    migrate.upgrade(database.engine)
    with database.session() as session:
        seed_modules(session)
    with database.session() as session:
        _, key = auth.create_api_token(session, name="bench", scopes=["open311.submit"])
    app = create_app(settings)
    # What the app's lifespan does when served (this script sends no lifespan events).
    from ioc.app import GIL_SWITCH_INTERVAL_S

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    gc.collect()
    gc.freeze()
    rng = random.Random(7)

    def body(i: int) -> bytes:
        return urlencode(
            {
                "api_key": key,
                "service_code": "road.pothole",
                "attribute[size]": "large",
                "lat": f"{21.59 + rng.uniform(-0.02, 0.02):.5f}",
                "long": f"{105.85 + rng.uniform(-0.02, 0.02):.5f}",
                "description": f"Ổ gà số {i} giữa đường",
            }
        ).encode()

    async def run() -> None:
        spy = None

        async def post(i: int) -> tuple[int, bytes]:
            return await _call(app, "POST", "/open311/v2/requests.json", body(i))

        async def health(i: int) -> tuple[int, bytes]:
            return await _call(app, "GET", "/healthz")

        await _load(8, 200, post)  # warm up: caches, the writer's thread
        await _load(8, 200, health)
        for label, request, n in (
            ("healthz", health, args.reports),
            ("intake", post, args.reports),
        ):
            if label == "intake":
                spy = _start_spy(args, data_dir)
            the_writer = writer.for_database(app.state.db)
            batches_before, written_before = the_writer.batches, the_writer.written
            wall, cpu, latencies, answers = await _load(args.clients, n, request)
            ok = sum(1 for status, _ in answers if 200 <= status < 300)
            latencies.sort()
            p99 = latencies[int(0.99 * (len(latencies) - 1))]
            print(
                f"{label:8} {n / wall:8.0f} req/s  CPU {1000 * cpu / n:.3f} ms/req  "
                f"p50 {1000 * statistics.median(latencies):.1f} ms  p99 {1000 * p99:.1f} ms  "
                f"2xx {ok}/{n}"
            )
            if label == "intake":
                batches = the_writer.batches - batches_before
                written = the_writer.written - written_before
                print(
                    f"         writer: {batches} batches, {written} reports "
                    f"({written / max(batches, 1):.1f} a batch)"
                )
                codes = {
                    a[1].split(b'"service_request_id":"')[1][:14]
                    for a in answers
                    if a[0] == 201 or a[0] == 200
                }
                with database.session(write=False) as session:
                    found = session.scalar(
                        select(func.count())
                        .select_from(Report)
                        .where(Report.code.in_([c.decode() for c in codes]))
                    )
                print(f"         acknowledged {len(codes)}, in the database {found}")
        if spy is not None:
            await asyncio.sleep(0.5)
            spy.send_signal(2)
            spy.wait(timeout=30)
            _summarise(data_dir / "spy.txt")

    asyncio.run(run())
    database.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)


def _start_spy(args: argparse.Namespace, data_dir: Path) -> subprocess.Popen[bytes] | None:
    if not args.spy:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = data_dir / "spy.txt"
    spy = subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(os.getpid()),
            "--gil",
            "--rate",
            "500",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    return spy


def _summarise(path: Path, top: int = 30) -> None:
    if not path.exists():
        print("(py-spy wrote nothing)")
        return
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + count
    print(f"\npy-spy --gil: {samples} samples; self:")
    for name, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / samples:5.1f}%  {name}")
    print("inclusive:")
    for name, n in sorted(total.items(), key=lambda kv: -kv[1])[: top * 2]:
        print(f"  {100 * n / samples:5.1f}%  {name}")


if __name__ == "__main__":
    sys.exit(main())
