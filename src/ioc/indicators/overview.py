"""The scorecard tiles the console overview shows (contract between indicators and console).

The indicators module fills this in; the console only calls ``overview_tiles``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Tile:
    code: str  # indicator code
    name: str  # translated name
    value: float | None
    value_text: str  # formatted with its unit, in the locale
    unit: str
    band: str  # "good", "warning", "bad" or "none"
    trend: str  # "up", "down", "flat" or "none" (direction of the value)
    trend_good: bool | None  # whether the trend is an improvement, given the direction
    target: float | None
    period_label: str
    href: str  # drill-down to the records behind the value


def overview_tiles(
    session: Session, *, area_code: str | None, agency_id: int | None, locale: str
) -> list[Tile]:
    """Tiles for the province (area_code None), a commune, or one agency's picture."""
    return []
