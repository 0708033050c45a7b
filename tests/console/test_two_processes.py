"""Several processes (issue 5 §6): with IOC_REDIS_URL set, two `ioc serve` processes on one
database both deliver every event to their own live-feed clients. Real processes, the real
Redis of this machine, a real report filed through one of them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import redis

from tests.console.conftest import (
    SECRET,
    SseReader,
    free_port,
    prepare_database,
    signed_in,
    wait_until_up,
)

REDIS_URL = os.environ.get("IOC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_available(), reason=f"no Redis at {REDIS_URL}")


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IOC_DATA_DIR": str(data_dir),
        "IOC_SECRET_KEY": SECRET,
        "IOC_PORT": str(port),
        "IOC_HOST": "127.0.0.1",
        "IOC_BASE_URL": f"http://127.0.0.1:{port}",
        "IOC_REDIS_URL": REDIS_URL,
        "IOC_SCHEDULER": "false",
        "IOC_LOG_LEVEL": "WARNING",
    }
    env.pop("IOC_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", "from ioc.cli import main; main()", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("two-processes")
    prepare_database(data_dir).dispose()
    ports = (free_port(), free_port())
    procs = [_serve(data_dir, port) for port in ports]
    try:
        bases = tuple(f"http://127.0.0.1:{port}" for port in ports)
        for base, proc in zip(bases, procs, strict=True):
            try:
                wait_until_up(base, 120)  # a busy CI machine starts slowly
            except RuntimeError:
                proc.terminate()
                raise RuntimeError(proc.communicate(timeout=5)[1].decode()[-2000:]) from None
        yield bases[0], bases[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _file_a_report(base: str) -> str:
    """A citizen files a report through the JSON API of one process; returns its code."""
    with closing(signed_in(base, "citizen")) as client:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
        assert csrf
        category = client.get("/api/v1/categories").json()[0]["code"]
        response = client.post(
            "/api/v1/reports",
            json={
                "category_code": category,
                "lat": 21.5942,
                "lon": 105.848,
                "description": "Đèn đường hỏng cả dãy phố, tối om từ 7 giờ tối.",
            },
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["code"])


def test_both_processes_deliver_an_event_recorded_through_one(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    clients = [signed_in(first, "operator"), signed_in(second, "operator")]
    try:
        feeds = [SseReader(c, "/console/live") for c in clients]
        assert [f.status for f in feeds] == [200, 200]
        code = _file_a_report(first)
        href = f"/console/reports/{code}"
        for feed in feeds:
            assert feed.wait_for(
                lambda f: any(e["data"]["href"] == href for e in f.events), timeout=10
            ), f"{feed.events}"
        got = [next(e for e in f.events if e["data"]["href"] == href) for f in feeds]
        # The same event, with the same id, on both processes' feeds.
        assert got[0]["id"] == got[1]["id"]
        assert got[0]["data"]["type"] == "report.submitted"
    finally:
        for c in clients:
            c.close()


def test_a_client_of_the_other_process_catches_up_after_a_reconnect(
    two_servers: tuple[str, str],
) -> None:
    first, second = two_servers
    code = _file_a_report(first)
    with closing(signed_in(second, "operator")) as client:
        page = client.get("/console")
        assert page.status_code == 200
        ids = [int(i) for i in re.findall(r'data-event-id="(\d+)"', page.text)]
        assert ids, "the overview lists the latest events"
        # A console that had seen everything before the report: it gets it on reconnect.
        feed = SseReader(client, "/console/live", headers={"Last-Event-ID": str(min(ids) - 1)})
        assert feed.wait_for(
            lambda f: any(e["data"]["href"] == f"/console/reports/{code}" for e in f.events)
        ), (feed.status, feed.events[-3:], ids[:3])
