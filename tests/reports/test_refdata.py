"""The per-process cache of reference data (categories, routing rules, agencies, policies,
the calendar) answers exactly as the tables do, and any change through the ORM clears it.

The rest of the suite binds sessions to a test connection, which bypasses the cache, so these
tests use a database of their own, bound to an engine as the application does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc import migrate
from ioc.areas.models import Area
from ioc.db import Database
from ioc.kit.workdays import WorkCalendar
from ioc.reports import deadlines, refdata, routing
from ioc.reports.models import Category, RoutingRule
from ioc.seed import seed_modules


@pytest.fixture(scope="module")
def own_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("refdata") / "ref.sqlite3"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with db.session() as session:
        seed_modules(session)
    refdata.invalidate()
    yield db
    refdata.invalidate()
    db.dispose()


def test_cached_answers_equal_the_tables(own_db: Database) -> None:
    with own_db.session() as cached, own_db.engine.connect() as conn:
        raw = Session(bind=conn)  # bound to a connection: never cached
        assert refdata.get(raw) is None and refdata.get(cached) is not None
        categories = cached.scalars(select(Category)).all()
        codes = [a.code for a in cached.scalars(select(Area))] + [None]
        for category in categories:
            for code in codes:
                a, b = routing.route(cached, category, code), routing.route(raw, category, code)
                assert (a and a.code) == (b and b.code), (category.code, code)
            for urgency in ("urgent", "normal", "complex"):
                assert deadlines.policy_for(
                    cached, category_id=category.id, urgency=urgency
                ) == deadlines.policy_for(raw, category_id=category.id, urgency=urgency)
        start = datetime(2026, 2, 13, 8, tzinfo=UTC)
        plain = WorkCalendar()
        for i in range(300):
            at = start + timedelta(minutes=173 * i)
            assert deadlines.calendar(cached).add_working_hours(
                at, timedelta(hours=13)
            ) == plain.add_working_hours(at, timedelta(hours=13))
        raw.close()


def test_orm_changes_clear_the_cache(own_db: Database) -> None:
    with own_db.session() as session:
        before = refdata.get(session)
        category = session.scalars(select(Category)).first()
        assert category is not None
        category.allow_anonymous = not category.allow_anonymous
        session.flush()
        # The changing session reads the tables itself until its transaction ends.
        assert refdata.get(session) is None
    with own_db.session() as session:
        after = refdata.get(session)
        assert after is not None and after is not before
        assert after.categories[category.code].allow_anonymous == category.allow_anonymous
        session.execute(update(RoutingRule).where(RoutingRule.id == -1).values(target="X"))
        assert refdata.get(session) is None
    with own_db.session() as session:
        assert refdata.get(session) is not None
        refdata.invalidate()
        assert not refdata._entries
