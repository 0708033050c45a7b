from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import h3
import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.kit.events import BUS_INFO_KEY, Event, EventBus, EventOut, record, redeliver

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
THAI_NGUYEN_CITY = (21.5942, 105.8482)


class Calls:
    """What handlers saw, safe to append to from listener threads."""

    def __init__(self) -> None:
        self.events: list[EventOut] = []
        self._lock = threading.Lock()

    def add(self, event: EventOut) -> None:
        with self._lock:
            self.events.append(event)

    @property
    def ids(self) -> list[int]:
        with self._lock:
            return [e.id for e in self.events]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.ids) < count:
            time.sleep(0.01)


@pytest.fixture()
def bus() -> Iterator[EventBus]:
    one = EventBus()
    yield one
    one.stop()


@pytest.fixture()
def session(db_session: Session, bus: EventBus) -> Session:
    db_session.info[BUS_INFO_KEY] = bus
    return db_session


def make_event(session: Session, type: str = "thing.changed", **kwargs: object) -> Event:
    params: dict[str, object] = {"subject_type": "thing", "subject_id": "T-1", "title": "A thing"}
    params.update(kwargs)
    return record(session, type, **params)  # type: ignore[arg-type]


def local_recorder(calls: Calls) -> Callable[[Session, EventOut], None]:
    def handler(session: Session, event: EventOut) -> None:
        calls.add(event)

    return handler


def test_commit_dispatches_once_to_local_and_broadcast_handlers(
    session: Session, bus: EventBus
) -> None:
    local, live = Calls(), Calls()
    bus.subscribe(local_recorder(local))
    bus.subscribe(live.add, broadcast=True)

    row = make_event(session, payload={"n": 1})
    assert local.ids == [] and live.ids == []  # nothing before commit
    session.commit()
    session.commit()  # a later commit with no new event dispatches nothing again

    assert local.ids == [row.id]
    assert live.ids == [row.id]
    assert live.events[0].payload == {"n": 1}
    assert live.events[0].title == "A thing"


def test_rollback_dispatches_nothing(session: Session, bus: EventBus) -> None:
    local, live = Calls(), Calls()
    bus.subscribe(local_recorder(local))
    bus.subscribe(live.add, broadcast=True)

    make_event(session)
    session.rollback()
    make_event(session)
    session.close()  # ending without commit is a rollback too
    session.commit()

    assert local.ids == [] and live.ids == []


def test_event_in_rolled_back_savepoint_is_not_dispatched(session: Session, bus: EventBus) -> None:
    live = Calls()
    bus.subscribe(live.add, broadcast=True)

    kept = make_event(session, subject_id="kept")
    with pytest.raises(RuntimeError), session.begin_nested():
        make_event(session, subject_id="dropped")
        raise RuntimeError("undo this part")
    with session.begin_nested():
        released = make_event(session, subject_id="released")
    session.commit()

    assert live.ids == [kept.id, released.id]


def test_released_savepoint_follows_the_outer_rollback(session: Session, bus: EventBus) -> None:
    live = Calls()
    bus.subscribe(live.add, broadcast=True)
    with session.begin_nested():
        make_event(session)
    session.rollback()
    session.commit()
    assert live.ids == []


def test_process_without_local_handlers_leaves_events_to_redeliver(
    session: Session, bus: EventBus
) -> None:
    row = make_event(session)
    session.commit()
    session.refresh(row)
    assert row.handled_at is None

    late = Calls()
    bus.subscribe(local_recorder(late))
    assert redeliver(session, bus, older_than=timedelta(0)) == 1
    assert late.ids == [row.id]


