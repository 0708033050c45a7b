"""The reports pages as people use them: the hotline intake, the console actions, the public
map, and who may open what."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.kit.audit import AuditEntry
from ioc.reports.models import Report
from ioc.reports.seed import seed_categories
from tests.conftest import csrf_from, make_user, sign_in

POINT = {"lat": "21.5942", "lon": "105.8482"}  # central Thái Nguyên


def _catalogue(session: Session) -> None:
    seed_categories(session)
    session.commit()


def test_operator_types_a_hotline_call(client: TestClient, seeded: Session) -> None:
    _catalogue(seeded)
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    form = client.get("/console/reports/new")
    assert form.status_code == 200 and "Tên người gọi" in form.text
    response = client.post(
        "/console/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "category_code": "road.pothole",
            "description": "Người gọi báo ổ gà sâu trước cổng chợ.",
            **POINT,
            "reporter_name": "Nguyễn Văn Gọi",
            "reporter_phone": "0912345678",
            "idempotency_key": "call-1",
        },
    )
    assert response.status_code == 303
    code = re.search(r"PA-\d{4}-\d{6}", response.headers["location"])
    assert code and response.headers["location"].startswith("/console/reports/")
    report = seeded.scalars(select(Report).where(Report.code == code.group(0))).one()
    assert (report.channel, report.reporter_name) == ("hotline", "Nguyễn Văn Gọi")
    # The public page and the public map never show the caller.
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/console").text)})
    public = client.get(f"/reports/{report.code}").text
    assert "Nguyễn Văn Gọi" not in public and "0912345678" not in public
    layer = client.get("/reports/map.geojson?status=open").json()
    assert any(f["properties"]["href"] == f"/reports/{report.code}" for f in layer["features"])
    assert "0912345678" not in json.dumps(layer, ensure_ascii=False)


def test_citizen_cannot_use_the_hotline_intake(client: TestClient, seeded: Session) -> None:
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    assert client.get("/console/reports/new").status_code == 403


def test_officer_accepts_and_answers_in_the_console(client: TestClient, seeded: Session) -> None:
    _catalogue(seeded)
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    form = client.get("/reports/new")
    sent = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "category_code": "road.pothole",
            "description": "Ổ gà lớn.",
            **POINT,
            "idempotency_key": "web-1",
        },
    )
    code = sent.headers["location"].rsplit("/", 1)[-1]
    # Sending the same form again (a double click) makes no second report.
    again = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "category_code": "road.pothole",
            "description": "Ổ gà lớn.",
            **POINT,
            "idempotency_key": "web-1",
        },
    )
    assert again.headers["location"].endswith(code)

    officer = make_user(seeded, "officer", agency="SXD")
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/").text)})
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    inbox = client.get("/console/reports?bucket=new")
    assert code in inbox.text
    page = client.get(f"/console/reports/{code}")
    token = csrf_from(page.text)
    client.post(f"/console/reports/{code}/act", data={"csrf_token": token, "action": "accept"})
    client.post(
        f"/console/reports/{code}/act",
        data={"csrf_token": token, "action": "resolve", "answer": "Đã vá xong."},
    )
    report = seeded.scalars(select(Report).where(Report.code == code)).one()
    seeded.refresh(report)
    assert report.status == "resolved" and report.public_answer == "Đã vá xong."
    # Seeing who reported is possible for the handler, and audited.
    shown = client.get(f"/console/reports/{code}?show_reporter=1")
    assert citizen.email in shown.text  # type: ignore[attr-defined]
    assert seeded.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "personal_data.view", AuditEntry.subject_id == code
        )
    ).first()


def test_officer_of_another_agency_cannot_open_the_report(
    client: TestClient, seeded: Session
) -> None:
    _catalogue(seeded)
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    form = client.get("/reports/new")
    sent = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "category_code": "road.pothole",
            "description": "Ổ gà.",
            **POINT,
        },
    )
    code = sent.headers["location"].rsplit("/", 1)[-1]
    other = make_user(seeded, "officer", agency="PCTN")
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/").text)})
    sign_in(client, other.email)  # type: ignore[attr-defined]
    assert client.get(f"/console/reports/{code}").status_code == 403


def test_evaluation_exports(client: TestClient, seeded: Session) -> None:
    leader = make_user(seeded, "leader")
    sign_in(client, leader.email)  # type: ignore[attr-defined]
    assert client.get("/console/reports/evaluation").status_code == 200
    xlsx = client.get("/console/reports/evaluation/agencies.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    csv = client.get("/console/reports/evaluation/agencies.csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert seeded.scalars(select(AuditEntry).where(AuditEntry.action == "export")).first()


def test_only_administrators_edit_categories(client: TestClient, seeded: Session) -> None:
    _catalogue(seeded)
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    assert client.get("/admin/categories").status_code == 403
    admin = make_user(seeded, "administrator")
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/console").text)})
    sign_in(client, admin.email)  # type: ignore[attr-defined]
    page = client.get("/admin/categories/road.pothole")
    response = client.post(
        "/admin/categories/road.pothole",
        data={
            "csrf_token": csrf_from(page.text),
            "name_vi": "Ổ gà",
            "name_en": "Pothole",
            "group": "roads",
            "default_urgency": "normal",
            "default_target": "SXD",
            "is_active": "1",
            "allow_anonymous": "1",
            "normal_accept_amount": "4",
            "normal_accept_unit": "hours",
            "normal_resolve_amount": "2",
            "normal_resolve_unit": "days",
        },
    )
    assert response.status_code == 303
    bad = client.post(
        "/admin/categories/road.pothole",
        data={
            "csrf_token": csrf_from(page.text),
            "name_vi": "",
            "name_en": "Pothole",
            "group": "nope",
            "default_urgency": "normal",
        },
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text


def test_rejection_outside_competence_leaves_the_766_denominator(seeded: Session) -> None:
    from datetime import timedelta

    from ioc.db import utcnow
    from ioc.reports import evaluation, service
    from ioc.reports.models import ReportAgencyRecord
    from ioc.reports.schemas import ReportInput

    _catalogue(seeded)
    officer_user = make_user(seeded, "officer", agency="SXD")
    from ioc.kit.auth import actor_for

    officer = actor_for(seeded, officer_user)  # type: ignore[arg-type]
    citizen = actor_for(seeded, make_user(seeded, "citizen"))  # type: ignore[arg-type]
    report = service.submit(
        seeded,
        citizen,
        ReportInput(
            category_code="road.pothole",
            description="Không phải việc của Sở.",
            lat=21.5942,
            lon=105.8482,
        ),
        channel="web",
    )
    service.reject(seeded, officer, report, reason="Thuộc thẩm quyền khác.", not_competent=True)
    record = seeded.scalars(
        select(ReportAgencyRecord).where(ReportAgencyRecord.report_id == report.id)
    ).one()
    assert record.outcome == "not_competent"
    now = utcnow()
    scores = evaluation.evaluate_agencies(
        seeded, start=now - timedelta(days=1), end=now + timedelta(days=1)
    )
    sxd = next(a for a in scores if a.code == "SXD")
    assert (sxd.received, sxd.rejected_not_competent, sxd.within_competence) == (1, 1, 0)


def test_operator_hides_a_photo_from_the_public(
    client: TestClient, seeded: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    from ioc.reports.models import ReportPhoto

    _catalogue(seeded)
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buffer, "JPEG")
    form = client.get("/reports/new")
    sent = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "category_code": "road.pothole",
            "description": "Ổ gà có ảnh.",
            **POINT,
        },
        files={"photos": ("a.jpg", buffer.getvalue(), "image/jpeg")},
    )
    code = sent.headers["location"].rsplit("/", 1)[-1]
    photo = seeded.scalars(select(ReportPhoto).join(Report).where(Report.code == code)).one()
    assert client.get(f"/reports/photos/{photo.id}/thumb").status_code == 200

    operator = make_user(seeded, "operator")
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/").text)})
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    page = client.get(f"/console/reports/{code}")
    client.post(
        f"/console/reports/{code}/act",
        data={
            "csrf_token": csrf_from(page.text),
            "action": "hide_photo",
            "photo_id": str(photo.id),
        },
    )
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/console").text)})
    assert client.get(f"/reports/photos/{photo.id}/thumb").status_code == 404
    assert f"/reports/photos/{photo.id}/thumb" not in client.get(f"/reports/{code}").text
