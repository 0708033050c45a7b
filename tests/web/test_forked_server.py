"""`ioc serve --workers 2`: real processes forked from the parent that built the app, one
listening socket, Open311 reports filed through both, a worker killed and replaced, a clean stop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ioc.db import make_engine

IOC = [sys.executable, "-m", "ioc.cli"]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked workers need fork()")


def _env(data_dir: Path, port: int, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "IOC_DATA_DIR": str(data_dir),
        "IOC_DATABASE_URL": database_url,
        "IOC_ENV": "production",
        "IOC_SECRET_KEY": "forked-server-test-key-0123456789abcdefgh",
        "IOC_SCHEDULER": "false",
        "IOC_LOG_LEVEL": "WARNING",
        "IOC_HOST": "127.0.0.1",
        "IOC_PORT": str(port),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.update(int(child) for child in task.read_text().split())
    return found


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The server's own database: a SQLite file in its data directory on the SQLite pass, and
    on the PostgreSQL pass a database of its own beside the tests' (made empty, dropped
    afterwards)."""
    test_url = os.environ.get("IOC_TEST_DATABASE_URL", "")
    on_postgresql = test_url.startswith("postgresql")
    if request.param == "sqlite":
        if on_postgresql:
            pytest.skip("runs in the SQLite pass")
        yield ""
        return
    if not on_postgresql:
        pytest.skip("the PostgreSQL pass only")
    url = make_url(test_url)
    name = f"{url.database}_forked"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> Iterator[tuple[subprocess.Popen[bytes], str, str, Path, str]]:
    data_dir = tmp_path_factory.mktemp("forked")
    port = _free_port()
    env = _env(data_dir, port, database_url)
    for args in (["db", "upgrade"], ["seed"]):
        done = subprocess.run(IOC + args, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
    made = subprocess.run(
        [*IOC, "api-keys", "create", "forked-test"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1].strip()
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen([*IOC, "serve", "--workers", "2"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_for(ready, timeout=60)
        yield process, base, key, data_dir, database_url or f"sqlite:///{data_dir / 'ioc.sqlite3'}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _file(base: str, key: str, i: int) -> httpx.Response:
    return httpx.post(
        base + "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "road.pothole",
            "attribute[size]": "large",
            "lat": f"{21.59 + i * 0.0001:.5f}",
            "long": "105.85",
            "description": f"Ổ gà số {i} (máy chủ nhiều tiến trình)",
        },
        timeout=30,
    )


def test_two_forked_workers_share_the_socket_and_file_reports_without_gaps(server) -> None:  # type: ignore[no-untyped-def]
    process, base, key, data_dir, url = server
    workers = _children(process.pid)
    assert len(workers) == 2
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: _file(base, key, i), range(80)))
    assert [a.status_code for a in answers] == [200] * 80, answers[0].text
    codes = sorted(a.json()[0]["service_request_id"] for a in answers)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = sorted(
                conn.execute(text("SELECT code FROM reports WHERE channel = 'open311'")).scalars()
            )
    finally:
        engine.dispose()
    assert stored == codes  # every acknowledged report is there, and nothing else
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(numbers[0], numbers[0] + 80))  # no gap, no repeat
    if url.startswith("sqlite"):
        # The writers of both processes took turns through the lock file beside the database.
        assert (data_dir / "ioc.sqlite3-intake.lock").exists()
    else:
        # Each writer took its numbers in a transaction of its own, and the year's counter
        # stands past the last of them.
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                last = conn.execute(text("SELECT max(last) FROM report_counters")).scalar()
        finally:
            engine.dispose()
        assert last == numbers[-1]


def test_a_killed_worker_is_replaced_and_serving_goes_on(server) -> None:  # type: ignore[no-untyped-def]
    process, base, key, _, _ = server
    before = _children(process.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    _wait_for(lambda: len(_children(process.pid)) == 2 and victim not in _children(process.pid))
    after = _children(process.pid)
    assert victim not in after and len(after - before) == 1
    for i in range(10):  # whichever worker takes the connection answers
        assert _file(base, key, 1000 + i).status_code == 200


def test_sigterm_stops_the_parent_and_every_worker(server) -> None:  # type: ignore[no-untyped-def]
    process, _, _, _, _ = server
    workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    for pid in workers:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
