"""Officers' pages in the console: write, preview, publish and withdraw notices and news;
publish and end emergency alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from ioc.areas import service as areas
from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.errors import ValidationFailed
from ioc.kit.i18n import translator
from ioc.kit.permissions import Actor, can, require
from ioc.kit.storage import FileStore
from ioc.notices import service
from ioc.notices.models import ALERT_SEVERITIES, Notice
from ioc.notices.sanitize import sanitize_html
from ioc.web.deps import AppSettings, CurrentActor, DbSession, client_ip, request_locale
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/console/notices", include_in_schema=False)
IMAGE_READ_LIMIT = 12 * 1024 * 1024
STATUS_LABELS = {"draft": "Draft", "published": "Published", "withdrawn": "Withdrawn"}
STATUS_TONES = {"draft": "neutral", "published": "success", "withdrawn": "warning"}
KIND_LABELS = {"notice": "Announcement", "news": "News"}
SEVERITY_LABELS = {
    "information": "Information",
    "warning": "Warning",
    "danger": "Danger",
    "extreme": "Extreme",
}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _local_tz(settings: AppSettings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def parse_local(value: str, field: str, tz: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` field (the province's local time) as an aware UTC time."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        local = datetime.strptime(value[:16], LOCAL_FORMAT)
    except ValueError:
        raise ValidationFailed(
            "Enter a date and time, e.g. 25/12/2026 08:00.", field=field
        ) from None
    return local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))


def to_local(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime(LOCAL_FORMAT) if value else ""


def _agency_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    own = sorted(actor.agency_codes())
    if can(actor, "notices.publish", service.AgencyTarget(None)):
        agencies = areas.list_agencies(session, include_inactive=False)
        return [(a.code, a.name) for a in agencies if a.kind != "commune_committee"] + [
            (a.code, a.name) for a in agencies if a.kind == "commune_committee"
        ]
    rows = session.scalars(select(Agency).where(Agency.code.in_(own))).all()
    return [(a.code, a.name) for a in rows]


def _notice_form(
    request: Request,
    session: Session,
    actor: Actor,
    settings: AppSettings,
    *,
    notice: Notice | None,
    values: dict[str, Any],
    errors: dict[str, str],
    preview: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request_locale(request))
    return render(
        request,
        "notices/console_form.html",
        {
            "notice": notice,
            "values": values,
            "errors": errors,
            "preview": Markup(preview) if preview is not None else None,
            "agency_choices": _agency_choices(session, actor),
            "communes": [(c.code, c.name) for c in areas.communes(session)],
            "kind_choices": [(k, _(v)) for k, v in KIND_LABELS.items()],
        },
        face="console",
        status_code=status_code,
    )


def _values_of(session: Session, notice: Notice, tz: ZoneInfo) -> dict[str, Any]:
    agency = session.get(Agency, notice.agency_id) if notice.agency_id else None
    return {
        "kind": notice.kind,
        "title": notice.title,
        "summary": notice.summary,
        "body": notice.body_html,
        "image_alt": notice.image_alt,
        "agency": agency.code if agency else "",
        "areas": service.notice_areas(session, notice),
        "publish_at": to_local(notice.publish_at, tz),
        "expires_at": to_local(notice.expires_at, tz),
    }


@router.get("")
def notice_index(
    request: Request, session: DbSession, actor: CurrentActor, status: str = ""
) -> Response:
    require(actor, "notices.publish")
    _ = translator(request_locale(request))
    status = status if status in STATUS_LABELS else ""
    notices = service.staff_notices(session, actor, status=status)
    agency_ids = {n.agency_id for n in notices if n.agency_id}
    agencies = {
        a.id: a.short_name or a.name
        for a in session.scalars(select(Agency).where(Agency.id.in_(agency_ids))).all()
    }
    return render(
        request,
        "notices/console_list.html",
        {
            "notices": notices,
            "status": status,
            "agencies": agencies,
            "now": utcnow(),
            "status_labels": {k: _(v) for k, v in STATUS_LABELS.items()},
            "status_tones": STATUS_TONES,
            "kind_labels": {k: _(v) for k, v in KIND_LABELS.items()},
        },
        face="console",
    )


@router.get("/new")
def new_notice(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    require(actor, "notices.publish")
    own = sorted(actor.agency_codes())
    values: dict[str, Any] = {"kind": "notice", "areas": [], "agency": own[0] if own else ""}
    return _notice_form(request, session, actor, settings, notice=None, values=values, errors={})


async def _read_notice_form(form: FormData, tz: ZoneInfo) -> tuple[dict[str, Any], bytes | None]:
    values: dict[str, Any] = {
        k: str(v)[:100_000] for k, v in form.items() if not isinstance(v, UploadFile)
    }
    values["areas"] = [str(v)[:10] for v in form.getlist("areas") if isinstance(v, str)][:200]
    image = None
    upload = form.get("image")
    if isinstance(upload, UploadFile) and upload.filename:
        image = await upload.read(IMAGE_READ_LIMIT)
    return values, image


def _input(values: dict[str, Any], image: bytes | None, tz: ZoneInfo) -> service.NoticeInput:
    errors: list[ValidationFailed] = []
    times: dict[str, datetime | None] = {}
    for name in ("publish_at", "expires_at"):
        try:
            times[name] = parse_local(values.get(name, ""), name, tz)
        except ValidationFailed as error:
            errors.append(error)
            times[name] = None
    if errors:
        raise ValidationFailed(
            "Please check the fields marked.", errors=[e for x in errors for e in x.errors]
        )
    return service.NoticeInput(
        kind=values.get("kind", "notice"),
        title=values.get("title", ""),
        summary=values.get("summary", ""),
        body=values.get("body", ""),
        agency_code=values.get("agency", ""),
        area_codes=values.get("areas", []),
        publish_at=times["publish_at"],
        expires_at=times["expires_at"],
        image_alt=values.get("image_alt", ""),
        image=image,
    )


async def _save(
    request: Request,
    session: Session,
    actor: Actor,
    settings: AppSettings,
    notice: Notice | None,
) -> Response:
    require(actor, "notices.publish")
    if notice is not None:
        service._require_manage(session, actor, notice)
    tz = _local_tz(settings)
    _ = translator(request_locale(request))
    form = await request.form()
    values, image = await _read_notice_form(form, tz)
    action = values.get("action", "save")
    if action == "preview":
        # The form comes back with the text as it will be kept, so the officer sees what the
        # sanitiser removed.
        values["body"] = sanitize_html(values.get("body", ""))
        return _notice_form(
            request,
            session,
            actor,
            settings,
            notice=notice,
            values=values,
            errors={},
            preview=values["body"],
        )
    store = FileStore(settings.files_dir)

    def work() -> Notice:
        data = _input(values, image, tz)
        saved = service.save_notice(
            session,
            actor,
            data,
            notice=notice,
            store=store,
            max_photo_bytes=settings.max_upload_mb * 1024 * 1024,
            max_pixels=settings.max_image_pixels,
            ip=client_ip(request),
        )
        if action == "publish" and saved.status == "draft":
            service.publish(session, actor, saved, ip=client_ip(request))
        return saved

    try:
        saved = await run_in_threadpool(work)
    except ValidationFailed as error:
        session.rollback()
        fields = {e.field: _(e.message, **e.params) for e in error.errors} or {
            "_form": _(error.message, **error.params)
        }
        return _notice_form(
            request,
            session,
            actor,
            settings,
            notice=notice,
            values=values,
            errors=fields,
            status_code=422,
        )
    response = redirect(request, f"/console/notices/{saved.id}")
    if saved.status == "published":
        flash(request, response, "The notice is published.")
    else:
        flash(request, response, "The notice is saved.")
    return response


@router.post("/new")
async def create_notice(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    return await _save(request, session, actor, settings, None)


@router.get("/alerts")
def alert_index(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    require(actor, "notices.alert")
    tz = _local_tz(settings)
    now = utcnow()
    return _alerts_page(
        request,
        session,
        actor,
        values={
            "severity": "warning",
            "areas": [],
            "starts_at": to_local(now, tz),
            "ends_at": to_local(now + timedelta(hours=24), tz),
        },
        errors={},
    )


def _alerts_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    _ = translator(request_locale(request))
    communes = list(areas.communes(session))
    return render(
        request,
        "notices/console_alerts.html",
        {
            "alerts": service.alert_list(session, actor),
            "names": {c.code: c.name for c in communes},
            "communes": [(c.code, c.name) for c in communes],
            "values": values,
            "errors": errors,
            "now": utcnow(),
            "severity_choices": [(s, _(SEVERITY_LABELS[s])) for s in ALERT_SEVERITIES],
            "severity_labels": {k: _(v) for k, v in SEVERITY_LABELS.items()},
        },
        face="console",
        status_code=status_code,
    )


@router.post("/alerts")
async def create_alert(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    require(actor, "notices.alert")
    tz = _local_tz(settings)
    _ = translator(request_locale(request))
    form = await request.form()
    values: dict[str, Any] = {k: str(v)[:2000] for k, v in form.items() if isinstance(v, str)}
    values["areas"] = [str(v)[:10] for v in form.getlist("areas") if isinstance(v, str)][:200]

    def work() -> None:
        errors = []
        times: dict[str, datetime | None] = {}
        for name in ("starts_at", "ends_at"):
            try:
                times[name] = parse_local(values.get(name, ""), name, tz)
            except ValidationFailed as error:
                errors.extend(error.errors)
                times[name] = None
        if errors:
            raise ValidationFailed("Please check the fields marked.", errors=errors)
        service.publish_alert(
            session,
            actor,
            service.AlertInput(
                title=values.get("title", ""),
                message=values.get("message", ""),
                severity=values.get("severity", ""),
                area_codes=values["areas"],
                starts_at=times["starts_at"],
                ends_at=times["ends_at"],
                agency_code=values.get("agency", ""),
            ),
            ip=client_ip(request),
        )

    try:
        await run_in_threadpool(work)
    except ValidationFailed as error:
        session.rollback()
        fields = {e.field: _(e.message, **e.params) for e in error.errors} or {
            "_form": _(error.message, **error.params)
        }
        return _alerts_page(request, session, actor, values=values, errors=fields, status_code=422)
    response = redirect(request, "/console/notices/alerts")
    flash(request, response, "The emergency alert is published.")
    return response


@router.post("/alerts/{alert_id}/end")
def end_alert(request: Request, alert_id: int, session: DbSession, actor: CurrentActor) -> Response:
    service.end_alert(session, actor, alert_id, ip=client_ip(request))
    response = redirect(request, "/console/notices/alerts")
    flash(request, response, "The emergency alert has ended.")
    return response


@router.get("/{notice_id}")
def edit_notice(
    request: Request,
    notice_id: int,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
) -> Response:
    require(actor, "notices.publish")
    notice = service.get_notice(session, notice_id)
    service._require_manage(session, actor, notice)
    return _notice_form(
        request,
        session,
        actor,
        settings,
        notice=notice,
        values=_values_of(session, notice, _local_tz(settings)),
        errors={},
        preview=sanitize_html(notice.body_html),
    )


@router.post("/{notice_id}")
async def update_notice(
    request: Request,
    notice_id: int,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
) -> Response:
    require(actor, "notices.publish")
    notice = service.get_notice(session, notice_id)
    return await _save(request, session, actor, settings, notice)


@router.post("/{notice_id}/withdraw")
async def withdraw_notice(
    request: Request, notice_id: int, session: DbSession, actor: CurrentActor
) -> Response:
    form = await request.form()
    reason = str(form.get("reason", ""))[:500]

    def work() -> None:
        notice = service.get_notice(session, notice_id)
        service.withdraw(session, actor, notice, reason=reason, ip=client_ip(request))

    await run_in_threadpool(work)
    response = redirect(request, f"/console/notices/{notice_id}")
    flash(request, response, "The notice is withdrawn.")
    return response
