"""Benchmark harness: the helpers every benchmark under bench/ is built from.

- appserver: a fresh data dir and database (SQLite, or a throwaway PostgreSQL database), `ioc
  serve` in a subprocess with its time to ready and RSS, signing in like a browser;
- loadgen: wrk against 127.0.0.1, its report parsed;
- here: cold starts, routes measured R times against a bare ceiling route in the same run
  (medians and ratios), Markdown tables, targets and the JSON record under bench/results/.

Benchmarks print figures, they never assert times (see ARCHITECTURE.md). Throughput is shown
beside the ceiling because on a 2-core machine that wrk shares with the server an absolute
req/s means little by itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import httpx
from appserver import (
    DEMO_PASSWORD,
    REPO_DIR,
    Environment,
    Server,
    ioc_command,
    prepare_environment,
    rss_mb,
    signin,
    start_server,
)
from loadgen import LOOPBACK, BenchError, WrkResult, ensure_wrk, post_script, run_wrk

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DRAIN_TIMEOUT_S = 90.0
STALL_S = 2.0

__all__ = [
    "DEMO_PASSWORD",
    "LOOPBACK",
    "BenchError",
    "CpuMeter",
    "Environment",
    "Route",
    "RouteFigures",
    "Server",
    "StartupFigures",
    "Target",
    "WrkResult",
    "ensure_wrk",
    "ioc_command",
    "machine_info",
    "measure_routes",
    "measure_startup",
    "median_of",
    "post_script",
    "prepare_environment",
    "routes_table",
    "rss_mb",
    "run_wrk",
    "signin",
    "start_server",
    "startup_profile",
    "targets_table",
    "write_results",
]

# --- routes against the ceiling --------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A page or endpoint to load. `account` signs in first; `script` is a wrk Lua script
    (e.g. loadgen.post_script(...)) for POST bodies."""

    name: str
    path: str
    account: str | None = None
    script: Path | None = None
    expect_status: int = 200


@dataclass
class RouteFigures:
    """Medians over the repeats of one route, and its ratio to the ceiling's median req/s."""

    name: str
    path: str
    runs: list[WrkResult]
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    non_2xx: int
    ratio: float = 0.0
    spread: float = 0.0  # (max - min) / median of req/s over the repeats
    preflight: str = ""
    drain_s: list[float] = field(default_factory=list)  # per run: wait for an answer after it
    stalls: int = 0  # runs after which the server took longer than STALL_S to answer


def median_of(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def _preflight(server: Server, route: Route, cookie: str | None) -> str:
    """One request outside the load: the route must answer as expected (wrk would count a 303
    to /signin as a fast success, and a 500 only as non-2xx). Also warms caches and templates."""
    if route.script is not None:
        return "not checked (Lua script)"
    headers = {"Cookie": cookie} if cookie else {}
    with httpx.Client(timeout=30.0, follow_redirects=False) as client:
        answer = client.get(server.url(route.path), headers=headers)
        for _ in range(4):
            client.get(server.url(route.path), headers=headers)
    note = f"HTTP {answer.status_code}, {len(answer.content)} bytes"
    if answer.status_code != route.expect_status:
        location = answer.headers.get("location", "")
        raise BenchError(
            f"{route.path} answered HTTP {answer.status_code}"
            f"{' → ' + location if location else ''} instead of {route.expect_status}.\n"
            + server.log_tail()
        )
    return note


def _drain(server: Server, path: str) -> float:
    """Wait until the requests wrk left queued are done, so that they do not eat into the next
    run (a sync route's request waits behind them in the same thread pool); return how long
    the server took to answer. Longer than STALL_S means it had stopped answering."""
    time.sleep(0.2)
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=DRAIN_TIMEOUT_S) as client:
            client.get(server.url(path))
    except httpx.HTTPError as error:
        raise BenchError(
            f"The server did not answer {path} within {DRAIN_TIMEOUT_S:.0f} s after the load "
            f"({type(error).__name__}): it is stuck.\n{server.log_tail()}"
        ) from error
    return time.perf_counter() - started


