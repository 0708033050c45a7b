"""JSON API for reports at /api/v1 (the citizen app, the console, other systems).

Thin routes: parse, call the service, return its shape. Permissions are the service's; the
public shape never carries the reporter (schemas.ReportPublic), and internal fields appear only
for an actor holding reports.view_internal for that very report (another agency's officer sees
the public view). Errors are the app's JSON error shape (web/error_pages.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ioc.areas.service import get_agency
from ioc.db import utcnow
from ioc.errors import NotAuthenticated
from ioc.kit.permissions import Actor, can, require
from ioc.reports import duplicates, lifecycle, queries, service
from ioc.reports.history import target_of
from ioc.reports.models import Report
from ioc.reports.open311_render import attribute_specs
from ioc.reports.schemas import (
    IDEMPOTENCY_KEY_MAX,
    ReportInput,
    ReportPublic,
    ReportStaff,
    TimelineEntry,
)
from ioc.web.deps import CurrentActor, DbSession


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorOut(BaseModel):
    """The app's JSON error shape (web/error_pages.py)."""

    error: ErrorBody


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in codes}


# Every route may refuse its input (422); routes naming a report may not find it (404); writes
# need someone signed in (401) with the right (403), in the right state (409).
router = APIRouter(prefix="/api/v1", tags=["reports"], responses=_errors(422))
ONE = _errors(404)
WRITE = _errors(401, 403, 404, 409, 429)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
CodePath = Annotated[str, Path(max_length=20, description="Public code, e.g. PA-2026-000123")]
ReportView = ReportStaff | ReportPublic


# --- shapes of this API only ------------------------------------------------------------------


class AttributeValueOut(BaseModel):
    key: str
    name_vi: str = ""
    name_en: str = ""


class AttributeOut(BaseModel):
    code: str
    datatype: str
    required: bool
    order: int
    description_vi: str = ""
    description_en: str = ""
    values: list[AttributeValueOut] = []


class CategoryOut(BaseModel):
    code: str
    group: str
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    keywords: str
    default_urgency: str
    allow_anonymous: bool
    # False: a question or suggestion filed without a place (the commune is optional).
    location_required: bool
    attributes: list[AttributeOut]


class ReportPage(BaseModel):
    items: list[ReportPublic]
    page: int
    page_size: int
    # A count over millions of rows on every page turn is not worth its cost; a page tells
    # whether another follows instead.
    has_more: bool


class NearbyOut(BaseModel):
    code: str
    distance_m: float
    similarity: float
    status: str
    submitted_at: datetime
    excerpt: str


class ReasonIn(BaseModel):
    reason: str = Field(max_length=1000)


class AnswerIn(BaseModel):
    answer: str = Field(max_length=4000)


class QuestionIn(BaseModel):
    question: str = Field(max_length=4000)


class TextIn(BaseModel):
    text: str = Field(max_length=4000)


class TransferIn(BaseModel):
    agency_code: str = Field(max_length=40)
    reason: str = Field(max_length=1000)


class DuplicateIn(BaseModel):
    original_code: str = Field(max_length=20)


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)


# --- helpers --------------------------------------------------------------------------------


def _view(session: Session, actor: Actor, report: Report) -> ReportView:
    """The staff view for staff of this report, else the public one (NotFound if hidden)."""
    if can(actor, "reports.view_internal", target_of(session, report)):
        return service.staff_view(session, actor, report)
    return service.public_view(session, report, actor=actor)


# The filters' grammar is in the OpenAPI document (patterns), so a client can know what is
# valid; a valid filter that matches nothing (an unknown category, an empty box) is an empty
# page, not an error.
_STATUS_WORD = "|".join(("open", "closed", *lifecycle.STATUSES))
STATUS_PATTERN = rf"^(({_STATUS_WORD})(,({_STATUS_WORD}))*)?$"
_NUMBER = r"-?\d{1,3}(\.\d{1,17})?"
BBOX_PATTERN = rf"^({_NUMBER}(,{_NUMBER}){{3}})?$"


def _statuses(raw: str) -> list[str]:
    """Our statuses, or Open311's open/closed (which stand for several of ours)."""
    out: list[str] = []
    for word in (w for w in raw.split(",") if w):
        if word in lifecycle.STATUSES:
            out.append(word)
        else:
            out += [s for s in lifecycle.STATUSES if lifecycle.open311_status(s) == word]
    return out


def _bbox(raw: str) -> queries.Bbox | None:
    if not raw:
        return None
    west, south, east, north = (float(p) for p in raw.split(","))
    return queries.Bbox(south=south, west=west, north=north, east=east)


