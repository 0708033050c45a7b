"""The intake writer (reports/writer.py): submissions queued together are checked one by one,
written in one transaction, and each answered only after that commit; one bad submission never
fails the others."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.errors import ValidationFailed
from ioc.kit.events import Event, EventBus, EventOut
from ioc.kit.permissions import ANONYMOUS
from ioc.reports import intake
from ioc.reports.models import Report, ReportAgencyRecord, ReportUpdate
from ioc.reports.schemas import ReportInput
from ioc.reports.writer import IntakeWriter
from tests.conftest import BoundDatabase
from tests.reports.conftest import add_rule, communes, make_category


def _input(session: Session, category: Any, **values: Any) -> ReportInput:
    area = communes(session, 1)[0]
    base: dict[str, Any] = {
        "category_code": category.code,
        "description": "Ổ gà trước cổng trường",
        "lat": area.lat,
        "lon": area.lon,
        "reporter_phone": "0912345678",
    }
    return ReportInput(**{**base, **values})


def _prepare(data: ReportInput) -> Callable[[Session], intake.Draft]:
    def prepare(session: Session) -> intake.Draft:
        return intake.prepare(session, ANONYMOUS, data, channel="open311")

    return prepare


def _file_all(writer: IntakeWriter, prepares: list[Callable[[Session], intake.Draft]]) -> list[Any]:
    """File the first alone, the others while it is held up, so that they queue and are
    written as one batch; returns each result or the exception it raised."""
    gate = threading.Event()
    started = threading.Event()
    first = prepares[0]

    def held(session: Session) -> intake.Draft:
        started.set()  # the writer took the first one alone
        gate.wait(10)
        return first(session)

    async def run() -> list[Any]:
        tasks = [asyncio.ensure_future(writer.file(held))]
        assert await asyncio.to_thread(started.wait, 10)
        tasks += [asyncio.ensure_future(writer.file(p)) for p in prepares[1:]]
        await asyncio.sleep(0)  # each task queues its submission before it first waits
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    return asyncio.run(run())


@pytest.fixture()
def bus() -> EventBus:
    return EventBus()


@pytest.fixture()
def writer(bound_db: BoundDatabase, bus: EventBus) -> IntakeWriter:
    return IntakeWriter(bound_db, idle_seconds=0.2, event_bus=bus)


def test_submissions_queued_together_are_one_transaction_with_consecutive_numbers(
    seeded: Session, writer: IntakeWriter, bus: EventBus
) -> None:
    category = make_category(seeded)
    add_rule(seeded, category, "commune")
    heard: list[EventOut] = []
    bus.subscribe(heard.append, broadcast=True)
    prepares = [_prepare(_input(seeded, category, description=f"Ổ gà số {i}")) for i in range(12)]
    results = _file_all(writer, prepares)
    assert writer.batches == 2  # the first alone, the other eleven together
    assert writer.written == 12
    filed = [r[0] for r in results]
    assert all(f.created for f in filed)
    numbers = [int(re.fullmatch(r"PA-\d{4}-(\d{6})", f.code).group(1)) for f in filed]  # type: ignore[union-attr]
    assert numbers == list(range(numbers[0], numbers[0] + 12))
    for i, one in enumerate(filed):
        report = seeded.get(Report, one.id)
        assert report is not None and report.code == one.code
        assert report.description == f"Ổ gà số {i}" and report.channel == "open311"
        assert report.agency_id is not None and report.accept_due_at is not None
        update = seeded.scalars(select(ReportUpdate).where(ReportUpdate.report_id == one.id)).one()
        assert update.to_status == "submitted" and update.actor_role == "public"
        records = seeded.scalars(
            select(ReportAgencyRecord).where(ReportAgencyRecord.report_id == one.id)
        ).all()
        assert [r.agency_id for r in records] == [report.agency_id]
    # Both events of every report, with their ids, after the commit.
    assert sorted((e.subject_id, e.type) for e in heard) == sorted(
        (f.code, t) for f in filed for t in ("report.submitted", "report.routed")
    )
    stored = seeded.scalars(select(Event).where(Event.id.in_([e.id for e in heard]))).all()
    assert len(stored) == 24


def test_one_invalid_submission_is_refused_alone(seeded: Session, writer: IntakeWriter) -> None:
    category = make_category(seeded)
    good = [_prepare(_input(seeded, category, description=f"Đèn hỏng {i}")) for i in range(3)]
    bad = _prepare(_input(seeded, category, description="", lat=10.0, lon=10.0))
    results = _file_all(writer, [good[0], bad, *good[1:]])
    assert isinstance(results[1], ValidationFailed)
    assert {e.field for e in results[1].errors} == {"description", "location"}
    assert [r[0].created for r in (results[0], results[2], results[3])] == [True] * 3


def test_a_batch_that_fails_to_write_is_written_again_one_by_one(
    seeded: Session, writer: IntakeWriter
) -> None:
    category = make_category(seeded)
    good = [_prepare(_input(seeded, category, description=f"Ngập {i}")) for i in range(4)]

    def broken(session: Session) -> intake.Draft:
        draft = intake.prepare(session, ANONYMOUS, _input(seeded, category), channel="open311")
        draft.row["category_id"] = 987_654_321  # no such category: the INSERT fails
        return draft

    before = seeded.scalar(select(func.count()).select_from(Report))
    results = _file_all(writer, [good[0], good[1], broken, good[2], good[3]])
    assert not isinstance(results[2], tuple)  # its own error, nobody else's
    ok = [r for i, r in enumerate(results) if i != 2]
    assert all(isinstance(r, tuple) and r[0].created for r in ok)
    assert seeded.scalar(select(func.count()).select_from(Report)) == (before or 0) + 4


def test_a_repeated_key_gets_the_first_report_within_a_batch_and_after_it(
    seeded: Session, writer: IntakeWriter
) -> None:
    category = make_category(seeded)
    keyed = _input(seeded, category, idempotency_key="retry-1")
    results = _file_all(writer, [_prepare(keyed), _prepare(keyed), _prepare(keyed)])
    first, second, third = (r[0] for r in results)
    assert first.created and not second.created and not third.created
    assert first.id == second.id == third.id
    again = _file_all(writer, [_prepare(keyed)])
    assert again[0][0].id == first.id and not again[0][0].created
    assert seeded.scalar(select(func.count()).select_from(Report).where(Report.id == first.id)) == 1


def test_the_writer_stops_when_idle_and_starts_again(seeded: Session, writer: IntakeWriter) -> None:
    category = make_category(seeded)
    _file_all(writer, [_prepare(_input(seeded, category))])
    deadline = threading.Event()
    for _ in range(50):
        if writer._thread is None:
            break
        deadline.wait(0.05)
    assert writer._thread is None
    results = _file_all(writer, [_prepare(_input(seeded, category))])
    assert results[0][0].created