def measure_routes(
    server: Server,
    routes: Sequence[Route],
    *,
    ceiling: Route | None = None,
    duration: float = 5.0,
    connections: int = 64,
    threads: int = 2,
    repeat: int = 3,
    progress: Callable[[str], None] = print,
) -> list[RouteFigures]:
    """Load each route `repeat` times with wrk, interleaved (ceiling, a, b, …, ceiling, a, …) so
    that drift on a shared machine touches every route alike; medians and ratio to the ceiling."""
    ceiling = ceiling or Route("ceiling", "/healthz")
    ordered = [ceiling, *(r for r in routes if r.path != ceiling.path or r.account)]
    cookies: dict[str, str] = {}
    notes: dict[str, str] = {}
    failed: dict[str, str] = {}
    for route in ordered:
        try:
            if route.account and route.account not in cookies:
                cookies[route.account] = signin(server.base_url, route.account)
            notes[route.name] = _preflight(
                server, route, cookies.get(route.account) if route.account else None
            )
        except (BenchError, httpx.HTTPError) as error:
            failed[route.name] = str(error)
            progress(f"  ✗ {route.name} {route.path}: {error}")
    if ceiling.name in failed:
        raise BenchError(f"The ceiling {ceiling.path} failed: {failed[ceiling.name]}")
    runs: dict[str, list[WrkResult]] = {r.name: [] for r in ordered}
    drains: dict[str, list[float]] = {r.name: [] for r in ordered}
    for round_ in range(1, repeat + 1):
        for route in ordered:
            if route.name in failed:
                continue
            headers = {"Cookie": cookies[route.account]} if route.account else {}
            result = run_wrk(
                server.url(route.path),
                duration=duration,
                connections=connections,
                threads=threads,
                headers=headers,
                script=route.script,
            )
            runs[route.name].append(result)
            drained = _drain(server, ceiling.path)
            drains[route.name].append(drained)
            progress(
                f"  [{round_}/{repeat}] {route.name:<10} {result.requests_per_s:>9.0f} req/s"
                f"  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:7.1f} ms"
                + (f"  errors {result.errors}" if result.errors else "")
                + (f"  non-2xx {result.non_2xx}" if result.non_2xx else "")
                + (
                    f"  ⚠ STALL: {ceiling.path} answered only {drained:.1f} s after the load"
                    if drained > STALL_S
                    else ""
                )
            )
    figures = []
    for route in ordered:
        done = runs[route.name]
        rps = [r.requests_per_s for r in done]
        figure = RouteFigures(
            name=route.name,
            path=route.path,
            runs=done,
            requests_per_s=median_of(rps),
            p50_ms=median_of([r.p50_ms for r in done]),
            p90_ms=median_of([r.p90_ms for r in done]),
            p99_ms=median_of([r.p99_ms for r in done]),
            errors=sum(r.errors for r in done),
            non_2xx=sum(r.non_2xx for r in done),
            spread=(max(rps) - min(rps)) / median_of(rps) if rps and median_of(rps) else 0.0,
            preflight=failed.get(route.name, notes.get(route.name, "")),
            drain_s=drains[route.name],
            stalls=sum(1 for d in drains[route.name] if d > STALL_S),
        )
        figures.append(figure)
    top = figures[0].requests_per_s
    for figure in figures:
        figure.ratio = figure.requests_per_s / top if top else 0.0
    return figures


