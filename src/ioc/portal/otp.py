"""One-time sign-in codes sent by SMS.

A code is 6 digits, stored as a keyed hash (HMAC with the site's secret, so a copy of the
table does not give the codes away by trying the million of them), valid 5 minutes, dead after
5 wrong tries, and spent once used. Codes are limited per phone (3 per 15 minutes, one a
minute) and per client address (10 per 15 minutes), so the gateway cannot be used to flood a
number and nobody can try codes for long."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import RateLimited, ValidationFailed
from ioc.portal.models import CODE_PURPOSES, PhoneCode

CODE_LENGTH = 6
# Vietnamese mobile numbers: 0 or +84, then 3/5/7/8/9 and eight more digits.
_MOBILE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")


@dataclass(frozen=True)
class CodeLimits:
    lifetime: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    per_phone: int = 3
    per_ip: int = 10
    window: timedelta = timedelta(minutes=15)
    resend_after: timedelta = timedelta(seconds=60)


DEFAULT_LIMITS = CodeLimits()


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """``0912 345 678``, ``+84 912.345.678`` or ``84912345678`` → ``+84912345678``."""
    cleaned = re.sub(r"[\s.\-()]", "", raw or "")
    if not cleaned:
        raise ValidationFailed("Enter your mobile phone number.", field=field)
    match = _MOBILE.match(cleaned)
    if match is None:
        raise ValidationFailed(
            "Enter a Vietnamese mobile number, like 0912 345 678 or +84 912 345 678.",
            field=field,
        )
    return "+84" + match.group(1)


def display_phone(phone: str) -> str:
    """``+84912345678`` → ``0912 345 678``."""
    if phone.startswith("+84") and len(phone) == 12:
        local = "0" + phone[3:]
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    return phone


def mask_phone(phone: str) -> str:
    """For logs and audit entries: ``0912 *** 678``."""
    shown = display_phone(phone)
    if len(shown) == 12:
        return f"{shown[:4]} *** {shown[-3:]}"
    return "***"


def _hash(secret: str, code_id_salt: str, phone: str, code: str) -> str:
    message = f"otp:{code_id_salt}:{phone}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    row: PhoneCode
    code: str  # the plain code, to be sent; never stored


def _count(session: Session, *conditions: object) -> int:
    return session.scalar(select(func.count(PhoneCode.id)).where(*conditions)) or 0  # type: ignore[arg-type]


def issue_code(
    session: Session,
    *,
    phone: str,
    ip: str,
    secret: str,
    purpose: str = "signin",
    user_id: int | None = None,
    limits: CodeLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> IssuedCode:
    """A new code for ``phone`` (already normalised). Earlier unused codes for the same phone
    and purpose stop working: only the latest one counts."""
    if purpose not in CODE_PURPOSES:
        raise ValueError(f"purpose must be one of {CODE_PURPOSES}")
    now = now or utcnow()
    since = now - limits.window
    minutes = int(limits.window.total_seconds() // 60)
    if _count(session, PhoneCode.phone == phone, PhoneCode.created_at >= since) >= limits.per_phone:
        raise RateLimited(
            "Too many codes were sent to this number. Try again in {minutes} minutes.",
            retry_after=int(limits.window.total_seconds()),
            minutes=minutes,
        )
    if _count(session, PhoneCode.ip == ip[:64], PhoneCode.created_at >= since) >= limits.per_ip:
        raise RateLimited(
            "Too many codes were asked for from this connection. Try again in {minutes} minutes.",
            retry_after=int(limits.window.total_seconds()),
            minutes=minutes,
        )
    last = latest_sent_at(session, phone)
    if last is not None and now - last < limits.resend_after:
        wait = int((limits.resend_after - (now - last)).total_seconds()) + 1
        raise RateLimited(
            "Please wait {seconds} seconds before asking for a new code.",
            retry_after=wait,
            seconds=wait,
        )
    # Earlier codes end now: a leaked older SMS is worthless once a new one was asked for.
    for old in session.scalars(
        select(PhoneCode).where(
            PhoneCode.phone == phone,
            PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None),
            PhoneCode.expires_at > now,
        )
    ):
        old.expires_at = now
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    salt = secrets.token_hex(8)
    row = PhoneCode(
        phone=phone,
        purpose=purpose,
        user_id=user_id,
        code_hash=f"{salt}${_hash(secret, salt, phone, code)}",
        ip=ip[:64],
        created_at=now,
        expires_at=now + limits.lifetime,
        attempts=0,
    )
    session.add(row)
    session.flush()
    return IssuedCode(row, code)


def latest_sent_at(session: Session, phone: str) -> datetime | None:
    return session.scalar(select(func.max(PhoneCode.created_at)).where(PhoneCode.phone == phone))


def resend_wait_seconds(
    session: Session,
    phone: str,
    *,
    limits: CodeLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> int:
    """Seconds before the resend button may be used (0: now)."""
    last = latest_sent_at(session, phone)
    if last is None:
        return 0
    left = limits.resend_after - ((now or utcnow()) - last)
    return max(0, int(left.total_seconds()) + (1 if left.total_seconds() % 1 else 0))


class CodeRejected(ValidationFailed):
    """A wrong, expired or used-up code. The caller commits the attempt count even though
    this is raised, so that the limit holds."""


def check_code(
    session: Session,
    *,
    phone: str,
    code: str,
    secret: str,
    purpose: str = "signin",
    user_id: int | None = None,
    limits: CodeLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> PhoneCode:
    """Spend the latest code for ``phone`` if ``code`` is it; raise :class:`CodeRejected`."""
    now = now or utcnow()
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        raise CodeRejected("Enter the 6-digit code from the SMS.", field="code")
    conditions = [PhoneCode.phone == phone, PhoneCode.purpose == purpose]
    if user_id is not None:
        conditions.append(PhoneCode.user_id == user_id)
    row = session.scalar(
        select(PhoneCode).where(*conditions).order_by(PhoneCode.id.desc()).limit(1)
    )
    if row is None or row.used_at is not None:
        raise CodeRejected("This code is not valid. Ask for a new code.", field="code")
    if row.expires_at <= now:
        raise CodeRejected("This code has expired. Ask for a new code.", field="code")
    if row.attempts >= limits.max_attempts:
        raise CodeRejected("Too many wrong codes. Ask for a new code.", field="code")
    salt, _, digest = row.code_hash.partition("$")
    expected = _hash(secret, salt, phone, code)
    if not hmac.compare_digest(expected, digest):
        row.attempts += 1
        left = limits.max_attempts - row.attempts
        if left <= 0:
            raise CodeRejected("Too many wrong codes. Ask for a new code.", field="code")
        raise CodeRejected("The code is not right. {left} tries left.", field="code", left=left)
    row.used_at = now
    return row


def purge_codes(session: Session, *, now: datetime | None = None) -> int:
    """Codes older than a day are of no use and hold phone numbers: removed."""
    now = now or utcnow()
    result = session.execute(
        delete(PhoneCode).where(PhoneCode.created_at < now - timedelta(days=1))
    )
    return int(getattr(result, "rowcount", 0) or 0)
