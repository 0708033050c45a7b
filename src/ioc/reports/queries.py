"""Read-side queries behind the public list, the JSON API and Open311.

Built for a table of millions of reports: every filter is on an indexed column (code, category,
status, area, submitted_at, updated_at), pages are ordered by (submitted_at, id) so the
submitted_at index serves the order, and what a page shows of other tables (its categories and
agencies, first photos, public history) comes in one query per table for the whole page, never
one per report.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Dialect, Select, and_, func, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import NullType

from ioc.areas.models import Agency, Area
from ioc.db import UTCDateTime, plan_with_parameters
from ioc.kit.text import fold
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports import refdata
from ioc.reports.inbox import INTERNAL_KINDS
from ioc.reports.models import Category, Report, ReportPhoto, ReportUpdate
from ioc.reports.schemas import PhotoOut, ReportPublic


class ReportRow(NamedTuple):
    report: Report
    category: Category
    agency: Agency | None


@dataclass(frozen=True)
class Bbox:
    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True)
class ReportFilter:
    """What a list asks for. Empty sequences and None mean "no condition"."""

    codes: Sequence[str] = ()
    category_ids: Sequence[int] = ()
    statuses: Sequence[str] = ()
    area_codes: Sequence[str] = ()
    bbox: Bbox | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    # The public never sees hidden reports (moderation); staff lists may ask for them.
    include_hidden: bool = False


def _conditions(f: ReportFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if not f.include_hidden:
        conds.append(Report.is_hidden.is_(False))
    if f.codes:
        conds.append(Report.code.in_(list(f.codes)))
    if f.category_ids:
        conds.append(Report.category_id.in_(list(f.category_ids)))
    if f.statuses:
        conds.append(Report.status.in_(list(f.statuses)))
    if f.area_codes:
        conds.append(Report.area_code.in_(list(f.area_codes)))
    if f.bbox is not None:
        conds.append(
            and_(
                Report.lat.between(f.bbox.south, f.bbox.north),
                Report.lon.between(f.bbox.west, f.bbox.east),
            )
        )
    if f.submitted_from is not None:
        conds.append(Report.submitted_at >= f.submitted_from)
    if f.submitted_to is not None:
        conds.append(Report.submitted_at <= f.submitted_to)
    if f.updated_from is not None:
        conds.append(Report.updated_at >= f.updated_from)
    if f.updated_to is not None:
        conds.append(Report.updated_at <= f.updated_to)
    return conds


def _rows_statement(f: ReportFilter) -> Select[Report, Category, Agency]:
    # The category is required and the agency optional (an unrouted report has none); both
    # come in the same row, so a page is one query whatever its length.
    return (
        select(Report, Category, Agency)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(*_conditions(f))
    )


_NEWEST_FIRST = (Report.submitted_at.desc(), Report.id.desc())


def list_reports(
    session: Session, f: ReportFilter, *, limit: int, offset: int = 0
) -> list[ReportRow]:
    """Newest first; (submitted_at, id) is a total order, so pages never overlap or skip."""
    stmt = _rows_statement(f).order_by(*_NEWEST_FIRST).limit(limit).offset(offset)
    plan_with_parameters(session.connection())
    return [ReportRow(r, c, a) for r, c, a in session.execute(stmt)]


# A time as the database driver gives it (SQLite: text; PostgreSQL: an aware datetime),
# before UTCDateTime reads it; see RequestRows.utc.
RawTime = Any


class RequestRow(NamedTuple):
    """What an Open311 request document shows of a report, its category and its agency, as
    one plain row (open311_render.request_documents): no ORM object, nothing of the reporter.
    The extension columns are read only for extensions=true (``request_rows``)."""

    id: int
    code: str
    status: str
    public_answer: str
    description: str
    submitted_at: RawTime
    updated_at: RawTime
    closed_at: RawTime | None
    resolved_at: RawTime | None
    accept_due_at: RawTime | None
    resolve_due_at: RawTime | None
    address: str
    area_code: str | None
    lat: float | None
    lon: float | None
    category_id: int
    category_code: str
    category_name_vi: str
    category_name_en: str
    agency_id: int | None
    agency_name: str | None
    agency_name_en: str | None
    first_photo_id: int | None  # the first photo moderators have not hidden
    # extensions=true only
    channel: str = ""
    urgency: str = ""
    accepted_at: RawTime | None = None
    reopen_count: int = 0
    attributes: dict[str, Any] | None = None


@dataclass(frozen=True)
class RequestRows:
    """A page of request rows whose times are left as the driver gives them: a page shows at
    most three of a row's six times, and none of a row rendered before (open311_render keeps
    renderings keyed by the row), so reading every time up front was a good part of a page's
    cost. ``utc`` reads one exactly as a ``UTCDateTime`` column would (None stays None)."""

    rows: list[RequestRow]
    utc: Callable[[RawTime | None], datetime | None]


_RAW = NullType()


def _raw(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    return type_coerce(column, _RAW).label(column.key)


_REQUEST_COLUMNS = (
    Report.id,
    Report.code,
    Report.status,
    Report.public_answer,
    Report.description,
    _raw(Report.submitted_at),
    _raw(Report.updated_at),
    _raw(Report.closed_at),
    _raw(Report.resolved_at),
    _raw(Report.accept_due_at),
    _raw(Report.resolve_due_at),
    Report.address,
    Report.area_code,
    Report.lat,
    Report.lon,
    Report.category_id,
    Category.code.label("category_code"),
    Category.name_vi.label("category_name_vi"),
    Category.name_en.label("category_name_en"),
    Report.agency_id,
    Agency.name.label("agency_name"),
    Agency.name_en.label("agency_name_en"),
    # Read with the row (an index probe per row of the page) rather than by a second query
    # with the page's ids in an IN list: on PostgreSQL that query was parsed and planned anew
    # for each page, a quarter of a page's time.
    select(func.min(ReportPhoto.id))
    .where(ReportPhoto.report_id == Report.id, ReportPhoto.is_hidden.is_(False))
    .correlate(Report)
    .scalar_subquery()
    .label("first_photo_id"),
)
_EXTENSION_COLUMNS = (
    Report.channel,
    Report.urgency,
    _raw(Report.accepted_at),
    Report.reopen_count,
    Report.attributes,
)
assert [c.key for c in (*_REQUEST_COLUMNS, *_EXTENSION_COLUMNS)] == list(RequestRow._fields)


def request_rows(
    session: Session, f: ReportFilter, *, limit: int, offset: int = 0, extensions: bool = False
) -> RequestRows:
    """A page of Open311 requests, newest first like ``list_reports``, in one statement: the
    category's and agency's names come joined to each row (a primary-key lookup each), read
    as plain tuples. Building ORM objects, and then the documents from them, was most of the
    time of a 1,000-row page."""
    columns = (*_REQUEST_COLUMNS, *_EXTENSION_COLUMNS) if extensions else _REQUEST_COLUMNS
    stmt = (
        select(*columns)
        .select_from(Report)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(*_conditions(f))
        .order_by(*_NEWEST_FIRST)
        .limit(limit)
        .offset(offset)
    )
    # The columns are RequestRow's fields in order (the extension ones only when asked
    # for). A named tuple's fields read several times faster than a Row's attributes.
    # Executed on the connection: no ORM entity is involved, and the ORM's result machinery
    # was a fifth of the query's time.
    connection = session.connection()
    plan_with_parameters(connection)
    rows = [RequestRow(*row) for row in connection.execute(stmt).all()]
    return RequestRows(rows, _utc_reader(session.get_bind().dialect))


@functools.cache
def _utc_reader(dialect: Dialect) -> Callable[[RawTime | None], datetime | None]:
    # What SQLAlchemy applies to a UTCDateTime column: the dialect's own reading of the
    # driver's value, then UTCDateTime's.
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None  # a TypeDecorator with process_result_value always has one
    return process


def category_attributes(
    session: Session, category_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """The Open311 attribute definitions of these categories (for extensions=true)."""
    ids = list(set(category_ids))
    if not ids:
        return {}
    rows = session.execute(select(Category.id, Category.attributes).where(Category.id.in_(ids)))
    return {id_: attributes or [] for id_, attributes in rows.tuples()}


def count_reports(session: Session, f: ReportFilter) -> int:
    stmt = select(func.count(Report.id)).where(*_conditions(f))
    return int(session.scalar(stmt) or 0)


def report_code_for_key(session: Session, idempotency_key: str) -> str | None:
    """The public code of the visible report filed with this idempotency key, if any."""
    return session.scalar(
        select(Report.code).where(
            Report.idempotency_key == idempotency_key, Report.is_hidden.is_(False)
        )
    )


def active_categories(session: Session) -> list[Category]:
    stmt = (
        select(Category)
        .where(Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.code)
    )
    return list(session.scalars(stmt))


def category_by_code(session: Session, code: str, *, active_only: bool = True) -> Category | None:
    stmt = select(Category).where(Category.code == code)
    if active_only:
        stmt = stmt.where(Category.is_active.is_(True))
    return session.scalar(stmt)


def commune_named_in(session: Session, text: str) -> str | None:
    """The commune or ward an address names, for clients that send only an address (Open311
    address_string). The full name ("phường Đức Xuân") wins; a bare name ("Đức Xuân") only
    when a single unit has it. Accent-insensitive, whole words. About a hundred rows, read
    only when an address comes without coordinates or a commune code."""
    haystack = " " + " ".join(re.findall(r"[^\W_]+", fold(text))) + " "
    full: list[tuple[int, str]] = []
    bare: list[str] = []
    rows = session.execute(select(Area.code, Area.name, Area.kind).where(Area.kind != "province"))
    for code, name, kind in rows.tuples():
        name_key, kind_key = fold(name), fold(kind)
        short = name_key[len(kind_key) :].strip() if name_key.startswith(kind_key) else name_key
        if f" {name_key} " in haystack:
            full.append((len(name_key), code))
        elif short and f" {short} " in haystack:
            bare.append(code)
    if full:
        return max(full)[1]
    return bare[0] if len(bare) == 1 else None


def category_ids_for(session: Session, codes: Sequence[str]) -> dict[str, int]:
    """code → id for the known codes among ``codes`` (inactive ones included: old reports
    keep their category)."""
    if not codes:
        return {}
    found: dict[str, int] = {}
    ref = refdata.get(session)  # the per-process snapshot (every category, inactive too)
    if ref is not None:
        found = {code: ref.categories[code].id for code in codes if code in ref.categories}
    missing = [code for code in codes if code not in found]
    if missing:  # not cached, or made seconds ago in another process: read them
        rows = session.execute(
            select(Category.code, Category.id).where(Category.code.in_(missing))
        ).tuples()
        found.update({code: id_ for code, id_ in rows})
    return found


def first_visible_photos(session: Session, report_ids: Sequence[int]) -> dict[int, ReportPhoto]:
    """Each report's first photo that moderators have not hidden."""
    if not report_ids:
        return {}
    first = (
        select(func.min(ReportPhoto.id))
        .where(ReportPhoto.report_id.in_(list(report_ids)), ReportPhoto.is_hidden.is_(False))
        .group_by(ReportPhoto.report_id)
        .scalar_subquery()
    )
    photos = session.scalars(select(ReportPhoto).where(ReportPhoto.id.in_(first)))
    return {p.report_id: p for p in photos}


