"""Demo values for `ioc demo` only: 36 months of every catalogue indicator for each commune and
the province, marked ``is_demo`` (and source "demo") so that they are never taken for real
statistics; then the computed indicators from the demo reports.

Each commune keeps its own level (richer wards ahead, remote communes behind), values drift
towards the target year by year, air quality is worse in the dry winter months, and every
month has some noise. Written with bulk inserts: ~35,000 rows in a few seconds."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.db import utcnow
from ioc.indicators import bands
from ioc.indicators.catalogue_data import INDICATORS, Spec
from ioc.indicators.models import Indicator, Observation
from ioc.indicators.service import province_code, roll_up_values
from ioc.kit.workdays import VIETNAM_TZ

MONTHS = 36
SEASONAL = {"env.pm25": 0.35, "env.aqi_good_days": -0.18}
DEMO_NOTE = "Số liệu minh họa (demo)"


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


def _periods(frequency: str, today: date) -> list[date]:
    """The complete periods of the last 36 months, oldest first."""
    current = bands.period_start(frequency, today)
    first = bands.period_start("monthly", today)
    for _ in range(MONTHS):
        first = bands.previous_period("monthly", first)
    out: list[date] = []
    p = bands.previous_period(frequency, current)
    while p >= first:
        out.append(p)
        p = bands.previous_period(frequency, p)
    return list(reversed(out))


def seed_demo_observations(
    session: Session,
    *,
    now: datetime | None = None,
    progress: Callable[[str, int, int], None] = _noop,
    seed: int = 2026,
    computed: bool = True,
) -> int:
    """Returns the number of observations written (0 when the demo values are already there)."""
    if session.scalar(select(exists().where(Observation.is_demo.is_(True)))):
        return 0
    now = now or utcnow()
    today = now.astimezone(VIETNAM_TZ).date()
    rng = random.Random(seed)
    province = province_code(session)
    communes = list(
        session.execute(
            select(Area.code, Area.population).where(Area.parent_code.is_not(None))
        ).all()
    )
    catalogue = {i.code: i for i in session.scalars(select(Indicator))}
    specs = [s for s in INDICATORS if s.code in catalogue]
    rows: list[dict[str, Any]] = []
    for n, spec in enumerate(specs, 1):
        indicator = catalogue[spec.code]
        rows += _values(indicator, spec, communes, province, today, now, rng)
        progress("indicators", n, len(specs))
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Observation), rows[chunk : chunk + 5000])
    session.flush()
    if computed:
        from ioc.indicators.compute import compute_indicators

        # The province over the year of demo reports, the communes over the last quarter;
        # quietly: a demo's history is no news (no band-changed events, so no alerts).
        compute_indicators(session, periods=12, now=now, communes=False, record_events=False)
        compute_indicators(session, periods=3, now=now, record_events=False)
    return len(rows)


def _values(
    indicator: Indicator,
    spec: Spec,
    communes: list[Any],
    province: str,
    today: date,
    now: datetime,
    rng: random.Random,
) -> list[dict[str, Any]]:
    base, drift, spread, noise = spec.demo
    periods = _periods(indicator.frequency, today)
    low = indicator.min_value
    high = indicator.max_value
    # A commune's own level: a fixed offset for the whole series.
    offsets = {code: rng.gauss(0, spread) for code, _pop in communes}
    out: list[dict[str, Any]] = []
    for i, period in enumerate(periods):
        years = (len(periods) - 1 - i) / max(1, _per_year(indicator.frequency))
        level = base - drift * years
        season = SEASONAL.get(spec.code, 0.0)
        if season and indicator.frequency == "monthly":
            level *= 1 + season * math.cos(2 * math.pi * (period.month - 1) / 12)
        per_area: list[tuple[float, int | None]] = []
        if indicator.area_level == "commune":
            for code, population in communes:
                value = _clamp(level + offsets[code] + rng.gauss(0, noise), low, high)
                value = round(value, indicator.decimals)
                per_area.append((value, population))
                out.append(_row(indicator, code, period, value, now))
            total = roll_up_values(indicator.rollup, per_area)
            value = round(total if total is not None else level, indicator.decimals)
        else:
            value = round(_clamp(level + rng.gauss(0, noise), low, high), indicator.decimals)
        out.append(_row(indicator, province, period, value, now))
    return out


def _per_year(frequency: str) -> int:
    return {"daily": 365, "monthly": 12, "quarterly": 4, "yearly": 1}[frequency]


def _clamp(value: float, low: float | None, high: float | None) -> float:
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return value


def _row(
    indicator: Indicator, area: str, period: date, value: float, now: datetime
) -> dict[str, Any]:
    return {
        "indicator_id": indicator.id,
        "area_code": area,
        "period_start": period,
        "value": value,
        "status": "final",
        "source": "demo",
        "entered_by_id": None,
        "entered_by": "demo",
        "entered_at": now,
        "note": DEMO_NOTE,
        "is_demo": True,
    }
