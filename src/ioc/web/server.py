"""`ioc serve --workers N`: N server processes on one listening socket, forked from a parent
that built the app first.

Why not uvicorn's own workers: they are spawned, so each imports and builds everything again
(~170 MB apiece here). Forked after the app is built and its objects frozen out of the
collector's sight (``gc.freeze``), the workers share those pages with the parent until one
writes to them, which is what lets two workers of a 2-core machine stay within the memory of
one and a half (bench/README.md, "Fifth round").

The parent only supervises: it opens the socket, builds the app without touching the database
(no connection may cross a fork), forks the workers, forwards SIGTERM/SIGINT to them, waits,
and forks a new worker when one dies unexpectedly (at most once a second). Each worker runs
the app's lifespan (its own event bus, its own intake writer, the scheduler whose leases make
one process run each job). Linux and other systems with fork only.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

RESTART_DELAY_S = 1.0
STOP_TIMEOUT_S = 10.0


def listening_socket(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def serve_forked(app: Any, *, host: str, port: int, workers: int, **uvicorn_options: Any) -> None:
    """Serve ``app`` (built, not yet started) with ``workers`` forked processes."""
    import uvicorn

    sock = listening_socket(host, port)
    config = uvicorn.Config(app, host=host, port=port, workers=workers, **uvicorn_options)
    config.load()
    # What every worker needs is built now and shared: out of the collector's sight, its pages
    # are not written by a collection in a worker (which would copy them).
    gc.collect()
    gc.freeze()
    children: dict[int, int] = {}  # pid -> worker number
    stopping = False

    def fork(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                uvicorn.Server(config).run(sockets=[sock])
            except BaseException:
                log.exception("worker %d failed", number)
                os._exit(1)
            os._exit(0)
        children[pid] = number

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for number in range(workers):
        fork(number)
    log.info("serving on %s:%d with %d forked workers", host, port, workers)
    stop_deadline: float | None = None
    while children:
        if stopping and stop_deadline is None:
            stop_deadline = time.monotonic() + STOP_TIMEOUT_S
        try:
            pid, status = os.waitpid(-1, os.WNOHANG if stopping else 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == 0:  # stopping, none exited yet
            if stop_deadline is not None and time.monotonic() > stop_deadline:
                for left in list(children):
                    os.kill(left, signal.SIGKILL)
            time.sleep(0.05)
            continue
        if pid not in children or stopping:
            children.pop(pid, None)
            continue
        number = children.pop(pid)
        log.warning(
            "worker %d (pid %d) ended with status %d; starting another",
            number,
            pid,
            os.waitstatus_to_exitcode(status),
        )
        time.sleep(RESTART_DELAY_S)
        if not stopping:
            fork(number)
    sock.close()
    sys.exit(0)