def test_handled_at_set_after_local_handlers_succeed(session: Session, bus: EventBus) -> None:
    seen_in_handler: list[str] = []

    def handler(handler_session: Session, event: EventOut) -> None:
        # The handler runs after commit, in a transaction of its own that sees the event.
        row = handler_session.get(Event, event.id)
        assert row is not None
        seen_in_handler.append(row.subject_id)

    bus.subscribe(handler)
    row = make_event(session)
    session.commit()

    session.refresh(row)
    assert seen_in_handler == ["T-1"]
    assert row.handled_at is not None
    assert row.attempts == 0


def test_failing_local_handler_leaves_event_unhandled_and_redeliver_runs_it_again(
    session: Session, bus: EventBus
) -> None:
    runs: list[int] = []
    other = Calls()

    def flaky(handler_session: Session, event: EventOut) -> None:
        runs.append(event.id)
        if len(runs) == 1:
            raise RuntimeError("SMS gateway unreachable")

    bus.subscribe(flaky)
    bus.subscribe(local_recorder(other))
    row = make_event(session)
    session.commit()  # the failure is logged, not raised into the committing code

    session.refresh(row)
    assert row.handled_at is None
    assert row.attempts == 1
    assert other.ids == [row.id]  # one failing handler does not stop the others

    assert redeliver(session, bus, older_than=timedelta(0)) == 1
    session.commit()
    session.refresh(row)
    assert runs == [row.id, row.id]
    assert row.handled_at is not None
    assert redeliver(session, bus, older_than=timedelta(0)) == 0  # nothing left to do
    assert runs == [row.id, row.id]


def test_redeliver_leaves_recent_events_to_the_first_dispatch(
    session: Session, bus: EventBus
) -> None:
    def failing(handler_session: Session, event: EventOut) -> None:
        raise RuntimeError("down")

    bus.subscribe(failing)
    make_event(session)
    session.commit()
    assert redeliver(session, bus, older_than=timedelta(minutes=5)) == 0


def test_redeliver_gives_up_after_max_attempts(session: Session, bus: EventBus) -> None:
    runs: list[int] = []

    def failing(handler_session: Session, event: EventOut) -> None:
        runs.append(event.id)
        raise RuntimeError("always")

    bus.subscribe(failing)
    row = make_event(session)
    session.commit()
    for _ in range(5):
        redeliver(session, bus, older_than=timedelta(0), max_attempts=3)
    session.refresh(row)
    assert row.attempts == 3
    assert len(runs) == 3
    assert row.handled_at is None


def test_local_handler_work_is_kept_with_the_handled_mark(session: Session, bus: EventBus) -> None:
    def follow_up(handler_session: Session, event: EventOut) -> None:
        if event.type == "thing.changed":
            record(
                handler_session,
                "thing.followed_up",
                subject_type="thing",
                subject_id=event.subject_id,
            )

    follow_ups = Calls()
    bus.subscribe(follow_up)
    bus.subscribe(follow_ups.add, types=["thing.followed_up"], broadcast=True)
    make_event(session)
    session.commit()

    rows = session.scalars(select(Event).where(Event.type == "thing.followed_up")).all()
    assert [r.id for r in rows] == follow_ups.ids
    assert len(rows) == 1


def test_handlers_receive_only_the_types_they_asked_for(session: Session, bus: EventBus) -> None:
    exact, prefixed, everything = Calls(), Calls(), Calls()
    bus.subscribe(exact.add, types=["thing.closed"], broadcast=True)
    bus.subscribe(prefixed.add, types=["thing.*"], broadcast=True)
    bus.subscribe(everything.add, broadcast=True)

    a = make_event(session, "thing.opened")
    b = make_event(session, "thing.closed")
    c = make_event(session, "other.opened")
    session.commit()

    assert exact.ids == [b.id]
    assert prefixed.ids == [a.id, b.id]
    assert everything.ids == [a.id, b.id, c.id]


def test_unsubscribed_handler_hears_nothing(session: Session, bus: EventBus) -> None:
    live = Calls()
    unsubscribe = bus.subscribe(live.add, broadcast=True)
    unsubscribe()
    make_event(session)
    session.commit()
    assert live.ids == []


