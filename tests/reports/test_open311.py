"""Open311 GeoReport v2 at /open311/v2: every resource in XML and JSON, every error, filters,
idempotent retries, extensions, and that the reporter's identity never comes out."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.kit import auth
from ioc.reports.models import (
    Category,
    DeadlinePolicy,
    Report,
    ReportPhoto,
    ReportUpdate,
    RoutingRule,
)

BASE = "/open311/v2"
REPORTER = {
    "first_name": "Nguyễn",
    "last_name": "Bí Mật",
    "phone": "0912345678",
    "email": "bimat.reporter@example.vn",
}
SECRET_BITS = ("Bí Mật", "0912345678", "bimat.reporter@example.vn")


# --- test data --------------------------------------------------------------------------------


def make_category(
    session: Session,
    code: str,
    *,
    attributes: list[dict[str, Any]] | None = None,
    agency: str = "SXD",
    allow_anonymous: bool = True,
) -> Category:
    category = Category(
        code=code,
        group="roads",
        name_vi=f"Ổ gà {code}",
        name_en=f"Pothole {code}",
        description_vi="Mặt đường hư hỏng",
        description_en="Damaged road surface",
        keywords="ổ gà, đường",
        attributes=attributes or [],
        allow_anonymous=allow_anonymous,
        is_active=True,
        sort_order=1,
    )
    session.add(category)
    session.flush()
    session.add(RoutingRule(category_id=category.id, area_code=None, target=agency))
    if session.scalar(select(DeadlinePolicy).where(DeadlinePolicy.category_id.is_(None))) is None:
        for urgency, accept, resolve in (("urgent", 2, 4), ("normal", 8, 24), ("complex", 8, 56)):
            session.add(
                DeadlinePolicy(
                    category_id=None,
                    urgency=urgency,
                    accept_amount=accept,
                    accept_unit="hours",
                    resolve_amount=resolve,
                    resolve_unit="hours",
                )
            )
    session.flush()
    return category


POTHOLE_ATTRIBUTES: list[dict[str, Any]] = [
    {
        "code": "size",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 1,
        "description_vi": "Kích thước",
        "description_en": "Size",
        "values": [
            {"key": "small", "name_vi": "Nhỏ", "name_en": "Small"},
            {"key": "large", "name_vi": "Lớn", "name_en": "Large"},
        ],
    },
    {
        "code": "hazards",
        "datatype": "multivaluelist",
        "required": False,
        "order": 2,
        "description_vi": "Nguy hiểm",
        "description_en": "Hazards",
        "values": [
            {"key": "water", "name_vi": "Đọng nước", "name_en": "Standing water"},
            {"key": "night", "name_vi": "Tối", "name_en": "Dark at night"},
        ],
    },
    {
        "code": "depth_cm",
        "datatype": "number",
        "required": False,
        "order": 3,
        "description_vi": "Độ sâu (cm)",
        "description_en": "Depth (cm)",
        "values": [],
    },
]


class World:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.pothole = make_category(session, "t.pothole", attributes=POTHOLE_ATTRIBUTES)
        self.noise = make_category(session, "t.noise")
        self.agency: Agency = session.scalars(select(Agency).where(Agency.code == "SXD")).one()
        self.area: Area = session.scalars(
            select(Area).where(Area.kind != "province").order_by(Area.code).limit(1)
        ).one()
        _, self.key = auth.create_api_token(session, name="Client app", scopes=["open311.submit"])
        revoked, self.revoked_key = auth.create_api_token(
            session, name="Old app", scopes=["open311.submit"]
        )
        auth.revoke_api_token(session, revoked.id)
        _, self.unscoped_key = auth.create_api_token(session, name="Reader", scopes=[])
        session.commit()
        self._n = 0

    def report(
        self,
        *,
        category: Category | None = None,
        status: str = "submitted",
        submitted_at: datetime | None = None,
        updated_at: datetime | None = None,
        hidden: bool = False,
        **extra: Any,
    ) -> Report:
        """A report written directly, for read-side tests that need many states and times."""
        self._n += 1
        now = datetime.now(UTC)
        report = Report(
            code=f"PA-1999-{self._n:06d}",
            category_id=(category or self.pothole).id,
            description=f"Report number {self._n}",
            lat=21.59,
            lon=105.84,
            area_code=self.area.code,
            address="Đường Hoàng Văn Thụ",
            status=status,
            agency_id=self.agency.id,
            channel="app",
            reporter_name="Nguyễn Bí Mật",
            reporter_phone="0912345678",
            reporter_email="bimat.reporter@example.vn",
            submitted_at=submitted_at or now - timedelta(hours=self._n),
            updated_at=updated_at or submitted_at or now - timedelta(hours=self._n),
            is_hidden=hidden,
            **extra,
        )
        self.session.add(report)
        self.session.commit()
        return report


@pytest.fixture()
def world(seeded: Session) -> World:
    return World(seeded)


def form(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_key": world.key,
        "service_code": "t.pothole",
        "lat": "21.5928",
        "long": "105.8442",
        "description": "Ổ gà lớn giữa đường",
        "attribute[size]": "large",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def xml_root(response: httpx.Response, root: str) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    element = ET.fromstring(response.content)
    assert element.tag == root
    return element


def json_body(response: httpx.Response) -> Any:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def assert_errors(response: httpx.Response, status: int, fmt: str, *names: str) -> list[str]:
    """The spec's error list, in the URL's format, naming each of ``names``."""
    assert response.status_code == status, response.text
    if fmt == "xml":
        root = xml_root(response, "errors")
        items = [(e.findtext("code"), e.findtext("description") or "") for e in root]
        assert all(tag.tag == "error" for tag in root)
        codes = [int(c or 0) for c, _ in items]
        descriptions = [d for _, d in items]
    else:
        body = json_body(response)
        assert isinstance(body, list) and body
        codes = [e["code"] for e in body]
        descriptions = [e["description"] for e in body]
    assert set(codes) == {status}
    for name in names:
        assert any(name in d for d in descriptions), (name, descriptions)
    return descriptions


def submit(client: TestClient, world: World, fmt: str = "json", **overrides: Any) -> str:
    response = client.post(f"{BASE}/requests.{fmt}", data=form(world, **overrides))
    assert response.status_code == 200, response.text
    if fmt == "json":
        return str(response.json()[0]["service_request_id"])
    return xml_root(response, "service_requests").findtext("request/service_request_id") or ""


# --- discovery and services -------------------------------------------------------------------


def test_discovery_in_xml_names_the_endpoint_and_both_formats(client: TestClient) -> None:
    root = xml_root(client.get("/open311/discovery.xml"), "discovery")
    assert root.findtext("changeset") and root.findtext("contact") and root.findtext("key_service")
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://127.0.0.1:8000/open311/v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_discovery_in_json_mirrors_the_xml(client: TestClient) -> None:
    body = json_body(client.get(f"{BASE}/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert body["endpoints"][0]["url"].endswith("/open311/v2")


def test_services_list_in_xml_in_vietnamese_by_default(client: TestClient, world: World) -> None:
    root = xml_root(client.get(f"{BASE}/services.xml"), "services")
    services = {s.findtext("service_code"): s for s in root.findall("service")}
    pothole = services["t.pothole"]
    assert pothole.findtext("service_name") == "Ổ gà t.pothole"
    assert pothole.findtext("metadata") == "true"
    assert pothole.findtext("type") == "realtime"
    assert pothole.findtext("group") == "roads"
    assert pothole.findtext("keywords") == "ổ gà, đường"
    assert services["t.noise"].findtext("metadata") == "false"


def test_services_list_in_json_in_english_when_asked(client: TestClient, world: World) -> None:
    by_param = json_body(client.get(f"{BASE}/services.json", params={"locale": "en"}))
    by_header = json_body(
        client.get(f"{BASE}/services.json", headers={"Accept-Language": "en-GB,en;q=0.8"})
    )
    for body in (by_param, by_header):
        pothole = next(s for s in body if s["service_code"] == "t.pothole")
        assert pothole["service_name"] == "Pothole t.pothole"
        assert pothole["metadata"] is True
        assert set(pothole) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }


def test_service_definition_in_xml(client: TestClient, world: World) -> None:
    root = xml_root(client.get(f"{BASE}/services/t.pothole.xml"), "service_definition")
    assert root.findtext("service_code") == "t.pothole"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["size", "hazards", "depth_cm"]
    size = attributes[0]
    assert size.findtext("variable") == "true"
    assert size.findtext("datatype") == "singlevaluelist"
    assert size.findtext("required") == "true"
    assert size.findtext("order") == "1"
    assert size.findtext("description") == "Kích thước"
    assert [(v.findtext("key"), v.findtext("name")) for v in size.findall("values/value")] == [
        ("small", "Nhỏ"),
        ("large", "Lớn"),
    ]


def test_service_definition_in_json(client: TestClient, world: World) -> None:
    body = json_body(client.get(f"{BASE}/services/t.pothole.json?locale=en"))
    assert body["service_code"] == "t.pothole"
    hazards = body["attributes"][1]
    assert hazards["datatype"] == "multivaluelist"
    assert hazards["required"] is False
    assert hazards["values"][0] == {"key": "water", "name": "Standing water"}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_service_definition_is_404(client: TestClient, world: World, fmt: str) -> None:
    response = client.get(f"{BASE}/services/no.such.{fmt}")
    assert_errors(response, 404, fmt, "service_code")


# --- POST requests --------------------------------------------------------------------------


def test_post_request_in_json_answers_a_string_id_and_a_notice(
    client: TestClient, world: World
) -> None:
    response = client.post(f"{BASE}/requests.json", data=form(world, account_id="acc-7"))
    assert response.status_code == 200
    body = json_body(response)
    assert len(body) == 1
    assert isinstance(body[0]["service_request_id"], str)
    assert body[0]["service_request_id"].startswith("PA-")
    assert body[0]["account_id"] == "acc-7"
    assert "service_notice" in body[0]
    report = world.session.scalar(
        select(Report).where(Report.code == body[0]["service_request_id"])
    )
    assert report is not None and report.channel == "open311"
    assert report.attributes["size"] == "large"


def test_post_request_in_xml(client: TestClient, world: World) -> None:
    response = client.post(f"{BASE}/requests.xml", data=form(world))
    root = xml_root(response, "service_requests")
    request = root.find("request")
    assert request is not None
    assert (request.findtext("service_request_id") or "").startswith("PA-")
    assert request.find("account_id") is not None


def test_multivalue_attributes_are_kept_as_lists(client: TestClient, world: World) -> None:
    data = form(world)
    data["attribute[hazards][]"] = ["water", "night"]
    response = client.post(f"{BASE}/requests.json", data=data)
    assert response.status_code == 200, response.text
    code = response.json()[0]["service_request_id"]
    report = world.session.scalar(select(Report).where(Report.code == code))
    assert report is not None and report.attributes["hazards"] == ["water", "night"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("key", ["missing", "wrong", "revoked", "unscoped"])
def test_post_without_a_valid_key_is_403(
    client: TestClient, world: World, fmt: str, key: str
) -> None:
    value = {
        "missing": None,
        "wrong": "ioc_deadbeef_not-a-real-key",
        "revoked": world.revoked_key,
        "unscoped": world.unscoped_key,
    }[key]
    response = client.post(f"{BASE}/requests.{fmt}", data=form(world, api_key=value))
    assert_errors(response, 403, fmt, "api_key")
    assert world.session.scalar(select(Report.id)) is None


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_without_service_code_is_400(client: TestClient, world: World, fmt: str) -> None:
    response = client.post(f"{BASE}/requests.{fmt}", data=form(world, service_code=""))
    assert_errors(response, 400, fmt, "service_code")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_with_unknown_service_code_is_404(client: TestClient, world: World, fmt: str) -> None:
    response = client.post(f"{BASE}/requests.{fmt}", data=form(world, service_code="no.such"))
    assert_errors(response, 404, fmt, "service_code")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_without_a_location_is_400(client: TestClient, world: World, fmt: str) -> None:
    response = client.post(f"{BASE}/requests.{fmt}", data=form(world, lat=None, long=None))
    assert_errors(response, 400, fmt, "lat")


def test_lat_without_long_is_400_naming_long(client: TestClient, world: World) -> None:
    response = client.post(f"{BASE}/requests.json", data=form(world, long=None))
    assert_errors(response, 400, "json", "long")


def test_every_problem_is_named_at_once(client: TestClient, world: World) -> None:
    data = form(world, lat="abc", description="x" * 4001, media_url="javascript:alert(1)")
    data.pop("attribute[size]")
    data["attribute[hazards][]"] = ["lava"]
    data["attribute[colour]"] = "red"
    response = client.post(f"{BASE}/requests.json", data=data)
    assert_errors(
        response,
        400,
        "json",
        "lat",
        "description",
        "media_url",
        "attribute[size]",
        "attribute[hazards]",
        "attribute[colour]",
    )
    assert len(response.json()) >= 6


def test_a_coordinate_outside_the_province_is_400(client: TestClient, world: World) -> None:
    response = client.post(f"{BASE}/requests.json", data=form(world, lat="10.77", long="106.70"))
    assert_errors(response, 400, "json")


def test_an_address_naming_a_commune_is_enough(client: TestClient, world: World) -> None:
    address = f"Số 5 đường Lương Ngọc Quyến, {world.area.name.lower()}, Thái Nguyên"
    code = submit(client, world, lat=None, long=None, address_string=address)
    report = world.session.scalar(select(Report).where(Report.code == code))
    assert report is not None and report.area_code == world.area.code
    assert report.lat is None


def test_an_address_id_is_a_commune_code(client: TestClient, world: World) -> None:
    code = submit(
        client, world, lat=None, long=None, address_string="Chợ", address_id=world.area.code
    )
    body = client.get(f"{BASE}/requests/{code}.json").json()
    assert body[0]["address_id"] == world.area.code


def test_an_address_without_a_commune_is_400(client: TestClient, world: World) -> None:
    response = client.post(
        f"{BASE}/requests.json", data=form(world, lat=None, long=None, address_string="Chợ")
    )
    assert_errors(response, 400, "json", "address_string")


def test_an_unknown_address_id_is_400(client: TestClient, world: World) -> None:
    response = client.post(
        f"{BASE}/requests.json",
        data=form(world, lat=None, long=None, address_string="Chợ", address_id="99999"),
    )
    assert_errors(response, 400, "json", "address_id")


def test_media_url_is_kept_for_staff_but_never_fetched_nor_republished(
    client: TestClient, world: World
) -> None:
    url = "https://photos.example.org/p/123.jpg"
    code = submit(client, world, media_url=url)
    report = world.session.scalar(select(Report).where(Report.code == code))
    assert report is not None and report.attributes["media_url"] == url
    text = client.get(f"{BASE}/requests/{code}.json", params={"extensions": "true"}).text
    assert url not in text


def test_a_retry_with_the_same_idempotency_key_returns_the_same_id(
    client: TestClient, world: World
) -> None:
    headers = {"Idempotency-Key": "retry-4b1d6c0e"}
    first = client.post(f"{BASE}/requests.json", data=form(world), headers=headers)
    second = client.post(f"{BASE}/requests.json", data=form(world), headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()[0]["service_request_id"] == second.json()[0]["service_request_id"]
    assert len(world.session.scalars(select(Report.id)).all()) == 1


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_token_is_the_idempotency_key(client: TestClient, world: World, fmt: str) -> None:
    code = submit(client, world)
    key = "tok-8f7e6d"
    response = client.post(
        f"{BASE}/requests.json", data=form(world), headers={"Idempotency-Key": key}
    )
    code = response.json()[0]["service_request_id"]
    answer = client.get(f"{BASE}/tokens/{key}.{fmt}", params={"api_key": world.key})
    if fmt == "json":
        assert json_body(answer) == [{"service_request_id": code, "token": key}]
    else:
        root = xml_root(answer, "service_requests")
        assert root.findtext("request/service_request_id") == code
        assert root.findtext("request/token") == key


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_token_is_404(client: TestClient, world: World, fmt: str) -> None:
    assert_errors(client.get(f"{BASE}/tokens/nope.{fmt}"), 404, fmt, "token")


# --- GET requests ---------------------------------------------------------------------------

REQUEST_FIELDS = {
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
}


def test_one_request_in_json_is_a_one_element_list(client: TestClient, world: World) -> None:
    code = submit(client, world)
    body = json_body(client.get(f"{BASE}/requests/{code}.json"))
    assert isinstance(body, list) and len(body) == 1
    request = body[0]
    assert set(request) == REQUEST_FIELDS
    assert request["service_request_id"] == code
    assert request["status"] == "open"
    assert request["service_code"] == "t.pothole"
    assert request["agency_responsible"] == world.agency.name
    assert request["lat"] == pytest.approx(21.5928)
    assert request["long"] == pytest.approx(105.8442)
    requested = datetime.fromisoformat(request["requested_datetime"])
    assert request["requested_datetime"].endswith("+07:00")
    assert abs(requested - datetime.now(UTC)) < timedelta(minutes=5)
    assert request["expected_datetime"] is not None


def test_one_request_in_xml(client: TestClient, world: World) -> None:
    code = submit(client, world)
    root = xml_root(client.get(f"{BASE}/requests/{code}.xml"), "service_requests")
    requests = root.findall("request")
    assert len(requests) == 1
    assert {child.tag for child in requests[0]} == REQUEST_FIELDS
    assert requests[0].findtext("service_request_id") == code
    assert requests[0].findtext("status") == "open"


def test_a_closed_request_shows_its_close_time_and_answer(client: TestClient, world: World) -> None:
    closed_at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    report = world.report(
        status="resolved",
        resolved_at=closed_at,
        public_answer="Đã vá ổ gà.",
        submitted_at=datetime.now(UTC) - timedelta(days=3),
    )
    body = client.get(f"{BASE}/requests/{report.code}.json").json()[0]
    assert body["status"] == "closed"
    assert body["status_notes"] == "Đã vá ổ gà."
    assert body["updated_datetime"] == "2026-03-02T10:00:00+07:00"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_request_is_404(client: TestClient, world: World, fmt: str) -> None:
    assert_errors(
        client.get(f"{BASE}/requests/PA-2000-999999.{fmt}"), 404, fmt, "service_request_id"
    )


def test_a_hidden_request_is_404_and_left_out_of_lists(client: TestClient, world: World) -> None:
    hidden = world.report(hidden=True)
    shown = world.report()
    assert client.get(f"{BASE}/requests/{hidden.code}.json").status_code == 404
    codes = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert shown.code in codes and hidden.code not in codes


def codes_of(client: TestClient, **params: str) -> list[str]:
    response = client.get(f"{BASE}/requests.json", params=params)
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


def test_requests_default_to_the_last_90_days_newest_first(
    client: TestClient, world: World
) -> None:
    now = datetime.now(UTC)
    old = world.report(submitted_at=now - timedelta(days=91))
    a = world.report(submitted_at=now - timedelta(days=2))
    b = world.report(submitted_at=now - timedelta(days=1))
    assert codes_of(client) == [b.code, a.code]
    assert old.code not in codes_of(client)


def test_requests_filtered_by_status(client: TestClient, world: World) -> None:
    open_ = world.report(status="in_progress")
    closed = world.report(status="rejected", closed_at=datetime.now(UTC))
    resolved = world.report(status="resolved", resolved_at=datetime.now(UTC))
    assert codes_of(client, status="open") == [open_.code]
    assert set(codes_of(client, status="closed")) == {closed.code, resolved.code}
    assert len(codes_of(client, status="open,closed")) == 3


def test_requests_filtered_by_service_code(client: TestClient, world: World) -> None:
    pothole = world.report()
    noise = world.report(category=world.noise)
    assert codes_of(client, service_code="t.noise") == [noise.code]
    assert set(codes_of(client, service_code="t.noise,t.pothole")) == {pothole.code, noise.code}


def test_requests_filtered_by_requested_time(client: TestClient, world: World) -> None:
    inside = world.report(submitted_at=datetime(2025, 6, 10, 3, tzinfo=UTC))
    world.report(submitted_at=datetime(2025, 5, 1, tzinfo=UTC))
    world.report(submitted_at=datetime(2025, 7, 30, tzinfo=UTC))
    codes = codes_of(
        client, start_date="2025-06-01T00:00:00+07:00", end_date="2025-06-30T23:59:59Z"
    )
    assert codes == [inside.code]
    # start_date alone: the 90 days from it
    assert inside.code in codes_of(client, start_date="2025-06-01T00:00:00Z")


def test_requests_filtered_by_update_time_reach_older_requests(
    client: TestClient, world: World
) -> None:
    now = datetime.now(UTC)
    touched = world.report(submitted_at=now - timedelta(days=200), updated_at=now)
    world.report(submitted_at=now - timedelta(days=200), updated_at=now - timedelta(days=150))
    after = (now - timedelta(days=1)).isoformat()
    assert codes_of(client, updated_after=after) == [touched.code]
    before = (now - timedelta(days=100)).isoformat()
    assert touched.code not in codes_of(client, updated_before=before)


def test_requests_are_paged(client: TestClient, world: World) -> None:
    reports = [world.report() for _ in range(5)]
    newest_first = [r.code for r in reports]  # each is an hour older than the one before
    assert codes_of(client, page_size="2") == newest_first[:2]
    assert codes_of(client, page_size="2", page="2") == newest_first[2:4]
    assert codes_of(client, page_size="2", page="3") == newest_first[4:]
    assert codes_of(client, page_size="2", page="4") == []


def test_service_request_id_overrides_all_other_filters(client: TestClient, world: World) -> None:
    old = world.report(submitted_at=datetime.now(UTC) - timedelta(days=400), status="closed")
    other = world.report()
    codes = codes_of(
        client, service_request_id=f"{old.code},{other.code}", status="open", service_code="t.noise"
    )
    assert set(codes) == {old.code, other.code}


def test_an_empty_parameter_is_the_same_as_an_absent_one(client: TestClient, world: World) -> None:
    world.report()
    empty = {
        n: ""
        for n in (
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
            "page",
            "page_size",
            "updated_after",
            "extensions",
            "jurisdiction_id",
        )
    }
    assert codes_of(client, **empty) == codes_of(client)


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"start_date": "2025-06-01"}, ["start_date"]),
        ({"start_date": "2025-06-01T00:00:00"}, ["start_date"]),
        ({"end_date": "yesterday"}, ["end_date"]),
        ({"start_date": "2025-06-30T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}, ["end_date"]),
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}, ["end_date"]),
        ({"updated_after": "2025-02-30T00:00:00Z"}, ["updated_after"]),
        ({"page_size": "1001"}, ["page_size"]),
        ({"page_size": "0"}, ["page_size"]),
        ({"page": "first"}, ["page"]),
        ({"status": "pending"}, ["status"]),
        ({"service_code": "no.such"}, ["service_code"]),
        ({"extensions": "yes"}, ["extensions"]),
        (
            {"status": "pending", "page_size": "5000", "start_date": "x"},
            ["status", "page_size", "start_date"],
        ),
    ],
)
def test_invalid_parameters_are_400_naming_each(
    client: TestClient, world: World, fmt: str, params: dict[str, str], names: list[str]
) -> None:
    response = client.get(f"{BASE}/requests.{fmt}", params=params)
    descriptions = assert_errors(response, 400, fmt, *names)
    assert len(descriptions) == len(names)


def test_extensions_add_attributes_and_the_public_history(client: TestClient, world: World) -> None:
    report = world.report(status="accepted", attributes={"size": "large", "hazards": ["water"]})
    world.session.add_all(
        [
            ReportUpdate(
                report_id=report.id, at=report.submitted_at, kind="status", to_status="submitted"
            ),
            ReportUpdate(
                report_id=report.id,
                at=report.submitted_at + timedelta(minutes=5),
                kind="note",
                internal_note="Người báo là hàng xóm ông trưởng phòng",
            ),
            ReportUpdate(
                report_id=report.id,
                at=report.submitted_at + timedelta(minutes=9),
                kind="status",
                from_status="submitted",
                to_status="accepted",
                public_text="Đã tiếp nhận",
                internal_note="Giao anh Tuấn",
            ),
        ]
    )
    world.session.add(
        ReportPhoto(
            report_id=report.id,
            key="2026/01/01/a.jpg",
            thumb_key="2026/01/01/a_t.jpg",
            width=800,
            height=600,
        )
    )
    world.session.commit()
    plain = client.get(f"{BASE}/requests/{report.code}.json").json()[0]
    assert "notes" not in plain
    assert plain["media_url"].startswith("http://127.0.0.1:8000/")
    body = client.get(f"{BASE}/requests/{report.code}.json", params={"extensions": "true"})
    request = body.json()[0]
    assert [n["type"] for n in request["notes"]] == ["submitted", "accepted"]
    assert request["notes"][1]["description"] == "Đã tiếp nhận"
    assert {a["code"]: a["value"] for a in request["attributes"]} == {
        "size": "large",
        "hazards": "water",
    }
    assert request["extended_attributes"]["channel"] == "app"
    assert len(request["extended_attributes"]["photos"]) == 1
    assert "hàng xóm" not in body.text and "Tuấn" not in body.text
    listed = client.get(f"{BASE}/requests.xml", params={"extensions": "true"})
    root = xml_root(listed, "service_requests")
    notes = root.findall("request/notes/note")
    assert [n.findtext("type") for n in notes] == ["submitted", "accepted"]
    assert "hàng xóm" not in listed.text


def test_the_reporter_never_appears_in_any_open311_answer(client: TestClient, world: World) -> None:
    code = submit(client, world, **REPORTER)
    world.report()
    for fmt in ("xml", "json"):
        for url in (
            f"{BASE}/requests/{code}.{fmt}?extensions=true",
            f"{BASE}/requests.{fmt}?extensions=true",
            f"{BASE}/requests.{fmt}?service_request_id={code}",
        ):
            text = client.get(url).text
            assert code in text
            for secret in SECRET_BITS:
                assert secret not in text, (url, secret)


# --- errors and jurisdiction ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_resource_is_a_404_error_list(client: TestClient, fmt: str) -> None:
    assert_errors(client.get(f"{BASE}/nothing-here.{fmt}"), 404, fmt)


def test_an_unknown_format_is_a_404_in_xml(client: TestClient, world: World) -> None:
    assert_errors(client.get(f"{BASE}/services.html"), 404, "xml")


def test_errors_are_never_html(client: TestClient) -> None:
    response = client.put(f"{BASE}/services.json", headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert json_body(response)[0]["code"] == 400


def test_a_foreign_jurisdiction_is_404_and_ours_or_none_is_fine(
    client: TestClient, world: World
) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    object.__setattr__(settings, "open311_jurisdiction_id", "thainguyen.gov.vn")
    try:
        url = f"{BASE}/services.json"
        assert client.get(url, params={"jurisdiction_id": "thainguyen.gov.vn"}).status_code == 200
        assert client.get(url).status_code == 200
        assert_errors(
            client.get(url, params={"jurisdiction_id": "hanoi.gov.vn"}),
            404,
            "json",
            "jurisdiction_id",
        )
        response = client.post(
            f"{BASE}/requests.xml", data=form(world, jurisdiction_id="hanoi.gov.vn")
        )
        assert_errors(response, 404, "xml", "jurisdiction_id")
    finally:
        object.__delattr__(settings, "open311_jurisdiction_id")


# --- an independent client --------------------------------------------------------------------


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_an_independent_client_lists_services_files_a_report_and_reads_it_back(
    app: FastAPI, world: World
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://city.test") as http:
        discovery = ET.fromstring((await http.get("/open311/discovery.xml")).content)
        endpoint = discovery.findtext("endpoints/endpoint/url") or ""
        base = endpoint.replace("http://127.0.0.1:8000", "")
        services = ET.fromstring((await http.get(f"{base}/services.xml")).content)
        code = next(
            s.findtext("service_code")
            for s in services.findall("service")
            if s.findtext("metadata") == "true"
        )
        definition = ET.fromstring((await http.get(f"{base}/services/{code}.xml")).content)
        answers = {}
        for attribute in definition.findall("attributes/attribute"):
            if attribute.findtext("required") == "true":
                answers[f"attribute[{attribute.findtext('code')}]"] = attribute.findtext(
                    "values/value/key"
                )
        created = await http.post(
            f"{base}/requests.xml",
            data={
                "api_key": world.key,
                "service_code": code,
                "lat": "21.5928",
                "long": "105.8442",
                "description": "Đèn đường hỏng",
                **answers,
            },
        )
        assert created.status_code == 200, created.text
        request_id = ET.fromstring(created.content).findtext("request/service_request_id")
        read = await http.get(f"{base}/requests/{request_id}.xml")
        request = ET.fromstring(read.content).find("request")
        assert request is not None
        assert request.findtext("service_request_id") == request_id
        assert request.findtext("description") == "Đèn đường hỏng"
        assert request.findtext("status") == "open"
        assert (
            json.loads((await http.get(f"{base}/requests/{request_id}.json")).text)[0][
                "service_code"
            ]
            == code
        )


def test_raw_utf8_form_body_keeps_vietnamese(client: TestClient, world: World) -> None:
    # `curl -d` sends the text as raw UTF-8 bytes, not percent-escaped.
    body = (
        f"api_key={world.key}&service_code=t.pothole&lat=21.5928&long=105.8442"
        "&attribute[size]=large&description=Ổ gà lớn giữa đường"
    ).encode()
    response = client.post(
        f"{BASE}/requests.json",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    code = response.json()[0]["service_request_id"]
    read = client.get(f"{BASE}/requests/{code}.json").json()[0]
    assert read["description"] == "Ổ gà lớn giữa đường"


def test_form_body_that_is_not_utf8_is_a_400(client: TestClient, world: World) -> None:
    response = client.post(
        f"{BASE}/requests.json",
        content=b"description=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_errors(response, 400, "json")


def _reports_count(world: World) -> int:
    from sqlalchemy import func, select

    from ioc.reports.models import Report

    return int(world.session.scalar(select(func.count()).select_from(Report)) or 0)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_form_over_the_size_limit_is_refused_unread(
    client: TestClient, world: World, fmt: str
) -> None:
    from ioc.reports.open311 import MAX_FORM_BYTES

    before = _reports_count(world)
    huge = form(world, description="Ổ gà " * (MAX_FORM_BYTES // 4))
    response = client.post(f"{BASE}/requests.{fmt}", data=huge)
    (description,) = assert_errors(response, 400, fmt, "request")
    assert "Yêu cầu lớn hơn 256 KB" in description  # in Vietnamese, naming the limit
    assert _reports_count(world) == before


def test_a_chunked_form_is_cut_off_at_the_size_limit(client: TestClient, world: World) -> None:
    """No Content-Length to refuse up front: reading stops once the limit is passed."""
    from ioc.reports.open311 import MAX_FORM_BYTES

    def body() -> Any:
        head = f"api_key={world.key}&service_code=t.pothole&lat=21.5928&long=105.8442&d="
        yield head.encode()
        for _ in range(4 * MAX_FORM_BYTES // 4096):
            yield b"x" * 4096

    response = client.post(
        f"{BASE}/requests.json",
        content=body(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_errors(response, 400, "json", "request")


def test_a_multipart_form_may_not_carry_files(client: TestClient, world: World) -> None:
    before = _reports_count(world)
    response = client.post(
        f"{BASE}/requests.json",
        data=form(world),
        files={"media": ("photo.jpg", b"\xff\xd8\xff" + b"0" * 1000, "image/jpeg")},
    )
    assert_errors(response, 400, "json")
    assert _reports_count(world) == before


def test_a_form_with_too_many_fields_is_refused(client: TestClient, world: World) -> None:
    fields = form(world) | {f"attribute[x{i}]": "1" for i in range(300)}
    response = client.post(f"{BASE}/requests.json", data=fields)
    assert_errors(response, 400, "json", "request")
