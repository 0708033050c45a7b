"""Filing a report, from any channel (issue 3, "Intake"): the same rules for the citizen app,
the console (an operator typing a hotline call), the JSON API and Open311.

Everything is checked before anything is written, and every field in error is named at once;
photos are stored last, so a refused report leaves no file behind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc.db import insert_returning_ids, insert_rows, utcnow
from ioc.errors import FieldError, ValidationFailed
from ioc.kit import events
from ioc.kit.auth import ApiToken
from ioc.kit.geo import h3_cell
from ioc.kit.permissions import Actor
from ioc.kit.storage import FileStore, StoredPhoto, store_photo
from ioc.kit.text import clean_text, search_key
from ioc.kit.workdays import VIETNAM_TZ
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports import refdata, routing
from ioc.reports.history import STAFF_CHANNELS, event_values, require_any, role_of, text
from ioc.reports.models import (
    CHANNELS,
    URGENCIES,
    Category,
    Report,
    ReportAgencyRecord,
    ReportCounter,
    ReportFollower,
    ReportPhoto,
    ReportUpdate,
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
_BUMP_BY = (
    update(_COUNTERS)
    .where(_COUNTERS.c.year == bindparam("y"))
    .values(last=_COUNTERS.c.last + bindparam("n"))
    .returning(_COUNTERS.c.last)
)


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


@dataclass
class Draft:
    """A report checked and ready to be written: every column known but its id and number.

    Made by :func:`prepare` from what any channel sent, written by :func:`write` (one report in
    the caller's unit of work, or many at once by the intake writer, reports/writer.py)."""

    token: str | None
    row: dict[str, Any]  # the reports columns, less id and code
    agency_code: str | None
    photos: list[StoredPhoto]
    actor_id: int | None
    actor_role: str
    store: FileStore | None = None
    # An API key whose last use is due to be stamped (at most every few minutes).
    touch_api_token: int | None = None

    @property
    def now(self) -> datetime:
        return cast(datetime, self.row["submitted_at"])

    def discard(self) -> None:
        """Delete the photos stored for a draft that will not be written."""
        _delete_photos(self.store, self.photos)


@dataclass(frozen=True)
class Filed:
    """What :func:`write` made of a draft: a new report, or the one filed before with the same
    idempotency key (``created`` False)."""

    id: int
    code: str
    created: bool
    events: tuple[events.EventOut, ...] = ()


def prepare(
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
) -> Draft:
    """Check a report from any channel and work out its row: category, place, reporter,
    routing and accept deadline, all from the per-process reference data when it is cached.
    Reads only; stores the photos last (a refused report leaves no file behind).

    ``kept_attributes`` are stored beside the category's checked attributes as given (the
    caller has checked them; e.g. Open311's media_url, kept for staff)."""
    now = now or utcnow()
    if channel not in CHANNELS:
        raise ValidationFailed("Unknown channel.", field="channel")
    if channel in STAFF_CHANNELS:
        require_any(actor, ("reports.handle", "reports.triage"), None)
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
    agency = routing.route(session, category, place.area_code)
    # The report reaches its agency (history.hand_to) in its own INSERT, with its deadline.
    accept_due_at = (
        None
        if agency is None
        else dl.accept_due(session, category_id=category.id, urgency=urgency, start=now)
    )
    stored = _store_photos(photos, store, max_photo_bytes, max_pixels)
    token = _idempotency_token(actor, data.idempotency_key) if data.idempotency_key else None
    row: dict[str, Any] = {
        "category_id": category.id,
        "urgency": urgency,
        "description": description,
        "attributes": attributes,
        "lat": place.lat,
        "lon": place.lon,
        "h3_cell": (
            None if place.lat is None or place.lon is None else h3_cell(place.lat, place.lon)
        ),
        "area_code": place.area_code,
        "address": place.address,
        "status": lc.SUBMITTED,
        "agency_id": None if agency is None else agency.id,
        "accept_due_at": accept_due_at,
        "channel": channel,
        "reporter_user_id": who.user_id,
        "reporter_name": who.name,
        "reporter_phone": who.phone,
        "reporter_email": who.email,
        "anonymous": who.anonymous,
        "idempotency_key": token,
        "submitted_at": now,
        "updated_at": now,
        "reopen_count": 0,
        "search_key": search_key(description, place.address),
    }
    return Draft(
        token=token,
        row=row,
        agency_code=None if agency is None else agency.code,
        photos=stored,
        actor_id=actor.user_id,
        actor_role=role_of(actor, who.user_id),
        store=store,
    )


_TABLES = {
    name: cast(Table, model.__table__)
    for name, model in (
        ("photos", ReportPhoto),
        ("followers", ReportFollower),
        ("updates", ReportUpdate),
        ("records", ReportAgencyRecord),
    )
}
_EXISTING = select(_REPORTS.c.idempotency_key, _REPORTS.c.id, _REPORTS.c.code).where(
    _REPORTS.c.idempotency_key.in_(bindparam("tokens", expanding=True))
)
_TOUCH = (
    update(cast(Table, ApiToken.__table__))
    .where(cast(Table, ApiToken.__table__).c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("at"))
)


def next_numbers(connection: Connection, year: int, count: int) -> int:
    """Take ``count`` consecutive public numbers of ``year``; returns the first.

    Safe under concurrency on both backends because the increment is a single UPDATE of the
    year's row that returns the value it wrote: on PostgreSQL the UPDATE takes the row lock, so
    a concurrent transaction's UPDATE waits for our commit and then increments the committed
    value (READ COMMITTED re-checks the updated row); on SQLite the UPDATE takes the database
    write lock, held to commit. Either way no two transactions get the same numbers. A
    rolled-back submission leaves a gap, never a repeat. The first report of a year inserts
    the row in a savepoint; losing that race to another transaction is harmless (its row is
    then there to update)."""
    row = connection.execute(_BUMP_BY, {"y": year, "n": count}).first()
    if row is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(_COUNTERS).values(year=year, last=0))
        except IntegrityError:
            pass
        row = connection.execute(_BUMP_BY, {"y": year, "n": count}).one()
    return int(row[0]) - count + 1


