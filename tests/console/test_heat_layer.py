"""The console's report layers (reports/map_layers.py): the H3 heat map of open reports and the
open reports by age, counted on a handful of reports placed by hand."""

from __future__ import annotations

from datetime import timedelta

import h3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.reports import map_layers
from ioc.reports.models import Category, Report
from tests.conftest import make_user, sign_in

# Two places in Thái Nguyên city about 300 m apart (one resolution-7 cell) and one in Định Hóa.
CITY_A = (21.5942, 105.8480)
CITY_B = (21.5960, 105.8455)
DINH_HOA = (21.9050, 105.6420)


@pytest.fixture()
def reports(seeded: Session) -> dict[str, object]:
    now = utcnow()
    category = Category(code="test.heat", group="roads", name_vi="Ổ gà", name_en="Pothole")
    seeded.add(category)
    seeded.flush()
    sxd = seeded.scalar(select(Agency).where(Agency.code == "SXD"))
    other = seeded.scalar(select(Agency).where(Agency.code != "SXD").limit(1))
    assert sxd is not None and other is not None

    def add(
        n: int,
        where: tuple[float, float],
        status: str,
        days: float,
        agency: Agency,
        due_in_days: float = 5,
    ) -> None:
        lat, lon = where
        seeded.add(
            Report(
                code=f"PA-TEST-{n:05d}",
                category_id=category.id,
                description="Thử",
                lat=lat,
                lon=lon,
                h3_cell=h3.latlng_to_cell(lat, lon, 9),
                status=status,
                agency_id=agency.id,
                submitted_at=now - timedelta(days=days),
                accepted_at=now - timedelta(days=days),
                resolve_due_at=now + timedelta(days=due_in_days),
            )
        )

    add(1, CITY_A, "accepted", 1.5, sxd)
    add(2, CITY_B, "in_progress", 2, sxd)
    add(3, CITY_A, "submitted", 0.2, other)
    add(4, DINH_HOA, "accepted", 10, sxd, due_in_days=-1)  # overdue
    add(5, CITY_A, "resolved", 3, sxd)  # not open: not counted
    add(6, DINH_HOA, "accepted", 45, sxd)  # open, but older than the heat map's 30 days
    seeded.commit()
    return {"sxd": sxd.id, "other": other.id}


def test_heat_map_counts_open_reports_of_the_last_30_days_per_resolution_7_cell(
    seeded: Session, reports: dict[str, object]
) -> None:
    counts = map_layers.heat_counts(seeded, None, now=utcnow())
    city = h3.latlng_to_cell(*CITY_A, 7)
    assert h3.latlng_to_cell(*CITY_B, 7) == city
    assert dict(counts) == {city: 3, h3.latlng_to_cell(*DINH_HOA, 7): 1}
    # An agency's picture counts only its own reports.
    assert dict(map_layers.heat_counts(seeded, [reports["sxd"]], now=utcnow()))[city] == 2  # type: ignore[list-item]

    data = map_layers.heat_geojson(counts, "vi")
    assert data["max"] == 3
    by_cell = {f["properties"]["cell"]: f for f in data["features"]}
    assert by_cell[city]["properties"]["count"] == 3
    assert by_cell[city]["properties"]["title"] == "3 phản ánh đang mở"
    ring = by_cell[city]["geometry"]["coordinates"][0]
    assert by_cell[city]["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 7
    # The hottest cell gets the darkest colour, a cell with a third of it a lighter one.
    assert by_cell[city]["properties"]["style"]["fillColor"] == map_layers.HEAT_COLOURS[-1]
    lighter = by_cell[h3.latlng_to_cell(*DINH_HOA, 7)]["properties"]["style"]["fillColor"]
    assert map_layers.HEAT_COLOURS.index(lighter) < len(map_layers.HEAT_COLOURS) - 1


@pytest.mark.parametrize(
    ("count", "top", "index"), [(0, 10, 0), (1, 100, 0), (4, 100, 1), (25, 100, 2), (100, 100, 4)]
)
def test_heat_colour_classes(count: int, top: int, index: int) -> None:
    assert map_layers.heat_colour(count, top) == map_layers.HEAT_COLOURS[index]


def test_open_reports_layer_colours_by_age_and_rings_the_overdue(
    seeded: Session, reports: dict[str, object]
) -> None:
    data = map_layers.open_reports_geojson(seeded, None, now=utcnow(), locale="vi")
    props = {f["properties"]["href"].rsplit("/", 1)[1]: f["properties"] for f in data["features"]}
    assert set(props) == {
        "PA-TEST-00001",
        "PA-TEST-00002",
        "PA-TEST-00003",
        "PA-TEST-00004",
        "PA-TEST-00006",
    }
    assert props["PA-TEST-00003"]["style"]["fillColor"] == "#2c7fb8"  # under a day
    assert props["PA-TEST-00001"]["style"]["fillColor"] == "#41b6c4"  # 1–3 days
    assert props["PA-TEST-00004"]["overdue"] is True
    assert props["PA-TEST-00004"]["style"]["color"] == map_layers.OVERDUE_STROKE
    assert props["PA-TEST-00004"]["kind"] == "Quá hạn"
    assert props["PA-TEST-00001"]["overdue"] is False
    assert props["PA-TEST-00001"]["href"] == "/console/reports/PA-TEST-00001"


def test_layers_are_for_staff_and_scoped_to_the_officers_agency(
    client: TestClient, seeded: Session, reports: dict[str, object]
) -> None:
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    assert client.get(map_layers.HEAT_URL).status_code == 403
    client.cookies.clear()
    officer = make_user(seeded, "officer", agency="SXD")
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    response = client.get(map_layers.AGE_URL)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    assert "private" in response.headers["cache-control"]
    codes = {f["properties"]["href"].rsplit("/", 1)[1] for f in response.json()["features"]}
    assert codes == {"PA-TEST-00001", "PA-TEST-00002", "PA-TEST-00004", "PA-TEST-00006"}
    heat = client.get(map_layers.HEAT_URL).json()
    assert sum(f["properties"]["count"] for f in heat["features"]) == 3
