"""The console's landing page and its shell pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.console import service
from ioc.kit.i18n import format_local_datetime, translator
from ioc.kit.permissions import require
from ioc.web.deps import AppSettings, CurrentActor, DbSession, request_locale
from ioc.web.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)


def _event_rows(events: list, locale: str, tz: str) -> list[dict[str, str]]:  # type: ignore[type-arg]
    return [
        {
            "time_label": format_local_datetime(e.occurred_at, locale, tz),
            "title": e.title or e.type,
            "severity": e.severity,
            "type": e.type,
        }
        for e in events
    ]


@router.get("")
def console_home(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    require(actor, "console.view")
    locale = request_locale(request)
    _ = translator(locale)
    snap = service.snapshot(session)
    tiles = [
        {
            "label": _("Communes and wards"),
            "value": snap.communes,
            "href": "/admin/areas" if actor.has_role("administrator") else None,
        },
        {"label": _("Agencies"), "value": snap.agencies, "href": None},
        {"label": _("Staff accounts"), "value": snap.staff, "href": None},
        {
            "label": _("Events in the last 24 hours"),
            "value": snap.events_today,
            "href": "/console/events",
        },
    ]
    events = _event_rows(
        list(service.visible_events(session, actor, limit=12)), locale, settings.timezone
    )
    return render(request, "console/home.html", {"tiles": tiles, "events": events}, face="console")


@router.get("/events")
def events_page(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    require(actor, "console.view")
    locale = request_locale(request)
    events = _event_rows(
        list(service.visible_events(session, actor, limit=200)), locale, settings.timezone
    )
    return render(request, "console/events.html", {"events": events}, face="console")


@router.get("/messages")
def messages_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "messages.view")
    return render(
        request,
        "console/messages.html",
        {"messages": service.sent_messages(session)},
        face="console",
    )
