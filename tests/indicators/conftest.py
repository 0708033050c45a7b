"""Builders for indicator tests: the seeded province with its catalogue, people, indicators."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.indicators.models import Indicator
from ioc.kit import auth, permissions
from ioc.kit.permissions import Actor
from tests.conftest import make_user

PROVINCE = "19"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_denial_hooks() -> Iterator[None]:
    """An app built by an earlier test leaves its audit hook installed on a gone database."""
    saved = list(permissions._denial_hooks)
    permissions._denial_hooks.clear()
    yield
    permissions._denial_hooks[:] = saved


def person(session: Session, role: str, agency_code: str | None = None) -> Actor:
    user = make_user(session, role, agency=agency_code)
    return auth.actor_for(session, user)  # type: ignore[arg-type]


def communes(session: Session, n: int = 3) -> list[Area]:
    return list(
        session.scalars(
            select(Area).where(Area.parent_code.is_not(None)).order_by(Area.code).limit(n)
        )
    )


def make_indicator(session: Session, **fields: object) -> Indicator:
    n = next(_numbers)
    values: dict[str, object] = {
        "code": f"test.ind{n}",
        "kind": "indicator",
        "name_vi": f"Chỉ tiêu thử {n}",
        "name_en": f"Test indicator {n}",
        "unit": "%",
        "direction": "higher",
        "frequency": "monthly",
        "area_level": "commune",
        "source": "manual",
        "target": 90.0,
        "band_mode": "target",
        "rollup": "mean",
        "min_value": 0.0,
        "max_value": 100.0,
    }
    values.update(fields)
    indicator = Indicator(**values)
    session.add(indicator)
    session.flush()
    return indicator
