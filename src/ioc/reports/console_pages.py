"""Staff pages in the console: the agency inbox, the operators' triage queue, a report with its
actions, and the evaluation of agencies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from ioc.areas import service as areas
from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.errors import IocError, NotFound, ValidationFailed
from ioc.kit.i18n import translator
from ioc.kit.permissions import Actor, can, require
from ioc.reports import deadlines, inbox, service
from ioc.reports import lifecycle as lc
from ioc.reports.history import target_of
from ioc.reports.models import Category, Report, ReportPhoto
from ioc.reports.presenters import (
    ACTOR_ROLE_LABELS,
    CHANNEL_LABELS,
    STATUS_LABELS,
    STATUS_TONES,
    URGENCY_LABELS,
    attribute_rows,
    category_name,
    time_left_label,
)
from ioc.web.deps import (
    AppSettings,
    CurrentActor,
    DbSession,
    Writes,
    client_ip,
    request_locale,
)
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/console/reports", include_in_schema=False)
BUCKET_LABELS = {"new": "New", "due_soon": "Due soon", "overdue": "Overdue", "all": "All"}
# Actions offered on a report's page, in the order a handler meets them.
ACTIONS = (
    "accept",
    "start",
    "request_info",
    "resolve",
    "transfer",
    "mark_duplicate",
    "reject",
    "close_unfixed",
)
ACTION_LABELS = {
    "accept": "Accept",
    "start": "Start work",
    "request_info": "Ask the citizen",
    "resolve": "Answer as resolved",
    "transfer": "Transfer",
    "mark_duplicate": "Duplicate of…",
    "reject": "Reject",
    "close_unfixed": "Close without fix",
}


def _agency_for(session: DbSession, actor: Actor, code: str) -> Agency | None:
    """Officers and agency heads see their own agency; province-wide staff choose one."""
    own = sorted(actor.agency_codes())
    if code:
        return areas.get_agency(session, code)
    if own:
        return areas.get_agency(session, own[0])
    return None


def _rows(session: DbSession, reports: list[Report], locale: str, _: Any) -> list[dict[str, Any]]:
    cal = deadlines.calendar(session)
    now = utcnow()
    cats = {c.id: c for c in session.scalars(select(Category))}
    names = dict(session.execute(select(Area.code, Area.name)).tuples().all())
    rows = []
    for r in reports:
        left = deadlines.time_left(cal, r, now) if lc.is_open(r.status) else None
        rows.append(
            {
                "report": r,
                "category": category_name(cats.get(r.category_id), locale),
                "area": names.get(r.area_code or "", ""),
                "status": _(STATUS_LABELS.get(r.status, r.status)),
                "tone": STATUS_TONES.get(r.status, "neutral"),
                "left": time_left_label(left, _),
                "overdue": deadlines.is_overdue(r, now),
            }
        )
    return rows


@router.get("")
def inbox_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    agency: str = "",
    bucket: str = "new",
    page: int = 1,
) -> Response:
    require(actor, "reports.view_internal")
    locale = request_locale(request)
    _ = translator(locale)
    chosen = _agency_for(session, actor, agency[:40])
    listing = None
    if chosen is not None:
        listing = inbox.list_for_agency(
            session,
            actor,
            chosen,
            bucket=bucket if bucket in inbox.BUCKETS else "new",
            page=max(1, min(page, 10_000)),
        )
    counts = {}
    if chosen is not None:
        for b in inbox.BUCKETS:
            counts[b] = inbox.list_for_agency(session, actor, chosen, bucket=b, page_size=1).total
    choices = (
        []
        if actor.agency_codes()
        else [(a.code, a.name) for a in areas.list_agencies(session, include_inactive=False)]
    )
    return render(
        request,
        "reports/console_inbox.html",
        {
            "agency": chosen,
            "bucket": bucket,
            "listing": listing,
            "counts": counts,
            "rows": _rows(session, list(listing.items), locale, _) if listing else [],
            "bucket_labels": {k: _(v) for k, v in BUCKET_LABELS.items()},
            "agency_choices": choices,
            "can_triage": can(actor, "reports.triage"),
            "triage_count": len(inbox.triage_queue(session, actor))
            if can(actor, "reports.triage")
            else 0,
        },
        face="console",
    )


@router.post("/bulk")
async def bulk(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    """Accept several new reports at once, the most frequent action of an officer's morning."""
    form = await request.form()
    codes = [str(c)[:20] for c in form.getlist("codes")][:200]
    done, failed = 0, 0
    for code in codes:
        try:
            with session.begin_nested():
                service.accept(session, actor, inbox.get_by_code(session, code))
            done += 1
        except IocError:
            failed += 1
    session.commit()
    response = redirect(
        request,
        str(form.get("back", "/console/reports"))[:300]
        if str(form.get("back", "")).startswith("/console/")
        else "/console/reports",
    )
    flash(
        request,
        response,
        "{done} accepted, {failed} could not be accepted.",
        done=done,
        failed=failed,
    )
    return response


