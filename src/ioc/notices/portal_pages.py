"""The citizen's pages: notices and news for the province and the visitor's commune."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from ioc.areas import service as areas
from ioc.areas.models import Agency
from ioc.errors import NotFound
from ioc.kit.storage import FileStore
from ioc.notices import service
from ioc.notices.context import COMMUNE_COOKIE, visitor_commune
from ioc.notices.models import NOTICE_KINDS, Notice
from ioc.notices.sanitize import sanitize_html
from ioc.web.deps import AppSettings, CurrentActor, DbSession
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
KIND_LABELS = {"notice": "Announcement", "news": "News"}
COMMUNE_COOKIE_DAYS = 365


@router.get("/notices")
def notice_list(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    kind: str = "",
    page: int = 1,
) -> Response:
    communes = list(areas.communes(session))
    names = {c.code: c.name for c in communes}
    commune = visitor_commune(request)
    if commune not in names:
        commune = None
    kind = kind if kind in NOTICE_KINDS else ""
    page = max(1, min(page, 500))
    notices = service.public_notices(
        session, commune=commune, kind=kind, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    agencies = _agency_names(session, notices)
    response = render(
        request,
        "notices/list.html",
        {
            "notices": notices[:PAGE_SIZE],
            "has_more": len(notices) > PAGE_SIZE,
            "page": page,
            "kind": kind,
            "kind_labels": KIND_LABELS,
            "agencies": agencies,
            "commune": commune,
            "commune_name": names.get(commune or ""),
            "communes": [(c.code, c.name) for c in communes],
        },
    )
    chosen = request.query_params.get("commune")
    if chosen is not None:
        if chosen in names:
            # A preference, not a secret: readable by the page's scripts is not needed, so
            # HttpOnly; Lax so that links from elsewhere still show the visitor's commune.
            response.set_cookie(
                COMMUNE_COOKIE,
                chosen,
                max_age=COMMUNE_COOKIE_DAYS * 86400,
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
            )
        elif chosen == "":
            response.delete_cookie(COMMUNE_COOKIE)
    return response


def _agency_names(session: DbSession, notices: list[Notice]) -> dict[int, str]:
    ids = {n.agency_id for n in notices if n.agency_id}
    out: dict[int, str] = {}
    for agency_id in ids:
        agency = session.get(Agency, agency_id)
        if agency is not None:
            out[agency_id] = agency.name
    return out


@router.get("/notices/{notice_id}")
def notice_page(
    request: Request, notice_id: int, session: DbSession, actor: CurrentActor
) -> Response:
    notice = service.public_notice(session, notice_id)
    agency = session.get(Agency, notice.agency_id) if notice.agency_id else None
    area_names = {c.code: c.name for c in areas.communes(session)}
    return render(
        request,
        "notices/detail.html",
        {
            "notice": notice,
            "agency": agency,
            "kind_labels": KIND_LABELS,
            # Sanitised when saved; sanitised again here, so no stored row can carry a script.
            "body": Markup(sanitize_html(notice.body_html)),
            "targets": [area_names.get(c, c) for c in service.notice_areas(session, notice)],
        },
    )


@router.get("/notices/{notice_id}/image/{size}")
def notice_image(
    notice_id: int, size: str, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    """Served through the app so that a draft's or a withdrawn notice's image stays private;
    staff who may manage the notice see it in the preview."""
    notice = session.get(Notice, notice_id)
    if notice is None or not notice.image_key or size not in ("thumb", "full"):
        raise NotFound("No such image.")
    public = True
    try:
        service.public_notice(session, notice_id)
    except NotFound:
        public = False
    if not public and not service.can_manage(session, actor, notice):
        raise NotFound("No such image.")
    key = notice.image_thumb_key if size == "thumb" else notice.image_key
    data = FileStore(settings.files_dir).read(key or "")
    cache = "public, max-age=3600" if public else "private, no-store"
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": cache})
