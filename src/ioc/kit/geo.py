"""Locations: validation, the province test, H3 cells and nearest-point lookup.

Plain Python plus ``h3`` and ``shapely``, so it works on any database: nearby search and heat
maps go through H3 cell ids stored as strings (resolution 9 by default, ~0.1 km² per cell), and
PostGIS is never required. Outlines and reference points are passed in; this module reads no
data of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import h3
import shapely
from shapely import affinity
from shapely.geometry import shape as _shape

from ioc.errors import ValidationFailed

__all__ = [
    "DEFAULT_RESOLUTION",
    "Bounds",
    "NearestIndex",
    "Point",
    "ProvinceShape",
    "cells_within",
    "h3_cell",
    "h3_centre",
    "h3_heat_geojson",
    "h3_polygon_geojson",
    "haversine_m",
    "parse_point",
]

# Mean Earth radius (IUGG), the one H3 uses too, so distances agree with its cell sizes.
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180
DEFAULT_RESOLUTION = 9

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS 84 position. Latitude first, as people write it; GeoJSON output is lon, lat."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (isinstance(self.lat, int | float) and math.isfinite(self.lat)):
            raise ValidationFailed("Latitude must be a number.", field="lat")
        if not (isinstance(self.lon, int | float) and math.isfinite(self.lon)):
            raise ValidationFailed("Longitude must be a number.", field="lon")
        if not -90 <= self.lat <= 90:
            raise ValidationFailed("Latitude must be between -90 and 90.", field="lat")
        if not -180 <= self.lon <= 180:
            raise ValidationFailed("Longitude must be between -180 and 180.", field="lon")


def parse_point(lat: object, lon: object) -> Point:
    """A ``Point`` from form or query values: numbers or text, a decimal comma accepted."""
    return Point(_coordinate(lat, "lat"), _coordinate(lon, "lon"))


def _coordinate(value: object, field: str) -> float:
    if isinstance(value, bool):  # bool is an int, and True is no latitude
        value = None
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            value = None
    if not isinstance(value, int | float) or not math.isfinite(value):
        name = "Latitude" if field == "lat" else "Longitude"
        raise ValidationFailed(f"{name} must be a number.", field=field)
    return float(value)


def _as_point(value: Point | tuple[float, float]) -> Point:
    return value if isinstance(value, Point) else Point(value[0], value[1])


def haversine_m(a: Point | tuple[float, float], b: Point | tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) positions."""
    p, q = _as_point(a), _as_point(b)
    lat1, lat2 = math.radians(p.lat), math.radians(q.lat)
    dlat = lat2 - lat1
    dlon = math.radians(q.lon - p.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class Bounds(NamedTuple):
    """In Leaflet's order: ``[[south, west], [north, east]]``."""

    south: float
    west: float
    north: float
    east: float


# The side of the province's edge is remembered per square of this size (~1.1 km by ~1 km).
GRID_DEG = 0.01


class ProvinceShape:
    """An area outline answering "is this position inside?", built from a GeoJSON geometry.

    The outlines we ship are accurate to only 1–3 km, so a strict test would turn away real
    reports filed near the border. ``tolerance_m`` (500 m by default) widens the outline by
    that much; it is a compromise: larger would accept places just across the border.
    """

    def __init__(self, geometry: Mapping[str, Any], *, tolerance_m: float = 500.0) -> None:
        outline = _shape(_geometry_of(geometry))
        if outline.is_empty or outline.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValueError("an area outline must be a non-empty Polygon or MultiPolygon")
        if tolerance_m < 0:
            raise ValueError("tolerance_m must not be negative")
        self.outline = shapely.make_valid(outline)
        self.tolerance_m = tolerance_m
        self._test_area = _widen(self.outline, tolerance_m)
        # Prepared geometries index their edges: a test is then microseconds, not a walk
        # along every vertex.
        shapely.prepare(self._test_area)
        # Squares of the grid wholly inside or wholly outside the test area, learnt as points
        # fall in them (see contains()). Bounded by the grid over the area's bounds.
        self._squares: dict[tuple[int, int], bool | None] = {}
        self._west, self._south, self._east, self._north = self._test_area.bounds

    def contains(self, lat: float, lon: float) -> bool:
        """True inside the outline or within the tolerance of it (the edge counts as inside).

        Answered from a grid of squares of ``GRID_DEG`` when the point's square lies wholly on
        one side of the edge (most do), and by GEOS only near the edge. Not for the time GEOS
        takes (microseconds) but because shapely releases the GIL around it: in the intake
        writer's thread, taking it back meant waiting for the event loop's thread to yield,
        up to the switch interval, for every report."""
        if not (self._south <= lat <= self._north and self._west <= lon <= self._east):
            return False
        key = (math.floor(lon / GRID_DEG), math.floor(lat / GRID_DEG))
        try:
            side = self._squares[key]
        except KeyError:
            side = self._squares[key] = self._side_of(key)
        if side is None:
            return bool(shapely.intersects_xy(self._test_area, lon, lat))
        return bool(side)

    def _side_of(self, key: tuple[int, int]) -> bool | None:
        """True when the square is wholly inside the test area, False when wholly outside,
        None when the edge crosses it (each point is then tested)."""
        x, y = key
        e = 1e-9  # a tenth of a millimetre: rounding in lon / GRID_DEG never lands outside
        square = shapely.box(
            x * GRID_DEG - e, y * GRID_DEG - e, (x + 1) * GRID_DEG + e, (y + 1) * GRID_DEG + e
        )
        if shapely.contains(self._test_area, square):
            return True
        if not shapely.intersects(self._test_area, square):
            return False
        return None

    def contains_point(self, point: Point) -> bool:
        return self.contains(point.lat, point.lon)

    def require(self, point: Point, *, field: str = "location") -> Point:
        """``point`` if inside, else a ``ValidationFailed`` naming ``field``."""
        if not self.contains(point.lat, point.lon):
            raise ValidationFailed("The location is outside the province.", field=field)
        return point

    @property
    def bounds(self) -> Bounds:
        """Bounds of the outline itself, without the tolerance."""
        west, south, east, north = (float(v) for v in self.outline.bounds)
        return Bounds(south, west, north, east)


def _geometry_of(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Accept a bare geometry, a Feature or a one-feature FeatureCollection."""
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ValueError("expected a FeatureCollection holding exactly one feature")
        data = features[0]
        kind = data.get("type")
    if kind == "Feature":
        geometry: Mapping[str, Any] = data["geometry"]
        return geometry
    return data


def _widen(outline: Any, metres: float) -> Any:
    """Buffer by ``metres`` on the ground, not in degrees.

    A degree of longitude is shorter than one of latitude (by cos(lat), ~7% at 21°N), so the
    outline is stretched to equal-distance axes around its own latitude, buffered, and put back.
    """
    if metres == 0:
        return outline
    lat0 = outline.centroid.y
    squeeze = math.cos(math.radians(lat0))
    flat = affinity.scale(outline, xfact=squeeze, yfact=1.0, origin=(0, 0))
    grown = flat.buffer(metres / METRES_PER_DEGREE)
    return affinity.scale(grown, xfact=1 / squeeze, yfact=1.0, origin=(0, 0))


# --- H3 cells ------------------------------------------------------------------------------


def _check_resolution(res: int) -> None:
    if not 0 <= res <= 15:
        raise ValueError(f"H3 resolution must be 0–15, not {res}")


def h3_cell(lat: float, lon: float, res: int = DEFAULT_RESOLUTION) -> str:
    """The H3 cell id (hex string) holding a position."""
    _check_resolution(res)
    point = Point(lat, lon)
    return str(h3.latlng_to_cell(point.lat, point.lon, res))


def h3_centre(cell: str) -> Point:
    lat, lon = _cell_latlng(cell)
    return Point(lat, lon)


def _cell_latlng(cell: str) -> tuple[float, float]:
    if not (isinstance(cell, str) and h3.is_valid_cell(cell)):
        raise ValueError(f"not an H3 cell id: {cell!r}")
    lat, lon = h3.cell_to_latlng(cell)
    return float(lat), float(lon)


def cells_within(
    lat: float, lon: float, radius_m: float, res: int = DEFAULT_RESOLUTION
) -> list[str]:
    """Cells that together cover every position within ``radius_m`` of (lat, lon).

    For "reports near here": select rows whose stored cell is in this list, then, if the exact
    radius matters, filter the few candidates by ``haversine_m``. The list holds cells that
    may touch the circle and no others, sorted, so equal queries give equal SQL.
    """
    if not (math.isfinite(radius_m) and radius_m >= 0):
        raise ValueError("radius_m must be a non-negative number")
    centre = h3_cell(lat, lon, res)
    # Cell edges vary by a few percent across the grid: size the ring count for the worst case.
    edges = [float(h3.edge_length(e, unit="m")) for e in h3.origin_to_directed_edges(centre)]
    longest, shortest = max(edges), min(edges)
    # k rings of cells, with edge e, hold every point within (1.5k + 0.5)·e of the centre cell's
    # centre: the ring's cells sit on a hexagon of inradius k·1.5·e, and the notches between
    # them lie e/2 further out. The query point may be up to one edge from that centre. The
    # 5% spare covers the grid's slight irregularity.
    edge = 0.95 * shortest
    k = max(0, math.ceil((radius_m + longest - 0.5 * edge) / (1.5 * edge)))
    here = Point(lat, lon)
    reach = radius_m + 1.1 * longest  # beyond this no part of a cell can touch the circle
    cells = [
        str(c) for c in h3.grid_disk(centre, k) if haversine_m(here, _cell_latlng(str(c))) <= reach
    ]
    return sorted(cells)


def h3_polygon_geojson(cell: str) -> dict[str, Any]:
    """The hexagon of a cell as a GeoJSON Polygon geometry (lon, lat; ring closed)."""
    _cell_latlng(cell)  # validates
    ring = [[float(lon), float(lat)] for lat, lon in h3.cell_to_boundary(cell)]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def h3_heat_geojson(counts: Mapping[str, int | float]) -> dict[str, Any]:
    """A FeatureCollection of hexagons, one per cell, with ``cell`` and ``count`` properties."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"cell": cell, "count": counts[cell]},
                "geometry": h3_polygon_geojson(cell),
            }
            for cell in sorted(counts)
        ],
    }


