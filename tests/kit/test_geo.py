from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import h3
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import shape

import ioc
from ioc.errors import ValidationFailed
from ioc.kit.geo import (
    EARTH_RADIUS_M,
    NearestIndex,
    Point,
    ProvinceShape,
    cells_within,
    h3_cell,
    h3_centre,
    h3_heat_geojson,
    h3_polygon_geojson,
    haversine_m,
    parse_point,
)

# The kit knows no domain: the shipped outline and commune centres are read as plain data.
DATA_DIR = Path(ioc.__file__).parent / "areas" / "data"


def province_geometry() -> dict[str, Any]:
    collection = json.loads((DATA_DIR / "province.geojson").read_text(encoding="utf-8"))
    geometry: dict[str, Any] = collection["features"][0]["geometry"]
    return geometry


def commune_centres() -> list[tuple[str, float, float]]:
    data = json.loads((DATA_DIR / "communes.json").read_text(encoding="utf-8"))
    return [(c["code"], c["lat"], c["lon"]) for c in data["communes"]]


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """The point ``distance_m`` from (lat, lon) along ``bearing_deg`` on the sphere."""
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    delta = distance_m / EARTH_RADIUS_M
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    return math.degrees(phi2), math.degrees(lam2)


@pytest.fixture(scope="module")
def province() -> ProvinceShape:
    return ProvinceShape(province_geometry())


# --- the province test ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [("Thái Nguyên city centre", 21.59, 105.85), ("Bắc Kạn town", 22.15, 105.83)],
)
def test_places_in_the_province_are_inside(
    province: ProvinceShape, place: str, lat: float, lon: float
) -> None:
    assert province.contains(lat, lon), place


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [
        ("Hà Nội", 21.03, 105.85),
        ("Cao Bằng town", 22.67, 106.26),
        ("Lạng Sơn town", 21.85, 106.76),
        ("Tuyên Quang town", 21.82, 105.21),
    ],
)
def test_places_in_other_provinces_are_outside(
    province: ProvinceShape, place: str, lat: float, lon: float
) -> None:
    assert not province.contains(lat, lon), place


def square_shape(tolerance_m: float = 500.0) -> ProvinceShape:
    return ProvinceShape(
        {
            "type": "Polygon",
            "coordinates": [
                [[105.0, 21.0], [106.0, 21.0], [106.0, 22.0], [105.0, 22.0], [105.0, 21.0]]
            ],
        },
        tolerance_m=tolerance_m,
    )


@pytest.mark.parametrize("bearing", [0, 90, 180, 270])
def test_a_point_just_outside_the_outline_is_accepted_within_the_tolerance(bearing: int) -> None:
    edge = {0: (22.0, 105.5), 90: (21.5, 106.0), 180: (21.0, 105.5), 270: (21.5, 105.0)}[bearing]
    near = destination(*edge, bearing, 400)
    far = destination(*edge, bearing, 700)
    shape_ = square_shape()
    assert shape_.contains(*near)
    assert not shape_.contains(*far)
    assert not square_shape(tolerance_m=0).contains(*near)


def test_the_tolerance_is_measured_on_the_ground_not_in_degrees() -> None:
    # 500 m east of the edge is 0.0048° of longitude at 21.5°N but only 0.0045° of latitude
    # north: a buffer in degrees would accept one and not the other.
    shape_ = square_shape()
    assert shape_.contains(*destination(21.5, 106.0, 90, 480))
    assert not shape_.contains(*destination(21.5, 106.0, 90, 520))


def test_the_remembered_squares_answer_as_the_outline_does(province: ProvinceShape) -> None:
    """contains() answers most points from squares known to lie wholly inside or outside; its
    answers must be those of the outline itself, near the edge too (points on a fine lattice
    over the province and around it, with a jitter that puts some on grid lines)."""
    area = province._test_area
    west, south, east, north = area.bounds
    rng = random.Random(7)
    points = [
        (rng.uniform(south - 0.05, north + 0.05), rng.uniform(west - 0.05, east + 0.05))
        for _ in range(20_000)
    ]
    points += [(round(lat, 2), round(lon, 2)) for lat, lon in points[:2_000]]  # on grid lines
    fast = [province.contains(lat, lon) for lat, lon in points]
    exact = [bool(shapely.intersects_xy(area, lon, lat)) for lat, lon in points]
    assert fast == exact
    sides = list(province._squares.values())
    # Most squares are wholly on one side: only those the edge crosses go to GEOS.
    assert sides.count(None) < 0.3 * len(sides)
    assert True in sides and False in sides


