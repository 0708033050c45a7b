"""The starting catalogue of categories and its seeding."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.kit.text import fold
from ioc.reports.categories_data import CATEGORIES, COMMUNE, DEFAULT_DEADLINES
from ioc.reports.deadlines import policy_for
from ioc.reports.models import (
    CATEGORY_GROUPS,
    URGENCIES,
    Category,
    DeadlinePolicy,
    RoutingRule,
)
from ioc.reports.seed import seed_categories, urban_works_areas

# Safe in an Open311 URL path and in XML without escaping.
OPEN311_CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def test_catalogue_has_enough_categories_covering_every_group() -> None:
    assert len(CATEGORIES) >= 18
    assert {spec.group for spec in CATEGORIES} == set(CATEGORY_GROUPS)


def test_codes_are_unique_and_open311_safe() -> None:
    codes = [spec.code for spec in CATEGORIES]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert OPEN311_CODE.match(code), code
        assert len(code) <= 60


def test_names_are_nfc_vietnamese_with_diacritics() -> None:
    for spec in CATEGORIES:
        for text in (spec.name_vi, spec.description_vi, spec.keywords):
            assert unicodedata.normalize("NFC", text) == text, spec.code
        # Written with diacritics, not as typed on a keyboard without them.
        assert fold(spec.name_vi) != spec.name_vi.lower(), spec.name_vi
        assert spec.name_en.isascii() and spec.name_en, spec.code
        assert spec.description_vi and spec.description_en and spec.keywords


def test_urgencies_deadlines_and_attributes_are_well_formed() -> None:
    assert {d.urgency for d in DEFAULT_DEADLINES} == set(URGENCIES)
    for spec in CATEGORIES:
        assert spec.default_urgency in URGENCIES
        for deadline in spec.deadlines:
            assert deadline.urgency in URGENCIES
            assert deadline.accept_unit in ("hours", "days")
            assert deadline.resolve_unit in ("hours", "days")
            assert deadline.accept_amount > 0 and deadline.resolve_amount > 0
        for attribute in spec.attributes:
            assert attribute["datatype"] in (
                "string",
                "number",
                "datetime",
                "text",
                "singlevaluelist",
                "multivaluelist",
            )
            if attribute["datatype"].endswith("valuelist"):
                assert attribute["values"], (spec.code, attribute["code"])


def test_land_disputes_need_a_named_reporter_and_power_danger_asks_about_injuries() -> None:
    specs = {spec.code: spec for spec in CATEGORIES}
    assert specs["land.dispute"].allow_anonymous is False
    hurt = next(a for a in specs["power.danger"].attributes if a["code"] == "anyone_hurt")
    assert hurt["required"] is True
    assert specs["power.danger"].default_urgency == "urgent"


def test_keywords_find_categories_without_diacritics() -> None:
    keys = {spec.code: fold(f"{spec.name_vi} {spec.keywords}") for spec in CATEGORIES}
    assert "o ga" in keys["road.pothole"]
    assert "mat dien" in keys["power.outage"]
    assert "rac" in keys["waste.uncollected"]


def _without_catalogue(session: Session) -> Session:
    # The reports module's own seed hook may already have loaded it with the `seeded` fixture.
    for model in (RoutingRule, DeadlinePolicy, Category):
        session.execute(delete(model))
    session.flush()
    return session


def test_seed_creates_categories_with_routing_to_existing_agencies(seeded: Session) -> None:
    created = seed_categories(_without_catalogue(seeded))
    assert created == len(CATEGORIES)
    categories = seeded.scalars(select(Category)).all()
    assert len(categories) >= 15
    assert {c.group for c in categories} == set(CATEGORY_GROUPS)
    agencies = set(seeded.scalars(select(Agency.code)))
    areas = set(seeded.scalars(select(Area.code)))
    rules = seeded.scalars(select(RoutingRule)).all()
    assert rules
    for rule in rules:
        assert rule.target == COMMUNE or rule.target in agencies, rule.target
        assert rule.area_code is None or rule.area_code in areas
    # A commune rule must reach a People's Committee for every commune.
    communes = seeded.scalars(select(Area.code).where(Area.kind != "province")).all()
    assert all(f"UBND-{code}" in agencies for code in communes)
    # Every category but the triage ones has a province-wide rule ("other matter without a
    # place" is routed only by the commune a citizen names).
    province_wide = {r.category_id for r in rules if r.area_code is None}
    unrouted = {c.code for c in categories if c.id not in province_wide}
    assert unrouted == {"other.general", "feedback.other"}
    feedback = {c.id for c in categories if c.group == "feedback"}
    for category_id in feedback:
        commune_rules = [r for r in rules if r.category_id == category_id and r.area_code]
        assert {r.area_code for r in commune_rules} == set(communes)
        assert {r.target for r in commune_rules} == {COMMUNE}
    by_code = {c.code: c for c in categories}
    assert by_code["road.pothole"].search_key.startswith("o ga")
    assert by_code["road.pothole"].attributes[0]["code"] == "size"
    # The wards of the former city have their waste collected by the urban works company.
    wards = urban_works_areas()
    assert len(wards) == 6
    ward_rules = {
        r.area_code: r.target
        for r in rules
        if r.category_id == by_code["waste.uncollected"].id and r.area_code
    }
    assert ward_rules == dict.fromkeys(wards, "MTDT")


def test_seed_writes_default_and_category_deadlines(seeded: Session) -> None:
    seed_categories(_without_catalogue(seeded))
    defaults = seeded.scalars(
        select(DeadlinePolicy).where(DeadlinePolicy.category_id.is_(None))
    ).all()
    # The rows hold the same figures deadlines.py falls back on without them.
    assert {
        (p.urgency, p.accept_amount, p.accept_unit, p.resolve_amount, p.resolve_unit)
        for p in defaults
    } == {
        ("urgent", 1, "hours", 4, "hours"),
        ("normal", 8, "hours", 3, "days"),
        ("complex", 8, "hours", 10, "days"),
    }
    danger = seeded.scalar(select(Category).where(Category.code == "power.danger"))
    assert danger is not None
    policy = policy_for(seeded, category_id=danger.id, urgency="urgent")
    assert (policy.accept.value, policy.accept.unit) == (1, "hours")
    assert (policy.resolve.value, policy.resolve.unit) == (4, "hours")
    # A category without its own row for an urgency falls back on the province-wide row.
    normal = policy_for(seeded, category_id=danger.id, urgency="normal")
    assert (normal.resolve.value, normal.resolve.unit) == (3, "days")


def test_seed_is_idempotent_and_keeps_administrators_edits(seeded: Session) -> None:
    seed_categories(seeded)
    counts = [
        seeded.scalar(select(func.count()).select_from(model))
        for model in (Category, DeadlinePolicy, RoutingRule)
    ]
    pothole = seeded.scalar(select(Category).where(Category.code == "road.pothole"))
    assert pothole is not None
    pothole.name_vi = "Ổ gà trên đường"
    seeded.flush()
    assert seed_categories(seeded) == 0
    assert counts == [
        seeded.scalar(select(func.count()).select_from(model))
        for model in (Category, DeadlinePolicy, RoutingRule)
    ]
    assert pothole.name_vi == "Ổ gà trên đường"
    seed_categories(seeded, overwrite=True)
    assert pothole.name_vi == "Ổ gà, hư hỏng mặt đường"
