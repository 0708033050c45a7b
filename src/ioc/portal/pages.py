"""The citizen portal's home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.web.deps import CurrentActor
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def portal_home(request: Request, actor: CurrentActor) -> Response:
    return render(request, "portal/home.html", {}, face="portal")