def test_failing_broadcast_handler_does_not_reach_the_committing_code(
    session: Session, bus: EventBus
) -> None:
    def broken(event: EventOut) -> None:
        raise ValueError("bug in a live feed")

    after = Calls()
    bus.subscribe(broken, broadcast=True)
    bus.subscribe(after.add, broadcast=True)
    row = make_event(session)
    session.commit()
    assert after.ids == [row.id]


def test_record_computes_the_h3_cell_at_resolution_9(session: Session) -> None:
    lat, lon = THAI_NGUYEN_CITY
    row = make_event(session, lat=lat, lon=lon, area_code="19")
    assert row.h3_cell == h3.latlng_to_cell(lat, lon, 9)
    assert h3.get_resolution(row.h3_cell) == 9
    assert make_event(session).h3_cell is None


@pytest.mark.parametrize(
    "kwargs",
    [{"severity": "urgent"}, {"visibility": "everyone"}, {"lat": 21.5}, {"lat": 91.0, "lon": 0.0}],
)
def test_record_rejects_invalid_values(session: Session, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_event(session, **kwargs)


def test_event_out_round_trips_through_json(session: Session) -> None:
    row = make_event(session, lat=21.6, lon=105.8, payload={"tên": "Đường Hoàng Văn Thụ"})
    out = EventOut.of(row)
    assert EventOut.from_json(out.to_json()) == out
    assert out.occurred_at.tzinfo is not None


def test_long_title_is_shortened(session: Session) -> None:
    row = make_event(session, title="x" * 1000)
    assert len(row.title) == 300 and row.title.endswith("…")


# --- Redis fan-out ------------------------------------------------------------------------


@pytest.fixture()
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL}: {exc}")
    return REDIS_TEST_URL


def test_redis_fans_out_to_every_process_once_and_runs_local_handlers_only_where_committed(
    redis_url: str, session_factory: sessionmaker[Session]
) -> None:
    channel = f"ioc:events:test:{uuid.uuid4().hex}"
    bus_a = EventBus(redis_url=redis_url, channel=channel)
    bus_b = EventBus()
    bus_b.configure(redis_url=redis_url, channel=channel)
    live_a, live_b, local_a, local_b = Calls(), Calls(), Calls(), Calls()
    bus_a.subscribe(live_a.add, broadcast=True)
    bus_b.subscribe(live_b.add, broadcast=True)
    bus_a.subscribe(local_recorder(local_a))
    bus_b.subscribe(local_recorder(local_b))
    bus_a.start()
    bus_b.start()
    try:
        session = session_factory(info={BUS_INFO_KEY: bus_a})
        row = make_event(session, lat=21.6, lon=105.8)
        session.commit()

        live_a.wait_for(1)
        live_b.wait_for(1)
        time.sleep(0.3)  # room for a duplicate to show up, if there were one
        assert live_a.ids == [row.id]
        assert live_b.ids == [row.id]
        assert live_b.events[0] == EventOut.of(row)
        assert local_a.ids == [row.id]
        assert local_b.ids == []

        session.refresh(row)
        assert row.handled_at is not None
        session.close()
    finally:
        bus_a.stop()
        bus_b.stop()


def test_unreachable_redis_neither_breaks_nor_stalls_commits(session: Session) -> None:
    # Port 1 refuses at once; the event is still recorded, handled, and later commits do not
    # wait on Redis again during the pause.
    down = EventBus(redis_url="redis://127.0.0.1:1/0", channel=f"ioc:test:{uuid.uuid4().hex}")
    local = Calls()
    down.subscribe(local_recorder(local))
    session.info[BUS_INFO_KEY] = down
    first = make_event(session)
    session.commit()
    started = time.monotonic()
    second = make_event(session)
    session.commit()
    assert time.monotonic() - started < 1.0
    assert local.ids == [first.id, second.id]
