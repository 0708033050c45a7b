"""The public directory of agencies and hotlines, in the citizen portal."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.areas import service
from ioc.areas.agencies_data import AGENCY_KINDS
from ioc.kit.i18n import translator
from ioc.kit.text import fold
from ioc.web.deps import CurrentActor, DbSession, request_locale
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Hotline:
    number: str
    label: str  # English message id
    emergency: bool = False


# National emergency numbers (free of charge, 24/7) and the province's own hotline.
HOTLINES = (
    Hotline("113", "Police", True),
    Hotline("114", "Fire, rescue and relief", True),
    Hotline("115", "Ambulance", True),
    Hotline("112", "Search and rescue", True),
    Hotline("111", "Child protection", True),
    Hotline("1022", "Province hotline: reports and questions (IOC)"),
)


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
    # Hotlines are searched like agencies: accent-insensitively, by label or number, in both
    # languages (the visitor may type either).
    key = fold(query)
    hotlines = [
        h
        for h in HOTLINES
        if not key
        or key in fold(_(h.label))
        or key in fold(h.label)
        or query.replace(" ", "") in h.number
    ]
    return render(
        request,
        "areas/directory.html",
        {
            "agencies": agencies,
            "hotlines": hotlines,
            "q": query,
            "commune": commune,
            "communes": service.communes(session),
            "kind_labels": {k: _(v) for k, v in AGENCY_KINDS.items()},
        },
        face="portal",
    )