def test_points_away_from_the_province_add_no_squares(province: ProvinceShape) -> None:
    """What is remembered is bounded by the province's grid, whatever points clients send."""
    before = dict(province._squares)
    rng = random.Random(3)
    south = province._test_area.bounds[1]
    for _ in range(1_000):
        assert not province.contains(rng.uniform(-90, south - 0.001), rng.uniform(-180, 180))
    assert not province.contains(48.85, 2.35)  # Paris
    assert province._squares == before


def test_bounds_are_those_of_the_outline_in_leaflet_order() -> None:
    bounds = square_shape().bounds
    assert (bounds.south, bounds.west, bounds.north, bounds.east) == (21.0, 105.0, 22.0, 106.0)


def test_require_names_the_field_of_a_point_outside() -> None:
    with pytest.raises(ValidationFailed) as caught:
        square_shape().require(Point(10.0, 106.0), field="position")
    assert caught.value.errors[0].field == "position"


def test_a_feature_collection_with_one_feature_is_accepted(province: ProvinceShape) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": province_geometry()}],
    }
    assert ProvinceShape(collection).contains(21.59, 105.85)


def test_an_outline_that_is_no_area_is_refused() -> None:
    with pytest.raises(ValueError):
        ProvinceShape({"type": "LineString", "coordinates": [[105, 21], [106, 22]]})


# --- points --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        (91, 105, "lat"),
        (-91, 105, "lat"),
        (21, 181, "lon"),
        (math.nan, 105, "lat"),
        (21, math.inf, "lon"),
    ],
)
def test_an_impossible_position_is_refused_naming_the_field(
    lat: float, lon: float, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Point(lat, lon)
    assert caught.value.errors[0].field == field


def test_form_values_parse_with_a_decimal_point_or_comma() -> None:
    assert parse_point(" 21,59 ", "105.85") == Point(21.59, 105.85)
    assert parse_point(21, 105) == Point(21.0, 105.0)


@pytest.mark.parametrize("value", ["", "abc", None, True, "nan"])
def test_form_values_that_are_no_number_are_refused(value: object) -> None:
    with pytest.raises(ValidationFailed):
        parse_point(value, "105.85")


def test_haversine_matches_a_known_distance() -> None:
    # 0.56° of latitude along a meridian.
    expected = 0.56 * math.pi / 180 * EARTH_RADIUS_M
    assert haversine_m(Point(21.03, 105.85), (21.59, 105.85)) == pytest.approx(expected, rel=1e-9)
    assert haversine_m((21.59, 105.85), (21.59, 105.85)) == 0


# --- H3 ------------------------------------------------------------------------------------


def test_a_cell_round_trips_through_its_centre() -> None:
    cell = h3_cell(21.59, 105.85)
    assert h3.get_resolution(cell) == 9
    centre = h3_centre(cell)
    assert h3_cell(centre.lat, centre.lon) == cell
    assert haversine_m(centre, (21.59, 105.85)) < 250


def test_the_hexagon_of_a_cell_is_a_closed_ring_around_its_centre() -> None:
    cell = h3_cell(22.15, 105.83, res=7)
    geometry = h3_polygon_geojson(cell)
    ring = geometry["coordinates"][0]
    assert geometry["type"] == "Polygon"
    assert len(ring) == 7 and ring[0] == ring[-1]
    centre = h3_centre(cell)
    assert shape(geometry).contains(ShapelyPoint(centre.lon, centre.lat))


def test_a_heat_layer_has_one_hexagon_per_cell_with_its_count() -> None:
    cells = {h3_cell(21.59, 105.85, 7): 3, h3_cell(22.15, 105.83, 7): 1}
    layer = h3_heat_geojson(cells)
    assert {f["properties"]["cell"]: f["properties"]["count"] for f in layer["features"]} == cells


def test_a_bad_cell_id_is_refused() -> None:
    with pytest.raises(ValueError):
        h3_polygon_geojson("not-a-cell")


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(21.3, 22.7),
    lon=st.floats(105.4, 106.3),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 1),
)
def test_cells_within_250_m_cover_every_point_that_near(
    lat: float, lon: float, bearing: float, fraction: float
) -> None:
    cells = cells_within(lat, lon, 250)
    assert h3_cell(*destination(lat, lon, bearing, 250 * fraction)) in cells


