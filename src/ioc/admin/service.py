"""Managing people and their roles, and API keys: what administrators do, from the pages and
from the command line alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ioc.areas import service as areas
from ioc.errors import NotFound, ValidationFailed
from ioc.kit import audit, auth, events
from ioc.kit.auth import ApiToken, RoleAssignment, User
from ioc.kit.permissions import ROLE_SCOPE, ROLES, Actor, require
from ioc.kit.text import clean_text, fold


@dataclass(frozen=True)
class CreatedUser:
    user: User
    password: str


def _scope_for(
    session: Session, role: str, agency_code: str | None, area_code: str | None
) -> tuple[str, str | None]:
    needs = ROLE_SCOPE[role]
    if needs == "agency":
        if not agency_code:
            raise ValidationFailed("Choose the agency this person works for.", field="agency")
        return "agency", areas.get_agency(session, agency_code.strip().upper()).code
    if area_code:
        return "area", areas.get_area(session, area_code).code
    return "province", None


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    role: str,
    full_name: str = "",
    agency_code: str | None = None,
    area_code: str | None = None,
    password: str | None = None,
    is_demo: bool = False,
) -> CreatedUser:
    """A new account with one role. Without a password given, one is generated and returned
    once; it is never stored in clear."""
    require(actor, "users.manage")
    if role not in ROLES:
        raise ValidationFailed("Choose a role.", field="role")
    name = clean_text(
        full_name, field="full_name", max_length=200, allow_newlines=False, required=False
    )
    scope_type, scope_ref = _scope_for(session, role, agency_code, area_code)
    password = password or auth.generate_password()
    user = auth.create_user(
        session, email=email, password=password, full_name=name, is_demo=is_demo
    )
    auth.grant_role(session, user, role, scope_type=scope_type, scope_ref=scope_ref)
    audit.log(
        session,
        "user.created",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="user",
        subject_id=str(user.id),
        detail={"role": role, "scope": scope_ref},
    )
    events.record(
        session,
        "user.created",
        subject_type="user",
        subject_id=str(user.id),
        actor_id=actor.user_id,
        title=user.email or "",
        visibility="internal",
        payload={"role": role},
    )
    return CreatedUser(user, password)


def add_role(
    session: Session,
    actor: Actor,
    user: User,
    *,
    role: str,
    agency_code: str | None = None,
    area_code: str | None = None,
) -> RoleAssignment:
    require(actor, "users.manage")
    if role not in ROLES:
        raise ValidationFailed("Choose a role.", field="role")
    scope_type, scope_ref = _scope_for(session, role, agency_code, area_code)
    assignment = auth.grant_role(session, user, role, scope_type=scope_type, scope_ref=scope_ref)
    audit.log(
        session,
        "permission.granted",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="user",
        subject_id=str(user.id),
        detail={"role": role, "scope_type": scope_type, "scope": scope_ref},
    )
    return assignment


def remove_role(session: Session, actor: Actor, user: User, assignment_id: int) -> None:
    require(actor, "users.manage")
    row = session.get(RoleAssignment, assignment_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such role.")
    audit.log(
        session,
        "permission.revoked",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="user",
        subject_id=str(user.id),
        detail={"role": row.role, "scope_type": row.scope_type, "scope": row.scope_ref},
    )
    session.delete(row)


def set_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    require(actor, "users.manage")
    if actor.user_id == user.id and not active:
        raise ValidationFailed("You cannot deactivate your own account.", field="is_active")
    user.is_active = active
    if not active:
        auth.end_all_sessions(session, user.id)
    audit.log(
        session,
        "user.activated" if active else "user.deactivated",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="user",
        subject_id=str(user.id),
    )


def reset_password(session: Session, actor: Actor, user: User) -> str:
    require(actor, "users.manage")
    password = auth.generate_password()
    user.password_hash = auth.hash_password(password)
    auth.end_all_sessions(session, user.id)
    audit.log(
        session,
        "user.password_reset",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="user",
        subject_id=str(user.id),
    )
    return password


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users(session: Session, *, query: str = "", role: str = "") -> Sequence[User]:
    stmt = select(User)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(User.email).like(like),
                User.phone.like(like),
                func.lower(User.full_name).like(like),
            )
        )
    if role:
        stmt = stmt.where(
            User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role == role))
        )
    return session.scalars(stmt.order_by(User.created_at.desc()).limit(500)).all()


def roles_by_user(session: Session, user_ids: Sequence[int]) -> dict[int, list[RoleAssignment]]:
    result: dict[int, list[RoleAssignment]] = {uid: [] for uid in user_ids}
    if user_ids:
        for row in session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.user_id.in_(user_ids))
            .order_by(RoleAssignment.id)
        ):
            result[row.user_id].append(row)
    return result


def create_api_key(
    session: Session, actor: Actor, *, name: str, scopes: Sequence[str]
) -> tuple[ApiToken, str]:
    require(actor, "api_tokens.manage")
    clean = clean_text(name, field="name", max_length=120, allow_newlines=False)
    token, raw = auth.create_api_token(
        session, name=clean, scopes=list(scopes), user_id=actor.user_id
    )
    audit.log(
        session,
        "api_token.created",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="api_token",
        subject_id=str(token.id),
        detail={"name": clean, "scopes": list(scopes)},
    )
    return token, raw


def revoke_api_key(session: Session, actor: Actor, token_id: int) -> None:
    require(actor, "api_tokens.manage")
    auth.revoke_api_token(session, token_id)
    audit.log(
        session,
        "api_token.revoked",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="api_token",
        subject_id=str(token_id),
    )


def list_api_keys(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()


def search_key(user: User) -> str:
    return fold(f"{user.full_name} {user.email or ''}")
