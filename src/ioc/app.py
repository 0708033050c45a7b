"""create_app(settings): builds the FastAPI application and mounts every installed module."""

from __future__ import annotations

import gc
import inspect
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.types import Receive, Scope, Send

from ioc import migrate
from ioc.config import Settings
from ioc.db import Database
from ioc.kit import audit, auth, events, jobs, notify
from ioc.kit import permissions as perms
from ioc.kit.module import JobSpec
from ioc.modules import define_permissions
from ioc.web import error_pages
from ioc.web.deps import Denial, commit_in_thread, csrf_protect, pending_denials
from ioc.web.hotlane import HotLane
from ioc.web.middleware import RequestContextMiddleware

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "web" / "static"


def _audit_denials(db: Database) -> None:
    def hook(actor: perms.Actor, permission: str, target: object | None) -> None:
        if not actor.is_authenticated:
            return  # anonymous visitors are sent to sign in; nothing personal was asked for
        denial = Denial(
            user_id=actor.user_id,
            label=actor.display_name,
            permission=permission,
            subject_type=type(target).__name__ if target is not None else "",
            subject_id=str(getattr(target, "code", getattr(target, "id", "")) or ""),
        )
        buffer = pending_denials.get()
        if buffer is not None:
            buffer.append(denial)
            return
        with db.session() as session:
            audit.log(
                session,
                "permission.denied",
                actor_id=denial.user_id,
                actor_label=denial.label,
                subject_type=denial.subject_type,
                subject_id=denial.subject_id,
                detail={"permission": permission},
            )

    perms.on_denied(hook)


def _commit_sync_routes(router: APIRouter) -> None:
    """Synchronous routes commit in their own worker thread (see deps.commit_in_thread).
    Both the endpoint and the dependant are replaced: including a router copies routes from
    their endpoints."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or inspect.iscoroutinefunction(route.endpoint):
            continue
        if getattr(route.endpoint, "__ioc_unit_of_work__", False):
            continue
        wrapped = commit_in_thread(route.endpoint)
        route.endpoint = wrapped
        object.__setattr__(route.dependant, "call", wrapped)


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    db = database or Database(settings.resolved_database_url)
    modules = define_permissions()
    registry = jobs.JobRegistry()
    # The kit's own periodic work: at-least-once event handling and the notification outbox.
    registry.register(events.redelivery_job())
    registry.register(notify.delivery_job(notify.channels_from_settings(settings)))
    registry.register(
        JobSpec(
            "kit.auth.purge",
            auth.purge_expired,
            timedelta(hours=1),
            "Remove ended sessions and old sign-in attempts",
        )
    )
    for module in modules:
        for spec in module.jobs:
            registry.register(spec)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The event loop thread holds the GIL for up to the switch interval before a thread
        # that waited on I/O (the intake writer after a database round trip, a sync route's
        # query) gets it back. Python's 5 ms made every round trip of the writer cost up to
        # 5 ms under load; 1 ms doubled bulk intake on PostgreSQL (bench/README.md).
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        # Everything built so far (modules, the app, caches) lives as long as the process:
        # out of the collector's sight, so that a full collection under load does not walk it
        # (it showed in the intake's p99).
        # (Not in tests: apps come and go there, and frozen cycles are never collected.)
        if settings.env != "test":
            gc.collect()
            gc.freeze()
        if settings.redis_url:
            events.bus.configure(redis_url=settings.redis_url)
        events.bus.start()
        scheduler = None
        if settings.scheduler and settings.env != "test":
            owner = f"{socket.gethostname()}:{os.getpid()}"
            scheduler = jobs.Scheduler(db, registry, owner)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            events.bus.stop()

    app = IocApp(
        title="IOC Thái Nguyên API",
        version="1.0",
        description="JSON API of the Intelligent Operations Centre of Thái Nguyên province.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.db = db
    app.state.modules = modules
    app.state.jobs = registry
    app.state.nav = {}
    for module in modules:
        for entry in module.nav:
            app.state.nav.setdefault(entry.face, []).append(entry)
    for face_entries in app.state.nav.values():
        face_entries.sort(key=lambda e: e.order)

    _audit_denials(db)
    error_pages.install(app)
    app.add_middleware(RequestContextMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _operations_routes(app, db)
    from ioc.web import auth_pages

    for router in (auth_pages.router, *(r for m in modules for r in m.routers)):
        _commit_sync_routes(router)
        app.include_router(router)
    # First of all, without the framework's layers: matched with one regular expression each.
    app.hot_lane = HotLane([route for m in modules for route in m.hot_routes])
    return app


class IocApp(FastAPI):
    """The app: FastAPI, but a request for one of the modules' hot routes goes down the hot
    lane (``ioc.web.hotlane``) instead of the middleware chain."""

    hot_lane: HotLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.hot_lane
        if lane is not None and scope["type"] == "http" and lane.match(scope):
            scope["app"] = self
            await lane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


GIL_SWITCH_INTERVAL_S = 0.001


def _operations_routes(app: FastAPI, db: Database) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        checks: dict[str, str] = {}
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise
            checks["database"] = f"error: {type(exc).__name__}"
        if checks["database"] == "ok":
            try:
                checks["migrations"] = "ok" if migrate.is_current(db.engine) else "pending"
            except Exception as exc:
                checks["migrations"] = f"error: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