@pytest.mark.parametrize("radius", [0, 100, 250, 1000])
def test_cells_within_cover_a_ring_at_the_radius(radius: int) -> None:
    # The corners of the start cell are the worst case: the point is as far from the cell's
    # centre as it can be.
    for lat, lon in h3.cell_to_boundary(h3_cell(21.59, 105.85)):
        cells = set(cells_within(lat, lon, radius))
        for bearing in range(0, 360, 5):
            assert h3_cell(*destination(lat, lon, bearing, radius)) in cells


def test_cells_within_keep_no_cell_far_from_the_circle() -> None:
    cells = cells_within(21.59, 105.85, 250)
    assert 3 <= len(cells) <= 19
    for cell in cells:
        assert haversine_m(h3_centre(cell), (21.59, 105.85)) < 250 + 2 * 220


# --- nearest -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def communes_index() -> NearestIndex[str]:
    return NearestIndex(commune_centres())


def test_the_nearest_commune_to_a_commune_centre_is_that_commune(
    communes_index: NearestIndex[str],
) -> None:
    for code, lat, lon in commune_centres():
        assert communes_index.nearest(lat, lon) == code


def test_the_nearest_point_is_the_one_at_the_smallest_great_circle_distance(
    communes_index: NearestIndex[str],
) -> None:
    centres = commune_centres()
    for lat, lon in [(21.59, 105.85), (22.15, 105.83), (21.03, 105.85), (22.67, 106.26)]:
        key, distance = communes_index.nearest_with_distance(lat, lon)
        code, *best = min(centres, key=lambda c: haversine_m((lat, lon), (c[1], c[2])))
        assert key == code
        assert distance == pytest.approx(haversine_m((lat, lon), (best[0], best[1])))


def test_an_empty_index_is_refused() -> None:
    with pytest.raises(ValueError):
        NearestIndex([])


def _linear_nearest(points: list[tuple[str, float, float]], lat: float, lon: float) -> str:
    """The scan NearestIndex did before its grid of candidates (same ranking, same ties)."""
    phi, lam = math.radians(lat), math.radians(lon)
    squeeze = math.cos(phi)
    best, best_d2 = points[0][0], math.inf
    for key, p_lat, p_lon in points:
        p_phi, p_lam = math.radians(p_lat), math.radians(p_lon)
        dlam = (p_lam - lam + math.pi) % (2 * math.pi) - math.pi
        d2 = (p_phi - phi) ** 2 + (dlam * squeeze) ** 2
        if d2 < best_d2:
            best, best_d2 = key, d2
    return best


@given(
    st.lists(
        st.tuples(st.floats(20.5, 22.9), st.floats(105.2, 106.5)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.tuples(st.floats(20.0, 23.5), st.floats(104.5, 107.0)), min_size=1, max_size=30),
)
@settings(max_examples=200, deadline=None)
def test_the_grid_of_candidates_answers_as_the_linear_scan(
    centres: list[tuple[float, float]], queries: list[tuple[float, float]]
) -> None:
    points = [(f"P{i}", lat, lon) for i, (lat, lon) in enumerate(centres)]
    index = NearestIndex(points)
    for lat, lon in queries:
        assert index.nearest(lat, lon) == _linear_nearest(points, lat, lon)


def test_the_grid_of_candidates_keeps_every_commune_answer() -> None:
    centres = commune_centres()
    index = NearestIndex(centres)
    rng = random.Random(11)
    for _ in range(20_000):
        lat, lon = rng.uniform(21.3, 22.1), rng.uniform(105.4, 106.3)
        assert index.nearest(lat, lon) == _linear_nearest(centres, lat, lon)
    # Grid lines and cell corners, where rounding would show.
    for i in range(2130, 2210, 3):
        for j in range(10540, 10630, 7):
            lat, lon = i / 100, j / 100
            assert index.nearest(lat, lon) == _linear_nearest(centres, lat, lon)
