"""Reference data read on every report filed: categories, routing rules, agencies, communes,
deadline policies and the working calendar, kept per process for a few seconds.

Filing a report used to read them all again, about half of its statements. Here they are
read together once per ``TTL`` seconds per database engine, as plain immutable snapshots that
no session owns. A change reaches the cache:

* at once in this process, when it goes through the ORM: a flush or a bulk UPDATE/DELETE/INSERT
  touching one of the tables clears the cache, and the session that made the change reads its
  own (uncommitted) data directly until it ends;
* at once, when the code that changed it calls :func:`invalidate` (configuration pages);
* within ``TTL`` seconds otherwise (another process, raw SQL).

Only sessions bound to an :class:`~sqlalchemy.Engine` use the cache. A session bound to a
connection (the tests' outer transaction, a savepoint-joined session) always reads the tables,
so that no data of one test, never committed, can be seen by another.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, SessionTransaction

from ioc.areas.models import Agency, Area
from ioc.kit.calendar_store import WorkdayOverride, load_overrides
from ioc.kit.changes import on_change
from ioc.kit.workdays import WorkCalendar
from ioc.reports.models import Category, DeadlinePolicy, RoutingRule

TTL = 5.0
_DIRTY = "ioc.reports.refdata.dirty"
_WATCHED_TYPES = (Category, RoutingRule, DeadlinePolicy, Agency, Area, WorkdayOverride)


class _SharedCalendar(WorkCalendar):
    """A WorkCalendar whose overrides never change (it is replaced when they do), so each
    day's office periods are computed once; deadline arithmetic walks them day by day."""

    _MEMO_MAX = 20_000

    def __init__(self, overrides: Mapping[date, bool]) -> None:
        super().__init__(overrides=overrides)
        self._periods: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    def office_periods(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        if isinstance(d, datetime):
            return super().office_periods(d)
        periods = self._periods.get(d)
        if periods is None:
            periods = super().office_periods(d)
            if len(self._periods) >= self._MEMO_MAX:
                self._periods.clear()
            self._periods[d] = periods
        return periods


@dataclass(frozen=True)
class CategoryRef:
    id: int
    code: str
    default_urgency: str
    allow_anonymous: bool
    is_active: bool
    location_required: bool
    # Open311 attribute definitions; shared between reports, so read them, never change them.
    attributes: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AgencyRef:
    id: int
    code: str
    is_active: bool


@dataclass(frozen=True)
class PolicyRow:
    accept_amount: float
    accept_unit: str
    resolve_amount: float
    resolve_unit: str


@dataclass(frozen=True)
class RefData:
    categories: Mapping[str, CategoryRef]
    # category id -> {area code or None (province-wide): target}
    rules: Mapping[int, Mapping[str | None, str]]
    agencies: Mapping[str, AgencyRef]
    area_kinds: Mapping[str, str]
    # (category id or None, urgency) -> amounts
    policies: Mapping[tuple[int | None, str], PolicyRow]
    calendar: WorkCalendar


@dataclass
class _Entry:
    data: RefData
    loaded_at: float
    generation: int


_lock = threading.Lock()
_entries: weakref.WeakKeyDictionary[Engine, _Entry] = weakref.WeakKeyDictionary()
_generation = 0


def invalidate() -> None:
    """Forget the cached reference data of every engine; the next report reads it again.
    Call after committing a change to categories, routing, deadlines, agencies or the
    working calendar (the ORM changes of this process are noticed without it)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def _engine(session: Session) -> Engine | None:
    bind = session.bind
    if not isinstance(bind, Engine) or session.info.get(_DIRTY):
        return None
    return bind


def load(session: Session) -> RefData:
    """All the reference data, read now in ``session``."""
    categories = {
        c.code: CategoryRef(
            id=c.id,
            code=c.code,
            default_urgency=c.default_urgency,
            allow_anonymous=c.allow_anonymous,
            is_active=c.is_active,
            location_required=c.location_required,
            attributes=tuple(c.attributes or ()),
        )
        for c in session.scalars(select(Category))
    }
    rules: dict[int, dict[str | None, str]] = {}
    for category_id, area_code, target in session.execute(
        select(RoutingRule.category_id, RoutingRule.area_code, RoutingRule.target)
    ):
        rules.setdefault(category_id, {})[area_code] = target
    agencies = {
        code: AgencyRef(id, code, bool(active))
        for id, code, active in session.execute(select(Agency.id, Agency.code, Agency.is_active))
    }
    area_kinds = {code: kind for code, kind in session.execute(select(Area.code, Area.kind))}
    policies = {
        (p.category_id, p.urgency): PolicyRow(
            p.accept_amount, p.accept_unit, p.resolve_amount, p.resolve_unit
        )
        for p in session.scalars(select(DeadlinePolicy))
    }
    calendar = _SharedCalendar(load_overrides(session))
    return RefData(categories, rules, agencies, area_kinds, policies, calendar)


def get(session: Session) -> RefData | None:
    """The cached reference data for ``session``'s engine, or None when this session must
    read the tables itself (bound to a connection, or it changed reference data)."""
    engine = _engine(session)
    if engine is None:
        return None
    now = time.monotonic()
    entry = _entries.get(engine)
    if entry is not None and now - entry.loaded_at < TTL:
        return entry.data
    generation = _generation
    data = load(session)
    with _lock:
        # A change noticed while we were reading: keep the data for this call only.
        if generation == _generation:
            _entries[engine] = _Entry(data, now, generation)
    return data


# --- noticing changes ------------------------------------------------------------------------


def _mark(session: Session) -> None:
    session.info[_DIRTY] = True
    invalidate()


on_change(_WATCHED_TYPES, _mark)


@event.listens_for(Session, "after_transaction_end")
def _transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction only: a savepoint rolled back leaves the session's other
    # changes in place.
    if transaction.parent is None and session.info.pop(_DIRTY, None):
        invalidate()  # again: others may have read the old rows before the commit
