"""The demo values: 36 months for every commune and the province, marked demo, idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.indicators.demo import seed_demo_observations
from ioc.indicators.models import Indicator, Observation
from tests.indicators.conftest import PROVINCE

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)


def test_demo_values_cover_36_months_and_are_marked(seeded: Session) -> None:
    made = seed_demo_observations(seeded, now=NOW, computed=False)
    assert made > 25_000
    rows = seeded.execute(
        select(
            Indicator.code,
            Observation.area_code,
            Observation.period_start,
            Observation.is_demo,
            Observation.source,
            Observation.value,
            Indicator.min_value,
            Indicator.max_value,
        ).join(Indicator, Indicator.id == Observation.indicator_id)
    ).all()
    assert all(r.is_demo and r.source == "demo" for r in rows)
    water = [r for r in rows if r.code == "infra.water_supply"]
    periods = sorted({r.period_start for r in water})
    assert len(periods) == 36 and periods[-1].isoformat() == "2026-05-01"
    per_area = Counter(r.area_code for r in water)
    assert len(per_area) == 93 and set(per_area.values()) == {36} and PROVINCE in per_area
    growth = [r for r in rows if r.code == "econ.grdp_growth"]
    # The complete quarters starting within the 36 months: Q3 2023 … Q1 2026.
    assert {r.area_code for r in growth} == {PROVINCE} and len(growth) == 11
    for r in rows:
        assert r.min_value is None or r.value >= r.min_value
        assert r.max_value is None or r.value <= r.max_value
    assert seed_demo_observations(seeded, now=NOW, computed=False) == 0  # idempotent
    assert seeded.scalar(select(func.count()).select_from(Observation)) == len(rows)