# PostgreSQL: a bump that commits without waiting for its WAL to reach the disk (see
# next_numbers_apart); set_config is evaluated on the year's row, in the statement's transaction.
_BUMP_BY_ASYNC = _BUMP_BY.where(func.set_config("synchronous_commit", "off", True) == "off")


def next_numbers_apart(engine: Engine, year: int, count: int) -> int:
    """PostgreSQL: :func:`next_numbers` in a transaction of its own, so that the year's counter
    row is locked for one statement and not to the end of the caller's transaction. One round
    trip: a single statement in autocommit mode.

    That transaction commits without waiting for its WAL to reach the disk
    (``synchronous_commit = off``, for it alone): the transaction that uses the numbers commits
    after it and does wait, and the log is written in order, so once a report holding a number
    is durable, so is the counter past it; after a crash before that, the lost bump only gives
    again numbers that no committed report holds. The year's first bump makes the row in an
    ordinary transaction."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(_BUMP_BY_ASYNC, {"y": year, "n": count}).first()
    if row is None:
        with engine.begin() as connection:
            return next_numbers(connection, year, count)
    return int(row[0]) - count + 1


# Takes ``count`` consecutive public numbers of a year and returns the first (see write()).
TakeNumbers = Callable[[int, int], int]


def write(
    connection: Connection,
    drafts: Sequence[Draft],
    *,
    event_bus: events.EventBus | None = None,
    take_numbers: TakeNumbers | None = None,
) -> list[Filed]:
    """Write checked reports on ``connection``, inside its transaction, below the ORM: a few
    multi-row statements whatever the number of reports (the report, its photos, its follower,
    its first update, its agency's record, its two events). Returns one :class:`Filed` per
    draft, in order; a draft whose idempotency key was already used (before, or earlier in
    ``drafts``) gets the first report and writes nothing.

    The public numbers are taken first, one counter UPDATE for all, in this transaction unless
    ``take_numbers`` takes them elsewhere: on PostgreSQL the year's counter row stays locked to
    the commit of the transaction that bumped it, so concurrent writers queue on it; the intake
    writer takes them in a short transaction of its own instead. A
    concurrent submission with the same key makes the reports INSERT fail (unique key); the
    caller then writes the drafts again one by one (the intake writer does) or looks the
    winner up (:func:`submit`)."""
    results: list[Filed | None] = [None] * len(drafts)
    tokens = [d.token for d in drafts if d.token is not None]
    known: dict[str, Filed] = {}
    if tokens:
        for token, report_id, code in connection.execute(_EXISTING, {"tokens": tokens}):
            known[token] = Filed(int(report_id), str(code), created=False)
    fresh: list[int] = []
    first_of: dict[str, int] = {}
    for i, draft in enumerate(drafts):
        if draft.token is not None:
            if draft.token in known:
                results[i] = known[draft.token]
                continue
            if draft.token in first_of:
                continue  # filled in from the first one below
            first_of[draft.token] = i
        fresh.append(i)
    by_year: dict[int, list[int]] = {}
    for i in fresh:
        by_year.setdefault(drafts[i].now.astimezone(VIETNAM_TZ).year, []).append(i)
    codes: dict[int, str] = {}
    for year, members in by_year.items():
        if take_numbers is None:
            first = next_numbers(connection, year, len(members))
        else:
            first = take_numbers(year, len(members))
        for offset, i in enumerate(members):
            codes[i] = f"PA-{year}-{first + offset:06d}"
    if fresh:
        rows = [{**drafts[i].row, "code": codes[i]} for i in fresh]
        ids = insert_returning_ids(connection, _REPORTS, rows)
        photos: list[dict[str, Any]] = []
        followers: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        owners: list[int] = []
        for i, report_id in zip(fresh, ids, strict=True):
            draft, row, code = drafts[i], drafts[i].row, codes[i]
            now = draft.now
            photos.extend(
                {
                    "report_id": report_id,
                    "key": p.key,
                    "thumb_key": p.thumb_key,
                    "width": p.width,
                    "height": p.height,
                    "is_hidden": False,
                    "created_at": now,
                }
                for p in draft.photos
            )
            if row["reporter_user_id"] is not None:
                followers.append(
                    {"report_id": report_id, "user_id": row["reporter_user_id"], "since": now}
                )
            updates.append(
                {
                    "report_id": report_id,
                    "at": now,
                    "actor_id": draft.actor_id,
                    "actor_role": draft.actor_role,
                    "kind": "status",
                    "from_status": None,
                    "to_status": lc.SUBMITTED,
                    "agency_id": None,
                    "to_agency_id": None,
                    "public_text": "",
                    "internal_note": "",
                    "reason": "",
                }
            )
            agency_id = row["agency_id"]
            if agency_id is not None:
                records.append({"report_id": report_id, "agency_id": agency_id, "received_at": now})
            where = {
                "code": code,
                "status": row["status"],
                "area_code": row["area_code"],
                "lat": row["lat"],
                "lon": row["lon"],
                "is_hidden": False,
                "actor_id": draft.actor_id,
                "now": now,
            }
            event_rows.append(
                event_values(
                    "report.submitted",
                    **where,
                    agency_id=None,
                    title=f"Report {code} filed",
                    payload={"channel": row["channel"]},
                )
            )
            owners.append(i)
            if agency_id is not None:
                event_rows.append(
                    event_values(
                        "report.routed",
                        **where,
                        agency_id=agency_id,
                        title=f"Report {code} routed to {draft.agency_code}",
                        payload={"agency": draft.agency_code, "by": "rule"},
                    )
                )
                owners.append(i)
        for name, values in (
            ("photos", photos),
            ("followers", followers),
            ("updates", updates),
            ("records", records),
        ):
            insert_rows(connection, _TABLES[name], values)
        written = events.insert_many(connection, event_rows, event_bus=event_bus)
        per_report: dict[int, list[events.EventOut]] = {}
        for i, one in zip(owners, written, strict=True):
            per_report.setdefault(i, []).append(one)
        for i, report_id in zip(fresh, ids, strict=True):
            results[i] = Filed(int(report_id), codes[i], True, tuple(per_report.get(i, ())))
    touched = {d.touch_api_token for d in drafts if d.touch_api_token is not None}
    for token_id in touched:
        connection.execute(_TOUCH, {"token_id": token_id, "at": drafts[0].now})
    for i, draft in enumerate(drafts):
        if results[i] is None:  # a repeated key within these drafts
            winner = results[first_of[cast(str, draft.token)]]
            assert winner is not None
            results[i] = Filed(winner.id, winner.code, created=False)
    return [r for r in results if r is not None]


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
    """File a report from any channel in the caller's unit of work; a retry with the same
    idempotency key returns the first report. Routes it, sets the accept deadline and records
    report.submitted (and report.routed), dispatched when the caller commits."""
    token = _idempotency_token(actor, data.idempotency_key) if data.idempotency_key else None
    if token is not None and (existing := _by_token(session, token)) is not None:
        return existing
    draft = prepare(
        session,
        actor,
        data,
        channel=channel,
        photos=photos,
        store=store,
        max_photo_bytes=max_photo_bytes,
        max_pixels=max_pixels,
        now=now,
        kept_attributes=kept_attributes,
    )
    try:
        if token is None:
            (filed,) = write(session.connection(), [draft])
        else:
            with session.begin_nested():
                (filed,) = write(session.connection(), [draft])
    except IntegrityError:
        # Two submissions with one key at once: the unique key let the other one win. Its
        # numbers went back with the savepoint, so the sequence has no gap.
        draft.discard()
        first = _by_token(session, token) if token else None
        if first is None:
            raise
        return first
    except BaseException:
        draft.discard()  # nothing refers to the stored photos
        raise
    if not filed.created:
        draft.discard()  # the first report stands; this retry's photos are not kept
    events.stash(session, filed.events)
    report = session.get(Report, filed.id)
    assert report is not None
    return report
