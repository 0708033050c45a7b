"""The migrations build the whole schema from an empty database, on SQLite and PostgreSQL,
and leave nothing for autogenerate to find."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from ioc import migrate
from ioc.db import Base, make_engine
from ioc.modules import import_all_models


def _assert_matches_models(engine) -> None:  # type: ignore[no-untyped-def]
    import_all_models()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_on_an_empty_sqlite_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert inspect(engine).get_table_names() == []
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"users", "areas", "agencies", "events", "job_leases", "audit_log"} <= tables
    _assert_matches_models(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def _postgres_admin_url() -> str | None:
    url = os.environ.get("IOC_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.mark.skipif(
    _postgres_admin_url() is None,
    reason="runs in the PostgreSQL pass of make test (IOC_TEST_DATABASE_URL)",
)
def test_migrations_on_an_empty_postgres_database() -> None:
    admin_url = _postgres_admin_url()
    assert admin_url
    name = f"ioc_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        assert inspect(engine).get_table_names() == []
        migrate.upgrade(engine)
        assert migrate.is_current(engine)
        _assert_matches_models(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
