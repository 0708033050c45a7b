"""The leader's weekly and monthly report: a page, a PDF and an Excel workbook, generated on a
schedule and on demand, listed for download."""

from __future__ import annotations

from typing import Any

from ioc.kit.module import EventType, JobSpec, Module, NavEntry, PermissionSpec

READERS = ("agency_head", "operator", "leader", "administrator")


def _scheduled(session: Any) -> None:
    from ioc.briefings.service import run_scheduled

    run_scheduled(session)


def _build() -> Module:
    from ioc.briefings import pages
    from ioc.briefings.service import JOB_INTERVAL

    return Module(
        name="briefings",
        routers=(pages.router,),
        nav=(
            NavEntry(
                "console", "Leader's reports", "/console/briefings", "briefings.view", "file", 35
            ),
        ),
        permissions=(
            PermissionSpec(
                "briefings.view",
                "Read and download the leader's reports (agency heads: their agency's version)",
                READERS,
            ),
            PermissionSpec(
                "briefings.generate",
                "Generate a leader's report now",
                READERS,
            ),
        ),
        event_types=(
            EventType("briefing.generated", "A leader's report was generated", "info", "staff"),
        ),
        jobs=(
            JobSpec(
                "briefings.scheduled",
                _scheduled,
                JOB_INTERVAL,
                "Generate last week's report on Monday morning and last month's on the 1st",
            ),
        ),
    )


module = _build()
