"""One-time codes: phone numbers, expiry, attempts, rate limits per phone and per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import RateLimited, ValidationFailed
from ioc.portal import otp
from ioc.portal.models import PhoneCode

SECRET = "s" * 40
PHONE = "+84912345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("+84 912.345.678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("(+84) 387-654-321", "+84387654321"),
        ("0567123456", "+84567123456"),
        ("0701234567", "+84701234567"),
        ("0812345678", "+84812345678"),
    ],
)
def test_vietnamese_mobile_numbers_are_normalised(raw: str, expected: str) -> None:
    assert otp.normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "091234567",
        "09123456789",
        "0212345678",
        "+8491234567",
        "+1 202 555 0100",
        "0912abc678",
        "+840912345678",
        "02083851234",
    ],
)
def test_invalid_numbers_are_refused_with_the_field_named(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        otp.normalise_phone(raw)
    assert caught.value.errors[0].field == "phone"


def test_display_and_mask() -> None:
    assert otp.display_phone(PHONE) == "0912 345 678"
    assert otp.mask_phone(PHONE) == "0912 *** 678"


def issue(session: Session, **kwargs: object) -> otp.IssuedCode:
    params: dict[str, object] = {"phone": PHONE, "ip": "10.0.0.1", "secret": SECRET}
    params.update(kwargs)
    return otp.issue_code(session, **params)  # type: ignore[arg-type]


def test_a_code_has_six_digits_and_is_stored_only_hashed(db_session: Session) -> None:
    issued = issue(db_session)
    assert len(issued.code) == 6 and issued.code.isdigit()
    row = db_session.get(PhoneCode, issued.row.id)
    assert row is not None
    assert issued.code not in row.code_hash
    assert row.expires_at - row.created_at == timedelta(minutes=5)


def test_the_right_code_signs_in_once(db_session: Session) -> None:
    issued = issue(db_session)
    otp.check_code(db_session, phone=PHONE, code=issued.code, secret=SECRET)
    with pytest.raises(otp.CodeRejected):
        otp.check_code(db_session, phone=PHONE, code=issued.code, secret=SECRET)


def test_a_code_expires_after_five_minutes(db_session: Session) -> None:
    start = utcnow()
    issued = issue(db_session, now=start)
    with pytest.raises(otp.CodeRejected) as caught:
        otp.check_code(
            db_session,
            phone=PHONE,
            code=issued.code,
            secret=SECRET,
            now=start + timedelta(minutes=5, seconds=1),
        )
    assert "expired" in caught.value.message
    # Just before the end it still works.
    issued2 = issue(db_session, now=start + timedelta(minutes=2), ip="10.0.0.2")
    otp.check_code(
        db_session,
        phone=PHONE,
        code=issued2.code,
        secret=SECRET,
        now=start + timedelta(minutes=6, seconds=59),
    )


def test_a_code_dies_after_five_wrong_tries(db_session: Session) -> None:
    issued = issue(db_session)
    wrong = "000000" if issued.code != "000000" else "111111"
    messages = []
    for _ in range(5):
        with pytest.raises(otp.CodeRejected) as caught:
            otp.check_code(db_session, phone=PHONE, code=wrong, secret=SECRET)
        messages.append(caught.value.message)
    assert messages[0] == "The code is not right. {left} tries left."
    assert messages[-1] == "Too many wrong codes. Ask for a new code."
    # Even the right code is refused now.
    with pytest.raises(otp.CodeRejected) as caught:
        otp.check_code(db_session, phone=PHONE, code=issued.code, secret=SECRET)
    assert caught.value.message == "Too many wrong codes. Ask for a new code."
    assert issued.row.attempts == 5


def test_a_malformed_code_is_refused_without_counting(db_session: Session) -> None:
    issued = issue(db_session)
    with pytest.raises(otp.CodeRejected):
        otp.check_code(db_session, phone=PHONE, code="12ab", secret=SECRET)
    assert issued.row.attempts == 0


def test_a_new_code_ends_the_previous_one(db_session: Session) -> None:
    start = utcnow()
    first = issue(db_session, now=start)
    second = issue(db_session, now=start + timedelta(seconds=61))
    assert first.row.expires_at == start + timedelta(seconds=61)
    if first.code != second.code:
        with pytest.raises(otp.CodeRejected):
            otp.check_code(
                db_session,
                phone=PHONE,
                code=first.code,
                secret=SECRET,
                now=start + timedelta(seconds=62),
            )
    otp.check_code(
        db_session, phone=PHONE, code=second.code, secret=SECRET, now=start + timedelta(seconds=62)
    )


def test_a_code_for_another_phone_does_not_work(db_session: Session) -> None:
    issued = issue(db_session)
    issue(db_session, phone="+84987654321")
    with pytest.raises(otp.CodeRejected):
        otp.check_code(db_session, phone="+84987654321", code=issued.code, secret=SECRET)


def test_a_new_code_must_wait_a_minute(db_session: Session) -> None:
    start = utcnow()
    issue(db_session, now=start)
    with pytest.raises(RateLimited) as caught:
        issue(db_session, now=start + timedelta(seconds=20))
    assert caught.value.params["seconds"] == 41
    assert otp.resend_wait_seconds(db_session, PHONE, now=start + timedelta(seconds=20)) == 40
    assert otp.resend_wait_seconds(db_session, PHONE, now=start + timedelta(seconds=60)) == 0


def test_at_most_three_codes_per_phone_in_fifteen_minutes(db_session: Session) -> None:
    start = utcnow()
    for i in range(3):
        issue(db_session, now=start + timedelta(minutes=2 * i), ip=f"10.0.0.{i}")
    with pytest.raises(RateLimited) as caught:
        issue(db_session, now=start + timedelta(minutes=7), ip="10.0.0.9")
    assert "this number" in caught.value.message
    # The window slides: 15 minutes after the first code, one more is allowed.
    issue(db_session, now=start + timedelta(minutes=15, seconds=1), ip="10.0.0.9")


def test_at_most_ten_codes_per_address_in_fifteen_minutes(db_session: Session) -> None:
    start = utcnow()
    for i in range(10):
        issue(db_session, phone=f"+8491200{i:04d}", now=start + timedelta(seconds=i))
    with pytest.raises(RateLimited) as caught:
        issue(db_session, phone="+84912009999", now=start + timedelta(seconds=30))
    assert "connection" in caught.value.message
    # Another address is not affected.
    issue(db_session, phone="+84912009999", ip="10.9.9.9", now=start + timedelta(seconds=31))


def test_old_codes_are_purged(db_session: Session) -> None:
    issue(db_session, now=utcnow() - timedelta(days=2))
    recent = issue(db_session, phone="+84987654321")
    assert otp.purge_codes(db_session) == 1
    left = db_session.scalars(select(PhoneCode.id)).all()
    assert left == [recent.row.id]
