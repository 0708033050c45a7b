"""GET Service Requests renders exactly what the straightforward construction renders.

The list is built from plain rows with per-page constants and kept renderings
(open311_render.request_documents, requests_response). Here every answer is compared byte
for byte with a reference built the plain way: from the ORM objects, one dict per report, each
time converted with astimezone and strftime, serialised by a generic walker (the construction
the list used before). The answers are also checked against the spec's shape (GeoReport v2,
GET Service Requests: the fields, XML and JSON carrying the same values, W3C times with the
zone), over reports of every kind: hidden photos, anonymous reporters, no location, no agency,
transferred, closed, rejected, text that needs escaping, and extensions=true with history."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.kit.i18n import translator
from ioc.reports import open311_render as render
from ioc.reports.models import Category, Report, ReportPhoto, ReportUpdate

BASE = "/open311/v2"
# GeoReport v2, GET Service Requests, "Response": the fields of a request, in this order.
SPEC_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
EXTENSION_FIELDS = ["attributes", "extended_attributes", "notes"]
W3C = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00")
OPEN = {"submitted", "accepted", "in_progress", "waiting", "reopened"}
INTERNAL_KINDS = {"note", "moderation"}


# --- the reference: the plain construction ----------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    locale: str
    tz: ZoneInfo
    base_url: str
    _: Callable[..., str]


def pick(vi: str | None, en: str | None, locale: str) -> str:
    vi, en = vi or "", en or ""
    return (en or vi) if locale == "en" else (vi or en)


def w3(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def reference_document(
    session: Session, report: Report, ctx: Ctx, *, extensions: bool
) -> dict[str, Any]:
    category = session.get(Category, report.category_id)
    assert category is not None
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    photos = list(
        session.scalars(
            select(ReportPhoto)
            .where(ReportPhoto.report_id == report.id, ReportPhoto.is_hidden.is_(False))
            .order_by(ReportPhoto.id)
        )
    )
    status = "open" if report.status in OPEN else "closed"
    updated = report.updated_at
    if status == "closed":
        updated = report.closed_at or report.resolved_at or report.updated_at
    due = report.resolve_due_at or report.accept_due_at
    notice = None
    if due is not None and status == "open":
        notice = ctx._(
            "The responsible agency must answer by {time}.",
            time=due.astimezone(ctx.tz).strftime("%H:%M %d/%m/%Y"),
        )
    photo_url = f"{ctx.base_url}/reports/photos/{{}}".format
    doc: dict[str, Any] = {
        "service_request_id": report.code,
        "status": status,
        "status_notes": report.public_answer or None,
        "service_name": pick(category.name_vi, category.name_en, ctx.locale),
        "service_code": category.code,
        "description": report.description,
        "agency_responsible": pick(agency.name, agency.name_en, ctx.locale) if agency else None,
        "service_notice": notice,
        "requested_datetime": w3(report.submitted_at, ctx.tz),
        "updated_datetime": w3(updated, ctx.tz),
        "expected_datetime": w3(due, ctx.tz),
        "address": report.address or None,
        "address_id": report.area_code,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": photo_url(photos[0].id) if photos else None,
    }
    if not extensions:
        return doc
    answers = report.attributes or {}
    specs = [a for a in category.attributes or [] if isinstance(a, dict) and a.get("code")]
    ranked = sorted(enumerate(specs), key=lambda p: (int(p[1].get("order") or p[0] + 1), p[0]))
    attributes = []
    for _, spec in ranked:
        code = str(spec["code"])
        if code not in answers:
            continue
        value = answers[code]
        names = {
            str(v.get("key")): pick(v.get("name_vi"), v.get("name_en"), ctx.locale)
            for v in spec.get("values") or []
        }
        keys = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        attributes.append(
            {
                "code": code,
                "label": pick(spec.get("description_vi"), spec.get("description_en"), ctx.locale),
                "value": ",".join(keys),
                "name": ",".join(names.get(k, k) for k in keys),
            }
        )
    doc["attributes"] = attributes
    doc["extended_attributes"] = {
        "status": report.status,
        "channel": report.channel,
        "urgency": report.urgency,
        "accept_due_datetime": w3(report.accept_due_at, ctx.tz),
        "accepted_datetime": w3(report.accepted_at, ctx.tz),
        "resolve_due_datetime": w3(report.resolve_due_at, ctx.tz),
        "resolved_datetime": w3(report.resolved_at, ctx.tz),
        "reopen_count": report.reopen_count,
        "photos": [
            {
                "media_url": photo_url(p.id),
                "width": p.width,
                "height": p.height,
                "created_at": w3(p.created_at, ctx.tz),
            }
            for p in photos
        ],
    }
    steps = session.scalars(
        select(ReportUpdate)
        .where(ReportUpdate.report_id == report.id, ReportUpdate.kind.not_in(INTERNAL_KINDS))
        .order_by(ReportUpdate.at, ReportUpdate.id)
    )
    notes = []
    for step in steps:
        label = render.STATUS_LABELS.get(step.to_status or "", "")
        notes.append(
            {
                "datetime": w3(step.at, ctx.tz),
                "description": step.public_text or (ctx._(label) if label else ""),
                "type": step.to_status or step.kind,
            }
        )
    doc["notes"] = notes
    return doc


ITEMS = {"service_requests": "request", "attributes": "attribute", "notes": "note"}
ITEMS["photos"] = "photo"
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def reference_element(name: str, value: Any, out: list[str]) -> None:
    if value is None or value == "":
        out.append(f"<{name}/>")
    elif isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, child in value.items():
            reference_element(key, child, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        out.append(f"<{name}>")
        for child in value:
            reference_element(ITEMS.get(name, "item"), child, out)
        out.append(f"</{name}>")
    elif isinstance(value, bool):
        out.append(f"<{name}>{'true' if value else 'false'}</{name}>")
    elif isinstance(value, float):
        out.append(f"<{name}>{repr(value) if math.isfinite(value) else ''}</{name}>")
    else:
        out.append(f"<{name}>{escape(ILLEGAL.sub('', str(value)))}</{name}>")


def reference_body(fmt: str, documents: list[dict[str, Any]]) -> bytes:
    if fmt == "json":
        return json.dumps(documents, ensure_ascii=False, separators=(",", ":")).encode()
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    reference_element("service_requests", documents, out)
    return ("".join(out) + "\n").encode()


# --- reports of every kind ----------------------------------------------------------------------


class Reports:
    def __init__(self, session: Session, app: FastAPI) -> None:
        self.session = session
        self.base_url = app.state.settings.base_url.rstrip("/")
        self.tz = ZoneInfo(app.state.settings.timezone)
        self.category = Category(
            code="t.list.pothole",
            group="roads",
            name_vi="Ổ gà trên đường",
            name_en="Pothole",
            attributes=[
                {
                    "code": "hazards",
                    "datatype": "multivaluelist",
                    "order": 2,
                    "description_vi": "Nguy hiểm",
                    "description_en": "Hazards",
                    "values": [
                        {"key": "water", "name_vi": "Đọng nước", "name_en": "Standing water"},
                        {"key": "night", "name_vi": "Tối", "name_en": "Dark at night"},
                    ],
                },
                {
                    "code": "size",
                    "datatype": "singlevaluelist",
                    "order": 1,
                    "description_vi": "Kích thước",
                    "description_en": "",
                    "values": [{"key": "large", "name_vi": "Lớn", "name_en": "Large"}],
                },
            ],
        )
        # No English name: English answers fall back to the Vietnamese one.
        self.other = Category(code="t.list.noise", group="other", name_vi="Tiếng ồn", name_en="")
        session.add_all([self.category, self.other])
        self.agency = Agency(
            code="T-LIST-A", kind="department", name="Sở Xây dựng thử", name_en="Test Construction"
        )
        self.second = Agency(code="T-LIST-B", kind="commune", name="UBND xã Thử", name_en="")
        session.add_all([self.agency, self.second])
        session.flush()
        self.area = session.scalars(
            select(Area).where(Area.kind != "province").order_by(Area.code).limit(1)
        ).one()
        self.now = datetime.now(UTC).replace(microsecond=123456)
        self._n = 0
        self.all: list[Report] = []

    def add(self, **fields: Any) -> Report:
        self._n += 1
        submitted = self.now - timedelta(hours=self._n, minutes=7 * self._n)
        values: dict[str, Any] = {
            "code": f"PA-1998-{self._n:06d}",
            "category_id": self.category.id,
            "description": f"Báo cáo số {self._n}: mặt đường sụt lún",
            "lat": 21.5928 + self._n / 1000,
            "lon": 105.8442,
            "area_code": self.area.code,
            "address": "Đường Hoàng Văn Thụ",
            "status": "submitted",
            "agency_id": self.agency.id,
            "channel": "app",
            "reporter_name": "Nguyễn Bí Mật",
            "reporter_phone": "0912345678",
            "reporter_email": "bimat.reporter@example.vn",
            "submitted_at": submitted,
            "updated_at": submitted + timedelta(minutes=3),
            "accept_due_at": submitted + timedelta(hours=8, seconds=41),
        }
        values.update(fields)
        report = Report(**values)
        self.session.add(report)
        self.session.flush()
        self.all.append(report)
        return report

    def photo(self, report: Report, *, hidden: bool = False) -> ReportPhoto:
        photo = ReportPhoto(
            report_id=report.id,
            key=f"2026/01/01/{report.code}-{len(self.all)}.jpg",
            thumb_key="t.jpg",
            width=800,
            height=600,
            is_hidden=hidden,
            created_at=report.submitted_at + timedelta(seconds=5),
        )
        self.session.add(photo)
        self.session.flush()
        return photo

    def step(self, report: Report, minutes: int, kind: str, **fields: Any) -> None:
        self.session.add(
            ReportUpdate(
                report_id=report.id,
                at=report.submitted_at + timedelta(minutes=minutes),
                kind=kind,
                **fields,
            )
        )
        self.session.flush()

    def visible(self) -> list[Report]:
        """The reports a public list shows, newest first as it orders them."""
        shown = [r for r in self.all if not r.is_hidden]
        return sorted(shown, key=lambda r: (r.submitted_at, r.id), reverse=True)

    def ctx(self, locale: str) -> Ctx:
        return Ctx(locale, self.tz, self.base_url, translator(locale))


@pytest.fixture()
def reports(seeded: Session, app: FastAPI) -> Reports:
    r = Reports(seeded, app)
    # Open, with a deadline to accept, a hidden photo and a visible one after it.
    first = r.add(status="accepted", accepted_at=r.now - timedelta(minutes=30))
    r.photo(first, hidden=True)
    r.photo(first)
    r.step(first, 0, "status", to_status="submitted")
    r.step(first, 9, "status", from_status="submitted", to_status="accepted")
    r.step(first, 10, "note", internal_note="Người báo là hàng xóm ông trưởng phòng")
    # Its only photo hidden; attributes answered, with one the category does not have.
    only_hidden = r.add(
        status="in_progress",
        resolve_due_at=r.now + timedelta(days=3, minutes=13),
        attributes={"size": "large", "hazards": ["water", "ice"], "media_url": "http://x/y"},
    )
    r.photo(only_hidden, hidden=True)
    # Anonymous: no reporter at all.
    r.add(anonymous=True, reporter_name="", reporter_phone="", reporter_email="", channel="web")
    # No location: no coordinates, no address, no commune; another category.
    r.add(lat=None, lon=None, address="", area_code=None, category_id=r.other.id)
    # Transferred to the commune, which has no English name; the transfer is public.
    moved = r.add(status="accepted", agency_id=r.second.id, urgency="urgent")
    r.step(moved, 2, "status", to_status="submitted")
    r.step(
        moved,
        30,
        "transfer",
        agency_id=r.agency.id,
        to_agency_id=r.second.id,
        public_text="Chuyển cho UBND xã",
        internal_note="Không thuộc thẩm quyền",
    )
    # Resolved then closed, with an answer: updated_datetime is the close time.
    closed = r.add(
        status="closed",
        public_answer="Đã vá ổ gà & <làm> lại mặt đường.",
        resolve_due_at=r.now - timedelta(days=1),
        resolved_at=r.now - timedelta(hours=20, seconds=9),
        closed_at=r.now - timedelta(hours=2, seconds=17),
        reopen_count=1,
    )
    r.step(closed, 60, "status", to_status="resolved")
    r.step(closed, 70, "answer", public_text="Đã vá.")
    # Rejected: closed with no resolution; resolved but not closed yet.
    r.add(status="rejected", closed_at=r.now - timedelta(hours=1))
    r.add(status="resolved", resolved_at=r.now - timedelta(minutes=50))
    # Not routed: no agency, no deadline yet.
    r.add(agency_id=None, accept_due_at=None)
    # Text that XML must escape, one character XML cannot carry, and a deadline in a year
    # strftime does not pad.
    r.add(
        description='Cống <tắc> & "ngập" \x01 nước',
        address="Số 5 <ngõ> 7",
        accept_due_at=datetime(999, 5, 1, 1, 2, 3, tzinfo=UTC),
    )
    r.add(status="reopened", reopen_count=2)
    # Hidden by a moderator: never listed.
    r.add(is_hidden=True)
    seeded.commit()
    return r


# --- the tests ---------------------------------------------------------------------------------


def codes(reports: Reports) -> str:
    return ",".join(r.code for r in reports.all)


def expected(reports: Reports, fmt: str, locale: str, *, extensions: bool = False) -> bytes:
    ctx = reports.ctx(locale)
    documents = [
        reference_document(reports.session, r, ctx, extensions=extensions)
        for r in reports.visible()
    ]
    return reference_body(fmt, documents)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_list_is_byte_for_byte_the_plain_construction(
    client: TestClient, reports: Reports, fmt: str, locale: str
) -> None:
    params = {"service_request_id": codes(reports), "locale": locale}
    first = client.get(f"{BASE}/requests.{fmt}", params=params)
    assert first.status_code == 200, first.text
    assert first.content == expected(reports, fmt, locale)
    # The second time the requests come from the renderings kept per process.
    again = client.get(f"{BASE}/requests.{fmt}", params=params)
    assert again.content == first.content


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_list_with_extensions_is_byte_for_byte_the_plain_construction(
    client: TestClient, reports: Reports, fmt: str, locale: str
) -> None:
    params = {"service_request_id": codes(reports), "locale": locale, "extensions": "true"}
    response = client.get(f"{BASE}/requests.{fmt}", params=params)
    assert response.status_code == 200, response.text
    assert response.content == expected(reports, fmt, locale, extensions=True)
    assert "hàng xóm" not in response.text and "thẩm quyền" not in response.text


@pytest.mark.parametrize("extensions", ["false", "true"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_is_byte_for_byte_the_plain_construction(
    client: TestClient, reports: Reports, fmt: str, extensions: str
) -> None:
    for report in reports.visible():
        response = client.get(
            f"{BASE}/requests/{report.code}.{fmt}", params={"extensions": extensions}
        )
        ctx = reports.ctx("vi")
        document = reference_document(reports.session, report, ctx, extensions=extensions == "true")
        assert response.content == reference_body(fmt, [document]), report.code


def test_a_filtered_window_lists_the_same_documents(client: TestClient, reports: Reports) -> None:
    """The benchmark's query: one service, open, a window of requested time."""
    params = {
        "service_code": "t.list.pothole",
        "status": "open",
        "start_date": (reports.now - timedelta(days=2)).isoformat(),
        "end_date": reports.now.isoformat(),
    }
    wanted = [
        r for r in reports.visible() if r.status in OPEN and r.category_id == reports.category.id
    ]
    ctx = reports.ctx("vi")
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", params=params)
        documents = [reference_document(reports.session, r, ctx, extensions=False) for r in wanted]
        assert response.content == reference_body(fmt, documents)
    assert len(wanted) >= 5


