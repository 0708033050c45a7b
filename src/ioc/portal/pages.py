"""The citizen portal's home page and what makes it an installable, offline-capable web app:
the web app manifest, the service worker (served from the root so its scope is the whole
site), the offline page and a small endpoint giving a fresh CSRF token to queued reports."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ioc.kit.i18n import translator
from ioc.kit.permissions import Actor
from ioc.web.deps import (
    ANON_COOKIE,
    CurrentActor,
    csrf_token_for,
    get_settings,
    request_locale,
)
from ioc.web.templating import nav_for, register_page_context, render

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
SW_SOURCE = STATIC_DIR / "js" / "sw.js"
# The design tokens' navy (DESIGN.md, --blue-900) and the page background.
THEME_COLOR = "#0d2c4f"
BACKGROUND_COLOR = "#f3f5f8"

# The shell a phone keeps: what every portal page needs to draw, and the report form's script.
# Paths are relative to /static/; each is requested with ?v=<version>.
SHELL = (
    "css/ioc.css",
    "js/ioc.js",
    "js/outbox.js",
    "js/report-form.js",
    "img/icons.svg",
    "img/logo.svg",
    "img/favicon.svg",
    "img/icon-192.png",
    "vendor/fonts.css",
    "vendor/htmx.min.js",
    "vendor/alpine.min.js",
    "vendor/fonts/be-vietnam-pro-vietnamese-400-normal.woff2",
    "vendor/fonts/be-vietnam-pro-vietnamese-500-normal.woff2",
    "vendor/fonts/be-vietnam-pro-vietnamese-600-normal.woff2",
    "vendor/fonts/be-vietnam-pro-vietnamese-700-normal.woff2",
    "vendor/fonts/be-vietnam-pro-latin-400-normal.woff2",
    "vendor/fonts/be-vietnam-pro-latin-500-normal.woff2",
    "vendor/fonts/be-vietnam-pro-latin-600-normal.woff2",
    "vendor/fonts/be-vietnam-pro-latin-700-normal.woff2",
)
# The report form's map, kept too (best effort: a file that cannot be fetched does not stop the
# install), so that a report made without a network can still be placed on the map. The worker
# fetches them after the page has loaded, so the first visit is not slowed down.
MAP_STATIC = ("vendor/leaflet.css", "vendor/leaflet.js", "js/map.js")
# Leaflet's own images are asked for without a version (found from leaflet.css).
MAP_IMAGES = (
    "marker-icon.png",
    "marker-icon-2x.png",
    "marker-shadow.png",
    "layers.png",
    "layers-2x.png",
)
# The base map's layers (map.js's default layers), served by the areas module.
MAP_LAYERS = ("land", "neighbours", "province", "communes")
# Pages kept for use without a network, fetched by the worker WITHOUT cookies, so the copy
# is the anonymous one: never anybody's name, reports or token.
OFFLINE_PAGES = ("/offline", "/reports/new")


def _static_files() -> list[Path]:
    return sorted(
        p
        for p in STATIC_DIR.rglob("*")
        if p.is_file() and "test" not in p.relative_to(STATIC_DIR).parts[:2]
    )


@cache
def static_version() -> str:
    """A short hash of every static file: it versions the static URLs (long-cached) and
    names the service worker's cache, so a deployment with any changed file refreshes both."""
    digest = hashlib.sha256()
    for path in _static_files():
        digest.update(str(path.relative_to(STATIC_DIR)).encode())
        digest.update(path.read_bytes())
    digest.update(SW_SOURCE.read_bytes() if SW_SOURCE.exists() else b"")
    return digest.hexdigest()[:12]


def _static_context(request: Request, actor: Actor, face: str) -> dict[str, Any]:
    return {"static_version": static_version()}


register_page_context("static_version", _static_context)


_HOME_ORDER = {
    url: i
    for i, url in enumerate(
        (
            "/reports/new",
            "/feedback/new",
            "/me/reports",
            "/notices",
            "/reports",
            "/directory",
            "/me",
        )
    )
}


