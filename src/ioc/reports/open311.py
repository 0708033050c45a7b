"""Open311 GeoReport v2 at /open311/v2: a second face of the reports service.

Follows the spec (open311.github.io: GeoReport v2, Service Discovery, GeoReport v2 Extensions,
the v2.1 draft for updated_after/updated_before). Every resource is served as XML (the spec's
required format) and JSON by the URL's suffix; errors come out as the spec's list of code and
description in the same format, with HTTP 404 for a missing resource, 403 for the api_key and
400 for anything else ("Errors"). Nothing here reads the reporter's identity.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.routing import Route

from ioc.config import Settings
from ioc.db import Database, utcnow
from ioc.errors import FieldError, IocError, NotFound, PermissionDenied, ValidationFailed
from ioc.kit import auth
from ioc.kit.changes import on_change
from ioc.kit.geo import parse_point
from ioc.kit.i18n import normalise_locale, translator
from ioc.kit.permissions import Actor, Grant
from ioc.reports import intake, lifecycle, queries, refdata, writer
from ioc.reports import open311_render as render
from ioc.reports.models import Category, Report
from ioc.reports.schemas import ADDRESS_MAX, DESCRIPTION_MAX, IDEMPOTENCY_KEY_MAX, ReportInput
from ioc.web import error_pages
from ioc.web.deps import DbSession, get_database, get_settings

router = APIRouter(prefix="/open311", include_in_schema=False)

# GeoReport v2, GET Service Requests, "Response Volume": "a span of 90 days or first 1000
# requests returned, whichever is smallest". page_size may ask for fewer, never more.
DEFAULT_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000
# A sortable stamp of the service list and definitions (Service Discovery: "changeset"); the
# setting open311_changeset overrides it when an administrator changes categories.
DEFAULT_CHANGESET = "2026-01-01 00:00"


# --- context: format, language, jurisdiction ---------------------------------------------------


def _format(fmt: str) -> render.Format:
    if fmt not in render.FORMATS:
        raise NotFound("Unknown format {fmt}: use .xml or .json.", fmt=fmt[:20])
    return "json" if fmt == "json" else "xml"


def request_locale(request: Request) -> str:
    """Vietnamese unless the client asks for English: locale=en, else Accept-Language."""
    asked = request.query_params.get("locale", "")
    if not asked:
        header = request.headers.get("accept-language", "")
        asked = header.split(",")[0].split(";")[0].strip()
    if asked:
        return normalise_locale(asked)
    return normalise_locale(get_settings(request).default_locale)


def _context(request: Request) -> render.Context:
    settings = get_settings(request)
    locale = request_locale(request)
    return render.Context(
        locale=locale,
        tz=ZoneInfo(settings.timezone),
        base_url=settings.base_url.rstrip("/"),
        _=translator(locale),
    )


def check_jurisdiction(settings: Settings, given: str | None) -> None:
    """One endpoint, one jurisdiction: the parameter may be left out (spec, "jurisdiction_id":
    only needed where an endpoint serves several), but a different one is not ours."""
    ours = str(getattr(settings, "open311_jurisdiction_id", "") or "")
    if given and ours and given != ours:
        raise NotFound("jurisdiction_id {given} was not found.", given=given[:100])


# --- errors in the spec's shape -----------------------------------------------------------------


def _http_status(error: IocError) -> int:
    if error.status_code == 404:
        return 404
    if error.status_code in (401, 403):
        return 403
    if error.status_code == 429 or error.status_code >= 500:
        # A client must back off on 429 and may retry on 5xx; a 400 would tell it its request
        # was wrong. These stay what they are, in the spec's error shape.
        return error.status_code
    return 400


def render_error(request: Request, error: IocError) -> Response:
    """Every error under /open311/ (ours, validation, unknown routes) as the spec's list."""
    locale = request_locale(request)
    _ = translator(locale)
    status = _http_status(error)
    descriptions = [
        f"{open311_field(e.field)}: {_(e.message, **e.params)}" for e in error.errors
    ] or [str(_(error.message, **error.params))]
    headers = {"Retry-After": str(getattr(error, "retry_after", 60))} if status == 429 else None
    fmt = render.format_from_suffix(request.url.path)
    return render.respond(
        fmt,
        "errors",
        render.errors_document(status, descriptions),
        status_code=status,
        headers=headers,
    )