def test_kept_renderings_follow_every_change(client: TestClient, reports: Reports) -> None:
    """A kept rendering is keyed by all it is made of: a changed report, a newly hidden photo,
    a renamed agency or category shows at once, without waiting for anything to expire."""
    params = {"service_request_id": codes(reports)}
    before = client.get(f"{BASE}/requests.json", params=params).json()
    first = reports.all[0]
    photo = reports.session.scalars(
        select(ReportPhoto).where(ReportPhoto.report_id == first.id, ~ReportPhoto.is_hidden)
    ).one()
    photo.is_hidden = True
    reports.agency.name = "Sở Giao thông Vận tải thử"
    reports.other.name_vi = "Ô nhiễm tiếng ồn"
    moved = reports.all[4]
    moved.status = "resolved"
    moved.resolved_at = reports.now
    moved.updated_at = reports.now
    reports.session.commit()
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", params=params)
        assert response.content == expected(reports, fmt, "vi")
    after = {
        d["service_request_id"]: d
        for d in client.get(f"{BASE}/requests.json", params=params).json()
    }
    was = {d["service_request_id"]: d for d in before}
    assert was[first.code]["media_url"] and after[first.code]["media_url"] is None
    assert after[first.code]["agency_responsible"] == "Sở Giao thông Vận tải thử"
    assert after[reports.all[3].code]["service_name"] == "Ô nhiễm tiếng ồn"
    assert was[moved.code]["status"] == "open" and after[moved.code]["status"] == "closed"


