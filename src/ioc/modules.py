"""The installed modules, in order: the app, the console, the worker and the seeder read
only this list."""

from __future__ import annotations

import importlib

from ioc.kit.module import Module

# Modules whose tables live in the kit (no domain words) and in each domain module.
MODEL_MODULES = (
    "ioc.kit.models",
    "ioc.areas.models",
    "ioc.reports.models",
    "ioc.portal.models",
    "ioc.notices.models",
    "ioc.indicators.models",
    "ioc.alerts.models",
    "ioc.briefings.models",
)

MODULE_PATHS = (
    "ioc.areas",
    "ioc.reports",
    "ioc.notices",
    "ioc.indicators",
    "ioc.alerts",
    "ioc.briefings",
    "ioc.portal",
    "ioc.console",
    "ioc.admin",
)


def import_all_models() -> None:
    for path in MODEL_MODULES:
        importlib.import_module(path)


def installed_modules() -> list[Module]:
    return [importlib.import_module(path).module for path in MODULE_PATHS]


def define_permissions() -> list[Module]:
    """Register every module's permissions; the app, the command line and jobs call this."""
    from ioc.kit import permissions

    modules = installed_modules()
    for module in modules:
        for spec in module.permissions:
            permissions.registry.define(spec.name, spec.roles, spec.description)
    return modules
