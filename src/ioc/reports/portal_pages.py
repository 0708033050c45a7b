"""The citizen's pages: file a report, follow it, answer the agency, rate and reopen; the
public list and map of reports."""

from __future__ import annotations

import json
import math
import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ioc.areas import service as areas
from ioc.areas.models import Agency
from ioc.config import Settings
from ioc.db import utcnow
from ioc.errors import Conflict, IocError, NotFound, ValidationFailed
from ioc.kit.geo import haversine_m
from ioc.kit.i18n import translator
from ioc.kit.permissions import Actor
from ioc.kit.storage import FileStore
from ioc.reports import deadlines, duplicates, following, inbox, queries, service
from ioc.reports import lifecycle as lc
from ioc.reports.configuration import get_category, list_categories
from ioc.reports.history import REOPEN_DAYS, is_reporter
from ioc.reports.intake import submit
from ioc.reports.models import Category, Report, ReportPhoto
from ioc.reports.presenters import (
    GROUP_LABELS,
    STATUS_LABELS,
    STATUS_TONES,
    category_name,
    status_label,
    time_left_label,
)
from ioc.reports.schemas import MAX_PHOTOS, ReportInput
from ioc.web.deps import AppSettings, CurrentActor, DbSession, request_locale, run_unit_of_work
from ioc.web.templating import flash, redirect, render

router = APIRouter(include_in_schema=False)
PHOTO_READ_LIMIT = 12 * 1024 * 1024


def _grouped_categories(categories: list[Category], locale: str, _: Any) -> list[dict[str, Any]]:
    groups: dict[str, list[Category]] = {}
    for c in categories:
        groups.setdefault(c.group, []).append(c)
    return [
        {
            "label": _(GROUP_LABELS.get(g, g)),
            "items": [
                {"code": c.code, "name": category_name(c, locale), "search": c.search_key}
                for c in items
            ],
        }
        for g, items in groups.items()
    ]


def _form(
    request: Request,
    session: DbSession,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    *,
    staff_intake: bool = False,
) -> Response:
    locale = request_locale(request)
    _ = translator(locale)
    categories = list(list_categories(session, include_inactive=False))
    return render(
        request,
        "reports/new.html",
        {
            "values": values,
            "errors": errors,
            "staff_intake": staff_intake,
            "form_action": "/console/reports/new" if staff_intake else "/reports/new",
            "groups": _grouped_categories(categories, locale, _),
            "communes": [(c.code, c.name) for c in areas.communes(session)],
            "max_photos": MAX_PHOTOS,
        },
        face="console" if staff_intake else "portal",
        status_code=status_code,
    )


@router.get("/reports/new")
def new_report(
    request: Request, session: DbSession, actor: CurrentActor, category: str = ""
) -> Response:
    return _form(
        request,
        session,
        actor,
        {"category_code": category[:60], "idempotency_key": uuid.uuid4().hex},
        {},
    )


