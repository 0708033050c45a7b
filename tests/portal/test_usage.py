"""Usage counted in totals: active accounts per day, 7 and 30 days, sign-ups, reports per
channel, the indicators, and the demo's year of totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.kit import auth
from ioc.portal import usage
from ioc.portal.demo import seed_demo
from ioc.portal.models import CitizenProfile, UsageDay


def citizen(session: Session, n: int, last_active: date | None) -> int:
    user = auth.create_user(session, phone=f"+8491200{n:04d}")
    session.add(CitizenProfile(user_id=user.id, last_active_on=last_active))
    session.flush()
    return user.id


NOON = datetime(2026, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Thái Nguyên
TODAY = date(2026, 6, 15)


def test_an_account_counts_once_a_day(db_session: Session) -> None:
    uid = citizen(db_session, 1, None)
    assert usage.mark_active(db_session, uid, now=NOON)
    assert not usage.mark_active(db_session, uid, now=NOON + timedelta(hours=3))
    assert usage.mark_active(db_session, uid, now=NOON + timedelta(days=1))
    rows = {r.day: r.active for r in db_session.scalars(select(UsageDay))}
    assert rows == {TODAY: 1, TODAY + timedelta(days=1): 1}


def test_the_day_changes_at_local_midnight(db_session: Session) -> None:
    late = datetime(2026, 6, 15, 17, 30, tzinfo=UTC)  # 00:30 on the 16th in Thái Nguyên
    assert usage.local_today(late) == date(2026, 6, 16)


def test_snapshot_counts_7_and_30_day_windows_from_the_dates(db_session: Session) -> None:
    for n, days_ago in enumerate((0, 0, 3, 6, 7, 20, 29, 30, 200)):
        citizen(db_session, n, TODAY - timedelta(days=days_ago))
    citizen(db_session, 99, None)  # never active
    row = usage.snapshot(db_session, now=NOON)
    assert (row.active, row.active_7d, row.active_30d, row.accounts) == (2, 4, 7, 10)


def test_a_demo_day_keeps_its_totals(db_session: Session) -> None:
    db_session.add(
        UsageDay(
            day=TODAY,
            active=5000,
            active_7d=20000,
            active_30d=40000,
            signups=20,
            deletions=0,
            accounts=50000,
            is_demo=True,
        )
    )
    db_session.flush()
    row = usage.snapshot(db_session, now=NOON)
    assert row.active_30d == 40000


def test_indicators_read_the_totals(db_session: Session) -> None:
    for i in range(10):
        db_session.add(
            UsageDay(
                day=TODAY - timedelta(days=i),
                active=100 + i,
                active_7d=500,
                active_30d=1000 - i,
                signups=3,
                deletions=0,
                accounts=2000,
                is_demo=False,
            )
        )
    db_session.flush()
    period = {
        "area_code": None,
        "start": TODAY - timedelta(days=9),
        "end": TODAY + timedelta(days=1),
    }
    assert usage.active_monthly(db_session, **period) == 1000.0  # the last day's figure
    assert usage.signups(db_session, **period) == 30.0
    assert usage.active_daily(db_session, **period) == 104.5
    assert usage.active_weekly(db_session, **period) == 500.0
    assert (
        usage.active_monthly(
            db_session, area_code="19000", start=period["start"], end=period["end"]
        )
        is None
    )
    empty = {"area_code": None, "start": date(2020, 1, 1), "end": date(2020, 2, 1)}
    assert usage.active_monthly(db_session, **empty) is None
    assert usage.signups(db_session, **empty) is None


def test_reports_app_share(seeded: Session) -> None:
    from tests.reports.conftest import make_category, make_report, person

    category = make_category(seeded)
    operator = person(seeded, "operator")
    now = datetime.now(UTC)
    for channel in ("app", "app", "web"):
        make_report(seeded, category, channel=channel, now=now)
    make_report(
        seeded, category, channel="hotline", actor=operator, now=now, reporter_phone="0912345678"
    )
    today = usage.local_today(now)
    period = {"start": today, "end": today + timedelta(days=1)}
    counts = usage.reports_by_channel(seeded, **period)
    assert counts["app"] >= 2 and counts["hotline"] >= 1
    share = usage.reports_app_share(seeded, area_code=None, **period)
    total = sum(counts.values())
    assert share == round(100 * (counts["app"] + counts["web"]) / total, 1)
    assert (
        usage.reports_app_share(
            seeded, area_code=None, start=date(2001, 1, 1), end=date(2001, 2, 1)
        )
        is None
    )


def test_demo_makes_a_year_of_totals_once(seeded: Session) -> None:
    seed_demo(seeded)
    days = seeded.scalar(
        select(func.count()).select_from(UsageDay).where(UsageDay.is_demo.is_(True))
    )
    assert days == 365
    latest = usage.summary(seeded)
    assert latest.is_demo and 30_000 <= latest.active_30d <= 55_000
    assert latest.active < latest.active_7d < latest.active_30d <= latest.accounts
    seed_demo(seeded)  # idempotent
    assert seeded.scalar(select(func.count()).select_from(UsageDay)) == 365
    assert seeded.scalar(select(func.count()).select_from(CitizenProfile)) >= 4
