"""Database: declarative base, engines tuned per backend, and the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Synchronous routes run in AnyIO's worker threads (40 by default): with a pool of 40 no
# thread waits for a connection while another holds one and waits for a thread.
POOL = {"pool_size": 20, "max_overflow": 20}


def make_engine(url: str, **kwargs: Any) -> Engine:
    pool = {k: kwargs.pop(k, v) for k, v in POOL.items()}
    if url.startswith("sqlite"):
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            kwargs.update(pool)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool, **kwargs)


def plan_with_parameters(connection: Connection) -> None:
    """Have PostgreSQL plan this transaction's statements with their own parameters.

    psycopg prepares a statement run five times on a connection, and after five more
    executions PostgreSQL may switch it to a generic plan made without the parameters. For a
    list over a date window ordered by date with a LIMIT, that plan walks the date index from
    the newest row back to the window: the Open311 list over a 30-day window a year old went
    from 2 ms to 190–210 ms (1 M reports). Set per transaction (SET LOCAL, one round trip),
    not per connection: planning every INSERT of bulk intake anew cost PostgreSQL 0.63 instead
    of 0.38 ms of CPU a report. A no-op elsewhere."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and issues BEGIN lazily; take it
    # over so that nested transactions (used by tests that roll back) behave.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writing unit of work takes the write lock at BEGIN (IMMEDIATE) and so waits its
        # turn under busy_timeout. A deferred transaction that reads first and writes later
        # fails at once with SQLITE_BUSY_SNAPSHOT when another connection committed in
        # between: busy_timeout cannot help it (seen in the demo: sign-in beside the jobs).
        if conn.get_execution_options().get("ioc_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """One engine and its session factory for the life of the app."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        # Two makers over one pool: units of work that write, and read-only ones (safe HTTP
        # methods). The difference matters on SQLite only (see _tune_sqlite).
        self.sessionmaker = sessionmaker(
            bind=self.engine.execution_options(ioc_write=True), expire_on_commit=False
        )
        self.read_sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error. Services never commit."""
        session = (self.sessionmaker if write else self.read_sessionmaker)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def insert_returning_ids(
    connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> list[int]:
    """INSERT ``rows`` into ``table`` in bulk and return their new ids, in order.

    The ids are taken first and written with the rows, so that the rows go in as one
    executemany of one short statement (SQLite binds and steps each row in C; psycopg
    pipelines them and parses the statement once). Returning the ids from the INSERT itself
    costs far more: SQLAlchemy sends one statement per row to SQLite when the returned ids
    must follow the rows' order, and psycopg parses each long multi-row statement anew.

    PostgreSQL: from the table's sequence. SQLite: after the largest id, which is safe
    because the caller's transaction holds the database's write lock (a writing unit of work
    begins IMMEDIATE, see ``_tune_sqlite``); were it not so, a concurrent writer would make
    this INSERT fail on the primary key, never write two rows with one id."""
    if not rows:
        return []
    if connection.dialect.name == "postgresql":
        ids = [
            int(i)
            for i in connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": table.name, "n": len(rows)},
            ).scalars()
        ]
    else:
        last = connection.execute(select(func.max(table.c.id))).scalar()
        first = int(last or 0) + 1
        ids = list(range(first, first + len(rows)))
    connection.execute(
        insert(table), [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    )
    return ids
