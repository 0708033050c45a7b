"""The JSON API at /api/v1: public reads, filing with idempotent retries, the staff view and
staff actions, duplicate suggestions, and who sees what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.kit import auth
from ioc.reports import service
from ioc.reports.models import Category, Report
from tests.conftest import TEST_SECRET, make_user, sign_in
from tests.reports.conftest import add_rule, make_category, make_report, person
from tests.reports.test_open311 import POTHOLE_ATTRIBUTES

API = "/api/v1"
SECRETS = ("Nguyễn Bí Mật", "0912345678", "bimat.reporter@example.vn")


class World:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.category = make_category(session, "api.pothole", attributes=POTHOLE_ATTRIBUTES)
        self.other = make_category(session, "api.noise")
        add_rule(session, self.category, "SXD")
        add_rule(session, self.other, "SXD")
        self.area: Area = session.scalars(
            select(Area).where(Area.kind != "province").order_by(Area.code).limit(1)
        ).one()
        session.commit()

    def report(self, category: Category | None = None, **fields: Any) -> Report:
        fields.setdefault("attributes", {"size": "small"} if category is None else {})
        report = make_report(
            self.session,
            category or self.category,
            reporter_name=SECRETS[0],
            reporter_phone=SECRETS[1],
            reporter_email=SECRETS[2],
            **fields,
        )
        self.session.commit()
        return report


@pytest.fixture()
def world(seeded: Session) -> World:
    return World(seeded)


def bearer(session: Session, role: str, scopes: list[str], agency: str | None = None) -> str:
    user = make_user(session, role, agency=agency)
    _, raw = auth.create_api_token(
        session,
        name=f"{role} app",
        scopes=scopes,
        user_id=user.id,  # type: ignore[attr-defined]
    )
    session.commit()
    return str(raw)


def headers_for(raw: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}", **extra}


def new_report_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category_code": "api.pothole",
        "description": "Ổ gà sâu trước cổng trường",
        "lat": 21.5928,
        "lon": 105.8442,
        "attributes": {"size": "large"},
    }
    body.update(overrides)
    return body


# --- public reads ---------------------------------------------------------------------------


def test_categories_list_names_and_attributes(client: TestClient, world: World) -> None:
    response = client.get(f"{API}/categories")
    assert response.status_code == 200
    pothole = next(c for c in response.json() if c["code"] == "api.pothole")
    assert pothole["name_vi"] and pothole["name_en"]
    assert [a["code"] for a in pothole["attributes"]] == ["size", "hazards", "depth_cm"]
    assert pothole["attributes"][0]["values"][0]["key"] == "small"


def test_the_public_list_is_newest_first_and_leaves_hidden_reports_out(
    client: TestClient, world: World
) -> None:
    now = datetime.now(UTC)
    older = world.report(now=now - timedelta(hours=2))
    newer = world.report(now=now - timedelta(hours=1))
    hidden = world.report(now=now)
    hidden.is_hidden = True
    world.session.commit()
    body = client.get(f"{API}/reports").json()
    assert [r["code"] for r in body["items"]] == [newer.code, older.code]
    assert body["has_more"] is False


def test_the_public_list_filters_by_status_category_area_and_box(
    client: TestClient, world: World
) -> None:
    pothole = world.report()
    noise = world.report(world.other)
    noise.status = "rejected"
    world.session.commit()

    def codes(**params: str) -> list[str]:
        response = client.get(f"{API}/reports", params=params)
        assert response.status_code == 200, response.text
        return [r["code"] for r in response.json()["items"]]

    assert codes(status="open") == [pothole.code]
    assert codes(status="rejected") == [noise.code]
    assert codes(category="api.noise") == [noise.code]
    assert set(codes(area_code=world.area.code)) == {pothole.code, noise.code}
    assert codes(area_code="00000") == []
    lat, lon = pothole.lat, pothole.lon
    assert lat is not None and lon is not None
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    assert pothole.code in codes(bbox=box)
    assert codes(bbox="105.0,10.0,105.1,10.1") == []


def test_the_public_list_is_paged(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    reports = [world.report(now=now - timedelta(minutes=i)) for i in range(3)]
    first = client.get(f"{API}/reports", params={"page_size": 2}).json()
    second = client.get(f"{API}/reports", params={"page_size": 2, "page": 2}).json()
    assert [r["code"] for r in first["items"]] == [r.code for r in reports[:2]]
    assert first["has_more"] is True
    assert [r["code"] for r in second["items"]] == [reports[2].code]
    assert second["has_more"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"page_size": "201"}, "page_size"),
    ],
)
def test_bad_list_parameters_are_named_in_the_json_error(
    client: TestClient, world: World, params: dict[str, str], field: str
) -> None:
    response = client.get(f"{API}/reports", params=params)
    assert response.status_code in (400, 422)
    body = response.json()
    assert [f["field"] for f in body["error"]["fields"]] == [field]


def test_filters_that_match_nothing_give_an_empty_page(client: TestClient, world: World) -> None:
    world.report()
    for params in ({"category": "no.such"}, {"bbox": "106,22,105,21"}, {"area_code": "00000"}):
        response = client.get(f"{API}/reports", params=params)
        assert response.status_code == 200
        assert response.json()["items"] == []
    nearby = client.get(
        f"{API}/reports/nearby", params={"category": "no.such", "lat": 21.6, "lon": 105.8}
    )
    assert nearby.status_code == 200 and nearby.json() == []


def test_the_reporter_never_appears_in_public_output(client: TestClient, world: World) -> None:
    report = world.report()
    for url in (
        f"{API}/reports",
        f"{API}/reports/{report.code}",
        f"{API}/reports/{report.code}/timeline",
    ):
        text = client.get(url).text
        assert report.code in text or url.endswith("timeline")
        for secret in SECRETS:
            assert secret not in text, (url, secret)


def test_an_unknown_report_is_404_in_json(client: TestClient, world: World) -> None:
    response = client.get(f"{API}/reports/PA-2000-999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- staff view and who sees internal notes ----------------------------------------------------


def test_staff_of_the_agency_see_internal_fields_and_notes_others_do_not(
    client: TestClient, world: World
) -> None:
    report = world.report()
    officer = person(world.session, "officer", "SXD")
    service.add_note(world.session, officer, report, text="Gọi lại cho tổ trưởng khu phố")
    world.session.commit()
    own = bearer(world.session, "officer", ["reports.view_internal"], agency="SXD")
    other = bearer(world.session, "officer", ["reports.view_internal"], agency="SYT")

    staff = client.get(f"{API}/reports/{report.code}", headers=headers_for(own)).json()
    assert staff["channel"] == "app" and "seconds_left" in staff
    foreign = client.get(f"{API}/reports/{report.code}", headers=headers_for(other)).json()
    public = client.get(f"{API}/reports/{report.code}").json()
    for view in (foreign, public):
        assert "channel" not in view and "attributes" not in view

    note = "Gọi lại cho tổ trưởng khu phố"
    own_timeline = client.get(f"{API}/reports/{report.code}/timeline", headers=headers_for(own))
    assert note in own_timeline.text
    for headers in (headers_for(other), {}):
        timeline = client.get(f"{API}/reports/{report.code}/timeline", headers=headers)
        assert timeline.status_code == 200
        assert note not in timeline.text
        assert all(e["internal_note"] is None for e in timeline.json())


# --- filing ---------------------------------------------------------------------------------


def test_filing_needs_a_signed_in_actor(client: TestClient, world: World) -> None:
    response = client.post(f"{API}/reports", json=new_report_body())
    assert response.status_code in (401, 403)
    assert world.session.scalar(select(Report.id)) is None


def test_filing_with_a_bearer_token_answers_201_and_a_retry_200_with_the_same_report(
    client: TestClient, world: World
) -> None:
    raw = bearer(world.session, "citizen", ["reports.submit"])
    headers = headers_for(raw, **{"Idempotency-Key": "f0e1d2c3-retry"})
    first = client.post(f"{API}/reports", json=new_report_body(), headers=headers)
    assert first.status_code == 201, first.text
    second = client.post(f"{API}/reports", json=new_report_body(), headers=headers)
    assert second.status_code == 200, second.text
    assert first.json()["code"] == second.json()["code"]
    assert first.json()["code"].startswith("PA-")
    report = world.session.scalar(select(Report).where(Report.code == first.json()["code"]))
    assert report is not None and report.channel == "api"
    assert len(world.session.scalars(select(Report.id)).all()) == 1


def test_filing_with_a_session_cookie_needs_the_csrf_header(
    client: TestClient, world: World
) -> None:
    user = make_user(world.session, "citizen")
    sign_in(client, user.email)  # type: ignore[attr-defined]
    refused = client.post(f"{API}/reports", json=new_report_body())
    assert refused.status_code == 403
    token = auth.csrf_token(TEST_SECRET, client.cookies["ioc_session"])
    created = client.post(f"{API}/reports", json=new_report_body(), headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    report = world.session.scalar(select(Report).where(Report.code == created.json()["code"]))
    assert report is not None and report.channel == "app"
    assert report.reporter_user_id == user.id  # type: ignore[attr-defined]


def test_filing_reports_every_invalid_field(client: TestClient, world: World) -> None:
    raw = bearer(world.session, "citizen", ["reports.submit"])
    body = new_report_body(description="", lat=10.77, lon=106.70, attributes={})
    response = client.post(f"{API}/reports", json=body, headers=headers_for(raw))
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert {"description", "location", "attribute[size]"} <= fields


# --- staff actions --------------------------------------------------------------------------


def test_an_officer_accepts_starts_and_resolves_through_the_api(
    client: TestClient, world: World
) -> None:
    report = world.report()
    officer = headers_for(
        bearer(world.session, "officer", ["reports.handle", "reports.view_internal"], "SXD")
    )
    url = f"{API}/reports/{report.code}"
    assert client.post(f"{url}/accept", headers=officer).json()["status"] == "accepted"
    assert client.post(f"{url}/start", headers=officer).json()["status"] == "in_progress"
    done = client.post(f"{url}/resolve", json={"answer": "Đã vá xong."}, headers=officer)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved"
    assert client.get(url).json()["public_answer"] == "Đã vá xong."
    again = client.post(f"{url}/accept", headers=officer)
    assert again.status_code == 409


def test_an_officer_of_another_agency_cannot_act(client: TestClient, world: World) -> None:
    report = world.report()
    other = headers_for(bearer(world.session, "officer", ["reports.handle"], "SYT"))
    response = client.post(f"{API}/reports/{report.code}/accept", headers=other)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_staff_actions_with_bodies(client: TestClient, world: World) -> None:
    report = world.report()
    original = world.report()
    scopes = ["reports.handle", "reports.view_internal", "reports.triage"]
    operator = headers_for(bearer(world.session, "operator", scopes))
    url = f"{API}/reports/{report.code}"
    asked = client.post(f"{url}/request-info", json={"question": "Ở số nhà nào?"}, headers=operator)
    assert asked.json()["status"] == "waiting"
    noted = client.post(f"{url}/note", json={"text": "Đã gọi điện"}, headers=operator)
    assert "Đã gọi điện" in noted.text
    bad = client.post(
        f"{url}/transfer", json={"agency_code": "NOPE", "reason": "x"}, headers=operator
    )
    assert bad.status_code == 404
    merged = client.post(
        f"{API}/reports/{original.code}/duplicate",
        json={"original_code": report.code},
        headers=operator,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "duplicate"
    assert merged.json()["duplicate_of"] == report.code


def test_a_missing_body_field_is_a_422_naming_it(client: TestClient, world: World) -> None:
    report = world.report()
    officer = headers_for(bearer(world.session, "officer", ["reports.handle"], "SXD"))
    response = client.post(f"{API}/reports/{report.code}/reject", json={}, headers=officer)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "reason"


# --- duplicates and the OpenAPI document ------------------------------------------------------


def test_nearby_suggests_open_reports_of_the_same_category(
    client: TestClient, world: World
) -> None:
    report = world.report(description="Ổ gà sâu trước cổng trường tiểu học")
    assert report.lat is not None and report.lon is not None
    params = {
        "category": "api.pothole",
        "lat": report.lat + 0.0005,
        "lon": report.lon,
        "text": "o ga truoc cong truong",
    }
    response = client.get(f"{API}/reports/nearby", params=params)
    assert response.status_code == 200, response.text
    found = response.json()
    assert [r["code"] for r in found] == [report.code]
    assert 0 < found[0]["distance_m"] < 100
    assert set(found[0]) == {
        "code",
        "distance_m",
        "similarity",
        "status",
        "submitted_at",
        "excerpt",
    }
    other = client.get(f"{API}/reports/nearby", params={**params, "category": "api.noise"})
    assert other.json() == []


def test_the_openapi_document_lists_the_reports_api_but_not_open311(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/v1/categories",
        "/api/v1/reports",
        "/api/v1/reports/{code}",
        "/api/v1/reports/{code}/timeline",
        "/api/v1/reports/nearby",
        "/api/v1/reports/{code}/resolve",
    ):
        assert path in paths, path
    operation = paths["/api/v1/reports"]["post"]
    assert operation["tags"] == ["reports"] and operation["summary"]
    assert "201" in operation["responses"]
    assert not any(p.startswith("/open311") for p in paths)
