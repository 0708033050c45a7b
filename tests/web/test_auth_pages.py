"""Sign-in, sessions, CSRF and the sign-in rate limit, through real HTTP requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.kit import auth
from ioc.kit.audit import AuditEntry
from tests.conftest import csrf_from, make_user, sign_in


@pytest.mark.parametrize(
    ("role", "agency", "landing"),
    [
        ("citizen", None, "/"),
        ("officer", "SXD", "/console"),
        ("agency_head", "SXD", "/console"),
        ("operator", None, "/console"),
        ("leader", None, "/console"),
        ("administrator", None, "/admin"),
    ],
)
def test_each_role_lands_in_its_place(
    client: TestClient, seeded: Session, role: str, agency: str | None, landing: str
) -> None:
    user = make_user(seeded, role, agency=agency)
    response = sign_in(client, user.email)  # type: ignore[attr-defined]
    assert response.status_code == 303
    assert response.headers["location"] == landing
    assert client.get(landing).status_code == 200


def test_wrong_password_is_refused_in_vietnamese(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, "operator")
    response = sign_in(client, user.email, "wrong-password")  # type: ignore[attr-defined]
    assert response.status_code == 400
    assert "mật khẩu không đúng" in response.text
    assert auth.SESSION_TOUCH_INTERVAL  # the module is the one under test
    assert "ioc_session" not in response.cookies


def test_session_id_is_renewed_on_sign_in(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, "operator")
    # A session cookie planted before sign-in (fixation) must not survive it.
    first = sign_in(client, user.email)  # type: ignore[attr-defined]
    old_token = first.cookies["ioc_session"]
    # Signing in again from this browser (the form posted with this session's token) replaces
    # the session id instead of reusing it.
    token = csrf_from(client.get("/console").text)
    second = client.post(
        "/signin",
        data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token},
    )
    new_token = second.cookies.get("ioc_session")
    assert new_token and new_token != old_token
    assert db_session.get(auth.UserSession, auth._digest(old_token)) is None
    client.cookies.set("ioc_session", old_token)
    assert client.get("/console").status_code == 303  # the old id no longer signs anyone in


def test_form_without_csrf_token_is_rejected(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, "operator")
    client.get("/signin")
    response = client.post(
        "/signin",
        data={
            "email": user.email,  # type: ignore[attr-defined]
            "password": "correct-horse-battery",
        },
    )
    assert response.status_code == 403
    assert "ioc_session" not in response.cookies


def test_csrf_token_of_another_browser_is_rejected(app, db_session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db_session, "operator")
    with TestClient(app) as other:
        token = csrf_from(other.get("/signin").text)
    with TestClient(app, follow_redirects=False) as client:
        client.get("/signin")
        response = client.post(
            "/signin",
            data={
                "email": user.email,  # type: ignore[attr-defined]
                "password": "correct-horse-battery",
                "csrf_token": token,
            },
        )
    assert response.status_code == 403


def test_sign_out_needs_csrf_and_ends_the_session(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, "operator")
    sign_in(client, user.email)  # type: ignore[attr-defined]
    assert client.post("/signout").status_code == 403
    page = client.get("/console")
    response = client.post("/signout", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert client.get("/console").status_code == 303


def test_sign_in_is_rate_limited_per_account(
    client: TestClient, db_session: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db_session, "operator")
    for _ in range(settings.signin_max_failures):
        assert sign_in(client, user.email, "nope-nope-nope").status_code == 400  # type: ignore[attr-defined]
    # Locked for the window: even the right password is refused, with Retry-After.
    locked = sign_in(client, user.email)  # type: ignore[attr-defined]
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "Đăng nhập sai quá nhiều lần" in locked.text
    failures = db_session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "auth.signin_failed")
    )
    assert failures == settings.signin_max_failures + 1


def test_sign_in_is_rate_limited_per_address(
    client: TestClient, db_session: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    for i in range(settings.signin_max_failures_per_ip):
        sign_in(client, f"nobody{i}@example.vn", "nope-nope-nope")
    user = make_user(db_session, "operator")
    assert sign_in(client, user.email).status_code == 429  # type: ignore[attr-defined]


def test_next_parameter_cannot_leave_the_site(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, "operator")
    page = client.get("/signin?next=//evil.example/x")
    response = client.post(
        "/signin",
        data={
            "email": user.email,
            "password": "correct-horse-battery",  # type: ignore[attr-defined]
            "csrf_token": csrf_from(page.text),
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/console"


def test_anonymous_console_visit_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/console")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=/console")


def test_language_switch_turns_the_page_to_english(client: TestClient) -> None:
    assert "Đăng nhập" in client.get("/signin").text
    client.get("/lang/en?next=/signin")
    assert "Sign in" in client.get("/signin").text
