"""Citizen accounts: sign-in by code creates the account once, profiles validate, deleting
erases the person and keeps their reports anonymised; notifications once per event, by
preference."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import ValidationFailed
from ioc.kit import auth, notify, permissions
from ioc.kit.auth import RoleAssignment, User, UserSession
from ioc.kit.events import Event, EventOut
from ioc.portal import accounts, notifications, otp, usage
from ioc.portal.models import CitizenProfile, Notification, PhoneCode, UsageDay
from ioc.reports import following
from ioc.reports import service as reports
from ioc.reports.models import Report, ReportFollower, ReportUpdate
from tests.reports.conftest import add_rule, communes, make_category, make_report, person

SECRET = "s" * 40
PHONE = "+84912345678"


@pytest.fixture(autouse=True)
def _no_denial_hooks() -> Iterator[None]:
    saved = list(permissions._denial_hooks)
    permissions._denial_hooks.clear()
    yield
    permissions._denial_hooks[:] = saved


def sign_in(session: Session, phone: str = PHONE, ip: str = "10.0.0.1") -> accounts.PhoneSignIn:
    message = accounts.send_code(session, phone=phone, ip=ip, secret=SECRET)
    return accounts.sign_in_with_code(
        session, phone=phone, code=code_in(message.body), secret=SECRET, ip=ip
    )


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def test_first_sign_in_creates_a_citizen_account_once(db_session: Session) -> None:
    first = sign_in(db_session)
    assert first.created
    user = first.user
    assert user.phone == PHONE
    roles = db_session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id))
    assert list(roles) == ["citizen"]
    profile = db_session.get(CitizenProfile, user.id)
    assert profile is not None and profile.last_active_on == usage.local_today()
    day = db_session.get(UsageDay, usage.local_today())
    assert day is not None and day.signups == 1 and day.active == 1

    # Signing in again later finds the same account; no second sign-up, no second "active".
    for row in db_session.scalars(select(PhoneCode)):
        row.created_at = utcnow() - timedelta(minutes=2)
    db_session.flush()
    again = sign_in(db_session)
    assert not again.created and again.user.id == user.id
    db_session.refresh(day)
    assert day.signups == 1 and day.active == 1


def test_the_code_sms_is_queued_and_hides_nothing_from_the_outbox(db_session: Session) -> None:
    message = accounts.send_code(db_session, phone=PHONE, ip="10.0.0.1", secret=SECRET)
    assert message.channel == "sms" and message.address == PHONE and message.status == "pending"
    row = db_session.scalar(select(PhoneCode).where(PhoneCode.phone == PHONE))
    assert row is not None
    code = code_in(message.body)
    assert code not in row.code_hash


def test_staff_cannot_sign_in_by_phone(db_session: Session) -> None:
    staff = auth.create_user(db_session, email="op@example.vn", phone=PHONE, full_name="Op")
    auth.grant_role(db_session, staff, "operator")
    with pytest.raises(ValidationFailed) as caught:
        sign_in(db_session)
    assert "Staff accounts" in caught.value.message


def test_profile_validates_every_field_and_saves_nothing_on_error(seeded: Session) -> None:
    user = sign_in(seeded).user
    commune = communes(seeded, 1)[0]
    with pytest.raises(ValidationFailed) as caught:
        accounts.update_profile(
            seeded,
            user,
            accounts.ProfileInput(
                full_name="",
                email="not-an-email",
                home_area_code="NOPE",
                notify_email=True,
                locale="fr",
            ),
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {"full_name", "email", "home_area_code", "locale"}
    assert user.full_name == ""
    accounts.update_profile(
        seeded,
        user,
        accounts.ProfileInput(
            full_name="  Nguyễn   Thị Lan ",
            email="Lan@Example.vn",
            home_area_code=commune.code,
            notify_sms=False,
            notify_email=True,
            locale="en",
        ),
    )
    profile = seeded.get(CitizenProfile, user.id)
    assert profile is not None
    assert (user.full_name, user.email, user.locale) == ("Nguyễn Thị Lan", "lan@example.vn", "en")
    assert (profile.home_area_code, profile.notify_sms, profile.notify_email) == (
        commune.code,
        False,
        True,
    )


def test_changing_the_phone_needs_the_code_sent_to_the_new_number(db_session: Session) -> None:
    user = sign_in(db_session).user
    new = accounts.check_new_phone(db_session, user, "0987 654 321")
    message = accounts.send_code(
        db_session, phone=new, ip="10.0.0.1", secret=SECRET, purpose="change_phone", user_id=user.id
    )
    code = code_in(message.body)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(otp.CodeRejected):
        accounts.change_phone(db_session, user, new_phone=new, code=wrong, secret=SECRET)
    assert user.phone == PHONE
    accounts.change_phone(db_session, user, new_phone=new, code=code, secret=SECRET)
    assert user.phone == "+84987654321"
    with pytest.raises(ValidationFailed):
        accounts.check_new_phone(db_session, user, "0987654321")  # already theirs


def _world(session: Session) -> tuple[object, object]:
    category = make_category(session)
    add_rule(session, category, "commune")
    area = communes(session, 1)[0]
    officer = person(session, "officer", f"UBND-{area.code}")
    return category, officer


def test_deleting_an_account_erases_the_person_and_keeps_reports_anonymised(
    seeded: Session,
) -> None:
    category, _officer = _world(seeded)
    result = sign_in(seeded)
    user = result.user
    user.full_name = "Nguyễn Văn An"
    user.email = "an@example.vn"
    citizen = auth.actor_for(seeded, user)
    report = make_report(seeded, category, actor=citizen, reporter_name="Nguyễn Văn An")
    # Filed earlier without signing in, with the same number: the same person.
    walkin = make_report(seeded, category, reporter_phone="0912 345 678", reporter_name="An")
    other = make_report(seeded, category, reporter_phone="0987000111")  # someone else's
    following.follow(seeded, citizen, other)
    auth.start_session(seeded, user, lifetime=timedelta(days=1))
    seeded.add(Notification(user_id=user.id, dedupe_key="x:1", kind="report.accepted", params={}))
    notify.queue(seeded, channel="sms", address=PHONE, user_id=user.id, body="hi")
    seeded.commit()
    user_id = user.id

    deletion = accounts.delete_account(seeded, user, ip="10.0.0.1")
    seeded.commit()
    assert deletion.reports_anonymised == 2

    assert seeded.get(User, user_id) is None
    assert seeded.scalar(select(User.id).where(User.phone == PHONE)) is None
    for model, column in (
        (UserSession, UserSession.user_id),
        (CitizenProfile, CitizenProfile.user_id),
        (Notification, Notification.user_id),
        (ReportFollower, ReportFollower.user_id),
        (RoleAssignment, RoleAssignment.user_id),
    ):
        assert seeded.scalar(select(func.count()).select_from(model).where(column == user_id)) == 0
    assert (
        seeded.scalar(select(func.count()).select_from(PhoneCode).where(PhoneCode.phone == PHONE))
        == 0
    )
    assert (
        seeded.scalar(
            select(func.count()).select_from(notify.Message).where(notify.Message.address == PHONE)
        )
        == 0
    )
    kept = seeded.get(Report, report.id)
    assert kept is not None
    assert (
        kept.reporter_user_id,
        kept.reporter_name,
        kept.reporter_phone,
        kept.reporter_email,
    ) == (
        None,
        "",
        "",
        "",
    )
    assert kept.anonymous and kept.description == "Ổ gà lớn giữa đường"
    assert (
        seeded.scalar(
            select(func.count()).select_from(ReportUpdate).where(ReportUpdate.actor_id == user_id)
        )
        == 0
    )
    assert (
        seeded.scalar(select(func.count()).select_from(Event).where(Event.actor_id == user_id)) == 0
    )
    again = seeded.get(Report, walkin.id)
    assert again is not None and (again.reporter_name, again.reporter_phone) == ("", "")
    untouched = seeded.get(Report, other.id)
    assert untouched is not None and untouched.reporter_phone == "0987000111"
    day = seeded.get(UsageDay, usage.local_today())
    assert day is not None and day.deletions == 1


def test_staff_cannot_change_their_sign_in_email_in_the_portal(db_session: Session) -> None:
    staff = auth.create_user(db_session, email="officer@example.vn", full_name="Cán bộ")
    auth.grant_role(db_session, staff, "officer", scope_ref="SXD")
    with pytest.raises(ValidationFailed) as caught:
        accounts.update_profile(
            db_session, staff, accounts.ProfileInput(full_name="Cán bộ", email="")
        )
    assert [e.field for e in caught.value.errors] == ["email"]
    assert staff.email == "officer@example.vn"
    accounts.update_profile(
        db_session, staff, accounts.ProfileInput(full_name="Cán bộ A", email="officer@example.vn")
    )
    assert staff.full_name == "Cán bộ A"


def test_staff_accounts_are_not_deleted_from_the_portal(db_session: Session) -> None:
    staff = auth.create_user(db_session, email="lead@example.vn", full_name="Lead")
    auth.grant_role(db_session, staff, "leader")
    with pytest.raises(ValidationFailed):
        accounts.delete_account(db_session, staff)
    assert db_session.get(User, staff.id) is not None


# --- notifications ---------------------------------------------------------------------------


def test_each_change_notifies_reporter_and_followers_once_by_preference(seeded: Session) -> None:
    category, officer = _world(seeded)
    reporter = sign_in(seeded).user
    follower = sign_in(seeded, "+84987654321", ip="10.0.0.2").user
    follower.email = "fan@example.vn"
    follower_profile = seeded.get(CitizenProfile, follower.id)
    assert follower_profile is not None
    follower_profile.notify_sms = False
    follower_profile.notify_email = True
    seeded.commit()
    report = make_report(seeded, category, actor=auth.actor_for(seeded, reporter))
    following.follow(seeded, auth.actor_for(seeded, follower), report)
    seeded.commit()

    reports.accept(seeded, officer, report)  # type: ignore[arg-type]
    seeded.commit()  # the handler runs after the commit

    notes = seeded.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert sorted(n.user_id for n in notes) == sorted([reporter.id, follower.id])
    assert {n.kind for n in notes} == {"report.accepted"}
    sms = seeded.scalars(
        select(notify.Message).where(
            notify.Message.channel == "sms", notify.Message.dedupe_key.like("event:%")
        )
    ).all()
    emails = seeded.scalars(select(notify.Message).where(notify.Message.channel == "email")).all()
    assert [m.address for m in sms] == [reporter.phone]  # the follower said no to SMS
    assert [m.address for m in emails] == ["fan@example.vn"]
    assert report.code in sms[0].body and "C-ThaiNguyen" in sms[0].body

    # The same event handled again (redelivery) notifies nobody twice.
    event = seeded.scalar(select(Event).where(Event.type == "report.accepted"))
    assert event is not None
    notifications.on_report_event(seeded, EventOut.of(event))
    seeded.flush()
    assert seeded.scalar(select(func.count(Notification.id))) == 2
    assert (
        seeded.scalar(
            select(func.count(notify.Message.id)).where(notify.Message.dedupe_key.like("event:%"))
        )
        == 2
    )

    assert notifications.unread_count(seeded, reporter.id) == 1
    assert notifications.mark_read(seeded, reporter.id) == 1
    assert notifications.unread_count(seeded, reporter.id) == 0
    assert notifications.unread_count(seeded, follower.id) == 1


def test_the_person_who_made_the_change_is_not_notified(seeded: Session) -> None:
    category, officer = _world(seeded)
    reporter = sign_in(seeded).user
    # The officer follows the report too, and is the one who accepts it.
    report = make_report(seeded, category, actor=auth.actor_for(seeded, reporter))
    following.follow(seeded, officer, report)  # type: ignore[arg-type]
    seeded.commit()
    reports.accept(seeded, officer, report)  # type: ignore[arg-type]
    seeded.commit()
    assert [n.user_id for n in seeded.scalars(select(Notification))] == [reporter.id]


def test_notification_text_in_each_language(seeded: Session) -> None:
    params = {"code": "PA-2026-000001"}
    vi = notifications.text_for("report.resolved", params, "vi")
    en = notifications.text_for("report.resolved", params, "en")
    assert "PA-2026-000001" in vi and "PA-2026-000001" in en
    assert vi != en and "giải quyết" in vi
