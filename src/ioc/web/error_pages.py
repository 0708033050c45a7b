"""One place where errors become responses: a page for people, JSON for programs. Modules with
their own error shapes (Open311) register a renderer for their path prefix."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ioc.errors import FieldError, IocError, NotAuthenticated, RateLimited
from ioc.kit.i18n import translator
from ioc.web.deps import request_locale
from ioc.web.templating import render

log = logging.getLogger(__name__)

ErrorRenderer = Callable[[Request, IocError], Response]
_renderers: list[tuple[str, ErrorRenderer]] = []

STATUS_TITLES = {
    400: "The request could not be understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Please check your input",
    429: "Too many attempts",
    500: "Something went wrong",
}


def register_renderer(prefix: str, renderer: ErrorRenderer) -> None:
    _renderers.append((prefix, renderer))


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/readyz")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_payload(request: Request, error: IocError) -> dict[str, Any]:
    _ = translator(request_locale(request))
    return {
        "error": {
            "code": error.code,
            "message": _(error.message, **error.params),
            "fields": [
                {"field": e.field, "message": _(e.message, **e.params)} for e in error.errors
            ],
        }
    }


def respond(request: Request, error: IocError) -> Response:
    for prefix, renderer in _renderers:
        if request.url.path.startswith(prefix):
            return renderer(request, error)
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if wants_json(request):
        return JSONResponse(
            error_payload(request, error), status_code=error.status_code, headers=headers
        )
    if isinstance(error, NotAuthenticated) and request.method == "GET":
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/signin?next={target}", status_code=303)
    _ = translator(request_locale(request))
    face = "console" if request.url.path.startswith(("/console", "/admin")) else "portal"
    response = render(
        request,
        "errors/error.html",
        {
            "status_code": error.status_code,
            "title": _(STATUS_TITLES.get(error.status_code, "Error")),
            "message": _(error.message, **error.params),
            "field_errors": [_(e.message, **e.params) for e in error.errors],
        },
        face="portal" if face == "console" and not getattr(request.state, "actor", None) else face,
        status_code=error.status_code,
    )
    for key, value in headers.items():
        response.headers[key] = value
    return response


_HTTP_MESSAGES = {
    404: "The page you asked for does not exist.",
    405: "This method is not allowed here.",
    413: "What you sent is too large.",
}


def _validation_error(exc: RequestValidationError) -> IocError:
    errors = []
    for item in exc.errors():
        loc = [
            str(p)
            for p in item.get("loc", ())
            if p not in ("body", "query", "path", "form", "header", "cookie")
        ]
        name = ".".join(loc) or "request"
        kind = item.get("type", "")
        if kind == "missing":
            errors.append(FieldError(name, "This field is required."))
        elif "int" in kind or "float" in kind or "number" in kind:
            errors.append(FieldError(name, "Enter a number."))
        else:
            errors.append(FieldError(name, "This value is not valid."))
    error = IocError("Please check the fields marked.", errors=errors)
    error.status_code = 422
    error.code = "validation"
    return error


def _http_error(exc: StarletteHTTPException) -> IocError:
    error = IocError(_HTTP_MESSAGES.get(exc.status_code, str(exc.detail)))
    error.status_code = exc.status_code
    error.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
    return error


def _server_error() -> IocError:
    error = IocError("Something went wrong on our side. It has been logged; please try again.")
    error.status_code = 500
    error.code = "server_error"
    return error


def response_for(request: Request, exc: Exception) -> Response:
    """The answer to any exception: what the app's exception handlers give, and the hot lane
    (``ioc.web.hotlane``), which runs outside them."""
    if isinstance(exc, IocError):
        return respond(request, exc)
    if isinstance(exc, RequestValidationError):
        return respond(request, _validation_error(exc))
    if isinstance(exc, StarletteHTTPException):
        return respond(request, _http_error(exc))
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return respond(request, _server_error())


def install(app: FastAPI) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        return response_for(request, exc)

    for kind in (IocError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, handler)
