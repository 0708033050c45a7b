"""Passwords, sessions and API tokens at the kit level."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit import auth


def test_passwords_are_argon2id_and_verify() -> None:
    hashed = auth.hash_password("một mật khẩu dài")
    assert hashed.startswith("$argon2id$")
    assert auth.verify_password(hashed, "một mật khẩu dài")
    assert not auth.verify_password(hashed, "mot mat khau dai")
    assert not auth.verify_password(None, "x")


def test_generated_passwords_are_long_and_unambiguous() -> None:
    password = auth.generate_password()
    assert len(password) == 16
    assert not set(password) & set("0O1lI")


def test_session_token_is_stored_only_as_a_hash(db_session: Session) -> None:
    user = auth.create_user(db_session, email="a@example.vn", password="correct-horse-battery")
    token = auth.start_session(db_session, user, lifetime=timedelta(days=1))
    stored = db_session.scalars(select(auth.UserSession)).one()
    assert stored.id != token and token not in stored.id
    assert auth.load_session(db_session, token, lifetime=timedelta(days=1)) is user


def test_expired_sessions_do_not_sign_in_and_are_purged(db_session: Session) -> None:
    user = auth.create_user(db_session, email="b@example.vn", password="correct-horse-battery")
    token = auth.start_session(db_session, user, lifetime=timedelta(seconds=-1))
    assert auth.load_session(db_session, token, lifetime=timedelta(days=1)) is None
    db_session.add(auth.SignInAttempt(at=utcnow() - timedelta(days=40), login="x", ip="1.2.3.4"))
    db_session.flush()
    assert auth.purge_expired(db_session) == 2
    assert db_session.scalars(select(auth.UserSession)).all() == []


def test_api_token_is_hashed_scoped_and_revocable(db_session: Session) -> None:
    token, raw = auth.create_api_token(db_session, name="Tổng đài", scopes=["open311.submit"])
    assert raw.startswith(f"ioc_{token.prefix}_") and raw not in token.token_hash
    assert auth.verify_api_token(db_session, raw) is token
    assert auth.verify_api_token(db_session, raw + "x") is None
    auth.revoke_api_token(db_session, token.id)
    db_session.expire_all()
    assert auth.verify_api_token(db_session, raw) is None


def test_api_actor_holds_only_its_scopes() -> None:
    from ioc.kit.permissions import Actor, Grant, can

    api = Actor(grants=(Grant("administrator"),), kind="api", api_scopes=frozenset({"api.read"}))
    assert not can(api, "users.manage")
