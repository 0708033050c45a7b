"""Open311 GeoReport v2 documents in XML and JSON from one plain-Python shape.

The spec (GeoReport v2, "Format Support") makes XML the required format and derives JSON from
it by the Spark convention: a list becomes an array (a wrapper element holding one child element
per item in XML), everything else maps field for field. So each document is built once, as dicts
and lists, and serialised two ways here; the names of list items in XML are the spec's.

Serialisation is by hand rather than through ElementTree: a page of 1,000 requests is the hot read
path, and string building with escaping is several times faster than building a tree.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from fastapi.responses import Response

from ioc.reports.lifecycle import OPEN, open311_status
from ioc.reports.models import Category, Report, ReportPhoto
from ioc.reports.queries import PublicUpdate, RequestRows
from ioc.reports.refdata import CategoryRef

Format = Literal["xml", "json"]
FORMATS: tuple[Format, ...] = ("xml", "json")
XML_MEDIA_TYPE = "text/xml; charset=utf-8"
JSON_MEDIA_TYPE = "application/json; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Wrapper element → item element, as in the spec's examples (services/service,
# service_requests/request, attributes/attribute, values/value, errors/error, discovery's
# endpoints/endpoint and formats/format) and in the extensions page (notes/note, photos/photo).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "photos": "photo",
}

# Characters XML 1.0 cannot carry at all, even escaped. Stored text is cleaned on input, but a
# response must never become unparseable because of one odd character in old data.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return escape(_XML_ILLEGAL.sub("", str(value)))


# Text that _text would change (most text has none of these, and is written as it is).
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _element(name: str, value: Any, out: list[str]) -> None:
    if type(value) is str and value and _XML_SPECIAL.search(value) is None:
        out.append(f"<{name}>{value}</{name}>")
    elif value is None or value == "":
        out.append(f"<{name}/>")
    elif isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, child in value.items():
            _element(key, child, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        item = ITEM_NAMES.get(name, "item")
        out.append(f"<{name}>")
        for child in value:
            _element(item, child, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def to_xml(root: str, document: Any) -> bytes:
    """``document`` as an XML document whose root element is ``root``."""
    out = [XML_DECLARATION]
    _element(root, document, out)
    out.append("\n")
    return "".join(out).encode("utf-8")


def to_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def respond(
    fmt: Format,
    root: str,
    document: Any,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The same document in the format the URL's suffix asked for."""
    if fmt == "json":
        body, media_type = to_json(document), JSON_MEDIA_TYPE
    else:
        body, media_type = to_xml(root, document), XML_MEDIA_TYPE
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def errors_document(status_code: int, descriptions: Sequence[str]) -> list[dict[str, Any]]:
    """GeoReport v2 "Errors": a list of code and description, possibly several."""
    return [{"code": status_code, "description": d} for d in descriptions]


def w3_datetime(value: datetime | None, tz: ZoneInfo) -> str | None:
    """W3C-profile ISO 8601 with the zone offset the spec requires ("Date/time format"), shown
    in the province's local time (+07:00) as the spec's own examples use local offsets."""
    if value is None:
        return None
    return value.astimezone(tz).isoformat(timespec="seconds")


def format_from_suffix(path: str) -> Format:
    """The format an error must be rendered in: the URL's suffix, XML when there is none
    (XML is the spec's required format)."""
    return "json" if path.rstrip("/").endswith(".json") else "xml"


# --- documents ------------------------------------------------------------------------------

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# Status words for the history notes (extensions=true); message ids, translated when shown.
STATUS_LABELS = {
    "submitted": "Submitted",
    "accepted": "Accepted",
    "in_progress": "In progress",
    "waiting": "Waiting for the citizen's information",
    "resolved": "Resolved",
    "closed": "Closed",
    "closed_unfixed": "Closed without a fix",
    "rejected": "Rejected",
    "duplicate": "Duplicate",
    "reopened": "Reopened: not fixed",
}


@dataclass(frozen=True)
class Context:
    """What every document needs to know of the request it answers."""

    locale: str
    tz: ZoneInfo
    base_url: str
    _: Callable[..., str]


def localised(vi: str | None, en: str | None, locale: str) -> str:
    vi, en = vi or "", en or ""
    return (en or vi) if locale == "en" else (vi or en)


