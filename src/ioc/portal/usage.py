"""Usage of the citizen app, counted without tracking people (issue 4 §7).

What is kept: on each citizen profile, the one date its owner was last active; and one row of
totals per local day (:class:`UsageDay`). There is no log of visits, pages or times. Daily
active accounts are counted when a profile's date moves to today (exact); the 7- and 30-day
figures are counted from the profiles' dates by a job every 15 minutes, so they are the day's
figure as of its last count. Reports per channel come from the reports themselves."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit.module import IndicatorSpec, JobSpec
from ioc.portal.models import CitizenProfile, UsageDay
from ioc.reports.models import CHANNELS, Report

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Channels through which citizens report by themselves (the app and the web site).
SELF_SERVICE_CHANNELS = ("app", "web")


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(TZ).date()


def local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ).astimezone(UTC)


def _bump(session: Session, day: date, **increments: int) -> None:
    """Add to the day's totals, creating its row if needed (safe against a concurrent
    creator: the loser of the insert adds to the winner's row)."""
    values: dict[str, Any] = {
        name: getattr(UsageDay, name) + amount for name, amount in increments.items()
    }
    values["updated_at"] = utcnow()
    stmt = (
        update(UsageDay)
        .where(UsageDay.day == day)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(session.execute(stmt), "rowcount", 0) or 0):
        return
    try:
        with session.begin_nested():
            session.add(
                UsageDay(
                    **{
                        "active": 0,
                        "active_7d": 0,
                        "active_30d": 0,
                        "signups": 0,
                        "deletions": 0,
                        "accounts": 0,
                        **increments,
                    },
                    day=day,
                    is_demo=False,
                    updated_at=utcnow(),
                )
            )
    except IntegrityError:
        session.execute(stmt)


def mark_active(session: Session, user_id: int, *, now: datetime | None = None) -> bool:
    """Note that ``user_id`` used the app today; True when this is their first time today
    (then the day's count went up by one)."""
    today = local_today(now)
    result = session.execute(
        update(CitizenProfile)
        .where(
            CitizenProfile.user_id == user_id,
            (CitizenProfile.last_active_on.is_(None)) | (CitizenProfile.last_active_on < today),
        )
        .values(last_active_on=today)
        .execution_options(synchronize_session=False)
    )
    if not int(getattr(result, "rowcount", 0) or 0):
        return False
    _bump(session, today, active=1)
    return True


def count_signup(session: Session, *, now: datetime | None = None) -> None:
    _bump(session, local_today(now), signups=1)


def count_deletion(session: Session, *, now: datetime | None = None) -> None:
    _bump(session, local_today(now), deletions=1)


def snapshot(session: Session, *, now: datetime | None = None) -> UsageDay:
    """Count today's active accounts over 1, 7 and 30 days and the accounts, from the
    profiles' dates. A demo row keeps its made-up totals (only increments add to it)."""
    today = local_today(now)

    def active_since(first: date) -> int:
        return (
            session.scalar(select(func.count()).where(CitizenProfile.last_active_on >= first)) or 0
        )

    _bump(session, today)  # make sure the row exists
    row = session.get(UsageDay, today, populate_existing=True)
    assert row is not None
    if not row.is_demo:
        row.active = max(row.active, active_since(today))
        row.active_7d = active_since(today - timedelta(days=6))
        row.active_30d = active_since(today - timedelta(days=29))
        row.accounts = session.scalar(select(func.count()).select_from(CitizenProfile)) or 0
        row.updated_at = utcnow()
    session.flush()
    return row


def snapshot_job() -> JobSpec:
    return JobSpec(
        name="portal.usage_snapshot",
        func=lambda session: snapshot(session).day.isoformat(),
        interval=timedelta(minutes=15),
        description="Count the citizen app's active accounts (totals only).",
    )


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsagePoint:
    day: date
    active: int
    active_7d: int
    active_30d: int
    signups: int
    accounts: int
    is_demo: bool


def series(session: Session, start: date, end: date) -> list[UsagePoint]:
    """The day rows in [start, end), oldest first."""
    rows = session.scalars(
        select(UsageDay).where(UsageDay.day >= start, UsageDay.day < end).order_by(UsageDay.day)
    ).all()
    return [
        UsagePoint(r.day, r.active, r.active_7d, r.active_30d, r.signups, r.accounts, r.is_demo)
        for r in rows
    ]


def reports_by_channel(
    session: Session, start: date, end: date, *, area_code: str | None = None
) -> dict[str, int]:
    """Reports filed in [start, end) (local dates) per channel; every channel listed."""
    stmt = (
        select(Report.channel, func.count(Report.id))
        .where(
            Report.submitted_at >= local_midnight_utc(start),
            Report.submitted_at < local_midnight_utc(end),
        )
        .group_by(Report.channel)
    )
    if area_code:
        stmt = stmt.where(Report.area_code == area_code)
    counts = {channel: 0 for channel in CHANNELS}
    for channel, count in session.execute(stmt).all():
        counts[str(channel)] = int(count)
    return counts


def month_starts(last: date, months: int) -> list[date]:
    """The first days of the ``months`` months ending with ``last``'s month, oldest first."""
    firsts: list[date] = []
    year, month = last.year, last.month
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(firsts))


def next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


