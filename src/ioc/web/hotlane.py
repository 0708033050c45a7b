"""The hot lane: the few routes whose throughput is the framework's, served without FastAPI's
and Starlette's middleware chain.

A request to the app passes a dozen layers before it reaches a route (FastAPI's telemetry
wrapper, Starlette's server-error middleware, ours, gzip, the exception middleware, the
async-exit-stack middleware, the router walking every module's routes, the request/response
wrapper, each with its own ``send`` wrapper). For a page that is nothing; for bulk Open311
intake it was a fifth of the CPU a report cost (bench/README.md, "Fifth round"). Routes a
module lists in ``Module.hot_routes`` are matched here first, each with its one regular
expression, and run with only what every request must have, the same code as everywhere:

- ``RequestContextMiddleware`` (request id, security headers and CSP, metrics, access log, the
  NUL scrubbing of paths and queries, the denials' context) without compression (their answers
  are short);
- the app's error answers (``error_pages.response_for``: an ``IocError`` as the module's
  renderer shows it, anything unexpected logged and answered 500 like everywhere).

What they do not get, and must not need: FastAPI's dependencies (no app-wide CSRF check: a hot
route authenticates by other means, such as an API key), its request validation, the OpenAPI
document. Anything else is served by the app as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ioc.web import error_pages
from ioc.web.middleware import RequestContextMiddleware


class HotLane:
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes: tuple[Route, ...] = ()
        for route in routes:
            if not isinstance(route, Route):
                raise TypeError(f"hot routes are plain Starlette routes, not {route!r}")
            self.routes += (route,)
        self._served: ASGIApp = RequestContextMiddleware(_dispatch, compress=False)

    def match(self, scope: Scope) -> bool:
        """Whether one of the routes takes this HTTP request (method included); if so, the
        scope now holds its endpoint, path parameters and route."""
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                scope.update(child)
                scope["route"] = route
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._served(scope, receive, send)


async def _dispatch(scope: Scope, receive: Receive, send: Send) -> None:
    route: Route = scope["route"]
    request = Request(scope, receive, send)
    try:
        response = await route.endpoint(request)
    except Exception as error:  # what the app's exception handlers would answer
        response = error_pages.response_for(request, error)
    await response(scope, receive, send)
