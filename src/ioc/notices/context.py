"""What the notices module adds to every portal page: the emergency banner for the visitor's
commune and, on the home page, the latest notices."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from ioc.kit.permissions import Actor
from ioc.notices import service
from ioc.web.templating import register_page_context

log = logging.getLogger(__name__)

COMMUNE_COOKIE = "ioc_commune"
_COMMUNE_CODE = re.compile(r"^[0-9]{5}$")


def visitor_commune(request: Request) -> str | None:
    """``?commune=`` on this request, else the ``ioc_commune`` cookie (set from the citizen's
    profile or by the chooser on /notices). Only the shape is checked here: an unknown code
    simply matches nothing."""
    for value in (request.query_params.get("commune"), request.cookies.get(COMMUNE_COOKIE)):
        if value and _COMMUNE_CODE.match(value):
            return value
    return None


def _banner(request: Request, actor: Actor, face: str) -> dict[str, Any]:
    if face != "portal":
        return {}
    db = request.app.state.db

    def load() -> list[service.ActiveAlert]:
        with db.session(write=False) as session:
            return service.active_alerts(session)

    ctx: dict[str, Any] = {}
    commune = visitor_commune(request)
    # The banner must never break a page: a database hiccup shows the page without it.
    try:
        alerts = service.cached_active_alerts(id(db), load, time.monotonic())
        ctx["emergency_alerts"] = service.alerts_for(alerts, commune)
        if request.url.path == "/":
            with db.session(write=False) as session:
                notices = service.public_notices(session, commune=commune, limit=3)
                session.expunge_all()
            ctx["latest_notices"] = notices
    except SQLAlchemyError:
        log.warning("notices: could not read alerts or notices", exc_info=True)
    return ctx


def register() -> None:
    register_page_context("notices", _banner)
