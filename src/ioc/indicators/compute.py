"""Computed indicators: every installed module's ``IndicatorSpec`` evaluated for the last
periods, for the province and each commune, stored as observations (source "computed").

The current period is stored as provisional and recomputed on every run; a period that has
ended is final. Idempotent: an unchanged value is not rewritten (``service.store``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.db import utcnow
from ioc.indicators import bands
from ioc.indicators.models import Indicator
from ioc.indicators.service import ObservationInput, StoreResult, province_code, store
from ioc.kit.module import IndicatorSpec, Module
from ioc.kit.workdays import VIETNAM_TZ

# Shared with the reports module's indicators: figures several indicators need, asked once.
CACHE_KEY = "ioc.reports.indicator_cache"

DEFAULT_PERIODS = 2  # the current period and the one before (late answers change it)


def module_specs(modules: Iterable[Module] | None = None) -> dict[str, IndicatorSpec]:
    if modules is None:
        from ioc.modules import installed_modules

        modules = installed_modules()
    return {s.code: s for m in modules for s in m.indicators if s.compute is not None}


def compute_indicators(
    session: Session,
    *,
    periods: int = DEFAULT_PERIODS,
    now: datetime | None = None,
    modules: Iterable[Module] | None = None,
    codes: Iterable[str] | None = None,
    communes: bool = True,
    record_events: bool = True,
) -> StoreResult:
    """Compute and store the last ``periods`` periods of every computed indicator."""
    now = now or utcnow()
    today = now.astimezone(VIETNAM_TZ).date()
    specs = module_specs(modules)
    if codes is not None:
        wanted = set(codes)
        specs = {c: s for c, s in specs.items() if c in wanted}
    indicators = session.scalars(
        select(Indicator).where(
            Indicator.code.in_(list(specs)),
            Indicator.is_active.is_(True),
        )
    ).all()
    province = province_code(session)
    area_codes: list[str | None] = [None]
    if communes:
        area_codes += list(session.scalars(select(Area.code).where(Area.parent_code.is_not(None))))
    rows: list[ObservationInput] = []
    session.info[CACHE_KEY] = {}
    try:
        _compute(session, indicators, specs, area_codes, province, today, periods, rows)
    finally:
        session.info.pop(CACHE_KEY, None)
    # Computed province values are recomputed from the records, never rolled up.
    return store(session, rows, source="computed", roll_up=False, record_events=record_events)


def _compute(
    session: Session,
    indicators: Sequence[Indicator],
    specs: dict[str, IndicatorSpec],
    area_codes: list[str | None],
    province: str,
    today: date,
    periods: int,
    rows: list[ObservationInput],
) -> None:
    for indicator in indicators:
        spec = specs[indicator.code]
        assert spec.compute is not None
        current = bands.period_start(indicator.frequency, today)
        starts = [current]
        for _ in range(periods - 1):
            starts.append(bands.previous_period(indicator.frequency, starts[-1]))
        for start in reversed(starts):
            end = bands.next_period(indicator.frequency, start)
            status = "provisional" if start == current else "final"
            for area in area_codes:
                value = spec.compute(
                    session, area_code=area, start=start, end=min(end, _tomorrow(today))
                )
                if value is None:
                    continue
                rows.append(
                    ObservationInput(indicator, area or province, start, float(value), status, "")
                )


def _tomorrow(today: date) -> date:
    return bands.next_period("daily", today)


def job(session: Session) -> int:
    result = compute_indicators(session)
    return result.created + result.updated
