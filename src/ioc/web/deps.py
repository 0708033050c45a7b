"""Request dependencies: the unit of work, the acting person, CSRF, language."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from ioc.config import Settings
from ioc.db import Database
from ioc.errors import CsrfFailed
from ioc.kit import auth
from ioc.kit.i18n import normalise_locale
from ioc.kit.permissions import ANONYMOUS, Actor, Grant

T = TypeVar("T")
SESSION_COOKIE = "ioc_session"
ANON_COOKIE = "ioc_anon"
LANG_COOKIE = "ioc_lang"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Open311 clients authenticate with api_key and never carry our cookies, so CSRF cannot apply.
CSRF_EXEMPT_PREFIXES = ("/open311/",)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@dataclass(frozen=True)
class Denial:
    user_id: int | None
    label: str
    permission: str
    subject_type: str
    subject_id: str


# Denials seen during a request, audited once its unit of work has ended: the request then
# rolls back (the denial is an error), and the audit entry must not go with it.
pending_denials: ContextVar[list[Denial] | None] = ContextVar("pending_denials", default=None)


def db_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back if it
    raises. Used with scope="function" so the commit happens before the response is sent."""
    database = get_database(request)
    write = request.method in UNSAFE_METHODS or getattr(request.state, "writes", False)
    try:
        with database.session(write=write) as session:
            yield session
    finally:
        denials = pending_denials.get()
        if denials:
            from ioc.kit import audit

            with database.session() as other:
                for d in denials:
                    audit.log(
                        other,
                        "permission.denied",
                        actor_id=d.user_id,
                        actor_label=d.label,
                        subject_type=d.subject_type,
                        subject_id=d.subject_id,
                        ip=client_ip(request),
                        detail={"permission": d.permission},
                    )
            denials.clear()


DbSession = Annotated[Session, Depends(db_session, scope="function")]


async def _mark_writing(request: Request) -> None:
    request.state.writes = True


# For the few safe-method routes that write (audited views, exports): declared as the route's
# FIRST parameter, so the request's unit of work is opened as a writing one.
Writes = Annotated[None, Depends(_mark_writing)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_key(request: Request) -> str:
    """What CSRF tokens are bound to: the sign-in token, else an anonymous browser id."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return token
    anon = request.cookies.get(ANON_COOKIE) or getattr(request.state, "new_anon", None)
    if not anon:
        anon = secrets.token_urlsafe(24)
        request.state.new_anon = anon
    return str(anon)


def csrf_token_for(request: Request) -> str:
    return auth.csrf_token(get_settings(request).resolved_secret_key, session_key(request))


async def csrf_protect(request: Request) -> None:
    """Every state-changing request made with cookies carries the token (form field
    ``csrf_token`` or header ``X-CSRF-Token``). API clients with a bearer token are exempt."""
    if request.method not in UNSAFE_METHODS:
        return
    if request.url.path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    token = request.headers.get("x-csrf-token")
    if not token:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            token = value if isinstance(value, str) else None
    key = request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE) or ""
    if not key or not auth.csrf_valid(get_settings(request).resolved_secret_key, key, token):
        raise CsrfFailed(
            "This form has expired or was not sent from this site. Reload the page and try again."
        )


def current_actor(request: Request, session: DbSession) -> Actor:
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    actor = ANONYMOUS
    settings = get_settings(request)
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        token = auth.verify_api_token(session, bearer[7:].strip())
        if token is not None:
            grants: tuple[Grant, ...] = ()
            if token.user_id is not None:
                user = session.get(auth.User, token.user_id)
                if user is not None and user.is_active:
                    grants = auth.actor_for(session, user).grants
            actor = Actor(
                user_id=token.user_id,
                display_name=token.name,
                grants=grants,
                kind="api",
                api_scopes=frozenset(token.scopes),
            )
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            user = auth.load_session(
                session, cookie, lifetime=timedelta(days=settings.session_days), touch=False
            )
            if user is not None:
                actor = auth.actor_for(session, user)
    request.state.actor = actor
    stale = session.info.pop("ioc_session_touch", None)
    # Give the connection back now: the route runs in another worker thread, and a request
    # holding a pooled connection while it waits for a thread can starve the pool (seen under
    # load: every thread waiting for a connection, every connection waiting for a thread).
    session.commit()
    if stale:
        # Sliding expiry is a write: done in a short writing unit of work of its own, so that
        # read-only requests never upgrade their transaction to a write.
        with get_database(request).session(write=True) as other:
            auth.touch_session(other, stale, lifetime=timedelta(days=settings.session_days))
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def commit_in_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a synchronous route so that its unit of work commits (or rolls back) in the same
    worker thread that ran it, before the thread is given back. The dependency's own exit then
    finds nothing left to do. See ``current_actor`` for why a connection must not outlive its
    thread."""

    @functools.wraps(endpoint)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sessions = [v for v in kwargs.values() if isinstance(v, Session)]
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            for session in sessions:
                session.rollback()
            raise
        for session in sessions:
            session.commit()
        return result

    wrapper.__ioc_unit_of_work__ = True  # type: ignore[attr-defined]
    return wrapper


async def run_unit_of_work(session: Session, work: Callable[[], T]) -> T:
    """For async routes: run blocking work in a worker thread and commit in that same thread."""

    def unit() -> T:
        try:
            result = work()
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return result

    return await run_in_threadpool(unit)


def request_locale(request: Request) -> str:
    return normalise_locale(
        request.cookies.get(LANG_COOKIE) or get_settings(request).default_locale
    )
