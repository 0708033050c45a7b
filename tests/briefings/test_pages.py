"""The console pages of the leader's report: who may see and download what, "Generate now",
and the audit of every download."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.briefings import periods, service
from ioc.briefings.models import Briefing
from ioc.kit.audit import AuditEntry
from tests.briefings.conftest import NOW, Week
from tests.conftest import csrf_from, make_user, sign_in

W11 = periods.parse("week", "2026-W11")


def _province_and_agency_reports(session: Session, week: Week) -> tuple[Briefing, Briefing]:
    province = service.generate(session, period=W11, now=NOW)
    agency = service.generate(session, period=W11, agency=week.agency["SXD"], now=NOW)
    session.commit()
    return province, agency


def test_leader_lists_and_downloads_and_the_download_is_audited(
    client: TestClient, seeded: Session, week: Week
) -> None:
    province, _agency = _province_and_agency_reports(seeded, week)
    leader = make_user(seeded, "leader")
    sign_in(client, leader.email)  # type: ignore[attr-defined]
    page = client.get("/console/briefings")
    assert page.status_code == 200
    assert "Báo cáo tuần 11/2026" in page.text
    assert f"/console/briefings/{province.id}.pdf" in page.text
    assert "Báo cáo lãnh đạo" in page.text  # the console's navigation entry
    pdf = client.get(f"/console/briefings/{province.id}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == province.pdf
    assert 'filename="bao-cao-tuan-2026-W11.pdf"' in pdf.headers["content-disposition"]
    xlsx = client.get(f"/console/briefings/{province.id}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    seeded.expire_all()
    entries = seeded.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "briefing", AuditEntry.action == "export"
        )
    ).all()
    assert [(e.subject_id, e.actor_id, (e.detail or {})["format"]) for e in entries] == [
        (str(province.id), leader.id, "pdf"),  # type: ignore[attr-defined]
        (str(province.id), leader.id, "xlsx"),  # type: ignore[attr-defined]
    ]


def test_agency_head_gets_only_the_agency_version(
    client: TestClient, seeded: Session, week: Week
) -> None:
    province, agency = _province_and_agency_reports(seeded, week)
    head = make_user(seeded, "agency_head", agency="SXD")
    sign_in(client, head.email)  # type: ignore[attr-defined]
    page = client.get("/console/briefings")
    assert page.status_code == 200
    assert f"/console/briefings/{agency.id}.pdf" in page.text
    assert f"/console/briefings/{province.id}.pdf" not in page.text
    assert client.get(f"/console/briefings/{agency.id}.pdf").status_code == 200
    assert client.get(f"/console/briefings/{province.id}.pdf").status_code == 403
    # The page shows the agency's own figures: 4 reports received by SXD.
    view = client.get("/console/briefings/week/2026-W11")
    assert view.status_code == 200
    assert week.agency["SXD"].name in view.text


def test_officers_and_citizens_cannot_download(
    client: TestClient, seeded: Session, week: Week
) -> None:
    province, _agency = _province_and_agency_reports(seeded, week)
    anonymous = client.get(f"/console/briefings/{province.id}.pdf")
    assert anonymous.status_code == 303 and "/signin" in anonymous.headers["location"]
    officer = make_user(seeded, "officer", agency="SXD")
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    assert client.get("/console/briefings").status_code == 403
    assert client.get(f"/console/briefings/{province.id}.pdf").status_code == 403
    assert client.get("/console/briefings/999999.pdf").status_code in (403, 404)


def test_operator_generates_now_with_csrf(client: TestClient, seeded: Session, week: Week) -> None:
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    page = client.get("/console/briefings")
    key = periods.last_complete("week").key
    assert f'value="week:{key}"' in page.text
    refused = client.post("/console/briefings/generate", data={"period": f"week:{key}"})
    assert refused.status_code == 403  # no CSRF token
    done = client.post(
        "/console/briefings/generate",
        data={"period": f"week:{key}", "csrf_token": csrf_from(page.text)},
    )
    assert done.status_code == 303
    seeded.expire_all()
    row = seeded.scalar(select(Briefing).where(Briefing.period_key == key))
    assert row is not None and row.kind == "week" and row.scope_key == ""
    assert row.generated_by_id == operator.id  # type: ignore[attr-defined]
    assert row.pdf_size > 10_000 and row.xlsx_size > 3_000
    listing = client.get("/console/briefings")
    assert f"/console/briefings/{row.id}.xlsx" in listing.text


def test_bad_period_gets_a_clear_error(client: TestClient, seeded: Session) -> None:
    leader = make_user(seeded, "leader")
    sign_in(client, leader.email)  # type: ignore[attr-defined]
    page = client.get("/console/briefings")
    bad = client.post(
        "/console/briefings/generate",
        data={"period": "week:2026-W99", "csrf_token": csrf_from(page.text)},
    )
    assert bad.status_code == 422
    assert "YYYY-Www" in bad.text
    future = periods.current("month").following()
    later = client.post(
        "/console/briefings/generate",
        data={"period": f"month:{future.key}", "csrf_token": csrf_from(page.text)},
    )
    assert later.status_code == 422
    assert "chưa bắt đầu" in later.text
    assert client.get("/console/briefings/week/2026-W99").status_code == 422


def test_period_page_shows_scorecard_ranking_and_outstanding(
    client: TestClient, seeded: Session, week: Week
) -> None:
    leader = make_user(seeded, "leader")
    sign_in(client, leader.email)  # type: ignore[attr-defined]
    page = client.get("/console/briefings/week/2026-W11")
    assert page.status_code == 200
    text = page.text
    assert "Báo cáo tuần 11/2026" in text
    assert "Phản ánh tiếp nhận" in text
    assert week.reports["r10"].code in text
    assert 'id="briefing-chart"' in text and "/static/vendor/echarts.min.js" in text


def test_agency_head_generates_the_agency_version(
    client: TestClient, seeded: Session, week: Week
) -> None:
    head = make_user(seeded, "agency_head", agency="SXD")
    sign_in(client, head.email)  # type: ignore[attr-defined]
    page = client.get("/console/briefings")
    key = periods.last_complete("month").key
    done = client.post(
        "/console/briefings/generate",
        data={"period": f"month:{key}", "csrf_token": csrf_from(page.text)},
    )
    assert done.status_code == 303
    seeded.expire_all()
    rows = seeded.scalars(select(Briefing).where(Briefing.period_key == key)).all()
    assert [(b.scope_key, b.agency_id) for b in rows] == [("SXD", week.agency["SXD"].id)]


def test_officer_cannot_generate(client: TestClient, seeded: Session) -> None:
    officer = make_user(seeded, "officer", agency="SXD")
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    page = client.get("/reports/new")
    refused = client.post(
        "/console/briefings/generate",
        data={
            "period": f"week:{periods.last_complete('week').key}",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert refused.status_code == 403
    seeded.expire_all()
    assert seeded.scalars(select(Briefing)).all() == []


ROLES = ("anonymous", "citizen", "officer", "agency_head", "operator", "leader", "administrator")
READERS = {"agency_head", "operator", "leader", "administrator"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_the_report_pages(
    client: TestClient, seeded: Session, role: str
) -> None:
    if role != "anonymous":
        user = make_user(seeded, role, agency="SXD" if role in ("officer", "agency_head") else None)
        sign_in(client, user.email)  # type: ignore[attr-defined]
    for path in ("/console/briefings", "/console/briefings/month/2026-10"):
        response = client.get(path)
        expected = 200 if role in READERS else (303 if role == "anonymous" else 403)
        assert response.status_code == expected, f"{role} GET {path}"
