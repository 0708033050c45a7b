"""Hearing of ORM changes to some tables, for per-process caches of what they hold.

A change reaches ``callback(session)`` when a flush writes an object of one of the ``models``
(added, changed or deleted) or when a bulk UPDATE/DELETE/INSERT through the session targets
one of their tables. Raw SQL on a bare connection is not seen: caches that depend on this keep
a short TTL for what other processes (and raw SQL) change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction


def on_change(models: tuple[type[Any], ...], callback: Callable[[Session], None]) -> None:
    """Call ``callback(session)`` whenever ``session`` changes rows of ``models``' tables."""
    tables = frozenset(model.__table__.name for model in models)

    @event.listens_for(Session, "after_flush")
    def _flushed(session: Session, _flush: UOWTransaction) -> None:
        for group in (session.new, session.dirty, session.deleted):
            if any(isinstance(obj, models) for obj in group):
                callback(session)
                return

    @event.listens_for(Session, "do_orm_execute")
    def _executed(state: ORMExecuteState) -> None:
        if state.is_select:
            return
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in tables:
            callback(state.session)