@dataclass(frozen=True)
class MonthFigures:
    month: date
    active_30d: int  # at the month's last counted day
    signups: int
    reports: dict[str, int]


def monthly(session: Session, months: int = 12, *, today: date | None = None) -> list[MonthFigures]:
    today = today or local_today()
    out: list[MonthFigures] = []
    for first in month_starts(today, months):
        end = min(next_month(first), today + timedelta(days=1))
        points = series(session, first, end)
        out.append(
            MonthFigures(
                month=first,
                active_30d=points[-1].active_30d if points else 0,
                signups=sum(p.signups for p in points),
                reports=reports_by_channel(session, first, end),
            )
        )
    return out


@dataclass(frozen=True)
class Summary:
    day: date | None
    active: int
    active_7d: int
    active_30d: int
    accounts: int
    signups_30d: int
    is_demo: bool


def summary(session: Session, *, today: date | None = None) -> Summary:
    today = today or local_today()
    latest = session.scalar(
        select(UsageDay).where(UsageDay.day <= today).order_by(UsageDay.day.desc()).limit(1)
    )
    signups = (
        session.scalar(
            select(func.coalesce(func.sum(UsageDay.signups), 0)).where(
                UsageDay.day > today - timedelta(days=30), UsageDay.day <= today
            )
        )
        or 0
    )
    if latest is None:
        return Summary(None, 0, 0, 0, 0, int(signups), False)
    return Summary(
        latest.day,
        latest.active,
        latest.active_7d,
        latest.active_30d,
        latest.accounts,
        int(signups),
        latest.is_demo,
    )


# --- indicators ------------------------------------------------------------------------------


def _last_row(session: Session, start: date, end: date) -> UsageDay | None:
    return session.scalar(
        select(UsageDay)
        .where(UsageDay.day >= start, UsageDay.day < end)
        .order_by(UsageDay.day.desc())
        .limit(1)
    )


def active_monthly(
    session: Session, *, area_code: str | None, start: date, end: date
) -> float | None:
    if area_code:
        return None  # counted for the province only: per-commune counts would single people out
    row = _last_row(session, start, end)
    return float(row.active_30d) if row else None


def active_weekly(
    session: Session, *, area_code: str | None, start: date, end: date
) -> float | None:
    if area_code:
        return None
    row = _last_row(session, start, end)
    return float(row.active_7d) if row else None


def active_daily(
    session: Session, *, area_code: str | None, start: date, end: date
) -> float | None:
    """The average of the days' active accounts over the period."""
    if area_code:
        return None
    value = session.scalar(
        select(func.avg(UsageDay.active)).where(UsageDay.day >= start, UsageDay.day < end)
    )
    return round(float(value), 1) if value is not None else None


def signups(session: Session, *, area_code: str | None, start: date, end: date) -> float | None:
    if area_code:
        return None
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(UsageDay.signups), 0)).where(
            UsageDay.day >= start, UsageDay.day < end
        )
    ).one()
    return float(total) if count else None


def reports_app_share(
    session: Session, *, area_code: str | None, start: date, end: date
) -> float | None:
    """Share (%) of the period's reports that citizens filed themselves in the app or on
    the web site, rather than through the hotline, an officer or another system."""
    counts = reports_by_channel(session, start, end, area_code=area_code)
    total = sum(counts.values())
    if not total:
        return None
    mine = sum(counts[c] for c in SELF_SERVICE_CHANNELS)
    return round(100.0 * mine / total, 1)


INDICATORS: Sequence[IndicatorSpec] = (
    IndicatorSpec(
        "portal.active_accounts_monthly",
        "Tài khoản hoạt động trong 30 ngày",
        "Accounts active in 30 days",
        "tài khoản",
        active_monthly,
        target=40_000.0,
        formula="Số tài khoản có hoạt động trong 30 ngày gần nhất "
        "(chỉ đếm tổng, không lưu lượt truy cập)",
        decimals=0,
        theme="theme.governance",
    ),
    IndicatorSpec(
        "portal.active_accounts_weekly",
        "Tài khoản hoạt động trong 7 ngày",
        "Accounts active in 7 days",
        "tài khoản",
        active_weekly,
        band_mode="none",
        formula="Số tài khoản có hoạt động trong 7 ngày gần nhất",
        decimals=0,
        theme="theme.governance",
    ),
    IndicatorSpec(
        "portal.active_accounts_daily",
        "Tài khoản hoạt động mỗi ngày (trung bình)",
        "Daily active accounts (average)",
        "tài khoản",
        active_daily,
        band_mode="none",
        formula="Trung bình số tài khoản hoạt động mỗi ngày trong kỳ",
        decimals=0,
        theme="theme.governance",
    ),
    IndicatorSpec(
        "portal.signups",
        "Tài khoản mới đăng ký",
        "New accounts",
        "tài khoản",
        signups,
        band_mode="none",
        rollup="sum",
        formula="Số tài khoản đăng ký mới trong kỳ",
        decimals=0,
        theme="theme.governance",
    ),
    IndicatorSpec(
        "portal.reports_app_share",
        "Tỷ lệ phản ánh gửi qua ứng dụng và trang web",
        "Share of reports filed in the app or on the web",
        "%",
        reports_app_share,
        target=60.0,
        formula="Số phản ánh gửi qua ứng dụng và trang web ÷ tổng số phản ánh × 100",
        theme="theme.governance",
    ),
)
