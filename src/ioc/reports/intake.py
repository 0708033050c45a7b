"""Filing a report, from any channel (issue 3, "Intake"): the same rules for the citizen app,
the console (an operator typing a hotline call), the JSON API and Open311.

Everything is checked before anything is written, and every field in error is named at once;
photos are stored last, so a refused report leaves no file behind.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ioc.db import utcnow
from ioc.errors import FieldError, ValidationFailed
from ioc.kit.geo import h3_cell
from ioc.kit.permissions import Actor
from ioc.kit.storage import FileStore, StoredPhoto, store_photo
from ioc.kit.text import clean_text, search_key
from ioc.kit.workdays import VIETNAM_TZ
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports import refdata, routing
from ioc.reports.history import STAFF_CHANNELS, add_update, event, require_any, text
from ioc.reports.models import (
    CHANNELS,
    URGENCIES,
    Category,
    Report,
    ReportAgencyRecord,
    ReportCounter,
    ReportFollower,
    ReportPhoto,
)
from ioc.reports.schemas import DESCRIPTION_MAX, MAX_PHOTOS, ReportInput

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
_PHONE = re.compile(r"\+?\d{8,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _idempotency_token(actor: Actor, key: str) -> str:
    # Keys are chosen by clients: scoped to who sent them, so one client's key can never fetch
    # another's report. Hashed when the scoped form would not fit the column.
    scoped = f"{actor.kind}:{actor.user_id or ''}:{key}"
    if len(scoped) <= 100:
        return scoped
    return "sha256:" + hashlib.sha256(scoped.encode()).hexdigest()


def _by_token(session: Session, token: str) -> Report | None:
    return session.scalar(select(Report).where(Report.idempotency_key == token))


_COUNTERS = cast(Table, ReportCounter.__table__)
_REPORTS = cast(Table, Report.__table__)
# Built once: the statements of every report (Core, on the session's connection).
_BUMP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.year == bindparam("y"))
    .values(last=_COUNTERS.c.last + 1)
    .returning(_COUNTERS.c.last)
)
_SET_CODE = update(_REPORTS).where(_REPORTS.c.id == bindparam("report_id"))


def _next_number(session: Session, year: int) -> int:
    """The next public number of ``year``.

    Safe under concurrency on both backends because the increment is a single UPDATE of the
    year's row that returns the value it wrote: on PostgreSQL the UPDATE takes the row lock, so
    a concurrent transaction's UPDATE waits for our commit and then increments the committed
    value (READ COMMITTED re-checks the updated row); on SQLite the UPDATE takes the database
    write lock, held to commit. Either way no two transactions can get the same ``last``. A
    rolled-back submission leaves a gap, never a repeat. The first report of a year inserts
    the row in a savepoint; losing that race to another transaction is harmless (its row is
    then there to update).

    The row lock lasts until the commit, so :func:`submit` takes the number last of all."""
    connection = session.connection()
    row = connection.execute(_BUMP, {"y": year}).first()
    if row is None:
        try:
            with session.begin_nested():
                connection.execute(insert(_COUNTERS).values(year=year, last=0))
        except IntegrityError:
            pass
        row = connection.execute(_BUMP, {"y": year}).one()
    return int(row[0])


def _placeholder_code() -> str:
    # Unique while the report waits for its number, within its own transaction (see submit).
    return "~" + secrets.token_hex(8)


def _category(session: Session, code: str) -> Category | refdata.CategoryRef | None:
    ref = refdata.get(session)
    if ref is not None and (cached := ref.categories.get(code)) is not None:
        return cached
    # Not cached (or a category created seconds ago in another process): read it.
    return session.scalar(select(Category).where(Category.code == code))


def _attributes(
    category: Category | refdata.CategoryRef, raw: dict[str, str | list[str]]
) -> dict[str, Any]:
    """Open311 attributes checked against the category's definitions; unknown ones dropped."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for spec in category.attributes or []:
        code = str(spec.get("code", ""))
        field = f"attribute[{code}]"
        value = raw.get(code)
        values = [value] if isinstance(value, str) else list(value or [])
        values = [v.strip() for v in values if v and v.strip()]
        if not values:
            if spec.get("required"):
                errors.append(FieldError(field, "This field is required."))
            continue
        datatype = spec.get("datatype", "string")
        if datatype in ("singlevaluelist", "multivaluelist"):
            allowed = {str(v.get("key")) for v in spec.get("values") or []}
            if any(v not in allowed for v in values) or (
                datatype == "singlevaluelist" and len(values) > 1
            ):
                errors.append(FieldError(field, "Choose one of the values offered."))
                continue
            clean[code] = values[0] if datatype == "singlevaluelist" else values
            continue
        try:
            value_text = text(values[0], field, 1000)
            if datatype == "number":
                float(value_text.replace(",", "."))
            clean[code] = value_text
        except ValidationFailed as error:
            errors.extend(error.errors)
        except ValueError:
            errors.append(FieldError(field, "Enter a number."))
    if errors:
        raise ValidationFailed("Please check the fields marked.", errors=errors)
    return clean


