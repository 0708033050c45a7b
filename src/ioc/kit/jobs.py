"""Periodic jobs: a registry, leases so that two processes never run the same job at once, and
the loop that runs them (a thread inside ``ioc serve``, or ``ioc worker``).

A lease is a row per job. Taking it is one conditional UPDATE that only one contender can win:
on PostgreSQL the row lock makes a concurrent UPDATE wait and then re-check its WHERE against
the winner's values; SQLite has a single writer. Jobs must still be idempotent: a job that runs
longer than its lease can be started again elsewhere, and a crash mid-run means a rerun.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, String, Text, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, Database, UTCDateTime, utcnow
from ioc.kit.module import JobSpec, Module

log = logging.getLogger(__name__)

DEFAULT_LEASE_TTL = timedelta(minutes=15)
ERROR_MAX = 4000


class JobLease(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(20))  # running, ok, failed
    last_error: Mapped[str | None] = mapped_column(Text)
    run_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class JobRegistry:
    """The jobs this installation runs, by unique name."""

    def __init__(self, specs: Iterable[JobSpec] = ()) -> None:
        self._specs: dict[str, JobSpec] = {}
        for spec in specs:
            self.register(spec)

    @classmethod
    def from_modules(cls, modules: Iterable[Module]) -> JobRegistry:
        return cls(spec for module in modules for spec in module.jobs)

    def register(self, spec: JobSpec) -> JobSpec:
        if spec.name in self._specs:
            raise ValueError(f"job {spec.name!r} is registered twice")
        if spec.interval <= timedelta(0):
            raise ValueError(f"job {spec.name!r} needs a positive interval")
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> JobSpec:
        return self._specs[name]

    def names(self) -> list[str]:
        return list(self._specs)

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(list(self._specs.values()))

    def __len__(self) -> int:
        return len(self._specs)


def default_owner() -> str:
    """Who holds a lease: host, process and a random part (pids repeat across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _engine(target: Engine | Database) -> Engine:
    return target.engine if isinstance(target, Database) else target


def _take(
    engine: Engine,
    name: str,
    now: datetime,
    values: dict[str, Any],
    *conditions: ColumnElement[bool],
) -> bool:
    # The UPDATE is the first statement of its transaction: on SQLite (WAL) a transaction that
    # read first and then writes can fail with SQLITE_BUSY_SNAPSHOT instead of waiting.
    stmt = (
        update(JobLease)
        .where(
            JobLease.name == name,
            or_(JobLease.leased_until.is_(None), JobLease.leased_until < now),
            *conditions,
        )
        .values(**values)
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def _insert_if_missing(engine: Engine, name: str) -> None:
    with engine.connect() as conn:
        if conn.scalar(select(JobLease.name).where(JobLease.name == name)) is not None:
            return
    try:
        with engine.begin() as conn:
            conn.execute(insert(JobLease).values(name=name, run_count=0))
    except IntegrityError:
        pass  # another process created it first; the conditional UPDATE decides who wins


def _acquire(
    engine: Engine,
    name: str,
    now: datetime,
    values: dict[str, Any],
    *conditions: ColumnElement[bool],
) -> bool:
    if _take(engine, name, now, values, *conditions):
        return True
    _insert_if_missing(engine, name)
    return _take(engine, name, now, values, *conditions)


def try_acquire(
    engine_or_db: Engine | Database,
    name: str,
    owner: str,
    ttl: timedelta,
    *,
    now: datetime | None = None,
) -> bool:
    """Take the lease ``name`` for ``ttl`` unless someone holds an unexpired one. Commits at
    once, in its own transaction, so it works across processes."""
    now = now or utcnow()
    return _acquire(_engine(engine_or_db), name, now, {"owner": owner, "leased_until": now + ttl})


def release(engine_or_db: Engine | Database, name: str, owner: str) -> bool:
    """Give the lease back early; only its holder can."""
    stmt = (
        update(JobLease)
        .where(JobLease.name == name, JobLease.owner == owner)
        .values(leased_until=None)
    )
    with _engine(engine_or_db).begin() as conn:
        return conn.execute(stmt).rowcount == 1


def _claim_run(engine: Engine, spec: JobSpec, owner: str, now: datetime, ttl: timedelta) -> bool:
    # Dueness is checked in the same UPDATE that takes the lease: a process that read "due"
    # just before another finished the run would otherwise start it a second time.
    return _acquire(
        engine,
        spec.name,
        now,
        {
            "owner": owner,
            "leased_until": now + ttl,
            "last_started_at": now,
            "last_status": "running",
            "run_count": JobLease.run_count + 1,
        },
        or_(JobLease.last_started_at.is_(None), JobLease.last_started_at <= now - spec.interval),
    )


def _run(db: Database, spec: JobSpec, owner: str) -> None:
    status, error = "ok", None
    try:
        with db.session() as session:
            spec.func(session)
    except Exception:
        status, error = "failed", traceback.format_exc()[-ERROR_MAX:]
        log.exception("job %s failed", spec.name)
    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(JobLease)
                .where(JobLease.name == spec.name, JobLease.owner == owner)
                .values(
                    last_finished_at=utcnow(),
                    last_status=status,
                    last_error=error,
                    leased_until=None,
                )
            )
    except Exception:
        # The lease then simply expires; the run itself is done.
        log.exception("could not record the end of job %s", spec.name)


def run_due(
    db: Database,
    registry: JobRegistry,
    owner: str,
    now: datetime | None = None,
    *,
    lease_ttl: timedelta = DEFAULT_LEASE_TTL,
) -> list[str]:
    """Run every job whose interval has passed since its last start, each in its own unit of
    work, holding its lease meanwhile. A failing job is recorded and the others still run.
    Returns the names of the jobs that ran."""
    ran = []
    for spec in registry:
        start = now or utcnow()
        try:
            claimed = _claim_run(db.engine, spec, owner, start, lease_ttl)
        except Exception:
            log.exception("could not take the lease of job %s", spec.name)
            continue
        if claimed:
            _run(db, spec, owner)
            ran.append(spec.name)
    return ran


def run_worker(
    db: Database,
    registry: JobRegistry,
    stop_event: threading.Event,
    *,
    owner: str | None = None,
    tick_seconds: float = 5.0,
) -> None:
    """Run due jobs every ``tick_seconds`` until ``stop_event`` is set (``ioc worker``)."""
    owner = owner or default_owner()
    log.info("job runner %s started with %d job(s)", owner, len(registry))
    while not stop_event.is_set():
        try:
            run_due(db, registry, owner)
        except Exception:  # e.g. the database is unreachable: try again next tick
            log.exception("job runner tick failed")
        stop_event.wait(tick_seconds)


class Scheduler:
    """``run_worker`` in a daemon thread, for ``ioc serve``."""

    def __init__(
        self,
        db: Database,
        registry: JobRegistry,
        owner: str | None = None,
        tick_seconds: float = 5.0,
    ) -> None:
        self.db = db
        self.registry = registry
        self.owner = owner or default_owner()
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=run_worker,
            args=(self.db, self.registry, self._stop),
            kwargs={"owner": self.owner, "tick_seconds": self.tick_seconds},
            name="ioc-scheduler",
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop and wait for the running job, if any, to finish."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