def _float(value: object, field: str, errors: dict[str, str], _: Any) -> float | None:
    text = str(value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        errors[field] = _("Enter a number.")
        return None


@router.post("/reports/new")
async def create_report(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    return await handle_submission(request, session, actor, settings, channel="web")


async def handle_submission(
    request: Request, session: Session, actor: Actor, settings: Settings, *, channel: str
) -> Response:
    """The form's POST, for the citizen app ("web") and the console's hotline intake."""
    staff = channel == "hotline"
    locale = request_locale(request)
    _ = translator(locale)
    form = await request.form()
    values: dict[str, Any] = {
        k: str(v)[:4000] for k, v in form.items() if not isinstance(v, UploadFile)
    }
    errors: dict[str, str] = {}
    lat = _float(form.get("lat"), "lat", errors, _)
    lon = _float(form.get("lon"), "lon", errors, _)
    photos: list[bytes] = []
    for upload in form.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            photos.append(await upload.read(PHOTO_READ_LIMIT))
    attributes = {
        key[10:-1]: str(value)
        for key, value in form.items()
        if key.startswith("attribute[") and key.endswith("]") and str(value)
    }

    # A report kept on the phone (outbox.js) is sent by a script that wants JSON, not pages.
    outbox = request.headers.get("x-ioc-outbox", "") if not staff else ""

    def again(fields: dict[str, str]) -> Response:
        if outbox:
            return JSONResponse(
                {"message": _("Please check the fields marked."), "errors": fields},
                status_code=422,
            )
        return _form(request, session, actor, values, fields, 422, staff_intake=staff)

    if errors:
        return again(errors)
    try:
        data = ReportInput(
            category_code=values.get("category_code", ""),
            description=values.get("description", ""),
            lat=lat,
            lon=lon,
            address=values.get("address", "")[:300],
            area_code=values.get("area_code") or None,
            reporter_name=values.get("reporter_name", "")[:200],
            reporter_phone=values.get("reporter_phone", "")[:20],
            reporter_email=values.get("reporter_email", "")[:254],
            anonymous=values.get("anonymous") == "1",
            attributes=attributes,
            idempotency_key=values.get("idempotency_key", "")[:100] or None,
        )
    except ValidationError as error:
        # Name the field: the category is the one a person most often forgets.
        invalid: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "description"
            message = (
                "Choose a category."
                if field == "category_code"
                else "Please check the fields marked."
            )
            invalid.setdefault(field, _(message))
        return again(invalid)
    store = FileStore(settings.files_dir)

    def _submit() -> Report:
        return submit(
            session,
            actor,
            data,
            channel=channel,
            photos=photos,
            store=store,
            max_photo_bytes=settings.max_upload_mb * 1024 * 1024,
            max_pixels=settings.max_image_pixels,
        )

    try:
        report = await run_unit_of_work(session, _submit)
    except ValidationFailed as error:
        fields = {e.field: _(e.message, **e.params) for e in error.errors}
        return again(fields or {"description": _(error.message, **error.params)})
    target = f"/console/reports/{report.code}" if staff else f"/reports/{report.code}"
    if outbox:
        response: Response = JSONResponse({"code": report.code, "url": target}, status_code=201)
        if outbox == "interactive":  # the person is waiting on the form: tell them on arrival
            flash(request, response, "Your report {code} has been sent.", code=report.code)
        return response
    response = redirect(request, target)
    flash(request, response, "Your report {code} has been sent.", code=report.code)
    return response


@router.get("/reports/nearby")
def nearby(
    request: Request,
    session: DbSession,
    category: str = "",
    lat: float | None = None,
    lon: float | None = None,
    text: str = "",
) -> Response:
    """Open reports of the same kind close by, shown before the citizen sends a duplicate."""
    found: list[duplicates.NearbyReport] = []
    if category and lat is not None and lon is not None:
        try:
            cat = get_category(session, category[:60])
            found = duplicates.nearby_open(
                session, category_id=cat.id, lat=lat, lon=lon, text=text[:500]
            )
        except IocError:
            found = []
    _ = translator(request_locale(request))
    return render(
        request,
        "reports/_nearby.html",
        {"found": found, "status_labels": {k: _(v) for k, v in STATUS_LABELS.items()}},
    )


def _load(session: DbSession, code: str) -> Report:
    report = inbox.get_by_code(session, code[:20])
    if report.is_hidden:
        raise NotFound("No such report.")
    return report


# --- reports near me / in my commune (public_list and map_layer) ---------------------------

NEAR_RADII = (500, 1000, 2000, 5000, 10000)  # metres offered to the citizen
NEAR_DEFAULT_M = 2000
NEAR_MAX_ROWS = 500  # nearest first; a radius never lists more than this
COMMUNE_COOKIE = "ioc_commune"  # set from the citizen's profile or on /notices


def _near_point(
    lat: float | None, lon: float | None, radius: int
) -> tuple[float, float, int] | None:
    """A position the browser gave, if it is a real one near the province (else ignored)."""
    if lat is None or lon is None or not (20.0 <= lat <= 23.5 and 104.5 <= lon <= 107.5):
        return None
    return lat, lon, min(NEAR_RADII, key=lambda r: abs(r - radius))


def _near_bbox(near: tuple[float, float, int]) -> queries.Bbox:
    lat, lon, radius = near
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(0.2, math.cos(math.radians(lat))))
    return queries.Bbox(south=lat - dlat, west=lon - dlon, north=lat + dlat, east=lon + dlon)


def _by_distance(
    rows: list[queries.ReportRow], near: tuple[float, float, int]
) -> list[tuple[queries.ReportRow, float]]:
    """The rows within the radius (the bounding box is a square), nearest first."""
    lat, lon, radius = near
    out = [
        (row, haversine_m((lat, lon), (row.report.lat, row.report.lon)))
        for row in rows
        if row.report.lat is not None and row.report.lon is not None
    ]
    return sorted(
        ((row, d) for row, d in out if d <= radius), key=lambda item: (item[1], item[0].report.id)
    )


def _excerpt(text: str, length: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@router.get("/reports/map.geojson")
def map_layer(
    session: DbSession,
    status: str = "open",
    category: str = "",
    area: str = "",
    lat: float | None = None,
    lon: float | None = None,
    radius: int = NEAR_DEFAULT_M,
) -> Response:
    """Public, moderated reports of the last year as map points (no personal data), with the
    agency's answer; near a position (``lat``, ``lon``, ``radius`` in metres) when given."""
    statuses = {"open": sorted(lc.OPEN), "resolved": [lc.RESOLVED, lc.CLOSED]}.get(status, [])
    cats = {c.code: c.id for c in list_categories(session, include_inactive=False)}
    near = _near_point(lat, lon, radius)
    f = queries.ReportFilter(
        statuses=statuses,
        area_codes=[area[:10]] if area else [],
        category_ids=[cats[category]] if category in cats else [],
        submitted_from=utcnow() - timedelta(days=365),
        bbox=_near_bbox(near) if near else None,
    )
    rows = queries.list_reports(session, f, limit=3000)
    if near:
        rows = [row for row, _d in _by_distance(rows, near)]
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [round(r.report.lon, 5), round(r.report.lat, 5)],
            },
            "properties": {
                "title": f"{r.report.code} · {r.category.name_vi}"
                + (f" — {_excerpt(r.report.public_answer, 100)}" if r.report.public_answer else ""),
                "status": r.report.status,
                "answer": _excerpt(r.report.public_answer, 300),
                "href": f"/reports/{r.report.code}",
            },
        }
        for r in rows
        if r.report.lat is not None and r.report.lon is not None
    ]
    return Response(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.get("/reports/{code}")
def report_page(request: Request, code: str, session: DbSession, actor: CurrentActor) -> Response:
    locale = request_locale(request)
    _ = translator(locale)
    report = _load(session, code)
    category = session.get(Category, report.category_id)
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    now = utcnow()
    cal = deadlines.calendar(session)
    left = deadlines.time_left(cal, report, now) if lc.is_open(report.status) else None
    photos = session.scalars(
        select(ReportPhoto).where(
            ReportPhoto.report_id == report.id, ReportPhoto.is_hidden.is_(False)
        )
    ).all()
    mine = is_reporter(actor, report)
    timeline = inbox.timeline(session, actor, report)
    # The agency's latest question, shown with the answer box rather than only in the history.
    question = next(
        (e.public_text for e in reversed(timeline) if e.to_status == lc.WAITING and e.public_text),
        None,
    )
    reopen_until = report.resolved_at and (now - report.resolved_at).days < REOPEN_DAYS
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "category_name": category_name(category, locale),
            # A question or suggestion (no place needed) is not called "the problem".
            "is_question": category is not None and not category.location_required,
            "agency": agency,
            "status_text": status_label(report.status, _),
            "status_tone": STATUS_TONES.get(report.status, "neutral"),
            "due": deadlines.current_due(report) if lc.is_open(report.status) else None,
            "left_text": time_left_label(left, _),
            "overdue": deadlines.is_overdue(report, now),
            "timeline": timeline,
            "question": question,
            "photos": photos,
            "status_labels": {k: _(v) for k, v in STATUS_LABELS.items()},
            "mine": mine,
            "following": following.is_following(session, actor, report),
            "can_rate": mine and report.status in (lc.RESOLVED, lc.CLOSED) and not report.rating,
            "can_reopen": mine and report.status == lc.RESOLVED and bool(reopen_until),
            "can_inform": mine and report.status == lc.WAITING,
        },
    )


