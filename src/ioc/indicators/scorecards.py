"""Read side: scorecards by area and by agency, rankings of communes, an indicator's history.

An area's scorecard is two queries (the catalogue, and the area's recent observations), so it
stays fast whatever the history holds (see bench/indicators.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.db import utcnow
from ioc.indicators import bands
from ioc.indicators.models import Indicator, Observation
from ioc.indicators.service import province_code
from ioc.kit.workdays import VIETNAM_TZ

# How far back an area's scorecard reads: 3 years, so a yearly indicator has its previous value.
HISTORY_DAYS = 3 * 366 + 31
SERIES_POINTS = {"daily": 30, "monthly": 24, "quarterly": 12, "yearly": 6}


@dataclass
class Card:
    indicator: Indicator
    value: float | None
    previous: float | None
    period_start: date | None
    band: str
    trend: str
    trend_good: bool | None
    achievement: float | None
    status: str
    series: list[tuple[date, float]] = field(default_factory=list)


@dataclass
class Group:
    theme: Indicator | None
    cards: list[Card]


def card_for(
    indicator: Indicator,
    points: list[tuple[date, float, str]],
) -> Card:
    """``points``: (period, value, status) sorted by period."""
    if not points:
        return Card(indicator, None, None, None, bands.NONE, "none", None, None, "")
    period, value, status = points[-1]
    previous = None
    if len(points) > 1 and points[-2][0] == bands.previous_period(indicator.frequency, period):
        previous = points[-2][1]
    way, good = bands.trend(indicator.direction, value, previous)
    pct = bands.achievement(indicator, value) if indicator.band_mode == "target" else None
    keep = SERIES_POINTS.get(indicator.frequency, 24)
    return Card(
        indicator,
        value,
        previous,
        period,
        bands.band(indicator, value),
        way,
        good,
        pct,
        status,
        [(p, v) for p, v, _s in points[-keep:]],
    )


def area_scorecard(
    session: Session, area_code: str | None, *, today: date | None = None
) -> list[Group]:
    """Every active indicator measured for the area, grouped by theme, with its latest value,
    band and trend; a commune's card leaves out province-only indicators."""
    today = today or utcnow().astimezone(VIETNAM_TZ).date()
    area = area_code or province_code(session)
    is_province = area == province_code(session)
    catalogue = list(
        session.scalars(
            select(Indicator)
            .where(Indicator.is_active.is_(True))
            .order_by(Indicator.sort_order, Indicator.code)
        )
    )
    points = _points(session, area, today)
    themes = {i.id: i for i in catalogue if i.kind == "theme"}
    grouped: dict[int | None, list[Card]] = defaultdict(list)
    for ind in catalogue:
        if ind.kind != "indicator":
            continue
        if not is_province and ind.area_level == "province":
            continue
        grouped[ind.parent_id].append(card_for(ind, points.get(ind.id, [])))
    order = [t.id for t in sorted(themes.values(), key=lambda t: (t.sort_order, t.code))]
    groups = [Group(themes[t], grouped[t]) for t in order if grouped.get(t)]
    if grouped.get(None):
        groups.append(Group(None, grouped[None]))
    return groups


def _points(
    session: Session, area: str, today: date, indicator_ids: list[int] | None = None
) -> dict[int, list[tuple[date, float, str]]]:
    stmt = (
        select(
            Observation.indicator_id,
            Observation.period_start,
            Observation.value,
            Observation.status,
        )
        .where(
            Observation.area_code == area,
            Observation.period_start >= today - timedelta(days=HISTORY_DAYS),
        )
        .order_by(Observation.indicator_id, Observation.period_start)
    )
    if indicator_ids is not None:
        stmt = stmt.where(Observation.indicator_id.in_(indicator_ids))
    out: dict[int, list[tuple[date, float, str]]] = defaultdict(list)
    for ind_id, period, value, status in session.execute(stmt):
        out[ind_id].append((period, value, status))
    return out


@dataclass
class RankRow:
    rank: int
    area_code: str
    area_name: str
    value: float
    band: str
    previous: float | None
    trend: str
    trend_good: bool | None


def latest_commune_period(session: Session, indicator: Indicator) -> date | None:
    return session.scalar(
        select(func.max(Observation.period_start)).where(
            Observation.indicator_id == indicator.id,
            Observation.area_code != province_code(session),
        )
    )


def ranking(
    session: Session, indicator: Indicator, period: date | None = None
) -> tuple[date | None, list[RankRow]]:
    """Communes ranked best first for one period (the latest with commune values by default);
    equal values share a place."""
    period = period or latest_commune_period(session, indicator)
    if period is None:
        return None, []
    before = bands.previous_period(indicator.frequency, period)
    province = province_code(session)
    rows = session.execute(
        select(Observation.area_code, Area.name, Observation.period_start, Observation.value)
        .join(Area, Area.code == Observation.area_code)
        .where(
            Observation.indicator_id == indicator.id,
            Observation.period_start.in_([period, before]),
            Observation.area_code != province,
        )
    ).all()
    now = {r.area_code: (r.name, r.value) for r in rows if r.period_start == period}
    prev = {r.area_code: r.value for r in rows if r.period_start == before}
    descending = indicator.direction != "lower"
    ordered = sorted(now.items(), key=lambda kv: (-kv[1][1] if descending else kv[1][1], kv[1][0]))
    out: list[RankRow] = []
    for i, (code, (name, value)) in enumerate(ordered):
        rank = out[-1].rank if out and out[-1].value == value else i + 1
        way, good = bands.trend(indicator.direction, value, prev.get(code))
        out.append(
            RankRow(
                rank, code, name, value, bands.band(indicator, value), prev.get(code), way, good
            )
        )
    return period, out


@dataclass
class HistoryRow:
    period_start: date
    value: float
    band: str
    status: str
    source: str
    entered_by: str
    entered_at: datetime
    note: str
    is_demo: bool


def history(
    session: Session, indicator: Indicator, area_code: str, *, limit: int = 120
) -> list[HistoryRow]:
    """The values of one area, newest first, with who entered them and from where."""
    obs = session.scalars(
        select(Observation)
        .where(Observation.indicator_id == indicator.id, Observation.area_code == area_code)
        .order_by(Observation.period_start.desc())
        .limit(limit)
    )
    return [
        HistoryRow(
            o.period_start,
            o.value,
            bands.band(indicator, o.value),
            o.status,
            o.source,
            o.entered_by,
            o.entered_at,
            o.note,
            o.is_demo,
        )
        for o in obs
    ]


def band_counts(groups: list[Group]) -> dict[str, int]:
    counts = {bands.GOOD: 0, bands.WARNING: 0, bands.BAD: 0, bands.NONE: 0}
    for g in groups:
        for c in g.cards:
            counts[c.band if c.value is not None else bands.NONE] += 1
    return counts