def visible_photos(session: Session, report_ids: Sequence[int]) -> dict[int, list[ReportPhoto]]:
    if not report_ids:
        return {}
    stmt = (
        select(ReportPhoto)
        .where(ReportPhoto.report_id.in_(list(report_ids)), ReportPhoto.is_hidden.is_(False))
        .order_by(ReportPhoto.report_id, ReportPhoto.id)
    )
    out: dict[int, list[ReportPhoto]] = {}
    for photo in session.scalars(stmt):
        out.setdefault(photo.report_id, []).append(photo)
    return out


@dataclass(frozen=True)
class PublicUpdate:
    """A step of a report's history as the public may see it: no internal note, no actor."""

    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    public_text: str


def public_history(session: Session, report_ids: Sequence[int]) -> dict[int, list[PublicUpdate]]:
    """Every report's public steps, oldest first, in one query. Only public columns are
    selected, so an internal note cannot leak through a later change of the caller."""
    if not report_ids:
        return {}
    stmt = (
        select(
            ReportUpdate.report_id,
            ReportUpdate.at,
            ReportUpdate.kind,
            ReportUpdate.from_status,
            ReportUpdate.to_status,
            ReportUpdate.public_text,
        )
        .where(
            ReportUpdate.report_id.in_(list(report_ids)),
            ReportUpdate.kind.not_in(list(INTERNAL_KINDS)),
        )
        .order_by(ReportUpdate.report_id, ReportUpdate.at, ReportUpdate.id)
    )
    out: dict[int, list[PublicUpdate]] = {}
    for report_id, at, kind, from_status, to_status, text in session.execute(stmt).tuples():
        out.setdefault(report_id, []).append(
            PublicUpdate(at, kind, from_status, to_status, text or "")
        )
    return out


