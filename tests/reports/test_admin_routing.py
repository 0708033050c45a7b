"""A commune's own routing rule for a category, edited by administrators on the category page:
who may, what is audited, the errors people see, and that the next report follows the new rule
at once (the reference-data cache included)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc import migrate
from ioc.areas.models import Agency, Area
from ioc.db import Database
from ioc.errors import PermissionDenied, ValidationFailed
from ioc.kit import auth
from ioc.kit.audit import AuditEntry
from ioc.kit.events import Event
from ioc.kit.permissions import ANONYMOUS
from ioc.reports import configuration as config
from ioc.reports import intake, refdata
from ioc.reports.models import Category, RoutingRule
from ioc.reports.schemas import ReportInput
from ioc.seed import seed_modules
from tests.conftest import csrf_from, make_user, sign_in
from tests.reports.conftest import add_rule, communes, make_category, person


def _admin_client(client: TestClient, session: Session, role: str = "administrator") -> str:
    """Signs a new user with ``role`` in; returns a CSRF token for the category pages."""
    user = make_user(session, role, agency="SXD" if role in ("officer", "agency_head") else None)
    sign_in(client, user.email)  # type: ignore[attr-defined]
    return csrf_from(client.get("/console").text)


def _rules(session: Session, category: Category) -> dict[str | None, str]:
    session.expire_all()
    rows = session.scalars(select(RoutingRule).where(RoutingRule.category_id == category.id))
    return {r.area_code: r.target for r in rows}


def _audits(session: Session, category: Category) -> list[dict[str, str]]:
    return [
        dict(e.detail or {})
        for e in session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "reports.routing_changed",
                AuditEntry.subject_id == category.code,
            )
            .order_by(AuditEntry.id)
        )
    ]


@pytest.mark.parametrize("role", ["operator", "officer", "agency_head", "leader"])
def test_only_administrators_see_or_change_commune_rules(
    client: TestClient, seeded: Session, role: str
) -> None:
    category = make_category(seeded)
    area = communes(seeded, 1)[0]
    seeded.commit()
    token = _admin_client(client, seeded, role)
    assert client.get(f"/admin/categories/{category.code}").status_code == 403
    refused = client.post(
        f"/admin/categories/{category.code}/routes",
        data={"csrf_token": token, "area_code": area.code, "target": "SXD"},
    )
    assert refused.status_code == 403
    assert _rules(seeded, category) == {} and _audits(seeded, category) == []


def test_signed_out_visitor_is_sent_to_sign_in(client: TestClient, seeded: Session) -> None:
    category = make_category(seeded)
    seeded.commit()
    page = client.get(f"/admin/categories/{category.code}")
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")


def test_service_refuses_a_non_administrator(seeded: Session) -> None:
    category = make_category(seeded)
    officer = person(seeded, "officer", "SXD")
    with pytest.raises(PermissionDenied):
        config.set_area_rule(
            seeded, officer, category, area_code=communes(seeded, 1)[0].code, target="SXD"
        )


def test_administrator_adds_replaces_and_removes_a_communes_rule(
    client: TestClient, seeded: Session
) -> None:
    category = make_category(seeded)
    add_rule(seeded, category, "SXD")
    area = communes(seeded, 1)[0]
    seeded.commit()
    token = _admin_client(client, seeded)
    page = client.get(f"/admin/categories/{category.code}")
    assert page.status_code == 200
    assert "Tuyến theo xã/phường" in page.text
    assert "Chưa xã, phường nào có quy tắc riêng" in page.text
    # The select offers every commune and ward of the province (92 since July 2025).
    select_html = page.text.split('id="field-area_code"', 1)[1].split("</select>", 1)[0]
    assert select_html.count('<option value="') == len(communes(seeded, 200)) + 1 == 93

    added = client.post(
        f"/admin/categories/{category.code}/routes",
        data={"csrf_token": token, "area_code": area.code, "target": "SNNMT"},
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/admin/categories/{category.code}#routes"
    assert _rules(seeded, category) == {None: "SXD", area.code: "SNNMT"}
    page = client.get(f"/admin/categories/{category.code}")
    assert f"Phản ánh tại {area.name} từ nay được chuyển theo quy tắc riêng." in page.text
    listed = page.text.split('id="routes"', 1)[1]
    assert area.name in listed and "Sở Nông nghiệp và Môi trường" in listed

    replaced = client.post(
        f"/admin/categories/{category.code}/routes",
        data={"csrf_token": token, "area_code": area.code, "target": "commune"},
    )
    assert replaced.status_code == 303
    assert _rules(seeded, category) == {None: "SXD", area.code: "commune"}

    removed = client.post(
        f"/admin/categories/{category.code}/routes",
        data={"csrf_token": token, "area_code": area.code, "remove": "1"},
    )
    assert removed.status_code == 303
    assert _rules(seeded, category) == {None: "SXD"}
    assert f"Đã gỡ quy tắc riêng của {area.name}." in client.get(removed.headers["location"]).text

    assert _audits(seeded, category) == [
        {"area": area.code, "target": "SNNMT"},
        {"area": area.code, "target": "commune"},
        {"area": area.code, "target": ""},
    ]
    payloads = seeded.scalars(
        select(Event.payload)
        .where(Event.type == "reports.category_changed", Event.subject_id == category.code)
        .order_by(Event.id)
    ).all()
    assert [p["target"] for p in payloads] == ["SNNMT", "commune", ""]


def test_unknown_commune_and_agency_are_named_and_nothing_is_saved(
    client: TestClient, seeded: Session
) -> None:
    category = make_category(seeded)
    area = communes(seeded, 1)[0]
    add_rule(seeded, category, "SXD", area_code=area.code)
    province = seeded.scalars(select(Area.code).where(Area.kind == "province")).one()
    seeded.commit()
    token = _admin_client(client, seeded)
    url = f"/admin/categories/{category.code}/routes"

    both = client.post(url, data={"csrf_token": token, "area_code": "99999", "target": "NOPE"})
    assert both.status_code == 422
    assert "Chọn một xã hoặc phường trong danh sách." in both.text
    assert "Chọn cơ quan tiếp nhận các phản ánh này." in both.text
    assert 'href="#field-area_code"' in both.text and 'href="#field-target"' in both.text
    assert both.text.count('aria-invalid="true"') == 2

    # The province is not a commune: its rule is the category's own target.
    whole = client.post(url, data={"csrf_token": token, "area_code": province, "target": "SXD"})
    assert whole.status_code == 422 and "Chọn một xã hoặc phường" in whole.text

    # A known commune with an unknown agency keeps the commune's rule as it was.
    bad_target = client.post(url, data={"csrf_token": token, "area_code": area.code, "target": ""})
    assert bad_target.status_code == 422
    assert "Chọn cơ quan tiếp nhận các phản ánh này." in bad_target.text
    assert f'<option value="{area.code}" selected>' in bad_target.text  # the choice is kept

    no_csrf = client.post(url, data={"area_code": area.code, "target": "SNNMT"})
    assert no_csrf.status_code == 403

    assert _rules(seeded, category) == {area.code: "SXD"}
    assert _audits(seeded, category) == []


def test_service_checks_both_fields_before_writing(seeded: Session) -> None:
    category = make_category(seeded)
    area = communes(seeded, 1)[0]
    add_rule(seeded, category, "SXD", area_code=area.code)
    admin = person(seeded, "administrator")
    with pytest.raises(ValidationFailed) as caught:
        config.set_area_rule(seeded, admin, category, area_code=area.code, target="NOPE")
    assert [e.field for e in caught.value.errors] == ["target"]
    with pytest.raises(ValidationFailed) as caught:
        config.remove_area_rule(seeded, admin, category, area_code="nowhere")
    assert [e.field for e in caught.value.errors] == ["area_code"]
    assert _rules(seeded, category) == {area.code: "SXD"}
    # Removing a rule a commune does not have changes nothing, and records nothing.
    other = communes(seeded, 2)[1]
    assert config.remove_area_rule(seeded, admin, category, area_code=other.code) is False
    assert _audits(seeded, category) == []


def test_page_shows_where_a_report_of_a_commune_goes(client: TestClient, seeded: Session) -> None:
    category = make_category(seeded)
    ruled, other = communes(seeded, 2)
    add_rule(seeded, category, "SXD")
    add_rule(seeded, category, "commune", area_code=ruled.code)
    committee = seeded.scalars(select(Agency).where(Agency.code == f"UBND-{ruled.code}")).one()
    seeded.commit()
    _admin_client(client, seeded)
    base = f"/admin/categories/{category.code}"

    own = client.get(base, params={"route_area": ruled.code}).text
    assert f"tại {ruled.name} được chuyển đến {committee.name}." in own
    assert "Theo quy tắc riêng của xã, phường." in own
    province = client.get(base, params={"route_area": other.code}).text
    assert f"tại {other.name} được chuyển đến Sở Xây dựng." in province
    assert "Theo quy tắc toàn tỉnh." in province

    unruled = make_category(seeded)
    seeded.commit()
    triage = client.get(f"/admin/categories/{unruled.code}", params={"route_area": other.code})
    assert "vào hàng chờ phân loại của trực ban" in triage.text
    assert "Không có quy tắc nào áp dụng." in triage.text

    unknown = client.get(base, params={"route_area": "99999"})
    assert unknown.status_code == 422 and 'href="#field-route_area"' in unknown.text


# --- the next report follows the new rule, through the reference-data cache -----------------


@pytest.fixture(scope="module")
def own_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database of its own whose sessions are bound to an engine, as the application's are:
    only those use the per-process cache (see test_refdata.py)."""
    path: Path = tmp_path_factory.mktemp("routing-cache") / "routing.sqlite3"
    db = Database(f"sqlite:///{path}")
    if os.environ.get("IOC_TEST_CREATE_ALL"):
        # Only while a model has no migration yet (as in tests/conftest.py).
        from ioc.db import Base
        from ioc.modules import import_all_models

        import_all_models()
        Base.metadata.create_all(db.engine)
    else:
        migrate.upgrade(db.engine)
    with db.session() as session:
        seed_modules(session)
    refdata.invalidate()
    yield db
    refdata.invalidate()
    db.dispose()


