"""Vietnamese working calendar: office hours, public holidays and announced swap days.

Deadlines are counted in working time ("8 working hours", "3 working days"): the clock runs only
during office hours on working days. All functions take timezone-aware datetimes, work on the
office's local clock and return UTC, because timestamps are stored in UTC and shown in local time.

Working time is a monotone function W(t) of the instant t (working time elapsed since some fixed
origin); it stands still outside office hours. Every operation here is defined through W:

- ``working_time_between(a, b) = W(b) - W(a)``;
- ``add_working_hours(s, h)`` (h > 0) is the *earliest* instant t with ``W(t) = W(s) + h``. So
  a result that falls on the end of a period is that end (Friday 17:00, not Monday 08:00): the
  two are the same working moment and "due by 17:00 Friday" is how a deadline is read;
- a working day is the length of the office day (8 h by default), so ``add_working_days(s, n)``
  is ``add_working_hours(s, n * 8 h)``: from a working moment it lands at the same office clock n
  working days later (10:00 → 10:00; 08:00 → 17:00 of the n-th day, the same moment as 08:00 of
  the next), and from outside office hours it counts from the next working moment.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)

# Working Saturdays announced by the government to bridge a holiday ("làm bù"): civil servants
# take a weekday off next to the holiday and work this Saturday instead. PyPI `holidays` already
# lists the weekday taken off (as "Day off (substituted from …)") but, being a list of holidays,
# not the Saturday worked, so the Saturdays live here. tests/kit/test_workdays.py checks this
# table against the library's own list of substitutions, so a library upgrade that learns a new
# swap fails a test instead of silently losing the working Saturday. Later announcements go into
# the overrides table (data), which wins over this one.
ANNOUNCED_DAYS: Mapping[date, bool] = MappingProxyType(
    {
        # 30/4–1/5 2024: Mon 29 Apr off, Sat 4 May worked (Official Dispatch 2450/VPCP-KGVX 2024).
        date(2024, 5, 4): True,
        # 30/4–1/5 2025: Fri 2 May off, Sat 26 Apr worked (as listed in `holidays` 0.108).
        date(2025, 4, 26): True,
        # 2/9 2026: Mon 31 Aug off (break Sat 29 Aug – Wed 2 Sep), Sat 22 Aug worked (as listed
        # in `holidays` 0.108).
        date(2026, 8, 22): True,
    }
)


@functools.lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """Days off by law in Vietnam in `year`, from PyPI `holidays` (country VN).

    Labour Code 2019 art. 112: New Year (1/1), Tết (5 days, lunar, the dates set each year by the
    Prime Minister), Hùng Kings' commemoration (10/3 lunar), 30/4, 1/5, National Day (2/9 and
    the day before or after); art. 112(3) gives a compensatory day off when a holiday falls on a
    weekly rest day. The library computes the lunar dates, those compensatory days and the
    swapped weekdays off, so a year is computed once and cached.
    """
    return frozenset(d for d in holidays.country_holidays("VN", years=year) if d.year == year)


def _utc(dt: datetime, name: str) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        # A naive time is ambiguous (server clock? local office time?); refusing it keeps a
        # 7-hour error out of every deadline.
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return dt.astimezone(UTC)


def _to_timedelta(hours: float | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        return hours
    return timedelta(hours=hours)


@dataclass(frozen=True)
class OfficeHours:
    """The office day as (start, end) periods of local wall-clock time, in order.

    The default, 08:00–12:00 and 13:00–17:00, is the usual schedule of state agencies; a province
    may set its own (e.g. summer hours 07:30–11:30, 13:30–17:30).
    """

    periods: Sequence[tuple[time, time]] = ((time(8), time(12)), (time(13), time(17)))

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        if not periods:
            raise ValueError("office hours need at least one (start, end) period")
        previous_end: time | None = None
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office hours are local wall-clock times: give naive times")
            if not start < end:
                raise ValueError(f"office period {start}–{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"office period {start}–{end} overlaps or is out of order")
            previous_end = end
        object.__setattr__(self, "periods", periods)

    @property
    def day_length(self) -> timedelta:
        """Working time in one office day: the unit of "working days" (8 h by default)."""
        return sum(
            (
                datetime.combine(date.min, end) - datetime.combine(date.min, start)
                for start, end in self.periods
            ),
            _ZERO,
        )


DEFAULT_OFFICE_HOURS = OfficeHours()


class WorkCalendar:
    """Working days and office hours of one office, with deadline arithmetic.

    A day is a working day if it is Monday–Friday and not a public holiday (see
    `public_holidays`), unless an override says otherwise: ``overrides[d] = True`` makes a
    Saturday or holiday a working day (an announced swap Saturday), ``False`` makes a weekday a
    day off (an announced bridge day). `overrides` (the data table) wins over `announced` (the
    built-in `ANNOUNCED_DAYS`), which wins over the weekday and holiday rule.
    """

    def __init__(
        self,
        *,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        tz: tzinfo = VIETNAM_TZ,
        overrides: Mapping[date, bool] | None = None,
        announced: Mapping[date, bool] = ANNOUNCED_DAYS,
    ) -> None:
        merged = {**announced, **(overrides or {})}
        for day, working in merged.items():
            # A datetime key would never match a date lookup and the override would be ignored.
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"override keys must be dates, got {day!r}")
            if not isinstance(working, bool):
                raise TypeError(f"override for {day} must be True or False, got {working!r}")
        self.office_hours = office_hours
        self.tz = tz
        self.day_length = office_hours.day_length
        self._overrides: dict[date, bool] = merged

    # Days

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working day; an aware datetime is read as its local date."""
        if isinstance(d, datetime):
            d = self._local_date(_utc(d, "d"))
        override = self._overrides.get(d)
        if override is not None:
            return override
        return d.weekday() < 5 and d not in public_holidays(d.year)

    def office_periods(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        """The office periods of day `d` as UTC (start, end) instants; empty on a day off."""
        if not self.is_working_day(d):
            return ()
        return tuple(
            (
                datetime.combine(d, start, self.tz).astimezone(UTC),
                datetime.combine(d, end, self.tz).astimezone(UTC),
            )
            for start, end in self.office_hours.periods
        )

    # Moments

    def is_working_moment(self, dt: datetime) -> bool:
        """Whether `dt` is inside office hours (start included, end excluded) on a working day."""
        t = _utc(dt, "dt")
        return any(start <= t < end for start, end in self.office_periods(self._local_date(t)))

    def next_working_moment(self, dt: datetime) -> datetime:
        """`dt` itself if it is a working moment, else the start of the next office period."""
        t = _utc(dt, "dt")
        for day in self._days(self._local_date(t), _ONE_DAY):
            for start, end in self.office_periods(day):
                if t < end:
                    return max(start, t)
        raise AssertionError("unreachable: _days is endless")  # pragma: no cover

    # Arithmetic

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The instant when `hours` of working time have run from `start` (see module docstring).

        Negative `hours` count backwards (the latest instant that much working time before
        `start`, e.g. for a reminder before a deadline); zero returns `start`.
        """
        t = _utc(start, "start")
        amount = _to_timedelta(hours)
        if amount > _ZERO:
            return self._forward(t, amount)
        if amount < _ZERO:
            return self._backward(t, -amount)
        return t

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`days` working days of `day_length` each after `start` (see module docstring)."""
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be a whole number, got {days!r}")
        return self.add_working_hours(start, self.day_length * days)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b`; negative if `b` is before `a`."""
        ta, tb = _utc(a, "a"), _utc(b, "b")
        if tb < ta:
            return -self._elapsed(tb, ta)
        return self._elapsed(ta, tb)

    def working_days_between(self, a: datetime, b: datetime) -> float:
        """Working time from `a` to `b` in office days (8 h by default), e.g. 1.5."""
        return self.working_time_between(a, b) / self.day_length

    def extend_for_pause(
        self, deadline: datetime, pause_start: datetime, pause_end: datetime
    ) -> datetime:
        """The deadline after the clock was stopped from `pause_start` to `pause_end`.

        The working time remaining at the pause is kept, so the deadline moves by the working time
        inside the pause, including any part of the pause after the old deadline. A pause that
        starts when no working time is left (the matter already overdue) moves nothing: stopping
        the clock cannot forgive lateness.
        """
        d = _utc(deadline, "deadline")
        ps, pe = _utc(pause_start, "pause_start"), _utc(pause_end, "pause_end")
        if pe < ps:
            raise ValueError("pause_end must not be before pause_start")
        if self.working_time_between(ps, d) <= _ZERO:
            return d
        return self.add_working_hours(d, self._elapsed(ps, pe))

    # Internals: all instants are UTC; day loops step one local date at a time.

    def _local_date(self, t: datetime) -> date:
        return t.astimezone(self.tz).date()

    @staticmethod
    def _days(first: date, step: timedelta) -> Iterator[date]:
        day = first
        while True:
            yield day
            day += step  # OverflowError past year 9999 ends an absurd request.

    def _forward(self, t: datetime, amount: timedelta) -> datetime:
        remaining = amount
        for day in self._days(self._local_date(t), _ONE_DAY):
            for start, end in self.office_periods(day):
                if end <= t:
                    continue
                begin = max(start, t)
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        raise AssertionError("unreachable: _days is endless")  # pragma: no cover

    def _backward(self, t: datetime, amount: timedelta) -> datetime:
        remaining = amount
        for day in self._days(self._local_date(t), -_ONE_DAY):
            for start, end in reversed(self.office_periods(day)):
                if start >= t:
                    continue
                finish = min(end, t)
                if remaining <= finish - start:
                    return finish - remaining
                remaining -= finish - start
        raise AssertionError("unreachable: _days is endless")  # pragma: no cover

    def _elapsed(self, a: datetime, b: datetime) -> timedelta:
        total = _ZERO
        last = self._local_date(b)
        for day in self._days(self._local_date(a), _ONE_DAY):
            if day > last:
                return total
            for start, end in self.office_periods(day):
                low, high = max(start, a), min(end, b)
                if high > low:
                    total += high - low
        raise AssertionError("unreachable: _days is endless")  # pragma: no cover
