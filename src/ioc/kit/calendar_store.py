"""Announced changes to the working calendar (swap Saturdays, bridge days), kept in data so
that a province can follow each year's government announcement without a release."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ioc.db import Base, UTCDateTime, utcnow


class WorkdayOverride(Base):
    __tablename__ = "workday_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def load_overrides(session: Session) -> dict[date, bool]:
    return {row.day: row.is_working for row in session.scalars(select(WorkdayOverride))}


def set_override(session: Session, day: date, *, is_working: bool, note: str = "") -> None:
    row = session.get(WorkdayOverride, day)
    if row is None:
        session.add(WorkdayOverride(day=day, is_working=is_working, note=note))
    else:
        row.is_working = is_working
        row.note = note
