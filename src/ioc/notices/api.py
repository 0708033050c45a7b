"""JSON API for the public information of the citizen app at /api/v1: published notices and
the emergency alerts running now, for the province or one commune. Read-only and public: the
same rules as the portal's pages (service.public_notices, service.alerts_for)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from ioc.areas.models import Agency
from ioc.notices import service
from ioc.notices.models import Notice
from ioc.notices.sanitize import sanitize_html
from ioc.web.deps import DbSession

router = APIRouter(prefix="/api/v1", tags=["notices"])
Commune = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{5}$",
        description="Code of the visitor's commune or ward: its notices and alerts are added "
        "to the province's.",
    ),
]


class NoticeOut(BaseModel):
    id: int
    kind: str  # notice | news
    title: str
    summary: str
    body_html: str  # sanitised: p, h2–h4, strong/b, em/i, u, lists, blockquote, links
    agency: str | None
    communes: list[str]  # empty: the whole province
    publish_at: datetime
    expires_at: datetime | None
    url: str
    image_url: str | None
    image_alt: str


class AlertOut(BaseModel):
    id: int
    title: str
    message: str
    severity: str  # information | warning | danger | extreme
    starts_at: datetime
    ends_at: datetime
    communes: list[str]  # empty: the whole province


def _out(session: DbSession, notices: list[Notice]) -> list[NoticeOut]:
    ids = {n.agency_id for n in notices if n.agency_id}
    agencies = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids))).all())
    return [
        NoticeOut(
            id=n.id,
            kind=n.kind,
            title=n.title,
            summary=n.summary,
            body_html=sanitize_html(n.body_html),
            agency=agencies.get(n.agency_id) if n.agency_id else None,
            communes=service.notice_areas(session, n),
            publish_at=n.publish_at or n.created_at,
            expires_at=n.expires_at,
            url=f"/notices/{n.id}",
            image_url=f"/notices/{n.id}/image/full" if n.image_key else None,
            image_alt=n.image_alt,
        )
        for n in notices
    ]


@router.get("/notices", response_model=list[NoticeOut], summary="Published notices and news")
def list_notices(
    session: DbSession,
    commune: Commune = None,
    kind: Annotated[str | None, Query(pattern=r"^(notice|news)$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[NoticeOut]:
    """Newest first; only published notices within their window, for the whole province or
    the given commune."""
    notices = service.public_notices(
        session, commune=commune, kind=kind or "", limit=limit, offset=offset
    )
    return _out(session, notices)


@router.get(
    "/notices/{notice_id}",
    response_model=NoticeOut,
    summary="One published notice",
    responses={404: {"description": "No such notice, or not published now"}},
)
def get_notice(
    session: DbSession, notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> NoticeOut:
    return _out(session, [service.public_notice(session, notice_id)])[0]


@router.get(
    "/emergency-alerts", response_model=list[AlertOut], summary="Emergency alerts running now"
)
def active_alerts(request: Request, session: DbSession, commune: Commune = None) -> list[AlertOut]:
    """The alerts a visitor of the commune sees in the banner, most severe first."""
    db = request.app.state.db

    def load() -> list[service.ActiveAlert]:
        return service.active_alerts(session)

    alerts = service.cached_active_alerts(id(db), load, time.monotonic())
    return [
        AlertOut(
            id=a.id,
            title=a.title,
            message=a.message,
            severity=a.severity,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            communes=sorted(a.area_codes),
        )
        for a in service.alerts_for(alerts, commune)
    ]
