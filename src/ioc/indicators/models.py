"""Tables of the indicators module: the catalogue of indicators and their observations by area
and period.

Bands are not stored on observations: they follow from the catalogue (target, thresholds,
direction) when read, so that a changed target recolours the whole history at once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, UTCDateTime, utcnow
from ioc.kit.permissions import Scope

DIRECTIONS = ("higher", "lower", "range")  # higher is better, lower is better, a target band
FREQUENCIES = ("monthly", "quarterly", "yearly", "daily")
AREA_LEVELS = ("province", "commune")
SOURCES = ("manual", "imported", "computed")
BAND_MODES = ("target", "absolute", "none")
ROLLUPS = ("sum", "weighted_mean", "mean", "recompute", "none")
KINDS = ("theme", "indicator")
OBSERVATION_STATUSES = ("provisional", "final")
# Where an observation's value came from.
OBSERVATION_SOURCES = ("manual", "import", "computed", "rollup", "demo")


class Indicator(Base):
    """One indicator (or a theme grouping indicators) of the province's scorecard."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="indicator")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicators.id", ondelete="SET NULL"), index=True
    )
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30), default="")
    decimals: Mapped[int] = mapped_column(SmallInteger, default=1)
    direction: Mapped[str] = mapped_column(String(10), default="higher")
    frequency: Mapped[str] = mapped_column(String(10), default="monthly")
    area_level: Mapped[str] = mapped_column(String(10), default="commune")
    source: Mapped[str] = mapped_column(String(10), default="manual")
    module: Mapped[str] = mapped_column(String(40), default="")  # for computed indicators
    formula: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(200), default="")  # ISO 37120 5.1, QĐ 766 …
    target: Mapped[float | None] = mapped_column(Float)
    target_max: Mapped[float | None] = mapped_column(Float)  # upper end of a target range
    band_mode: Mapped[str] = mapped_column(String(10), default="target")
    # Target mode: % of target achieved (defaults 100 and 66, see bands.py); absolute mode:
    # values; range direction: the margin outside the range still counted as a warning.
    good_at: Mapped[float | None] = mapped_column(Float)
    warn_at: Mapped[float | None] = mapped_column(Float)
    rollup: Mapped[str] = mapped_column(String(15), default="none")
    # What a value may be (a share 0–100 %, a count ≥ 0); a value outside is refused.
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    # An agency whose head may enter this indicator's values (its scope for permissions).
    agency_code: Mapped[str | None] = mapped_column(String(40))
    headline: Mapped[bool] = mapped_column(Boolean, default=False)  # shown on the overview
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def permission_scope(self) -> Scope:
        return Scope(agency_codes=frozenset({self.agency_code} if self.agency_code else ()))

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi


class Observation(Base):
    """The value of one indicator for one area (a commune or the province) and one period,
    the period named by its first day (a month by its 1st, a quarter by its first month's)."""

    __tablename__ = "indicator_observations"
    __table_args__ = (
        UniqueConstraint("indicator_id", "area_code", "period_start"),
        # Scorecards read one area's recent history; rankings one period over all areas.
        Index("ix_indicator_observations_area", "area_code", "period_start"),
        Index("ix_indicator_observations_period", "indicator_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    period_start: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="provisional")
    source: Mapped[str] = mapped_column(String(10), default="manual")
    entered_by_id: Mapped[int | None] = mapped_column(Integer)
    entered_by: Mapped[str] = mapped_column(String(200), default="")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(1000), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
