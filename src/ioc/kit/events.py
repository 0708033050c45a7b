"""The timeline and outbox. A service records what happened with :func:`record`, in its own
transaction; subscribers hear of it only after that transaction commits, never if it rolls back.

Two kinds of subscribers:

* **local handlers** (notifications, alert rules) run once, in the process that committed, in a
  new transaction of their own. When all of them succeed, the event's ``handled_at`` is set in
  that same transaction, so a crash between the commit and the handling leaves ``handled_at``
  empty and :func:`redeliver` runs them again: delivery is at least once, and local handlers
  must be idempotent.
* **broadcast handlers** (live feeds) run in every app process: in-process without Redis, or
  through Redis pub/sub when the bus is configured with a URL. Best effort: a process that is
  down misses them; the timeline does not.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast, overload

import h3
import redis
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    Double,
    Index,
    Integer,
    String,
    Table,
    select,
    text,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from ioc.db import Base, UTCDateTime, insert_returning_ids, utcnow
from ioc.kit.aftercommit import TransactionStash, sessionmaker_like
from ioc.kit.module import JobSpec

log = logging.getLogger(__name__)

SEVERITIES = ("info", "notice", "warning", "critical")
VISIBILITIES = ("public", "staff", "agency", "internal")
H3_RESOLUTION = 9
TITLE_MAX = 300
DEFAULT_CHANNEL = "ioc:events"
PUBLISH_PAUSE_SECONDS = 10.0
# session.info key naming the bus that dispatches a session's events (default: ``bus``).
BUS_INFO_KEY = "ioc.events.bus"


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_type_occurred_at", "type", "occurred_at"),
        Index("ix_events_subject", "subject_type", "subject_id", "occurred_at"),
        Index("ix_events_area_code_occurred_at", "area_code", "occurred_at"),
        # Only events still waiting for their local handlers: what redeliver scans. Partial,
        # so it stays tiny however long the timeline grows.
        Index(
            "ix_events_unhandled",
            "id",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Users live in another table that may be anonymised or purged; the timeline keeps the id.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Double)
    lon: Mapped[float | None] = mapped_column(Double)
    h3_cell: Mapped[str | None] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(10), default="info")
    visibility: Mapped[str] = mapped_column(String(10), default="staff")
    agency_id: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Failed local dispatches; redeliver gives up at a limit so a poison event cannot starve
    # the others (it stays visible as unhandled).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EventOut(BaseModel):
    """An event as subscribers, the JSON API and the Redis message see it."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    type: str
    occurred_at: datetime
    actor_id: int | None = None
    subject_type: str
    subject_id: str
    area_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    h3_cell: str | None = None
    severity: str = "info"
    visibility: str = "staff"
    agency_id: int | None = None
    title: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls.model_validate(event)

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> EventOut:
        return cls.model_validate_json(data)


# --- Recording -------------------------------------------------------------------------------


def values(
    type: str,
    *,
    subject_type: str,
    subject_id: str | int,
    actor_id: int | None = None,
    title: str = "",
    area_code: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    severity: str = "info",
    visibility: str = "staff",
    agency_id: int | None = None,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """An event's row, checked: what :func:`record` adds and :func:`insert_many` writes."""
    if not type:
        raise ValueError("an event needs a type")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, not {visibility!r}")
    if (lat is None) != (lon is None):
        raise ValueError("lat and lon are given together or not at all")
    cell = None
    if lat is not None and lon is not None:
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"not a position on Earth: {lat}, {lon}")
        cell = str(h3.latlng_to_cell(lat, lon, H3_RESOLUTION))
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    return {
        "type": type,
        "occurred_at": occurred_at or utcnow(),
        "actor_id": actor_id,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "area_code": area_code,
        "lat": lat,
        "lon": lon,
        "h3_cell": cell,
        "severity": severity,
        "visibility": visibility,
        "agency_id": agency_id,
        "title": title,
        "payload": dict(payload or {}),
        "attempts": 0,
        "handled_at": None,
    }