def routes_table(figures: Sequence[RouteFigures]) -> str:
    """A Markdown table: req/s, latency percentiles and ratio to the ceiling (first row)."""
    lines = [
        "| route | path | req/s | ± | p50 ms | p90 ms | p99 ms | × ceiling | errors | non-2xx "
        "| stalls |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for f in figures:
        if not f.runs:
            lines.append(f"| {f.name} | `{f.path}` | failed: {f.preflight.splitlines()[0]} |")
            continue
        lines.append(
            f"| {f.name} | `{f.path}` | {f.requests_per_s:,.0f} | {f.spread:.0%} "
            f"| {f.p50_ms:.1f} | {f.p90_ms:.1f} | {f.p99_ms:.1f} | {f.ratio:.2f} "
            f"| {f.errors} | {f.non_2xx} | {f.stalls or ''} |"
        )
    return "\n".join(lines)


# --- other work on the machine --------------------------------------------------------------


def _machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat, in USER_HZ ticks)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    """CPU seconds of this process and of its children that have ended (servers, wrk, ioc)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuMeter:
    """How much of the machine other work used while the benchmark ran: on a shared 2-core
    machine that is what makes two runs differ. PostgreSQL's own processes count as other."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.busy = _machine_busy_s()
        self.own = _own_cpu_s()

    def read(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        busy = _machine_busy_s() - self.busy
        own = _own_cpu_s() - self.own
        capacity = wall * (os.cpu_count() or 1)
        others = max(busy - own, 0.0)
        return {
            "wall_s": wall,
            "benchmark_cpu_s": own,
            "other_cpu_s": others,
            "other_share": others / capacity if capacity else 0.0,
        }


# --- the record ------------------------------------------------------------------------------


def _git_commit() -> str:
    with contextlib.suppress(Exception):
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    return ""


def machine_info() -> dict[str, Any]:
    """What the figures depend on: cores, load from other work, versions."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "commit": _git_commit(),
    }


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write bench/results/NAME-YYYYmmdd-HHMMSS.json (git-ignored); return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_plain) + "\n")
    return path


# --- start-up --------------------------------------------------------------------------------


@dataclass
class StartupFigures:
    """Cold starts of `ioc serve`: spawn → /readyz 200, and RSS idle after ready."""

    ready_s: list[float]
    readyz_s: list[float]  # the answering /readyz request alone (database and migration check)
    idle_rss_mb: list[float]
    peak_rss_mb: list[float]  # VmHWM at the same moment: the most the start-up ever held

    @property
    def median_ready_s(self) -> float:
        return median_of(self.ready_s)

    @property
    def median_idle_rss_mb(self) -> float:
        return median_of(self.idle_rss_mb)


def measure_startup(
    environment: Environment,
    *,
    starts: int = 5,
    workers: int = 1,
    settle_s: float = 0.5,
    progress: Callable[[str], None] = print,
) -> StartupFigures:
    """Start and stop the server `starts` times (a new process each time; the OS file cache is
    warm after the first). Idle RSS is read `settle_s` after ready, before any other request."""
    figures = StartupFigures([], [], [], [])
    for number in range(1, starts + 1):
        with start_server(environment, workers=workers) as server:
            time.sleep(settle_s)
            figures.ready_s.append(server.ready_seconds)
            figures.readyz_s.append(server.readyz_seconds)
            figures.idle_rss_mb.append(server.rss_mb())
            figures.peak_rss_mb.append(server.rss_mb("VmHWM"))
        progress(
            f"  start {number}/{starts}: ready in {figures.ready_s[-1]:.2f} s "
            f"(its /readyz {figures.readyz_s[-1] * 1000:.0f} ms), "
            f"idle RSS {figures.idle_rss_mb[-1]:.0f} MB, peak {figures.peak_rss_mb[-1]:.0f} MB"
        )
    return figures


_PHASES = """
import json, time
t0 = time.perf_counter()
import ioc.cli, ioc.app, uvicorn
t1 = time.perf_counter()
from ioc.config import Settings
app = ioc.app.create_app(Settings())
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "create_app": t2 - t1}))
"""


def _venv_python() -> str:
    return str(Path(ioc_command()[0]).parent / "python")


def _import_trace(log: str, top: int) -> tuple[float, int, dict[str, float]]:
    """Sum of the self-times in a `-X importtime` trace, the module count, and the self-times
    summed per top-level package (the `top` largest), in seconds."""
    per_package: dict[str, int] = {}
    for line in log.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        package = parts[2].strip().split(".")[0]
        per_package[package] = per_package.get(package, 0) + int(parts[0])
    modules = sum(1 for line in log.splitlines() if line.startswith("import time:")) - 1
    ranked = sorted(per_package.items(), key=lambda item: -item[1])[:top]
    return sum(per_package.values()) / 1e6, max(modules, 0), {k: v / 1e6 for k, v in ranked}


def startup_profile(environment: Environment, *, runs: int = 3, top: int = 12) -> dict[str, Any]:
    """Where start-up goes. In separate processes (medians of `runs`): the bare interpreter,
    `import ioc.cli, ioc.app, uvicorn`, then create_app(). And one real `ioc serve` started with
    PYTHONPROFILEIMPORTTIME=1: the self-times of all its imports, in total and per top-level
    package (the trace itself adds some overhead)."""
    python = _venv_python()

    def timed(*args: str) -> tuple[float, str]:
        started = time.perf_counter()
        done = subprocess.run(
            [python, *args],
            env=environment.env,
            cwd=environment.data_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return time.perf_counter() - started, done.stdout

    interpreter, phases = [], []
    for _ in range(runs):
        interpreter.append(timed("-c", "pass")[0])
        phases.append(json.loads(timed("-c", _PHASES)[1]))
    with start_server(environment, extra_env={"PYTHONPROFILEIMPORTTIME": "1"}) as server:
        traced_ready = server.ready_seconds
    trace = server.log_path.read_text(errors="replace")
    imports_s, modules, by_package = _import_trace(trace, top)
    return {
        "interpreter_s": median_of(interpreter),
        "import_s": median_of([p["import"] for p in phases]),
        "create_app_s": median_of([p["create_app"] for p in phases]),
        "traced_ready_s": traced_ready,
        "traced_imports_s": imports_s,
        "modules_imported": modules,
        "import_self_s_by_package": by_package,
    }


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A figure beside its target; `met` is only printed, never asserted."""

    figure: str
    value: float
    limit: float
    unit: str
    higher_is_better: bool = False

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.higher_is_better else self.value < self.limit


def targets_table(targets: Sequence[Target]) -> str:
    lines = ["| figure | measured | target | |", "|---|--:|--:|---|"]
    for t in targets:
        sign = ">" if t.higher_is_better else "<"
        lines.append(
            f"| {t.figure} | {t.value:,.2f} {t.unit} | {sign} {t.limit:,.0f} {t.unit} "
            f"| {'✓' if t.met else '✗'} |"
        )
    return "\n".join(lines)
