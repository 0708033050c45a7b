"""The citizen portal: its shell and home page. Field reports, notices and the rest of the
citizen app add their own navigation entries from their modules."""

from __future__ import annotations

from ioc.kit.module import Module, NavEntry, PermissionSpec


def _build() -> Module:
    from ioc.portal import pages

    return Module(
        name="portal",
        routers=(pages.router,),
        nav=(NavEntry("portal", "Home", "/", None, "home", 0),),
        permissions=(
            PermissionSpec(
                "portal.account",
                "Use a personal account in the citizen app",
                ("citizen", "officer", "agency_head", "operator", "leader", "administrator"),
            ),
        ),
    )


module = _build()
