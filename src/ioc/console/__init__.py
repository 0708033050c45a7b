"""The operations console: the shell, its landing page and the sent-messages page."""

from __future__ import annotations

from ioc.kit.module import Module, NavEntry, PermissionSpec

STAFF = ("officer", "agency_head", "operator", "leader", "administrator")


def _build() -> Module:
    from ioc.console import pages

    return Module(
        name="console",
        routers=(pages.router,),
        nav=(
            NavEntry("console", "Overview", "/console", "console.view", "home", 0),
            NavEntry("console", "Timeline", "/console/events", "console.view", "list", 40),
            NavEntry("console", "Sent messages", "/console/messages", "messages.view", "inbox", 80),
        ),
        permissions=(
            PermissionSpec("console.view", "Open the operations console", STAFF),
            PermissionSpec(
                "messages.view", "Read the outbox of notifications", ("operator", "administrator")
            ),
        ),
    )


module = _build()
