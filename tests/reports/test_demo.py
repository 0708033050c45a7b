"""The demo year of reports: consistent with the lifecycle, realistic in its mix, idempotent."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.areas import units
from ioc.kit.geo import ProvinceShape, h3_cell
from ioc.reports import lifecycle as lc
from ioc.reports.demo import CATEGORY_TEXTS, seed_demo_reports
from ioc.reports.evaluation import evaluate
from ioc.reports.models import (
    Category,
    Report,
    ReportAgencyRecord,
    ReportCounter,
    ReportUpdate,
)

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
COUNT = 300
CODE = re.compile(r"^PA-(\d{4})-(\d{6})$")


@pytest.fixture()
def demo(seeded: Session) -> Session:
    made = seed_demo_reports(seeded, count=COUNT, now=NOW)
    assert made == COUNT
    return seeded


def _reports(session: Session) -> list[Report]:
    return list(session.scalars(select(Report).order_by(Report.id)))


def test_every_category_has_matching_texts() -> None:
    for code, texts in CATEGORY_TEXTS.items():
        assert len(texts.cases) == len(texts.details) == 3, code
        for problem, answer in texts.cases:
            assert "{place}" in problem and answer.endswith("."), code
            for text in (problem, answer):
                assert unicodedata.normalize("NFC", text) == text


def test_statuses_are_consistent_with_timestamps(demo: Session) -> None:
    reports = _reports(demo)
    assert len(reports) == COUNT and all(r.is_demo for r in reports)
    statuses = Counter(r.status for r in reports)
    assert statuses[lc.CLOSED] > COUNT / 2  # most of the year is done with
    for r in reports:
        assert r.submitted_at <= NOW
        assert r.updated_at >= r.submitted_at
        if r.status in (lc.RESOLVED, lc.CLOSED):
            assert r.accepted_at is not None and r.resolved_at is not None
            assert r.submitted_at <= r.accepted_at <= r.resolved_at <= NOW
            assert r.public_answer
        if r.status in lc.OPEN:
            assert r.resolved_at is None and r.closed_at is None, r.code
            assert r.agency_id is not None and r.accept_due_at is not None
        if r.status == lc.SUBMITTED:
            assert r.accepted_at is None and r.resolve_due_at is None
        if r.status in (lc.ACCEPTED, lc.IN_PROGRESS):
            assert r.accepted_at is not None and r.resolve_due_at is not None
        if r.status == lc.CLOSED:
            assert r.closed_at is not None and r.resolved_at is not None
            assert r.closed_at >= r.resolved_at + timedelta(days=7)
        if r.status in (lc.CLOSED_UNFIXED, lc.REJECTED, lc.DUPLICATE):
            assert r.closed_at is not None and r.resolved_at is None
        if r.accepted_at is not None:
            assert r.accept_due_at is not None and r.resolve_due_at is not None
        if r.rating is not None:
            assert r.status in (lc.RESOLVED, lc.CLOSED) and 1 <= r.rating <= 5
            assert r.rated_at is not None and r.resolved_at is not None
            assert r.rated_at >= r.resolved_at
    by_id = {r.id: r for r in reports}
    duplicates = [r for r in reports if r.status == lc.DUPLICATE]
    for r in duplicates:
        original = by_id[r.duplicate_of_id or 0]
        assert original.submitted_at < r.submitted_at
        assert (original.category_id, original.area_code) == (r.category_id, r.area_code)


def test_timelines_and_agency_books_match_the_reports(demo: Session) -> None:
    reports = {r.id: r for r in _reports(demo)}
    updates: dict[int, list[ReportUpdate]] = defaultdict(list)
    for u in demo.scalars(select(ReportUpdate).order_by(ReportUpdate.at, ReportUpdate.id)):
        updates[u.report_id].append(u)
    records: dict[int, list[ReportAgencyRecord]] = defaultdict(list)
    for rec in demo.scalars(select(ReportAgencyRecord).order_by(ReportAgencyRecord.id)):
        records[rec.report_id].append(rec)
    transfers = 0
    for report_id, report in reports.items():
        steps = [u for u in updates[report_id] if u.to_status is not None]
        assert steps[0].to_status == lc.SUBMITTED and steps[0].from_status is None
        for before, after in pairwise(steps):
            assert after.from_status == before.to_status, report.code
        assert steps[-1].to_status == report.status, report.code
        assert all(u.at <= NOW for u in updates[report_id])
        books = records[report_id]
        assert books and books[-1].agency_id == report.agency_id
        for earlier in books[:-1]:
            assert earlier.outcome == "transferred" and earlier.left_at is not None
            transfers += 1
        last = books[-1]
        if report.status in (lc.RESOLVED, lc.CLOSED):
            assert last.outcome == "resolved" and last.left_at == report.resolved_at
        elif report.status in lc.OPEN:
            assert last.left_at is None
    assert transfers > 0


def test_mix_of_categories_and_handling_is_realistic(demo: Session) -> None:
    rows = demo.execute(select(Report, Category.group).join(Category)).all()
    groups = Counter(group for _, group in rows)
    # DOMAIN.md: traffic the largest category, 22.7%.
    assert 0.17 <= groups["roads"] / COUNT <= 0.30
    assert groups.most_common(1)[0][0] in ("roads", "environment")
    reports = [r for r, _ in rows]
    answered = [r for r in reports if r.status in (lc.RESOLVED, lc.CLOSED)]
    late = [
        r
        for r in answered
        if r.resolve_due_at and r.resolved_at and r.resolved_at > r.resolve_due_at
    ]
    assert 0.04 <= len(late) / len(answered) <= 0.25
    rated = [r.rating for r in reports if r.rating is not None]
    assert sum(1 for x in rated if x >= 4) / len(rated) > 0.6
    assert any(x <= 2 for x in rated)
    assert any(r.reopen_count for r in reports)
    open_now = [r for r in reports if r.status in lc.OPEN]
    assert open_now and max(r.submitted_at for r in reports) > NOW - timedelta(days=7)


def test_points_lie_in_the_province_with_their_cells(demo: Session) -> None:
    shape = ProvinceShape(units.province_geometry())
    for r in _reports(demo):
        assert r.lat is not None and r.lon is not None
        assert shape.contains(r.lat, r.lon), r.code
        assert r.h3_cell == h3_cell(r.lat, r.lon)
        assert r.area_code is not None
        assert "{" not in r.description and len(r.description) <= 4000
        assert unicodedata.normalize("NFC", r.description) == r.description


def test_codes_follow_the_counter(demo: Session) -> None:
    numbers: dict[int, list[int]] = defaultdict(list)
    for r in _reports(demo):
        match = CODE.match(r.code)
        assert match, r.code
        numbers[int(match[1])].append(int(match[2]))
    counters = {c.year: c.last for c in demo.scalars(select(ReportCounter))}
    for year, taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1))
        assert counters[year] == len(taken)
    # Codes run in filing order, as they would have been handed out.
    by_time = sorted(_reports(demo), key=lambda r: (r.submitted_at, r.id))
    assert [r.code for r in by_time] == sorted(r.code for r in by_time)


def test_second_call_adds_nothing(demo: Session) -> None:
    before = demo.scalar(select(func.count()).select_from(ReportUpdate))
    assert seed_demo_reports(demo, count=COUNT, now=NOW) == 0
    assert demo.scalar(select(func.count()).select_from(Report)) == COUNT
    assert demo.scalar(select(func.count()).select_from(ReportUpdate)) == before


def test_evaluation_runs_over_the_demo_year(demo: Session) -> None:
    result = evaluate(demo, start=NOW - timedelta(days=366), end=NOW, now=NOW, min_volume=5)
    assert result.agencies and result.officers
    received = sum(s.received for s in result.agencies)
    records = demo.scalar(select(func.count()).select_from(ReportAgencyRecord))
    assert received == records
    for s in result.agencies:
        for ratio in (s.ratio_on_time, s.ratio_satisfied_on_time, s.reopen_rate):
            assert ratio is None or 0 <= ratio <= 1
        assert s.resolved_on_time + s.resolved_late == s.resolved
    assert any(s.ranked for s in result.agencies)
    assert sum(o.resolved for o in result.officers) > COUNT / 2
