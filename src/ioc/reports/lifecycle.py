"""The life of a report as an explicit state machine.

Every status change goes through :func:`next_status`, so the table below is the whole truth
about what may happen to a report; the service never assigns ``report.status`` otherwise.

Why the states are what they are (DOMAIN.md, "Lessons from the systems people already use"):
"closed without fix" is kept apart from "resolved" so that fix rates are honest; a reopen
("not fixed") really reaches the agency again (status ``reopened`` is open and in the agency's
inbox); waiting for the citizen stops the deadline clock (see deadlines.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ioc.errors import Conflict

SUBMITTED: Final = "submitted"
ACCEPTED: Final = "accepted"
IN_PROGRESS: Final = "in_progress"
WAITING: Final = "waiting"
RESOLVED: Final = "resolved"
CLOSED: Final = "closed"
CLOSED_UNFIXED: Final = "closed_unfixed"
REJECTED: Final = "rejected"
DUPLICATE: Final = "duplicate"
REOPENED: Final = "reopened"

STATUSES: Final = (
    SUBMITTED,
    ACCEPTED,
    IN_PROGRESS,
    WAITING,
    RESOLVED,
    CLOSED,
    CLOSED_UNFIXED,
    REJECTED,
    DUPLICATE,
    REOPENED,
)
# Still the agency's to do. A reopened report counts as not resolved.
OPEN: Final = frozenset({SUBMITTED, ACCEPTED, IN_PROGRESS, WAITING, REOPENED})
# Nothing leaves these. "resolved" is not terminal: the citizen may still reopen it.
TERMINAL: Final = frozenset({CLOSED, CLOSED_UNFIXED, REJECTED, DUPLICATE})
# The deadline clock runs (waiting stops it; see deadlines.py).
CLOCK_RUNNING: Final = frozenset({SUBMITTED, ACCEPTED, IN_PROGRESS, REOPENED})
# Where a report may be when the agency asks the citizen for information, and so where
# provide_info may return it to.
RESUMABLE: Final = frozenset({SUBMITTED, ACCEPTED, IN_PROGRESS, REOPENED})

# The marker for "back to the status the pause interrupted".
PREVIOUS: Final = "<previous>"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str  # a status, or PREVIOUS


def _t(action: str, sources: frozenset[str] | set[str], target: str) -> Transition:
    return Transition(action, frozenset(sources), target)


TRANSITIONS: Final[dict[str, Transition]] = {
    t.action: t
    for t in (
        # An operator routes a report no rule could route (or re-routes one not yet accepted).
        _t("assign_agency", {SUBMITTED}, SUBMITTED),
        _t("accept", {SUBMITTED}, ACCEPTED),
        _t("start", {ACCEPTED, REOPENED}, IN_PROGRESS),
        _t("request_info", RESUMABLE, WAITING),
        _t("provide_info", {WAITING}, PREVIOUS),
        _t("resolve", {ACCEPTED, IN_PROGRESS, REOPENED}, RESOLVED),
        _t("close_unfixed", OPEN, CLOSED_UNFIXED),
        _t("reject", OPEN, REJECTED),
        _t("mark_duplicate", OPEN, DUPLICATE),
        # Not while waiting: the new agency would inherit a stopped clock and a question it
        # did not ask. The new agency must accept again, hence back to submitted.
        _t("transfer", {SUBMITTED, ACCEPTED, IN_PROGRESS, REOPENED}, SUBMITTED),
        _t("reopen", {RESOLVED}, REOPENED),
        _t("close", {RESOLVED}, CLOSED),
    )
}

# Actions that do not change the status, and where they are allowed.
NON_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "rate": frozenset({RESOLVED, CLOSED}),
    "add_note": frozenset(STATUSES),
    "hide": frozenset(STATUSES),
}


def can(action: str, status: str) -> bool:
    """Whether ``action`` is allowed on a report in ``status``."""
    if action in TRANSITIONS:
        return status in TRANSITIONS[action].sources
    if action in NON_TRANSITIONS:
        return status in NON_TRANSITIONS[action]
    raise KeyError(f"unknown report action {action!r}")


def illegal(action: str, status: str = "") -> Conflict:
    # One sentence for every action, so that it translates whole; the action and status go
    # along as parameters for API clients (a translated "{action}" would stay English).
    return Conflict(
        "This cannot be done to the report at this stage.",
        field="status",
        action=action,
        status=status,
    )


def check(action: str, status: str) -> None:
    """Raise ``Conflict`` unless ``action`` is allowed in ``status``."""
    if not can(action, status):
        raise illegal(action, status)


def next_status(action: str, status: str, *, previous: str | None = None) -> str:
    """The status after ``action``; ``Conflict`` if the action is not allowed now.

    ``previous`` is the status a pause interrupted, needed only for ``provide_info``."""
    if action not in TRANSITIONS:
        raise KeyError(f"{action!r} does not change a report's status")
    check(action, status)
    target = TRANSITIONS[action].target
    if target == PREVIOUS:
        if previous not in RESUMABLE:
            raise illegal(action, status)
        return previous
    return target


def is_open(status: str) -> bool:
    return status in OPEN


def is_terminal(status: str) -> bool:
    return status in TERMINAL


def open311_status(status: str) -> Literal["open", "closed"]:
    """GeoReport v2 knows only "open" and "closed". Resolved is "closed" to the standard even
    though the citizen may still reopen it (the extended status history shows the detail)."""
    return "open" if status in OPEN else "closed"