def _reporter_action(request: Request, code: str, message: str, **params: Any) -> Response:
    response = redirect(request, f"/reports/{code}")
    flash(request, response, message, **params)
    return response


@router.post("/reports/{code}/follow")
def follow(request: Request, code: str, session: DbSession, actor: CurrentActor) -> Response:
    following.follow(session, actor, _load(session, code))
    return _reporter_action(request, code, "You are following this report.")


async def _reporter_attempt(
    request: Request,
    session: Session,
    code: str,
    work: Any,
    done: str,
    *,
    missing: str | None = None,
) -> Response:
    """Run one of the reporter's actions; a refusal (a missing answer, a rating out of range,
    the reopening time passed) comes back to the report page as a message, not an error page."""
    if missing is not None:
        response = redirect(request, f"/reports/{code}")
        flash(request, response, missing, level="error")
        return response
    try:
        await run_in_threadpool(work)
    except (ValidationFailed, Conflict) as error:
        session.rollback()
        response = redirect(request, f"/reports/{code}")
        flash(request, response, error.message, level="error", **error.params)
        return response
    return _reporter_action(request, code, done)


@router.post("/reports/{code}/info")
async def provide_info(
    request: Request, code: str, session: DbSession, actor: CurrentActor
) -> Response:
    form = await request.form()
    report = _load(session, code)
    text = str(form.get("text", ""))[:4000]
    return await _reporter_attempt(
        request,
        session,
        code,
        lambda: service.provide_info(session, actor, report, text=text),
        "Thank you: the agency has your information.",
        missing=None if text.strip() else "Write the information the agency asked for.",
    )