@router.get("/new")
def new_call(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    """An operator types a hotline call as a report (channel "hotline")."""
    from ioc.reports.portal_pages import _form

    require(actor, "reports.triage")
    return _form(
        request, session, actor, {"idempotency_key": uuid.uuid4().hex}, {}, staff_intake=True
    )


@router.post("/new")
async def create_from_call(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    from ioc.reports.portal_pages import handle_submission

    require(actor, "reports.triage")
    return await handle_submission(request, session, actor, settings, channel="hotline")


@router.get("/triage")
def triage_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    locale = request_locale(request)
    _ = translator(locale)
    queue = list(inbox.triage_queue(session, actor))
    return render(
        request,
        "reports/console_triage.html",
        {
            "rows": _rows(session, queue, locale, _),
            "agencies": [
                (a.code, a.name) for a in areas.list_agencies(session, include_inactive=False)
            ],
        },
        face="console",
    )


def _evaluation(session: DbSession, actor: Actor, period: str, area: str) -> Any:
    require(actor, "reports.evaluate")
    from ioc.reports import evaluation

    start, end = _period(period)
    result = evaluation.evaluate(session, start=start, end=end, area_code=area or None)
    # Agency heads compare themselves with every agency, but see only their own officers.
    own = actor.agency_codes()
    if own and not actor.has_role("operator", "leader", "administrator"):
        officers = [o for o in result.officers if o.agency_code in own]
        return result, officers
    return result, result.officers


@router.get("/evaluation/agencies.{fmt}")
def evaluation_export(
    _w: Writes,
    request: Request,
    fmt: str,
    session: DbSession,
    actor: CurrentActor,
    period: str = "365d",
    area: str = "",
) -> Response:
    from ioc.kit import audit
    from ioc.reports import export

    result, _officers = _evaluation(session, actor, period, area[:10])
    audit.log(
        session,
        "export",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="evaluation",
        subject_id=period,
        ip=client_ip(request),
        detail={"format": fmt, "area": area},
    )
    name = f"danh-gia-co-quan-{period}"
    if fmt == "csv":
        return Response(
            export.agencies_csv(result.agencies),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            export.agencies_xlsx(result.agencies, title=name),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    raise NotFound("No such format.")


@router.get("/evaluation")
def evaluation_page(
    request: Request, session: DbSession, actor: CurrentActor, period: str = "365d", area: str = ""
) -> Response:
    result, officers = _evaluation(session, actor, period, area[:10])
    return render(
        request,
        "reports/console_evaluation.html",
        {
            "result": result,
            "officers": officers,
            "period": period,
            "area": area,
            "communes": [(c.code, c.name) for c in areas.communes(session)],
        },
        face="console",
    )


@router.get("/{code}")
def report_page(
    _w: Writes,
    request: Request,
    code: str,
    session: DbSession,
    actor: CurrentActor,
    show_reporter: int = 0,
) -> Response:
    locale = request_locale(request)
    _ = translator(locale)
    report = inbox.get_by_code(session, code[:20])
    view = inbox.staff_view(session, actor, report)
    target = target_of(session, report)
    reporter = None
    if show_reporter and can(actor, "reports.view_reporter", target):
        reporter = inbox.reporter_view(session, actor, report, ip=client_ip(request))
    category = session.get(Category, report.category_id)
    handle = can(actor, "reports.handle", target)
    triage = can(actor, "reports.triage", target)
    actions = [
        a
        for a in ACTIONS
        if lc.can(a, report.status)
        and (handle or (triage and a in ("mark_duplicate", "close_unfixed", "reject")))
    ]
    return render(
        request,
        "reports/console_report.html",
        {
            "report": report,
            "view": view,
            "category_name": category_name(category, locale),
            "urgency": _(URGENCY_LABELS.get(report.urgency, report.urgency)),
            "channel": _(CHANNEL_LABELS.get(report.channel, report.channel)),
            "attributes": attribute_rows(category, dict(report.attributes or {}), locale),
            "role_labels": {k: _(v) for k, v in ACTOR_ROLE_LABELS.items()},
            "status_text": _(STATUS_LABELS.get(report.status, report.status)),
            "status_tone": STATUS_TONES.get(report.status, "neutral"),
            "left_text": time_left_label(timedelta(seconds=view.seconds_left), _)
            if view.seconds_left is not None and lc.is_open(report.status)
            else "",
            "timeline": inbox.timeline(session, actor, report),
            "status_labels": {k: _(v) for k, v in STATUS_LABELS.items()},
            "actions": actions,
            "action_labels": {k: _(v) for k, v in ACTION_LABELS.items()},
            "can_note": can(actor, "reports.view_internal", target),
            "can_see_reporter": can(actor, "reports.view_reporter", target),
            "can_moderate": can(actor, "reports.moderate", target),
            "reporter": reporter,
            "agencies": [
                (a.code, a.name) for a in areas.list_agencies(session, include_inactive=False)
            ],
            "agency": session.get(Agency, report.agency_id) if report.agency_id else None,
        },
        face="console",
    )


def _text(form: Any, name: str, limit: int = 4000) -> str:
    return str(form.get(name, ""))[:limit]


@router.post("/{code}/act")
async def act(request: Request, code: str, session: DbSession, actor: CurrentActor) -> Response:
    form = await request.form()
    action = _text(form, "action", 30)
    report = inbox.get_by_code(session, code[:20])
    _ = translator(request_locale(request))
    try:
        _run(session, actor, report, action, form)
    except ValidationFailed as error:
        session.rollback()
        response = redirect(request, f"/console/reports/{report.code}")
        first = error.errors[0] if error.errors else None
        flash(
            request,
            response,
            first.message if first else error.message,
            level="error",
            **(first.params if first else error.params),
        )
        return response
    session.commit()
    response = redirect(request, f"/console/reports/{report.code}")
    flash(
        request,
        response,
        "Done: {action}.",
        action=_(ACTION_LABELS.get(action, action)) if action in ACTION_LABELS else action,
    )
    return response


def _run(session: DbSession, actor: Actor, report: Report, action: str, form: Any) -> None:
    if action == "accept":
        service.accept(session, actor, report)
    elif action == "start":
        service.start(session, actor, report)
    elif action == "request_info":
        service.request_info(session, actor, report, question=_text(form, "question"))
    elif action == "resolve":
        service.resolve(session, actor, report, answer=_text(form, "answer"))
    elif action == "transfer":
        service.transfer(
            session,
            actor,
            report,
            to_agency=areas.get_agency(session, _text(form, "agency", 40)),
            reason=_text(form, "transfer_reason", 1000),
        )
    elif action == "assign_agency":
        service.assign_agency(
            session,
            actor,
            report,
            agency=areas.get_agency(session, _text(form, "agency", 40)),
            reason=_text(form, "text", 1000),
        )
    elif action == "mark_duplicate":
        service.mark_duplicate(
            session, actor, report, original=inbox.get_by_code(session, _text(form, "original", 20))
        )
    elif action == "reject":
        service.reject(
            session,
            actor,
            report,
            reason=_text(form, "reject_reason", 1000),
            not_competent=_text(form, "not_competent", 5) == "1",
        )
    elif action == "close_unfixed":
        service.close_unfixed(
            session, actor, report, reason=_text(form, "close_unfixed_reason", 1000)
        )
    elif action == "note":
        service.add_note(session, actor, report, text=_text(form, "note"))
    elif action == "hide_photo":
        photo = session.get(ReportPhoto, int(_text(form, "photo_id", 20) or 0))
        if photo is None:
            raise NotFound("No such photo.")
        service.hide(
            session,
            actor,
            report,
            reason=_text(form, "photo_reason", 1000) or "Hidden by a moderator.",
            photo=photo,
            hidden=not photo.is_hidden,
        )
    elif action == "hide":
        service.hide(
            session,
            actor,
            report,
            reason=_text(form, "hide_reason", 1000),
            hidden=not report.is_hidden,
        )
    else:
        raise NotFound("No such action.")


def _period(period: str) -> tuple[datetime, datetime]:
    now = utcnow()
    days = {"30d": 30, "90d": 90, "365d": 365}.get(period, 365)
    end = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return end - timedelta(days=days), end