def public_views(session: Session, rows: Sequence[ReportRow]) -> list[ReportPublic]:
    """The public shape of a page of reports, with two more queries for the whole page (photos
    and the codes of originals), where inbox.public_view spends four per report. Same fields,
    same rules: visible photos only, never the reporter."""
    ids = [r.report.id for r in rows]
    photos = visible_photos(session, ids)
    original_ids = {r.report.duplicate_of_id for r in rows if r.report.duplicate_of_id}
    originals: dict[int, str] = {}
    if original_ids:
        originals = dict(
            session.execute(select(Report.id, Report.code).where(Report.id.in_(original_ids)))
            .tuples()
            .all()
        )
    out = []
    for report, category, agency in rows:
        out.append(
            ReportPublic(
                code=report.code,
                category_code=category.code,
                status=report.status,
                open311_status=lc.open311_status(report.status),
                description=report.description,
                lat=report.lat,
                lon=report.lon,
                address=report.address,
                area_code=report.area_code,
                agency_code=agency.code if agency else None,
                agency_name=agency.name if agency else None,
                submitted_at=report.submitted_at,
                expected_at=dl.current_due(report),
                resolved_at=report.resolved_at,
                closed_at=report.closed_at,
                public_answer=report.public_answer,
                rating=report.rating,
                duplicate_of=originals.get(report.duplicate_of_id or 0),
                photos=[
                    PhotoOut(
                        id=p.id,
                        key=p.key,
                        thumb_key=p.thumb_key,
                        width=p.width,
                        height=p.height,
                        is_hidden=False,
                    )
                    for p in photos.get(report.id, [])
                ],
                updated_at=report.updated_at,
            )
        )
    return out
