"""Which agency a report goes to, and which commune a point lies in.

Routing is by category × commune (issue 3, "Routing and inboxes"): the most specific rule wins.
What no rule routes, or what a rule routes to an agency that is missing or inactive, goes to the
operators' triage queue (agency None) rather than to a guess: a report sent to the wrong agency
loses days, while the triage queue is watched around the clock.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas import units
from ioc.areas.models import Agency, Area
from ioc.errors import ValidationFailed
from ioc.kit.geo import NearestIndex, Point, ProvinceShape
from ioc.reports import refdata
from ioc.reports.models import Category, RoutingRule

COMMUNE_TARGET = "commune"


def commune_agency_code(area_code: str) -> str:
    """The People's Committee of a commune (see areas.service.seed_agencies)."""
    return f"UBND-{area_code}"


def _agency_code(target: str | None, area_code: str | None) -> str | None:
    """The agency code a rule's target names for a report in ``area_code``."""
    if target is None:
        return None
    if target == COMMUNE_TARGET:
        return commune_agency_code(area_code) if area_code else None
    return target


def route(
    session: Session, category: Category | refdata.CategoryRef, area_code: str | None
) -> Agency | refdata.AgencyRef | None:
    """The agency for a report of ``category`` in ``area_code``, or None (triage)."""
    ref = refdata.get(session)
    if ref is not None:
        rules = ref.rules.get(category.id, {})
        # A commune's own rule beats the province-wide one.
        target = rules.get(area_code) if area_code else None
        if target is None:
            target = rules.get(None)
        code = _agency_code(target, area_code)
        cached = ref.agencies.get(code) if code else None
        return cached if cached is not None and cached.is_active else None
    found = session.scalars(
        select(RoutingRule).where(
            RoutingRule.category_id == category.id,
            (RoutingRule.area_code == area_code) | RoutingRule.area_code.is_(None)
            if area_code
            else RoutingRule.area_code.is_(None),
        )
    ).all()
    if not found:
        return None
    # A commune's own rule beats the province-wide one.
    rule = sorted(found, key=lambda r: r.area_code is None)[0]
    code = _agency_code(rule.target, area_code)
    if code is None:
        return None
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None or not agency.is_active:
        return None
    return agency


# --- locations -------------------------------------------------------------------------------


@cache
def province_shape() -> ProvinceShape:
    return ProvinceShape(units.province_geometry())


@cache
def _commune_index() -> NearestIndex[str]:
    # Built from the shipped unit data, which is also what seeds the areas table
    # (areas/units.py: "the data has one origin"), so it needs no query and is built once.
    return NearestIndex((c.code, c.lat, c.lon) for c in units.load_communes())


def check_inside(lat: float, lon: float, *, field: str = "location") -> Point:
    """The point, validated and inside the province (with the outline's tolerance)."""
    return province_shape().require(Point(lat, lon), field=field)


def resolve_area(session: Session, lat: float, lon: float) -> str:
    """The commune whose centre is nearest to a point inside the province.

    Nearest centre is an approximation near commune borders (no polygons yet, see ARCHITECTURE
    "geo"); the citizen's own choice of commune, when given, is kept instead."""
    point = check_inside(lat, lon)
    code = _commune_index().nearest(point.lat, point.lon)
    if _area_kind(session, code) is None:
        # The areas table is not seeded: an input problem for the caller, never a 500.
        raise ValidationFailed("Choose the commune or ward.", field="area_code")
    return code


def _area_kind(session: Session, code: str) -> str | None:
    ref = refdata.get(session)
    if ref is not None and (kind := ref.area_kinds.get(code)) is not None:
        return kind
    area = session.get(Area, code)  # not cached: an unknown code, or one added seconds ago
    return None if area is None else area.kind


def check_area(session: Session, area_code: str) -> Area:
    """A commune or ward of the province, by code."""
    area = session.get(Area, area_code)
    if area is None or area.kind == "province":
        raise ValidationFailed("Choose the commune or ward.", field="area_code")
    return area


def check_area_code(session: Session, area_code: str) -> str:
    """``check_area`` for callers that need only the code (reads the cached communes)."""
    kind = _area_kind(session, area_code)
    if kind is None or kind == "province":
        raise ValidationFailed("Choose the commune or ward.", field="area_code")
    return area_code
