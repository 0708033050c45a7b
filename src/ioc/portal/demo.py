"""Demo data of the citizen app: a few citizens with profiles and preferences, and a year of
made-up usage totals (marked demo) on the scale of the seed article: about 40,000 regular
accounts for 1.3 million people. Only totals: no 40,000 users are created."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.kit import auth
from ioc.portal import notifications, usage
from ioc.portal.models import CitizenProfile, Notification, UsageDay
from ioc.reports.models import Report, ReportUpdate

# (phone, name, commune name, sms, e-mail)
DEMO_CITIZENS = (
    ("+84912000101", "Nguyễn Văn Bình", "Phan Đình Phùng", True, ""),
    ("+84912000102", "Trần Thị Hoa", "Phổ Yên", True, "hoa.tran@example.vn"),
    ("+84912000103", "Lê Minh Đức", "Sông Công", False, ""),
    ("+84912000104", "Hoàng Thị Mai", "Đại Từ", True, ""),
)
DEMO_CITIZEN_EMAIL = "congdan@demo.ioc.vn"  # the demo citizen of the seed (signs in by e-mail)


def _commune(session: Session, name: str) -> str | None:
    from ioc.areas.models import Area

    return session.scalar(
        select(Area.code).where(Area.name.contains(name), Area.kind != "province").limit(1)
    )


def seed_demo_citizens(session: Session) -> int:
    made = 0
    for phone, name, commune, sms, email in DEMO_CITIZENS:
        user = session.scalar(select(auth.User).where(auth.User.phone == phone))
        if user is None:
            user = auth.create_user(
                session, phone=phone, full_name=name, email=email or None, is_demo=True
            )
            auth.grant_role(session, user, "citizen")
            made += 1
        if session.get(CitizenProfile, user.id) is None:
            session.add(
                CitizenProfile(
                    user_id=user.id,
                    home_area_code=_commune(session, commune),
                    notify_sms=sms,
                    notify_email=bool(email),
                    last_active_on=usage.local_today() - timedelta(days=made),
                )
            )
    citizen = session.scalar(select(auth.User).where(auth.User.email == DEMO_CITIZEN_EMAIL))
    if citizen is not None and session.get(CitizenProfile, citizen.id) is None:
        session.add(
            CitizenProfile(
                user_id=citizen.id,
                home_area_code=_commune(session, "Phan Đình Phùng"),
                notify_sms=False,
                notify_email=True,
                last_active_on=usage.local_today(),
            )
        )
        _give_reports(session, citizen.id)
    session.flush()
    return made


_STATUS_EVENTS = {
    "accepted": "report.accepted",
    "in_progress": "report.started",
    "waiting": "report.info_requested",
    "resolved": "report.resolved",
    "closed": "report.closed",
    "closed_unfixed": "report.closed_unfixed",
    "rejected": "report.rejected",
    "duplicate": "report.duplicate",
    "reopened": "report.reopened",
}


def _give_reports(session: Session, user_id: int, count: int = 4) -> None:
    """Make a few demo reports filed in the app this citizen's, with the notifications their
    later steps would have sent (the older ones read)."""
    reports = session.scalars(
        select(Report)
        .where(
            Report.is_demo.is_(True),
            Report.channel == "app",
            Report.reporter_user_id.is_(None),
            Report.anonymous.is_(False),
            Report.status.in_(("resolved", "closed", "in_progress", "accepted")),
        )
        .order_by(Report.submitted_at.desc())
        .limit(count)
    ).all()
    now = utcnow()
    for report in reports:
        report.reporter_user_id = user_id
        # The demo's reports carry their history as updates (no events): notify from those.
        for update in session.scalars(
            select(ReportUpdate)
            .where(
                ReportUpdate.report_id == report.id, ReportUpdate.kind.in_(("status", "transfer"))
            )
            .order_by(ReportUpdate.at, ReportUpdate.id)
        ):
            kind = (
                "report.transferred"
                if update.kind == "transfer"
                else _STATUS_EVENTS.get(update.to_status or "")
            )
            if kind is None:
                continue
            params: dict[str, Any] = {"code": report.code}
            if kind == "report.accepted":
                params["agency"] = notifications.agency_name(session, report.agency_id, "vi")
                params["agency_en"] = notifications.agency_name(session, report.agency_id, "en")
            session.add(
                Notification(
                    user_id=user_id,
                    dedupe_key=f"demo:update:{update.id}:user:{user_id}",
                    kind=kind,
                    subject=report.code,
                    url=f"/reports/{report.code}",
                    params=params,
                    created_at=update.at,
                )
            )
    session.flush()
    notes = session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at, Notification.id)
    ).all()
    for note in notes[:-2]:
        note.read_at = now


def _usage_year(session: Session, today: date, rng: random.Random) -> int:
    """365 days of totals ending today: accounts growing from about 41,000 to 50,000, some
    40,000 of them active in a month; a weekly rhythm, the Tết lull and the rainy season."""
    existing = set(
        session.scalars(select(UsageDay.day).where(UsageDay.day > today - timedelta(days=366)))
    )
    first = today - timedelta(days=364)
    accounts = 41_000
    daily: list[int] = []
    made = 0
    for i in range(365):
        day = first + timedelta(days=i)
        season = 1.0
        if day.month in (1, 2) and 20 <= (day - date(day.year, 1, 1)).days <= 45:
            season = 0.72  # Tết
        elif day.month in (7, 8, 9):
            season = 1.18  # storms and floods bring people to the app
        weekday = (1.0, 1.04, 1.03, 1.02, 0.98, 0.86, 0.8)[day.weekday()]
        trend = 1.0 + 0.12 * i / 365
        active = int(5_900 * season * weekday * trend * rng.uniform(0.93, 1.07))
        signups = max(0, int(22 * season * trend * rng.uniform(0.6, 1.5)))
        deletions = rng.choice((0, 0, 0, 1, 1, 2))
        accounts += signups - deletions
        daily.append(active)
        week = sum(daily[-7:])
        month = sum(daily[-30:])
        # Distinct people over a window: the sum of days shrunk by how often people return.
        active_7d = int(week / (1.0 + 0.55 * math.log1p(len(daily[-7:]) - 1)))
        active_30d = min(accounts, int(month / (1.0 + 1.1 * math.log1p(len(daily[-30:]) - 1))))
        if day in existing:
            continue
        session.add(
            UsageDay(
                day=day,
                active=active,
                active_7d=active_7d,
                active_30d=active_30d,
                signups=signups,
                deletions=deletions,
                accounts=accounts,
                is_demo=True,
                updated_at=utcnow(),
            )
        )
        made += 1
    session.flush()
    return made


def seed_demo(session: Session, *, progress: Callable[..., Any] | None = None) -> None:
    seed_demo_citizens(session)
    _usage_year(session, usage.local_today(), random.Random(4))
    if progress is not None:
        progress("citizen app usage", 1, 1)
