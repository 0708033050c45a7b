"""Builders for alert tests: the rules and procedures as seeded, categories and reports placed
in chosen H3 cells at chosen times, and people with roles."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime

import h3
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ioc.alerts.seed import seed_alerts
from ioc.areas.models import Agency
from ioc.kit import permissions
from ioc.kit.permissions import Actor, Grant
from ioc.reports.models import Category, Report

_numbers = itertools.count(1)
# Central Thái Nguyên and a point a few kilometres away: two different resolution-9 cells.
HERE = (21.5942, 105.8482)
THERE = (21.6500, 105.8000)


@pytest.fixture(autouse=True)
def _no_denial_hooks() -> Iterator[None]:
    """An app built by an earlier test leaves its audit hook installed, bound to a database
    that is gone; service-level denials here need no audit of their own."""
    saved = list(permissions._denial_hooks)
    permissions._denial_hooks.clear()
    yield
    permissions._denial_hooks[:] = saved


@pytest.fixture()
def alerts_db(seeded: Session) -> Session:
    """The seeded province with the alert rules' defaults and the shipped procedures."""
    seed_alerts(seeded)
    seeded.commit()
    return seeded


def make_category(session: Session) -> Category:
    n = next(_numbers)
    category = Category(
        code=f"test.alerts{n}",
        group="roads",
        name_vi=f"Loại thử {n}",
        name_en=f"Test category {n}",
        search_key="",
    )
    session.add(category)
    session.flush()
    return category


def cell_of(point: tuple[float, float]) -> str:
    return str(h3.latlng_to_cell(point[0], point[1], 9))


def add_reports(
    session: Session,
    category: Category,
    times: list[datetime],
    point: tuple[float, float] = HERE,
) -> None:
    """Reports filed at ``times`` in the cell of ``point`` (bulk, for long histories)."""
    cell = cell_of(point)
    rows = []
    for at in times:
        n = next(_numbers)
        rows.append(
            {
                "code": f"PA-T{n:09d}",
                "category_id": category.id,
                "urgency": "normal",
                "description": "Phản ánh thử",
                "attributes": {},
                "lat": point[0],
                "lon": point[1],
                "h3_cell": cell,
                "status": "submitted",
                "channel": "app",
                "submitted_at": at,
                "updated_at": at,
                "search_key": "",
            }
        )
    for start in range(0, len(rows), 1000):
        session.execute(insert(Report), rows[start : start + 1000])
    session.flush()


def agency_codes(session: Session, n: int = 2) -> list[str]:
    return list(
        session.scalars(
            select(Agency.code).where(Agency.is_active.is_(True)).order_by(Agency.id).limit(n)
        )
    )


def actor(role: str, agency: str | None = None, user_id: int | None = None) -> Actor:
    scope = "agency" if agency else "province"
    return Actor(
        user_id=user_id,
        display_name=f"Test {role}",
        grants=(Grant(role, scope, agency),),
        kind="user",
    )
