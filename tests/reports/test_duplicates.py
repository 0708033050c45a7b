"""Nearby open reports suggested before a citizen files a duplicate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit.geo import METRES_PER_DEGREE, haversine_m
from ioc.reports import service as reports
from ioc.reports.duplicates import nearby_open
from tests.reports.conftest import communes, make_category, make_report, person


def north(lat: float, metres: float) -> float:
    return lat + metres / METRES_PER_DEGREE


def test_same_category_within_250_m_is_suggested_and_nothing_else(seeded: Session) -> None:
    category, other_category = make_category(seeded), make_category(seeded)
    area = communes(seeded, 1)[0]
    lat, lon = area.lat, area.lon
    assert lat is not None and lon is not None
    operator = person(seeded, "operator")
    near = make_report(seeded, category, lat=north(lat, 100), lon=lon)
    make_report(seeded, category, lat=north(lat, 400), lon=lon)
    make_report(seeded, other_category, lat=north(lat, 100), lon=lon)
    closed = make_report(seeded, category, lat=north(lat, 90), lon=lon)
    reports.close_unfixed(seeded, operator, closed, reason="Not ours")
    make_report(seeded, category, lat=north(lat, 80), lon=lon, now=utcnow() - timedelta(days=40))
    hidden = make_report(seeded, category, lat=north(lat, 70), lon=lon)
    reports.hide(seeded, operator, hidden, reason="Abusive text")

    found = nearby_open(seeded, category_id=category.id, lat=lat, lon=lon)
    assert [f.code for f in found] == [near.code]
    assert abs(found[0].distance_m - 100) < 1
    assert found[0].status == "submitted"
    assert found[0].excerpt == "Ổ gà lớn giữa đường"
    assert not hasattr(found[0], "reporter_phone")


def test_accent_insensitive_text_similarity_raises_the_rank(seeded: Session) -> None:
    category = make_category(seeded)
    area = communes(seeded, 1)[0]
    lat, lon = area.lat, area.lon
    assert lat is not None and lon is not None
    nearer = make_report(
        seeded, category, lat=north(lat, 40), lon=lon, description="Cây đổ chắn lối đi"
    )
    alike = make_report(
        seeded,
        category,
        lat=north(lat, 150),
        lon=lon,
        description="Ống nước vỡ, nước tràn ra đường",
    )

    by_place = nearby_open(seeded, category_id=category.id, lat=lat, lon=lon)
    assert [f.code for f in by_place] == [nearer.code, alike.code]

    # Typed on a phone without diacritics, it still matches the report written with them.
    by_words = nearby_open(
        seeded, category_id=category.id, lat=lat, lon=lon, text="ong nuoc vo tran ra duong"
    )
    assert [f.code for f in by_words] == [alike.code, nearer.code]
    assert by_words[0].similarity > 0.5 > by_words[1].similarity


def test_the_radius_is_exact_not_the_cells(seeded: Session) -> None:
    category = make_category(seeded)
    area = communes(seeded, 1)[0]
    lat, lon = area.lat, area.lon
    assert lat is not None and lon is not None
    edge = make_report(seeded, category, lat=north(lat, 245), lon=lon)
    make_report(seeded, category, lat=north(lat, 262), lon=lon)
    found = nearby_open(seeded, category_id=category.id, lat=lat, lon=lon)
    assert [f.code for f in found] == [edge.code]
    assert found[0].distance_m == round(haversine_m((lat, lon), (edge.lat, edge.lon)), 1)  # type: ignore[arg-type]
