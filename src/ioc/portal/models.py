"""Tables of the citizen app (phone sign-in codes, profiles, notification preferences, in-app
notifications, usage counters).

Usage is counted without tracking people: a profile keeps only the date its owner was last
active, and the counters are one row per day with totals (no per-visit log)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")

CODE_PURPOSES = ("signin", "change_phone")


class PhoneCode(Base):
    """A one-time code sent by SMS. Only a keyed hash of the code is stored; rows are purged
    a day after they were made (the phone number is personal data)."""

    __tablename__ = "portal_phone_codes"
    __table_args__ = (Index("ix_portal_phone_codes_phone_created", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    phone: Mapped[str] = mapped_column(String(20))  # +84xxxxxxxxx
    purpose: Mapped[str] = mapped_column(String(20), default="signin")
    # For a phone change: the account asking for it.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(100))  # salt$hmac
    ip: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CitizenProfile(Base):
    """What a citizen account keeps besides the user row: home commune, preferences, and the
    one date used to count active accounts."""

    __tablename__ = "portal_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    home_area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False)
    last_active_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """An in-app notification: one per event and person (the unique key makes a redelivered
    event harmless)."""

    __tablename__ = "portal_notifications"
    __table_args__ = (Index("ix_portal_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # the event type, e.g. report.resolved
    subject: Mapped[str] = mapped_column(String(40), default="")  # e.g. the report's code
    url: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsageDay(Base):
    """Totals for one local day: no row names a person."""

    __tablename__ = "portal_usage_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    active: Mapped[int] = mapped_column(Integer, default=0)  # accounts active that day
    active_7d: Mapped[int] = mapped_column(Integer, default=0)  # … in the 7 days to it
    active_30d: Mapped[int] = mapped_column(Integer, default=0)  # … in the 30 days to it
    signups: Mapped[int] = mapped_column(Integer, default=0)
    deletions: Mapped[int] = mapped_column(Integer, default=0)
    accounts: Mapped[int] = mapped_column(Integer, default=0)  # citizen accounts at day end
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
