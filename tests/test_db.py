"""The database layer: SQLite units of work (a writing one takes the lock at BEGIN and waits its
turn, so reading first and writing later never fails because another connection committed in
between), PostgreSQL's plans for the lists, bulk inserts, the public numbers of bulk intake."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, delete, func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

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


# --- insert_rows: COPY on PostgreSQL, executemany elsewhere -------------------------------------

_TRICKY = ["tab\there", "line\nbreak", "back\\slash", "\\N", "", "Ổ gà \"lớn\" 'x'", "a,b;c|d"]


def _event_rows(now: Any, tag: str) -> list[dict[str, Any]]:
    """Rows of the events table that leave severity, visibility, payload and attempts to their
    Python-side defaults, with text that COPY's format must escape."""
    rows = []
    for i, title in enumerate(_TRICKY):
        rows.append(
            {
                "type": f"test.copy.{tag}",
                "occurred_at": now + timedelta(seconds=i),
                "actor_id": None if i % 2 else 7,
                "subject_type": "report",
                "subject_id": f"S-{i}",
                "area_code": None,
                "lat": 21.5 + i / 3 if i % 3 else None,
                "lon": 105.8,
                "h3_cell": None,
                "agency_id": None,
                "title": title,
                "handled_at": None if i % 2 else now,
            }
        )
    return rows


def test_insert_rows_writes_what_an_insert_would(db_session: Session) -> None:
    """Side by side with SQLAlchemy's own executemany: the same values come back, text that
    COPY's format escapes (tab, newline, backslash, a literal \\N) included, and the
    Python-side defaults of the columns the rows leave out (severity, visibility, payload,
    attempts) filled alike."""
    from ioc.db import insert_rows
    from ioc.kit.events import _EVENTS_TABLE as events

    now = datetime(2026, 11, 27, 3, 4, 5, 678000, tzinfo=UTC)
    connection = db_session.connection()
    insert_rows(connection, events, _event_rows(now, "ours"))
    connection.execute(insert(events), _event_rows(now, "theirs"))
    with_payload = [
        dict(r, payload={"kênh": "open311", "n": [1, None, "\\"]}) for r in _event_rows(now, "json")
    ]
    insert_rows(connection, events, with_payload)

    def read(tag: str) -> list[tuple[Any, ...]]:
        cols = [c for c in events.c if c.key not in ("id", "type")]
        found = connection.execute(
            select(*cols).where(events.c.type == f"test.copy.{tag}").order_by(events.c.id)
        ).all()
        return [tuple(row) for row in found]

    ours, theirs = read("ours"), read("theirs")
    assert len(ours) == len(_TRICKY) and ours == theirs
    assert [row.title for row in connection.execute(
        select(events.c.title).where(events.c.type == "test.copy.ours").order_by(events.c.id)
    )] == _TRICKY  # fmt: skip
    payloads = connection.execute(
        select(events.c.payload).where(events.c.type == "test.copy.json")
    ).scalars()
    assert all(p == {"kênh": "open311", "n": [1, None, "\\"]} for p in payloads)


def test_insert_rows_raises_sqlalchemys_integrity_error_for_a_taken_key(
    db_session: Session,
) -> None:
    """Callers catch SQLAlchemy's IntegrityError (intake.submit, when two submissions with one
    idempotency key race): a COPY that meets a taken unique key raises it too, and nothing of
    the rows is written."""
    from sqlalchemy.exc import IntegrityError

    from ioc.db import insert_rows
    from ioc.kit.events import _EVENTS_TABLE as events

    now = datetime(2026, 11, 27, 3, 4, 5, tzinfo=UTC)
    connection = db_session.connection()
    rows = _event_rows(now, "taken")
    insert_rows(connection, events, [dict(rows[0], id=987_654_321)])
    taken = [dict(r, id=987_654_320 + i) for i, r in enumerate(rows)]
    with pytest.raises(IntegrityError), db_session.begin_nested():
        insert_rows(db_session.connection(), events, taken)  # in the savepoint
    found = connection.execute(
        select(func.count()).select_from(events).where(events.c.type == "test.copy.taken")
    ).scalar()
    assert found == 1


def test_insert_rows_leaves_sql_defaults_to_an_insert() -> None:
    """A missing column whose default is SQL to run cannot go through COPY: no plan, and the
    rows are inserted with an executemany."""
    from sqlalchemy import Column, Integer, MetaData, Table, func
    from sqlalchemy.dialects import postgresql

    from ioc.db import _copy_plan

    table = Table(
        "copy_plan_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("n", Integer, default=3),
        Column("at", DateTime(timezone=True), default=func.now()),
    )

    class _Pg:
        dialect = postgresql.psycopg.dialect()

    assert _copy_plan(_Pg(), table, ("id", "at")) is not None  # type: ignore[arg-type]
    assert _copy_plan(_Pg(), table, ("id",)) is None  # type: ignore[arg-type]


# --- the public numbers of bulk intake, taken apart on PostgreSQL ---------------------------------


def test_the_intake_writer_takes_numbers_apart_only_on_an_engine_bound_postgresql(
    database: Database, bound_db: Any, tmp_path: Path
) -> None:
    from ioc.reports.writer import _numbers_apart

    assert _numbers_apart(bound_db) is None  # the tests' transaction: numbers taken in it
    assert _numbers_apart(Database(f"sqlite:///{tmp_path / 'n.sqlite3'}")) is None
    expected = database.engine.dialect.name == "postgresql"
    assert (_numbers_apart(database) is not None) == expected


def test_numbers_taken_apart_leave_the_counter_row_unlocked_on_postgresql(
    database: Database,
) -> None:
    """Bumped in the batch's transaction, the year's counter row stays locked to its commit
    and the next batch of another worker waits; taken apart, another transaction bumps it at
    once, and the numbers still follow one another and are never given twice."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL lock")
    from sqlalchemy.exc import DBAPIError

    from ioc.reports import intake

    year = 2999
    counters = intake._COUNTERS

    def bump_elsewhere() -> int:
        with database.engine.begin() as other:
            other.exec_driver_sql("SET LOCAL lock_timeout = '300ms'")
            return intake.next_numbers(other, year, 1)

    try:
        first = intake.next_numbers_apart(database.engine, year, 3)  # makes the year's row
        assert intake.next_numbers_apart(database.engine, year, 2) == first + 3
        with database.engine.connect() as batch, batch.begin():  # a batch's, still open
            assert intake.next_numbers(batch, year, 2) == first + 5
            with pytest.raises(DBAPIError, match="lock"):
                bump_elsewhere()  # the old way: the row is held to this commit
        with database.engine.connect() as batch, batch.begin():
            taken = intake.next_numbers_apart(database.engine, year, 4)
            assert taken == first + 7
            assert bump_elsewhere() == first + 11  # nothing holds the row
    finally:
        with database.engine.begin() as conn:
            conn.execute(delete(counters).where(counters.c.year == year))
