"""SQLite units of work: a writing one takes the lock at BEGIN and waits its turn, so reading
first and writing later never fails because another connection committed in between."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ioc.db import Database


@pytest.fixture()
def sqlite_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'uow.sqlite3'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    return db


def _bump_while_other_reads(db: Database, *, write: bool) -> None:
    read_done = threading.Event()
    other_committed = threading.Event()

    def other() -> None:
        read_done.wait(5)
        with db.session() as session:
            session.execute(text("UPDATE counter SET n = n + 1"))
        other_committed.set()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        with db.session(write=write) as session:
            session.execute(text("SELECT n FROM counter")).scalar()
            read_done.set()
            # Give the other writer every chance to commit between our read and our write.
            other_committed.wait(0.5)
            time.sleep(0.05)
            session.execute(text("UPDATE counter SET n = n + 10"))
    finally:
        read_done.set()
        thread.join(10)


def test_writing_unit_of_work_reads_then_writes_safely(sqlite_db: Database) -> None:
    _bump_while_other_reads(sqlite_db, write=True)
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 11
    sqlite_db.dispose()


def test_deferred_read_then_write_fails_when_another_committed(sqlite_db: Database) -> None:
    # The reason for BEGIN IMMEDIATE: this is SQLITE_BUSY_SNAPSHOT, which no timeout cures.
    with pytest.raises(OperationalError, match="locked"):
        _bump_while_other_reads(sqlite_db, write=False)
    sqlite_db.dispose()


def test_the_report_lists_are_planned_with_their_parameters_on_postgresql(
    database: Database,
) -> None:
    """psycopg prepares repeated statements and PostgreSQL may then switch them to a generic
    plan made without the parameters (the Open311 list over an old 30-day window went from
    2 ms to 200 ms that way): the lists ask for custom plans in their transaction only (bulk
    intake's INSERTs keep their generic plans)."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    from datetime import UTC, datetime, timedelta

    from ioc.reports import queries

    window = queries.ReportFilter(
        submitted_from=datetime.now(UTC) - timedelta(days=400),
        submitted_to=datetime.now(UTC) - timedelta(days=370),
    )
    show = text("SHOW plan_cache_mode")
    for read in (
        lambda s: queries.request_rows(s, window, limit=10),
        lambda s: queries.list_reports(s, window, limit=10),
    ):
        with database.session(write=False) as session:
            assert session.execute(show).scalar() == "auto"
            read(session)
            assert session.execute(show).scalar() == "force_custom_plan"
        with database.session(write=False) as session:  # the next transaction: as before
            assert session.execute(show).scalar() == "auto"
