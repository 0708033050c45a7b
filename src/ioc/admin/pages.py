"""Administration: people and roles, API keys, the working calendar and the audit log."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from ioc.admin import service
from ioc.areas import service as areas
from ioc.errors import IocError
from ioc.kit import audit, calendar_store
from ioc.kit.i18n import translator
from ioc.kit.permissions import ROLE_LABELS, ROLES, require
from ioc.web.deps import CurrentActor, DbSession, request_locale
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("")
def admin_home(request: Request, actor: CurrentActor) -> Response:
    require(actor, "admin.view")
    _ = translator(request_locale(request))
    links = [
        {
            "title": _("People and roles"),
            "href": "/admin/users",
            "icon": "users",
            "description": _("Accounts of staff and citizens, their roles and scopes."),
        },
        {
            "title": _("Agencies"),
            "href": "/admin/agencies",
            "icon": "building",
            "description": _("Departments, utilities and commune committees, and their areas."),
        },
        {
            "title": _("Communes and wards"),
            "href": "/admin/areas",
            "icon": "map",
            "description": _("The 92 units since the 2025 reform."),
        },
        {
            "title": _("API keys"),
            "href": "/admin/api-keys",
            "icon": "shield",
            "description": _("Keys for other systems (Open311 clients, integrations)."),
        },
        {
            "title": _("Working calendar"),
            "href": "/admin/calendar",
            "icon": "clock",
            "description": _("Announced swap Saturdays and extra days off."),
        },
        {
            "title": _("Audit log"),
            "href": "/admin/audit",
            "icon": "list",
            "description": _("Sign-ins, permission changes, views of personal data."),
        },
    ]
    return render(request, "admin/home.html", {"links": links}, face="admin")


def _role_options(_: object) -> list[tuple[str, str]]:
    return [(r, _(ROLE_LABELS[r])) for r in ROLES]  # type: ignore[operator]


@router.get("/users")
def users_page(
    request: Request, session: DbSession, actor: CurrentActor, q: str = "", role: str = ""
) -> Response:
    require(actor, "users.manage")
    _ = translator(request_locale(request))
    users = service.list_users(session, query=q[:100], role=role if role in ROLES else "")
    return render(
        request,
        "admin/users.html",
        {
            "users": users,
            "roles": service.roles_by_user(session, [u.id for u in users]),
            "q": q,
            "role": role,
            "role_options": [("", _("All roles")), *_role_options(_)],
            "role_labels": {r: _(ROLE_LABELS[r]) for r in ROLES},
        },
        face="admin",
    )


def _user_form(
    request: Request,
    session: DbSession,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    _ = translator(request_locale(request))
    agencies = [("", _("— none —"))] + [
        (a.code, f"{a.name} ({a.code})")
        for a in areas.list_agencies(session, include_inactive=False)
    ]
    return render(
        request,
        "admin/user_form.html",
        {
            "values": values,
            "errors": errors,
            "role_options": _role_options(_),
            "agency_options": agencies,
        },
        face="admin",
        status_code=status_code,
    )


@router.get("/users/new")
def new_user(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "users.manage")
    return _user_form(request, session, {"role": "officer"}, {})


@router.post("/users/new")
def create_user(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    email: Annotated[str, Form(max_length=254)] = "",
    full_name: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=30)] = "",
    agency: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    require(actor, "users.manage")
    _ = translator(request_locale(request))
    try:
        created = service.create_user(
            session, actor, email=email, role=role, full_name=full_name, agency_code=agency or None
        )
    except IocError as error:
        session.rollback()
        errors = {e.field: _(e.message, **e.params) for e in error.errors} or {
            "email": _(error.message, **error.params)
        }
        return _user_form(
            request,
            session,
            {"email": email, "full_name": full_name, "role": role, "agency": agency},
            errors,
            422,
        )
    # The password is shown once, on this page only; it is not kept anywhere in clear.
    return render(
        request,
        "admin/user_created.html",
        {"user": created.user, "password": created.password},
        face="admin",
    )


@router.get("/users/{user_id}")
def user_page(request: Request, user_id: int, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "users.manage")
    _ = translator(request_locale(request))
    user = service.get_user(session, user_id)
    agencies = [
        (a.code, f"{a.name} ({a.code})")
        for a in areas.list_agencies(session, include_inactive=False)
    ]
    return render(
        request,
        "admin/user.html",
        {
            "user": user,
            "assignments": service.roles_by_user(session, [user.id])[user.id],
            "role_options": _role_options(_),
            "agency_options": [("", _("— none —")), *agencies],
            "role_labels": {r: _(ROLE_LABELS[r]) for r in ROLES},
        },
        face="admin",
    )


@router.post("/users/{user_id}/roles")
def add_role(
    request: Request,
    user_id: int,
    session: DbSession,
    actor: CurrentActor,
    role: Annotated[str, Form(max_length=30)] = "",
    agency: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    user = service.get_user(session, user_id)
    service.add_role(session, actor, user, role=role, agency_code=agency or None)
    response = redirect(request, f"/admin/users/{user.id}")
    flash(request, response, "Role added.")
    return response


@router.post("/users/{user_id}/roles/{assignment_id}/delete")
def remove_role(
    request: Request, user_id: int, assignment_id: int, session: DbSession, actor: CurrentActor
) -> Response:
    user = service.get_user(session, user_id)
    service.remove_role(session, actor, user, assignment_id)
    response = redirect(request, f"/admin/users/{user.id}")
    flash(request, response, "Role removed.")
    return response


@router.post("/users/{user_id}/active")
def set_active(
    request: Request,
    user_id: int,
    session: DbSession,
    actor: CurrentActor,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    user = service.get_user(session, user_id)
    service.set_active(session, actor, user, active == "1")
    response = redirect(request, f"/admin/users/{user.id}")
    flash(
        request,
        response,
        "Account activated." if active == "1" else "Account deactivated; its sessions have ended.",
    )
    return response


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request, user_id: int, session: DbSession, actor: CurrentActor
) -> Response:
    user = service.get_user(session, user_id)
    password = service.reset_password(session, actor, user)
    return render(
        request,
        "admin/user_created.html",
        {"user": user, "password": password, "reset": True},
        face="admin",
    )


@router.get("/api-keys")
def api_keys_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "api_tokens.manage")
    return render(
        request,
        "admin/api_keys.html",
        {"keys": service.list_api_keys(session), "new_key": None, "errors": {}},
        face="admin",
    )


@router.post("/api-keys")
def create_api_key(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    require(actor, "api_tokens.manage")
    _ = translator(request_locale(request))
    try:
        _token, raw = service.create_api_key(
            session, actor, name=name, scopes=["open311.submit", "api.read"]
        )
    except IocError as error:
        session.rollback()
        return render(
            request,
            "admin/api_keys.html",
            {
                "keys": service.list_api_keys(session),
                "new_key": None,
                "errors": {e.field: _(e.message, **e.params) for e in error.errors},
            },
            face="admin",
            status_code=422,
        )
    return render(
        request,
        "admin/api_keys.html",
        {"keys": service.list_api_keys(session), "new_key": raw, "errors": {}},
        face="admin",
    )


@router.post("/api-keys/{token_id}/revoke")
def revoke_api_key(
    request: Request, token_id: int, session: DbSession, actor: CurrentActor
) -> Response:
    service.revoke_api_key(session, actor, token_id)
    response = redirect(request, "/admin/api-keys")
    flash(request, response, "API key revoked.")
    return response


@router.get("/calendar")
def calendar_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "calendar.manage")
    rows = session.scalars(
        select(calendar_store.WorkdayOverride).order_by(calendar_store.WorkdayOverride.day.desc())
    ).all()
    return render(request, "admin/calendar.html", {"rows": rows, "errors": {}}, face="admin")


@router.post("/calendar")
def calendar_save(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    day: Annotated[str, Form(max_length=20)] = "",
    is_working: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require(actor, "calendar.manage")
    _ = translator(request_locale(request))
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        rows = session.scalars(select(calendar_store.WorkdayOverride)).all()
        return render(
            request,
            "admin/calendar.html",
            {"rows": rows, "errors": {"day": _("Enter a date like 2026-02-28.")}},
            face="admin",
            status_code=422,
        )
    calendar_store.set_override(session, parsed, is_working=is_working == "1", note=note.strip())
    audit.log(
        session,
        "calendar.changed",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="workday",
        subject_id=day,
        detail={"is_working": is_working == "1", "note": note.strip()},
    )
    response = redirect(request, "/admin/calendar")
    flash(request, response, "Calendar updated.")
    return response


@router.get("/audit")
def audit_page(
    request: Request, session: DbSession, actor: CurrentActor, action: str = ""
) -> Response:
    require(actor, "audit.view")
    stmt = select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()).limit(200)
    if action:
        stmt = stmt.where(audit.AuditEntry.action == action[:60])
    return render(
        request,
        "admin/audit.html",
        {"entries": session.scalars(stmt).all(), "action": action},
        face="admin",
    )
