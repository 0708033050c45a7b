"""Tables of the briefings module: the generated reports, with their PDF and workbook.

The files are kept in the database, not under the data directory: the scheduled job may run in
an ``ioc worker`` on another machine than the web process that serves the download, and a
report is a few hundred kilobytes, a hundred or so a year."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ioc.db import Base, UTCDateTime, utcnow

PROVINCE = ""  # the scope key of the province-wide report


class Briefing(Base):
    """One generated leader's report: one per kind, period and scope (the province, or one
    agency's version), replaced when generated again on demand."""

    __tablename__ = "briefings"
    __table_args__ = (
        Index("ux_briefings_period", "kind", "period_key", "scope_key", unique=True),
        Index("ix_briefings_generated", "generated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # week | month
    period_key: Mapped[str] = mapped_column(String(10))  # 2026-W47 | 2026-11
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # the day after the last one
    # "" for the province; the agency's code for an agency's version (a unique key needs a
    # value, and NULLs are distinct).
    scope_key: Mapped[str] = mapped_column(String(40), default=PROVINCE)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    title: Mapped[str] = mapped_column(String(200))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    generated_by: Mapped[str] = mapped_column(String(200), default="")  # name, or "scheduler"
    pdf_size: Mapped[int] = mapped_column(Integer, default=0)
    xlsx_size: Mapped[int] = mapped_column(Integer, default=0)
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    xlsx: Mapped[bytes] = deferred(mapped_column(LargeBinary))