def test_lists_have_the_spec_shape_in_both_formats(client: TestClient, reports: Reports) -> None:
    """GeoReport v2: each <request> has the spec's fields, the JSON is the XML field for field
    (lists become arrays), times are W3C with the zone, ids are strings, the reporter never
    appears, hidden reports are left out."""
    for extensions in ("false", "true"):
        params = {"service_request_id": codes(reports), "extensions": extensions}
        as_json = client.get(f"{BASE}/requests.json", params=params)
        as_xml = client.get(f"{BASE}/requests.xml", params=params)
        assert as_json.headers["content-type"] == "application/json; charset=utf-8"
        assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
        documents = as_json.json()
        root = ET.fromstring(as_xml.content)
        assert root.tag == "service_requests"
        assert [e.tag for e in root] == ["request"] * len(documents)
        fields = SPEC_FIELDS + (EXTENSION_FIELDS if extensions == "true" else [])
        for document, element in zip(documents, root, strict=True):
            assert list(document) == fields
            assert [child.tag for child in element] == fields
            for name in SPEC_FIELDS:
                value, text = document[name], element.findtext(name)
                if value is None:
                    assert text == ""
                elif isinstance(value, float):
                    assert float(text or "nan") == value
                else:
                    # XML drops what it cannot carry (see below).
                    assert isinstance(value, str) and text == ILLEGAL.sub("", value), name
            assert isinstance(document["service_request_id"], str)
            assert document["status"] in ("open", "closed")
            for name in ("requested_datetime", "updated_datetime"):
                assert W3C.fullmatch(document[name]), document[name]
            if document["expected_datetime"] is not None:
                # (the year-999 deadline is in local mean time, +07:06:30)
                assert re.fullmatch(
                    r"\d{4}-\d\d-\d\dT[\d:]{8}\+07:\d\d(:\d\d)?", document["expected_datetime"]
                )
            if extensions == "true":
                notes = element.find("notes")
                assert notes is not None
                assert [n.findtext("type") for n in notes] == [n["type"] for n in document["notes"]]
        codes_listed = [d["service_request_id"] for d in documents]
        assert codes_listed == [r.code for r in reports.visible()]
        hidden = next(r for r in reports.all if r.is_hidden)
        assert hidden.code not in as_json.text and hidden.code not in as_xml.text
        for secret in ("Bí Mật", "0912345678", "bimat.reporter@example.vn"):
            assert secret not in as_json.text and secret not in as_xml.text
    # The character XML cannot carry is dropped there and kept in JSON (as before).
    odd = next(d for d in documents if "Cống" in d["description"])
    assert "\x01" in odd["description"]
    assert b"\x01" not in as_xml.content and b"&lt;t\xe1\xba\xafc&gt;" in as_xml.content


