"""Pages of citizen accounts: sign-in by phone and code, the profile, changing the phone,
deleting the account, notifications; and the console's usage page."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from ioc.areas import service as areas
from ioc.config import Settings
from ioc.db import Database, utcnow
from ioc.errors import IocError, NotAuthenticated, RateLimited, ValidationFailed
from ioc.kit import audit, auth, notify
from ioc.kit.auth import User
from ioc.kit.i18n import LOCALES, translator
from ioc.kit.permissions import Actor, require
from ioc.portal import accounts, notifications, otp, usage
from ioc.portal.models import Notification
from ioc.web.deps import (
    LANG_COOKIE,
    SESSION_COOKIE,
    AppSettings,
    CurrentActor,
    DbSession,
    Writes,
    client_ip,
    request_locale,
)
from ioc.web.templating import flash, redirect, render, safe_next

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

PENDING_COOKIE = "ioc_otp"  # the phone a code was sent to, signed; 10 minutes
COMMUNE_COOKIE = "ioc_commune"  # the home commune, read by the notices' emergency banner
PENDING_MAX_AGE = 600


# --- helpers ---------------------------------------------------------------------------------


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), b"otp-pending:" + payload.encode(), hashlib.sha256).hexdigest()


def _set_pending(
    response: Response, settings: Settings, *, phone: str, purpose: str, next_url: str
) -> None:
    payload = json.dumps({"phone": phone, "purpose": purpose, "next": next_url})
    response.set_cookie(
        PENDING_COOKIE,
        quote(payload) + "." + _sign(settings.resolved_secret_key, payload),
        max_age=PENDING_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _pending(request: Request, settings: Settings, purpose: str) -> dict[str, str] | None:
    raw = request.cookies.get(PENDING_COOKIE, "")
    if "." not in raw:
        return None
    quoted, signature = raw.rsplit(".", 1)
    payload = unquote(quoted)
    if not hmac.compare_digest(_sign(settings.resolved_secret_key, payload), signature):
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("purpose") != purpose:
        return None
    return {k: str(v) for k, v in data.items()}


def _errors(error: IocError, _: Any) -> dict[str, str]:
    if error.errors:
        return {e.field: _(e.message, **e.params) for e in error.errors}
    return {"_form": _(error.message, **error.params)}


def _signed_in_user(session: Session, actor: Actor) -> User:
    if actor.user_id is None or actor.kind != "user":
        raise NotAuthenticated("Please sign in to continue.")
    require(actor, "portal.account")
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotAuthenticated("Please sign in to continue.")
    return user


def _deliver_now(db: Database, settings: Settings, message_id: int) -> None:
    """Send a code's SMS right after the response, rather than wait for the outbox job (a
    person is waiting for it). The job remains the fallback if this fails."""
    channel = notify.channels_from_settings(settings)["sms"]
    try:
        with db.session(write=True) as session:
            message = session.get(notify.Message, message_id)
            if message is None or message.status != "pending":
                return
            message.attempts += 1
            try:
                channel.send(message)
            except Exception as exc:
                message.last_error = f"{type(exc).__name__}: {exc}"[: notify.ERROR_MAX]
                message.next_attempt_at = utcnow() + timedelta(seconds=30)
                log.warning("sign-in code SMS %s not sent now: %s", message_id, exc)
            else:
                message.status = "sent"
                message.sent_at = utcnow()
                message.last_error = None
    except Exception:
        log.exception("sending sign-in code SMS %s failed", message_id)


def _send(
    request: Request,
    session: Session,
    settings: Settings,
    *,
    phone: str,
    purpose: str,
    user_id: int | None = None,
) -> BackgroundTask:
    message = accounts.send_code(
        session,
        phone=phone,
        ip=client_ip(request),
        secret=settings.resolved_secret_key,
        purpose=purpose,
        user_id=user_id,
        locale=request_locale(request),
        log_code=not settings.sms_gateway_url,
    )
    return BackgroundTask(_deliver_now, request.app.state.db, settings, message.id)


def _audit_refusal(
    request: Request, session: Session, action: str, phone: str, error: IocError
) -> None:
    audit.log(
        session,
        action,
        actor_label=otp.mask_phone(phone) if phone else "",
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        detail={"reason": error.code, "message": error.message},
    )
    # The failed try (and its count on the code) must stay although the answer is an error.
    session.commit()


# --- sign-in by phone ------------------------------------------------------------------------


@router.get("/signin/phone")
def phone_form(request: Request, actor: CurrentActor, next: str = "") -> Response:
    if actor.is_authenticated:
        return redirect(request, safe_next(next, "/"))
    return render(
        request,
        "portal/signin_phone.html",
        {"next": safe_next(next, ""), "errors": {}, "phone": ""},
    )


@router.post("/signin/phone")
def phone_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    phone: Annotated[str, Form(max_length=40)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _ = translator(request_locale(request))
    next_url = safe_next(next, "")
    try:
        normalised = otp.normalise_phone(phone)
        task = _send(request, session, settings, phone=normalised, purpose="signin")
    except IocError as error:
        if isinstance(error, RateLimited):
            _audit_refusal(request, session, "portal.code_refused", phone, error)
        page = render(
            request,
            "portal/signin_phone.html",
            {"next": next_url, "errors": _errors(error, _), "phone": phone},
            status_code=error.status_code,
        )
        if isinstance(error, RateLimited):
            page.headers["Retry-After"] = str(error.retry_after)
        return page
    response = redirect(request, "/signin/phone/code")
    _set_pending(response, settings, phone=normalised, purpose="signin", next_url=next_url)
    response.background = task
    return response


def _code_page(
    request: Request,
    session: Session,
    pending: dict[str, str],
    *,
    action: str,
    resend_action: str,
    back_url: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portal/signin_code.html",
        {
            "phone_display": otp.display_phone(pending["phone"]),
            "wait": otp.resend_wait_seconds(session, pending["phone"]),
            "errors": errors or {},
            "action": action,
            "resend_action": resend_action,
            "back_url": back_url,
            "lifetime_minutes": int(otp.DEFAULT_LIMITS.lifetime.total_seconds() // 60),
        },
        status_code=status_code,
    )


@router.get("/signin/phone/code")
def code_form(
    request: Request, session: DbSession, settings: AppSettings, actor: CurrentActor
) -> Response:
    pending = _pending(request, settings, "signin")
    if pending is None:
        return redirect(request, "/signin/phone")
    if actor.is_authenticated:
        return redirect(request, safe_next(pending.get("next"), "/"))
    return _code_page(
        request,
        session,
        pending,
        action="/signin/phone/code",
        resend_action="/signin/phone/resend",
        back_url="/signin/phone",
    )


@router.post("/signin/phone/code")
def code_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    _ = translator(request_locale(request))
    pending = _pending(request, settings, "signin")
    if pending is None:
        response = redirect(request, "/signin/phone")
        flash(request, response, "The code has expired. Ask for a new code.", "warning")
        return response
    ip = client_ip(request)
    try:
        result = accounts.sign_in_with_code(
            session,
            phone=pending["phone"],
            code=code,
            secret=settings.resolved_secret_key,
            ip=ip,
            locale=request_locale(request),
        )
    except IocError as error:
        _audit_refusal(request, session, "auth.signin_failed", pending["phone"], error)
        return _code_page(
            request,
            session,
            pending,
            action="/signin/phone/code",
            resend_action="/signin/phone/resend",
            back_url="/signin/phone",
            errors=_errors(error, _),
            status_code=error.status_code,
        )
    user = result.user
    token = auth.start_session(
        session,
        user,
        lifetime=timedelta(days=settings.session_days),
        ip=ip,
        user_agent=request.headers.get("user-agent"),
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    audit.log(
        session,
        "auth.signup" if result.created else "auth.signin",
        actor_id=user.id,
        actor_label=f"#{user.id}",
        ip=ip,
        user_agent=request.headers.get("user-agent"),
        detail={"method": "phone"},
    )
    next_url = safe_next(pending.get("next"), "")
    if result.created:
        # A new account first fills its profile, then goes on where the person was going.
        target = "/me?welcome=1" + (f"&next={quote(next_url)}" if next_url else "")
    else:
        target = next_url or "/"
    response = redirect(request, target)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_days * 86400,
    )
    response.delete_cookie(PENDING_COOKIE)
    if not result.created:
        flash(request, response, "You are signed in.")
    return response


@router.post("/signin/phone/resend")
def code_resend(request: Request, session: DbSession, settings: AppSettings) -> Response:
    pending = _pending(request, settings, "signin")
    if pending is None:
        return redirect(request, "/signin/phone")
    response = redirect(request, "/signin/phone/code")
    try:
        response.background = _send(
            request, session, settings, phone=pending["phone"], purpose="signin"
        )
    except IocError as error:
        _audit_refusal(request, session, "portal.code_refused", pending["phone"], error)
        flash(request, response, error.message, "error", **error.params)
        return response
    _set_pending(
        response, settings, phone=pending["phone"], purpose="signin", next_url=pending["next"]
    )
    flash(request, response, "A new code was sent.")
    return response


# --- profile ---------------------------------------------------------------------------------


def _profile_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    next_url: str = "",
) -> Response:
    profile = accounts.profile_of(session, user)
    if values is None:
        values = {
            "full_name": user.full_name,
            "email": user.email or "",
            "home_area_code": profile.home_area_code or "",
            "notify_sms": profile.notify_sms,
            "notify_email": profile.notify_email,
            "locale": user.locale,
        }
    return render(
        request,
        "portal/profile.html",
        {
            "values": values,
            "errors": errors or {},
            "phone_display": otp.display_phone(user.phone) if user.phone else "",
            "communes": [(a.code, a.name) for a in areas.communes(session)],
            "welcome": request.query_params.get("welcome") == "1",
            "next": next_url,
        },
        status_code=status_code,
    )


@router.get("/me")
def profile_form(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    user = _signed_in_user(session, actor)
    return _profile_page(
        request, session, user, next_url=safe_next(request.query_params.get("next"), "")
    )


@router.post("/me")
def profile_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    actor: CurrentActor,
    full_name: Annotated[str, Form(max_length=400)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    home_area_code: Annotated[str, Form(max_length=20)] = "",
    notify_sms: Annotated[str, Form(max_length=5)] = "",
    notify_email: Annotated[str, Form(max_length=5)] = "",
    locale: Annotated[str, Form(max_length=5)] = "vi",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _ = translator(request_locale(request))
    user = _signed_in_user(session, actor)
    data = accounts.ProfileInput(
        full_name=full_name,
        email=email,
        home_area_code=home_area_code,
        notify_sms=notify_sms == "1",
        notify_email=notify_email == "1",
        locale=locale,
    )
    try:
        profile = accounts.update_profile(session, user, data)
    except ValidationFailed as error:
        session.rollback()
        return _profile_page(
            request,
            session,
            user,
            values=vars(data),
            errors=_errors(error, _),
            status_code=422,
            next_url=safe_next(next, ""),
        )
    audit.log(
        session,
        "portal.profile_updated",
        actor_id=user.id,
        actor_label=f"#{user.id}",
        ip=client_ip(request),
    )
    response = redirect(request, safe_next(next, "/me"))
    if profile.home_area_code:
        response.set_cookie(
            COMMUNE_COOKIE, profile.home_area_code, max_age=365 * 86400, samesite="lax"
        )
    else:
        response.delete_cookie(COMMUNE_COOKIE)
    if user.locale in LOCALES:
        response.set_cookie(LANG_COOKIE, user.locale, max_age=365 * 86400, samesite="lax")
    flash(request, response, "Your profile was saved.")
    return response


# --- changing the phone ----------------------------------------------------------------------


@router.get("/me/phone")
def phone_change_form(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    user = _signed_in_user(session, actor)
    return render(
        request,
        "portal/phone_change.html",
        {
            "errors": {},
            "phone": "",
            "current": otp.display_phone(user.phone) if user.phone else "",
        },
    )


@router.post("/me/phone")
def phone_change_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    actor: CurrentActor,
    phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    _ = translator(request_locale(request))
    user = _signed_in_user(session, actor)
    try:
        new_phone = accounts.check_new_phone(session, user, phone)
        task = _send(
            request, session, settings, phone=new_phone, purpose="change_phone", user_id=user.id
        )
    except IocError as error:
        if isinstance(error, RateLimited):
            _audit_refusal(request, session, "portal.code_refused", phone, error)
        return render(
            request,
            "portal/phone_change.html",
            {
                "errors": _errors(error, _),
                "phone": phone,
                "current": otp.display_phone(user.phone) if user.phone else "",
            },
            status_code=error.status_code,
        )
    response = redirect(request, "/me/phone/code")
    _set_pending(response, settings, phone=new_phone, purpose="change_phone", next_url="/me")
    response.background = task
    return response


@router.get("/me/phone/code")
def phone_change_code_form(
    request: Request, session: DbSession, settings: AppSettings, actor: CurrentActor
) -> Response:
    _signed_in_user(session, actor)
    pending = _pending(request, settings, "change_phone")
    if pending is None:
        return redirect(request, "/me/phone")
    return _code_page(
        request,
        session,
        pending,
        action="/me/phone/code",
        resend_action="/me/phone/resend",
        back_url="/me/phone",
    )


@router.post("/me/phone/code")
def phone_change_code_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    actor: CurrentActor,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    _ = translator(request_locale(request))
    user = _signed_in_user(session, actor)
    pending = _pending(request, settings, "change_phone")
    if pending is None:
        return redirect(request, "/me/phone")
    try:
        accounts.change_phone(
            session,
            user,
            new_phone=pending["phone"],
            code=code,
            secret=settings.resolved_secret_key,
        )
    except IocError as error:
        _audit_refusal(request, session, "portal.phone_change_failed", pending["phone"], error)
        return _code_page(
            request,
            session,
            pending,
            action="/me/phone/code",
            resend_action="/me/phone/resend",
            back_url="/me/phone",
            errors=_errors(error, _),
            status_code=error.status_code,
        )
    audit.log(
        session,
        "portal.phone_changed",
        actor_id=user.id,
        actor_label=f"#{user.id}",
        ip=client_ip(request),
    )
    response = redirect(request, "/me")
    response.delete_cookie(PENDING_COOKIE)
    flash(request, response, "Your phone number was changed.")
    return response


@router.post("/me/phone/resend")
def phone_change_resend(
    request: Request, session: DbSession, settings: AppSettings, actor: CurrentActor
) -> Response:
    user = _signed_in_user(session, actor)
    pending = _pending(request, settings, "change_phone")
    if pending is None:
        return redirect(request, "/me/phone")
    response = redirect(request, "/me/phone/code")
    try:
        response.background = _send(
            request,
            session,
            settings,
            phone=pending["phone"],
            purpose="change_phone",
            user_id=user.id,
        )
    except IocError as error:
        _audit_refusal(request, session, "portal.code_refused", pending["phone"], error)
        flash(request, response, error.message, "error", **error.params)
        return response
    flash(request, response, "A new code was sent.")
    return response


# --- deleting the account --------------------------------------------------------------------


@router.get("/me/delete")
def delete_form(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    _signed_in_user(session, actor)
    return render(request, "portal/delete_account.html", {"errors": {}})


@router.post("/me/delete")
def delete_submit(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    _ = translator(request_locale(request))
    user = _signed_in_user(session, actor)
    if confirm != "1":
        return render(
            request,
            "portal/delete_account.html",
            {
                "errors": {
                    "confirm": _("Tick the box to confirm that you want to delete your account.")
                }
            },
            status_code=422,
        )
    try:
        accounts.delete_account(session, user, ip=client_ip(request))
    except IocError as error:
        session.rollback()
        return render(
            request,
            "portal/delete_account.html",
            {"errors": _errors(error, _)},
            status_code=error.status_code,
        )
    response = redirect(request, "/")
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(COMMUNE_COOKIE)
    flash(request, response, "Your account was deleted. Your reports stay, without your name.")
    return response


# --- notifications ---------------------------------------------------------------------------


@router.get("/notifications")
def notifications_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    user = _signed_in_user(session, actor)
    locale = request_locale(request)
    rows = [
        {
            "id": n.id,
            "text": notifications.text_for(
                n.kind, notifications.localised_params(n.params or {}, locale), locale
            ),
            "kind": n.kind,
            "at": n.created_at,
            "unread": n.read_at is None,
            "url": n.url,
        }
        for n in notifications.latest(session, user.id)
    ]
    return render(
        request,
        "portal/notifications.html",
        {"rows": rows, "unread": sum(1 for r in rows if r["unread"])},
    )


@router.post("/notifications/read")
def notifications_read_all(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    user = _signed_in_user(session, actor)
    count = notifications.mark_read(session, user.id)
    response = redirect(request, "/notifications")
    if count:
        flash(request, response, "All notifications marked as read.")
    return response


@router.get("/notifications/{notification_id}")
def notification_open(
    _w: Writes, request: Request, session: DbSession, actor: CurrentActor, notification_id: int
) -> Response:
    user = _signed_in_user(session, actor)
    note = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if note is None:
        return redirect(request, "/notifications")
    notifications.mark_read(session, user.id, note.id)
    return redirect(request, safe_next(note.url, "/notifications"))


# --- console: usage --------------------------------------------------------------------------


@router.get("/console/usage")
def usage_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "portal.usage.view")
    _ = translator(request_locale(request))
    today = usage.local_today()
    months = usage.monthly(session, 12, today=today)
    days = usage.series(session, today - timedelta(days=89), today + timedelta(days=1))
    channels = [c for c in ("app", "web", "hotline", "console", "api", "open311")]
    month_labels = [m.month.strftime("%m/%Y") for m in months]
    chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [d.day.strftime("%d/%m") for d in days]},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": _("Active in 30 days"),
                "type": "line",
                "showSymbol": False,
                "data": [d.active_30d for d in days],
            },
            {
                "name": _("Active in 7 days"),
                "type": "line",
                "showSymbol": False,
                "data": [d.active_7d for d in days],
            },
            {
                "name": _("Active that day"),
                "type": "line",
                "showSymbol": False,
                "data": [d.active for d in days],
            },
        ],
    }
    channel_chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": month_labels},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": _(CHANNEL_LABELS[c]),
                "type": "bar",
                "stack": "reports",
                "data": [m.reports.get(c, 0) for m in months],
            }
            for c in channels
        ],
    }
    return render(
        request,
        "portal/console_usage.html",
        {
            "summary": usage.summary(session, today=today),
            "months": months,
            "channels": channels,
            "channel_labels": {c: _(label) for c, label in CHANNEL_LABELS.items()},
            "chart_json": json.dumps(chart, ensure_ascii=False),
            "channel_chart_json": json.dumps(channel_chart, ensure_ascii=False),
        },
        face="console",
    )


CHANNEL_LABELS = {
    "app": "Citizen app",
    "web": "Web site",
    "hotline": "Hotline",
    "console": "Officer",
    "api": "API",
    "open311": "Open311",
}
