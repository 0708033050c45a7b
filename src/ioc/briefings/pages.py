"""Console pages of the leader's report: the list of generated reports with "Generate now", a
period's report as a page, and the PDF and workbook downloads (audited)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.briefings import figures, periods, service
from ioc.briefings.models import PROVINCE, Briefing
from ioc.briefings.render import (
    BAND_LABELS,
    change_text,
    direction,
    improvement,
    short_agency,
    value_text,
)
from ioc.db import utcnow
from ioc.errors import NotFound, ValidationFailed
from ioc.kit import audit
from ioc.kit.i18n import translator
from ioc.kit.permissions import Actor, require
from ioc.web.deps import (
    CurrentActor,
    DbSession,
    Writes,
    client_ip,
    request_locale,
    run_unit_of_work,
)
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/console/briefings", include_in_schema=False)
KIND_LABELS = {"week": "Weekly", "month": "Monthly"}
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _offered(_: Any) -> list[dict[str, str]]:
    now = utcnow()
    offered = []
    for kind in periods.KINDS:
        for period, when in (
            (periods.last_complete(kind, now), _("previous")),
            (periods.current(kind, now), _("so far")),
        ):
            offered.append(
                {
                    "kind": kind,
                    "key": period.key,
                    "label": f"{period.title(_)} ({when})",
                    "value": f"{kind}:{period.key}",
                }
            )
    return offered


@router.get("")
def list_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    rows = service.list_for(session, actor)
    _ = translator(request_locale(request))
    return render(
        request,
        "briefings/list.html",
        {
            "rows": rows,
            # Shown in the reader's language; the stored title is the document's (Vietnamese).
            "titles": {
                b.id: periods.parse(b.kind, b.period_key).title(_)
                + (f" — {b.scope_key}" if b.scope_key else "")
                for b in rows
            },
            "offered": _offered(_),
            "kind_labels": {k: _(v) for k, v in KIND_LABELS.items()},
            "own_agency": service.own_agency(session, actor),
            "can_generate": _can_generate(actor),
            "one_day": timedelta(days=1),
        },
        face="console",
    )


def _can_generate(actor: Actor) -> bool:
    from ioc.kit.permissions import can

    return can(actor, "briefings.generate")


@router.post("/generate")
async def generate(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    form = await request.form()
    kind, _sep, key = str(form.get("period", ""))[:20].partition(":")
    period = periods.parse(kind, key)
    if period.start > periods.current(kind).start:
        raise ValidationFailed("Period: a report cannot cover a period that has not begun.")

    def work() -> Briefing:
        agency = service.own_agency(session, actor)
        # The stored files are the province's documents, in Vietnamese whatever the language
        # of the person who asked: one version per period, not one per reader's language.
        return service.generate(session, period=period, agency=agency, actor=actor, locale="vi")

    # Drawing the PDF takes a moment: done in a worker thread, not on the event loop.
    briefing = await run_unit_of_work(session, work)
    response = redirect(request, f"/console/briefings#b{briefing.id}")
    flash(request, response, "Generated: {title}.", title=briefing.title)
    return response


@router.get("/{briefing_id}.{fmt}")
def download(
    _w: Writes,
    request: Request,
    briefing_id: int,
    fmt: str,
    session: DbSession,
    actor: CurrentActor,
) -> Response:
    if fmt not in MEDIA:
        raise NotFound("No such file.")
    briefing = service.get_for(session, actor, briefing_id)
    audit.log(
        session,
        "export",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="briefing",
        subject_id=briefing.id,
        ip=client_ip(request),
        detail={"format": fmt, "period": briefing.period_key, "scope": briefing.scope_key},
    )
    body = briefing.pdf if fmt == "pdf" else briefing.xlsx
    kind = "bao-cao-tuan" if briefing.kind == periods.WEEK else "bao-cao-thang"
    scope = f"-{briefing.scope_key.lower()}" if briefing.scope_key else ""
    name = f"{kind}-{briefing.period_key}{scope}.{fmt}"
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/{kind}/{key}")
def period_page(
    request: Request, kind: str, key: str, session: DbSession, actor: CurrentActor
) -> Response:
    require(actor, "briefings.view")
    period = periods.parse(kind[:10], key[:10])
    agency = service.own_agency(session, actor)
    require(actor, "briefings.view", service.ScopeTarget(agency.code if agency else PROVINCE))
    locale = request_locale(request)
    _ = translator(locale)
    data = figures.build(session, period, agency_id=agency.id if agency else None, locale=locale)
    stored = service.find(
        session, kind=period.kind, period_key=period.key, scope_key=agency.code if agency else ""
    )
    tiles = [
        {
            "label": _(f.label),
            "value": value_text(f.value, f.kind, locale),
            "band": {"good": "ok", "warning": "warn", "bad": "bad"}.get(f.band),
            "trend": (
                (direction(f) if direction(f) != "none" else "flat", change_text(f, locale, _))
                if f.change is not None
                else None
            ),
            "good": improvement(f),
            "note": _(f.note) if f.note else "",
        }
        for f in data.figures
    ]
    chart = {
        "labels": [p.period.compact(_) for p in data.trend],
        "received": [p.received for p in data.trend],
        "resolved": [p.resolved for p in data.trend],
        "on_time": [None if p.on_time is None else round(p.on_time * 100, 1) for p in data.trend],
        "rating": [None if p.rating is None else round(p.rating, 2) for p in data.trend],
        "names": {
            "received": _("Received"),
            "resolved": _("Resolved"),
            "on_time": _("Answered on time (Decision 766), %"),
            "target": _("Target"),
        },
    }
    return render(
        request,
        "briefings/period.html",
        {
            "data": data,
            "period": period,
            "title": period.title(_),
            "tiles": tiles,
            "band_labels": {k: _(v) for k, v in BAND_LABELS.items()},
            "chart_json": json.dumps(chart, ensure_ascii=False),
            "stored": stored,
            "short_agency": short_agency,
            "previous": period.previous(),
            "following": (
                period.following() if period.following().start <= periods.local_today() else None
            ),
            "can_generate": _can_generate(actor),
        },
        face="console",
    )