def record(
    session: Session,
    type: str,
    *,
    subject_type: str,
    subject_id: str | int,
    actor_id: int | None = None,
    title: str = "",
    area_code: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    severity: str = "info",
    visibility: str = "staff",
    agency_id: int | None = None,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    flush: bool = True,
) -> Event:
    """Add an event in the caller's transaction; it is dispatched when that transaction commits.

    Subscribers get the event as it is after the flush that gives it its id; later changes to
    the returned row are stored but not dispatched. With ``flush=False`` the row waits for the
    session's next flush (at the latest the commit's), so that several events of one unit of
    work go to the database in one statement; the returned row then has no id yet.

    An event that no local handler of this process subscribes to is stored already handled
    (see :meth:`EventBus.needs_local`), so that its dispatch costs no second transaction."""
    row_values = values(
        type,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_id=actor_id,
        title=title,
        area_code=area_code,
        lat=lat,
        lon=lon,
        severity=severity,
        visibility=visibility,
        agency_id=agency_id,
        payload=payload,
        occurred_at=occurred_at,
    )
    return add(session, row_values, flush=flush)


def add(session: Session, row_values: dict[str, Any], *, flush: bool = True) -> Event:
    """:func:`record` for a row made by :func:`values`."""
    row_values = dict(row_values)
    target: EventBus = session.info.get(BUS_INFO_KEY) or bus
    if row_values.get("handled_at") is None and not target.needs_local(row_values["type"]):
        row_values["handled_at"] = row_values["occurred_at"]
    row = Event(**row_values)
    session.add(row)
    if flush:
        session.flush()
        _committed_events.add(session, EventOut.of(row))
    else:
        session.info.setdefault(_UNFLUSHED_KEY, []).append(row)
    return row


_EVENTS_TABLE = cast(Table, Event.__table__)


def insert_many(
    connection: Connection, rows: Sequence[dict[str, Any]], *, event_bus: EventBus | None = None
) -> list[EventOut]:
    """Write events made by :func:`values` on ``connection`` in one statement, below the ORM
    (bulk intake). Nothing is dispatched here: after the commit, the caller hands the returned
    events to the bus (:meth:`EventBus.dispatch`), or stashes them on the ORM session whose
    transaction this connection belongs to (:func:`stash`), which dispatches them at its commit
    and forgets them if it rolls back."""
    if not rows:
        return []
    target = event_bus or bus
    prepared = []
    for row in rows:
        one = dict(row)
        if one.get("handled_at") is None and not target.needs_local(one["type"]):
            one["handled_at"] = one["occurred_at"]
        prepared.append(one)
    ids = insert_returning_ids(connection, _EVENTS_TABLE, prepared)
    # Checked by values() already: built without validating again.
    return [
        EventOut.model_construct(
            id=event_id, **{name: one[name] for name in _OUT_FIELDS if name in one}
        )
        for one, event_id in zip(prepared, ids, strict=True)
    ]


_OUT_FIELDS = tuple(name for name in EventOut.model_fields if name != "id")


def stash(session: Session, committed_with_session: Iterable[EventOut]) -> None:
    """Dispatch events written by :func:`insert_many` in ``session``'s transaction when it
    commits (never if it rolls back), like those added with :func:`record`."""
    for one in committed_with_session:
        _committed_events.add(session, one)


_UNFLUSHED_KEY = "ioc.events.unflushed"


@sa_event.listens_for(Session, "after_flush_postexec")
def _stash_flushed(session: Session, _context: Any) -> None:
    """Events recorded with ``flush=False`` join the transaction's stash once flushed."""
    waiting: list[Event] | None = session.info.get(_UNFLUSHED_KEY)
    if not waiting:
        return
    left: list[Event] = []
    for row in waiting:
        if row.id is None:
            left.append(row)  # not flushed yet (or dropped with a rolled-back savepoint)
        else:
            _committed_events.add(session, EventOut.of(row))
    session.info[_UNFLUSHED_KEY] = left


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_unflushed(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_UNFLUSHED_KEY, None)


