"""The periods a leader's report covers: an ISO week (Monday to Sunday) or a calendar month, in
the province's local time (Asia/Ho_Chi_Minh).

A period is named by a key that sorts and reads well in URLs and file names: ``2026-W47`` for a
week (ISO 8601: the week belongs to the year of its Thursday, so 29 December 2025 starts
``2026-W01``), ``2026-11`` for a month."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ioc.errors import ValidationFailed

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEK, MONTH = "week", "month"
KINDS = (WEEK, MONTH)
_WEEK_KEY = re.compile(r"(\d{4})-W(\d{2})")
_MONTH_KEY = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date  # first local day
    end: date  # the day after the last one (half-open)

    @property
    def key(self) -> str:
        if self.kind == WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def number(self) -> int:
        """The week number, or the month number."""
        return self.start.isocalendar()[1] if self.kind == WEEK else self.start.month

    @property
    def year(self) -> int:
        return self.start.isocalendar()[0] if self.kind == WEEK else self.start.year

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.start)

    @property
    def end_utc(self) -> datetime:
        return local_midnight(self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        return containing(self.kind, self.start - timedelta(days=1))

    def following(self) -> Period:
        return containing(self.kind, self.end)

    def back(self, count: int) -> list[Period]:
        """The ``count`` periods ending with this one, oldest first."""
        periods = [self]
        while len(periods) < count:
            periods.append(periods[-1].previous())
        return list(reversed(periods))

    def title(self, _: Callable[..., str]) -> str:
        """ "Báo cáo tuần 47/2026" or "Báo cáo tháng 11/2026" (``_`` is a translator)."""
        if self.kind == WEEK:
            return _("Weekly report {number}/{year}", number=self.number, year=self.year)
        return _("Monthly report {number}/{year}", number=self.number, year=self.year)

    def short(self, _: Callable[..., str]) -> str:
        """ "T47/2026" or "11/2026", for chart axes."""
        if self.kind == WEEK:
            return _("W{number}/{year}", number=self.number, year=self.year)
        return f"{self.number:02d}/{self.year}"

    def compact(self, _: Callable[..., str]) -> str:
        """ "T47" or "11/26", for narrow table columns and chart axes."""
        if self.kind == WEEK:
            return _("W{number}", number=self.number)
        return f"{self.number:02d}/{self.year % 100:02d}"

    def span(self) -> str:
        return f"{self.start:%d/%m/%Y} – {self.last_day:%d/%m/%Y}"


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(LOCAL_TZ).date()


def containing(kind: str, day: date) -> Period:
    if kind == WEEK:
        start = day - timedelta(days=day.weekday())
        return Period(WEEK, start, start + timedelta(days=7))
    if kind == MONTH:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return Period(MONTH, start, end)
    raise ValidationFailed("Unknown report kind: choose weekly or monthly.")


def current(kind: str, now: datetime | None = None) -> Period:
    return containing(kind, local_today(now))


def last_complete(kind: str, now: datetime | None = None) -> Period:
    return current(kind, now).previous()


def parse(kind: str, key: str) -> Period:
    """The period named ``key``; a clear error for anything else."""
    if kind == WEEK:
        match = _WEEK_KEY.fullmatch(key)
        if match:
            year, week = int(match[1]), int(match[2])
            try:
                start = date.fromisocalendar(year, week, 1)
            except ValueError:
                match = None
            else:
                if 2000 <= year <= 2100:
                    return containing(WEEK, start)
        raise ValidationFailed("Period: give a week as YYYY-Www, for example 2026-W47.")
    if kind == MONTH:
        match = _MONTH_KEY.fullmatch(key)
        if match and 2000 <= int(match[1]) <= 2100 and 1 <= int(match[2]) <= 12:
            return containing(MONTH, date(int(match[1]), int(match[2]), 1))
        raise ValidationFailed("Period: give a month as YYYY-MM, for example 2026-11.")
    raise ValidationFailed("Unknown report kind: choose weekly or monthly.")
