"""The live feed (/console/live): recorded events reach open consoles over server-sent events,
each person seeing only what their role and agency allow, with catch-up on reconnect."""

from __future__ import annotations

import asyncio
import threading
import uuid

import httpx
import pytest
from sqlalchemy import select

from ioc.areas.models import Agency
from ioc.console.live import LiveHub
from ioc.console.scope import ConsoleScope
from ioc.kit import events
from ioc.kit.events import EventBus, EventOut
from tests.console.conftest import LiveServer, SseReader, signed_in


def _record(live: LiveServer, title: str, **kw: object) -> int:
    with live.db.session() as session:
        row = events.record(
            session,
            kw.pop("type", "test.live"),
            subject_type="test",
            subject_id="1",
            title=title,
            **kw,
        )  # type: ignore[arg-type]
        session.flush()
        return row.id


def _agency_id(live: LiveServer, code: str) -> int:
    with live.db.session() as session:
        found = session.scalar(select(Agency.id).where(Agency.code == code))
        assert found is not None
        return found


def _other_agency_id(live: LiveServer) -> int:
    with live.db.session() as session:
        found = session.scalar(select(Agency.id).where(Agency.code != "SXD").limit(1))
        assert found is not None
        return found


def test_a_recorded_event_reaches_an_open_console(live: LiveServer) -> None:
    client = signed_in(live.base, "operator")
    feed = SseReader(client, "/console/live")
    try:
        assert feed.status == 200
        title = f"Sạt lở đất {uuid.uuid4().hex[:6]}"
        event_id = _record(live, title, severity="warning", area_code=None)
        assert feed.wait_for(lambda f: title in f.titles()), feed.events
        got = next(e for e in feed.events if e["data"]["title"] == title)
        assert got["id"] == str(event_id)
        assert got["data"]["tone"] == "warn"
        # Nothing personal goes out on the feed.
        assert "actor_id" not in got["data"] and "payload" not in got["data"]
    finally:
        client.close()


def test_each_person_sees_only_what_their_role_and_agency_allow(live: LiveServer) -> None:
    sxd = _agency_id(live, "SXD")
    other = _other_agency_id(live)
    clients = {
        role: signed_in(live.base, role) for role in ("operator", "officer", "administrator")
    }
    feeds = {role: SseReader(c, "/console/live") for role, c in clients.items()}
    tag = uuid.uuid4().hex[:6]
    cases = {
        f"staff, SXD {tag}": {"visibility": "staff", "agency_id": sxd},
        f"agency, SXD {tag}": {"visibility": "agency", "agency_id": sxd},
        f"staff, other agency {tag}": {"visibility": "staff", "agency_id": other},
        f"staff, no agency {tag}": {"visibility": "staff"},
        f"public, no agency {tag}": {"visibility": "public"},
        f"internal {tag}": {"visibility": "internal"},
    }
    try:
        for title, kw in cases.items():
            _record(live, title, **kw)
        last = f"internal {tag}"
        # The administrator sees everything, internal included: once it has the last one, all
        # have been delivered to every process-local client.
        assert feeds["administrator"].wait_for(lambda f: last in f.titles())
        for role in ("operator", "officer"):
            feeds[role].wait_for(lambda f: f"public, no agency {tag}" in f.titles())
        seen = {role: {t for t in f.titles() if t.endswith(tag)} for role, f in feeds.items()}
        assert seen["administrator"] == set(cases)
        assert seen["operator"] == set(cases) - {f"internal {tag}"}
        assert seen["officer"] == {
            f"staff, SXD {tag}",
            f"agency, SXD {tag}",
            f"public, no agency {tag}",
        }
    finally:
        for c in clients.values():
            c.close()


def test_citizens_and_visitors_get_no_feed(live: LiveServer) -> None:
    citizen = signed_in(live.base, "citizen")
    try:
        assert citizen.get("/console/live").status_code == 403
    finally:
        citizen.close()
    anonymous = httpx.get(live.base + "/console/live", follow_redirects=False)
    assert anonymous.status_code == 303


