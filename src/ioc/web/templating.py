"""Jinja2 pages rendered inside the layout of the face they belong to (portal, console, admin)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ioc.kit.i18n import format_local_datetime, format_number, translator
from ioc.kit.module import NavEntry
from ioc.kit.permissions import ROLE_LABELS, Actor, can
from ioc.web.deps import ANON_COOKIE, csrf_token_for, get_settings, request_locale

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
FLASH_COOKIE = "ioc_flash"
HOME_BY_ROLE = {
    "administrator": "/admin",
    "leader": "/console",
    "operator": "/console",
    "agency_head": "/console",
    "officer": "/console",
    "citizen": "/",
}


@cache
def environment() -> Environment:
    # The web package's templates first (layouts, components), then every module's own.
    dirs = [PACKAGE_ROOT / "web" / "templates"]
    dirs += sorted(p for p in PACKAGE_ROOT.glob("*/templates") if p.parent.name != "web")
    env = Environment(
        loader=FileSystemLoader([str(d) for d in dirs]),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


# Modules add to every page of a face (an alert banner, an unread-notifications count) by
# registering a provider: provider(request, actor, face) -> dict merged into the context.
# A provider that needs the database opens its own short read session from request.app.state.db
# and must be cheap (it runs on every page of its face).
PageContextProvider = Callable[[Request, Actor, str], dict[str, Any]]
_CONTEXT_PROVIDERS: dict[str, PageContextProvider] = {}


def register_page_context(name: str, provider: PageContextProvider) -> None:
    """Idempotent by name, so re-importing a module does not add a provider twice."""
    _CONTEXT_PROVIDERS[name] = provider


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str
    active: bool
    hint: str = ""


class ActorView:
    """What templates may know of the actor, with labels already translated."""

    def __init__(self, actor: Actor, _: Any) -> None:
        self._actor = actor
        self.is_authenticated = actor.is_authenticated
        self.display_name = actor.display_name
        role = actor.primary_role
        self.role = role
        self.role_label = _(ROLE_LABELS[role]) if role else ""
        self.home_url = home_url(actor)
        self.is_staff = actor.is_staff


def home_url(actor: Actor) -> str:
    role = actor.primary_role
    return HOME_BY_ROLE.get(role, "/") if role else "/"


def nav_for(request: Request, face: str, actor: Actor, _: Any) -> list[NavItem]:
    entries: list[NavEntry] = request.app.state.nav.get(face, [])
    path = request.url.path
    visible = [e for e in entries if not e.permission or can(actor, e.permission)]
    # The most specific entry that contains the path is the active one (so the evaluation
    # page lights "Evaluation", not also the inbox it lives under).
    matches = [
        e.url
        for e in visible
        if path == e.url
        or (e.url not in ("/", "/console", "/admin") and path.startswith(e.url.rstrip("/") + "/"))
    ]
    active_url = max(matches, key=len) if matches else None
    return [
        NavItem(_(e.label), e.url, e.icon, e.url == active_url, _(e.hint) if e.hint else "")
        for e in visible
    ]


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]


def flash(
    request: Request, response: Response, message: str, level: str = "success", **params: Any
) -> None:
    """A message shown once on the next page (kept in a signed cookie, no server state)."""
    payload = json.dumps([level, message, params], ensure_ascii=False)
    secret = get_settings(request).resolved_secret_key
    response.set_cookie(
        FLASH_COOKIE,
        quote(payload) + "." + _sign(secret, payload),
        max_age=60,
        httponly=True,
        samesite="lax",
    )


def _read_flash(request: Request, _: Any) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return []
    from urllib.parse import unquote

    quoted, signature = raw.rsplit(".", 1)
    payload = unquote(quoted)
    if not hmac.compare_digest(
        _sign(get_settings(request).resolved_secret_key, payload), signature
    ):
        return []
    try:
        level, message, params = json.loads(payload)
    except (ValueError, TypeError):
        return []
    return [(str(level), _(str(message), **params))]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    face: str = "portal",
    status_code: int = 200,
) -> HTMLResponse:
    locale = request_locale(request)
    _ = translator(locale)
    actor: Actor = getattr(request.state, "actor", None) or Actor()
    settings = get_settings(request)
    csrf = csrf_token_for(request)
    next_path = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    ctx: dict[str, Any] = {
        "request": request,
        "_": _,
        "locale": locale,
        "csrf_token": csrf,
        "site_name": _("C-ThaiNguyen") if face == "portal" else _("IOC Thái Nguyên"),
        "actor": ActorView(actor, _),
        "nav": nav_for(request, face, actor, _),
        "face": face,
        "flash": _read_flash(request, _),
        "lang_urls": {code: f"/lang/{code}?next={next_path}" for code in ("vi", "en")},
        "theme": request.cookies.get("ioc_theme", "light"),
        "format_number": lambda v, d=0: format_number(v, locale, d),
        "format_datetime": lambda v: format_local_datetime(v, locale, settings.timezone),
        "tile_url": settings.tile_url,
    }
    for provider in list(_CONTEXT_PROVIDERS.values()):
        ctx.update(provider(request, actor, face))
    if context:
        ctx.update(context)
    html = environment().get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code)
    _finish(request, response)
    return response


def _finish(request: Request, response: Response) -> None:
    settings = get_settings(request)
    new_anon = getattr(request.state, "new_anon", None)
    if new_anon:
        response.set_cookie(
            ANON_COOKIE,
            new_anon,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=60 * 60 * 24 * 30,
        )
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE)


def redirect(request: Request, url: str, status_code: int = 303) -> RedirectResponse:
    response = RedirectResponse(url, status_code=status_code)
    _finish(request, response)
    return response


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths, so a sign-in link cannot send people elsewhere."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
