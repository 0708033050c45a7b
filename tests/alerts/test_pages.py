"""The alert pages over real HTTP: the inbox and its filters, an alert handled through its
procedure, the console panel fragment, the rules' and procedures' settings, and who may open
what."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.alerts import service
from ioc.alerts.models import Alert, AlertStep, ProcedureStep
from ioc.kit.audit import AuditEntry
from tests.alerts.conftest import agency_codes
from tests.conftest import csrf_from, make_user, sign_in


def _alerts(session: Session) -> tuple[Alert, Alert]:
    critical = service.raise_alert(
        session,
        rule="indicator_band",
        dedupe_key="p:1",
        title="Indicator REPORTS_ON_TIME moved into the bad band",
        severity="critical",
        subject_type="indicator",
        subject_id="REPORTS_ON_TIME",
        cause={"indicator": "REPORTS_ON_TIME", "old_band": "warning", "new_band": "bad"},
    )
    warning = service.raise_alert(
        session,
        rule="report_overdue",
        dedupe_key="p:2",
        title="Report PA-2026-000007 is overdue (accept)",
        severity="warning",
        subject_type="report",
        subject_id="PA-2026-000007",
        cause={"agency": None, "reports": {"PA-2026-000007": {"stage": "accept"}}},
    )
    assert critical is not None and warning is not None
    session.commit()
    return critical, warning


def _post(client: TestClient, url: str, page_url: str, **data: str) -> object:
    token = csrf_from(client.get(page_url).text)
    return client.post(url, data={"csrf_token": token, **data})


def test_operator_handles_an_alert_through_its_procedure(
    client: TestClient, alerts_db: Session
) -> None:
    _critical, alert = _alerts(alerts_db)
    operator = make_user(alerts_db, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    inbox = client.get("/console/alerts")
    assert inbox.status_code == 200
    assert "Phản ánh PA-2026-000007 quá hạn" in inbox.text and "Cảnh báo" in inbox.text
    # Critical first.
    assert inbox.text.index("REPORTS_ON_TIME") < inbox.text.index("PA-2026-000007")
    filtered = client.get("/console/alerts?severity=critical").text
    assert "REPORTS_ON_TIME" in filtered and "PA-2026-000007" not in filtered
    url = f"/console/alerts/{alert.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Phản ánh quá hạn" in page.text
    assert 'href="/console/reports/PA-2026-000007"' in page.text
    act = f"{url}/act"
    assert _post(client, act, url, action="acknowledge").status_code == 303  # type: ignore[attr-defined]
    steps = alerts_db.scalars(
        select(AlertStep).where(AlertStep.alert_id == alert.id).order_by(AlertStep.position)
    ).all()
    for step in steps:
        response = _post(client, act, url, action="step", step=str(step.id), note="Xong")
        assert response.status_code == 303  # type: ignore[attr-defined]
    # Resolving without saying what was done is refused, naming the field, in Vietnamese.
    refused = _post(client, act, url, action="resolve", resolution="  ")
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert "Hãy ghi" in client.get(url).text
    done = _post(client, act, url, action="resolve", resolution="Cơ quan đã tiếp nhận")
    assert done.status_code == 303  # type: ignore[attr-defined]
    alerts_db.expire_all()
    fresh = alerts_db.get(Alert, alert.id)
    assert fresh is not None and fresh.status == "resolved"
    assert all(
        s.done_at is not None
        for s in alerts_db.scalars(select(AlertStep).where(AlertStep.alert_id == alert.id))
    )
    final = client.get(url).text
    assert "Đã xử lý" in final and "Cơ quan đã tiếp nhận" in final


def test_acts_need_the_csrf_token(client: TestClient, alerts_db: Session) -> None:
    _critical, alert = _alerts(alerts_db)
    operator = make_user(alerts_db, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    response = client.post(f"/console/alerts/{alert.id}/act", data={"action": "acknowledge"})
    assert response.status_code == 403
    alerts_db.expire_all()
    assert alerts_db.get(Alert, alert.id).status == "open"  # type: ignore[union-attr]


def test_panel_is_a_fragment_of_the_actors_open_alerts(
    client: TestClient, alerts_db: Session
) -> None:
    critical, warning = _alerts(alerts_db)
    mine = agency_codes(alerts_db, 1)[0]
    operator = make_user(alerts_db, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    panel = client.get("/console/alerts/panel")
    assert panel.status_code == 200 and panel.headers["content-type"].startswith("text/html")
    assert "<html" not in panel.text and "<body" not in panel.text
    assert f'href="/console/alerts/{critical.id}"' in panel.text
    assert panel.text.index(f"/console/alerts/{critical.id}") < panel.text.index(
        f"/console/alerts/{warning.id}"
    )
    assert "2 chưa xử lý xong" in panel.text
    # An officer sees only what is assigned to the agency.
    service.assign(alerts_db, service_actor(), warning, agency_code=mine)
    alerts_db.commit()
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/console").text)})
    officer = make_user(alerts_db, "officer", agency=mine)
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    text = client.get("/console/alerts/panel").text
    assert f"/console/alerts/{warning.id}" in text and f"/console/alerts/{critical.id}" not in text
    assert client.get(f"/console/alerts/{critical.id}").status_code == 403


def service_actor() -> object:
    from tests.alerts.conftest import actor

    return actor("operator")


def test_citizens_and_visitors_are_kept_out(client: TestClient, alerts_db: Session) -> None:
    critical, _warning = _alerts(alerts_db)
    assert client.get("/console/alerts/panel").status_code in (302, 303, 401)
    citizen = make_user(alerts_db, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    assert client.get("/console/alerts").status_code == 403
    assert client.get(f"/console/alerts/{critical.id}").status_code == 403
    assert client.get("/console/alerts/panel").status_code == 403
    assert client.get("/console/alerts/999999").status_code == 403


def test_rules_page_saves_and_reports_errors_by_field(
    client: TestClient, alerts_db: Session
) -> None:
    operator = make_user(alerts_db, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    page = client.get("/console/alerts/rules")
    assert page.status_code == 200 and "Đột biến phản ánh" in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "indicator_band.enabled": "1",
        "indicator_band.severity": "critical",
        "report_overdue.severity": "info",  # unchecked: disabled
        "report_spike.enabled": "1",
        "report_spike.severity": "warning",
        "report_spike.min_count": "nhiều",
        "report_spike.sd_factor": "3",
        "report_spike.p_max": "0.001",
        "report_spike.history_weeks": "8",
    }
    bad = client.post("/console/alerts/rules", data=form)
    assert bad.status_code == 422 and 'href="#field-report_spike.min_count"' in bad.text
    assert "nhập một số" in bad.text
    alerts_db.expire_all()
    assert service.rule_settings(alerts_db, "report_overdue").enabled  # nothing half-saved
    good = client.post("/console/alerts/rules", data={**form, "report_spike.min_count": "4"})
    assert good.status_code == 303
    alerts_db.expire_all()
    assert not service.rule_settings(alerts_db, "report_overdue").enabled
    assert service.param(service.rule_settings(alerts_db, "report_spike"), "min_count") == 4
    assert alerts_db.scalars(
        select(AuditEntry).where(AuditEntry.action == "alerts.rule_changed")
    ).first()


def test_administrator_edits_a_procedure(client: TestClient, alerts_db: Session) -> None:
    admin = make_user(alerts_db, "administrator")
    sign_in(client, admin.email)  # type: ignore[attr-defined]
    listing = client.get("/admin/alerts/procedures")
    assert listing.status_code == 200 and "Chỉ số vượt ngưỡng" in listing.text
    page = client.get("/admin/alerts/procedures/report_spike")
    assert page.status_code == 200
    token = csrf_from(page.text)
    bad = client.post(
        "/admin/alerts/procedures/report_spike",
        data={
            "csrf_token": token,
            "name": "Đột biến phản ánh",
            "step_title": ["Xem bản đồ", "Gọi xã"],
            "step_minutes": ["15", "một giờ"],
            "step_role": ["operator", ""],
        },
    )
    assert bad.status_code == 422 and "Bước 2" in bad.text
    good = client.post(
        "/admin/alerts/procedures/report_spike",
        data={
            "csrf_token": token,
            "name": "Đột biến phản ánh",
            "step_title": ["Xem bản đồ", "Gọi xã", ""],
            "step_minutes": ["15", "60", ""],
            "step_role": ["operator", "", ""],
        },
    )
    assert good.status_code == 303
    titles = alerts_db.scalars(select(ProcedureStep.title).order_by(ProcedureStep.id)).all()
    assert titles[-2:] == ["Xem bản đồ", "Gọi xã"]
    # Operators cannot.
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/admin").text)})
    operator = make_user(alerts_db, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    assert client.get("/admin/alerts/procedures").status_code == 403
    assert re.search(r"Cảnh báo", client.get("/console/alerts").text)


def test_cause_map_shows_the_cell_and_the_reports(client: TestClient, alerts_db: Session) -> None:
    from datetime import timedelta

    from ioc.alerts import rules
    from ioc.db import utcnow
    from tests.alerts.conftest import add_reports, cell_of, make_category

    category = make_category(alerts_db)
    now = utcnow()
    add_reports(alerts_db, category, [now - timedelta(minutes=m) for m in (40, 30, 20, 10)])
    alerts_db.commit()
    assert rules.detect_spikes(alerts_db, now=now) == 1
    alerts_db.commit()
    alert = alerts_db.scalars(select(Alert).where(Alert.rule == "report_spike")).one()
    operator = make_user(alerts_db, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    page = client.get(f"/console/alerts/{alert.id}")
    assert page.status_code == 200 and "data-ioc-map" in page.text
    assert f"/console/alerts/{alert.id}/cause.geojson" in page.text
    layer = client.get(f"/console/alerts/{alert.id}/cause.geojson")
    assert layer.status_code == 200
    features = layer.json()["features"]
    kinds = sorted(f["geometry"]["type"] for f in features)
    assert kinds == ["Point"] * 4 + ["Polygon"]
    assert features[0]["properties"]["title"] == cell_of((21.5942, 105.8482))
    points = [f for f in features if f["geometry"]["type"] == "Point"]
    assert {f["properties"]["href"] for f in points} == {
        f"/console/reports/{c}" for c in alert.cause["reports"]
    }
    # Nothing about the reporters.
    assert "reporter" not in layer.text
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/console").text)})
    officer = make_user(alerts_db, "officer", agency=agency_codes(alerts_db, 1)[0])
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    assert client.get(f"/console/alerts/{alert.id}/cause.geojson").status_code == 403


def test_pages_switch_to_english(client: TestClient, alerts_db: Session) -> None:
    critical, _warning = _alerts(alerts_db)
    operator = make_user(alerts_db, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    client.cookies.set("ioc_lang", "en")
    inbox = client.get("/console/alerts").text
    assert "Report PA-2026-000007 is overdue (accept)" in inbox and "Not resolved" in inbox
    page = client.get(f"/console/alerts/{critical.id}").text
    # The procedure is what the administrator wrote (in Vietnamese); the interface is English.
    assert "Procedure: Chỉ số vượt ngưỡng" in page and "Acknowledge" in page
    assert "1 not resolved" not in client.get("/console/alerts/panel").text
    assert "2 not resolved" in client.get("/console/alerts/panel").text
