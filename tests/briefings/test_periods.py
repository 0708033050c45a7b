"""Weeks and months of the leader's report, in local time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ioc.briefings import periods
from ioc.errors import ValidationFailed
from ioc.kit.i18n import translator


def test_iso_week_belongs_to_the_year_of_its_thursday() -> None:
    first = periods.parse("week", "2026-W01")
    assert (first.start, first.end) == (date(2025, 12, 29), date(2026, 1, 5))
    assert periods.containing("week", date(2026, 1, 1)).key == "2026-W01"
    assert periods.parse("week", "2026-W53").last_day == date(2027, 1, 3)


def test_period_bounds_are_local_midnights() -> None:
    week = periods.parse("week", "2026-W47")
    assert week.start_utc == datetime(2026, 11, 15, 17, 0, tzinfo=UTC)
    assert week.end_utc == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    # Sunday 23:30 local is still in the week although it is Sunday 16:30 UTC.
    assert periods.current("week", datetime(2026, 11, 22, 16, 30, tzinfo=UTC)).key == "2026-W47"
    assert periods.current("week", datetime(2026, 11, 22, 17, 0, tzinfo=UTC)).key == "2026-W48"


def test_months_step_across_years() -> None:
    january = periods.parse("month", "2027-01")
    assert january.previous().key == "2026-12"
    assert [p.key for p in january.back(3)] == ["2026-11", "2026-12", "2027-01"]
    assert periods.parse("month", "2026-02").end == date(2026, 3, 1)


def test_titles_in_vietnamese_and_english() -> None:
    week = periods.parse("week", "2026-W47")
    assert week.title(translator("vi")) == "Báo cáo tuần 47/2026"
    assert week.title(translator("en")) == "Weekly report 47/2026"
    assert periods.parse("month", "2026-11").title(translator("vi")) == "Báo cáo tháng 11/2026"


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("week", "2025-W53"),
        ("week", "2026-47"),
        ("month", "2026-13"),
        ("month", "26-1"),
        ("day", "x"),
    ],
)
def test_bad_periods_are_refused_with_a_clear_message(kind: str, key: str) -> None:
    with pytest.raises(ValidationFailed):
        periods.parse(kind, key)