def _on_transaction_end(session: Session, committed: list[EventOut], _: list[EventOut]) -> None:
    # Rolled-back events are simply forgotten: nobody ever heard of them.
    if committed:
        target: EventBus = session.info.get(BUS_INFO_KEY) or bus
        # Events recorded by handlers go to the same bus.
        target.dispatch(committed, sessionmaker_like(session, info={BUS_INFO_KEY: target}))


_committed_events: TransactionStash[EventOut] = TransactionStash(
    "ioc.events.pending", _on_transaction_end
)


# --- The bus -------------------------------------------------------------------------------

LocalHandler = Callable[[Session, EventOut], object]
BroadcastHandler = Callable[[EventOut], object]


@dataclass(frozen=True)
class _Subscription:
    handler: Callable[..., object]
    exact: frozenset[str] | None  # None: every type
    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, handler: Callable[..., object], types: Iterable[str] | None) -> _Subscription:
        if types is None:
            return cls(handler, None, ())
        names = list(types)
        return cls(
            handler,
            frozenset(n for n in names if not n.endswith(".*")),
            tuple(n[:-1] for n in names if n.endswith(".*")),
        )

    def matches(self, event_type: str) -> bool:
        if self.exact is None:
            return True
        return event_type in self.exact or event_type.startswith(self.prefixes)


def _name(handler: Callable[..., object]) -> str:
    return getattr(handler, "__qualname__", None) or repr(handler)


