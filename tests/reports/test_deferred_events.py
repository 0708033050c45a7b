"""kit.events.record(..., flush=False), used by intake to write a submission's events in one
statement: dispatched after the commit like any event, never after a rollback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from ioc.kit.events import BUS_INFO_KEY, EventBus, EventOut, record


@pytest.fixture()
def bus() -> Iterator[EventBus]:
    yield EventBus()


@pytest.fixture()
def session(db_session: Session, bus: EventBus) -> Session:
    db_session.info[BUS_INFO_KEY] = bus
    return db_session


def _heard(bus: EventBus) -> list[EventOut]:
    heard: list[EventOut] = []
    bus.subscribe(heard.append, broadcast=True)
    return heard


def test_deferred_events_are_dispatched_after_the_commit_with_their_ids(
    session: Session, bus: EventBus
) -> None:
    heard = _heard(bus)
    first = record(session, "t.first", subject_type="t", subject_id=1, flush=False)
    second = record(session, "t.second", subject_type="t", subject_id=1, flush=False)
    assert first.id is None and second.id is None  # not written yet
    assert heard == []
    session.commit()
    assert [e.type for e in heard] == ["t.first", "t.second"]
    assert [e.id for e in heard] == [first.id, second.id]
    assert all(isinstance(e.id, int) for e in heard)


def test_deferred_events_flushed_early_still_wait_for_the_commit(
    session: Session, bus: EventBus
) -> None:
    heard = _heard(bus)
    row = record(session, "t.early", subject_type="t", subject_id=2, flush=False)
    session.flush()
    assert row.id is not None and heard == []
    session.commit()
    assert [e.id for e in heard] == [row.id]


def test_a_rollback_drops_deferred_events_for_good(session: Session, bus: EventBus) -> None:
    heard = _heard(bus)
    record(session, "t.dropped", subject_type="t", subject_id=3, flush=False)
    session.rollback()
    kept = record(session, "t.kept", subject_type="t", subject_id=3, flush=False)
    session.commit()
    assert [e.type for e in heard] == ["t.kept"] and heard[0].id == kept.id


def test_a_rolled_back_savepoint_drops_its_deferred_events(session: Session, bus: EventBus) -> None:
    heard = _heard(bus)
    with pytest.raises(RuntimeError), session.begin_nested():
        record(session, "t.inner", subject_type="t", subject_id=4, flush=False)
        raise RuntimeError("undo")
    record(session, "t.outer", subject_type="t", subject_id=4, flush=False)
    session.commit()
    assert [e.type for e in heard] == ["t.outer"]