# --- read -------------------------------------------------------------------------------------


@router.get("/categories", response_model=list[CategoryOut], summary="Report categories")
def list_categories(session: DbSession) -> list[CategoryOut]:
    out = []
    for c in queries.active_categories(session):
        out.append(
            CategoryOut(
                code=c.code,
                group=c.group,
                name_vi=c.name_vi,
                name_en=c.name_en,
                description_vi=c.description_vi,
                description_en=c.description_en,
                keywords=c.keywords,
                default_urgency=c.default_urgency,
                allow_anonymous=c.allow_anonymous,
                location_required=c.location_required,
                attributes=[
                    AttributeOut.model_validate(
                        {**a, "order": int(a.get("order") or i), "values": a.get("values") or []}
                    )
                    for i, a in enumerate(attribute_specs(c), start=1)
                ],
            )
        )
    return out


@router.get("/reports", response_model=ReportPage, summary="Public list of reports")
def list_reports(
    session: DbSession,
    status: Annotated[
        str,
        Query(
            max_length=300,
            pattern=STATUS_PATTERN,
            description="Statuses, or open/closed, comma separated",
        ),
    ] = "",
    category: Annotated[
        str, Query(max_length=600, description="Category codes, comma separated")
    ] = "",
    area_code: Annotated[str, Query(max_length=10)] = "",
    bbox: Annotated[
        str,
        Query(
            max_length=100,
            pattern=BBOX_PATTERN,
            description="west,south,east,north in degrees (WGS 84)",
        ),
    ] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> ReportPage:
    """Newest first; hidden reports are left out (moderation)."""
    codes = [c.strip() for c in category.split(",") if c.strip()]
    known = queries.category_ids_for(session, codes)
    box = _bbox(bbox)
    empty = (codes and not known) or (
        box is not None and (box.west > box.east or box.south > box.north)
    )
    rows: list[queries.ReportRow] = []
    if not empty:
        f = queries.ReportFilter(
            category_ids=sorted(known.values()),
            statuses=_statuses(status),
            area_codes=(area_code,) if area_code else (),
            bbox=box,
        )
        offset = (page - 1) * page_size
        rows = queries.list_reports(session, f, limit=page_size + 1, offset=offset)
    return ReportPage(
        items=queries.public_views(session, rows[:page_size]),
        page=page,
        page_size=page_size,
        has_more=len(rows) > page_size,
    )


@router.get(
    "/reports/nearby",
    response_model=list[NearbyOut],
    summary="Open reports of a category nearby (duplicate suggestions)",
)
def nearby(
    session: DbSession,
    category: Annotated[str, Query(max_length=60)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    text: Annotated[str, Query(max_length=4000)] = "",
) -> list[NearbyOut]:
    found = queries.category_by_code(session, category)
    if found is None:
        return []  # no open report can be of a category that does not exist
    rows = duplicates.nearby_open(session, category_id=found.id, lat=lat, lon=lon, text=text)
    return [NearbyOut.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/reports/{code}",
    response_model=ReportView,
    summary="One report (the staff view for staff of the report)",
    responses=ONE,
)
def get_report(session: DbSession, actor: CurrentActor, code: CodePath) -> ReportView:
    return _view(session, actor, service.get_by_code(session, code))


@router.get(
    "/reports/{code}/timeline",
    response_model=list[TimelineEntry],
    summary="What happened to a report (internal notes for its staff only)",
    responses=ONE,
)
def get_timeline(session: DbSession, actor: CurrentActor, code: CodePath) -> list[TimelineEntry]:
    return service.timeline(session, actor, service.get_by_code(session, code))


# --- write ------------------------------------------------------------------------------------


@router.post(
    "/reports",
    response_model=ReportView,
    status_code=201,
    summary="File a report (201; 200 with the same report on a retry with its Idempotency-Key)",
    responses=WRITE,
)
def create_report(
    session: DbSession,
    actor: CurrentActor,
    data: ReportInput,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(max_length=IDEMPOTENCY_KEY_MAX, alias="Idempotency-Key")
    ] = None,
) -> ReportView:
    if not actor.is_authenticated:
        raise NotAuthenticated("Please sign in to continue.")
    require(actor, "reports.submit")
    if idempotency_key:
        data = data.model_copy(update={"idempotency_key": idempotency_key.strip()})
    now = utcnow()
    channel = "api" if actor.kind == "api" else "app"
    report = service.submit(session, actor, data, channel=channel, now=now)
    if report.submitted_at != now:
        # The service returned the report a first attempt with this key already filed.
        response.status_code = 200
    return _view(session, actor, report)


def _act(session: Session, actor: Actor, code: str, action: str, **params: Any) -> ReportView:
    report = service.get_by_code(session, code)
    getattr(service, action)(session, actor, report, **params)
    return _view(session, actor, report)


@router.post(
    "/reports/{code}/accept", response_model=ReportView, summary="Accept a report", responses=WRITE
)
def accept(session: DbSession, actor: CurrentActor, code: CodePath) -> ReportView:
    return _act(session, actor, code, "accept")


@router.post(
    "/reports/{code}/start", response_model=ReportView, summary="Start work", responses=WRITE
)
def start(session: DbSession, actor: CurrentActor, code: CodePath) -> ReportView:
    return _act(session, actor, code, "start")


@router.post(
    "/reports/{code}/request-info",
    response_model=ReportView,
    summary="Ask the citizen for information (the deadline pauses)",
    responses=WRITE,
)
def request_info(
    session: DbSession, actor: CurrentActor, code: CodePath, body: QuestionIn
) -> ReportView:
    return _act(session, actor, code, "request_info", question=body.question)


@router.post(
    "/reports/{code}/provide-info",
    response_model=ReportView,
    summary="The citizen answers the agency's question",
    responses=WRITE,
)
def provide_info(
    session: DbSession, actor: CurrentActor, code: CodePath, body: TextIn
) -> ReportView:
    return _act(session, actor, code, "provide_info", text=body.text)


@router.post(
    "/reports/{code}/resolve",
    response_model=ReportView,
    summary="Answer: resolved",
    responses=WRITE,
)
def resolve(session: DbSession, actor: CurrentActor, code: CodePath, body: AnswerIn) -> ReportView:
    return _act(session, actor, code, "resolve", answer=body.answer)


@router.post(
    "/reports/{code}/reject", response_model=ReportView, summary="Reject a report", responses=WRITE
)
def reject(session: DbSession, actor: CurrentActor, code: CodePath, body: ReasonIn) -> ReportView:
    return _act(session, actor, code, "reject", reason=body.reason)


@router.post(
    "/reports/{code}/close-unfixed",
    response_model=ReportView,
    summary="Close without a fix",
    responses=WRITE,
)
def close_unfixed(
    session: DbSession, actor: CurrentActor, code: CodePath, body: ReasonIn
) -> ReportView:
    return _act(session, actor, code, "close_unfixed", reason=body.reason)


@router.post(
    "/reports/{code}/transfer",
    response_model=ReportView,
    summary="Transfer to another agency",
    responses=WRITE,
)
def transfer(
    session: DbSession, actor: CurrentActor, code: CodePath, body: TransferIn
) -> ReportView:
    agency = get_agency(session, body.agency_code)
    return _act(session, actor, code, "transfer", to_agency=agency, reason=body.reason)


@router.post(
    "/reports/{code}/duplicate",
    response_model=ReportView,
    summary="Merge into another open report",
    responses=WRITE,
)
def duplicate(
    session: DbSession, actor: CurrentActor, code: CodePath, body: DuplicateIn
) -> ReportView:
    original = service.get_by_code(session, body.original_code)
    return _act(session, actor, code, "mark_duplicate", original=original)


@router.post(
    "/reports/{code}/reopen",
    response_model=ReportView,
    summary="Reopen: not fixed (the reporter, within the allowed days)",
    responses=WRITE,
)
def reopen(session: DbSession, actor: CurrentActor, code: CodePath, body: ReasonIn) -> ReportView:
    return _act(session, actor, code, "reopen", reason=body.reason)


@router.post(
    "/reports/{code}/rate",
    response_model=ReportView,
    summary="Rate the answer (1–5)",
    responses=WRITE,
)
def rate(session: DbSession, actor: CurrentActor, code: CodePath, body: RatingIn) -> ReportView:
    return _act(session, actor, code, "rate", rating=body.rating, comment=body.comment)


@router.post(
    "/reports/{code}/note",
    response_model=list[TimelineEntry],
    summary="Add an internal note (staff of the report)",
    responses=WRITE,
)
def note(
    session: DbSession, actor: CurrentActor, code: CodePath, body: TextIn
) -> list[TimelineEntry]:
    report = service.get_by_code(session, code)
    service.add_note(session, actor, report, text=body.text)
    return service.timeline(session, actor, report)
