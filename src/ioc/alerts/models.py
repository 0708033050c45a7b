"""Tables of the alerts module: the rules and their settings, the alerts they raise (one per
cause, by a unique dedupe key), what people did about each, and the standard operating
procedures (checklists) with the copy of their steps each alert carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import text

from ioc.db import Base, UTCDateTime, utcnow
from ioc.kit.permissions import Scope

BigId = BigInteger().with_variant(Integer, "sqlite")

SEVERITIES = ("info", "warning", "critical")
STATUSES = ("open", "acknowledged", "assigned", "resolved")
OPEN_STATUSES = ("open", "acknowledged", "assigned")


class AlertRule(Base):
    """The settings of one rule (the rules themselves are code, in ``rules.py``)."""

    __tablename__ = "alert_rules"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(Integer)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_status_severity", "status", "severity", "raised_at"),
        Index("ix_alerts_rule_raised", "rule", "raised_at"),
        Index("ix_alerts_agency_status", "assigned_agency_code", "status"),
        # The console panel's query: unresolved alerts, per severity, newest first. Partial,
        # so it holds only what is still open however long the history grows.
        Index(
            "ix_alerts_unresolved",
            "severity",
            "raised_at",
            postgresql_where=text("status <> 'resolved'"),
            sqlite_where=text("status <> 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(40))
    # One alert per rule and cause: redelivered events, reruns and two workers meet here.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    status: Mapped[str] = mapped_column(String(15), default="open")
    title: Mapped[str] = mapped_column(String(300))
    # The cause: what the alert is about (a report, an indicator, an H3 cell), for links.
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[str] = mapped_column(String(100), default="")
    cause: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    area_code: Mapped[str | None] = mapped_column(String(20), index=True)
    h3_cell: Mapped[str | None] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # the event that caused it
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(Integer)
    assigned_agency_code: Mapped[str | None] = mapped_column(String(40))
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(Integer)
    resolution: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    def permission_scope(self) -> Scope:
        return Scope(
            agency_codes=frozenset(c for c in (self.assigned_agency_code,) if c),
            area_codes=frozenset(c for c in (self.area_code,) if c),
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AlertNote(Base):
    """The alert's log: notes and every handling act, with who and when."""

    __tablename__ = "alert_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default="note")  # note, acknowledge, ...
    text: Mapped[str] = mapped_column(Text, default="")


class Procedure(Base):
    """A standard operating procedure: the checklist followed for one type of alert."""

    __tablename__ = "alert_procedures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(Integer)


class ProcedureStep(Base):
    __tablename__ = "alert_procedure_steps"
    __table_args__ = (UniqueConstraint("procedure_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    procedure_id: Mapped[int] = mapped_column(
        ForeignKey("alert_procedures.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # Clock time after the alert is raised (the centre works around the clock).
    due_minutes: Mapped[int] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(20))


class AlertStep(Base):
    """A procedure's step as instantiated for one alert: its own deadline and who ticked it."""

    __tablename__ = "alert_steps"
    __table_args__ = (UniqueConstraint("alert_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(Integer)
    done_by_label: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and now > self.due_at


class AlertCause(Base):
    """One cause taken into an alert that groups several (the overdue reports of an agency,
    the communes whose indicator moved): its key is unique, so a cause is counted once
    whatever happens to the alert it went into."""

    __tablename__ = "alert_causes"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
