"""Whose picture the console shows, and which events an actor may see.

Leaders, operators and administrators see the province; an agency head or officer sees the
agencies they work for (DOMAIN.md: an agency answers for its own reports). The same rule is
applied twice: as SQL for the timeline and the replay of the live feed, and in Python for
events arriving on the live feed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.kit.events import Event, EventOut
from ioc.kit.permissions import Actor

PROVINCE_ROLES = ("operator", "leader", "administrator")
STAFF_ROLES = ("officer", "agency_head", *PROVINCE_ROLES)


@dataclass(frozen=True)
class ConsoleScope:
    """``agency_ids`` None: the whole province. ``visibilities``: the event visibilities
    this actor may see at all (internal ones are for administrators)."""

    agency_ids: frozenset[int] | None
    visibilities: frozenset[str]
    staff: bool

    @property
    def province_wide(self) -> bool:
        return self.agency_ids is None

    @property
    def agency_id(self) -> int | None:
        """The one agency of an agency's picture (tiles take one), else None."""
        if self.agency_ids and len(self.agency_ids) == 1:
            return next(iter(self.agency_ids))
        return None

    def sees(self, event: EventOut | Event) -> bool:
        if event.visibility not in self.visibilities:
            return False
        if self.agency_ids is None:
            return True
        if event.agency_id is not None:
            return event.agency_id in self.agency_ids
        # Not about any agency: an agency's staff see it only if it is public.
        return event.visibility == "public"

    def event_condition(self) -> ColumnElement[bool]:
        allowed = Event.visibility.in_(sorted(self.visibilities))
        if self.agency_ids is None:
            return allowed
        return and_(
            allowed,
            or_(
                Event.agency_id.in_(sorted(self.agency_ids)),
                and_(Event.agency_id.is_(None), Event.visibility == "public"),
            ),
        )


PUBLIC_ONLY = ConsoleScope(agency_ids=frozenset(), visibilities=frozenset({"public"}), staff=False)


def scope_for(session: Session, actor: Actor) -> ConsoleScope:
    if not actor.has_role(*STAFF_ROLES):
        return PUBLIC_ONLY
    visibilities = {"public", "staff", "agency"}
    if actor.has_role("administrator"):
        visibilities.add("internal")
    if actor.has_role(*PROVINCE_ROLES):
        return ConsoleScope(None, frozenset(visibilities), True)
    codes = actor.agency_codes()
    ids = (
        frozenset(session.scalars(select(Agency.id).where(Agency.code.in_(sorted(codes)))).all())
        if codes
        else frozenset()
    )
    return ConsoleScope(ids, frozenset(visibilities), True)