@router.post("/reports/{code}/rate")
async def rate(request: Request, code: str, session: DbSession, actor: CurrentActor) -> Response:
    form = await request.form()
    report = _load(session, code)
    try:
        rating = int(str(form.get("rating", "0")))
    except ValueError:
        rating = 0
    comment = str(form.get("comment", ""))[:1000]
    return await _reporter_attempt(
        request,
        session,
        code,
        lambda: service.rate(session, actor, report, rating=rating, comment=comment),
        "Thank you for rating the answer.",
    )


@router.post("/reports/{code}/reopen")
async def reopen(request: Request, code: str, session: DbSession, actor: CurrentActor) -> Response:
    form = await request.form()
    report = _load(session, code)
    reason = str(form.get("reason", ""))[:1000]
    return await _reporter_attempt(
        request,
        session,
        code,
        lambda: service.reopen(session, actor, report, reason=reason),
        "Reopened: the agency has been told it is not fixed.",
        missing=None if reason.strip() else "Say what is still wrong, so the agency can fix it.",
    )


@router.get("/reports")
def public_list(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    status: str = "",
    category: str = "",
    area: str = "",
    page: int = 1,
    lat: float | None = None,
    lon: float | None = None,
    radius: int = NEAR_DEFAULT_M,
) -> Response:
    """Reports in the province, in a commune (``area``; the visitor's own from the
    ``ioc_commune`` cookie is offered), or near a position the browser gave, nearest first."""
    locale = request_locale(request)
    _ = translator(locale)
    page = max(1, min(page, 1000))
    statuses = {"open": sorted(lc.OPEN), "resolved": [lc.RESOLVED, lc.CLOSED], "": []}.get(
        status, []
    )
    cats = {c.code: c for c in list_categories(session, include_inactive=False)}
    communes = [(c.code, c.name) for c in areas.communes(session)]
    names = dict(communes)
    area = area[:10] if area in names else ""
    near = _near_point(lat, lon, radius)
    f = queries.ReportFilter(
        statuses=statuses,
        area_codes=[area] if area else [],
        category_ids=[cats[category].id] if category in cats else [],
        bbox=_near_bbox(near) if near else None,
    )
    distances: dict[str, float] = {}
    if near:
        found = _by_distance(queries.list_reports(session, f, limit=NEAR_MAX_ROWS * 4), near)
        found = found[:NEAR_MAX_ROWS]
        total = len(found)
        rows = [row for row, _d in found[(page - 1) * 20 : page * 20]]
        distances = {row.report.code: d for row, d in found}
    else:
        rows = queries.list_reports(session, f, limit=20, offset=(page - 1) * 20)
        total = queries.count_reports(session, f)
    my_commune = request.cookies.get(COMMUNE_COOKIE, "")
    return render(
        request,
        "reports/list.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, (total + 19) // 20),
            "status": status,
            "category": category,
            "area": area,
            "near": near,
            "radii": NEAR_RADII,
            "radius": near[2] if near else NEAR_DEFAULT_M,
            "distances": distances,
            "my_commune": my_commune if my_commune in names else "",
            "my_commune_name": names.get(my_commune, ""),
            "categories": [(c.code, category_name(c, locale)) for c in cats.values()],
            "communes": communes,
            "status_labels": {k: _(v) for k, v in STATUS_LABELS.items()},
            "status_tones": STATUS_TONES,
            "locale": locale,
        },
    )


