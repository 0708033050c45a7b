"""The Open311 API keys checked from a per-process cache (open311._checked_key): a change made
through the ORM in this process is seen at once, other changes within KEY_TTL seconds, and the
key's last use is stamped at most every few minutes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text, update

from ioc import migrate
from ioc.db import Database
from ioc.errors import PermissionDenied
from ioc.kit import auth
from ioc.reports import open311


@pytest.fixture()
def own_db(tmp_path: Path) -> Iterator[Database]:
    """Sessions bound to an engine, as the application's are: only those use the cache."""
    db = Database(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    migrate.upgrade(db.engine)
    open311._forget_keys()
    yield db
    open311._forget_keys()
    db.dispose()


def _key(db: Database) -> tuple[int, str]:
    with db.session() as session:
        token, raw = auth.create_api_token(session, name="client", scopes=["open311.submit"])
        return token.id, raw


def _check(db: Database, raw: str) -> tuple[object, int | None]:
    with db.read_sessionmaker() as session:
        return open311._checked_key(session, raw)


def test_a_key_revoked_in_this_process_is_refused_at_once(own_db: Database) -> None:
    token_id, raw = _key(own_db)
    _actor, touch = _check(own_db, raw)
    assert touch == token_id  # never used: its first use is stamped (with the report)
    assert _check(own_db, raw)[1] is None  # used a moment ago: not again
    assert len(open311._known_keys) == 1
    with own_db.session() as session:
        auth.revoke_api_token(session, token_id)
    assert open311._known_keys == {}
    with pytest.raises(PermissionDenied):
        _check(own_db, raw)


def test_a_change_the_process_did_not_see_counts_after_the_ttl(
    own_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_id, raw = _key(own_db)
    _check(own_db, raw)
    # Another process revokes it: raw SQL, unseen by this one's ORM listeners.
    with own_db.engine.begin() as connection:
        connection.execute(
            text("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": token_id},
        )
    _check(own_db, raw)  # still cached, for at most KEY_TTL seconds
    monkeypatch.setattr(open311, "KEY_TTL", 0.0)
    with pytest.raises(PermissionDenied):
        _check(own_db, raw)


def test_a_scope_taken_away_through_the_orm_is_seen_at_once(own_db: Database) -> None:
    token_id, raw = _key(own_db)
    _check(own_db, raw)
    with own_db.session() as session:
        session.execute(update(auth.ApiToken).where(auth.ApiToken.id == token_id).values(scopes=[]))
    with pytest.raises(PermissionDenied):
        _check(own_db, raw)
