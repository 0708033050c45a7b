"""Sign-in, sign-out and the language switch, shared by every face."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ioc.errors import IocError, RateLimited
from ioc.kit import audit, auth
from ioc.kit.i18n import LOCALES, translator
from ioc.web.deps import (
    LANG_COOKIE,
    SESSION_COOKIE,
    AppSettings,
    CurrentActor,
    DbSession,
    client_ip,
    request_locale,
)
from ioc.web.templating import home_url, redirect, render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/signin")
def signin_form(request: Request, actor: CurrentActor, next: str = "") -> Response:
    if actor.is_authenticated:
        return redirect(request, safe_next(next, home_url(actor)))
    next_url = safe_next(next, "")
    return render(
        request,
        "auth/signin.html",
        {
            "next": next_url,
            "errors": {},
            "email": "",
            # Asked for the console or the admin: a member of staff, the e-mail form first.
            "staff_first": next_url.startswith(("/console", "/admin")),
        },
    )


@router.post("/signin")
def signin(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _ = translator(request_locale(request))
    limits = auth.SignInLimits(
        max_per_login=settings.signin_max_failures,
        max_per_ip=settings.signin_max_failures_per_ip,
        window=timedelta(minutes=settings.signin_window_minutes),
    )
    ip = client_ip(request)
    try:
        user = auth.authenticate(session, email=email, password=password, ip=ip, limits=limits)
    except IocError as error:
        # The failed attempt must be kept although this request answers with an error.
        _record_failure(request, session, email, ip, error)
        status = 429 if isinstance(error, RateLimited) else 400
        response = render(
            request,
            "auth/signin.html",
            {
                "next": safe_next(next, ""),
                "email": email,
                "errors": {"email": _(error.message, **error.params)},
            },
            status_code=status,
        )
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    token = auth.start_session(
        session,
        user,
        lifetime=timedelta(days=settings.session_days),
        ip=ip,
        user_agent=request.headers.get("user-agent"),
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    actor = auth.actor_for(session, user)
    audit.log(
        session,
        "auth.signin",
        actor_id=user.id,
        actor_label=user.email or "",
        ip=ip,
        user_agent=request.headers.get("user-agent"),
    )
    redirect_response = redirect(request, safe_next(next, home_url(actor)))
    redirect_response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_days * 86400,
    )
    return redirect_response


def _record_failure(
    request: Request, session: DbSession, email: str, ip: str, error: IocError
) -> None:
    # The failed attempt must count towards the limit although this request answers with an
    # error: commit the attempt row authenticate() added, with its audit entry.
    audit.log(
        session,
        "auth.signin_failed",
        actor_label=email[:254],
        ip=ip,
        user_agent=request.headers.get("user-agent"),
        detail={"reason": error.code},
    )
    session.commit()


@router.post("/signout")
def signout(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.end_session(session, token)
        if actor.user_id:
            audit.log(
                session,
                "auth.signout",
                actor_id=actor.user_id,
                actor_label=actor.display_name,
                ip=client_ip(request),
            )
    response = redirect(request, "/")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    response = redirect(request, safe_next(next))
    if code in LOCALES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response
