"""Nearby open reports of the same kind, shown before a citizen files a duplicate.

FixMyStreet suggests reports within 250 m before one is filed (DOMAIN.md, lessons); issue 3
adds the last 30 days and accent-insensitive text. Candidates come from an indexed query on
(category, H3 cell) over the cells that cover the circle, then the exact distance and the text
similarity of the few rows found. Only public information leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit.geo import Point, cells_within, haversine_m
from ioc.kit.text import fold, similarity, trigrams
from ioc.reports import lifecycle as lc
from ioc.reports.models import Report

EXCERPT_MAX = 160
# How much a close match in words counts against a close match in distance, both on 0..1.
TEXT_WEIGHT = 0.5
# Rows read at most before ranking: a busy junction can hold many open reports.
CANDIDATES_MAX = 200


@dataclass(frozen=True)
class NearbyReport:
    code: str
    distance_m: float
    similarity: float
    status: str
    submitted_at: datetime
    excerpt: str


def _excerpt(description: str) -> str:
    line = " ".join(description.split())
    return line if len(line) <= EXCERPT_MAX else line[: EXCERPT_MAX - 1].rstrip() + "…"


def nearby_open(
    session: Session,
    *,
    category_id: int,
    lat: float,
    lon: float,
    text: str = "",
    radius_m: float = 250,
    days: int = 30,
    limit: int = 5,
    now: datetime | None = None,
) -> list[NearbyReport]:
    """Open, visible reports of ``category_id`` within ``radius_m`` filed in the last
    ``days``, best first: nearer and more alike in words."""
    here = Point(lat, lon)
    radius_m = max(0.0, float(radius_m))
    since = (now or utcnow()) - timedelta(days=days)
    rows = session.execute(
        select(
            Report.code,
            Report.lat,
            Report.lon,
            Report.status,
            Report.submitted_at,
            Report.description,
            Report.search_key,
        )
        .where(
            Report.category_id == category_id,
            Report.h3_cell.in_(cells_within(here.lat, here.lon, radius_m)),
            Report.status.in_(sorted(lc.OPEN)),
            Report.submitted_at >= since,
            Report.is_hidden.is_(False),
        )
        .order_by(Report.submitted_at.desc())
        .limit(CANDIDATES_MAX)
    ).all()
    query = trigrams(fold(text)) if text.strip() else frozenset()
    found: list[tuple[float, NearbyReport]] = []
    for code, r_lat, r_lon, status, submitted_at, description, key in rows:
        if r_lat is None or r_lon is None:
            continue
        distance = haversine_m(here, (r_lat, r_lon))
        if distance > radius_m:
            continue
        alike = similarity(query, trigrams(key)) if query else 0.0
        closeness = 1.0 - distance / radius_m if radius_m else 1.0
        score = (1 - TEXT_WEIGHT) * closeness + TEXT_WEIGHT * alike
        found.append(
            (
                score,
                NearbyReport(
                    code=code,
                    distance_m=round(distance, 1),
                    similarity=round(alike, 3),
                    status=status,
                    submitted_at=submitted_at,
                    excerpt=_excerpt(description),
                ),
            )
        )
    found.sort(key=lambda item: (-item[0], item[1].distance_m, item[1].code))
    return [item for _, item in found[: max(0, limit)]]
