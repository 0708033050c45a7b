"""Work that must wait until a Session's transaction is over: remember items with the
transaction (or savepoint) they were added in, and learn, once the outermost transaction has
ended, which of them were committed and which rolled back.

``kit.events`` dispatches its committed events this way and ``kit.audit`` rewrites its
rolled-back entries. The listeners sit on the Session class, so every session has them
without wiring; they only act on sessions that hold items.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class _StashState(Generic[T]):
    pending: list[tuple[T, SessionTransaction]] = field(default_factory=list)
    committed: list[T] = field(default_factory=list)
    rolled_back: list[T] = field(default_factory=list)


class TransactionStash(Generic[T]):
    """Items remembered with the Session transaction (or savepoint) they were added in, and
    handed to ``on_end(session, committed, rolled_back)`` once the outermost transaction has
    ended and its connection is released, so ``on_end`` may use new sessions freely.

    The listeners are registered once, on the Session class, so every session gets them.
    Savepoints: an item added in a savepoint that rolls back counts as rolled back even if the
    outer transaction commits; a released savepoint's items follow the outer transaction. A
    session bound to a connection in ``create_savepoint`` mode (the tests) has its own commit
    reported as a commit."""

    def __init__(self, key: str, on_end: Callable[[Session, list[T], list[T]], None]) -> None:
        self.key = key
        self.on_end = on_end
        sa_event.listen(Session, "after_commit", self._after_commit)
        sa_event.listen(Session, "after_soft_rollback", self._after_soft_rollback)
        sa_event.listen(Session, "after_transaction_end", self._after_transaction_end)

    def add(self, session: Session, item: T) -> None:
        tx = session.get_nested_transaction() or session.get_transaction()
        if tx is None:  # pragma: no cover - callers flush first, which begins one
            raise RuntimeError("no transaction to attach to")
        state: _StashState[T] = session.info.setdefault(self.key, _StashState())
        state.pending.append((item, tx))

    def _after_commit(self, session: Session) -> None:
        state: _StashState[T] | None = session.info.get(self.key)
        # after_commit also fires when a savepoint is released; its items then belong to the
        # enclosing transaction, which has not committed yet.
        if state is None or session.in_nested_transaction():
            return
        state.committed.extend(item for item, _ in state.pending)
        state.pending.clear()

    def _after_soft_rollback(self, session: Session, previous: SessionTransaction) -> None:
        state: _StashState[T] | None = session.info.get(self.key)
        if state is None:
            return
        kept = []
        for item, tx in state.pending:
            if _within(tx, previous):
                state.rolled_back.append(item)
            else:
                kept.append((item, tx))
        state.pending = kept

    def _after_transaction_end(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None:
            return
        state: _StashState[T] | None = session.info.pop(self.key, None)
        if state is None:
            return
        # Whatever is still pending was never committed (rollback or close).
        rolled_back = state.rolled_back + [item for item, _ in state.pending]
        if not state.committed and not rolled_back:
            return
        try:
            self.on_end(session, state.committed, rolled_back)
        except Exception:  # the caller's transaction is over; never raise into it
            log.exception("after-transaction work for %s failed", self.key)


def _within(tx: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while tx is not None:
        if tx is ancestor:
            return True
        tx = tx.parent
    return False


def sessionmaker_like(
    session: Session, *, info: dict[str, Any] | None = None
) -> sessionmaker[Session]:
    """Sessions on the same database as ``session``, for work in a transaction of its own.

    When ``session`` is bound to a connection that is inside a transaction (the tests' outer
    transaction), new sessions take savepoints in it: their work is visible there, and their
    rollback undoes only their own savepoint. ``info`` seeds the new sessions' ``info``."""
    info = dict(info or {})
    bind = session.bind if session.bind is not None else session.get_bind()
    if isinstance(bind, Connection) and bind.in_transaction():
        return sessionmaker(
            bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint", info=info
        )
    return sessionmaker(bind=bind, expire_on_commit=False, info=info)
