"""Staff map layers of reports for the console: an H3 heat map of open reports, and the open
reports themselves coloured by age. Both are scoped like the console: an agency's staff see
their agency's reports, operators and leaders the province's.

The heat map counts at H3 resolution 7 (~5 km² cells: ~800 cells for a province's month, see
MAPS.md). Reports store their resolution-9 cell, so SQL groups by that stored cell and the few
thousand groups are folded into their parents here: no per-row work, any database."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import h3
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.kit.geo import h3_heat_geojson
from ioc.kit.i18n import translator
from ioc.kit.module import MapLayer
from ioc.kit.permissions import Actor, require
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.models import Category, Report
from ioc.web.deps import CurrentActor, DbSession, request_locale

router = APIRouter(include_in_schema=False)

HEAT_RESOLUTION = 7
HEAT_DAYS = 30
AGE_LIMIT = 3000
HEAT_URL = "/console/map/reports-heat.geojson"
AGE_URL = "/console/map/reports-open.geojson"

# Sequential, colour-blind-safe (ColorBrewer YlOrRd), lightest for the fewest reports.
HEAT_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
# (upper bound in days, fill) for the open reports by age; overdue ones are larger, ringed.
AGE_BANDS = ((1.0, "#2c7fb8"), (3.0, "#41b6c4"), (7.0, "#fdae61"), (None, "#d7191c"))
OVERDUE_STROKE = "#1a1a1a"

LAYERS = (
    MapLayer(
        "reports.heat",
        "Open reports per area (last 30 days)",
        HEAT_URL,
        {"weight": 1, "color": "#bd0026", "opacity": 0.6, "fillOpacity": 0.7},
        "reports.view_internal",
    ),
    MapLayer(
        "reports.by_age",
        "Open reports by age",
        AGE_URL,
        {"radius": 5, "weight": 1.5, "color": "#ffffff", "fillOpacity": 0.9},
        "reports.view_internal",
    ),
)


def agency_ids_of(session: Session, actor: Actor) -> list[int] | None:
    """None: the province (operators, leaders, administrators); else the actor's agencies."""
    if actor.has_role("operator", "leader", "administrator"):
        return None
    codes = sorted(actor.agency_codes())
    if not codes:
        return []
    return list(session.scalars(select(Agency.id).where(Agency.code.in_(codes))).all())


def heat_colour(count: int, top: int) -> str:
    """Five classes over 1..top on a square-root scale, so one hot spot does not wash out the
    rest of the province."""
    if count <= 0 or top <= 0:
        return HEAT_COLOURS[0]
    share = (count / top) ** 0.5
    return HEAT_COLOURS[min(len(HEAT_COLOURS) - 1, int(share * len(HEAT_COLOURS)))]


def heat_counts(
    session: Session, agency_ids: list[int] | None, *, now: datetime, days: int = HEAT_DAYS
) -> Counter[str]:
    where = [
        Report.status.in_(sorted(lc.OPEN)),
        Report.submitted_at >= now - timedelta(days=days),
        Report.h3_cell.is_not(None),
    ]
    if agency_ids is not None:
        where.append(Report.agency_id.in_(agency_ids))
    counts: Counter[str] = Counter()
    for cell, n in session.execute(
        select(Report.h3_cell, func.count()).where(*where).group_by(Report.h3_cell)
    ):
        counts[str(h3.cell_to_parent(cell, HEAT_RESOLUTION))] += int(n)
    return counts


def heat_geojson(counts: Counter[str], locale: str) -> dict[str, Any]:
    _ = translator(locale)
    data = h3_heat_geojson(counts)
    top = max(counts.values(), default=0)
    for feature in data["features"]:
        props = feature["properties"]
        props["title"] = _("{count} open reports", count=props["count"])
        props["style"] = {"fillColor": heat_colour(props["count"], top)}
    data["max"] = top
    return data


def age_colour(age_days: float) -> str:
    for limit, colour in AGE_BANDS:
        if limit is None or age_days < limit:
            return colour
    return AGE_BANDS[-1][1]


def open_reports_geojson(
    session: Session, agency_ids: list[int] | None, *, now: datetime, locale: str
) -> dict[str, Any]:
    _ = translator(locale)
    where = [Report.status.in_(sorted(lc.OPEN)), Report.lat.is_not(None)]
    if agency_ids is not None:
        where.append(Report.agency_id.in_(agency_ids))
    due = dl.current_due_sql()
    rows = session.execute(
        select(
            Report.code,
            Report.lat,
            Report.lon,
            Report.status,
            Report.submitted_at,
            Report.paused_at,
            due.label("due"),
            Category.name_vi,
            Category.name_en,
        )
        .join(Category, Category.id == Report.category_id)
        .where(*where)
        .order_by(Report.submitted_at.desc())
        .limit(AGE_LIMIT)
    ).all()
    features = []
    for r in rows:
        age = (now - r.submitted_at).total_seconds() / 86400
        clock = r.paused_at if r.status == lc.WAITING and r.paused_at else now
        overdue = r.due is not None and clock > r.due
        style: dict[str, Any] = {"fillColor": age_colour(age)}
        if overdue:
            # Larger as well as ringed, so it stands out on the dark wall map too.
            style.update(color=OVERDUE_STROKE, weight=2.5, radius=7)
        name = r.name_vi if locale == "vi" else (r.name_en or r.name_vi)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(r.lon, 5), round(r.lat, 5)]},
                "properties": {
                    "title": f"{r.code} · {name}",
                    "kind": _("Overdue") if overdue else _("{days} days old", days=int(age)),
                    "status": r.status,
                    "age_days": round(age, 2),
                    "overdue": overdue,
                    "href": f"/console/reports/{r.code}",
                    "style": style,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _geojson(data: dict[str, Any]) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        media_type="application/geo+json",
        # Staff data: never kept by a shared cache.
        headers={"Cache-Control": "private, max-age=30"},
    )


@router.get(HEAT_URL)
def heat_layer(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "reports.view_internal")
    counts = heat_counts(session, agency_ids_of(session, actor), now=utcnow())
    return _geojson(heat_geojson(counts, request_locale(request)))


@router.get(AGE_URL)
def open_layer(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "reports.view_internal")
    return _geojson(
        open_reports_geojson(
            session, agency_ids_of(session, actor), now=utcnow(), locale=request_locale(request)
        )
    )
