"""Read-side queries for the console shell. Roll-ups replace these as modules grow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.kit.auth import RoleAssignment
from ioc.kit.events import Event
from ioc.kit.notify import Message

from .scope import ConsoleScope


@dataclass(frozen=True)
class Snapshot:
    communes: int
    agencies: int
    staff: int
    events_today: int


def snapshot(session: Session, now: datetime | None = None) -> Snapshot:
    now = now or utcnow()
    return Snapshot(
        communes=session.scalar(
            select(func.count()).select_from(Area).where(Area.kind != "province")
        )
        or 0,
        agencies=session.scalar(
            select(func.count()).select_from(Agency).where(Agency.is_active.is_(True))
        )
        or 0,
        staff=session.scalar(
            select(func.count(func.distinct(RoleAssignment.user_id))).where(
                RoleAssignment.role != "citizen"
            )
        )
        or 0,
        events_today=session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.occurred_at >= now - timedelta(days=1))
        )
        or 0,
    )


def visible_events(session: Session, scope: ConsoleScope, *, limit: int = 50) -> Sequence[Event]:
    """The timeline as this scope may see it (see ``scope.ConsoleScope``), newest first by when
    it happened (an event recorded late, like an import's, takes its place in time)."""
    return session.scalars(
        select(Event)
        .where(scope.event_condition())
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()


def sent_messages(session: Session, *, limit: int = 100) -> Sequence[Message]:
    return session.scalars(select(Message).order_by(Message.id.desc()).limit(limit)).all()