class EventBus:
    """Hands committed events to subscribers. One per process (``bus``), configured at start."""

    def __init__(self, *, redis_url: str = "", channel: str = DEFAULT_CHANNEL) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self._lock = threading.Lock()
        # Tuples replaced whole under the lock, so dispatching threads read them without it.
        self._local: tuple[_Subscription, ...] = ()
        self._broadcast: tuple[_Subscription, ...] = ()
        # needs_local's answers, each with the subscriptions it was computed from.
        self._needs: dict[str, tuple[tuple[_Subscription, ...], bool]] = {}
        self._client: redis.Redis[bytes] | None = None
        self._publish_paused_until = 0.0
        self._listener: threading.Thread | None = None
        self._stopping = threading.Event()
        self._subscribed = threading.Event()

    def configure(self, *, redis_url: str = "", channel: str = DEFAULT_CHANNEL) -> None:
        """Fan out through Redis (empty URL: in-process). Call before :meth:`start`."""
        if self._listener is not None:
            raise RuntimeError("configure the event bus before starting it")
        self.redis_url = redis_url
        self.channel = channel
        self._client = None

    @overload
    def subscribe(
        self,
        handler: LocalHandler,
        *,
        types: Iterable[str] | None = None,
        broadcast: Literal[False] = False,
    ) -> Callable[[], None]: ...

    @overload
    def subscribe(
        self, handler: BroadcastHandler, *, types: Iterable[str] | None = None, broadcast: bool
    ) -> Callable[[], None]: ...

    def subscribe(
        self,
        handler: Callable[..., object],
        *,
        types: Iterable[str] | None = None,
        broadcast: bool = False,
    ) -> Callable[[], None]:
        """Register a handler for ``types`` (exact names or ``"prefix.*"``; None: all).

        Local handlers are called ``handler(session, event)`` inside a savepoint of a fresh
        transaction, once, in the committing process; they must be idempotent (redelivery) and
        should only write rows (queue a message, open an alert), leaving slow outside work to
        jobs. Broadcast handlers are called ``handler(event)`` in every process, from the
        committing thread or the Redis listener thread: they must return quickly (hand the
        event to a queue). Returns a function that unsubscribes."""
        sub = _Subscription.of(handler, types)
        with self._lock:
            if broadcast:
                self._broadcast = (*self._broadcast, sub)
            else:
                self._local = (*self._local, sub)

        def unsubscribe() -> None:
            with self._lock:
                self._broadcast = tuple(s for s in self._broadcast if s is not sub)
                self._local = tuple(s for s in self._local if s is not sub)

        return unsubscribe

    def needs_local(self, event_type: str) -> bool:
        """Whether an event of this type waits for local handlers. A process that subscribed
        none at all (a script, a bare shell) cannot tell, and leaves every event to
        :func:`redeliver` in a process that has them; in one that has them (the app, the
        worker: every process of an installation imports the same modules), an event that no
        handler subscribes to is done as soon as it is committed."""
        local = self._local
        known = self._needs.get(event_type)
        if known is not None and known[0] is local:
            return known[1]
        needed = not local or any(s.matches(event_type) for s in local)
        self._needs[event_type] = (local, needed)  # until the subscriptions change
        return needed

    # Dispatch ------------------------------------------------------------------------------

    def dispatch(self, events: Sequence[EventOut], factory: sessionmaker[Session]) -> None:
        """After commit: broadcast, then local handlers. Never raises; failures are logged."""
        try:
            self.broadcast(events)
        except Exception:
            log.exception("broadcasting %d event(s) failed", len(events))
        try:
            self._handle_committed(events, factory)
        except Exception:
            log.exception("local handling of %d event(s) failed", len(events))

    def broadcast(self, events: Sequence[EventOut]) -> None:
        if not self.redis_url:
            for one in events:
                self.deliver(one)
            return
        # While Redis is down, skip publishing for a while rather than make every commit wait
        # for a connection timeout; live feeds miss those events, the timeline keeps them.
        if time.monotonic() < self._publish_paused_until:
            log.debug("Redis unavailable; %d event(s) not broadcast", len(events))
            return
        try:
            # Every process, this one included, receives these through its listener thread.
            with self._redis().pipeline(transaction=False) as pipe:
                for one in events:
                    pipe.publish(self.channel, one.to_json())
                pipe.execute()
        except redis.RedisError:
            self._publish_paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
            raise

    def deliver(self, event: EventOut) -> None:
        """Run this process's broadcast handlers."""
        for sub in self._broadcast:
            if sub.matches(event.type):
                try:
                    sub.handler(event)
                except Exception:
                    log.exception(
                        "broadcast handler %s failed on event %s", _name(sub.handler), event.id
                    )

    def handle(self, session: Session, event: EventOut) -> bool:
        """Run the local handlers, each in a savepoint; True when all succeeded."""
        ok = True
        for sub in self._local:
            if not sub.matches(event.type):
                continue
            try:
                with session.begin_nested():
                    sub.handler(session, event)
            except Exception:
                ok = False
                log.exception(
                    "event handler %s failed on event %s (%s)",
                    _name(sub.handler),
                    event.id,
                    event.type,
                )
        return ok

    def _handle_committed(self, events: Sequence[EventOut], factory: sessionmaker[Session]) -> None:
        if not self._local:
            # A process that subscribed no local handler at all (a script, a bare shell) cannot
            # tell whether an event needs one: it leaves the event to redeliver, run by a
            # process that has them, rather than mark it handled and lose a notification.
            return
        # Events no local handler subscribes to were stored handled (needs_local): no
        # transaction at all for them.
        local = self._local
        events = [e for e in events if any(s.matches(e.type) for s in local)]
        if not events:
            return
        # Handlers' work and handled_at commit together: if this transaction is lost, so is
        # the mark, and redeliver runs the (idempotent) handlers again.
        with factory() as session:
            handled: list[int] = []
            failed: list[int] = []
            for one in events:
                (handled if self.handle(session, one) else failed).append(one.id)
            _mark(session, handled, failed, utcnow())
            session.commit()

    # Redis listener ------------------------------------------------------------------------

    def start(self, wait_seconds: float = 5.0) -> None:
        """Start listening to Redis (nothing to do without it). Waits until subscribed, so
        that no event committed after ``start`` returns is missed."""
        if not self.redis_url or self._listener is not None:
            return
        self._stopping.clear()
        self._subscribed.clear()
        self._listener = threading.Thread(target=self._listen, name="ioc-events", daemon=True)
        self._listener.start()
        if not self._subscribed.wait(wait_seconds):
            log.warning("event bus not yet subscribed to %s; will keep trying", self.channel)

    def stop(self, timeout: float = 5.0) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stopping.set()
        listener.join(timeout)

    def _redis(self) -> redis.Redis[bytes]:
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.redis_url,
                socket_connect_timeout=3,
                socket_timeout=5,
                health_check_interval=30,
            )
        return self._client

    def _listen(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            pubsub = None
            try:
                pubsub = self._redis().pubsub()
                pubsub.subscribe(self.channel)
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._subscribed.set()
                        backoff = 0.5
                    elif message["type"] == "message":
                        self._receive(message["data"])
            except redis.RedisError:
                # Pub/sub keeps nothing for absent listeners: events published meanwhile are
                # missed by this process's live feeds (the timeline still has them).
                log.warning("event bus lost Redis; retrying in %.1fs", backoff, exc_info=True)
                self._subscribed.clear()
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(redis.RedisError):
                        pubsub.close()

    def _receive(self, data: bytes | str) -> None:
        try:
            one = EventOut.from_json(data)
        except ValueError:
            log.warning("ignoring a malformed message on %s", self.channel)
            return
        self.deliver(one)


def _mark(session: Session, handled: list[int], failed: list[int], now: datetime) -> None:
    # Chunks keep the IN lists under every backend's bound-parameter limit (a seed can commit
    # thousands of events at once).
    for start in range(0, len(handled), 500):
        session.execute(
            update(Event)
            .where(Event.id.in_(handled[start : start + 500]))
            .values(handled_at=now)
            .execution_options(synchronize_session=False)
        )
    for start in range(0, len(failed), 500):
        session.execute(
            update(Event)
            .where(Event.id.in_(failed[start : start + 500]))
            .values(attempts=Event.attempts + 1)
            .execution_options(synchronize_session=False)
        )


bus = EventBus()


# --- Redelivery ----------------------------------------------------------------------------


def redeliver(
    session: Session,
    bus: EventBus = bus,
    older_than: timedelta = timedelta(seconds=30),
    limit: int = 500,
    *,
    max_attempts: int = 10,
    now: datetime | None = None,
) -> int:
    """Run the local handlers again for events whose handling never completed (a crash after
    commit, a failing handler). Handlers must therefore be idempotent: use dedupe keys, or
    check before inserting. ``older_than`` leaves events that are being dispatched right now
    alone; after ``max_attempts`` failures an event is left for a person to look at. Returns
    how many events were handled."""
    cutoff = (now or utcnow()) - older_than
    rows = session.scalars(
        select(Event)
        .where(
            Event.handled_at.is_(None),
            Event.attempts < max_attempts,
            Event.occurred_at <= cutoff,
        )
        .order_by(Event.id)
        .limit(limit)
        # Sessions keep objects across commits (expire_on_commit=False): reload what the
        # dispatcher's own transaction changed since.
        .execution_options(populate_existing=True)
    ).all()
    handled = 0
    for row in rows:
        if bus.handle(session, EventOut.of(row)):
            row.handled_at = utcnow()
            handled += 1
        else:
            row.attempts += 1
    session.flush()
    return handled


def redelivery_job(
    event_bus: EventBus = bus, *, interval: timedelta = timedelta(minutes=1)
) -> JobSpec:
    def run(session: Session) -> int:
        return redeliver(session, event_bus)

    return JobSpec(
        name="kit.events.redeliver",
        func=run,
        interval=interval,
        description="Re-run local event handlers whose first run did not complete.",
    )