def test_a_reconnecting_console_catches_up_from_last_event_id(live: LiveServer) -> None:
    tag = uuid.uuid4().hex[:6]
    sxd = _agency_id(live, "SXD")
    before = _record(live, f"before {tag}")
    missed = [_record(live, f"missed {n} {tag}", agency_id=sxd) for n in range(3)]
    _record(live, f"missed elsewhere {tag}", agency_id=_other_agency_id(live))
    officer = signed_in(live.base, "officer")
    try:
        feed = SseReader(officer, "/console/live", headers={"Last-Event-ID": str(before)})
        assert feed.wait_for(lambda f: len([t for t in f.titles() if tag in t]) >= 3)
        replayed = [e for e in feed.events if tag in e["data"]["title"]]
        assert [int(e["id"]) for e in replayed] == missed  # in order, and only the officer's
        after = _record(live, f"after {tag}", agency_id=sxd)
        assert feed.wait_for(lambda f: f"after {tag}" in f.titles())
        assert int(feed.events[-1]["id"]) == after
    finally:
        officer.close()


# --- The hub alone: bounded queues, heartbeats ---------------------------------------------

PROVINCE = ConsoleScope(None, frozenset({"public", "staff", "agency"}), True)


def _event(n: int) -> EventOut:
    from ioc.db import utcnow

    return EventOut(
        id=n, type="test.x", occurred_at=utcnow(), subject_type="t", subject_id="1", title=f"e{n}"
    )


def test_a_slow_client_is_dropped_and_the_others_still_get_everything() -> None:
    bus = EventBus()
    hub = LiveHub(bus, queue_size=5, heartbeat_seconds=30)

    async def scenario() -> tuple[list[str], bool, bool]:
        slow = hub.connect(PROVINCE)
        fast = hub.connect(PROVINCE)
        received: list[str] = []

        async def read_fast() -> None:
            async for chunk in hub.stream(fast, [], last_id=0):
                if chunk.startswith("id:"):
                    received.append(chunk.split("\n")[0])
                    if len(received) == 20:
                        return

        reader = asyncio.create_task(read_fast())
        await asyncio.sleep(0.05)

        # Each from another thread, as the committing thread or the Redis listener does.
        for n in range(1, 21):
            thread = threading.Thread(target=lambda n=n: bus.deliver(_event(n)))
            thread.start()
            thread.join()
            await asyncio.sleep(0.01)  # the fast reader keeps up; the slow one never reads
        await asyncio.wait_for(reader, 5)
        chunks = [c async for c in hub.stream(slow, [], last_id=0)]
        return received, slow.dropped.is_set(), any("dropped" in c for c in chunks)

    received, dropped, told = asyncio.run(scenario())
    assert received == [f"id: {n}" for n in range(1, 21)]
    assert dropped and told
    assert hub.dropped_total == 1
    assert hub.client_count == 0  # both streams ended and let go of their clients
    assert bus._broadcast == ()  # and the hub unsubscribed from the bus


def test_an_idle_stream_sends_heartbeats() -> None:
    hub = LiveHub(EventBus(), heartbeat_seconds=0.05)

    async def scenario() -> list[str]:
        client = hub.connect(PROVINCE)
        out: list[str] = []
        async for chunk in hub.stream(client, [], last_id=0):
            out.append(chunk)
            if len(out) == 3:
                break
        return out

    chunks = asyncio.run(scenario())
    assert chunks[0].startswith("retry:")
    assert chunks[1:] == [": heartbeat\n\n", ": heartbeat\n\n"]


@pytest.mark.parametrize(
    ("visibility", "agency", "expected"),
    [
        ("staff", None, False),
        ("public", None, True),
        ("agency", 7, True),
        ("agency", 8, False),
        ("internal", 7, False),
    ],
)
def test_an_agency_scope_sees_its_own_events_and_public_ones(
    visibility: str, agency: int | None, expected: bool
) -> None:
    scope = ConsoleScope(frozenset({7}), frozenset({"public", "staff", "agency"}), True)
    event = _event(1).model_copy(update={"visibility": visibility, "agency_id": agency})
    assert scope.sees(event) is expected
