"""Small builders for report tests: categories, routing rules, people and reports.

Categories are made here, not taken from the shipped catalogue, so that these tests do not
depend on its contents."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.kit import auth, permissions
from ioc.kit.permissions import Actor
from ioc.reports import service as reports
from ioc.reports.models import Category, DeadlinePolicy, Report, RoutingRule
from ioc.reports.schemas import ReportInput
from tests.conftest import make_user

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_denial_hooks() -> Iterator[None]:
    """An app built by an earlier test leaves its audit hook installed, bound to a database
    that is gone; denials here need no audit of their own."""
    saved = list(permissions._denial_hooks)
    permissions._denial_hooks.clear()
    yield
    permissions._denial_hooks[:] = saved


@pytest.fixture()
def defaults_only(seeded: Session) -> Session:
    """The seeded province without its deadline policy rows, so that the built-in defaults of
    DOMAIN.md apply whatever the shipped catalogue says."""
    seeded.execute(delete(DeadlinePolicy))
    seeded.flush()
    return seeded


def make_category(
    session: Session,
    code: str | None = None,
    *,
    allow_anonymous: bool = True,
    default_urgency: str = "normal",
    attributes: list[dict[str, Any]] | None = None,
    is_active: bool = True,
) -> Category:
    n = next(_numbers)
    category = Category(
        code=code or f"test.cat{n}",
        group="roads",
        name_vi=f"Loại thử {n}",
        name_en=f"Test category {n}",
        allow_anonymous=allow_anonymous,
        default_urgency=default_urgency,
        attributes=attributes or [],
        is_active=is_active,
    )
    session.add(category)
    session.flush()
    return category


def add_rule(
    session: Session, category: Category, target: str, area_code: str | None = None
) -> RoutingRule:
    rule = RoutingRule(category_id=category.id, area_code=area_code, target=target)
    session.add(rule)
    session.flush()
    return rule


def communes(session: Session, n: int = 2) -> list[Area]:
    return list(
        session.scalars(
            select(Area).where(Area.kind != "province").order_by(Area.code).limit(n)
        ).all()
    )


def agency(session: Session, code: str) -> Agency:
    return session.scalars(select(Agency).where(Agency.code == code)).one()


def person(session: Session, role: str, agency_code: str | None = None) -> Actor:
    user = make_user(session, role, agency=agency_code)
    return auth.actor_for(session, user)  # type: ignore[arg-type]


def make_report(
    session: Session,
    category: Category,
    *,
    actor: Actor = permissions.ANONYMOUS,
    area: Area | None = None,
    lat: float | None = None,
    lon: float | None = None,
    description: str = "Ổ gà lớn giữa đường",
    now: datetime | None = None,
    **fields: Any,
) -> Report:
    """A report filed through the service, at a commune's centre unless told otherwise."""
    area = area or communes(session, 1)[0]
    values: dict[str, Any] = {
        "category_code": category.code,
        "description": description,
        "lat": area.lat if lat is None else lat,
        "lon": area.lon if lon is None else lon,
        "area_code": area.code,
        "reporter_phone": "" if actor.is_authenticated else "0912345678",
        **fields,
    }
    channel = values.pop("channel", "app")
    return reports.submit(session, actor, ReportInput(**values), channel=channel, now=now)
