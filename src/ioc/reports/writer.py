"""The intake writer: submissions that arrive together are written together (group commit).

Filing a report is mostly reading (the checks, routing, the deadline: all from the per-process
reference data) and a few inserts. Done one request at a time, every report pays for a
transaction of its own, and on SQLite the requests queue on the database's write lock, each
waking its turn through the busy handler's back-off. Here one thread per process and database
owns the writing of the submissions that requests queue with :meth:`IntakeWriter.file`:

1. it takes everything waiting (up to ``max_batch``), checks each submission in one read
   session (``prepare``: validation errors go back to that request alone);
2. writes all the checked ones with :func:`intake.write` in **one** transaction;
3. hands the batch's events to the bus (the live feeds; local handlers, if any);
4. answers each request only **after the commit** that contains its report, so that a report
   acknowledged to a client is in the database whatever happens next.

If the batch's transaction fails (a key used at the same moment by another process, a
constraint), the reports are written again one transaction each, so one bad submission
cannot fail the others. Under light load a batch is a single report and the cost is one
thread hop; under heavy load the per-transaction cost is shared. The thread stops after a
few idle seconds and starts again with the next submission (no lifecycle hooks to forget).

With several server processes on one SQLite file (``ioc serve --workers N``), their writers
take turns through an exclusive ``flock`` on a file beside the database: a writer that waits
for another's batch is woken by the kernel the moment that one commits, where SQLite's busy
handler would have slept 1, 2, 5, 10 … ms in a row (the p99 of two workers went from ~140 to
~70 ms). On PostgreSQL the writers of several processes write at the same time; the public
numbers, which would have them queue on the year's counter row, are taken in a short
transaction of their own before the batch's (:func:`_numbers_apart`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ioc.db import Database
from ioc.kit import events
from ioc.reports import intake

log = logging.getLogger(__name__)

MAX_BATCH = 256
IDLE_SECONDS = 10.0

Prepare = Callable[[Session], intake.Draft]


@dataclass
class _Job:
    prepare: Prepare
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[tuple[intake.Filed, intake.Draft]]
    draft: intake.Draft | None = field(default=None)


def _settle(
    future: asyncio.Future[tuple[intake.Filed, intake.Draft]],
    result: tuple[intake.Filed, intake.Draft] | None,
    error: BaseException | None,
) -> None:
    if future.done():  # the request went away (client gone); the report stands
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)


class IntakeWriter:
    """Writes queued submissions in group commits; one per process and database."""

    def __init__(
        self,
        database: Database,
        *,
        max_batch: int = MAX_BATCH,
        idle_seconds: float = IDLE_SECONDS,
        event_bus: events.EventBus | None = None,
    ) -> None:
        self.database = database
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self.event_bus = event_bus or events.bus
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._turns_path = _turns_path(database)
        self._take_numbers = _numbers_apart(database)
        # Figures for benchmarks and tests: batches written and reports in them.
        self.batches = 0
        self.written = 0

    async def file(self, prepare: Prepare) -> tuple[intake.Filed, intake.Draft]:
        """Queue a submission and wait until it is committed. ``prepare`` checks it in the
        writer's read session and returns its draft (or raises the request's error)."""
        loop = asyncio.get_running_loop()
        job = _Job(prepare, loop, loop.create_future())
        self._queue.put(job)
        self._ensure_running()
        return await job.future

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ioc-intake-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    # A job queued after our timeout but before this lock finds us still here.
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [job]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._process(batch)
            except BaseException as error:  # never leave a request waiting
                log.exception("intake writer failed on a batch of %d", len(batch))
                for one in batch:
                    one.loop.call_soon_threadsafe(_settle, one.future, None, error)

    def _process(self, batch: Sequence[_Job]) -> None:
        ready: list[_Job] = []
        refused: list[tuple[_Job, Exception]] = []
        session = self.database.read_sessionmaker()
        try:
            for job in batch:
                try:
                    job.draft = job.prepare(session)
                except Exception as error:  # the request's own error (validation, key)
                    refused.append((job, error))
                else:
                    ready.append(job)
        finally:
            session.close()
        # Answered once this thread is done with the database for them (in the tests, the
        # sessions share the test's connection with the client that waits for the answer).
        for job, refusal in refused:
            job.loop.call_soon_threadsafe(_settle, job.future, None, refusal)
        if not ready:
            return
        try:
            filed = self._write([j.draft for j in ready if j.draft is not None])
        except Exception as error:
            if len(ready) == 1:
                self._fail(ready[0], error)
                return
            log.warning(
                "a batch of %d reports failed (%s); writing them one by one", len(ready), error
            )
            for job in ready:
                try:
                    (one,) = self._write([job.draft] if job.draft is not None else [])
                except Exception as single_error:
                    self._fail(job, single_error)
                else:
                    self._finish([(job, one)])
        else:
            self._finish(list(zip(ready, filed, strict=True)))

    def _write(self, drafts: list[intake.Draft]) -> list[intake.Filed]:
        # A writing unit of work like any other (on SQLite it begins IMMEDIATE); in the tests
        # it is a savepoint of the test's transaction.
        with self._turn():
            session = self.database.sessionmaker()
            try:
                filed = intake.write(
                    session.connection(),
                    drafts,
                    event_bus=self.event_bus,
                    take_numbers=self._take_numbers,
                )
                session.commit()
            finally:
                session.close()
        self.batches += 1
        self.written += sum(1 for f in filed if f.created)
        return filed

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's writer's turn among those of other processes on a SQLite file."""
        if self._turns_path is None:
            yield
            return
        fd = os.open(self._turns_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the close, even if this thread dies
            yield
        finally:
            os.close(fd)

    def _fail(self, job: _Job, error: BaseException) -> None:
        if job.draft is not None:
            job.draft.discard()
        job.loop.call_soon_threadsafe(_settle, job.future, None, error)

    def _finish(self, done: list[tuple[_Job, intake.Filed]]) -> None:
        committed = [one for _job, filed in done for one in filed.events]
        if committed:
            # Before the answers, so that this thread has finished with the database when a
            # client goes on (a broadcast is a queue put; none of intake's events has a local
            # handler that would open a transaction).
            self.event_bus.dispatch(committed, self.database.sessionmaker)
        for job, filed in done:
            assert job.draft is not None
            if not filed.created:
                job.draft.discard()  # the first report with this key stands
            job.loop.call_soon_threadsafe(_settle, job.future, (filed, job.draft), None)


def _turns_path(database: Database) -> str | None:
    url = database.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):
        return None  # a URI (shared in-memory databases in tests)
    return f"{url.database}-intake.lock"


def _numbers_apart(database: Database) -> intake.TakeNumbers | None:
    """On PostgreSQL, take a batch's public numbers in a transaction of their own
    (:func:`intake.next_numbers_apart`): bumped in the batch's transaction, the year's counter
    row stayed locked to its commit, and the batches of two workers queued on it, each waiting
    for the other's inserts and commit. A batch that fails afterwards leaves a gap in the
    numbers, as a rolled-back one always could; no number is ever given twice.

    None (numbers taken in the batch's transaction) on SQLite, whose writers hold the whole
    database's lock anyway, and when the sessions are bound to one connection (the tests'
    rolled-back transaction), where another connection would write outside it."""
    if database.engine.dialect.name != "postgresql":
        return None
    if not isinstance(database.sessionmaker.kw.get("bind"), Engine):
        return None
    return functools.partial(intake.next_numbers_apart, database.engine)


_writers: weakref.WeakKeyDictionary[Database, IntakeWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def for_database(database: Database) -> IntakeWriter:
    """The writer of ``database`` in this process (made on first use)."""
    with _writers_lock:
        writer = _writers.get(database)
        if writer is None:
            writer = _writers[database] = IntakeWriter(database)
        return writer
