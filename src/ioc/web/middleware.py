"""One pure ASGI middleware for every request: request id, security headers, cache headers of
static files, gzip compression of text, timing, metrics and the access log. Pure ASGI (not
BaseHTTPMiddleware) so streams (server-sent events) pass through untouched and the overhead
stays small."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ioc.web.deps import pending_denials

log = logging.getLogger("ioc.access")

REQUESTS = Counter("ioc_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "ioc_http_request_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# Styles allow inline attributes (Leaflet and ECharts set element styles); scripts only from
# this site. Alpine.js evaluates its expressions, hence 'unsafe-eval'.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), geolocation=(self), microphone=()"),
]


# Static files: a URL with the files' version (?v=<hash>, see portal.pages.static_version)
# never changes under that name; the web fonts are named after their package's version; any
# other static URL is checked again each time (a cheap 304 thanks to its ETag).
IMMUTABLE = b"public, max-age=31536000, immutable"
FONTS = b"public, max-age=2592000"
REVALIDATE = b"no-cache"


def static_cache_control(path: str, query: bytes) -> bytes | None:
    if not path.startswith("/static/"):
        return None
    if b"v=" in query:
        return IMMUTABLE
    if path.startswith("/static/vendor/fonts/"):
        return FONTS
    return REVALIDATE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, csp: str = CSP, compress: bool = True) -> None:
        # Text (pages, JSON, CSS, JS, GeoJSON) is compressed when the client accepts gzip;
        # images, fonts and event streams are left alone (Starlette's exclusions).
        self.app = GZipMiddleware(app, minimum_size=600, compresslevel=6) if compress else app
        self.csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        # NUL characters are never meaningful in a path or query here, and PostgreSQL refuses
        # them in text: drop them at the door rather than fail deep in a query.
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            scope["query_string"] = query.replace(b"%00", b"").replace(b"\x00", b"")
        if "\x00" in scope["path"]:
            scope["path"] = scope["path"].replace("\x00", "")
            scope["raw_path"] = scope["path"].encode()
        # Not uuid4: os.urandom releases the GIL, and taking it back meant waiting for the
        # intake writer's thread to yield (up to the switch interval) for every request. An id
        # only has to tell requests apart in the logs; random is reseeded in each forked worker.
        request_id = f"{random.getrandbits(64):016x}"
        scope.setdefault("state", {})["request_id"] = request_id
        status_holder: dict[str, Any] = {"status": 500}
        path: str = scope["path"]
        cache_control = static_cache_control(path, scope.get("query_string", b""))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                names = {name for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                for name, value in SECURITY_HEADERS:
                    if name not in names:
                        headers.append((name, value))
                if b"content-security-policy" not in names and not path.startswith("/api/docs"):
                    headers.append((b"content-security-policy", self.csp))
                if cache_control and b"cache-control" not in names and message["status"] < 400:
                    headers.append((b"cache-control", cache_control))
                message["headers"] = headers
            await send(message)

        denials_token = pending_denials.set([])
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            pending_denials.reset(denials_token)
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            route_name = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            status = status_holder["status"]
            REQUESTS.labels(method, route_name, str(status)).inc()
            LATENCY.labels(method, route_name).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": method,
                        "path": path,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    },
                )
