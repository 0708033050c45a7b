"""The public directory of agencies and hotlines, in the citizen portal."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.areas import service
from ioc.areas.agencies_data import AGENCY_KINDS
from ioc.kit.i18n import translator
from ioc.web.deps import CurrentActor, DbSession, request_locale
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/directory")
def directory(
    request: Request, session: DbSession, actor: CurrentActor, q: str = "", commune: str = ""
) -> Response:
    _ = translator(request_locale(request))
    query = q.strip()[:100]
    if commune:
        agencies = [
            a
            for a in service.agencies_for_area(session, commune)
            if not query or service.matches(a, query)
        ]
    else:
        agencies = [
            a
            for a in service.list_agencies(session, query=query, include_inactive=False)
            if a.kind != "commune_committee" or query
        ]
    return render(
        request,
        "areas/directory.html",
        {
            "agencies": agencies,
            "q": query,
            "commune": commune,
            "communes": service.communes(session),
            "kind_labels": {k: _(v) for k, v in AGENCY_KINDS.items()},
        },
        face="portal",
    )