def service_document(category: Category, locale: str) -> dict[str, Any]:
    """One <service> of GET Service List."""
    return {
        "service_code": category.code,
        "service_name": localised(category.name_vi, category.name_en, locale),
        "description": localised(category.description_vi, category.description_en, locale),
        "metadata": bool(attribute_specs(category)),
        # Every report gets its public code in the same transaction: "realtime" in the spec's
        # words, so clients never need tokens.
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


def attribute_specs(category: Category | CategoryRef) -> list[dict[str, Any]]:
    """The category's Open311 attributes in the order they are shown (spec: "order", 1 first);
    attributes without an order keep their place in the list."""
    return _ordered(category.attributes or [])


def _ordered(attributes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    specs = [a for a in attributes if isinstance(a, dict) and a.get("code")]
    ranked = sorted(
        enumerate(specs), key=lambda pair: (int(pair[1].get("order") or pair[0] + 1), pair[0])
    )
    return [spec for _, spec in ranked]


def definition_document(category: Category, locale: str) -> dict[str, Any]:
    """<service_definition> of GET Service Definition."""
    attributes = []
    for index, spec in enumerate(attribute_specs(category), start=1):
        values = [
            {
                "key": str(v.get("key", "")),
                "name": localised(v.get("name_vi"), v.get("name_en"), locale),
            }
            for v in spec.get("values") or []
        ]
        attributes.append(
            {
                # Every attribute we define asks for input; none is display-only text.
                "variable": True,
                "code": str(spec["code"]),
                "datatype": spec.get("datatype") or "string",
                "required": bool(spec.get("required", False)),
                "datatype_description": localised(
                    spec.get("datatype_description_vi"),
                    spec.get("datatype_description_en"),
                    locale,
                )
                or None,
                "order": int(spec.get("order") or index),
                "description": localised(
                    spec.get("description_vi"), spec.get("description_en"), locale
                ),
                "values": values,
            }
        )
    return {"service_code": category.code, "attributes": attributes}


def expected_at(report: Report) -> datetime | None:
    """The deadline the agency works to: resolution once set, else acceptance."""
    return report.resolve_due_at or report.accept_due_at


def service_notice(report: Report, ctx: Context) -> str | None:
    due = expected_at(report)
    if due is None or open311_status(report.status) == "closed":
        return None
    return str(
        ctx._(
            "The responsible agency must answer by {time}.",
            time=due.astimezone(ctx.tz).strftime("%H:%M %d/%m/%Y"),
        )
    )


# Where the reports module serves a visible photo (absolute URLs are built on base_url).
PHOTO_PATH = "/reports/photos/{id}"


@dataclass(frozen=True)
class Extensions:
    """What extensions=true adds to a page, read for the whole page at once: visible photos,
    public history and the attribute definitions of the page's categories."""

    photos: Mapping[int, Sequence[ReportPhoto]]
    history: Mapping[int, Sequence[PublicUpdate]]
    category_attributes: Mapping[int, Sequence[dict[str, Any]]]


def request_documents(
    page: RequestRows,
    ctx: Context,
    *,
    first_photos: Mapping[int, int] | None = None,
    extensions: Extensions | None = None,
) -> list[dict[str, Any]]:
    """The <request>s of GET Service Requests, one per row. Built from public columns only:
    nothing of the reporter (name, phone, e-mail, account) is ever read here. With
    ``extensions`` each also gets the extensions Chicago, Boston and San Francisco return
    with extensions=true (GeoReport v2 Extensions: "Extended Attributes", "Update History");
    without, ``first_photos`` (report id → its first visible photo) gives media_url.

    A 1,000-row page is the hot read path, so what does not change from row to row is worked
    out once per page (names in the request's language, the notice's wording), rows are read
    as plain tuples, and only the times shown are read, each converted to local time once
    (the deadline notice is cut from expected_datetime's text rather than formatted again)."""
    tz, locale, _, utc = ctx.tz, ctx.locale, ctx._, page.utc
    services: dict[int, str] = {}
    agencies: dict[int, str] = {}
    notices: dict[str, str] = {}
    attribute_tables: dict[int, list[_AttributeSpec]] = {}
    photo_prefix = f"{ctx.base_url}{PHOTO_PATH.format(id='')}"
    docs: list[dict[str, Any]] = []
    for row in page.rows:
        status = "open" if row.status in OPEN else "closed"
        if status == "closed":
            # Spec: "For requests with status=closed, this will be the date the request was
            # closed."
            updated = row.closed_at or row.resolved_at or row.updated_at
        else:
            updated = row.updated_at
        service_name = services.get(row.category_id)
        if service_name is None:
            service_name = localised(row.category_name_vi, row.category_name_en, locale)
            services[row.category_id] = service_name
        agency: str | None = None
        if row.agency_id is not None:
            agency = agencies.get(row.agency_id)
            if agency is None:
                agency = localised(row.agency_name, row.agency_name_en, locale)
                agencies[row.agency_id] = agency
        due = row.resolve_due_at or row.accept_due_at
        expected: str | None = None
        notice: str | None = None
        if due is not None:
            local_due = cast(datetime, utc(due)).astimezone(tz)
            expected = local_due.isoformat(timespec="seconds")
            if status == "open":
                # The notice's "%H:%M %d/%m/%Y", cut from expected's YYYY-MM-DDTHH:MM:SS
                # (strftime would not pad a year below 1000).
                time_text = (
                    f"{expected[11:16]} {expected[8:10]}/{expected[5:7]}/{expected[:4]}"
                    if local_due.year >= 1000
                    else local_due.strftime("%H:%M %d/%m/%Y")
                )
                notice = notices.get(time_text)
                if notice is None:
                    notice = str(_("The responsible agency must answer by {time}.", time=time_text))
                    notices[time_text] = notice
        photos: Sequence[ReportPhoto] = ()
        if extensions is not None:
            photos = extensions.photos.get(row.id, ())
            first = photos[0].id if photos else None
        else:
            first = first_photos.get(row.id) if first_photos else None
        doc: dict[str, Any] = {
            "service_request_id": row.code,
            "status": status,
            "status_notes": row.public_answer or None,
            "service_name": service_name,
            "service_code": row.category_code,
            "description": row.description,
            "agency_responsible": agency,
            "service_notice": notice,
            "requested_datetime": cast(datetime, utc(row.submitted_at))
            .astimezone(tz)
            .isoformat(timespec="seconds"),
            "updated_datetime": cast(datetime, utc(updated))
            .astimezone(tz)
            .isoformat(timespec="seconds"),
            "expected_datetime": expected,
            "address": row.address or None,
            # Our addressing system is the register of communes and wards: the commune's code.
            "address_id": row.area_code,
            "zipcode": None,
            "lat": row.lat,
            "long": row.lon,
            "media_url": None if first is None else f"{photo_prefix}{first}",
        }
        if extensions is not None:
            table = attribute_tables.get(row.category_id)
            if table is None:
                specs = extensions.category_attributes.get(row.category_id, ())
                table = attribute_tables[row.category_id] = _attribute_table(specs, locale)
            doc["attributes"] = _attribute_values(row.attributes or {}, table)
            doc["extended_attributes"] = {
                "status": row.status,
                "channel": row.channel,
                "urgency": row.urgency,
                "accept_due_datetime": w3_datetime(utc(row.accept_due_at), tz),
                "accepted_datetime": w3_datetime(utc(row.accepted_at), tz),
                "resolve_due_datetime": w3_datetime(utc(row.resolve_due_at), tz),
                "resolved_datetime": w3_datetime(utc(row.resolved_at), tz),
                "reopen_count": row.reopen_count,
                "photos": [
                    {
                        "media_url": f"{photo_prefix}{p.id}",
                        "width": p.width,
                        "height": p.height,
                        "created_at": w3_datetime(p.created_at, tz),
                    }
                    for p in photos
                ],
            }
            doc["notes"] = [_note(step, ctx) for step in extensions.history.get(row.id, ())]
        docs.append(doc)
    return docs


def _note(step: PublicUpdate, ctx: Context) -> dict[str, Any]:
    # A status change is named by the status reached (as the Extensions page's "opened");
    # an answer or a transfer without one by its kind.
    kind = step.to_status or step.kind
    label = STATUS_LABELS.get(step.to_status or "", "")
    text = step.public_text or (str(ctx._(label)) if label else "")
    return {"datetime": w3_datetime(step.at, ctx.tz), "description": text, "type": kind}


@dataclass(frozen=True)
class _AttributeSpec:
    code: str
    label: str
    names: dict[str, str]  # value key → its name in the request's language


def _attribute_table(attributes: Sequence[dict[str, Any]], locale: str) -> list[_AttributeSpec]:
    """A category's attributes, in their order, with their words in ``locale``."""
    return [
        _AttributeSpec(
            code=str(spec["code"]),
            label=localised(spec.get("description_vi"), spec.get("description_en"), locale),
            names={
                str(v.get("key")): localised(v.get("name_vi"), v.get("name_en"), locale)
                for v in spec.get("values") or []
            },
        )
        for spec in _ordered(attributes)
    ]


def _attribute_values(
    answers: Mapping[str, Any], table: Sequence[_AttributeSpec]
) -> list[dict[str, Any]]:
    """Answers to the category's own attributes only: anything else a client sent along (a
    media_url, say) is not republished."""
    out = []
    for spec in table:
        if spec.code not in answers:
            continue
        value = answers[spec.code]
        keys = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        out.append(
            {
                "code": spec.code,
                "label": spec.label,
                "value": ",".join(keys),
                "name": ",".join(spec.names.get(k, k) for k in keys),
            }
        )
    return out


# --- pages of requests, with rendered requests kept per process ---------------------------------

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class RenderedRequests:
    """Rendered requests (a JSON object or an XML <request> each, as UTF-8) kept per process,
    least recently used first out.

    The key is everything a rendering is made of: the format, the request's language, zone
    and base URL, the report's whole row as read (its columns, its category's and agency's
    names) and its first visible photo. A change to any of them is a different key, so a kept
    rendering can be stale only if the translations or the code change, which they do not
    while the process runs. (Keys compare as Python values: 0.0 and -0.0 are one key, but
    coordinates are inside the province.) Open311 clients poll the same windows again and
    again, and most rows of a page have not changed since the last time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, keys: Sequence[Hashable]) -> list[bytes | None]:
        with self._lock:
            found = []
            for key in keys:
                rendered = self._kept.get(key)
                if rendered is not None:
                    self._kept.move_to_end(key)
                found.append(rendered)
            return found

    def keep(self, items: Iterable[tuple[Hashable, bytes]]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            for key, rendered in items:
                self._kept[key] = rendered
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


# Ten full pages of 1,000. Measured ~2.8 KB a kept request (its key holds the row), so ~30 MB.
rendered_requests = RenderedRequests(10_000)


def requests_response(
    fmt: Format,
    page: RequestRows,
    ctx: Context,
    *,
    first_photos: Mapping[int, int],
) -> Response:
    """GET Service Requests' answer for a page of rows without extensions: byte for byte
    ``respond(fmt, "service_requests", request_documents(page, ...))``, with each request
    rendered once and then taken from ``rendered_requests`` while its row is unchanged."""
    rows = page.rows
    common = (fmt, ctx.locale, ctx.tz, ctx.base_url)
    keys = [(common, row, first_photos.get(row.id)) for row in rows]
    parts = rendered_requests.take(keys)
    missing = [i for i, part in enumerate(parts) if part is None]
    if missing:
        todo = RequestRows([rows[i] for i in missing], page.utc)
        documents = request_documents(todo, ctx, first_photos=first_photos)
        made = []
        for i, document in zip(missing, documents, strict=True):
            if fmt == "json":
                rendered = _JSON.encode(document).encode("utf-8")
            else:
                out: list[str] = []
                _element("request", document, out)
                rendered = "".join(out).encode("utf-8")
            parts[i] = rendered
            made.append((keys[i], rendered))
        rendered_requests.keep(made)
    done = cast(list[bytes], parts)
    if fmt == "json":
        body, media_type = b"[" + b",".join(done) + b"]", JSON_MEDIA_TYPE
    else:
        body = b"".join(
            (XML_DECLARATION.encode(), b"<service_requests>", *done, b"</service_requests>\n")
        )
        media_type = XML_MEDIA_TYPE
    return Response(body, media_type=media_type)