@dataclass
class _Location:
    lat: float | None
    lon: float | None
    area_code: str | None
    address: str


def _location(session: Session, data: ReportInput, *, required: bool = True) -> _Location:
    """Where the report is. A category that needs no place (questions and suggestions) takes
    a report without one; the commune is then optional, and routes it when given."""
    address = text(data.address, "address", 300, required=False).replace("\n", " ")
    if not required and data.lat is None and data.lon is None:
        area_code = routing.check_area_code(session, data.area_code) if data.area_code else None
        return _Location(None, None, area_code, address)
    if (data.lat is None) != (data.lon is None):
        raise ValidationFailed("Give both latitude and longitude.", field="location")
    if data.lat is not None and data.lon is not None:
        point = routing.check_inside(data.lat, data.lon, field="location")
        if data.area_code:
            area_code = routing.check_area_code(session, data.area_code)
        else:
            area_code = routing.resolve_area(session, point.lat, point.lon)
        return _Location(point.lat, point.lon, area_code, address)
    if not address or not data.area_code:
        raise ValidationFailed(
            "Mark the place on the map, or give the address and the commune.", field="location"
        )
    return _Location(None, None, routing.check_area_code(session, data.area_code), address)


T = TypeVar("T")


def _collect(errors: list[FieldError], check: Callable[[], T]) -> T | None:
    """Run one check, keeping its field errors so that all fields are reported at once."""
    try:
        return check()
    except ValidationFailed as error:
        errors.extend(error.errors)
        return None


@dataclass(frozen=True)
class _Reporter:
    user_id: int | None
    name: str
    phone: str
    email: str
    anonymous: bool


def _reporter(
    actor: Actor, data: ReportInput, category: Category | refdata.CategoryRef, channel: str
) -> _Reporter:
    errors: list[FieldError] = []
    name = phone = email = ""
    try:
        name = clean_text(
            data.reporter_name,
            field="reporter_name",
            max_length=200,
            allow_newlines=False,
            required=False,
        )
    except ValidationFailed as error:
        errors.extend(error.errors)
    raw_phone = re.sub(r"[\s.()-]", "", data.reporter_phone or "")
    if raw_phone and not _PHONE.fullmatch(raw_phone):
        errors.append(FieldError("reporter_phone", "Enter a valid phone number."))
    phone = raw_phone
    email = (data.reporter_email or "").strip().lower()
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        errors.append(FieldError("reporter_email", "Enter a valid e-mail address."))
    if errors:
        raise ValidationFailed("Please check the fields marked.", errors=errors)
    user_id = actor.user_id if actor.kind == "user" and channel not in STAFF_CHANNELS else None
    if data.anonymous:
        if not category.allow_anonymous:
            raise ValidationFailed(
                "This category does not accept anonymous reports.", field="anonymous"
            )
        # Clear anonymity: no contact details are kept at all. A signed-in reporter stays
        # linked only so that they can follow, rate and reopen; nobody is shown who they are.
        return _Reporter(user_id, "", "", "", True)
    if user_id is None and not (phone or email):
        if not category.allow_anonymous:
            raise ValidationFailed(
                "Sign in, or give a phone number or an e-mail address.", field="reporter_phone"
            )
        return _Reporter(None, name, "", "", True)
    return _Reporter(user_id, name, phone, email, False)


def _store_photos(
    photos: Sequence[bytes], store: FileStore | None, max_bytes: int, max_pixels: int
) -> list[StoredPhoto]:
    if not photos:
        return []
    if store is None:
        raise ValueError("photos given without a file store")
    stored: list[StoredPhoto] = []
    try:
        for i, data in enumerate(photos):
            stored.append(
                store_photo(
                    store, data, max_bytes=max_bytes, max_pixels=max_pixels, field=f"photos.{i}"
                )
            )
    except BaseException:
        _delete_photos(store, stored)
        raise
    return stored


def _delete_photos(store: FileStore | None, stored: Sequence[StoredPhoto]) -> None:
    if store is not None:
        for photo in stored:
            store.delete(photo.key)
            store.delete(photo.thumb_key)