# --- nearest point -------------------------------------------------------------------------


class NearestIndex(Generic[K]):
    """The nearest of a fixed set of reference points (e.g. unit centres) to a position.

    A linear scan: for ~100 points it takes tens of microseconds, less than a KD-tree's
    set-up would save. Points are ranked by an equirectangular distance around the query's
    latitude, which orders them as great-circle distance does to within 0.1% over a
    province-sized area.
    """

    # Queries are answered from the points that can be nearest anywhere in their grid cell
    # (1/GRID degrees a side), found once per cell: a few instead of all of them.
    GRID = 100
    _CELLS_MAX = 50_000

    def __init__(self, items: Iterable[tuple[K, float, float]]) -> None:
        self._keys: list[K] = []
        self._points: list[tuple[float, float]] = []
        for key, lat, lon in items:
            point = Point(lat, lon)
            self._keys.append(key)
            self._points.append((math.radians(point.lat), math.radians(point.lon)))
        if not self._keys:
            raise ValueError("a NearestIndex needs at least one point")
        self._everyone = tuple(range(len(self._points)))
        self._near_antimeridian = any(abs(math.degrees(lam)) > 179 for _, lam in self._points)
        self._cells: dict[tuple[int, int], tuple[int, ...]] = {}

    def _candidates(self, cell: tuple[int, int]) -> tuple[int, ...]:
        """Every point that is the nearest (by the ranking below) to some position of the
        cell, in index order: a point whose smallest possible distance to the cell exceeds
        another point's largest possible one never wins there. Exact, ties included."""
        # Widened by a hair so that rounding in floor(lat * GRID) can never leave a query
        # just outside the cell it was filed under.
        eps = 1e-7
        lat0, lon0 = cell[0] / self.GRID - eps, cell[1] / self.GRID - eps
        lat1, lon1 = (cell[0] + 1) / self.GRID + eps, (cell[1] + 1) / self.GRID + eps
        if self._near_antimeridian or abs(lon0) > 179 or abs(lon1) > 179:
            return self._everyone
        phi0, phi1 = math.radians(max(lat0, -90.0)), math.radians(min(lat1, 90.0))
        lam0, lam1 = math.radians(lon0), math.radians(lon1)
        cosines = (math.cos(phi0), math.cos(phi1))
        squeeze_min = min(cosines)
        squeeze_max = 1.0 if phi0 <= 0.0 <= phi1 else max(cosines)

        def gap(value: float, low: float, high: float) -> float:
            return low - value if value < low else value - high if value > high else 0.0

        lows: list[float] = []
        best_high = math.inf
        for p_phi, p_lam in self._points:
            d_phi, d_lam = gap(p_phi, phi0, phi1), gap(p_lam, lam0, lam1)
            lows.append(d_phi**2 + (d_lam * squeeze_min) ** 2)
            far_phi = max(abs(p_phi - phi0), abs(p_phi - phi1))
            far_lam = max(abs(p_lam - lam0), abs(p_lam - lam1))
            best_high = min(best_high, far_phi**2 + (far_lam * squeeze_max) ** 2)
        # A little slack for rounding: a spare candidate costs nothing, a missing one would.
        limit = best_high * (1 + 1e-9) + 1e-18
        return tuple(i for i, low in enumerate(lows) if low <= limit)

    def __len__(self) -> int:
        return len(self._keys)

    def nearest(self, lat: float, lon: float) -> K:
        return self.nearest_with_distance(lat, lon)[0]

    def nearest_with_distance(self, lat: float, lon: float) -> tuple[K, float]:
        """The nearest key and its great-circle distance in metres."""
        here = Point(lat, lon)
        phi, lam = math.radians(here.lat), math.radians(here.lon)
        squeeze = math.cos(phi)
        cell = (math.floor(here.lat * self.GRID), math.floor(here.lon * self.GRID))
        candidates = self._cells.get(cell)
        if candidates is None:
            candidates = self._candidates(cell)
            if len(self._cells) >= self._CELLS_MAX:
                self._cells.clear()
            self._cells[cell] = candidates
        points = self._points
        best, best_d2 = 0, math.inf
        for i in candidates:
            p_phi, p_lam = points[i]
            # Wrap the longitude difference so the antimeridian is not a wall.
            dlam = (p_lam - lam + math.pi) % (2 * math.pi) - math.pi
            d2 = (p_phi - phi) ** 2 + (dlam * squeeze) ** 2
            if d2 < best_d2:
                best, best_d2 = i, d2
        p_phi, p_lam = self._points[best]
        distance = haversine_m(here, (math.degrees(p_phi), math.degrees(p_lam)))
        return self._keys[best], distance
