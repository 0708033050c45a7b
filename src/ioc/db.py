"""Database: declarative base, engines tuned per backend, and the unit of work."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.schema import ColumnDefault
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


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (each with the same keys) into ``table`` in bulk, in the connection's
    transaction, as ``connection.execute(insert(table), rows)`` would, Python-side column
    defaults included.

    On PostgreSQL with psycopg the rows go in through ``COPY … FROM STDIN``: one statement
    for all, each value dumped by psycopg's C code after the column type's own bind
    processing. psycopg's pipelined executemany sends, and PostgreSQL plans and executes, one
    INSERT per row; for the rows of bulk intake COPY took ~35 % less CPU on each side (48
    events: client 2.5 → 1.7 ms, server 2.3 → 1.5 ms). Elsewhere (SQLite binds and steps each
    row in C already), or when a missing column's default is SQL to run, an executemany."""
    if not rows:
        return
    plan = _copy_plan(connection, table, tuple(rows[0])) if _copies(connection) else None
    if plan is None:
        connection.execute(insert(table), list(rows))
        return
    sql, keys, filled, processors = plan
    dbapi_error = connection.dialect.loaded_dbapi.Error
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                values = [row[k] for k in keys] + [make() for make in filled]
                copy.write_row(
                    [v if p is None else p(v) for p, v in zip(processors, values, strict=True)]
                )
    except dbapi_error as error:
        # As SQLAlchemy raises it for a statement of its own (IntegrityError for a taken
        # unique key, which callers catch), not psycopg's.
        raise DBAPIError.instance(sql, None, error, dbapi_error) from error
    finally:
        cursor.close()


def _copies(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


_CopyPlan = tuple[str, tuple[str, ...], tuple[Callable[[], Any], ...], tuple[Any, ...]]
_copy_plans: dict[tuple[str, str, tuple[str, ...]], _CopyPlan | None] = {}


def _copy_plan(connection: Connection, table: Table, keys: tuple[str, ...]) -> _CopyPlan | None:
    """The COPY statement for rows with ``keys``, the makers of the Python-side defaults of
    the table's other columns, and each column's bind processor; None when a missing column's
    default is a SQL expression (an executemany runs it)."""
    dialect = connection.dialect
    memo = (dialect.name, table.fullname, keys)
    if memo in _copy_plans:
        return _copy_plans[memo]
    filled: list[tuple[str, Callable[[], Any]]] = []
    plan: _CopyPlan | None = None
    for column in table.columns:
        default = column.default
        if column.key in keys or default is None:
            continue  # given, or left to the server (its default, NULL)
        if isinstance(default, ColumnDefault) and default.is_scalar:
            filled.append((column.key, functools.partial(lambda value: value, default.arg)))
        elif isinstance(default, ColumnDefault) and default.is_callable:
            filled.append((column.key, functools.partial(default.arg, None)))
        else:
            break  # a SQL expression or a sequence
    else:
        names = (*keys, *(name for name, _ in filled))
        columns = [table.c[name] for name in names]
        quote = dialect.identifier_preparer.quote
        sql = (
            f"COPY {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(quote(c.name) for c in columns)}) FROM STDIN"
        )
        processors = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
        plan = (sql, keys, tuple(make for _, make in filled), processors)
    _copy_plans[memo] = plan
    return plan


def insert_returning_ids(
    connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> list[int]:
    """INSERT ``rows`` into ``table`` in bulk and return their new ids, in order.

    The ids are taken first and written with the rows, so that the rows go in with
    :func:`insert_rows` (one executemany of one short statement on SQLite, which binds and
    steps each row in C; a COPY on PostgreSQL). Returning the ids from the INSERT itself costs
    far more: SQLAlchemy sends one statement per row to SQLite when the returned ids must
    follow the rows' order, and psycopg parses each long multi-row statement anew.

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
    insert_rows(
        connection, table, [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    )
    return ids