def submit(
    session: Session,
    actor: Actor,
    data: ReportInput,
    *,
    channel: str,
    photos: Sequence[bytes] = (),
    store: FileStore | None = None,
    max_photo_bytes: int = MAX_PHOTO_BYTES,
    max_pixels: int = MAX_PIXELS,
    now: datetime | None = None,
    kept_attributes: dict[str, str] | None = None,
) -> Report:
    """File a report from any channel; a retry with the same idempotency key returns the
    first report. Routes it, sets the accept deadline and records report.submitted.

    ``kept_attributes`` are stored beside the category's checked attributes as given (the
    caller has checked them; e.g. Open311's media_url, kept for staff)."""
    now = now or utcnow()
    if channel not in CHANNELS:
        raise ValidationFailed("Unknown channel.", field="channel")
    if channel in STAFF_CHANNELS:
        require_any(actor, ("reports.handle", "reports.triage"), None)
    token = _idempotency_token(actor, data.idempotency_key) if data.idempotency_key else None
    if token is not None and (existing := _by_token(session, token)) is not None:
        return existing
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed("At most {max} photos.", field="photos", max=MAX_PHOTOS)
    category = _category(session, data.category_code)
    if category is None or not category.is_active:
        raise ValidationFailed("Choose a category.", field="category")
    urgency = data.urgency or category.default_urgency
    if urgency not in URGENCIES:
        raise ValidationFailed("Choose an urgency.", field="urgency")
    errors: list[FieldError] = []
    description = _collect(errors, lambda: text(data.description, "description", DESCRIPTION_MAX))
    place = _collect(errors, lambda: _location(session, data, required=category.location_required))
    attributes = _collect(errors, lambda: _attributes(category, data.attributes))
    who = _collect(errors, lambda: _reporter(actor, data, category, channel))
    if errors or description is None or place is None or attributes is None or who is None:
        raise ValidationFailed("Please check the fields marked.", errors=errors)
    if kept_attributes:
        attributes = {**attributes, **kept_attributes}
    stored = _store_photos(photos, store, max_photo_bytes, max_pixels)
    agency = routing.route(session, category, place.area_code)
    # Everything known before the first write: the report reaches its agency (history.hand_to)
    # in the same INSERT, with its accept deadline.
    accept_due_at = (
        None
        if agency is None
        else dl.accept_due(session, category_id=category.id, urgency=urgency, start=now)
    )
    report = Report(
        code=_placeholder_code(),
        category_id=category.id,
        urgency=urgency,
        description=description,
        attributes=attributes,
        lat=place.lat,
        lon=place.lon,
        h3_cell=None if place.lat is None or place.lon is None else h3_cell(place.lat, place.lon),
        area_code=place.area_code,
        address=place.address,
        status=lc.SUBMITTED,
        agency_id=None if agency is None else agency.id,
        accept_due_at=accept_due_at,
        channel=channel,
        reporter_user_id=who.user_id,
        reporter_name=who.name,
        reporter_phone=who.phone,
        reporter_email=who.email,
        anonymous=who.anonymous,
        idempotency_key=token,
        submitted_at=now,
        updated_at=now,
        reopen_count=0,
        search_key=search_key(description, place.address),
    )
    try:
        if token is None:
            session.add(report)
            session.flush()
        else:
            # Added inside: begin_nested flushes what is pending before its SAVEPOINT.
            with session.begin_nested():
                session.add(report)
                session.flush()
    except IntegrityError:
        # Two submissions with one key at once: the unique key let the other one win. It
        # failed before taking a number, so the sequence has no gap.
        first = _by_token(session, token) if token else None
        _delete_photos(store, stored)
        if first is None:
            raise
        return first
    for photo in stored:
        session.add(
            ReportPhoto(
                report_id=report.id,
                key=photo.key,
                thumb_key=photo.thumb_key,
                width=photo.width,
                height=photo.height,
                created_at=now,
            )
        )
    if who.user_id is not None:
        session.add(ReportFollower(report_id=report.id, user_id=who.user_id, since=now))
    add_update(session, report, actor, "status", at=now, to_status=lc.SUBMITTED, agency_id=None)
    if agency is not None:
        session.add(ReportAgencyRecord(report_id=report.id, agency_id=agency.id, received_at=now))
    session.flush()
    # The public number last: on PostgreSQL the counter's row lock is held from here to the
    # commit, so only the statements that need the number come after it.
    year = now.astimezone(VIETNAM_TZ).year
    code = f"PA-{year}-{_next_number(session, year):06d}"
    session.connection().execute(_SET_CODE, {"report_id": report.id, "code": code})
    set_committed_value(report, "code", code)
    event(
        session,
        report,
        "report.submitted",
        actor,
        now=now,
        title=f"Report {report.code} filed",
        payload={"channel": channel},
        agency_id=None,
        flush=False,  # both events go in with the commit's flush, in one statement
    )
    if agency is not None:
        event(
            session,
            report,
            "report.routed",
            actor,
            now=now,
            title=f"Report {report.code} routed to {agency.code}",
            payload={"agency": agency.code, "by": "rule"},
            flush=False,
        )
    return report
