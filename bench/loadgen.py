"""wrk, Debian's HTTP load generator: install it, run it against 127.0.0.1, parse its report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
WRK_TIMEOUT = "10s"  # a slower answer is counted as an error, not as a latency
APT_TIMEOUT_S = 600


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says what to do."""


@dataclass
class WrkResult:
    url: str
    duration_s: float
    connections: int
    threads: int
    requests: int
    requests_per_s: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    errors: int  # socket errors: connect + read + write + timeout
    non_2xx: int  # wrk counts answers with status >= 400 here (a 3xx counts as a success)
    transfer_per_s: str


def find_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    return "/usr/bin/wrk" if os.access("/usr/bin/wrk", os.X_OK) else None


def ensure_wrk() -> str:
    """Path of wrk; installs Debian's package when it is missing and we are root."""
    found = find_wrk()
    if found:
        return found
    if os.geteuid() != 0:
        raise BenchError(
            "wrk is missing and this is not root, so it cannot be installed here: "
            "run `sudo apt-get install -y wrk` (Debian's package) and start again."
        )
    print("wrk is missing: apt-get install -y wrk …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    done = subprocess.run(install, env=env, capture_output=True, timeout=APT_TIMEOUT_S)
    if done.returncode != 0:  # a fresh machine has no package lists yet
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, timeout=APT_TIMEOUT_S)
    found = find_wrk()
    if found is None:
        raise BenchError(f"apt-get install wrk failed:\n{done.stderr.decode(errors='replace')}")
    return found


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.M)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_TRANSFER = re.compile(r"^Transfer/sec:\s+(\S+)", re.M)
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(output: str, *, url: str, connections: int, threads: int) -> WrkResult:
    """Parse the report of `wrk --latency`."""
    rate = _RATE.search(output)
    requests = _REQUESTS.search(output)
    if rate is None or requests is None:
        raise BenchError(f"Cannot read wrk's report:\n{output}")
    percentiles = {
        int(m.group(1)): float(m.group(2)) * _UNITS_MS[m.group(3)]
        for m in _PERCENTILE.finditer(output)
    }
    socket_errors = _SOCKET.search(output)
    non_2xx = _NON_2XX.search(output)
    transfer = _TRANSFER.search(output)
    return WrkResult(
        url=url,
        duration_s=float(requests.group(2)) * _UNITS_MS[requests.group(3)] / 1000,
        connections=connections,
        threads=threads,
        requests=int(requests.group(1)),
        requests_per_s=float(rate.group(1)),
        p50_ms=percentiles.get(50, 0.0),
        p75_ms=percentiles.get(75, 0.0),
        p90_ms=percentiles.get(90, 0.0),
        p99_ms=percentiles.get(99, 0.0),
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        transfer_per_s=transfer.group(1) if transfer else "",
    )


def run_wrk(
    url: str,
    *,
    duration: float = 5.0,
    connections: int = 64,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> WrkResult:
    """Load `url` (127.0.0.1 only) for `duration` seconds with wrk and return its figures."""
    return run_wrk_output(
        url,
        duration=duration,
        connections=connections,
        threads=threads,
        headers=headers,
        script=script,
    )[0]


def run_wrk_output(
    url: str,
    *,
    duration: float = 5.0,
    connections: int = 64,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> tuple[WrkResult, str]:
    """As run_wrk, and wrk's whole stdout too (what a Lua script's done() printed)."""
    if urlsplit(url).hostname not in (LOOPBACK, "localhost"):
        raise BenchError(f"Refusing to load {url}: benchmarks only talk to {LOOPBACK}.")
    seconds = max(1, round(duration))
    args = [ensure_wrk(), "--latency", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    args += ["--timeout", WRK_TIMEOUT]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    done = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    parsed = parse_wrk(done.stdout, url=url, connections=connections, threads=threads)
    return parsed, done.stdout


def _lua_string(data: bytes) -> str:
    safe = (chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\{b:03d}" for b in data)
    return '"' + "".join(safe) + '"'


def post_script(
    path: Path,
    body: bytes | str,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> Path:
    """Write a wrk Lua script that sends `body` with every request (for POST routes)."""
    data = body.encode() if isinstance(body, str) else body
    lines = [
        f"wrk.method = {_lua_string(method.encode())}",
        f"wrk.body = {_lua_string(data)}",
        f'wrk.headers["Content-Type"] = {_lua_string(content_type.encode())}',
    ]
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{_lua_string(name.encode())}] = {_lua_string(value.encode())}")
    path.write_text("\n".join(lines) + "\n")
    return path
