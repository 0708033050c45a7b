"""Browser tests: the real app served by uvicorn in a thread, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ioc.config import Settings
from ioc.db import Database

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from ioc import migrate
    from ioc.app import create_app
    from ioc.seed import seed_all

    data_dir = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    settings = Settings(
        env="test",
        data_dir=data_dir,
        secret_key="e2e-" + "k" * 40,
        base_url=f"http://127.0.0.1:{port}",
        log_level="WARNING",
        scheduler=False,
    )
    db = Database(settings.resolved_database_url)
    if os.environ.get("IOC_TEST_CREATE_ALL"):
        # Only while a model has no migration yet (as in tests/conftest.py).
        from ioc.db import Base
        from ioc.modules import import_all_models

        import_all_models()
        Base.metadata.create_all(db.engine)
    else:
        migrate.upgrade(db.engine)
    seed_all(db, demo=True)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database=db),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(base + "/healthz", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(timeout=5)
    db.dispose()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    return live_server


@pytest.fixture()
def screenshot_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
