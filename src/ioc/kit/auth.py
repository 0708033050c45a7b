"""Accounts, passwords, server-side sessions, CSRF tokens, API tokens and sign-in limits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import JSON, Boolean, ForeignKey, String, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from ioc.db import Base, UTCDateTime, utcnow
from ioc.errors import RateLimited, ValidationFailed
from ioc.kit.permissions import ROLE_SCOPE, ROLES, Actor, Grant

# argon2id with the library's defaults (RFC 9106 "second recommended" parameters).
_hasher = PasswordHasher()
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoleAssignment(Base):
    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    scope_type: Mapped[str] = mapped_column(String(20), default="province")
    scope_ref: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInAttempt(Base):
    """Failed sign-ins, counted per account and per address to slow down guessing."""

    __tablename__ = "signin_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    login: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


# --- passwords -------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """16 characters from an alphabet without look-alikes, easy to read out on the phone."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def check_password_strength(password: str) -> None:
    if len(password) < 10:
        raise ValidationFailed("At least {min} characters.", field="password", min=10)


# --- users and grants ------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254:
        raise ValidationFailed("Enter a valid e-mail address.", field="email")
    return email


def create_user(
    session: Session,
    *,
    email: str | None = None,
    password: str | None = None,
    full_name: str = "",
    phone: str | None = None,
    is_demo: bool = False,
) -> User:
    if email is not None:
        email = normalise_email(email)
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise ValidationFailed("An account with this e-mail already exists.", field="email")
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email,
        phone=phone,
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password else None,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    return user


def grant_role(
    session: Session,
    user: User,
    role: str,
    *,
    scope_type: str | None = None,
    scope_ref: str | None = None,
) -> RoleAssignment:
    if role not in ROLES:
        raise ValidationFailed("Unknown role.", field="role")
    scope_type = scope_type or ROLE_SCOPE[role]
    if scope_type != "province" and not scope_ref:
        raise ValidationFailed("This role needs a scope.", field="scope_ref")
    existing = session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.scope_type == scope_type,
            RoleAssignment.scope_ref.is_(None)
            if scope_ref is None
            else RoleAssignment.scope_ref == scope_ref,
        )
    )
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        user_id=user.id,
        role=role,
        scope_type=scope_type,
        scope_ref=None if scope_type == "province" else scope_ref,
    )
    session.add(assignment)
    session.flush()
    return assignment


def revoke_role(session: Session, assignment_id: int) -> None:
    session.execute(delete(RoleAssignment).where(RoleAssignment.id == assignment_id))


def actor_for(session: Session, user: User) -> Actor:
    rows = session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).all()
    return Actor(
        user_id=user.id,
        display_name=user.full_name or user.email or user.phone or f"#{user.id}",
        email=user.email,
        grants=tuple(Grant(r.role, r.scope_type, r.scope_ref) for r in rows),
        kind="user",
    )


# --- sign-in with limits ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignInLimits:
    max_per_login: int = 5
    max_per_ip: int = 20
    window: timedelta = timedelta(minutes=15)


def _recent_failures(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    return (
        session.scalar(
            select(func.count(SignInAttempt.id)).where(
                column == value, SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False)
            )
        )
        or 0
    )


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str,
    limits: SignInLimits,
    now: datetime | None = None,
) -> User:
    """Check a password sign-in. Failures are recorded (the caller commits them even when this
    raises, so that the limit counts them); over the limit, even a right password is refused."""
    now = now or utcnow()
    login = email.strip().lower()
    since = now - limits.window
    if (
        _recent_failures(session, SignInAttempt.login, login, since) >= limits.max_per_login
        or _recent_failures(session, SignInAttempt.ip, ip, since) >= limits.max_per_ip
    ):
        raise RateLimited(
            "Too many failed sign-ins. Try again in {minutes} minutes.",
            retry_after=int(limits.window.total_seconds()),
            minutes=int(limits.window.total_seconds() // 60),
        )
    user = session.scalar(select(User).where(User.email == login)) if login else None
    ok = user is not None and user.is_active and verify_password(user.password_hash, password)
    if not ok:
        # Hash anyway when the account is unknown, so timing does not reveal which e-mails exist.
        if user is None:
            verify_password(_dummy_hash(), password)
        session.add(SignInAttempt(at=now, login=login[:254], ip=ip[:64], succeeded=False))
        raise ValidationFailed("The e-mail or password is not right.", field="email")
    assert user is not None
    session.add(SignInAttempt(at=now, login=login[:254], ip=ip[:64], succeeded=True))
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_signin_at = now
    return user


@cache
def _dummy_hash() -> str:
    # Made on first use, not at import: hashing costs ~0.25 s and 64 MiB, which start-up
    # should not pay.
    return _hasher.hash("not-a-real-password")


# --- sessions ---------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    lifetime: timedelta,
    ip: str | None = None,
    user_agent: str | None = None,
    replaces: str | None = None,
) -> str:
    """A new session with a new id every sign-in (no fixation); the old one, if any, ends."""
    if replaces:
        end_session(session, replaces)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            id=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            ip=ip,
            user_agent=(user_agent or "")[:300],
        )
    )
    return token


def load_session(
    session: Session, token: str, *, lifetime: timedelta, touch: bool = True
) -> User | None:
    """The signed-in user, or None. With ``touch`` the session's expiry slides forward (at
    most every few minutes); callers in a read-only unit of work pass touch=False and call
    :func:`touch_session` in a writing one."""
    row = session.get(UserSession, _digest(token))
    now = utcnow()
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if touch and now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        touch_session(session, token, lifetime=lifetime, now=now)
    elif not touch and now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        session.info["ioc_session_touch"] = token
    return user


def touch_session(
    session: Session, token: str, *, lifetime: timedelta, now: datetime | None = None
) -> None:
    now = now or utcnow()
    session.execute(
        update(UserSession)
        .where(UserSession.id == _digest(token))
        .values(last_seen_at=now, expires_at=now + lifetime)
    )


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id == _digest(token)))


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


# --- CSRF ------------------------------------------------------------------------------------


def csrf_token(secret: str, session_key: str) -> str:
    """Bound to the browser's session (or anonymous) cookie, so a token from another browser
    or from before sign-in is worthless."""
    return hmac.new(secret.encode(), b"csrf:" + session_key.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, session_key: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(secret, session_key), token or "")


# --- API tokens ------------------------------------------------------------------------------


def create_api_token(
    session: Session, *, name: str, scopes: list[str], user_id: int | None = None
) -> tuple[ApiToken, str]:
    prefix = secrets.token_hex(4)
    raw = f"ioc_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        name=name.strip()[:120],
        prefix=prefix,
        token_hash=_digest(raw),
        scopes=sorted(scopes),
        user_id=user_id,
    )
    session.add(token)
    session.flush()
    return token, raw


def verify_api_token(session: Session, raw: str) -> ApiToken | None:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    if not raw.startswith("ioc_"):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    # Touched at most every few minutes: many clients share one key, and a write per request
    # would make them all queue on this one row.
    if token.last_used_at is None or now - token.last_used_at > SESSION_TOUCH_INTERVAL:
        token.last_used_at = now
    return token


def revoke_api_token(session: Session, token_id: int) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=utcnow()))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Remove ended sessions and sign-in attempts older than 30 days: they are personal data
    (addresses, browsers) with no use once the limit window and the sessions have passed."""
    now = now or utcnow()
    ended = session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    old = session.execute(delete(SignInAttempt).where(SignInAttempt.at < now - timedelta(days=30)))
    return int(getattr(ended, "rowcount", 0) or 0) + int(getattr(old, "rowcount", 0) or 0)
