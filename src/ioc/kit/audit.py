"""The audit log: an append-only record of security-relevant acts (sign-ins and failed ones,
permission changes and denials, views of personal data or cameras, exports), kept apart from
the events timeline.

The application only ever inserts here; nothing in it updates or deletes an entry. On
PostgreSQL a trigger enforces this (:data:`POSTGRES_APPEND_ONLY_SQL_UP`, run by the migration
that creates the table). An entry written in a transaction that then rolls back is still kept,
written again in a transaction of its own: a denied or failed act is exactly what an audit must
not lose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from ioc.db import Base, UTCDateTime, utcnow
from ioc.kit.aftercommit import TransactionStash, sessionmaker_like

ACTOR_LABEL_MAX = 200
USER_AGENT_MAX = 500


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_subject", "subject_type", "subject_id", "at"),
        Index("ix_audit_log_actor_id_at", "actor_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A plain id: the entry must outlive the account it names.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(ACTOR_LABEL_MAX), default="")
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(50), default="")
    subject_id: Mapped[str] = mapped_column(String(100), default="")
    ip: Mapped[str | None] = mapped_column(String(45))  # the longest IPv6 text form
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


def log(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    actor_label: str = "",
    subject_type: str = "",
    subject_id: str | int = "",
    ip: str | None = None,
    user_agent: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry in the caller's transaction; if that transaction rolls back, the entry is
    written anyway, right after, in a transaction of its own."""
    if not action:
        raise ValueError("an audit entry needs an action")
    # Labels and user agents come from outside (typed e-mail addresses, browser headers):
    # truncated, so that an overlong one cannot make the entry itself fail.
    values: dict[str, Any] = {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_label": actor_label[:ACTOR_LABEL_MAX],
        "action": action[:100],
        "subject_type": subject_type[:50],
        "subject_id": str(subject_id)[:100],
        "ip": ip[:45] if ip else None,
        "user_agent": user_agent[:USER_AGENT_MAX] if user_agent else None,
        "detail": detail,
    }
    entry = AuditEntry(**values)
    session.add(entry)
    _kept_entries.add(session, values)
    return entry


def _write_rolled_back(
    session: Session, _committed: list[dict[str, Any]], rolled_back: list[dict[str, Any]]
) -> None:
    if not rolled_back:
        return
    with sessionmaker_like(session)() as other:
        other.execute(insert(AuditEntry), rolled_back)
        other.commit()


# Runs once the caller's transaction has fully ended and released its connection, so the new
# transaction never waits on the caller's own locks (which on SQLite would block until timeout).
_kept_entries: TransactionStash[dict[str, Any]] = TransactionStash(
    "ioc.audit.pending", _write_rolled_back
)


# Executed by the migration that creates audit_log, on PostgreSQL only. Retention rules that
# one day require deleting old entries must drop the trigger explicitly, in a migration.
POSTGRES_APPEND_ONLY_SQL_UP = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit_log is append-only, ' || TG_OP || ' is not allowed',
        ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""

POSTGRES_APPEND_ONLY_SQL_DOWN = """
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
"""
