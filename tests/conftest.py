"""Shared fixtures. Every test that touches the database runs inside a transaction that is
rolled back at the end, on SQLite by default or on the database in IOC_TEST_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc.db import Database


def _test_database_url(tmp_dir: Path) -> str:
    url = os.environ.get("IOC_TEST_DATABASE_URL", "")
    return url or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def _worker_database_url(url: str, worker: str) -> str:
    """ioc_test on worker gw1 of `pytest -n` becomes ioc_test_gw1: the workers reset the schema
    at start, so each needs a database of its own."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _create_database_if_missing(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ProgrammingError

    parsed = make_url(url)
    name = parsed.database
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                try:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                except ProgrammingError as exc:  # created meanwhile by another run is fine
                    if getattr(exc.orig, "sqlstate", None) != "42P04":  # duplicate_database
                        raise
    finally:
        admin.dispose()


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, point this worker at its own PostgreSQL database. The environment
    variable itself is rewritten, so what reads it directly (test modules, subprocesses running
    the CLI) gets the worker's database too. SQLite needs nothing: each worker has its own
    temporary directory."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("IOC_TEST_DATABASE_URL", "")
    if worker and url.startswith("postgresql"):
        worker_url = _worker_database_url(url, worker)
        _create_database_if_missing(worker_url)
        os.environ["IOC_TEST_DATABASE_URL"] = worker_url


@pytest.fixture(scope="session", autouse=True)
def _permissions_defined() -> None:
    """Services check permissions by name; the modules define them, as the app does."""
    from ioc.modules import define_permissions

    define_permissions()


@pytest.fixture(scope="session")
def test_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ioc-data")


@pytest.fixture(scope="session")
def database(test_data_dir: Path) -> Iterator[Database]:
    """The schema is built once per run by the real migrations, from an empty database."""
    from ioc.migrate import reset_database, upgrade

    db = Database(_test_database_url(test_data_dir))
    reset_database(db.engine)
    if os.environ.get("IOC_TEST_CREATE_ALL"):
        # Only while a model has no migration yet; CI always runs the real migrations.
        from ioc.db import Base
        from ioc.modules import import_all_models

        import_all_models()
        Base.metadata.create_all(db.engine)
    else:
        upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture()
def connection(database: Database) -> Iterator[Connection]:
    conn = database.engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture()
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions that commit into savepoints of the test's outer transaction."""
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture()
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture()
def engine(database: Database) -> Engine:
    return database.engine


# --- the application, on the test's connection ------------------------------------------------

import re  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from ioc.config import Settings  # noqa: E402

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"


class BoundDatabase(Database):
    """The app's Database, but every unit of work runs in the test's rolled-back transaction."""

    def __init__(self, engine: Engine, factory: sessionmaker[Session]) -> None:
        self.url = str(engine.url)
        self.engine = engine
        self.sessionmaker = factory
        self.read_sessionmaker = factory

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        return None


@pytest.fixture()
def settings(test_data_dir: Path, database: Database) -> Settings:
    return Settings(
        env="test",
        data_dir=test_data_dir,
        secret_key=TEST_SECRET,
        database_url=database.url,
        log_level="WARNING",
        scheduler=False,
    )


@pytest.fixture()
def bound_db(database: Database, session_factory: sessionmaker[Session]) -> BoundDatabase:
    return BoundDatabase(database.engine, session_factory)


@pytest.fixture()
def app(settings: Settings, bound_db: BoundDatabase) -> FastAPI:
    from ioc.app import create_app

    return create_app(settings, database=bound_db)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture()
def seeded(db_session: Session) -> Session:
    """The province's communes and agencies, as `ioc seed` loads them."""
    from ioc.seed import seed_modules

    seed_modules(db_session)
    db_session.commit()
    return db_session


CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def make_user(
    session: Session,
    role: str,
    *,
    email: str | None = None,
    agency: str | None = None,
    password: str = "correct-horse-battery",
) -> object:
    from ioc.kit import auth

    email = email or f"{role}.{auth.generate_password()[:6].lower()}@example.vn"
    user = auth.create_user(session, email=email, password=password, full_name=f"Test {role}")
    auth.grant_role(session, user, role, scope_ref=agency)
    session.commit()
    return user


def sign_in(client: TestClient, email: str, password: str = "correct-horse-battery") -> object:
    page = client.get("/signin")
    return client.post(
        "/signin", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
