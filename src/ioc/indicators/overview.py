"""The scorecard tiles the console overview shows (contract between indicators and console).

The indicators module fills this in; the console only calls ``overview_tiles``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.indicators import bands
from ioc.indicators.models import Indicator
from ioc.kit.i18n import format_number
from ioc.kit.workdays import VIETNAM_TZ


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


MAX_TILES = 8


def overview_tiles(
    session: Session, *, area_code: str | None, agency_id: int | None, locale: str
) -> list[Tile]:
    """Tiles for the province (area_code None), a commune, or one agency's picture.

    The headline indicators of the catalogue (``Indicator.headline``), filled up to eight with
    the next ones in catalogue order. Two queries for an area (the catalogue, the area's recent
    values); for an agency, the reports indicators computed live for this month against the
    last (two aggregates per month)."""
    if agency_id is not None:
        return _agency_tiles(session, agency_id, locale)
    from ioc.indicators.scorecards import _points, card_for
    from ioc.indicators.service import province_code

    today = utcnow().astimezone(VIETNAM_TZ).date()
    area = area_code or province_code(session)
    is_province = area == province_code(session)
    catalogue = [
        i
        for i in session.scalars(
            select(Indicator)
            .where(Indicator.is_active.is_(True), Indicator.kind == "indicator")
            .order_by(Indicator.sort_order, Indicator.code)
        )
        if is_province or i.area_level != "province"
    ]
    chosen = [i for i in catalogue if i.headline][:MAX_TILES]
    points = _points(session, area, today, [i.id for i in catalogue])
    if len(chosen) < MAX_TILES:
        rest = [i for i in catalogue if not i.headline and points.get(i.id)]
        chosen += rest[: MAX_TILES - len(chosen)]
    tiles = []
    for ind in chosen:
        card = card_for(ind, points.get(ind.id, []))
        tiles.append(
            _tile(
                ind.code,
                ind.name(locale),
                ind.unit,
                ind.decimals,
                card.value,
                card.band,
                card.trend,
                card.trend_good,
                ind.target,
                bands.period_label(ind.frequency, card.period_start, locale)
                if card.period_start
                else "",
                drill_down(ind, area, is_province),
                locale,
            )
        )
    return tiles


def drill_down(indicator: Indicator, area_code: str, is_province: bool) -> str:
    """Where a tile leads: for the reports indicators the reports themselves, otherwise the
    observation history with its sources and who entered each value."""
    code = indicator.code
    if code in ("reports.backlog", "reports.overdue", "reports.per_10k"):
        return "/reports?status=open" + ("" if is_province else f"&area={area_code}")
    if code.startswith("reports."):
        return "/console/reports/evaluation?period=30d" + (
            "" if is_province else f"&area={area_code}"
        )
    return f"/console/indicators/{code}?area={area_code}"


def _tile(
    code: str,
    name: str,
    unit: str,
    decimals: int,
    value: float | None,
    band: str,
    trend: str,
    trend_good: bool | None,
    target: float | None,
    period_label: str,
    href: str,
    locale: str,
) -> Tile:
    text = "—" if value is None else format_number(value, locale, decimals)
    return Tile(
        code=code,
        name=name,
        value=value,
        value_text=text if value is None or not unit else f"{text} {unit}",
        unit=unit,
        band=band,
        trend=trend,
        trend_good=trend_good,
        target=target,
        period_label=period_label,
        href=href,
    )


def _agency_tiles(session: Session, agency_id: int, locale: str) -> list[Tile]:
    from ioc.areas.models import Agency
    from ioc.reports import indicators as ri

    agency = session.get(Agency, agency_id)
    if agency is None:
        return []
    today = utcnow().astimezone(VIETNAM_TZ).date()
    start = bands.period_start("monthly", today)
    before = bands.previous_period("monthly", start)
    tomorrow = bands.next_period("daily", today)
    now_figures = ri.agency_figures(session, agency_id=agency_id, start=start, end=tomorrow)
    prev_figures = ri.agency_figures(session, agency_id=agency_id, start=before, end=start)
    catalogue = {
        i.code: i
        for i in session.scalars(select(Indicator).where(Indicator.code.in_(list(now_figures))))
    }
    tiles = []
    for code, value in now_figures.items():
        ind = catalogue.get(code)
        if ind is None:
            continue
        way, good = bands.trend(ind.direction, value, prev_figures.get(code))
        bucket = "overdue" if code == ri.OVERDUE else "all"
        tiles.append(
            _tile(
                code,
                ind.name(locale),
                ind.unit,
                ind.decimals,
                value,
                bands.band(ind, value),
                way,
                good,
                ind.target,
                bands.period_label("monthly", start, locale),
                f"/console/reports?agency={agency.code}&bucket={bucket}",
                locale,
            )
        )
    return tiles[:MAX_TILES]