def _file(session: Session, category_code: str, area_code: str) -> str | None:
    """Files a report at the commune's centre; the code of the agency it was routed to."""
    area = session.get(Area, area_code)
    assert area is not None
    report = intake.submit(
        session,
        ANONYMOUS,
        ReportInput(
            category_code=category_code,
            description="Cống thoát nước bị tắc, nước tràn ra đường.",
            lat=area.lat,
            lon=area.lon,
            area_code=area.code,
            reporter_phone="0912345678",
        ),
        channel="app",
    )
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    return agency.code if agency else None


def test_the_next_report_follows_a_changed_rule_at_once(own_db: Database) -> None:
    with own_db.session() as session:
        category = make_category(session)
        add_rule(session, category, "SXD")
        code, category_id = category.code, category.id
        area = session.scalars(select(Area.code).where(Area.kind != "province").limit(1)).one()
        admin = auth.actor_for(session, make_user(session, "administrator"))  # type: ignore[arg-type]

    def change(target: str) -> None:
        with own_db.session() as session:
            category = config.get_category(session, code)
            if target:
                config.set_area_rule(session, admin, category, area_code=area, target=target)
            else:
                config.remove_area_rule(session, admin, category, area_code=area)

    with own_db.session() as session:
        assert _file(session, code, area) == "SXD"
        cached = refdata.get(session)
        # The cache is in use (an engine-bound session), and it knows the old rule only.
        assert cached is not None and area not in cached.rules[category_id]

    change("SNNMT")
    with own_db.session() as session:
        assert _file(session, code, area) == "SNNMT"
        fresh = refdata.get(session)
        assert fresh is not None and fresh is not cached
        assert fresh.rules[category_id][area] == "SNNMT"

    change("commune")
    with own_db.session() as session:
        assert _file(session, code, area) == f"UBND-{area}"

    change("")
    with own_db.session() as session:
        assert _file(session, code, area) == "SXD"
