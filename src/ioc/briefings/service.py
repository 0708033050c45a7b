"""Generating, listing and fetching the leader's reports; the scheduled job.

One report per kind, period and scope: generating again (on demand) replaces the files of the
same row, so the list never shows two versions of one week. The job generates last week's
report on Monday morning and last month's on the 1st, once: it looks for the row first, and the
unique index is the last word if two workers ever raced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.briefings import figures, periods
from ioc.briefings.models import PROVINCE, Briefing
from ioc.briefings.pdf import render_pdf
from ioc.briefings.periods import KINDS, Period
from ioc.briefings.workbook import render_xlsx
from ioc.db import utcnow
from ioc.errors import NotFound
from ioc.kit import events
from ioc.kit.i18n import translator
from ioc.kit.permissions import Actor, Scope, require

# The scheduled report is made once the period is over and the morning has begun, so that
# reports filed late on Sunday night are in it and it is ready when the office opens.
SCHEDULE_AT = time(6, 0)
LIST_LIMIT = 300


@dataclass(frozen=True)
class ScopeTarget:
    """The scope a report belongs to, for `permissions.require`: the province (only
    province-wide grants cover it) or one agency (that agency's head too)."""

    agency_code: str

    def permission_scope(self) -> Scope:
        return Scope(
            agency_codes=frozenset({self.agency_code}) if self.agency_code else frozenset()
        )


def scope_of(briefing: Briefing) -> ScopeTarget:
    return ScopeTarget(briefing.scope_key)


def find(
    session: Session, *, kind: str, period_key: str, scope_key: str = PROVINCE
) -> Briefing | None:
    return session.scalar(
        select(Briefing).where(
            Briefing.kind == kind,
            Briefing.period_key == period_key,
            Briefing.scope_key == scope_key,
        )
    )


def generate(
    session: Session,
    *,
    period: Period,
    agency: Agency | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
    locale: str = "vi",
) -> Briefing:
    """Work out the figures and write the PDF and the workbook; replaces an earlier version.
    ``actor`` None means the scheduler (the caller has checked nothing else to check)."""
    scope_key = agency.code if agency is not None else PROVINCE
    if actor is not None:
        require(actor, "briefings.generate", ScopeTarget(scope_key))
    now = now or utcnow()
    data = figures.build(
        session, period, agency_id=agency.id if agency else None, now=now, locale=locale
    )
    pdf, xlsx = render_pdf(data, locale=locale), render_xlsx(data, locale=locale)
    briefing = find(session, kind=period.kind, period_key=period.key, scope_key=scope_key)
    if briefing is None:
        briefing = Briefing(kind=period.kind, period_key=period.key, scope_key=scope_key)
        session.add(briefing)
    _ = translator(locale)
    briefing.period_start = period.start
    briefing.period_end = period.end
    briefing.agency_id = agency.id if agency else None
    briefing.title = period.title(_) + (f" — {agency.name}" if agency else "")
    briefing.generated_at = now
    briefing.generated_by_id = actor.user_id if actor else None
    briefing.generated_by = actor.display_name if actor else "scheduler"
    briefing.pdf, briefing.xlsx = pdf, xlsx
    briefing.pdf_size, briefing.xlsx_size = len(pdf), len(xlsx)
    session.flush()
    events.record(
        session,
        "briefing.generated",
        subject_type="briefing",
        subject_id=briefing.id,
        actor_id=actor.user_id if actor else None,
        title=briefing.title,
        agency_id=briefing.agency_id,
        payload={"kind": period.kind, "period": period.key, "scope": scope_key},
        occurred_at=now,
    )
    return briefing


def due_periods(now: datetime | None = None) -> list[Period]:
    """The periods whose scheduled report should exist by ``now``: last week's from Monday
    06:00, last month's from the 1st 06:00 (local time)."""
    now = now or utcnow()
    local_now = now.astimezone(periods.LOCAL_TZ)
    due = []
    for kind in KINDS:
        period = periods.last_complete(kind, now)
        ready = datetime.combine(period.end, SCHEDULE_AT, tzinfo=periods.LOCAL_TZ)
        if local_now < ready:
            period = period.previous()
        due.append(period)
    return due


def run_scheduled(session: Session, *, now: datetime | None = None) -> list[Briefing]:
    """The job: generate each due province-wide report that does not exist yet."""
    made = []
    for period in due_periods(now):
        if find(session, kind=period.kind, period_key=period.key) is None:
            made.append(generate(session, period=period, now=now))
    return made


def list_for(session: Session, actor: Actor) -> list[Briefing]:
    """The reports ``actor`` may download, newest period first (files not loaded)."""
    require(actor, "briefings.view")
    rows = session.scalars(
        select(Briefing)
        .order_by(Briefing.period_start.desc(), Briefing.kind, Briefing.scope_key)
        .limit(LIST_LIMIT)
    ).all()
    from ioc.kit.permissions import can

    return [b for b in rows if can(actor, "briefings.view", scope_of(b))]


def get_for(session: Session, actor: Actor, briefing_id: int) -> Briefing:
    briefing = session.get(Briefing, briefing_id)
    if briefing is None:
        raise NotFound("No such leader's report.")
    require(actor, "briefings.view", scope_of(briefing))
    return briefing


def own_agency(session: Session, actor: Actor) -> Agency | None:
    """The agency whose version an agency head gets; None for province-wide staff."""
    from ioc.kit.permissions import can

    if can(actor, "briefings.view", ScopeTarget(PROVINCE)):
        return None
    codes = sorted(actor.agency_codes())
    if not codes:
        return None
    return session.scalar(select(Agency).where(Agency.code == codes[0]))


def recent(session: Session, kinds: Sequence[str] = KINDS) -> list[Period]:
    """The periods offered by "Generate now": the current and the previous of each kind."""
    today = utcnow()
    return [
        p
        for kind in kinds
        for p in (periods.current(kind, today), periods.last_complete(kind, today))
    ]


JOB_INTERVAL = timedelta(minutes=30)
