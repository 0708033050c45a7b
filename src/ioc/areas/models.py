"""Administrative units (after the 2025 reform: province → commune/ward), the legacy units they
replaced, and the agencies that handle matters in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, UTCDateTime, utcnow
from ioc.kit.permissions import Scope


class Area(Base):
    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # province | xã | phường | đặc khu
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_km2: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    search_key: Mapped[str] = mapped_column(String(160), default="", index=True)

    def permission_scope(self) -> Scope:
        codes = {self.code}
        if self.parent_code:
            codes.add(self.parent_code)
        return Scope(area_codes=frozenset(codes))


class LegacyUnit(Base):
    """A district or commune as it was before 1 July 2025, and the current unit now covering it.

    Historical data (old reports, statistics) names these; a legacy commune maps to exactly one
    new unit, a legacy district to many."""

    __tablename__ = "legacy_units"
    __table_args__ = (UniqueConstraint("code", "level", "new_area_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(20))  # province | district | commune
    parent_code: Mapped[str | None] = mapped_column(String(10))
    province_code: Mapped[str | None] = mapped_column(String(10))
    new_area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    short_name: Mapped[str] = mapped_column(String(80), default="")
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    seat_area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    hotline: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    search_key: Mapped[str] = mapped_column(String(260), default="", index=True)
    extra: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def permission_scope(self) -> Scope:
        return Scope(agency_codes=frozenset({self.code}))


class AgencyArea(Base):
    """Where an agency is responsible. A provincial department covers the province's code."""

    __tablename__ = "agency_areas"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True, index=True)
