"""`ioc` as a black box for benchmarks: a fresh data dir and database, `ioc serve` in a
subprocess (time to ready, RSS from /proc) and signing in like a browser.

Only 127.0.0.1 is ever addressed; every wait is bounded; what is started is stopped again.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from loadgen import LOOPBACK, BenchError

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/"
DEMO_PASSWORD = "demo-ioc-2026"  # ioc.seed.DEMO_PASSWORD; the harness does not import the app
READY_POLL_S = 0.010
READY_TIMEOUT_S = 60.0
SETUP_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 10.0


def ioc_command() -> list[str]:
    """The `ioc` console script of the interpreter running the benchmark (the project's venv)."""
    for candidate in (Path(sys.executable).parent / "ioc", REPO_DIR / ".venv" / "bin" / "ioc"):
        if candidate.exists():
            return [str(candidate)]
    found = shutil.which("ioc")
    if found is None:
        raise BenchError("`ioc` not found: run `make setup` and use .venv/bin/python.")
    return [found]


# --- data dir and database -------------------------------------------------------------------


@dataclass
class Environment:
    """A fresh data directory and database, with the IOC_* variables that point at them."""

    db: str  # "sqlite" or "postgres"
    data_dir: Path
    database_url: str  # empty for SQLite (the app then uses DATA_DIR/ioc.sqlite3)
    env: dict[str, str]
    setup_seconds: dict[str, float] = field(default_factory=dict)

    def run_ioc(self, *args: str, timeout: float = SETUP_TIMEOUT_S) -> float:
        """Run `ioc ARGS` with this environment; return its wall time in seconds."""
        started = time.perf_counter()
        done = subprocess.run(
            [*ioc_command(), *args],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise BenchError(
                f"`ioc {' '.join(args)}` failed ({done.returncode}):\n{_tail(done.stderr)}"
            )
        return elapsed


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in (LOOPBACK, "localhost"):
        raise BenchError(f"Refusing {url}: benchmarks only talk to {LOOPBACK}.")


def _pg_admin_connect(admin_url: str) -> Any:
    import psycopg

    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://", 1).rstrip("/")
    return psycopg.connect(conninfo + "/postgres", autocommit=True, connect_timeout=5)


def _ensure_postgres(admin_url: str) -> None:
    """PostgreSQL must answer; as the test target does, start the local cluster if it does not."""
    try:
        _pg_admin_connect(admin_url).close()
        return
    except Exception as first_error:
        script = REPO_DIR / "scripts" / "ensure-postgres.sh"
        if os.geteuid() != 0 or not script.exists():
            raise BenchError(
                f"PostgreSQL does not answer at {admin_url} ({first_error}); start it "
                "(`bash scripts/ensure-postgres.sh` as root) and run again."
            ) from first_error
    print("PostgreSQL does not answer; starting it with scripts/ensure-postgres.sh …", flush=True)
    subprocess.run(["bash", str(script)], cwd=REPO_DIR, timeout=120, check=True)
    _pg_admin_connect(admin_url).close()


@contextlib.contextmanager
def prepare_environment(
    db: str = "sqlite",
    *,
    pg_admin_url: str = PG_ADMIN_URL,
    demo: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Environment]:
    """A temp data dir and a fresh database, migrated (`ioc db upgrade`) and seeded
    (`ioc seed --demo`); on PostgreSQL a throwaway database that is dropped at the end."""
    if db not in ("sqlite", "postgres"):
        raise BenchError(f"Unknown database {db!r}: sqlite or postgres.")
    data_dir = Path(tempfile.mkdtemp(prefix=f"ioc-bench-{db}-"))
    pg_name = ""
    try:
        database_url = ""
        if db == "postgres":
            _require_loopback(pg_admin_url)
            _ensure_postgres(pg_admin_url)
            pg_name = f"ioc_bench_{secrets.token_hex(4)}"
            with _pg_admin_connect(pg_admin_url) as conn:
                conn.execute(f'CREATE DATABASE "{pg_name}"')
            database_url = pg_admin_url.rstrip("/") + "/" + pg_name
        env = {
            **os.environ,
            "IOC_DATA_DIR": str(data_dir),
            "IOC_DATABASE_URL": database_url,
            "IOC_ENV": "production",  # measure what production runs, not development extras
            "IOC_SECRET_KEY": secrets.token_urlsafe(48),
            "IOC_HOST": LOOPBACK,
            "IOC_LOG_LEVEL": "WARNING",
            "IOC_SCHEDULER": "false",
            "IOC_REDIS_URL": "",
            **(extra_env or {}),
        }
        environment = Environment(db, data_dir, database_url, env)
        environment.setup_seconds["db upgrade"] = environment.run_ioc("db", "upgrade")
        seed_args = ("seed", "--demo") if demo else ("seed",)
        environment.setup_seconds["seed"] = environment.run_ioc(*seed_args)
        yield environment
    finally:
        if pg_name:
            with contextlib.suppress(Exception), _pg_admin_connect(pg_admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return pids


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_mb(pid: int) -> float:
    """Memory of a process and its children as the kernel shares it out (Pss, from
    /proc/PID/smaps_rollup): a page that N processes share counts 1/N in each, so the sum over
    a tree of forked workers is the memory they use together."""
    total_kb = 0
    for p in _process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            pass
    return total_kb / 1024


def rss_mb(pid: int, *, tree: bool = True, key: str = "VmRSS") -> float:
    """Resident memory of a process (and its children: uvicorn's workers) from /proc, in MB.
    key="VmHWM" gives the peak instead. Shared pages of forked workers are counted per process,
    so the sum over a tree overstates what the workers use together."""
    pids = _process_tree(pid) if tree else [pid]
    return sum(_status_kb(p, key) for p in pids) / 1024


@dataclass
class Server:
    """A running `ioc serve`; stop() (or leaving start_server's block) ends its whole group."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    ready_seconds: float = 0.0  # spawn → the first GET /readyz that answered 200
    readyz_seconds: float = 0.0  # how long that answer itself took (the app's own checks)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def rss_mb(self, key: str = "VmRSS") -> float:
        return rss_mb(self.process.pid, key=key)

    def pss_mb(self) -> float:
        return pss_mb(self.process.pid)

    def log_tail(self) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)


def _wait_ready(server: Server, started: float) -> None:
    """Poll GET /readyz every 10 ms until it answers 200; sets the server's ready_seconds
    (since `started`, the spawn) and readyz_seconds."""
    deadline = started + READY_TIMEOUT_S
    with httpx.Client(timeout=2.0) as client:
        while time.perf_counter() < deadline:
            if server.process.poll() is not None:
                raise BenchError(
                    f"`ioc serve` exited with {server.process.returncode} before it was ready:\n"
                    + server.log_tail()
                )
            asked = time.perf_counter()
            try:
                if client.get(server.url("/readyz")).status_code == 200:
                    answered = time.perf_counter()
                    server.ready_seconds = answered - started
                    server.readyz_seconds = answered - asked
                    return
            except httpx.TransportError:
                pass
            time.sleep(READY_POLL_S)
    raise BenchError(f"`ioc serve` not ready after {READY_TIMEOUT_S:.0f} s:\n{server.log_tail()}")


@contextlib.contextmanager
def start_server(
    environment: Environment, *, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start `ioc serve` on a free loopback port and wait until /readyz answers 200;
    server.ready_seconds is the time from spawn to that answer. Its output goes to
    server.log_path."""
    port = free_port()
    log_path = environment.data_dir / f"serve-{port}.log"
    env = {**environment.env, **(extra_env or {}), "IOC_PORT": str(port), "IOC_HOST": LOOPBACK}
    args = [*ioc_command(), "serve", "--workers", str(workers)]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            args,
            env=env,
            cwd=environment.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() reaches the workers
        )
    server = Server(process, port, log_path)
    try:
        _wait_ready(server, started)
        yield server
    finally:
        server.stop()


# --- signing in ------------------------------------------------------------------------------

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


def signin(base_url: str, email: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in through the form like a browser; return a Cookie header value for wrk."""
    _require_loopback(base_url)
    with httpx.Client(base_url=base_url, timeout=10.0, follow_redirects=False) as client:
        page = client.get("/signin")
        page.raise_for_status()
        tag = _CSRF_INPUT.search(page.text)
        value = _VALUE.search(tag.group(0)) if tag else None
        if value is None:
            raise BenchError("No csrf_token input on /signin.")
        answer = client.post(
            "/signin", data={"email": email, "password": password, "csrf_token": value.group(1)}
        )
        session = answer.cookies.get("ioc_session") or client.cookies.get("ioc_session")
        if answer.status_code >= 400 or not session:
            raise BenchError(f"Sign-in as {email} failed: HTTP {answer.status_code}.")
        return f"ioc_session={session}"


@contextlib.contextmanager
def start_command_server(
    environment: Environment,
    args: list[str],
    port: int,
    *,
    ready_path: str = "/readyz",
    name: str = "command",
) -> Iterator[Server]:
    """Start another server (e.g. bench/ceiling_app.py) that listens on 127.0.0.1:`port`, in
    its own process group, and wait until `ready_path` answers 200; stopped like `ioc serve`."""
    log_path = environment.data_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            args,
            env=environment.env,
            cwd=environment.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(process, port, log_path)
    try:
        deadline = started + READY_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while True:
                if process.poll() is not None:
                    raise BenchError(
                        f"{name} exited with {process.returncode}:\n{server.log_tail()}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if client.get(server.url(ready_path)).status_code == 200:
                        server.ready_seconds = time.perf_counter() - started
                        break
                if time.perf_counter() > deadline:
                    raise BenchError(f"{name} not ready after {READY_TIMEOUT_S:.0f} s")
                time.sleep(READY_POLL_S)
        yield server
    finally:
        server.stop()
