"""The console and administration pages over HTTP: who sees what, manual entry, import with
preview and confirmation, the catalogue editor (audited)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.indicators.demo import seed_demo_observations
from ioc.indicators.models import Indicator, Observation
from ioc.kit.audit import AuditEntry
from tests.conftest import csrf_from, make_user, sign_in

WARD = "05443"


def _login(client: TestClient, session: Session, role: str, agency: str | None = None) -> None:
    user = make_user(session, role, agency=agency)
    sign_in(client, user.email)  # type: ignore[attr-defined]


@pytest.fixture()
def demo(seeded: Session) -> Session:
    seed_demo_observations(seeded, computed=False)
    seeded.commit()
    return seeded


def test_scorecard_of_the_province_and_of_a_commune(client: TestClient, demo: Session) -> None:
    _login(client, demo, "leader")
    page = client.get("/console/scorecards")
    assert page.status_code == 200
    assert "Nồng độ bụi mịn PM2.5 trung bình" in page.text
    assert "Tốc độ tăng trưởng tổng sản phẩm" in page.text  # a province-only indicator
    assert 'href="/console/indicators/env.pm25?area=19"' in page.text
    assert "data-ind-chart" in page.text
    ward = client.get(f"/console/scorecards?area={WARD}")
    assert ward.status_code == 200 and "Phan Đình Phùng" in ward.text
    assert "Tốc độ tăng trưởng tổng sản phẩm" not in ward.text
    assert f'href="/console/indicators/env.pm25?area={WARD}"' in ward.text


def test_rankings_and_history_pages(client: TestClient, demo: Session) -> None:
    _login(client, demo, "operator")
    ranking = client.get("/console/scorecards/rankings?indicator=infra.water_supply")
    assert ranking.status_code == 200
    assert len(re.findall(r"<tr>\s*<td>\d+</td>", ranking.text)) == 92
    history = client.get(f"/console/indicators/infra.water_supply?area={WARD}")
    assert history.status_code == 200
    assert "Số liệu minh họa (demo)" in history.text and "Enter a value" not in history.text
    assert "Nhập số liệu" in history.text  # the entry form, for an operator


def test_citizens_and_anonymous_people_see_no_scorecard(
    client: TestClient, seeded: Session
) -> None:
    assert client.get("/console/scorecards").status_code in (302, 303, 401)
    _login(client, seeded, "citizen")
    assert client.get("/console/scorecards").status_code == 403
    assert client.get("/console/indicators").status_code == 403


def test_an_officer_sees_but_cannot_enter(client: TestClient, seeded: Session) -> None:
    _login(client, seeded, "officer", "SXD")
    page = client.get("/console/indicators/infra.water_supply")
    assert (
        page.status_code == 200
        and 'action="/console/indicators/infra.water_supply/values"' not in page.text
    )
    assert client.get("/console/indicators/import").status_code == 403
    assert client.get("/admin/indicators").status_code == 403


def test_manual_entry_over_http(client: TestClient, seeded: Session) -> None:
    _login(client, seeded, "operator")
    page = client.get(f"/console/indicators/infra.water_supply?area={WARD}")
    token = csrf_from(page.text)
    response = client.post(
        "/console/indicators/infra.water_supply/values",
        data={
            "csrf_token": token,
            "area": WARD,
            "period": "2026-03",
            "value": "97,5",
            "status": "final",
            "note": "",
        },
    )
    assert response.status_code == 303
    value = seeded.scalar(select(Observation.value).where(Observation.area_code == WARD))
    assert value == 97.5
    bad = client.post(
        "/console/indicators/infra.water_supply/values",
        data={
            "csrf_token": token,
            "area": WARD,
            "period": "2026-03",
            "value": "140",
            "status": "final",
        },
    )
    assert bad.status_code == 303
    shown = client.get(bad.headers["location"])
    assert "Giá trị không được lớn hơn 100." in shown.text
    assert seeded.scalar(select(Observation.value).where(Observation.area_code == WARD)) == 97.5


def test_import_preview_then_confirm_over_http(client: TestClient, seeded: Session) -> None:
    _login(client, seeded, "operator")
    token = csrf_from(client.get("/console/indicators/import").text)
    content = f"indicator,area,period,value\ninfra.water_supply,{WARD},2026-03,96.5\n".encode()
    preview = client.post(
        "/console/indicators/import",
        data={"csrf_token": token},
        files={"file": ("nuoc.csv", content, "text/csv")},
    )
    assert preview.status_code == 200 and "Lưu 1 số liệu" in preview.text
    assert seeded.scalar(select(func.count()).select_from(Observation)) == 0
    encoded = re.search(r'name="content" value="([^"]+)"', preview.text)
    assert encoded
    done = client.post(
        "/console/indicators/import",
        data={
            "csrf_token": token,
            "confirm": "1",
            "filename": "nuoc.csv",
            "content": encoded.group(1),
        },
    )
    assert done.status_code == 303
    assert seeded.scalar(select(func.count()).select_from(Observation)) == 2  # + the roll-up
    assert seeded.scalar(select(AuditEntry).where(AuditEntry.action == "indicator.import"))


def test_import_with_errors_shows_them_per_row(client: TestClient, seeded: Session) -> None:
    _login(client, seeded, "operator")
    token = csrf_from(client.get("/console/indicators/import").text)
    content = b"indicator,area,period,value\ninfra.water_supply,05443,2026-03,abc\n"
    page = client.post(
        "/console/indicators/import",
        data={"csrf_token": token},
        files={"file": ("x.csv", content, "text/csv")},
    )
    assert page.status_code == 422
    assert "Nhập một số." in page.text and "nothing was saved" not in page.text
    assert seeded.scalar(select(func.count()).select_from(Observation)) == 0


def test_catalogue_editor_is_for_administrators_and_audited(
    client: TestClient, seeded: Session
) -> None:
    _login(client, seeded, "leader")
    assert client.get("/admin/indicators").status_code == 403
    client.cookies.clear()
    _login(client, seeded, "administrator")
    page = client.get("/admin/indicators/env.pm25")
    assert page.status_code == 200
    token = csrf_from(page.text)
    form = {
        "csrf_token": token,
        "kind": "indicator",
        "parent": "theme.environment",
        "name_vi": "Nồng độ bụi mịn PM2.5 trung bình",
        "name_en": "Mean PM2.5 concentration",
        "unit": "µg/m³",
        "decimals": "1",
        "direction": "lower",
        "frequency": "monthly",
        "area_level": "commune",
        "source": "imported",
        "rollup": "weighted_mean",
        "agency_code": "SNNMT",
        "target": "",
        "target_max": "",
        "band_mode": "absolute",
        "good_at": "20",
        "warn_at": "45",
        "min_value": "0",
        "max_value": "",
        "reference": "",
        "formula": "",
        "headline": "1",
        "is_active": "1",
    }
    assert client.post("/admin/indicators/env.pm25", data=form).status_code == 303
    pm25 = seeded.scalar(select(Indicator).where(Indicator.code == "env.pm25"))
    assert pm25 is not None and pm25.good_at == 20.0 and pm25.warn_at == 45.0
    entry = seeded.scalar(select(AuditEntry).where(AuditEntry.action == "indicator.updated"))
    assert entry is not None and entry.detail["changes"]["good_at"] == [25.0, 20.0]
    wrong = client.post("/admin/indicators/env.pm25", data={**form, "warn_at": "10", "name_vi": ""})
    assert wrong.status_code == 422
    assert "Ngưỡng cần chú ý phải nằm sau ngưỡng đạt." in wrong.text
    assert 'href="#field-name_vi"' in wrong.text
    seeded.refresh(pm25)
    assert pm25.warn_at == 45.0


def test_agency_scorecard(client: TestClient, seeded: Session) -> None:
    _login(client, seeded, "agency_head", "SXD")
    page = client.get("/console/scorecards/agencies")
    assert page.status_code == 200
    assert "Tỷ lệ phản ánh hiện trường được giải quyết đúng hạn" in page.text
    assert "/console/reports?agency=SXD&amp;bucket=overdue" in page.text


def test_the_sample_file_lists_importable_indicators(client: TestClient, seeded: Session) -> None:
    _login(client, seeded, "operator")
    sample = client.get("/console/indicators/import/template.csv")
    assert sample.status_code == 200
    assert "infra.water_supply,19," in sample.text and "reports.on_time" not in sample.text
