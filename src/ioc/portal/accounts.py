"""Citizen accounts: sign-in by phone and code, the profile, changing the phone number, and
deleting the account (personal data erased, reports kept anonymised)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import FieldError, ValidationFailed
from ioc.kit import audit, auth, notify
from ioc.kit.auth import RoleAssignment, User, UserSession
from ioc.kit.i18n import LOCALES, translate
from ioc.kit.text import clean_text
from ioc.portal import otp, usage
from ioc.portal.models import CitizenProfile, Notification, PhoneCode

log = logging.getLogger(__name__)
STAFF_ROLES = frozenset({"officer", "agency_head", "operator", "leader", "administrator"})


# --- sending codes ---------------------------------------------------------------------------


def send_code(
    session: Session,
    *,
    phone: str,
    ip: str,
    secret: str,
    purpose: str = "signin",
    user_id: int | None = None,
    locale: str = "vi",
    log_code: bool = False,
    limits: otp.CodeLimits = otp.DEFAULT_LIMITS,
    now: datetime | None = None,
) -> notify.Message:
    """Issue a code and queue its SMS in the same transaction (so a code exists only if its
    message does). ``log_code`` (demo, no gateway configured) also writes it to the log."""
    issued = otp.issue_code(
        session,
        phone=phone,
        ip=ip,
        secret=secret,
        purpose=purpose,
        user_id=user_id,
        limits=limits,
        now=now,
    )
    minutes = int(limits.lifetime.total_seconds() // 60)
    body = translate(
        locale,
        "C-ThaiNguyen: your code is {code}. It is valid for {minutes} minutes."
        " Do not give it to anyone.",
        code=issued.code,
        minutes=minutes,
    )
    message = notify.queue(
        session,
        channel="sms",
        user_id=user_id,
        address=phone,
        body=body,
        dedupe_key=f"otp:{issued.row.id}",
    )
    session.flush()
    audit.log(
        session,
        "portal.code_sent",
        actor_id=user_id,
        actor_label=otp.mask_phone(phone),
        subject_type="phone_code",
        subject_id=issued.row.id,
        ip=ip,
        detail={"purpose": purpose},
    )
    if log_code:
        log.warning("demo: sign-in code for %s is %s", otp.mask_phone(phone), issued.code)
    return message


# --- signing in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneSignIn:
    user: User
    created: bool


def sign_in_with_code(
    session: Session,
    *,
    phone: str,
    code: str,
    secret: str,
    ip: str,
    locale: str = "vi",
    limits: otp.CodeLimits = otp.DEFAULT_LIMITS,
    now: datetime | None = None,
) -> PhoneSignIn:
    """Check the code and find or create the account for ``phone``. A wrong code raises
    otp.CodeRejected after counting the attempt (the caller commits it)."""
    now = now or utcnow()
    otp.check_code(session, phone=phone, code=code, secret=secret, limits=limits, now=now)
    user = session.scalar(select(User).where(User.phone == phone))
    created = False
    if user is not None:
        if not user.is_active:
            raise ValidationFailed("This account is disabled.", field="phone")
        roles = set(
            session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id))
        )
        if roles & STAFF_ROLES:
            # Staff accounts reach internal data: they keep their password sign-in.
            raise ValidationFailed(
                "Staff accounts sign in with their e-mail and password.", field="phone"
            )
    else:
        user = auth.create_user(session, phone=phone)
        user.locale = locale if locale in LOCALES else "vi"
        auth.grant_role(session, user, "citizen")
        created = True
    if session.get(CitizenProfile, user.id) is None:
        session.add(CitizenProfile(user_id=user.id, created_at=now))
        session.flush()
        if created:
            usage.count_signup(session, now=now)
    user.last_signin_at = now
    usage.mark_active(session, user.id, now=now)
    return PhoneSignIn(user, created)


# --- profile ---------------------------------------------------------------------------------


@dataclass
class ProfileInput:
    full_name: str = ""
    email: str = ""
    home_area_code: str = ""
    notify_sms: bool = False
    notify_email: bool = False
    locale: str = "vi"


def profile_of(session: Session, user: User) -> CitizenProfile:
    profile = session.get(CitizenProfile, user.id)
    if profile is None:
        profile = CitizenProfile(user_id=user.id, created_at=utcnow())
        session.add(profile)
        session.flush()
    return profile


def update_profile(session: Session, user: User, data: ProfileInput) -> CitizenProfile:
    """Validate every field first (all errors at once), then save: nothing half-saved."""
    from ioc.areas.models import Area

    errors: list[FieldError] = []
    name = email = ""
    try:
        name = clean_text(data.full_name, field="full_name", max_length=200, allow_newlines=False)
    except ValidationFailed as error:
        errors.extend(error.errors)
    if data.email.strip():
        try:
            email = auth.normalise_email(data.email)
        except ValidationFailed as error:
            errors.extend(error.errors)
        else:
            other = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
            if other is not None:
                errors.append(
                    FieldError("email", "Another account already uses this e-mail address.")
                )
    if email != (user.email or "") and _is_staff(session, user):
        # A member of staff signs in with this address: only an administrator changes it.
        errors.append(
            FieldError("email", "Staff accounts change their e-mail with an administrator.")
        )
    area_code = data.home_area_code.strip() or None
    if area_code is not None:
        area = session.get(Area, area_code)
        if area is None or area.kind == "province":
            errors.append(FieldError("home_area_code", "Choose a commune or ward from the list."))
    if data.notify_email and not data.email.strip():
        errors.append(
            FieldError(
                "notify_email", "Enter an e-mail address to receive notifications by e-mail."
            )
        )
    if data.locale not in LOCALES:
        errors.append(FieldError("locale", "Choose a language from the list."))
    if errors:
        raise ValidationFailed("Please check the fields marked.", errors=errors)
    profile = profile_of(session, user)
    user.full_name = name
    user.email = email or None
    user.locale = data.locale
    profile.home_area_code = area_code
    profile.notify_sms = data.notify_sms
    profile.notify_email = data.notify_email
    session.flush()
    return profile


def change_phone(
    session: Session,
    user: User,
    *,
    new_phone: str,
    code: str,
    secret: str,
    limits: otp.CodeLimits = otp.DEFAULT_LIMITS,
) -> None:
    """Switch to ``new_phone`` once the code sent to it is given back."""
    otp.check_code(
        session,
        phone=new_phone,
        code=code,
        secret=secret,
        purpose="change_phone",
        user_id=user.id,
        limits=limits,
    )
    taken = session.scalar(select(User.id).where(User.phone == new_phone, User.id != user.id))
    if taken is not None:
        raise ValidationFailed("Another account already uses this phone number.", field="phone")
    user.phone = new_phone
    session.flush()


def check_new_phone(session: Session, user: User, raw: str) -> str:
    phone = otp.normalise_phone(raw)
    if phone == user.phone:
        raise ValidationFailed("This is already your phone number.", field="phone")
    if session.scalar(select(User.id).where(User.phone == phone, User.id != user.id)):
        raise ValidationFailed("Another account already uses this phone number.", field="phone")
    return phone


def _is_staff(session: Session, user: User) -> bool:
    roles = set(
        session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id))
    )
    return bool(roles & STAFF_ROLES)


# --- deleting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deletion:
    reports_anonymised: int


def delete_account(session: Session, user: User, *, ip: str | None = None) -> Deletion:
    """Erase the person: name, phone, e-mail, sessions, codes, preferences, notifications and
    their messages in the outbox. Their reports stay, anonymised. Audited (by account number
    only: the entry must not keep what was erased)."""
    from ioc.reports.anonymise import anonymise_reporter

    roles = set(
        session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id))
    )
    if roles & STAFF_ROLES:
        raise ValidationFailed("Staff accounts are closed by an administrator.", field="_form")
    user_id = user.id
    phone, email = user.phone, user.email
    counts = anonymise_reporter(session, user_id, phone=phone, email=email)
    addresses = [a for a in (phone, email) if a]
    session.execute(
        delete(notify.Message).where(
            or_(notify.Message.user_id == user_id, notify.Message.address.in_(addresses))
        )
    )
    code_filter = [PhoneCode.user_id == user_id]
    if phone:
        code_filter.append(PhoneCode.phone == phone)
    session.execute(delete(PhoneCode).where(or_(*code_filter)))
    session.execute(delete(Notification).where(Notification.user_id == user_id))
    session.execute(delete(CitizenProfile).where(CitizenProfile.user_id == user_id))
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
    session.execute(delete(User).where(User.id == user_id))
    session.expunge(user)
    usage.count_deletion(session)
    audit.log(
        session,
        "portal.account_deleted",
        actor_id=user_id,
        actor_label=f"#{user_id}",
        subject_type="user",
        subject_id=user_id,
        ip=ip,
        detail={"reports_anonymised": counts.reports},
    )
    session.flush()
    return Deletion(counts.reports)
