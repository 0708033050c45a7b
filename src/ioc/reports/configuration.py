"""Administrators' settings of the reports module: categories, their routing rules and their
deadline policies. Every change is audited and recorded on the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.errors import FieldError, NotFound, ValidationFailed
from ioc.kit import audit, events
from ioc.kit.permissions import Actor, require
from ioc.kit.text import clean_text, fold
from ioc.reports import routing
from ioc.reports.models import (
    CATEGORY_GROUPS,
    URGENCIES,
    Category,
    DeadlinePolicy,
    RoutingRule,
)

UNITS = ("hours", "days")
COMMUNE_TARGET = routing.COMMUNE_TARGET


@dataclass(frozen=True)
class PolicyInput:
    urgency: str
    accept_amount: float
    accept_unit: str
    resolve_amount: float
    resolve_unit: str


def list_categories(session: Session, *, include_inactive: bool = True) -> Sequence[Category]:
    stmt = select(Category).order_by(Category.sort_order, Category.code)
    if not include_inactive:
        stmt = stmt.where(Category.is_active.is_(True))
    return session.scalars(stmt).all()


def get_category(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound("No such category.", field="category")
    return category


def policies_of(session: Session, category: Category) -> dict[str, DeadlinePolicy]:
    rows = session.scalars(
        select(DeadlinePolicy).where(DeadlinePolicy.category_id == category.id)
    ).all()
    return {row.urgency: row for row in rows}


def rules_of(session: Session, category: Category) -> Sequence[RoutingRule]:
    return session.scalars(
        select(RoutingRule)
        .where(RoutingRule.category_id == category.id)
        .order_by(RoutingRule.area_code.is_not(None), RoutingRule.area_code)
    ).all()


def _valid_target(session: Session, target: str) -> bool:
    if target == COMMUNE_TARGET:
        return True
    return session.scalar(select(Agency.id).where(Agency.code == target)) is not None


def update_category(
    session: Session,
    actor: Actor,
    category: Category,
    *,
    name_vi: str,
    name_en: str,
    group: str,
    description_vi: str = "",
    description_en: str = "",
    keywords: str = "",
    default_urgency: str = "normal",
    allow_anonymous: bool = True,
    location_required: bool = True,
    is_active: bool = True,
    default_target: str = "",
    policies: Sequence[PolicyInput] = (),
) -> Category:
    """Change a category with its province-wide routing target and its deadlines in one step;
    nothing is saved unless every field is valid."""
    require(actor, "reports.configure")
    errors: list[FieldError] = []
    clean: dict[str, str] = {}
    for name, value, limit, required in (
        ("name_vi", name_vi, 200, True),
        ("name_en", name_en, 200, True),
        ("description_vi", description_vi, 1000, False),
        ("description_en", description_en, 1000, False),
        ("keywords", keywords, 500, False),
    ):
        try:
            clean[name] = clean_text(
                value, field=name, max_length=limit, allow_newlines=False, required=required
            )
        except ValidationFailed as error:
            errors.extend(error.errors)
    if group not in CATEGORY_GROUPS:
        errors.append(FieldError("group", "Choose a group."))
    if default_urgency not in URGENCIES:
        errors.append(FieldError("default_urgency", "Choose an urgency."))
    if default_target and not _valid_target(session, default_target):
        errors.append(FieldError("default_target", "No such agency."))
    for policy in policies:
        prefix = f"policy_{policy.urgency}"
        if policy.urgency not in URGENCIES:
            errors.append(FieldError(prefix, "Choose an urgency."))
        for amount, unit, part in (
            (policy.accept_amount, policy.accept_unit, "accept"),
            (policy.resolve_amount, policy.resolve_unit, "resolve"),
        ):
            if not 0 < amount <= 365 or unit not in UNITS:
                errors.append(
                    FieldError(f"{prefix}_{part}", "Enter a time between 0 and 365 hours or days.")
                )
    if errors:
        raise ValidationFailed("Please check the fields marked.", errors=errors)

    category.name_vi, category.name_en = clean["name_vi"], clean["name_en"]
    category.description_vi, category.description_en = (
        clean["description_vi"],
        clean["description_en"],
    )
    category.keywords = clean["keywords"]
    category.group = group
    category.default_urgency = default_urgency
    category.allow_anonymous = allow_anonymous
    category.location_required = location_required
    category.is_active = is_active
    category.search_key = fold(f"{category.name_vi} {category.name_en} {category.keywords}")
    if default_target:
        rule = session.scalar(
            select(RoutingRule).where(
                RoutingRule.category_id == category.id, RoutingRule.area_code.is_(None)
            )
        )
        if rule is None:
            session.add(RoutingRule(category_id=category.id, area_code=None, target=default_target))
        else:
            rule.target = default_target
    for policy in policies:
        row = session.scalar(
            select(DeadlinePolicy).where(
                DeadlinePolicy.category_id == category.id, DeadlinePolicy.urgency == policy.urgency
            )
        )
        if row is None:
            row = DeadlinePolicy(category_id=category.id, urgency=policy.urgency)
            session.add(row)
        row.accept_amount, row.accept_unit = policy.accept_amount, policy.accept_unit
        row.resolve_amount, row.resolve_unit = policy.resolve_amount, policy.resolve_unit
    session.flush()
    audit.log(
        session,
        "reports.category_changed",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="category",
        subject_id=category.code,
        detail={"target": default_target, "active": is_active},
    )
    events.record(
        session,
        "reports.category_changed",
        subject_type="category",
        subject_id=category.code,
        actor_id=actor.user_id,
        title=category.name_en,
        visibility="internal",
    )
    return category


def _check_area(session: Session, area_code: str) -> FieldError | None:
    area = session.get(Area, area_code) if area_code else None
    if area is None or area.kind == "province":
        # The province-wide rule is the category's own target, edited with the category.
        return FieldError("area_code", "Choose a commune or ward from the list.")
    return None


def set_area_rule(
    session: Session, actor: Actor, category: Category, *, area_code: str, target: str
) -> RoutingRule:
    """Give a commune its own rule for a category, replacing the one it had; it beats the
    province-wide rule. Both fields are checked before anything is written."""
    require(actor, "reports.configure")
    errors = [e for e in (_check_area(session, area_code),) if e is not None]
    if not target or not _valid_target(session, target):
        errors.append(FieldError("target", "Choose the agency that receives these reports."))
    if errors:
        raise ValidationFailed("Please check the fields marked.", errors=errors)
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.category_id == category.id, RoutingRule.area_code == area_code
        )
    )
    if rule is None:
        rule = RoutingRule(category_id=category.id, area_code=area_code, target=target)
        session.add(rule)
    else:
        rule.target = target
    session.flush()
    _routing_changed(session, actor, category, area_code=area_code, target=target)
    return rule


def remove_area_rule(session: Session, actor: Actor, category: Category, *, area_code: str) -> bool:
    """Remove a commune's own rule: its reports follow the province-wide rule again. False
    (and nothing recorded) if it had none."""
    require(actor, "reports.configure")
    if (error := _check_area(session, area_code)) is not None:
        raise ValidationFailed("Please check the fields marked.", errors=[error])
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.category_id == category.id, RoutingRule.area_code == area_code
        )
    )
    if rule is None:
        return False
    session.delete(rule)
    session.flush()
    _routing_changed(session, actor, category, area_code=area_code, target="")
    return True


def _routing_changed(
    session: Session, actor: Actor, category: Category, *, area_code: str, target: str
) -> None:
    audit.log(
        session,
        "reports.routing_changed",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="category",
        subject_id=category.code,
        detail={"area": area_code, "target": target},
    )
    # On the timeline as a change of the category (the event type the module declares); the
    # payload says which commune's rule changed.
    events.record(
        session,
        "reports.category_changed",
        subject_type="category",
        subject_id=category.code,
        actor_id=actor.user_id,
        title=category.name_en,
        area_code=area_code,
        visibility="internal",
        payload={"area": area_code, "target": target},
    )


@dataclass(frozen=True)
class AreaRule:
    area_code: str
    area_name: str
    target: str


def area_rules(session: Session, category: Category) -> list[AreaRule]:
    """The communes' own rules of a category, by commune name."""
    rows = session.execute(
        select(RoutingRule.area_code, Area.name, RoutingRule.target)
        .join(Area, Area.code == RoutingRule.area_code)
        .where(RoutingRule.category_id == category.id)
        .order_by(Area.name, Area.code)
    ).all()
    return [AreaRule(code or "", name, target) for code, name, target in rows]


@dataclass(frozen=True)
class EffectiveRoute:
    area_code: str
    area_name: str
    # "area": the commune's own rule; "province": the province-wide one; "none": no rule.
    rule: str
    target: str | None
    # None: the operators' triage queue (no rule, or its agency is missing or inactive).
    agency: Agency | None


def effective_route(session: Session, category: Category, area_code: str) -> EffectiveRoute:
    """Where a report of ``category`` filed in a commune goes now, and by which rule: the
    answer of routing.route, which intake uses, with the rule that gave it."""
    area = session.get(Area, area_code) if area_code else None
    if area is None or area.kind == "province":
        raise ValidationFailed("Choose a commune or ward from the list.", field="route_area")
    targets = {r.area_code: r.target for r in rules_of(session, category)}
    target = targets.get(area.code) or targets.get(None)
    rule = "area" if area.code in targets else "province" if None in targets else "none"
    routed = routing.route(session, category, area.code)
    agency = None
    if routed is not None:
        agency = session.scalar(select(Agency).where(Agency.code == routed.code))
    return EffectiveRoute(area.code, area.name, rule, target, agency)
