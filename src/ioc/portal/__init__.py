"""The citizen portal: its shell and home page (the citizen app grows here)."""

from __future__ import annotations

from ioc.kit.module import Module, NavEntry, PermissionSpec


def _build() -> Module:
    from ioc.portal import pages

    return Module(
        name="portal",
        routers=(pages.router,),
        nav=(
            NavEntry("portal", "Home", "/", None, "home", 0),
            NavEntry("portal", "Report a problem", "/reports/new", None, "flag", 10),
            NavEntry("portal", "My reports", "/me/reports", "portal.account", "list", 20),
            NavEntry("portal", "Notices", "/notices", None, "bell", 30),
        ),
        permissions=(
            PermissionSpec(
                "portal.account",
                "Use a personal account in the citizen app",
                ("citizen", "officer", "agency_head", "operator", "leader", "administrator"),
            ),
        ),
    )


module = _build()