def test_kinds_of_reports_read_as_the_spec_says(client: TestClient, reports: Reports) -> None:
    params = {"service_request_id": codes(reports), "extensions": "true"}
    by_code = {
        d["service_request_id"]: d
        for d in client.get(f"{BASE}/requests.json", params=params).json()
    }
    first, only_hidden, anonymous, nowhere, moved, closed, rejected = reports.all[:7]
    assert by_code[first.code]["media_url"].startswith(f"{reports.base_url}/reports/photos/")
    assert len(by_code[first.code]["extended_attributes"]["photos"]) == 1
    assert [n["type"] for n in by_code[first.code]["notes"]] == ["submitted", "accepted"]
    assert by_code[first.code]["service_notice"].startswith("Cơ quan chịu trách nhiệm")
    assert by_code[only_hidden.code]["media_url"] is None
    assert by_code[only_hidden.code]["attributes"] == [
        {"code": "size", "label": "Kích thước", "value": "large", "name": "Lớn"},
        {"code": "hazards", "label": "Nguy hiểm", "value": "water,ice", "name": "Đọng nước,ice"},
    ]
    assert by_code[anonymous.code]["extended_attributes"]["channel"] == "web"
    assert (by_code[nowhere.code]["lat"], by_code[nowhere.code]["long"]) == (None, None)
    assert by_code[nowhere.code]["address"] is None and by_code[nowhere.code]["address_id"] is None
    assert by_code[moved.code]["agency_responsible"] == "UBND xã Thử"
    assert [n["type"] for n in by_code[moved.code]["notes"]] == ["submitted", "transfer"]
    assert by_code[moved.code]["notes"][1]["description"] == "Chuyển cho UBND xã"
    assert by_code[closed.code]["status"] == "closed"
    assert by_code[closed.code]["service_notice"] is None
    assert by_code[closed.code]["updated_datetime"] == w3(closed.closed_at, reports.tz)
    assert by_code[rejected.code]["updated_datetime"] == w3(rejected.closed_at, reports.tz)
    unrouted = by_code[reports.all[8].code]
    assert unrouted["agency_responsible"] is None and unrouted["expected_datetime"] is None
    old_deadline = by_code[reports.all[9].code]
    assert old_deadline["expected_datetime"].startswith("0999-05-01T")
    english = client.get(f"{BASE}/requests.json", params={**params, "locale": "en"}).json()
    names = {d["service_request_id"]: d for d in english}
    assert names[first.code]["service_name"] == "Pothole"
    assert names[nowhere.code]["service_name"] == "Tiếng ồn"
    assert names[moved.code]["agency_responsible"] == "UBND xã Thử"
    assert names[first.code]["service_notice"].startswith("The responsible agency must answer")


def test_kept_renderings_are_bounded() -> None:
    kept = render.RenderedRequests(3)
    kept.keep([(i, str(i).encode()) for i in range(5)])
    assert kept.take([0, 1, 2, 3, 4]) == [None, None, b"2", b"3", b"4"]
    kept.take([2])  # now the most recently used
    kept.keep([(5, b"5")])
    assert kept.take([2, 3, 4, 5]) == [b"2", None, b"4", b"5"]
    nothing = render.RenderedRequests(0)
    nothing.keep([(1, b"1")])
    assert nothing.take([1]) == [None]
