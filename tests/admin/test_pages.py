"""Administration pages, driven as an administrator would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.kit import auth
from tests.conftest import csrf_from, make_user, sign_in


def _admin(client: TestClient, session: Session) -> None:
    user = make_user(session, "administrator")
    assert sign_in(client, user.email).status_code == 303  # type: ignore[attr-defined]


def test_create_an_officer_and_see_the_password_once(client: TestClient, seeded: Session) -> None:
    _admin(client, seeded)
    form = client.get("/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_from(form.text),
            "email": "Moi.CanBo@Example.vn",
            "full_name": "Nguyễn Văn Mới",
            "role": "officer",
            "agency": "SXD",
        },
    )
    assert response.status_code == 200
    password = re.search(r'id="new-password"><code>([^<]+)</code>', response.text)
    assert password
    user = seeded.scalars(select(auth.User).where(auth.User.email == "moi.canbo@example.vn")).one()
    assert auth.verify_password(user.password_hash, password.group(1))
    grants = seeded.scalars(
        select(auth.RoleAssignment).where(auth.RoleAssignment.user_id == user.id)
    ).all()
    assert [(g.role, g.scope_type, g.scope_ref) for g in grants] == [("officer", "agency", "SXD")]
    # The list shows the account; the password appears nowhere else.
    listing = client.get("/admin/users").text
    assert "Nguyễn Văn Mới" in listing and password.group(1) not in listing


def test_officer_without_agency_is_an_error_on_the_field(
    client: TestClient, seeded: Session
) -> None:
    _admin(client, seeded)
    form = client.get("/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_from(form.text),
            "email": "a@example.vn",
            "role": "officer",
            "agency": "",
        },
    )
    assert response.status_code == 422
    assert "Chọn cơ quan" in response.text
    assert (
        seeded.scalars(select(auth.User).where(auth.User.email == "a@example.vn")).first() is None
    )


def test_edit_an_agency(client: TestClient, seeded: Session) -> None:
    _admin(client, seeded)
    form = client.get("/admin/agencies/SXD")
    assert "Sở Xây dựng" in form.text
    response = client.post(
        "/admin/agencies/SXD",
        data={
            "csrf_token": csrf_from(form.text),
            "code": "SXD",
            "name": "Sở Xây dựng tỉnh",
            "kind": "department",
            "hotline": "0208 1234 567",
            "area_codes": ["19"],
            "is_active": "1",
        },
    )
    assert response.status_code == 303
    assert "Sở Xây dựng tỉnh" in client.get("/admin/agencies").text


def test_agency_form_errors_are_shown_beside_fields(client: TestClient, seeded: Session) -> None:
    _admin(client, seeded)
    form = client.get("/admin/agencies/new")
    response = client.post(
        "/admin/agencies/new",
        data={
            "csrf_token": csrf_from(form.text),
            "code": "bad code!",
            "name": "<b>x</b>",
            "kind": "department",
        },
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text


def test_api_key_is_shown_once_and_can_be_revoked(client: TestClient, seeded: Session) -> None:
    _admin(client, seeded)
    page = client.get("/admin/api-keys")
    created = client.post(
        "/admin/api-keys", data={"csrf_token": csrf_from(page.text), "name": "Tổng đài 1022"}
    )
    raw = re.search(r'id="new-key"><code>([^<]+)</code>', created.text)
    assert raw and raw.group(1).startswith("ioc_")
    token = seeded.scalars(select(auth.ApiToken)).one()
    assert auth.verify_api_token(seeded, raw.group(1)) is not None
    client.post(f"/admin/api-keys/{token.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    seeded.expire_all()
    assert auth.verify_api_token(seeded, raw.group(1)) is None


def test_swap_saturday_is_recorded(client: TestClient, seeded: Session) -> None:
    from ioc.kit.calendar_store import load_overrides

    _admin(client, seeded)
    page = client.get("/admin/calendar")
    response = client.post(
        "/admin/calendar",
        data={
            "csrf_token": csrf_from(page.text),
            "day": "2026-02-28",
            "is_working": "1",
            "note": "Làm bù",
        },
    )
    assert response.status_code == 303
    from datetime import date

    assert load_overrides(seeded) == {date(2026, 2, 28): True}
