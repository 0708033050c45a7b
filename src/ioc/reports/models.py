"""Citizen field reports (phản ánh hiện trường): categories with their routing and deadline
rules, the reports themselves, their photos, and the timeline of everything that happens to
them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import text

from ioc.db import Base, UTCDateTime, utcnow
from ioc.kit.permissions import Scope

BigId = BigInteger().with_variant(Integer, "sqlite")

CATEGORY_GROUPS = (
    "roads",
    "lighting",
    "environment",
    "water",
    "electricity",
    "urban",
    "security",
    "health",
    "education",
    "land",
    "other",
    # Questions and suggestions with no place (issue 4 §6, "phản ánh thông tin khác").
    "feedback",
)
URGENCIES = ("urgent", "normal", "complex")
CHANNELS = ("app", "web", "console", "hotline", "api", "open311")


class Category(Base):
    """A kind of problem a citizen can report (an Open311 service)."""

    __tablename__ = "report_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # Open311 service_code
    group: Mapped[str] = mapped_column(String(30), index=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_vi: Mapped[str] = mapped_column(String(1000), default="")
    description_en: Mapped[str] = mapped_column(String(1000), default="")
    keywords: Mapped[str] = mapped_column(String(500), default="")
    default_urgency: Mapped[str] = mapped_column(String(10), default="normal")
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    # False for questions and suggestions that concern no place: filed without a location
    # (the commune is optional and only routes), never shown on the public map. Open311 still
    # asks for a location, as its spec does.
    location_required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Open311 attributes: [{code, datatype, required, order, description_vi, description_en,
    # values: [{key, name_vi, name_en}]}]
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    search_key: Mapped[str] = mapped_column(String(800), default="")


class DeadlinePolicy(Base):
    """Time to accept and to resolve, per category (or the default, category null) and urgency.
    Amounts are in working hours or working days of the office calendar."""

    __tablename__ = "report_deadline_policies"
    __table_args__ = (
        UniqueConstraint("category_id", "urgency"),
        # NULLs are distinct in a unique constraint: one province-wide row per urgency needs
        # its own partial index.
        Index(
            "ux_report_deadline_policies_default",
            "urgency",
            unique=True,
            sqlite_where=text("category_id IS NULL"),
            postgresql_where=text("category_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_categories.id", ondelete="CASCADE")
    )
    urgency: Mapped[str] = mapped_column(String(10))
    accept_amount: Mapped[float] = mapped_column(Float)
    accept_unit: Mapped[str] = mapped_column(String(5))  # hours | days
    resolve_amount: Mapped[float] = mapped_column(Float)
    resolve_unit: Mapped[str] = mapped_column(String(5))


class RoutingRule(Base):
    """Category × commune → agency. A rule with no area applies province-wide; the most
    specific rule (an area's) wins."""

    __tablename__ = "report_routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "area_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("report_categories.id", ondelete="CASCADE"), index=True
    )
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    # "commune" routes to the People's Committee of the report's commune; else an agency code.
    target: Mapped[str] = mapped_column(String(40))


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_agency_status", "agency_id", "status"),
        # An agency's reports answered (resolved_at) or closed unanswered (resolved_at IS
        # NULL, closed_at) at or after an instant: its backlog at the end of a past period.
        Index("ix_reports_agency_resolved_closed", "agency_id", "resolved_at", "closed_at"),
        Index("ix_reports_status_resolve_due", "status", "resolve_due_at"),
        Index("ix_reports_category_h3", "category_id", "h3_cell"),
        # Open311 and public lists filter by category and status over a time window.
        Index("ix_reports_category_status_submitted", "category_id", "status", "submitted_at"),
        Index("ix_reports_submitted", "submitted_at"),
        Index("ix_reports_updated", "updated_at"),
        # Briefings count a period's resolutions and ratings.
        Index("ix_reports_resolved", "resolved_at"),
        Index("ix_reports_rated", "rated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # PA-2026-000123
    category_id: Mapped[int] = mapped_column(ForeignKey("report_categories.id"))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    description: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    h3_cell: Mapped[str | None] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10), default="app")
    # The reporter: never shown to the public.
    reporter_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    reporter_phone: Mapped[str] = mapped_column(String(20), default="")
    reporter_email: Mapped[str] = mapped_column(String(254), default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accept_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While the agency waits for the citizen the clock stops (DOMAIN.md: deadlines).
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_answer: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str] = mapped_column(String(1000), default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    search_key: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def permission_scope(self) -> Scope:
        # Agency codes are resolved by the service (it loads the agency), see service.scope_of.
        return Scope(area_codes=frozenset(c for c in (self.area_code,) if c))


class ReportPhoto(Base):
    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    thumb_key: Mapped[str] = mapped_column(String(100))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportUpdate(Base):
    """One step in a report's life: a status change, a public answer or an internal note.
    Public text and internal notes are different columns so that no query can mix them up."""

    __tablename__ = "report_updates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str] = mapped_column(String(20))  # status | answer | note | transfer | info
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(Integer)
    to_agency_id: Mapped[int | None] = mapped_column(Integer)
    public_text: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(1000), default="")


