"""Live servers for the console's feed tests: the real app under uvicorn on a real port, over
a database file of its own (SSE needs a real HTTP stream, and another thread or process reads
what the test commits)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ioc.config import Settings
from ioc.db import Base, Database

SECRET = "console-live-" + "s" * 40
PASSWORD = "correct-horse-battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(data_dir: Path) -> Database:
    """Schema from the models (IOC_TEST_CREATE_ALL style), the province, and one person per role."""
    from ioc.kit import auth
    from ioc.modules import define_permissions, import_all_models
    from ioc.seed import seed_modules

    define_permissions()
    import_all_models()
    db = Database(f"sqlite:///{data_dir / 'ioc.sqlite3'}")
    Base.metadata.create_all(db.engine)
    with db.session() as session:
        seed_modules(session)
        for role, agency in (
            ("operator", None),
            ("leader", None),
            ("administrator", None),
            ("officer", "SXD"),
            ("citizen", None),
        ):
            user = auth.create_user(
                session, email=f"{role}@live.test", password=PASSWORD, full_name=f"Live {role}"
            )
            auth.grant_role(session, user, role, scope_ref=agency)
    return db


def wait_until_up(base: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} did not start")


def signed_in(base: str, role: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10.0, follow_redirects=False)
    page = client.get("/signin")
    token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/signin",
        data={"email": f"{role}@live.test", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.text[:300]
    return client


@dataclass
class LiveServer:
    base: str
    db: Database
    settings: Settings


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from ioc.app import create_app

    data_dir = tmp_path_factory.mktemp("console-live")
    db = prepare_database(data_dir)
    port = free_port()
    settings = Settings(
        env="test",
        data_dir=data_dir,
        secret_key=SECRET,
        base_url=f"http://127.0.0.1:{port}",
        log_level="WARNING",
        scheduler=False,
    )
    app = create_app(settings, database=db)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base)
    yield LiveServer(base, db, settings)
    server.should_exit = True
    thread.join(timeout=5)
    db.dispose()


class SseReader:
    """Reads server-sent events from a streaming response in a thread, so a test can wait for
    them with a timeout."""

    def __init__(self, client: httpx.Client, url: str, headers: dict[str, str] | None = None):
        self.events: list[dict[str, Any]] = []
        self.comments: list[str] = []
        self.status: int | None = None
        self.ready = threading.Event()
        self._changed = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(
            target=self._run, args=(client, url, headers or {}), daemon=True
        )
        self._thread.start()
        assert self.ready.wait(10), "the live feed did not answer"

    def _run(self, client: httpx.Client, url: str, headers: dict[str, str]) -> None:
        try:
            with client.stream(
                "GET", url, headers=headers, timeout=httpx.Timeout(10, read=60)
            ) as r:
                self.status = r.status_code
                self.ready.set()
                if r.status_code != 200:
                    return
                kind, data, ident = "message", "", None
                for line in r.iter_lines():
                    if self._stop:
                        return
                    if line.startswith(":"):
                        with self._changed:
                            self.comments.append(line[1:].strip())
                            self._changed.notify_all()
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif line.startswith("id:"):
                        ident = line[3:].strip()
                    elif line == "":
                        if data:
                            with self._changed:
                                self.events.append(
                                    {"event": kind, "id": ident, "data": json.loads(data)}
                                )
                                self._changed.notify_all()
                        kind, data, ident = "message", "", None
        except httpx.HTTPError:
            pass
        finally:
            self.ready.set()

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def titles(self) -> list[str]:
        return [e["data"]["title"] for e in self.events if e["event"] == "event"]

    def close(self) -> None:
        self._stop = True
