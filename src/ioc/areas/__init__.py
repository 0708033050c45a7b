"""Administrative units and agencies."""

from __future__ import annotations

from typing import Any

from ioc.kit.module import EventType, Module, NavEntry, PermissionSpec


def _seed(session: Any, *, progress: Any) -> None:
    from ioc.areas import service

    service.seed_areas(session, progress=progress)
    service.seed_agencies(session, progress=progress)


def _build() -> Module:
    from ioc.areas import api, geo_routes, pages, public_pages

    return Module(
        name="areas",
        routers=(geo_routes.router, pages.router, public_pages.router, api.router),
        nav=(
            NavEntry("portal", "Agency directory", "/directory", None, "building", 40),
            NavEntry(
                "portal-home",
                "Agency directory",
                "/directory",
                None,
                "building",
                40,
                hint="Hotlines of the province's agencies and your commune",
            ),
            NavEntry("admin", "Agencies", "/admin/agencies", "agencies.manage", "building", 20),
            NavEntry("admin", "Communes and wards", "/admin/areas", "agencies.manage", "map", 30),
        ),
        permissions=(
            PermissionSpec("agencies.manage", "Create and change agencies", ("administrator",)),
            PermissionSpec(
                "areas.view",
                "See areas and agencies",
                ("officer", "agency_head", "operator", "leader", "administrator"),
            ),
        ),
        event_types=(
            EventType("agency.created", "An agency was created", "info", "staff"),
            EventType("agency.updated", "An agency was changed", "info", "staff"),
        ),
        seed=_seed,
    )


module = _build()
