"""Roles granted within a scope, and the one call services use: ``require(actor, perm, target)``.

A role is held within a scope: the whole province, an area (a commune, or the province by its
code), or an agency. A permission is granted to roles; an actor holds it for a target when one of
the actor's grants has a role that holds it and a scope that covers the target."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ioc.errors import NotAuthenticated, PermissionDenied

log = logging.getLogger(__name__)

ROLES = ("citizen", "officer", "agency_head", "operator", "leader", "administrator")
STAFF_ROLES = ("officer", "agency_head", "operator", "leader", "administrator")
ROLE_LABELS = {
    "citizen": "Citizen",
    "officer": "Agency officer",
    "agency_head": "Agency head",
    "operator": "IOC operator",
    "leader": "Leader",
    "administrator": "Administrator",
}
SCOPE_TYPES = ("province", "area", "agency")
# Where the role needs its scope named: officers and agency heads act for an agency.
ROLE_SCOPE = {
    "citizen": "province",
    "officer": "agency",
    "agency_head": "agency",
    "operator": "province",
    "leader": "province",
    "administrator": "province",
}


@dataclass(frozen=True)
class Grant:
    role: str
    scope_type: str = "province"
    scope_ref: str | None = None


@dataclass(frozen=True)
class Scope:
    """What a target belongs to: its agencies and its areas (with their ancestors)."""

    agency_codes: frozenset[str] = frozenset()
    area_codes: frozenset[str] = frozenset()


class Scoped(Protocol):
    def permission_scope(self) -> Scope: ...


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in person, an API client, or nobody."""

    user_id: int | None = None
    display_name: str = ""
    email: str | None = None
    grants: tuple[Grant, ...] = ()
    kind: str = "anonymous"  # anonymous | user | api
    api_scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)

    @property
    def primary_role(self) -> str | None:
        """The highest role, for landing pages and labels."""
        for role in ("administrator", "leader", "operator", "agency_head", "officer", "citizen"):
            if role in self.roles:
                return role
        return None

    def agency_codes(self) -> frozenset[str]:
        return frozenset(
            g.scope_ref for g in self.grants if g.scope_type == "agency" and g.scope_ref
        )


ANONYMOUS = Actor()


class PermissionRegistry:
    def __init__(self) -> None:
        self._roles_by_permission: dict[str, frozenset[str]] = {}
        self._descriptions: dict[str, str] = {}

    def define(self, name: str, roles: Iterable[str], description: str = "") -> None:
        roles = frozenset(roles)
        unknown = roles - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles for {name}: {sorted(unknown)}")
        self._roles_by_permission[name] = roles
        self._descriptions[name] = description

    def roles_for(self, name: str) -> frozenset[str]:
        try:
            return self._roles_by_permission[name]
        except KeyError:
            raise KeyError(f"permission {name!r} is not defined") from None

    def names(self) -> list[str]:
        return sorted(self._roles_by_permission)

    def description(self, name: str) -> str:
        return self._descriptions.get(name, "")


registry = PermissionRegistry()

DenialHook = Callable[[Actor, str, object | None], None]
_denial_hooks: list[DenialHook] = []


def on_denied(hook: DenialHook) -> None:
    """Called for every denial; the app installs one that writes the audit log in its own
    transaction, so that the denial is kept even though the request then rolls back. The
    latest app built owns the hook (one app per process; tests build many)."""
    _denial_hooks[:] = [hook]


def _covers(grant: Grant, target: object | None) -> bool:
    if grant.scope_type == "province" or target is None:
        return True
    scope = target.permission_scope() if hasattr(target, "permission_scope") else None
    if not isinstance(scope, Scope):
        # A target that names no scope can be acted on only with a province-wide grant.
        return False
    if grant.scope_type == "agency":
        return grant.scope_ref in scope.agency_codes
    if grant.scope_type == "area":
        return grant.scope_ref in scope.area_codes
    return False


def can(actor: Actor, permission: str, target: object | None = None) -> bool:
    roles = registry.roles_for(permission)
    if actor.kind == "api" and permission not in actor.api_scopes:
        return False
    return any(g.role in roles and _covers(g, target) for g in actor.grants)


def require(actor: Actor, permission: str, target: object | None = None) -> None:
    if can(actor, permission, target):
        return
    for hook in _denial_hooks:
        try:
            hook(actor, permission, target)
        except Exception:  # auditing must not turn a 403 into a 500
            log.exception("denial hook failed")
    if not actor.is_authenticated:
        raise NotAuthenticated("Please sign in to continue.")
    raise PermissionDenied("You do not have permission to do this.")


def system_actor(label: str = "system") -> Actor:
    """The command line and the seeder act with the administrator's rights, by name."""
    return Actor(display_name=label, grants=(Grant("administrator"),), kind="user")
