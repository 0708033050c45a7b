"""Notices, news and emergency alerts that officers publish to the citizen app."""

from __future__ import annotations

from typing import Any

from ioc.kit.module import EventType, Module, NavEntry, PermissionSpec

PUBLISHERS = ("operator", "agency_head", "leader", "administrator")

PERMISSIONS = (
    PermissionSpec(
        "notices.publish",
        "Write, publish and withdraw notices and news (agency heads: for their agency)",
        PUBLISHERS,
    ),
    PermissionSpec(
        "notices.alert",
        "Publish and end emergency alerts shown to citizens",
        ("operator", "leader", "administrator"),
    ),
)

EVENT_TYPES = (
    EventType("notice.published", "A notice or news item was published", "info", "public"),
    EventType("notice.withdrawn", "A notice was withdrawn", "info", "staff"),
    EventType("alert.emergency_published", "An emergency alert was published", "warning", "public"),
    EventType("alert.emergency_ended", "An emergency alert was ended", "info", "public"),
)


def _demo(session: Any, *, progress: Any) -> None:
    from ioc.notices.demo import seed_demo_notices

    seed_demo_notices(session, progress=progress)


def _build() -> Module:
    from ioc.notices import api, console_pages, context, portal_pages

    context.register()
    return Module(
        name="notices",
        routers=(portal_pages.router, console_pages.router, api.router),
        nav=(
            NavEntry("portal", "Notices", "/notices", None, "megaphone", 25),
            NavEntry(
                "portal-home",
                "Notices and news",
                "/notices",
                None,
                "megaphone",
                40,
                hint="What the province and your commune announce",
            ),
            NavEntry("console", "Notices", "/console/notices", "notices.publish", "megaphone", 40),
            NavEntry(
                "console",
                "Emergency alerts",
                "/console/notices/alerts",
                "notices.alert",
                "siren",
                41,
            ),
        ),
        permissions=PERMISSIONS,
        event_types=EVENT_TYPES,
        demo=_demo,
        seed_after=("areas", "reports"),
    )


module = _build()