@router.get("/")
def portal_home(request: Request, actor: CurrentActor) -> Response:
    # The big actions come from the installed modules (the module contract), so the home page
    # offers only what this installation can do.
    actions = nav_for(request, "portal-home", actor, translator(request_locale(request)))
    # What people come for first: report, ask, follow, read the province's notices; the rest after.
    actions.sort(key=lambda a: _HOME_ORDER.get(a.url, len(_HOME_ORDER)))
    return render(
        request,
        "portal/home.html",
        {
            "actions": actions,
            "show_reporting": any(a.url.startswith("/reports") for a in actions),
        },
        face="portal",
    )


@cache
def _manifest(locale: str) -> bytes:
    _ = translator(locale)
    icons = [
        {"src": f"/static/img/icon-{n}.png", "sizes": f"{n}x{n}", "type": "image/png"}
        for n in (192, 512)
    ] + [
        {
            "src": f"/static/img/maskable-{n}.png",
            "sizes": f"{n}x{n}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for n in (192, 512)
    ]
    manifest = {
        "id": "/",
        "name": _("C-ThaiNguyen"),
        "short_name": _("C-ThaiNguyen"),
        "description": _(
            "Tell the province about a problem where you live, and follow it until it is fixed."
        ),
        "lang": locale,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["government", "utilities"],
        "icons": icons,
        "shortcuts": [
            {
                "name": _("Report a problem"),
                "url": "/reports/new",
                "icons": [{"src": "/static/img/icon-192.png", "sizes": "192x192"}],
            },
            {
                "name": _("My reports"),
                "url": "/me/reports",
                "icons": [{"src": "/static/img/icon-192.png", "sizes": "192x192"}],
            },
        ],
    }
    return json.dumps(manifest, ensure_ascii=False, indent=1).encode()


@router.get("/manifest.webmanifest")
def manifest(request: Request) -> Response:
    return Response(
        _manifest(request_locale(request)),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600", "Vary": "Cookie, Accept-Language"},
    )


@cache
def _service_worker() -> bytes:
    version = static_version()
    # Fonts are asked for by fonts.css without a version (their names carry the package's).
    shell = [
        f"/static/{p}" if p.startswith("vendor/fonts/") else f"/static/{p}?v={version}"
        for p in SHELL
        if (STATIC_DIR / p).exists()
    ]
    map_files = [f"/static/{p}?v={version}" for p in MAP_STATIC if (STATIC_DIR / p).exists()]
    map_files += [
        f"/static/vendor/images/{name}"
        for name in MAP_IMAGES
        if (STATIC_DIR / "vendor" / "images" / name).exists()
    ]
    config = {
        "version": version,
        "shell": shell,
        "pages": list(OFFLINE_PAGES),
        "map": map_files,
        "layers": [f"/geo/{name}.geojson" for name in MAP_LAYERS],
    }
    source = SW_SOURCE.read_text(encoding="utf-8")
    return source.replace("/*CONFIG*/{}", json.dumps(config)).encode()


@router.get("/sw.js")
def service_worker() -> Response:
    # Browsers re-check the worker on every navigation when it is not cached; "no-cache"
    # keeps that check cheap (the body only changes with the static files).
    return Response(
        _service_worker(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/offline")
def offline(request: Request) -> Response:
    """Shown by the service worker when a page cannot be loaded: no personal data."""
    response = render(request, "portal/offline.html", {"nav": []}, face="portal")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/csrf-token")
def csrf_token(request: Request) -> Response:
    """A fresh token for a queued report being sent later (the one in a page may be old)."""
    response = JSONResponse(
        {"token": csrf_token_for(request)}, headers={"Cache-Control": "no-store, private"}
    )
    new_anon = getattr(request.state, "new_anon", None)
    if new_anon:  # a first visit: the token is bound to this new anonymous browser id
        response.set_cookie(
            ANON_COOKIE,
            new_anon,
            httponly=True,
            samesite="lax",
            secure=get_settings(request).secure_cookies,
            max_age=60 * 60 * 24 * 30,
        )
    return response