@router.get("/me/reports")
def my_reports(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    locale = request_locale(request)
    _ = translator(locale)
    reports = following.my_reports(session, actor)
    now = utcnow()
    cal = deadlines.calendar(session)
    categories = {c.id: c for c in list_categories(session, include_inactive=True)}
    rows = []
    for r in reports:
        is_open = lc.is_open(r.status)
        mine = r.reporter_user_id == actor.user_id
        rows.append(
            {
                "report": r,
                "category": category_name(categories[r.category_id], locale)
                if r.category_id in categories
                else "",
                "left_text": time_left_label(deadlines.time_left(cal, r, now), _)
                if is_open
                else "",
                "overdue": is_open and deadlines.is_overdue(r, now),
                # What the person can do now, shown on the card so it is not missed.
                "todo": (
                    _("The agency needs more information from you")
                    if mine and r.status == lc.WAITING
                    else _("Rate the answer")
                    if mine and r.status in (lc.RESOLVED, lc.CLOSED) and not r.rating
                    else ""
                ),
                "mine": mine,
            }
        )
    return render(
        request,
        "reports/mine.html",
        {
            "rows": rows,
            "status_labels": {k: _(v) for k, v in STATUS_LABELS.items()},
            "status_tones": STATUS_TONES,
        },
    )


@router.get("/reports/photos/{photo_id}/{size}")
@router.get("/reports/photos/{photo_id}")
def photo(
    photo_id: int,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    size: str = "full",
) -> Response:
    """Photos are served through the app, not as static files, so hidden ones stay hidden.
    They were re-encoded without EXIF/GPS when received."""
    row = session.get(ReportPhoto, photo_id)
    if row is None or size not in ("thumb", "full"):
        raise NotFound("No such photo.")
    report = session.get(Report, row.report_id)
    staff = actor.has_role("officer", "agency_head", "operator", "leader", "administrator")
    if report is None or ((row.is_hidden or report.is_hidden) and not staff):
        raise NotFound("No such photo.")
    key = row.thumb_key if size == "thumb" else row.key
    data = FileStore(settings.files_dir).read(key)
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )
