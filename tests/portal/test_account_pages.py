"""The citizen account pages over real HTTP: sign-in by code, profile, deletion, the bell,
notifications, the console's usage page; the code's SMS through a local gateway."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.config import Settings
from ioc.kit import notify
from ioc.kit.audit import AuditEntry
from ioc.kit.auth import User
from ioc.portal.models import CitizenProfile, Notification, PhoneCode
from tests.conftest import BoundDatabase, csrf_from, make_user, sign_in
from tests.kit.test_notify import FakeGateway, no_proxy  # noqa: F401 (fixture)

PHONE = "+84912345678"


def last_code(session: Session, phone: str = PHONE) -> str:
    message = session.scalar(
        select(notify.Message)
        .where(notify.Message.address == phone, notify.Message.dedupe_key.like("otp:%"))
        .order_by(notify.Message.id.desc())
    )
    assert message is not None
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match
    return match.group(1)


def ask_code(client: TestClient, phone: str = "0912 345 678") -> object:
    page = client.get("/signin/phone")
    return client.post(
        "/signin/phone", data={"phone": phone, "csrf_token": csrf_from(page.text), "next": ""}
    )


def phone_sign_in(client: TestClient, session: Session, phone: str = "0912 345 678") -> None:
    response = ask_code(client, phone)
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/signin/phone/code")
    normalised = "+84" + re.sub(r"\D", "", phone)[-9:]
    response = client.post(
        "/signin/phone/code",
        data={"code": last_code(session, normalised), "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303  # type: ignore[attr-defined]


def test_signin_page_leads_citizens_to_the_phone(client: TestClient) -> None:
    page = client.get("/signin")
    assert 'action="/signin/phone"' in page.text and 'action="/signin"' in page.text
    staff = client.get("/signin?next=/console")
    assert 'action="/signin/phone"' not in staff.text and 'href="/signin/phone' in staff.text


def test_a_bad_number_gets_a_clear_error_in_vietnamese(client: TestClient, seeded: Session) -> None:
    response = ask_code(client, "12345")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Nhập số di động Việt Nam" in response.text  # type: ignore[attr-defined]
    assert seeded.scalar(select(func.count(PhoneCode.id))) == 0


def test_sign_in_by_code_then_profile_then_delete(client: TestClient, seeded: Session) -> None:
    response = ask_code(client)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/signin/phone/code"  # type: ignore[attr-defined]
    # The demo has no gateway: the SMS is marked sent by the outbox-only channel at once.
    message = seeded.scalar(select(notify.Message).where(notify.Message.address == PHONE))
    assert message is not None and message.status == "sent"

    page = client.get("/signin/phone/code")
    assert "0912 345 678" in page.text
    code = last_code(seeded)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(
        "/signin/phone/code", data={"code": wrong, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 422
    assert "Bạn còn 4 lần thử" in response.text
    # The wrong try was kept although the answer was an error.
    row = seeded.scalar(select(PhoneCode).where(PhoneCode.phone == PHONE))
    assert row is not None
    seeded.refresh(row)
    assert row.attempts == 1
    assert (
        seeded.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "auth.signin_failed")
        )
        == 1
    )

    response = client.post(
        "/signin/phone/code", data={"code": code, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/me?welcome=1"
    user = seeded.scalar(select(User).where(User.phone == PHONE))
    assert user is not None

    profile_page = client.get("/me?welcome=1")
    assert profile_page.status_code == 200 and "Chào mừng bạn" in profile_page.text
    assert 'href="/notifications"' in profile_page.text  # the bell
    commune = seeded.scalar(select(CitizenProfile).where(CitizenProfile.user_id == user.id))
    assert commune is not None
    from ioc.areas.models import Area

    area = seeded.scalar(select(Area).where(Area.kind != "province").limit(1))
    assert area is not None
    bad = client.post(
        "/me",
        data={
            "full_name": "",
            "email": "x",
            "home_area_code": area.code,
            "locale": "vi",
            "csrf_token": csrf_from(profile_page.text),
        },
    )
    assert bad.status_code == 422 and "field-full_name-error" in bad.text
    seeded.refresh(user)
    assert user.email is None
    saved = client.post(
        "/me",
        data={
            "full_name": "Lò Thị Ánh",
            "email": "anh@example.vn",
            "home_area_code": area.code,
            "notify_sms": "1",
            "locale": "vi",
            "csrf_token": csrf_from(profile_page.text),
        },
    )
    assert saved.status_code == 303
    assert saved.cookies.get("ioc_commune") == area.code
    seeded.refresh(user)
    assert (user.full_name, user.email) == ("Lò Thị Ánh", "anh@example.vn")

    # The bell counts unread notifications.
    seeded.add(
        Notification(
            user_id=user.id,
            dedupe_key="t:1",
            kind="report.closed",
            params={"code": "PA-2026-000009"},
            url="/reports/PA-2026-000009",
        )
    )
    seeded.commit()
    home = client.get("/")
    assert "Thông báo của tôi: 1 chưa đọc" in home.text
    listing = client.get("/notifications")
    assert "Phản ánh PA-2026-000009 đã được đóng." in listing.text
    note_id = seeded.scalar(select(Notification.id).where(Notification.user_id == user.id))
    opened = client.get(f"/notifications/{note_id}")
    assert opened.status_code == 303 and opened.headers["location"] == "/reports/PA-2026-000009"
    assert "chưa đọc" not in client.get("/").text

    confirm = client.get("/me/delete")
    refused = client.post("/me/delete", data={"csrf_token": csrf_from(confirm.text)})
    assert refused.status_code == 422
    deleted = client.post(
        "/me/delete", data={"confirm": "1", "csrf_token": csrf_from(confirm.text)}
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/"
    assert seeded.scalar(select(User.id).where(User.phone == PHONE)) is None
    assert client.get("/me").status_code == 303  # signed out: sent to sign in


def test_code_pages_need_a_pending_code(client: TestClient) -> None:
    assert client.get("/signin/phone/code").headers["location"] == "/signin/phone"


def test_resend_waits_for_the_countdown(client: TestClient, seeded: Session) -> None:
    ask_code(client)
    page = client.get("/signin/phone/code")
    assert 'x-data="{ left: ' in page.text and "disabled" in page.text
    response = client.post("/signin/phone/resend", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert seeded.scalar(select(func.count(PhoneCode.id))) == 1  # refused: too soon
    assert (
        seeded.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "portal.code_refused")
        )
        == 1
    )


def test_usage_page_is_for_operators_and_leaders(client: TestClient, seeded: Session) -> None:
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    assert client.get("/console/usage").status_code == 403
    client.cookies.clear()
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    page = client.get("/console/usage")
    assert page.status_code == 200
    assert "Sử dụng ứng dụng công dân" in page.text and "data-option" in page.text


def test_phone_change_by_code(client: TestClient, seeded: Session) -> None:
    phone_sign_in(client, seeded)
    page = client.get("/me/phone")
    response = client.post(
        "/me/phone", data={"phone": "0987654321", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303 and response.headers["location"] == "/me/phone/code"
    page = client.get("/me/phone/code")
    response = client.post(
        "/me/phone/code",
        data={"code": last_code(seeded, "+84987654321"), "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    assert seeded.scalar(select(User.id).where(User.phone == "+84987654321")) is not None


@pytest.fixture()
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway([200]) as fake:
        yield fake


def test_the_code_goes_through_the_sms_gateway(
    gateway: FakeGateway, settings: Settings, bound_db: BoundDatabase, seeded: Session
) -> None:
    from ioc.app import create_app

    app = create_app(
        settings.model_copy(update={"sms_gateway_url": gateway.url}), database=bound_db
    )
    with TestClient(app, follow_redirects=False) as client:
        assert ask_code(client).status_code == 303  # type: ignore[attr-defined]
    assert len(gateway.requests) == 1
    sent = gateway.requests[0]["json"]
    assert sent["phone"] == PHONE
    assert re.search(r"\b\d{6}\b", sent["text"]) and "C-ThaiNguyen" in sent["text"]
    message = seeded.scalar(select(notify.Message).where(notify.Message.address == PHONE))
    assert message is not None and message.status == "sent"


def test_a_failing_gateway_leaves_the_code_sms_for_the_outbox_job(
    settings: Settings, bound_db: BoundDatabase, seeded: Session
) -> None:
    from ioc.app import create_app

    with FakeGateway([503]) as gateway:
        app = create_app(
            settings.model_copy(update={"sms_gateway_url": gateway.url}), database=bound_db
        )
        with TestClient(app, follow_redirects=False) as client:
            assert ask_code(client).status_code == 303  # type: ignore[attr-defined]
    message = seeded.scalar(select(notify.Message).where(notify.Message.address == PHONE))
    assert message is not None
    assert message.status == "pending" and message.attempts == 1
    assert message.last_error and "503" in message.last_error


def test_a_new_account_fills_its_profile_then_goes_where_it_was_going(
    client: TestClient, seeded: Session
) -> None:
    page = client.get("/signin/phone?next=/reports/new")
    assert 'name="next" value="/reports/new"' in page.text
    client.post(
        "/signin/phone",
        data={"phone": "0912345678", "next": "/reports/new", "csrf_token": csrf_from(page.text)},
    )
    page = client.get("/signin/phone/code")
    response = client.post(
        "/signin/phone/code", data={"code": last_code(seeded), "csrf_token": csrf_from(page.text)}
    )
    assert response.headers["location"] == "/me?welcome=1&next=/reports/new"
    profile = client.get(response.headers["location"])
    assert 'name="next" value="/reports/new"' in profile.text
    saved = client.post(
        "/me",
        data={
            "full_name": "Hà Văn Tú",
            "locale": "vi",
            "next": "/reports/new",
            "csrf_token": csrf_from(profile.text),
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/reports/new"
    # A foreign address is not followed.
    again = client.post(
        "/me",
        data={
            "full_name": "Hà Văn Tú",
            "locale": "vi",
            "next": "//evil.example/",
            "csrf_token": csrf_from(profile.text),
        },
    )
    assert again.headers["location"] == "/me"


def test_the_phone_pages_switch_to_english(client: TestClient) -> None:
    client.get("/lang/en?next=/signin/phone")
    page = client.get("/signin/phone")
    assert "Sign in with your phone" in page.text and "Get a code by SMS" in page.text
    response = client.post(
        "/signin/phone", data={"phone": "123", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 422
    assert "Enter a Vietnamese mobile number" in response.text
