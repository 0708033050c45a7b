"""Indicators: a catalogue, observations by area and period, bands, scorecards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ioc.kit.module import EventType, JobSpec, Module, NavEntry, PermissionSpec

STAFF = ("officer", "agency_head", "operator", "leader", "administrator")

PERMISSIONS = (
    PermissionSpec("indicators.view", "See indicators, scorecards and their history", STAFF),
    PermissionSpec(
        "indicators.enter",
        "Enter or import indicator values (agency heads: their agency's indicators)",
        ("agency_head", "operator", "leader", "administrator"),
    ),
    PermissionSpec(
        "indicators.configure",
        "Edit the indicator catalogue: targets, bands, roll-ups",
        ("administrator",),
    ),
)

EVENT_TYPES = (
    EventType(
        "indicator.band_changed",
        "An indicator moved into another band (on target, needs attention, off target)",
        "warning",
        "staff",
    ),
    EventType("indicator.imported", "Indicator values were imported from a file", "info", "staff"),
)


def _seed(session: Any, *, progress: Any) -> None:
    from ioc.indicators.seed import seed_catalogue

    seed_catalogue(session, progress=progress)


def _demo(session: Any, *, progress: Any) -> None:
    from ioc.indicators.demo import seed_demo_observations

    seed_demo_observations(session, progress=progress)


def _compute_job(session: Any) -> int:
    from ioc.indicators.compute import job

    return job(session)


def _build() -> Module:
    from ioc.indicators import admin_pages, pages

    return Module(
        name="indicators",
        routers=(pages.router, admin_pages.router),
        nav=(
            NavEntry(
                "console", "Scorecards", "/console/scorecards", "indicators.view", "chart", 20
            ),
            NavEntry("console", "Indicators", "/console/indicators", "indicators.view", "list", 25),
            NavEntry(
                "admin",
                "Indicator catalogue",
                "/admin/indicators",
                "indicators.configure",
                "chart",
                40,
            ),
        ),
        permissions=PERMISSIONS,
        event_types=EVENT_TYPES,
        jobs=(
            JobSpec(
                "indicators.compute",
                _compute_job,
                timedelta(hours=1),
                "Compute the indicators modules provide for the current and last period",
            ),
        ),
        seed=_seed,
        seed_after=("areas", "reports", "portal"),
        demo=_demo,
    )


module = _build()
