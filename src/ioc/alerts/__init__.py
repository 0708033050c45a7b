"""Alerts raised by rules over events and indicators, handled through standard procedures.

Rules (``rules.py``): an indicator moving into a worse band, a report passing its deadline, a
spike of reports in one H3 cell. Operators and leaders handle every alert; an agency's heads
and officers handle those assigned to their agency. Each rule can have a standard operating
procedure whose steps are copied onto every alert it raises, each with its own deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ioc.kit.module import EventType, JobSpec, Module, NavEntry, PermissionSpec

PROVINCE_STAFF = ("operator", "leader", "administrator")
AGENCY_STAFF = ("officer", "agency_head")

PERMISSIONS = (
    PermissionSpec(
        "alerts.view",
        "See alerts (agency staff: those assigned to their agency)",
        (*PROVINCE_STAFF, *AGENCY_STAFF),
    ),
    PermissionSpec(
        "alerts.handle",
        "Acknowledge alerts, tick procedure steps, add notes, resolve",
        ("operator", "leader", *AGENCY_STAFF),
    ),
    PermissionSpec(
        "alerts.assign", "Assign alerts to an agency or a person", ("operator", "leader")
    ),
    PermissionSpec(
        "alerts.configure",
        "Turn alert rules on or off and set their thresholds",
        ("operator", "administrator"),
    ),
    PermissionSpec(
        "alerts.procedures", "Edit the standard operating procedures", ("administrator",)
    ),
)

EVENT_TYPES = (
    EventType("alert.raised", "An alert was raised", "warning", "staff"),
    EventType("alert.acknowledged", "An alert was acknowledged", "info", "staff"),
    EventType("alert.assigned", "An alert was assigned", "info", "agency"),
    EventType("alert.noted", "A note was added to an alert", "info", "staff"),
    EventType("alert.step_done", "A procedure step was done", "info", "staff"),
    EventType("alert.resolved", "An alert was resolved", "info", "staff"),
)


def _seed(session: Any, *, progress: Any) -> None:
    from ioc.alerts.seed import seed_alerts

    seed_alerts(session, progress=progress)


def _demo(session: Any, *, progress: Any) -> None:
    from ioc.alerts.seed import seed_demo_alerts

    seed_demo_alerts(session, progress=progress)


_subscribed: list[Any] = []


def subscribe() -> None:
    """Hand the rules' events to the rules, once per process (every process that imports the
    installed modules: app, worker, command line). Idempotent."""
    if _subscribed:
        return
    from ioc.alerts.rules import EVENT_TYPES as RULE_EVENTS
    from ioc.alerts.rules import on_event
    from ioc.kit import events

    _subscribed.append(events.bus.subscribe(on_event, types=RULE_EVENTS))


def _spikes(session: Any) -> int:
    from ioc.alerts.rules import detect_spikes

    return detect_spikes(session)


def _build() -> Module:
    from ioc.alerts import context, pages
    from ioc.web.templating import register_page_context

    subscribe()
    register_page_context("alerts.nav_badge", context.nav_badge)
    return Module(
        name="alerts",
        routers=(pages.router, pages.admin_router),
        nav=(
            NavEntry("console", "Alerts", "/console/alerts", "alerts.view", "siren", 5),
            NavEntry(
                "admin",
                "Alert procedures",
                "/admin/alerts/procedures",
                "alerts.procedures",
                "clipboard",
                40,
            ),
        ),
        permissions=PERMISSIONS,
        event_types=EVENT_TYPES,
        jobs=(
            JobSpec(
                "alerts.spikes",
                _spikes,
                timedelta(minutes=5),
                "Raise an alert on a spike of reports in one place within an hour",
            ),
        ),
        seed=_seed,
        demo=_demo,
        seed_after=("reports", "areas"),
    )


module = _build()
