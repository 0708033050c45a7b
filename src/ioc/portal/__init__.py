"""The citizen portal: its shell and home page, citizen accounts by phone (sign-in by one-time
code, profile, notifications) and the app's usage counted in aggregate. Field reports, notices
and the rest of the citizen app add their own navigation entries from their modules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ioc.kit.module import JobSpec, Module, NavEntry, PermissionSpec


def _demo(session: Any, *, progress: Any) -> None:
    from ioc.portal.demo import seed_demo

    seed_demo(session, progress=progress)


def _build() -> Module:
    from ioc.portal import account_pages, notifications, otp, pages, usage
    from ioc.web.templating import register_page_context

    notifications.subscribe()
    register_page_context("portal.notifications", notifications.page_context)
    return Module(
        name="portal",
        routers=(pages.router, account_pages.router),
        nav=(
            NavEntry("portal", "Home", "/", None, "home", 0),
            NavEntry(
                "portal-home",
                "My account",
                "/me",
                "portal.account",
                "user",
                90,
                hint="Your name, commune and notifications",
            ),
            NavEntry(
                "console",
                "Citizen app usage",
                "/console/usage",
                "portal.usage.view",
                "activity",
                80,
            ),
        ),
        permissions=(
            PermissionSpec(
                "portal.account",
                "Use a personal account in the citizen app",
                ("citizen", "officer", "agency_head", "operator", "leader", "administrator"),
            ),
            PermissionSpec(
                "portal.usage.view",
                "See the citizen app's usage figures (totals only)",
                ("operator", "leader", "administrator"),
            ),
        ),
        indicators=tuple(usage.INDICATORS),
        jobs=(
            usage.snapshot_job(),
            JobSpec(
                "portal.purge_codes",
                otp.purge_codes,
                timedelta(hours=1),
                "Remove sign-in codes older than a day",
            ),
        ),
        demo=_demo,
        seed_after=("reports",),
    )


module = _build()
