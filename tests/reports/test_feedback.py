"""Questions and suggestions with no place (issue 4 §6): filed at /feedback/new, through the
JSON API without a location, routed by category (and commune when given), answered like any
report, kept off the public map; Open311 still asks for a location."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.kit import auth
from ioc.reports import service
from ioc.reports.models import Category, Report
from ioc.reports.routing import commune_agency_code
from ioc.reports.schemas import ReportInput
from ioc.reports.seed import seed_categories
from tests.conftest import csrf_from, make_user, sign_in
from tests.reports.conftest import person


def _catalogue(session: Session) -> None:
    seed_categories(session)
    session.commit()


def _commune(session: Session) -> Area:
    return session.scalars(
        select(Area).where(Area.kind != "province").order_by(Area.code).limit(1)
    ).one()


def _report(session: Session, code: str) -> Report:
    return session.scalars(select(Report).where(Report.code == code)).one()


def _agency_code(session: Session, report: Report) -> str | None:
    if report.agency_id is None:
        return None
    return session.get(Agency, report.agency_id).code  # type: ignore[union-attr]


def test_the_catalogue_has_the_questions_group_without_a_place(seeded: Session) -> None:
    _catalogue(seeded)
    rows = seeded.scalars(select(Category).where(Category.group == "feedback")).all()
    names = {c.name_vi for c in rows}
    assert {
        "Câu hỏi về thủ tục hành chính",
        "Góp ý xây dựng chính quyền",
        "Phản ánh khác không có địa điểm",
    } <= names
    assert all(not c.location_required for c in rows)
    # Every other category still needs its place.
    pothole = seeded.scalars(select(Category).where(Category.code == "road.pothole")).one()
    assert pothole.location_required


def test_a_citizen_asks_a_question_answered_like_a_report(
    client: TestClient, seeded: Session
) -> None:
    _catalogue(seeded)
    area = _commune(seeded)
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    home = client.get("/")
    assert "/feedback/new" in home.text and "Hỏi đáp, góp ý" in home.text
    form = client.get("/feedback/new")
    assert form.status_code == 200
    assert "Câu hỏi về thủ tục hành chính" in form.text
    assert "Ổ gà" not in form.text  # only the categories without a place
    data = {
        "csrf_token": csrf_from(form.text),
        "category_code": "feedback.procedure",
        "description": "Làm lại căn cước cho con cần những giấy tờ gì?",
        "area_code": area.code,
        "idempotency_key": "q-1",
    }
    sent = client.post("/feedback/new", data=data)
    assert sent.status_code == 303, sent.text
    code = sent.headers["location"].rsplit("/", 1)[-1]
    # A double click makes no second question.
    again = client.post("/feedback/new", data=data)
    assert again.headers["location"].endswith(code)
    report = _report(seeded, code)
    assert (report.lat, report.lon, report.h3_cell) == (None, None, None)
    assert report.area_code == area.code and report.channel == "web"
    # The commune named routes it to its People's Committee, with the usual deadline.
    assert _agency_code(seeded, report) == commune_agency_code(area.code)
    assert report.accept_due_at is not None
    # In the citizen's own list, never on the public map.
    assert code in client.get("/me/reports").text
    for status in ("open", "resolved"):
        layer = client.get(f"/reports/map.geojson?status={status}").json()
        assert all(code not in f["properties"]["href"] for f in layer["features"])

    # The commune's officer finds it in the inbox and answers it as any report.
    officer = make_user(seeded, "officer", agency=commune_agency_code(area.code))
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/").text)})
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    assert code in client.get("/console/reports?bucket=new").text
    page = client.get(f"/console/reports/{code}")
    assert page.status_code == 200
    token = csrf_from(page.text)
    client.post(f"/console/reports/{code}/act", data={"csrf_token": token, "action": "accept"})
    client.post(
        f"/console/reports/{code}/act",
        data={"csrf_token": token, "action": "resolve", "answer": "Mang giấy khai sinh của cháu."},
    )
    seeded.refresh(report)
    assert report.status == "resolved" and report.public_answer == "Mang giấy khai sinh của cháu."

    # The citizen rates the answer, as for any report.
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/console").text)})
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    mine = client.get(f"/reports/{code}")
    assert "Mang giấy khai sinh của cháu." in mine.text
    rated = client.post(
        f"/reports/{code}/rate",
        data={"csrf_token": csrf_from(mine.text), "rating": "5", "comment": "Rõ ràng."},
    )
    assert rated.status_code in (200, 303)
    seeded.refresh(report)
    assert report.rating == 5


def test_without_a_commune_the_category_decides(seeded: Session) -> None:
    _catalogue(seeded)
    citizen = person(seeded, "citizen")
    province = service.submit(
        seeded,
        citizen,
        ReportInput(category_code="feedback.government", description="Nên mở thêm quầy một cửa."),
        channel="app",
    )
    assert province.area_code is None and province.lat is None
    assert _agency_code(seeded, province) == "VP-UBND"
    # "Other matter without a place" has no province-wide owner: the operators' triage queue.
    other = service.submit(
        seeded,
        citizen,
        ReportInput(category_code="feedback.other", description="Thông tin về một việc khác."),
        channel="app",
    )
    assert other.agency_id is None and other.status == "submitted"


def test_the_form_names_each_field_in_error(client: TestClient, seeded: Session) -> None:
    _catalogue(seeded)
    form = client.get("/feedback/new")
    token = csrf_from(form.text)
    empty = client.post(
        "/feedback/new",
        data={"csrf_token": token, "category_code": "feedback.procedure", "description": " "},
    )
    assert empty.status_code == 422
    assert "Hãy viết câu hỏi hoặc ý kiến góp ý." in empty.text
    # A category that needs a place is not taken here.
    placed = client.post(
        "/feedback/new",
        data={"csrf_token": token, "category_code": "road.pothole", "description": "Ổ gà."},
    )
    assert placed.status_code == 422 and "field-category_code" in placed.text
    # An unknown commune is named as such; nothing is saved.
    unknown = client.post(
        "/feedback/new",
        data={
            "csrf_token": token,
            "category_code": "feedback.procedure",
            "description": "Hỏi thủ tục.",
            "area_code": "99999",
            "reporter_phone": "0912345678",
        },
    )
    assert unknown.status_code == 422
    # Anonymous without contact details: the service asks for a phone number or e-mail
    # address where the category does not allow anonymity; otherwise it files it.
    assert seeded.scalar(select(Report.id)) is None
    # CSRF applies here as on every form.
    assert (
        client.post(
            "/feedback/new", data={"category_code": "feedback.procedure", "description": "x"}
        ).status_code
        == 403
    )


def test_the_json_api_takes_them_without_a_location_only_for_those_categories(
    client: TestClient, seeded: Session
) -> None:
    _catalogue(seeded)
    user = make_user(seeded, "citizen")
    _, raw = auth.create_api_token(
        seeded,
        name="app",
        scopes=["reports.submit"],
        user_id=user.id,  # type: ignore[attr-defined]
    )
    seeded.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    categories = {c["code"]: c for c in client.get("/api/v1/categories").json()}
    assert categories["feedback.procedure"]["location_required"] is False
    assert categories["road.pothole"]["location_required"] is True
    created = client.post(
        "/api/v1/reports",
        json={"category_code": "feedback.procedure", "description": "Hỏi về thủ tục."},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    report = _report(seeded, created.json()["code"])
    assert report.lat is None and _agency_code(seeded, report) == "VP-UBND"
    refused = client.post(
        "/api/v1/reports",
        json={"category_code": "road.pothole", "description": "Ổ gà."},
        headers=headers,
    )
    assert refused.status_code == 422, refused.text
    assert "location" in refused.text


def test_open311_still_asks_for_a_location(client: TestClient, seeded: Session) -> None:
    _catalogue(seeded)
    _, key = auth.create_api_token(seeded, name="Client", scopes=["open311.submit"])
    seeded.commit()
    response = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "feedback.procedure", "description": "Hỏi."},
    )
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert "lat" in response.json()[0]["description"] or "location" in response.text
    assert seeded.scalar(select(Report.id)) is None


def test_an_administrator_turns_the_place_off_for_a_category(
    client: TestClient, seeded: Session
) -> None:
    _catalogue(seeded)
    admin = make_user(seeded, "administrator")
    sign_in(client, admin.email)  # type: ignore[attr-defined]
    page = client.get("/admin/categories/other.general")
    assert page.status_code == 200 and 'name="location_required"' in page.text
    assert "Bắt buộc có địa điểm" in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "name_vi": "Phản ánh khác",
        "name_en": "Other matter",
        "group": "other",
        "default_urgency": "normal",
        "is_active": "1",
        "allow_anonymous": "1",
    }  # location_required left unticked
    saved = client.post("/admin/categories/other.general", data=form)
    assert saved.status_code == 303, saved.text
    category = seeded.scalars(select(Category).where(Category.code == "other.general")).one()
    seeded.refresh(category)
    assert category.location_required is False
    assert 'value="other.general"' in client.get("/feedback/new").text
