"""The citizen portal's home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.kit.i18n import translator
from ioc.web.deps import CurrentActor, request_locale
from ioc.web.templating import nav_for, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def portal_home(request: Request, actor: CurrentActor) -> Response:
    # The big actions come from the installed modules (the module contract), so the home page
    # offers only what this installation can do.
    actions = nav_for(request, "portal-home", actor, translator(request_locale(request)))
    return render(
        request,
        "portal/home.html",
        {
            "actions": actions,
            "show_reporting": any(a.url.startswith("/reports") for a in actions),
        },
        face="portal",
    )