error_pages.register_renderer("/open311/", render_error)


# --- discovery, services ------------------------------------------------------------------------


@router.get("/discovery.{fmt}")
@router.get("/v2/discovery.{fmt}")
def discovery(request: Request, fmt: str) -> Response:
    settings = get_settings(request)
    changeset = str(getattr(settings, "open311_changeset", "") or DEFAULT_CHANGESET)
    base = settings.base_url.rstrip("/")
    _ = translator(request_locale(request))
    document = {
        "changeset": changeset,
        "contact": str(
            getattr(settings, "open311_contact", "")
            or _("IOC Thái Nguyên, Provincial Intelligent Operations Centre: {url}", url=base)
        ),
        "key_service": str(
            getattr(settings, "open311_key_service", "")
            or _("API keys are issued by the IOC administrators on request: {url}", url=base)
        ),
        "endpoints": [
            {
                "specification": render.SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": changeset,
                "type": str(getattr(settings, "open311_endpoint_type", "") or "production"),
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render.respond(_format(fmt), "discovery", document)


@router.get("/v2/services.{fmt}")
def services(request: Request, session: DbSession, fmt: str) -> Response:
    form = _format(fmt)
    check_jurisdiction(get_settings(request), request.query_params.get("jurisdiction_id"))
    locale = request_locale(request)
    document = [render.service_document(c, locale) for c in queries.active_categories(session)]
    return render.respond(form, "services", document)


@router.get("/v2/services/{service_code}.{fmt}")
def service_definition(
    request: Request, session: DbSession, service_code: str, fmt: str
) -> Response:
    form = _format(fmt)
    check_jurisdiction(get_settings(request), request.query_params.get("jurisdiction_id"))
    category = queries.category_by_code(session, service_code)
    if category is None:
        raise NotFound("service_code {code} was not found.", code=service_code[:60])
    document = render.definition_document(category, request_locale(request))
    return render.respond(form, "service_definition", document)


# --- requests -----------------------------------------------------------------------------------

_W3C = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def parse_w3c(name: str, value: str, errors: list[FieldError]) -> datetime | None:
    """A W3C-profile ISO 8601 time with its zone (spec, "Date/time format": the zone must be
    included), else an error naming the parameter."""
    if not _W3C.fullmatch(value):
        errors.append(
            FieldError(
                name,
                "Use a date and time with its time zone, for example 2026-01-31T08:00:00+07:00.",
            )
        )
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        errors.append(FieldError(name, "This date does not exist."))
        return None


def _listed(values: Iterable[str]) -> list[str]:
    """Comma lists, possibly repeated ("can be declared multiple times, comma delimited")."""
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _int_param(name: str, raw: str, low: int, high: int, errors: list[FieldError]) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        errors.append(FieldError(name, "Enter a whole number."))
        return None
    if not low <= value <= high:
        errors.append(
            FieldError(name, "Enter a number from {low} to {high}.", {"low": low, "high": high})
        )
        return None
    return value


def parse_filter(
    request: Request, session: DbSession, now: datetime
) -> tuple[queries.ReportFilter, int, int, bool]:
    """GET Service Requests parameters → (filter, limit, offset, extensions), every invalid
    parameter named in one 400. An empty parameter is the same as an absent one (spec,
    "Optional Arguments")."""
    params = request.query_params
    errors: list[FieldError] = []

    def one(name: str) -> str:
        return params.get(name, "").strip()

    extensions = one("extensions").lower()
    if extensions not in ("", "true", "false"):
        errors.append(FieldError("extensions", "Use true or false."))
    page = _int_param("page", one("page"), 1, 1_000_000, errors) if one("page") else 1
    size = (
        _int_param("page_size", one("page_size"), 1, MAX_PAGE_SIZE, errors)
        if one("page_size")
        else MAX_PAGE_SIZE
    )

    ids = _listed(params.getlist("service_request_id"))
    if ids:
        # "This overrides all other arguments."
        if len(ids) > MAX_IDS:
            errors.append(
                FieldError("service_request_id", "At most {max} ids at once.", {"max": MAX_IDS})
            )
        if errors:
            raise ValidationFailed("The request is not valid.", errors=errors)
        return queries.ReportFilter(codes=ids), MAX_IDS, 0, extensions == "true"

    codes = _listed(params.getlist("service_code"))
    known = queries.category_ids_for(session, codes)
    unknown = [c for c in codes if c not in known]
    if unknown:
        errors.append(
            FieldError(
                "service_code",
                "Unknown service_code: {codes}.",
                {"codes": ", ".join(unknown)[:200]},
            )
        )
    statuses = [s.lower() for s in _listed(params.getlist("status"))]
    if any(s not in ("open", "closed") for s in statuses):
        errors.append(FieldError("status", "Use open or closed (comma separated)."))
    internal = [s for s in lifecycle.STATUSES if lifecycle.open311_status(s) in statuses]

    stamps = {
        n: parse_w3c(n, one(n), errors) if one(n) else None
        for n in ("start_date", "end_date", "updated_after", "updated_before")
    }
    start, end = stamps["start_date"], stamps["end_date"]
    after, before = stamps["updated_after"], stamps["updated_before"]
    if start and end and start > end:
        errors.append(FieldError("end_date", "end_date must not be before start_date."))
    elif start and end and end - start > DEFAULT_SPAN:
        # Spec, start_date/end_date: the range "may not span more than 90 days".
        errors.append(
            FieldError("end_date", "start_date and end_date may not span more than 90 days.")
        )
    if after and before and after > before:
        errors.append(
            FieldError("updated_before", "updated_before must not be before updated_after.")
        )
    if errors:
        raise ValidationFailed("The request is not valid.", errors=errors)

    if start and not end:
        end = start + DEFAULT_SPAN
    elif end and not start:
        start = end - DEFAULT_SPAN
    elif not start and not end and not after and not before:
        # The default window. With updated_after/updated_before a client asks for a changeset
        # that may touch older requests (v2.1 draft), so the window on requested time is off.
        start = now - DEFAULT_SPAN
    f = queries.ReportFilter(
        category_ids=sorted(set(known.values())),
        statuses=internal,
        submitted_from=start,
        submitted_to=end,
        updated_from=after,
        updated_to=before,
    )
    assert page is not None and size is not None
    return f, size, (page - 1) * size, extensions == "true"


def _documents(
    session: DbSession,
    ctx: render.Context,
    fmt: render.Format,
    page: queries.RequestRows,
    extensions: bool,
) -> Response:
    """The page's answer; what it shows of other tables is read for the whole page."""
    ids = [r.id for r in page.rows]
    if extensions:
        more = render.Extensions(
            photos=queries.visible_photos(session, ids),
            history=queries.public_history(session, ids),
            category_attributes=queries.category_attributes(
                session, (r.category_id for r in page.rows)
            ),
        )
        documents = render.request_documents(page, ctx, extensions=more)
        return render.respond(fmt, "service_requests", documents)
    first = {r.id: r.first_photo_id for r in page.rows if r.first_photo_id is not None}
    return render.requests_response(fmt, page, ctx, first_photos=first)


@router.get("/v2/requests.{fmt}")
def list_requests(request: Request, session: DbSession, fmt: str) -> Response:
    form = _format(fmt)
    check_jurisdiction(get_settings(request), request.query_params.get("jurisdiction_id"))
    f, limit, offset, extensions = parse_filter(request, session, datetime.now(UTC))
    page = queries.request_rows(session, f, limit=limit, offset=offset, extensions=extensions)
    return _documents(session, _context(request), form, page, extensions)


@router.get("/v2/requests/{service_request_id}.{fmt}")
def get_request(
    request: Request, session: DbSession, service_request_id: str, fmt: str
) -> Response:
    form = _format(fmt)
    check_jurisdiction(get_settings(request), request.query_params.get("jurisdiction_id"))
    extensions = request.query_params.get("extensions", "").lower() == "true"
    f = queries.ReportFilter(codes=(service_request_id,))
    page = queries.request_rows(session, f, limit=1, extensions=extensions)
    if not page.rows:
        raise NotFound("service_request_id {id} was not found.", id=service_request_id[:40])
    return _documents(session, _context(request), form, page, extensions)


@router.get("/v2/tokens/{token}.{fmt}")
def get_token(request: Request, session: DbSession, token: str, fmt: str) -> Response:
    """We answer in realtime, so a token is only the client's own Idempotency-Key: asking
    with it finds the request it created (GET service_request_id from a token). Keys are
    scoped to the API key that sent them (so one client cannot look up another's), hence the
    api_key that filed the request goes along; without one, keys of API keys that belong to
    no account are searched."""
    form = _format(fmt)
    check_jurisdiction(get_settings(request), request.query_params.get("jurisdiction_id"))
    raw_key = request.query_params.get("api_key", "").strip()
    actor = api_actor(session, raw_key, scope=None) if raw_key else Actor(kind="api")
    # intake scopes keys exactly this way when it files a report.
    code = queries.report_code_for_key(session, intake._idempotency_token(actor, token))
    if code is None:
        raise NotFound("token {token} was not found.", token=token[:100])
    return render.respond(form, "service_requests", [{"service_request_id": code, "token": token}])


async def create_request(request: Request) -> Response:
    """POST Service Request (form-encoded). Async, and without a database session of its own:
    the form is read on the event loop, then the submission goes to this process's intake
    writer (reports/writer.py), which checks it, writes it with the others waiting in one
    transaction and answers after that commit.

    Served by a plain Starlette route matched before all others (``intake_route``, the
    module's ``hot_routes``): Open311 is exempt from CSRF (API keys, no cookies), and the rest
    of what FastAPI would do per request (walking every module's routes, solving
    dependencies) was half of the CPU a report cost under load."""
    form = _format(str(request.path_params.get("fmt", "")))
    data = await _read_form(request)
    settings = get_settings(request)
    key = request.headers.get("idempotency-key", "").strip() or None
    ctx = _context(request)
    check_jurisdiction(settings, _first(data, "jurisdiction_id"))
    raw_key = _first(data, "api_key")

    def prepare(session: Session) -> intake.Draft:
        actor, touch = _checked_key(session, raw_key)
        draft = prepare_form(session, actor, data, idempotency_key=key)
        draft.touch_api_token = touch
        return draft

    filed, draft = await writer.for_database(get_database(request)).file(prepare)
    if filed.created:
        # What service_notice reads of a report, as it was just written.
        notice_of: Any = SimpleNamespace(
            status=draft.row["status"],
            accept_due_at=draft.row["accept_due_at"],
            resolve_due_at=None,
        )
    else:  # a retry: the first report, as it is now
        notice_of = await run_in_threadpool(_load_report, get_database(request), filed.id)
    document = [
        {
            "service_request_id": filed.code,
            "service_notice": render.service_notice(notice_of, ctx),
            "account_id": _first(data, "account_id") or None,
        }
    ]
    return render.respond(form, "service_requests", document)


intake_route = Route("/open311/v2/requests.{fmt}", create_request, methods=["POST"])


def _load_report(database: Database, report_id: int) -> Report | None:
    with database.read_sessionmaker() as session:
        return session.get(Report, report_id)


# A form of the spec's fields with a description of 4,000 characters, every one of them
# percent-escaped UTF-8, is under 40 KB; this leaves room for attributes and long addresses.
MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 200


def _too_large() -> ValidationFailed:
    return ValidationFailed(
        "The request is larger than {limit} KB.", field="request", limit=MAX_FORM_BYTES // 1024
    )


async def _read_form(request: Request) -> FormData:
    """The POSTed form, decoded as UTF-8 (the spec's encoding). Clients such as `curl -d` send
    Vietnamese as raw UTF-8 bytes, not percent-escaped; the generic form parser would read
    those bytes as Latin-1 and store mojibake.

    Read before the api_key is checked, so bounded: a body over ``MAX_FORM_BYTES`` is refused
    as soon as its declared length or what has arrived exceeds it (nothing more is read), and
    a multipart form may hold no file (the spec links media with ``media_url``) and no field
    over that size."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise _too_large()
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("application/x-www-form-urlencoded"):
        return await request.form(
            max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_BYTES
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _too_large()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("The request must be encoded in UTF-8.", field="request") from None
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(
            parse_qsl(
                text, keep_blank_values=True, encoding="utf-8", max_num_fields=MAX_FORM_FIELDS
            )
        )
    except ValueError:  # more fields than max_num_fields
        raise ValidationFailed(
            "The request has more than {limit} fields.", field="request", limit=MAX_FORM_FIELDS
        ) from None
    return FormData(pairs)


def _first(data: FormData, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


# --- POST: the form, the api_key, the attributes ------------------------------------------------

SUBMIT_SCOPE = "open311.submit"
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,60})\](\[\])?")
# Names of the service's input fields as an Open311 client knows them, for error messages.
_OPEN311_NAMES = {
    "category_code": "service_code",
    "category": "service_code",
    "lon": "long",
    "address": "address_string",
    "area_code": "address_id",
    "location": "lat",
    "anonymous": "email",
    "reporter_name": "first_name",
    "reporter_phone": "phone",
    "reporter_email": "email",
    "idempotency_key": "Idempotency-Key",
}
MEDIA_URL_MAX = 500


def open311_field(name: str) -> str:
    if name.startswith("attribute["):
        return name
    if name.startswith("attributes."):
        return f"attribute[{name.split('.', 1)[1]}]"
    return _OPEN311_NAMES.get(name, name)


def api_actor(session: Session, raw_key: str, *, scope: str | None = SUBMIT_SCOPE) -> Actor:
    """The API key's actor (spec: POST "Requires API Key"; 403 when missing or wrong). A
    revoked key is a wrong key; a key without the open311.submit scope may not file."""
    return _api_key(session, raw_key, scope=scope)[0]


def _api_key(
    session: Session, raw_key: str, *, scope: str | None = SUBMIT_SCOPE
) -> tuple[Actor, auth.ApiToken]:
    if not raw_key:
        raise PermissionDenied("api_key is required to create a request.")
    token = auth.verify_api_token(session, raw_key)
    if token is None:
        raise PermissionDenied("This api_key is not valid (unknown or revoked).")
    if scope is not None and scope not in (token.scopes or []):
        raise PermissionDenied("This api_key may not create requests (scope open311.submit).")
    grants: tuple[Grant, ...] = ()
    if token.user_id is not None:
        user = session.get(auth.User, token.user_id)
        if user is not None and user.is_active:
            grants = auth.actor_for(session, user).grants
    actor = Actor(
        user_id=token.user_id,
        display_name=token.name,
        grants=grants,
        kind="api",
        api_scopes=frozenset(token.scopes or ()),
    )
    return actor, token


@dataclass(frozen=True)
class _KnownKey:
    actor: Actor
    token_id: int
    loaded_at: float


# API keys checked in the last few seconds, by SHA-256 of the key: a client filing many
# reports is checked against the database once per KEY_TTL per process. Revoking a key (or any
# change to one through the ORM) empties the cache of this process at once; other processes
# see it within KEY_TTL seconds.
KEY_TTL = 5.0
_known_keys: dict[str, _KnownKey] = {}
_key_last_used: dict[int, datetime] = {}
_known_keys_lock = threading.Lock()


def _forget_keys() -> None:
    with _known_keys_lock:
        _known_keys.clear()


on_change((auth.ApiToken, auth.User, auth.RoleAssignment), lambda _session: _forget_keys())


def _checked_key(session: Session, raw_key: str) -> tuple[Actor, int | None]:
    """The api_key's actor, and the key's id when its last use is due to be stamped (at most
    every few minutes per process; the caller writes it with the report). From the cache of
    keys checked in the last KEY_TTL seconds when the session may use it (bound to an engine,
    as the app's are; a test's session bound to its connection always reads)."""
    digest = hashlib.sha256(raw_key.encode()).hexdigest()
    cacheable = isinstance(session.bind, Engine)
    known = _known_keys.get(digest) if cacheable else None
    now_mono = time.monotonic()
    if known is None or now_mono - known.loaded_at > KEY_TTL:
        actor, token = _api_key(session, raw_key)
        token_id = int(token.id)
        due = token in session.dirty  # verify_api_token stamped it: its last use is due
        session.expunge(token)  # the stamp is written with the report, not by this session
        with _known_keys_lock:
            if cacheable:
                _known_keys[digest] = _KnownKey(actor, token_id, now_mono)
            if due:
                _key_last_used[token_id] = utcnow()
            else:
                _key_last_used.setdefault(token_id, utcnow())
        return actor, (token_id if due else None)
    now = utcnow()
    last = _key_last_used.get(known.token_id)
    if last is not None and now - last <= auth.SESSION_TOUCH_INTERVAL:
        return known.actor, None
    with _known_keys_lock:
        _key_last_used[known.token_id] = now
    return known.actor, known.token_id


def _attributes(
    data: FormData, category: Category | refdata.CategoryRef, errors: list[FieldError]
) -> dict[str, str | list[str]]:
    """attribute[CODE]=v and attribute[CODE][]=v (multivaluelist), checked against the service
    definition: known codes, required ones present, list values among the allowed keys."""
    given: dict[str, list[str]] = {}
    for name, value in data.multi_items():
        match = _ATTRIBUTE.fullmatch(name)
        if match and isinstance(value, str) and value.strip():
            given.setdefault(match.group(1), []).append(value.strip())
    specs = {str(s["code"]): s for s in render.attribute_specs(category)}
    out: dict[str, str | list[str]] = {}
    for code in given:
        if code not in specs:
            errors.append(
                FieldError(
                    f"attributes.{code}", "This service has no attribute {code}.", {"code": code}
                )
            )
    for code, spec in specs.items():
        values = given.get(code, [])
        field = f"attributes.{code}"
        if not values:
            if spec.get("required"):
                errors.append(FieldError(field, "This field is required."))
            continue
        datatype = spec.get("datatype") or "string"
        keys = {str(v.get("key")) for v in spec.get("values") or []}
        if datatype == "multivaluelist":
            if any(v not in keys for v in values):
                errors.append(FieldError(field, "Choose one of the values offered."))
            out[code] = values
            continue
        if len(values) > 1:
            errors.append(FieldError(field, "Give one value only."))
            continue
        value = values[0]
        if datatype == "singlevaluelist" and value not in keys:
            errors.append(FieldError(field, "Choose one of the values offered."))
        elif datatype == "number":
            try:
                float(value.replace(",", "."))
            except ValueError:
                errors.append(FieldError(field, "Enter a number."))
        elif datatype == "datetime" and not _W3C.fullmatch(value):
            errors.append(
                FieldError(
                    field,
                    "Use a date and time with its time zone, for "
                    "example 2026-01-31T08:00:00+07:00.",
                )
            )
        elif len(value) > (DESCRIPTION_MAX if datatype == "text" else 500):
            errors.append(FieldError(field, "This text is too long."))
        out[code] = value
    return out


def _coordinates(data: FormData, errors: list[FieldError]) -> tuple[float | None, float | None]:
    lat_raw, lon_raw = _first(data, "lat"), _first(data, "long")
    if not lat_raw and not lon_raw:
        return None, None
    if not lat_raw or not lon_raw:
        # Spec: "lat & long both need to be sent even though they are sent as two parameters."
        errors.append(FieldError("lat" if not lat_raw else "lon", "Send lat and long together."))
        return None, None
    try:
        point = parse_point(lat_raw, lon_raw)
    except ValidationFailed as error:
        errors.extend(error.errors)
        return None, None
    return point.lat, point.lon


def prepare_form(
    session: Session, actor: Actor, data: FormData, *, idempotency_key: str | None
) -> intake.Draft:
    """Turn the Open311 form into the service's ReportInput and check it (``intake.prepare``),
    or answer with every problem at once. The rules themselves (inside the province,
    anonymity, no HTML) are the service's."""
    errors: list[FieldError] = []
    code = _first(data, "service_code")
    if not code:
        raise ValidationFailed("service_code was not provided.", field="service_code")
    # From the per-process reference data when cached (intake reads it there too).
    category = intake._category(session, code)
    if category is None or not category.is_active:
        # Spec, POST Service Request, "Possible Errors": 404 for a service_code not found.
        raise NotFound("service_code {code} was not found.", code=code[:60])
    lat, lon = _coordinates(data, errors)
    address = _first(data, "address_string")
    area_code = _first(data, "address_id") or None
    if lat is None and not address and not area_code and not errors:
        errors.append(
            FieldError("location", "Send a location: lat and long, address_string or address_id.")
        )
    if lat is None and address and not area_code:
        # The service needs the commune of a report without coordinates; an Open311 client
        # may send only address_string (spec: "one of lat & long or address_string or
        # address_id"), so the commune is read from the address when it names one.
        area_code = queries.commune_named_in(session, address)
        if area_code is None:
            errors.append(
                FieldError(
                    "address",
                    "Name the commune or ward in address_string, "
                    "or send address_id or lat and long.",
                )
            )
    attributes = _attributes(data, category, errors)
    media_url = _first(data, "media_url")
    # Kept as given, for staff; never fetched (that would let anyone make us request any
    # address) and never republished (it was not moderated).
    if media_url and (
        not re.fullmatch(r"https?://[^\s<>\"]+", media_url) or len(media_url) > MEDIA_URL_MAX
    ):
        errors.append(FieldError("media_url", "Give an http or https address."))
    description = _first(data, "description")
    if len(description) > DESCRIPTION_MAX:
        errors.append(
            FieldError("description", "At most {max} characters.", {"max": DESCRIPTION_MAX})
        )
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        errors.append(
            FieldError("idempotency_key", "At most {max} characters.", {"max": IDEMPOTENCY_KEY_MAX})
        )
    if len(address) > ADDRESS_MAX:
        errors.append(FieldError("address", "At most {max} characters.", {"max": ADDRESS_MAX}))
    name = " ".join(p for p in (_first(data, "first_name"), _first(data, "last_name")) if p)
    phone, email = _first(data, "phone"), _first(data, "email")
    for field, value, limit in (
        ("reporter_name", name, 200),
        ("reporter_phone", phone, 20),
        ("reporter_email", email, 254),
    ):
        if len(value) > limit:
            errors.append(FieldError(field, "At most {max} characters.", {"max": limit}))
    if errors:
        raise ValidationFailed("The request is not valid.", errors=errors)
    report_input = ReportInput(
        category_code=category.code,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        area_code=area_code,
        reporter_name=name,
        reporter_phone=phone,
        reporter_email=email,
        # Without contact details the service files it anonymously where the category
        # allows that, and otherwise asks for a phone number or an e-mail address.
        anonymous=False,
        attributes=attributes,
        idempotency_key=idempotency_key,
    )
    # The service keeps only the category's own attributes; the client's media link is kept
    # beside them for staff (see above), unless the category has an attribute of that name.
    kept = {"media_url": media_url} if media_url and "media_url" not in attributes else None
    return intake.prepare(session, actor, report_input, channel="open311", kept_attributes=kept)
