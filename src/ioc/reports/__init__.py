"""Citizen field reports (phản ánh hiện trường): intake from every channel, routing to the
responsible agency, deadlines in working time, answers, ratings and the evaluation of agencies;
Open311 GeoReport v2 as a second face of the same service."""

from __future__ import annotations

from typing import Any

from ioc.kit.module import EventType, MapLayer, Module, NavEntry, PermissionSpec

HANDLERS = ("officer", "agency_head", "operator")
STAFF = ("officer", "agency_head", "operator", "leader", "administrator")
EVERYONE = ("citizen", *STAFF)

PERMISSIONS = (
    PermissionSpec("reports.submit", "File a report (signed in)", EVERYONE),
    PermissionSpec(
        "reports.view_internal", "See internal notes and unpublished details of a report", STAFF
    ),
    PermissionSpec(
        "reports.view_reporter",
        "See who filed a report (personal data; every view is audited)",
        HANDLERS,
    ),
    PermissionSpec(
        "reports.handle", "Accept, work on, answer, transfer or reject a report", HANDLERS
    ),
    PermissionSpec(
        "reports.triage",
        "Route unrouted reports, merge duplicates, close without fix",
        ("operator", "administrator"),
    ),
    PermissionSpec(
        "reports.moderate",
        "Hide a report or a photo from the public",
        ("operator", "administrator"),
    ),
    PermissionSpec(
        "reports.evaluate",
        "See the evaluation of agencies and officers",
        ("agency_head", "operator", "leader", "administrator"),
    ),
    PermissionSpec(
        "reports.configure", "Edit categories, routing rules and deadlines", ("administrator",)
    ),
)

EVENT_TYPES = (
    EventType("report.submitted", "A report was filed", "info", "staff"),
    EventType("report.routed", "A report was routed to an agency", "info", "staff"),
    EventType("report.accepted", "An agency accepted a report", "info", "staff"),
    EventType("report.started", "Work started on a report", "info", "staff"),
    EventType(
        "report.info_requested", "The agency asked the citizen for information", "info", "staff"
    ),
    EventType("report.info_provided", "The citizen added information", "info", "staff"),
    EventType("report.resolved", "A report was answered as resolved", "notice", "public"),
    EventType("report.closed", "A report was closed", "info", "staff"),
    EventType("report.closed_unfixed", "A report was closed without a fix", "notice", "staff"),
    EventType("report.rejected", "A report was rejected", "notice", "staff"),
    EventType("report.duplicate", "A report was merged into another", "info", "staff"),
    EventType(
        "report.transferred", "A report was transferred to another agency", "notice", "staff"
    ),
    EventType("report.reopened", "The citizen reopened a report: not fixed", "warning", "staff"),
    EventType("report.rated", "The citizen rated the answer", "info", "staff"),
    EventType("report.reminder", "A report's deadline is near", "notice", "agency"),
    EventType("report.overdue", "A report passed its deadline", "warning", "staff"),
    EventType("report.hidden", "A report or photo was hidden from the public", "info", "internal"),
    EventType("reports.category_changed", "A report category was changed", "info", "internal"),
)


def _seed(session: Any, *, progress: Any) -> None:
    from ioc.reports.seed import seed_reports

    seed_reports(session, progress=progress)


def _demo(session: Any, *, progress: Any) -> None:
    from ioc.reports.demo import seed_demo_reports

    seed_demo_reports(session, progress=progress)
    from ioc.reports.demo_events import record_recent_demo_events

    record_recent_demo_events(session)


def _build() -> Module:
    from ioc.reports import (
        admin_pages,
        api,
        console_pages,
        feedback_pages,
        jobs,
        map_layers,
        open311,
        portal_pages,
    )
    from ioc.reports import indicators as report_indicators

    return Module(
        name="reports",
        routers=(
            map_layers.router,
            portal_pages.router,
            feedback_pages.router,
            console_pages.router,
            admin_pages.router,
            api.router,
            open311.router,
        ),
        hot_routes=(open311.intake_route,),
        nav=(
            NavEntry("portal", "Report a problem", "/reports/new", None, "flag", 10),
            NavEntry("portal", "Reports", "/reports", None, "list", 15),
            NavEntry("portal", "My reports", "/me/reports", "portal.account", "inbox", 20),
            NavEntry(
                "portal-home",
                "Report a problem",
                "/reports/new",
                None,
                "camera",
                10,
                hint="A photo, the place and a few words",
            ),
            NavEntry(
                "portal-home",
                "My reports",
                "/me/reports",
                "portal.account",
                "inbox",
                20,
                hint="See progress and answers",
            ),
            NavEntry(
                "portal-home",
                "Questions and suggestions",
                "/feedback/new",
                None,
                "message",
                25,
                hint="Ask about a procedure or make a suggestion: no place needed",
            ),
            NavEntry(
                "portal-home",
                "Reports in the province",
                "/reports",
                None,
                "map",
                30,
                hint="What others reported and how agencies answered",
            ),
            NavEntry(
                "console", "Reports inbox", "/console/reports", "reports.view_internal", "inbox", 10
            ),
            NavEntry(
                "console",
                "Evaluation",
                "/console/reports/evaluation",
                "reports.evaluate",
                "chart",
                30,
            ),
            NavEntry(
                "admin", "Report categories", "/admin/categories", "reports.configure", "tag", 35
            ),
        ),
        permissions=PERMISSIONS,
        event_types=EVENT_TYPES,
        map_layers=(
            *map_layers.LAYERS,
            # The public layers, off by default on the console ("visible": False).
            MapLayer(
                "reports.open",
                "Open reports",
                "/reports/map.geojson?status=open",
                {"color": "#9a3412", "fillColor": "#f97316", "radius": 4, "visible": False},
            ),
            MapLayer(
                "reports.resolved",
                "Resolved reports",
                "/reports/map.geojson?status=resolved",
                {"color": "#166534", "fillColor": "#22c55e", "radius": 4, "visible": False},
            ),
        ),
        jobs=jobs.JOBS,
        indicators=report_indicators.INDICATORS,
        seed=_seed,
        demo=_demo,
    )


module = _build()
