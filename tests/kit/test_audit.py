from __future__ import annotations

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ioc.kit import audit
from ioc.kit.audit import AuditEntry


def entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_log_writes_an_entry_in_the_callers_transaction(db_session: Session) -> None:
    entry = audit.log(
        db_session,
        "personal_data.view",
        actor_id=3,
        actor_label="officer@tn.gov.vn",
        subject_type="person",
        subject_id=42,
        ip="2001:db8::1",
        user_agent="Firefox",
        detail={"fields": ["phone"]},
    )
    db_session.commit()

    [row] = entries(db_session)
    assert row.id == entry.id
    assert (row.action, row.actor_id, row.subject_type, row.subject_id) == (
        "personal_data.view",
        3,
        "person",
        "42",
    )
    assert row.detail == {"fields": ["phone"]}
    assert row.at.tzinfo is not None


def test_entry_survives_a_rollback_of_the_callers_transaction(db_session: Session) -> None:
    audit.log(db_session, "permission.denied", actor_id=5, detail={"permission": "x.assign"})
    db_session.rollback()

    [row] = entries(db_session)
    assert row.action == "permission.denied"
    assert row.detail == {"permission": "x.assign"}


def test_entry_survives_a_session_closed_without_commit(db_session: Session) -> None:
    audit.log(db_session, "auth.signin_failed", actor_label="someone@example.vn", ip="10.0.0.1")
    db_session.close()
    assert [r.action for r in entries(db_session)] == ["auth.signin_failed"]


def test_entry_in_a_rolled_back_savepoint_is_kept_once(db_session: Session) -> None:
    audit.log(db_session, "export", subject_type="dataset", subject_id="a")
    with pytest.raises(RuntimeError), db_session.begin_nested():
        audit.log(db_session, "export", subject_type="dataset", subject_id="b")
        raise RuntimeError("export failed")
    db_session.commit()

    assert sorted(r.subject_id for r in entries(db_session)) == ["a", "b"]


def test_committed_entry_is_not_written_twice(db_session: Session) -> None:
    audit.log(db_session, "auth.signin", actor_id=1)
    db_session.commit()
    db_session.rollback()
    assert len(entries(db_session)) == 1


def test_values_from_outside_are_truncated(db_session: Session) -> None:
    entry = audit.log(
        db_session, "auth.signin_failed", actor_label="x" * 1000, user_agent="y" * 5000
    )
    db_session.commit()
    assert len(entry.actor_label) == 200
    assert entry.user_agent is not None and len(entry.user_agent) == 500


def test_postgres_trigger_makes_the_log_append_only(
    connection: Connection, db_session: Session
) -> None:
    if connection.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    # The migration installed the trigger; the rest of this test runs in a transaction that is
    # rolled back, so dropping it at the end changes nothing for other tests.
    installed = connection.scalar(
        text("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_log_no_update_delete'")
    )
    assert installed == 1
    audit.log(db_session, "export", subject_type="dataset", subject_id="a")
    db_session.commit()

    for statement in (
        "UPDATE audit_log SET action = 'nothing'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
            connection.execute(text(statement))

    connection.execute(text(audit.POSTGRES_APPEND_ONLY_SQL_DOWN))
    connection.execute(text("UPDATE audit_log SET action = 'changed'"))
    assert connection.scalar(text("SELECT action FROM audit_log")) == "changed"
