"""Administration: people, roles, API keys, the working calendar, the audit log."""

from __future__ import annotations

from ioc.kit.module import EventType, Module, NavEntry, PermissionSpec


def _build() -> Module:
    from ioc.admin import pages

    return Module(
        name="admin",
        routers=(pages.router,),
        nav=(
            NavEntry("admin", "Administration", "/admin", "admin.view", "settings", 0),
            NavEntry("admin", "People and roles", "/admin/users", "users.manage", "users", 10),
            NavEntry("admin", "API keys", "/admin/api-keys", "api_tokens.manage", "shield", 40),
            NavEntry(
                "admin", "Working calendar", "/admin/calendar", "calendar.manage", "clock", 50
            ),
            NavEntry("admin", "Audit log", "/admin/audit", "audit.view", "list", 60),
            NavEntry("admin", "Operations console", "/console", "console.view", "chart", 90),
            NavEntry("console", "Administration", "/admin", "admin.view", "settings", 90),
        ),
        permissions=(
            PermissionSpec("admin.view", "Open the administration", ("administrator",)),
            PermissionSpec("users.manage", "Create accounts and change roles", ("administrator",)),
            PermissionSpec("api_tokens.manage", "Issue and revoke API keys", ("administrator",)),
            PermissionSpec("calendar.manage", "Record announced working days", ("administrator",)),
            PermissionSpec("audit.view", "Read the audit log", ("administrator",)),
        ),
        event_types=(EventType("user.created", "An account was created", "info", "internal"),),
    )


module = _build()
