"""The console's landing page and its shell pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from ioc.config import Settings
from ioc.console import overview, service
from ioc.console.cache import TtlCache
from ioc.console.live import LiveHub, event_data, replay_events
from ioc.console.scope import ConsoleScope, scope_for
from ioc.console.titles import alert_titles, event_title
from ioc.kit.events import Event
from ioc.kit.i18n import format_local_datetime, translator
from ioc.kit.permissions import Actor, require
from ioc.web.deps import AppSettings, CurrentActor, DbSession, request_locale
from ioc.web.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)


def _event_rows(session: Session, events: list, locale: str, tz: str) -> list[dict[str, str]]:  # type: ignore[type-arg]
    _ = translator(locale)
    alerts = alert_titles(session, events, _, locale)
    return [
        {
            "time_label": format_local_datetime(e.occurred_at, locale, tz),
            "title": event_title(e, _, alerts),
            "severity": e.severity,
            "type": e.type,
            "href": event_data(e)["href"],
        }
        for e in events
    ]


def _overview(request: Request, session: Session, actor: Actor, settings: Settings) -> Any:
    locale = request_locale(request)
    _ = translator(locale)
    scope = scope_for(session, actor)
    return overview.build(
        session,
        actor,
        scope,
        modules=request.app.state.modules,
        locale=locale,
        tz=settings.timezone,
        _=_,
        cache=overview_cache(request.app),
    ), locale


@router.get("")
def console_home(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    wall: bool = False,
) -> Response:
    require(actor, "console.view")
    view, locale = _overview(request, session, actor, settings)
    context: dict[str, Any] = {
        "view": view,
        "wall": wall,
        "updated_label": format_local_datetime(view.updated_at, locale, settings.timezone),
    }
    if wall:
        context["theme"] = "dark"  # the video wall is always dark (DESIGN.md)
    return render(request, "console/home.html", context, face="console")


@router.get("/overview/tiles")
def overview_tiles_fragment(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    """The tiles alone, for htmx to refresh them when the live feed says something changed."""
    require(actor, "console.view")
    view, locale = _overview(request, session, actor, settings)
    return render(
        request,
        "console/_tiles.html",
        {
            "view": view,
            "updated_label": format_local_datetime(view.updated_at, locale, settings.timezone),
        },
        face="console",
    )


@router.get("/live")
async def live_feed(request: Request, actor: CurrentActor, settings: AppSettings) -> Response:
    """Server-sent events: every committed event this actor may see, as it happens. A client
    that reconnects with Last-Event-ID first gets what it missed (up to a limit)."""
    require(actor, "console.view")
    hub = live_hub(request.app)
    db = request.app.state.db
    # -1: a first connection, nothing to catch up on; 0 or more: the last event it has.
    raw = request.headers.get("last-event-id") or request.query_params.get("after")
    try:
        last_id = max(-1, int(raw)) if raw is not None else -1
    except ValueError:
        last_id = -1

    def read_scope() -> ConsoleScope:
        with db.session(write=False) as session:
            return scope_for(session, actor)

    def read_replay(scope: ConsoleScope) -> list[Event]:
        with db.session(write=False) as session:
            return replay_events(session, scope, after_id=last_id)

    scope = await run_in_threadpool(read_scope)
    # Connected before the replay is read, so that nothing falls between the two.
    client = hub.connect(scope, request_locale(request))
    try:
        replay = await run_in_threadpool(read_replay, scope) if last_id >= 0 else []
    except BaseException:
        hub.disconnect(client)
        raise
    return StreamingResponse(
        hub.stream(client, replay, last_id=last_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def overview_cache(app: Any) -> TtlCache:
    cache = getattr(app.state, "console_cache", None)
    if cache is None:
        cache = app.state.console_cache = TtlCache()
    return cache


def live_hub(app: Any) -> LiveHub:
    hub = getattr(app.state, "console_live", None)
    if hub is None:
        hub = app.state.console_live = LiveHub(getattr(app.state, "event_bus", None))
        db = getattr(app.state, "db", None)
        if db is not None:

            def lookup(events: list[Any], locale: str) -> dict[str, str]:
                with db.session(write=False) as session:
                    return alert_titles(session, events, translator(locale), locale)

            hub.alert_lookup = lookup
    return hub


@router.get("/events")
def events_page(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    require(actor, "console.view")
    locale = request_locale(request)
    events = _event_rows(
        session,
        list(service.visible_events(session, scope_for(session, actor), limit=200)),
        locale,
        settings.timezone,
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
