"""Loading the starting catalogue (`categories_data`) into the database. Idempotent."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas import units
from ioc.areas.models import Agency, Area
from ioc.kit.text import fold, nfc
from ioc.reports.categories_data import (
    CATEGORIES,
    COMMUNE,
    DEFAULT_DEADLINES,
    CategorySpec,
    Deadline,
)
from ioc.reports.models import Category, DeadlinePolicy, RoutingRule

Progress = Callable[[str, int, int], None]

# The urban works company (MTDT) serves the wards of the former Thái Nguyên city (legacy
# district 164); Sông Công, Phổ Yên and the Bắc Kạn wards have their own arrangements, which
# the commune's People's Committee organises.
URBAN_WORKS_DISTRICT = "164"


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


def category_search_key(category: Category) -> str:
    # The same key `configuration.update_category` writes, so an edit and a seed agree.
    return fold(f"{category.name_vi} {category.name_en} {category.keywords}")


def urban_works_areas() -> list[str]:
    """Codes of the wards where `CategorySpec.urban_route` applies."""
    return [
        unit.code
        for unit in units.load_communes()
        if unit.kind == "phường"
        and unit.legacy
        and all(old.district_code == URBAN_WORKS_DISTRICT for old in unit.legacy)
    ]


def _apply(category: Category, spec: CategorySpec, order: int) -> None:
    category.group = spec.group
    category.name_vi = nfc(spec.name_vi)
    category.name_en = spec.name_en
    category.description_vi = nfc(spec.description_vi)
    category.description_en = spec.description_en
    category.keywords = nfc(spec.keywords)
    category.default_urgency = spec.default_urgency
    category.allow_anonymous = spec.allow_anonymous
    category.location_required = spec.location_required
    category.attributes = [dict(attribute) for attribute in spec.attributes]
    category.sort_order = order
    category.search_key = category_search_key(category)


def _set_policy(
    session: Session, category_id: int | None, deadline: Deadline, *, overwrite: bool
) -> None:
    # Looked up explicitly: the unique constraint does not stop two NULL category ids.
    row = session.scalar(
        select(DeadlinePolicy).where(
            DeadlinePolicy.category_id.is_(None)
            if category_id is None
            else DeadlinePolicy.category_id == category_id,
            DeadlinePolicy.urgency == deadline.urgency,
        )
    )
    if row is not None and not overwrite:
        return
    if row is None:
        row = DeadlinePolicy(category_id=category_id, urgency=deadline.urgency)
        session.add(row)
    row.accept_amount, row.accept_unit = deadline.accept_amount, deadline.accept_unit
    row.resolve_amount, row.resolve_unit = deadline.resolve_amount, deadline.resolve_unit


def _set_rule(
    session: Session, category_id: int, area_code: str | None, target: str, *, overwrite: bool
) -> None:
    row = session.scalar(
        select(RoutingRule).where(
            RoutingRule.category_id == category_id,
            RoutingRule.area_code.is_(None)
            if area_code is None
            else RoutingRule.area_code == area_code,
        )
    )
    if row is None:
        session.add(RoutingRule(category_id=category_id, area_code=area_code, target=target))
    elif overwrite:
        row.target = target


def seed_categories(
    session: Session, *, progress: Progress = _noop, overwrite: bool = False
) -> int:
    """Create the catalogue's categories with their deadlines and routing rules; returns how
    many categories were created.

    Upsert by code. Existing rows are what administrators made of them, so they are left alone
    unless `overwrite` is set (e.g. to take a corrected name from a new release); missing rows
    are always added. Routing rules naming an agency that does not exist are skipped, and ward
    rules need the areas, so run after the areas module's seed.
    """
    for deadline in DEFAULT_DEADLINES:
        _set_policy(session, None, deadline, overwrite=overwrite)
    agencies = set(session.scalars(select(Agency.code)))
    areas = set(session.scalars(select(Area.code)))
    wards = [code for code in urban_works_areas() if code in areas]
    communes = [unit.code for unit in units.load_communes() if unit.code in areas]
    existing = {c.code: c for c in session.scalars(select(Category))}
    created = 0
    for order, spec in enumerate(CATEGORIES, 1):
        category = existing.get(spec.code)
        if category is None:
            category = Category(code=spec.code, is_active=True)
            _apply(category, spec, order * 10)
            session.add(category)
            session.flush()
            created += 1
        elif overwrite:
            _apply(category, spec, order * 10)
        for deadline in spec.deadlines:
            _set_policy(session, category.id, deadline, overwrite=overwrite)
        if spec.route is not None and (spec.route == COMMUNE or spec.route in agencies):
            _set_rule(session, category.id, None, spec.route, overwrite=overwrite)
        if spec.urban_route is not None and spec.urban_route in agencies:
            for ward in wards:
                _set_rule(session, category.id, ward, spec.urban_route, overwrite=overwrite)
        if spec.commune_route is not None:
            for commune in communes:
                _set_rule(session, category.id, commune, spec.commune_route, overwrite=overwrite)
        progress("categories", order, len(CATEGORIES))
    session.flush()
    return created


def seed_reports(session: Session, *, progress: Progress = _noop) -> None:
    """The module's seed hook (`Module.seed`): the catalogue only; demo reports are separate
    (`demo.seed_demo_reports`) because a production install must not get them."""
    seed_categories(session, progress=progress)
