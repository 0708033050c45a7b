"""Working-time arithmetic, worked by hand against the Vietnamese calendar of 2025–2026.

Office hours are the default 08:00–12:00, 13:00–17:00 in Asia/Ho_Chi_Minh (UTC+7) unless a test
says otherwise. Dates in comments are local.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import holidays
import pytest
from holidays.countries.vietnam import VietnamStaticHolidays
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.kit.workdays import (
    ANNOUNCED_DAYS,
    VIETNAM_TZ,
    OfficeHours,
    WorkCalendar,
    public_holidays,
)

CAL = WorkCalendar()
H = timedelta(hours=1)


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VIETNAM_TZ)


# The library's calendar, pinned so that an upgrade that changes it is noticed here.


def test_holidays_library_gives_vietnam_2026_days_off() -> None:
    assert sorted(public_holidays(2026)) == [
        date(2026, 1, 1),
        # Tết Bính Ngọ: the official civil-service break Mon 16 – Fri 20 Feb is all there.
        date(2026, 2, 16),
        date(2026, 2, 17),
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),
        # Hùng Kings' day (10/3 lunar) is Sunday 26 Apr; the compensatory day is Mon 27 Apr.
        date(2026, 4, 26),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        # Mon 31 Aug swapped with Sat 22 Aug; National Day 2/9 (Wed) and Tue 1 Sep.
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
        # Vietnam Cultural Day, a holiday from 2026.
        date(2026, 11, 24),
    ]


def test_every_library_swap_has_its_working_saturday_announced() -> None:
    # The library records a swap as "weekday off, substituted from <Saturday>"; the Saturday
    # worked is only in ANNOUNCED_DAYS, which must keep up with the library.
    swaps = []
    table: dict[int, Any] = VietnamStaticHolidays.special_public_holidays
    for year, entries in table.items():
        for entry in entries if isinstance(entries[0], tuple) else (entries,):
            _, _, from_month, from_day, *from_year = entry
            swaps.append(date(from_year[0] if from_year else year, from_month, from_day))
    recent = [d for d in swaps if d.year >= 2024]
    assert recent == [date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22)]
    assert all(ANNOUNCED_DAYS[d] is True for d in recent)
    assert all(d.weekday() == 5 for d in recent)


def test_holidays_library_keeps_each_year_to_itself() -> None:
    assert all(d.year == 2027 for d in holidays.country_holidays("VN", years=2027))


# Working days


def test_weekdays_work_and_weekends_rest() -> None:
    assert CAL.is_working_day(date(2026, 3, 6))  # Friday
    assert not CAL.is_working_day(date(2026, 3, 7))  # Saturday
    assert not CAL.is_working_day(date(2026, 3, 8))  # Sunday


def test_tet_2026_break_is_not_working() -> None:
    assert CAL.is_working_day(date(2026, 2, 13))
    assert not any(CAL.is_working_day(date(2026, 2, d)) for d in range(14, 23))
    assert CAL.is_working_day(date(2026, 2, 23))


def test_aware_datetime_is_read_as_its_local_date() -> None:
    # 17:30 UTC on Fri 13 Feb is already Sat 14 Feb 00:30 in Vietnam.
    assert not CAL.is_working_day(datetime(2026, 2, 13, 17, 30, tzinfo=UTC))
    assert CAL.is_working_day(datetime(2026, 2, 13, 16, 30, tzinfo=UTC))


# Hand-worked examples across Tết 2026


def test_three_working_days_from_friday_before_tet_lands_wednesday_after() -> None:
    # Fri 13 Feb 15–17 (2 h), Mon 23 (8 h), Tue 24 (8 h), Wed 25 08–12, 13–15 (6 h) = 24 h.
    assert CAL.add_working_days(vn(2026, 2, 13, 15), 3) == vn(2026, 2, 25, 15)


def test_eight_working_hours_from_friday_afternoon_before_tet() -> None:
    # Fri 13 Feb 16–17 (1 h), Mon 23 Feb 08–12 (4 h), 13–16 (3 h).
    assert CAL.add_working_hours(vn(2026, 2, 13, 16), 8) == vn(2026, 2, 23, 16)


def test_working_time_across_tet_counts_only_office_hours() -> None:
    elapsed = CAL.working_time_between(vn(2026, 2, 13, 15), vn(2026, 2, 23, 10))
    assert elapsed == 4 * H
    assert CAL.working_days_between(vn(2026, 2, 13, 8), vn(2026, 2, 24, 8)) == 2.0


def test_counting_back_across_tet() -> None:
    assert CAL.add_working_hours(vn(2026, 2, 23, 9), -2) == vn(2026, 2, 13, 16)


def test_counting_back_to_a_period_start_stops_at_that_start() -> None:
    # Backwards the latest such instant is returned: 13:00, not the 12:00 before lunch.
    assert CAL.add_working_hours(vn(2026, 3, 9, 15), -2) == vn(2026, 3, 9, 13)
    assert CAL.add_working_hours(vn(2026, 3, 9, 10), -2) == vn(2026, 3, 9, 8)


# Weekends, lunch, outside office hours


def test_friday_afternoon_plus_two_hours_is_monday_morning() -> None:
    assert CAL.add_working_hours(vn(2026, 3, 6, 16), 2) == vn(2026, 3, 9, 9)


def test_lunch_break_does_not_count() -> None:
    assert CAL.add_working_hours(vn(2026, 3, 9, 11), 2) == vn(2026, 3, 9, 14)
    assert CAL.working_time_between(vn(2026, 3, 9, 11), vn(2026, 3, 9, 14)) == 2 * H


def test_deadline_at_end_of_period_is_that_end() -> None:
    assert CAL.add_working_hours(vn(2026, 3, 9, 11, 30), 0.5) == vn(2026, 3, 9, 12)
    assert CAL.add_working_hours(vn(2026, 3, 6, 16), 1) == vn(2026, 3, 6, 17)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (vn(2026, 3, 7, 10), vn(2026, 3, 9, 9)),  # Saturday
        (vn(2026, 3, 9, 20), vn(2026, 3, 10, 9)),  # evening
        (vn(2026, 3, 10, 6), vn(2026, 3, 10, 9)),  # early morning
        (vn(2026, 3, 10, 12, 30), vn(2026, 3, 10, 14)),  # lunch
    ],
)
def test_start_outside_office_hours_counts_from_next_working_moment(
    start: datetime, expected: datetime
) -> None:
    assert CAL.add_working_hours(start, 1) == expected


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (vn(2026, 3, 9, 10), vn(2026, 3, 9, 10)),  # inside: itself
        (vn(2026, 3, 9, 8), vn(2026, 3, 9, 8)),  # a period's start is inside
        (vn(2026, 3, 9, 12), vn(2026, 3, 9, 13)),  # its end is not
        (vn(2026, 3, 9, 17), vn(2026, 3, 10, 8)),
        (vn(2026, 3, 6, 17), vn(2026, 3, 9, 8)),  # Friday evening → Monday
        (vn(2026, 2, 13, 17), vn(2026, 2, 23, 8)),  # before Tết → after it
    ],
)
def test_next_working_moment(dt: datetime, expected: datetime) -> None:
    assert CAL.next_working_moment(dt) == expected


def test_working_days_from_saturday_count_from_monday() -> None:
    assert CAL.add_working_days(vn(2026, 3, 7, 10), 1) == vn(2026, 3, 9, 17)


def test_working_days_keep_the_clock_position() -> None:
    assert CAL.add_working_days(vn(2026, 3, 9, 10), 3) == vn(2026, 3, 12, 10)
    # 08:00 + 3 days is the end of the third day, the same working moment as Thursday 08:00.
    assert CAL.add_working_days(vn(2026, 3, 9, 8), 3) == vn(2026, 3, 11, 17)
    assert CAL.working_time_between(vn(2026, 3, 11, 17), vn(2026, 3, 12, 8)) == timedelta(0)


def test_results_are_utc_whatever_the_input_zone() -> None:
    from_utc = CAL.add_working_hours(datetime(2026, 3, 6, 9, tzinfo=UTC), 2)  # 16:00 local
    assert from_utc == vn(2026, 3, 9, 9)
    assert from_utc.tzinfo is UTC
    assert CAL.next_working_moment(vn(2026, 3, 9, 10)).tzinfo is UTC


def test_working_time_between_is_negative_backwards() -> None:
    assert CAL.working_time_between(vn(2026, 3, 9, 14), vn(2026, 3, 9, 11)) == -2 * H


def test_timedelta_amounts_are_accepted() -> None:
    assert CAL.add_working_hours(vn(2026, 3, 9, 8), timedelta(minutes=90)) == vn(2026, 3, 9, 9, 30)


def test_many_working_days_step_by_day_not_by_minute() -> None:
    # 2026: 261 weekdays − 13 weekday holidays (1/1, Tết ×5, 27/4, 30/4, 1/5, 31/8, 1/9, 2/9,
    # 24/11) + 1 swap Saturday = 249 working days, all of them from Fri 2 Jan on.
    assert CAL.working_days_between(vn(2026, 1, 1, 8), vn(2027, 1, 1, 8)) == 249.0
    assert CAL.add_working_days(vn(2026, 1, 2, 8), 249) == vn(2026, 12, 31, 17)


# Announced swap and bridge days


def test_built_in_swap_saturday_2026_works_and_its_monday_rests() -> None:
    assert CAL.is_working_day(date(2026, 8, 22))
    assert not CAL.is_working_day(date(2026, 8, 31))
    assert CAL.add_working_hours(vn(2026, 8, 21, 16), 2) == vn(2026, 8, 22, 9)


def test_swap_saturday_given_as_override_counts() -> None:
    cal = WorkCalendar(overrides={date(2026, 10, 10): True})
    assert cal.add_working_hours(vn(2026, 10, 9, 16), 2) == vn(2026, 10, 10, 9)
    assert CAL.add_working_hours(vn(2026, 10, 9, 16), 2) == vn(2026, 10, 12, 9)


def test_bridge_day_given_as_override_does_not_count() -> None:
    cal = WorkCalendar(overrides={date(2026, 3, 13): False})  # a Friday
    assert cal.add_working_hours(vn(2026, 3, 12, 16), 2) == vn(2026, 3, 16, 9)
    assert CAL.add_working_hours(vn(2026, 3, 12, 16), 2) == vn(2026, 3, 13, 9)


def test_data_overrides_win_over_built_in_announcements_and_holidays() -> None:
    cal = WorkCalendar(overrides={date(2026, 8, 22): False, date(2026, 9, 1): True})
    assert not cal.is_working_day(date(2026, 8, 22))
    assert cal.is_working_day(date(2026, 9, 1))


def test_built_in_announcements_can_be_switched_off() -> None:
    assert not WorkCalendar(announced={}).is_working_day(date(2026, 8, 22))


def test_override_keys_must_be_dates() -> None:
    with pytest.raises(TypeError, match="dates"):
        WorkCalendar(overrides={vn(2026, 3, 13): False})


# Other holidays of 2025–2026


def test_hung_kings_day_2026_on_sunday_gives_monday_off() -> None:
    # Fri 24 Apr 16:00 → Sat 25, Sun 26 (Hùng Kings), Mon 27 (compensatory) → Tue 28 Apr.
    assert CAL.add_working_hours(vn(2026, 4, 24, 16), 2) == vn(2026, 4, 28, 9)


def test_reunification_and_labour_day_2026() -> None:
    # Wed 29 Apr 16:00 → Thu 30/4, Fri 1/5, weekend → Mon 4 May.
    assert CAL.add_working_hours(vn(2026, 4, 29, 16), 2) == vn(2026, 5, 4, 9)
    assert CAL.working_days_between(vn(2026, 4, 29, 8), vn(2026, 5, 4, 8)) == 1.0


def test_reunification_and_labour_day_2025_with_swap_saturday() -> None:
    assert CAL.is_working_day(date(2025, 4, 26))  # Saturday worked
    assert not CAL.is_working_day(date(2025, 4, 30))
    assert not CAL.is_working_day(date(2025, 5, 1))
    assert not CAL.is_working_day(date(2025, 5, 2))  # Friday given for the Saturday
    assert CAL.add_working_hours(vn(2025, 4, 29, 16), 2) == vn(2025, 5, 5, 9)


def test_national_day_2026() -> None:
    # Fri 28 Aug 16:00 → Sat 29, Sun 30, Mon 31 (swap), Tue 1, Wed 2 Sep → Thu 3 Sep.
    assert CAL.add_working_hours(vn(2026, 8, 28, 16), 2) == vn(2026, 9, 3, 9)


# Pauses


def test_pause_pushes_deadline_by_working_time_inside_it() -> None:
    deadline = vn(2026, 2, 25, 15)
    # Mon 23 Feb 10:00 → Tue 24 Feb 10:00 holds 8 working hours.
    assert CAL.extend_for_pause(deadline, vn(2026, 2, 23, 10), vn(2026, 2, 24, 10)) == vn(
        2026, 2, 26, 15
    )


def test_pause_over_a_weekend_moves_nothing() -> None:
    deadline = vn(2026, 3, 11, 10)
    assert CAL.extend_for_pause(deadline, vn(2026, 3, 6, 17), vn(2026, 3, 9, 8)) == deadline


def test_pause_running_past_the_old_deadline_keeps_the_remaining_time() -> None:
    # 1 h left at the pause (Mon 15–16); resumed Wed 10:00, so due Wed 11:00.
    deadline = vn(2026, 3, 9, 16)
    assert CAL.extend_for_pause(deadline, vn(2026, 3, 9, 15), vn(2026, 3, 11, 10)) == vn(
        2026, 3, 11, 11
    )


def test_pause_after_the_deadline_forgives_nothing() -> None:
    deadline = vn(2026, 3, 9, 16)
    assert CAL.extend_for_pause(deadline, vn(2026, 3, 10, 9), vn(2026, 3, 12, 9)) == deadline


def test_pause_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="pause_end"):
        CAL.extend_for_pause(vn(2026, 3, 9, 16), vn(2026, 3, 9, 15), vn(2026, 3, 9, 14))


# Input checks and configuration


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 3, 9, 10)
    aware = vn(2026, 3, 9, 10)
    calls: list[Callable[[], object]] = [
        lambda: CAL.next_working_moment(naive),
        lambda: CAL.is_working_moment(naive),
        lambda: CAL.is_working_day(naive),
        lambda: CAL.add_working_hours(naive, 1),
        lambda: CAL.add_working_days(naive, 1),
        lambda: CAL.working_time_between(naive, aware),
        lambda: CAL.working_time_between(aware, naive),
        lambda: CAL.working_days_between(aware, naive),
        lambda: CAL.extend_for_pause(aware, naive, aware),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_working_days_must_be_whole() -> None:
    with pytest.raises(TypeError):
        CAL.add_working_days(vn(2026, 3, 9, 10), 1.5)  # type: ignore[arg-type]


def test_custom_office_hours() -> None:
    summer = OfficeHours([(time(7, 30), time(11, 30)), (time(13, 30), time(17, 30))])
    cal = WorkCalendar(office_hours=summer)
    assert cal.day_length == 8 * H
    assert cal.add_working_hours(vn(2026, 3, 9, 11), 1) == vn(2026, 3, 9, 14)
    assert cal.next_working_moment(vn(2026, 3, 9, 17, 45)) == vn(2026, 3, 10, 7, 30)


@pytest.mark.parametrize(
    "periods",
    [
        [],
        [(time(12), time(8))],
        [(time(8), time(12)), (time(11), time(17))],
        [(time(13), time(17)), (time(8), time(12))],
        [(time(8, tzinfo=UTC), time(12))],
    ],
)
def test_invalid_office_hours_are_rejected(periods: list[tuple[time, time]]) -> None:
    with pytest.raises(ValueError):
        OfficeHours(periods)


# Properties, over random instants of 2025–2027 in a few zones

instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([UTC, VIETNAM_TZ, timezone(timedelta(hours=-5))]),
)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=120))
quick = settings(max_examples=60, deadline=None, database=None)


@quick
@given(start=instants, hours=st.floats(min_value=0, max_value=120))
def test_round_trip_hours(start: datetime, hours: float) -> None:
    end = CAL.add_working_hours(start, hours)
    assert CAL.working_time_between(CAL.next_working_moment(start), end) == timedelta(hours=hours)
    assert CAL.working_time_between(start, end) == timedelta(hours=hours)


@quick
@given(start=instants, amount=amounts)
def test_round_trip_backwards(start: datetime, amount: timedelta) -> None:
    assert CAL.working_time_between(start, CAL.add_working_hours(start, -amount)) == -amount


@quick
@given(start=instants, a=amounts, b=amounts)
def test_more_hours_never_end_earlier(start: datetime, a: timedelta, b: timedelta) -> None:
    low, high = sorted((a, b))
    assert CAL.add_working_hours(start, low) <= CAL.add_working_hours(start, high)


@quick
@given(start=instants, a=st.integers(0, 15), b=st.integers(0, 15))
def test_working_days_add_up(start: datetime, a: int, b: int) -> None:
    assert CAL.add_working_days(start, a + b) == CAL.add_working_days(
        CAL.add_working_days(start, a), b
    )


@quick
@given(start=instants, a=amounts, b=amounts)
def test_working_hours_add_up(start: datetime, a: timedelta, b: timedelta) -> None:
    assert CAL.add_working_hours(start, a + b) == CAL.add_working_hours(
        CAL.add_working_hours(start, a), b
    )


@quick
@given(start=instants, hours=st.floats(min_value=0.001, max_value=120))
def test_positive_amounts_end_in_office_hours(start: datetime, hours: float) -> None:
    end = CAL.add_working_hours(start, hours)
    # The result is a working moment or the end of an office period, never a day off.
    assert CAL.is_working_moment(end) or CAL.is_working_moment(end - timedelta(microseconds=1))
