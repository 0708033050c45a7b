"""The offline base map: static GeoJSON layers built from packages (see data/SOURCES.md)."""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import Response

from ioc.areas import units
from ioc.areas.units import DATA_DIR
from ioc.errors import NotFound

router = APIRouter(include_in_schema=False)
STATIC_LAYERS = ("land", "neighbours", "province")


@cache
def _communes_geojson() -> bytes:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(c.lon, 5), round(c.lat, 5)]},
            "properties": {"code": c.code, "name": c.name, "kind": c.kind},
        }
        for c in units.load_communes()
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False
    ).encode()


@cache
def _layer(name: str) -> bytes:
    return (DATA_DIR / f"{name}.geojson").read_bytes()


@router.get("/geo/{name}.geojson")
def geo_layer(name: str) -> Response:
    if name == "communes":
        body = _communes_geojson()
    elif name in STATIC_LAYERS:
        body = _layer(name)
    else:
        raise NotFound("No such map layer.")
    return Response(
        body, media_type="application/geo+json", headers={"Cache-Control": "public, max-age=86400"}
    )
