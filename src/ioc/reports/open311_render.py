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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from fastapi.responses import Response

from ioc.reports.lifecycle import open311_status
from ioc.reports.models import Category, Report, ReportPhoto
from ioc.reports.queries import PublicUpdate, ReportRow
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


def _element(name: str, value: Any, out: list[str]) -> None:
    if value is None or value == "":
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
    specs = [a for a in category.attributes or [] if isinstance(a, dict) and a.get("code")]
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


def photo_url(ctx: Context, photo: ReportPhoto) -> str:
    return f"{ctx.base_url}{PHOTO_PATH.format(id=photo.id, key=photo.key)}"


# Where the reports module serves a visible photo (absolute URLs are built on base_url).
PHOTO_PATH = "/reports/photos/{id}"


def request_document(
    row: ReportRow,
    ctx: Context,
    *,
    photos: Sequence[ReportPhoto] = (),
    history: Sequence[PublicUpdate] | None = None,
) -> dict[str, Any]:
    """One <request> of GET Service Requests. Built from public columns only: nothing of the
    reporter (name, phone, e-mail, account) is ever read here. ``history`` (a list, even
    empty) adds the extensions Chicago, Boston and San Francisco return with
    extensions=true (GeoReport v2 Extensions: "Extended Attributes", "Update History")."""
    report, category = row.report, row.category
    status = open311_status(report.status)
    updated = report.updated_at
    if status == "closed":
        # Spec: "For requests with status=closed, this will be the date the request was closed."
        updated = report.closed_at or report.resolved_at or report.updated_at
    agency = row.agency
    doc: dict[str, Any] = {
        "service_request_id": report.code,
        "status": status,
        "status_notes": report.public_answer or None,
        "service_name": localised(category.name_vi, category.name_en, ctx.locale),
        "service_code": category.code,
        "description": report.description,
        "agency_responsible": (
            localised(agency.name, agency.name_en, ctx.locale) if agency is not None else None
        ),
        "service_notice": service_notice(report, ctx),
        "requested_datetime": w3_datetime(report.submitted_at, ctx.tz),
        "updated_datetime": w3_datetime(updated, ctx.tz),
        "expected_datetime": w3_datetime(expected_at(report), ctx.tz),
        "address": report.address or None,
        # Our addressing system is the register of communes and wards: the commune's code.
        "address_id": report.area_code,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": photo_url(ctx, photos[0]) if photos else None,
    }
    if history is not None:
        doc["attributes"] = _attribute_values(report, category, ctx.locale)
        doc["extended_attributes"] = {
            "status": report.status,
            "channel": report.channel,
            "urgency": report.urgency,
            "accept_due_datetime": w3_datetime(report.accept_due_at, ctx.tz),
            "accepted_datetime": w3_datetime(report.accepted_at, ctx.tz),
            "resolve_due_datetime": w3_datetime(report.resolve_due_at, ctx.tz),
            "resolved_datetime": w3_datetime(report.resolved_at, ctx.tz),
            "reopen_count": report.reopen_count,
            "photos": [
                {
                    "media_url": photo_url(ctx, p),
                    "width": p.width,
                    "height": p.height,
                    "created_at": w3_datetime(p.created_at, ctx.tz),
                }
                for p in photos
            ],
        }
        doc["notes"] = [_note(step, ctx) for step in history]
    return doc


def _note(step: PublicUpdate, ctx: Context) -> dict[str, Any]:
    # A status change is named by the status reached (as the Extensions page's "opened");
    # an answer or a transfer without one by its kind.
    kind = step.to_status or step.kind
    label = STATUS_LABELS.get(step.to_status or "", "")
    text = step.public_text or (str(ctx._(label)) if label else "")
    return {"datetime": w3_datetime(step.at, ctx.tz), "description": text, "type": kind}


def _attribute_values(report: Report, category: Category, locale: str) -> list[dict[str, Any]]:
    """Answers to the category's own attributes only: anything else a client sent along (a
    media_url, say) is not republished."""
    answers = report.attributes or {}
    out = []
    for spec in attribute_specs(category):
        code = str(spec["code"])
        if code not in answers:
            continue
        value = answers[code]
        names = {
            str(v.get("key")): localised(v.get("name_vi"), v.get("name_en"), locale)
            for v in spec.get("values") or []
        }
        keys = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        out.append(
            {
                "code": code,
                "label": localised(spec.get("description_vi"), spec.get("description_en"), locale),
                "value": ",".join(keys),
                "name": ",".join(names.get(k, k) for k in keys),
            }
        )
    return out