class ReportAgencyRecord(Base):
    """Each agency that held a report, so a transfer counts in both agencies' records.

    The resolution columns are written when the report is resolved (service.resolve), so that
    the scorecard (evaluation.py) is a few SQL aggregates: ``resolve_working_seconds`` is the
    working time from this agency's receipt to the report's resolution (office calendar, on
    every record of the report); ``resolved_at`` and ``resolver_id`` mark the standing
    resolution and are kept on the resolving agency's record only. A reopened report keeps
    them until it is resolved again: the scorecard counts them only while the report is
    resolved or closed."""

    __tablename__ = "report_agency_records"
    __table_args__ = (
        Index("ix_report_agency_records_agency", "agency_id", "received_at"),
        # The scorecard reads a period over all agencies, the officer table by resolution time.
        Index("ix_report_agency_records_received", "received_at"),
        Index("ix_report_agency_records_resolved", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # transferred | resolved | ...
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolver_id: Mapped[int | None] = mapped_column(Integer)  # the officer (users.id)
    resolve_working_seconds: Mapped[int | None] = mapped_column(Integer)


class ReportFollower(Base):
    __tablename__ = "report_followers"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportCounter(Base):
    """The next public number per year (PA-2026-000123), taken with a row lock."""

    __tablename__ = "report_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportAgencyDay(Base):
    """The evaluation's counts per agency and local day (or month, ``span``) of receipt
    (rollup.py): the same tally as the live query (evaluation._add), so that a year's
    scorecard sums about a thousand rows. Open reports are counted with their deadlines, as
    whether they are overdue moves with the clock."""

    __tablename__ = "report_agency_days"

    span: Mapped[str] = mapped_column(String(5), primary_key=True)  # day | month
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the span
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    transferred_out: Mapped[int] = mapped_column(Integer, default=0)
    rejected_not_competent: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    within: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    accepted_on_time: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on_time: Mapped[int] = mapped_column(Integer, default=0)
    resolved_late: Mapped[int] = mapped_column(Integer, default=0)
    closed_unfixed: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    unsatisfied: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    ever_resolved: Mapped[int] = mapped_column(Integer, default=0)
    late_or_unsatisfied: Mapped[int] = mapped_column(Integer, default=0)
    # The working hours to resolve of each resolved record, as packed float64 (array "d"), so
    # that medians and means stay exact.
    hours: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    open: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Overdue whatever the clock: waiting for the citizen, the clock stopped past the deadline.
    overdue_open: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The deadlines of the other open reports within competence (µs since 1970 UTC, sorted
    # int64): each is overdue once the clock has passed it; ``open_due_satisfied`` holds those
    # not rated unsatisfied, which then count as late too.
    open_due: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    open_due_satisfied: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class ReportRollupDay(Base):
    """A local day (or month) whose roll-up rows are built, and when (or last found
    unchanged): a report changed since (its ``updated_at``) makes its records count live until
    the job rebuilds it."""

    __tablename__ = "report_rollup_days"

    span: Mapped[str] = mapped_column(String(5), primary_key=True)  # day | month
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportOfficerDay(Base):
    """The officer table's counts (evaluation.evaluate_officers) per officer and local day (or
    month, ``span``) of the standing resolution (officer_rollup.py): integers only, so a
    period's figures are exactly the live ones. ``agencies`` holds the agency of each
    resolution (packed int32), from which the officer's agency is chosen."""

    __tablename__ = "report_officer_days"

    span: Mapped[str] = mapped_column(String(5), primary_key=True)  # day | month
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the span
    resolver_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on_time: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    agencies: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class ReportOfficerRollupDay(Base):
    """A local day (or month) whose officer roll-up rows are built, and when (or last found
    unchanged), as `ReportRollupDay` is for the agencies."""

    __tablename__ = "report_officer_rollup_days"

    span: Mapped[str] = mapped_column(String(5), primary_key=True)  # day | month
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportOfficerMark(Base):
    """A report counted in a built day of the officer roll-up while it was still resolved (not
    closed): the citizen may reopen it, and its next resolution moves it to another day, so the
    day it was counted in must be found without its old resolution time. Closed reports stay
    where they are and are not marked, so this holds about a week of resolutions."""

    __tablename__ = "report_officer_marks"
    __table_args__ = (Index("ix_report_officer_marks_report", "report_id"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    report_id: Mapped[int] = mapped_column(BigId, primary_key=True)
