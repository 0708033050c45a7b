"""The live feed: committed events pushed to every open console over server-sent events.

One hub per application. It subscribes to the event bus as a *broadcast* handler, so with
``IOC_REDIS_URL`` set every process hears every event and serves its own clients. The hub holds
a bounded queue per client: an event reaches the server's loop with one hop
(``call_soon_threadsafe``) whatever the number of clients, is filtered there by each client's
scope, and a client whose queue is full is dropped (its browser reconnects and catches up from
``Last-Event-ID``): a slow screen must never hold the server back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.kit import events as kit_events
from ioc.kit.events import Event, EventOut
from ioc.kit.i18n import translator

from .scope import ConsoleScope
from .titles import event_title, needs_names

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
HEARTBEAT_SECONDS = 15.0
REPLAY_LIMIT = 200
RETRY_MS = 3000
TONES = {"info": "info", "notice": "neutral", "warning": "warn", "critical": "bad"}


def event_data(
    event: EventOut | Event,
    _: Callable[..., str] | None = None,
    alerts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What a console needs to show an event (no personal data: no actor, no payload), its
    title in the reader's language when given their translator."""
    href = ""
    if event.subject_type == "report":
        href = f"/console/reports/{event.subject_id}"
    elif event.subject_type == "alert":
        href = f"/console/alerts/{event.subject_id}"
    return {
        "id": event.id,
        "type": event.type,
        "title": event_title(event, _, alerts) if _ else (event.title or event.type),
        "severity": event.severity,
        "tone": TONES.get(event.severity, "neutral"),
        "time": event.occurred_at.isoformat(),
        "area_code": event.area_code,
        "agency_id": event.agency_id,
        "lat": event.lat,
        "lon": event.lon,
        "href": href,
    }


def sse_message(
    event: EventOut | Event,
    *,
    kind: str = "event",
    locale: str | None = None,
    alerts: Mapping[str, str] | None = None,
) -> str:
    _ = translator(locale) if locale else None
    data = json.dumps(event_data(event, _, alerts), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {kind}\ndata: {data}\n\n"


@dataclass(eq=False)
class Client:
    scope: ConsoleScope
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[EventOut] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    locale: str | None = None


class LiveHub:
    def __init__(
        self,
        bus: kit_events.EventBus | None = None,
        *,
        queue_size: int = QUEUE_SIZE,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.bus = bus or kit_events.bus
        self.queue_size = queue_size
        self.heartbeat_seconds = heartbeat_seconds
        self._lock = threading.Lock()
        self._clients: dict[asyncio.AbstractEventLoop, set[Client]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self.dropped_total = 0
        # (events, locale) -> alert titles by id, read from the database (titles.alert_titles):
        # an alert event's title names the alert in the reader's language. Optional.
        self.alert_lookup: Callable[[list[Any], str], Mapping[str, str]] | None = None

    @property
    def client_count(self) -> int:
        return sum(len(c) for c in self._clients.values())

    def connect(self, scope: ConsoleScope, locale: str | None = None) -> Client:
        loop = asyncio.get_running_loop()
        client = Client(scope, loop, asyncio.Queue(self.queue_size), locale=locale)
        with self._lock:
            self._clients.setdefault(loop, set()).add(client)
            # Subscribed only while someone listens: an idle app costs the bus nothing.
            if self._unsubscribe is None:
                self._unsubscribe = self.bus.subscribe(self._on_event, broadcast=True)
        return client

    def disconnect(self, client: Client) -> None:
        with self._lock:
            clients = self._clients.get(client.loop)
            if clients is not None:
                clients.discard(client)
                if not clients:
                    del self._clients[client.loop]
            if not self._clients and self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None

    def _on_event(self, event: EventOut) -> None:
        # Called from the committing thread or the Redis listener: hand over and return.
        with self._lock:
            loops = list(self._clients)
        for loop in loops:
            try:
                loop.call_soon_threadsafe(self._fan_out, loop, event)
            except RuntimeError:  # that loop has closed
                continue

    def _fan_out(self, loop: asyncio.AbstractEventLoop, event: EventOut) -> None:
        for client in list(self._clients.get(loop, ())):
            if not client.scope.sees(event) or client.dropped.is_set():
                continue
            try:
                client.queue.put_nowait(event)
            except asyncio.QueueFull:
                client.dropped.set()
                self.dropped_total += 1
                log.info(
                    "live feed: dropped a client that fell %d events behind", client.queue.maxsize
                )

    async def _alerts(self, event: Event | EventOut, client: Client) -> Mapping[str, str] | None:
        """An alert's title or an agency's name, read when such an event is sent (rare)."""
        if self.alert_lookup is None or client.locale is None or not needs_names(event):
            return None
        from fastapi.concurrency import run_in_threadpool

        try:
            return await run_in_threadpool(self.alert_lookup, [event], client.locale)
        except Exception:  # a title is never worth a dropped feed
            log.warning("live feed: could not read an alert's title", exc_info=True)
            return None

    async def stream(
        self, client: Client, replay: Sequence[Event | EventOut], *, last_id: int
    ) -> AsyncIterator[str]:
        """The SSE body: the replay, then live events, with heartbeats; ends when the client
        leaves or falls too far behind."""
        try:
            yield f"retry: {RETRY_MS}\n: live feed\n\n"
            sent = last_id
            for one in replay:
                if one.id > sent:
                    sent = one.id
                    yield sse_message(
                        one, locale=client.locale, alerts=await self._alerts(one, client)
                    )
            while not client.dropped.is_set():
                try:
                    event = await asyncio.wait_for(client.queue.get(), self.heartbeat_seconds)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if event.id <= sent:
                    continue  # already sent in the replay
                sent = event.id
                yield sse_message(
                    event, locale=client.locale, alerts=await self._alerts(event, client)
                )
            yield "event: dropped\ndata: {}\n\n"
        finally:
            self.disconnect(client)


def replay_events(
    session: Session, scope: ConsoleScope, *, after_id: int, limit: int = REPLAY_LIMIT
) -> list[Event]:
    """Events the client missed since ``after_id`` (its Last-Event-ID), oldest first."""
    if after_id < 0:
        return []
    rows = session.scalars(
        select(Event)
        .where(Event.id > after_id, scope.event_condition())
        .order_by(Event.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))
