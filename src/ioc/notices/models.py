"""Tables of the notices module: notices and news that officers publish to the citizen app,
and emergency alerts shown as a banner to the communes they target."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")

NOTICE_KINDS = ("notice", "news")
NOTICE_STATUSES = ("draft", "published", "withdrawn")
ALERT_SEVERITIES = ("information", "warning", "danger", "extreme")
ALERT_STATUSES = ("active", "ended")


class Notice(Base):
    """A notice (thông báo) or a piece of news (tin tức). ``body_html`` is kept sanitised (it
    is sanitised again when shown). No target rows means the whole province."""

    __tablename__ = "notices"
    __table_args__ = (
        # The portal's list: published, in their window, newest first.
        Index("ix_notices_status_publish_at", "status", "publish_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10), default="notice")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    image_key: Mapped[str | None] = mapped_column(String(100))
    image_thumb_key: Mapped[str | None] = mapped_column(String(100))
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    image_alt: Mapped[str] = mapped_column(String(200), default="")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    province_wide: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdraw_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(Integer)  # users.id, kept if the user goes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class NoticeArea(Base):
    """A commune a notice targets."""

    __tablename__ = "notice_areas"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True, index=True)


class EmergencyAlert(Base):
    """An emergency alert (cảnh báo khẩn cấp), shown as a banner on every page of the portal to
    visitors of the communes it targets (no target rows: the whole province) between
    ``starts_at`` and ``ends_at``."""

    __tablename__ = "emergency_alerts"
    __table_args__ = (Index("ix_emergency_alerts_status_ends_at", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(1000))
    severity: Mapped[str] = mapped_column(String(12), default="warning")
    province_wide: Mapped[bool] = mapped_column(Boolean, default=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="active")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class EmergencyAlertArea(Base):
    __tablename__ = "emergency_alert_areas"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("emergency_alerts.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True)
