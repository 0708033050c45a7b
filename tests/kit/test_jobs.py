"""Leases need real commits seen by other connections, so these tests use the database itself,
not the rolled-back test transaction, and delete the rows they create."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.db import Database
from ioc.kit.jobs import JobLease, JobRegistry, Scheduler, release, run_due, try_acquire
from ioc.kit.module import JobSpec

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture()
def new_name(database: Database) -> Iterator[Callable[[], str]]:
    names: list[str] = []

    def make() -> str:
        names.append(f"test.job.{uuid.uuid4().hex[:10]}")
        return names[-1]

    yield make
    with database.engine.begin() as conn:
        conn.execute(delete(JobLease).where(JobLease.name.in_(names)))


def lease(database: Database, name: str) -> JobLease:
    with database.sessionmaker() as session:
        row = session.get(JobLease, name)
        assert row is not None
        return row


def noop(session: Session) -> None:
    return None


@pytest.mark.parametrize("first_run", [True, False], ids=["first-run", "lease-row-exists"])
def test_two_workers_run_a_due_job_exactly_once(
    database: Database, new_name: Callable[[], str], first_run: bool
) -> None:
    name = new_name()
    counter = 0
    counter_lock = threading.Lock()

    def body(session: Session) -> None:
        nonlocal counter
        with counter_lock:
            counter += 1
        time.sleep(0.3)

    registry = JobRegistry([JobSpec(name, body, HOUR)])
    now = T0
    if not first_run:
        assert run_due(database, registry, "earlier", now=T0) == [name]
        counter = 0
        now = T0 + 2 * HOUR

    # Two engines, as two processes would have, released at the same moment.
    workers = [Database(database.url), Database(database.url)]
    barrier = threading.Barrier(2)
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=5)
            results[index] = run_due(workers[index], registry, f"worker-{index}", now=now)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        for worker in workers:
            worker.dispose()

    assert errors == []
    assert counter == 1
    assert sorted(len(ran) for ran in results.values()) == [0, 1]
    row = lease(database, name)
    assert row.last_status == "ok"
    assert row.run_count == (1 if first_run else 2)
    assert row.leased_until is None  # released when done


def test_a_held_lease_blocks_others_until_it_expires(
    database: Database, new_name: Callable[[], str]
) -> None:
    name = new_name()
    ttl = timedelta(minutes=1)
    assert try_acquire(database, name, "a", ttl, now=T0)
    assert not try_acquire(database, name, "b", ttl, now=T0 + timedelta(seconds=30))
    assert not try_acquire(database.engine, name, "a", ttl, now=T0 + timedelta(seconds=59))
    assert try_acquire(database, name, "b", ttl, now=T0 + timedelta(seconds=61))
    assert lease(database, name).owner == "b"


def test_only_the_holder_can_release_a_lease(
    database: Database, new_name: Callable[[], str]
) -> None:
    name = new_name()
    assert try_acquire(database, name, "a", HOUR, now=T0)
    assert not release(database, name, "b")
    assert not try_acquire(database, name, "b", HOUR, now=T0)
    assert release(database, name, "a")
    assert try_acquire(database, name, "b", HOUR, now=T0)


def test_a_failing_job_records_its_error_and_the_next_job_still_runs(
    database: Database, new_name: Callable[[], str]
) -> None:
    failing_name, next_name = new_name(), new_name()
    ran: list[str] = []

    def failing(session: Session) -> None:
        session.execute(select(1))
        raise RuntimeError("camera probe exploded")

    def fine(session: Session) -> None:
        ran.append("fine")

    registry = JobRegistry([JobSpec(failing_name, failing, HOUR), JobSpec(next_name, fine, HOUR)])
    assert run_due(database, registry, "w", now=T0) == [failing_name, next_name]

    assert ran == ["fine"]
    failed = lease(database, failing_name)
    assert failed.last_status == "failed"
    assert failed.last_error is not None and "camera probe exploded" in failed.last_error
    assert failed.leased_until is None
    assert failed.last_finished_at is not None
    assert lease(database, next_name).last_status == "ok"
    assert lease(database, next_name).last_error is None


def test_a_job_runs_again_only_when_its_interval_has_passed(
    database: Database, new_name: Callable[[], str]
) -> None:
    name = new_name()
    registry = JobRegistry([JobSpec(name, noop, HOUR)])
    assert run_due(database, registry, "w", now=T0) == [name]
    assert run_due(database, registry, "w", now=T0 + timedelta(minutes=59)) == []
    assert run_due(database, registry, "other", now=T0 + HOUR) == [name]
    row = lease(database, name)
    assert row.run_count == 2
    assert row.last_started_at == T0 + HOUR


def test_scheduler_runs_due_jobs_in_a_thread_and_stops(
    database: Database, new_name: Callable[[], str]
) -> None:
    name = new_name()
    ran = threading.Event()
    registry = JobRegistry([JobSpec(name, lambda session: ran.set(), HOUR)])
    scheduler = Scheduler(database, registry, "serve-1", tick_seconds=0.05)
    scheduler.start()
    try:
        assert ran.wait(5)
    finally:
        scheduler.stop()
    assert lease(database, name).run_count == 1


def test_registry_refuses_a_name_twice() -> None:
    registry = JobRegistry([JobSpec("a", noop, HOUR)])
    with pytest.raises(ValueError):
        registry.register(JobSpec("a", noop, HOUR))
    assert registry.names() == ["a"]
