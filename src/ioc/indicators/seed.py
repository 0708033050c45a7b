"""Loading the catalogue: the themes and indicators of `catalogue_data`, and every installed
module's ``IndicatorSpec`` (computed indicators). Idempotent: an indicator already in the
catalogue keeps what an administrator changed; only new ones are added."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.indicators.catalogue_data import INDICATORS, THEMES, Spec
from ioc.indicators.models import Indicator
from ioc.kit.module import IndicatorSpec, Module

Progress = Callable[[str, int, int], None]


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


def _bounds(
    unit: str, bounds: tuple[float | None, float | None] | None
) -> tuple[float | None, float | None]:
    if bounds is not None:
        return bounds
    return (0.0, 100.0) if unit == "%" else (0.0, None)


def seed_catalogue(
    session: Session, *, modules: Iterable[Module] | None = None, progress: Progress = _noop
) -> int:
    """Add the missing themes and indicators; returns how many were added."""
    if modules is None:
        from ioc.modules import installed_modules

        modules = installed_modules()
    have = {i.code: i for i in session.scalars(select(Indicator))}
    added = 0
    themes: dict[str, Indicator] = {}
    for theme in THEMES:
        row = have.get(theme.code)
        if row is None:
            row = Indicator(
                code=theme.code,
                kind="theme",
                name_vi=theme.name_vi,
                name_en=theme.name_en,
                unit="",
                band_mode="none",
                area_level="province",
                sort_order=theme.order,
            )
            session.add(row)
            added += 1
        themes[theme.code] = row
    session.flush()
    specs: list[Spec | tuple[str, IndicatorSpec]] = list(INDICATORS)
    for module in modules:
        specs += [(module.name, spec) for spec in module.indicators]
    for n, item in enumerate(specs, 1):
        code = item.code if isinstance(item, Spec) else item[1].code
        if code in have:
            continue
        row = _from_spec(item) if isinstance(item, Spec) else _from_module(*item)
        theme_code = item.theme if isinstance(item, Spec) else item[1].theme
        parent = themes.get(theme_code)
        row.parent_id = parent.id if parent is not None else None
        base = parent.sort_order if parent is not None else 900
        row.sort_order = base * 10 + n
        session.add(row)
        have[code] = row
        added += 1
        progress("indicators", n, len(specs))
    session.flush()
    return added


def _from_spec(spec: Spec) -> Indicator:
    low, high = _bounds(spec.unit, spec.bounds)
    return Indicator(
        code=spec.code,
        kind="indicator",
        name_vi=spec.name_vi,
        name_en=spec.name_en,
        unit=spec.unit,
        decimals=spec.decimals,
        direction=spec.direction,
        frequency=spec.frequency,
        area_level=spec.area_level,
        source=spec.source,
        formula=spec.formula,
        reference=spec.reference,
        target=spec.target,
        target_max=spec.target_max,
        band_mode=spec.band_mode,
        good_at=spec.good_at,
        warn_at=spec.warn_at,
        rollup=spec.rollup if spec.area_level == "commune" else "none",
        min_value=low,
        max_value=high,
        agency_code=spec.agency,
        headline=spec.headline,
    )


def _from_module(module: str, spec: IndicatorSpec) -> Indicator:
    low, high = _bounds(spec.unit, None)
    return Indicator(
        code=spec.code,
        kind="indicator",
        name_vi=spec.name_vi,
        name_en=spec.name_en,
        unit=spec.unit,
        decimals=spec.decimals,
        direction=spec.direction,
        frequency=spec.frequency,
        area_level="commune",
        source="computed",
        module=module,
        formula=spec.formula,
        target=spec.target,
        band_mode=spec.band_mode,
        good_at=spec.good_at,
        warn_at=spec.warn_at,
        rollup=spec.rollup,
        min_value=low,
        max_value=high,
        headline=spec.headline,
    )
