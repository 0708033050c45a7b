"""The module contract: what a domain module contributes to the application.

Defined in the kit so that no module imports ``ioc.modules`` (which lists them all)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy.orm import Session
    from starlette.routing import BaseRoute


@dataclass(frozen=True)
class NavEntry:
    """A link in a face's navigation, shown to actors holding ``permission``."""

    face: str  # "portal", "console", "admin", or "portal-home" (the home page's big actions)
    label: str  # English message id, translated when shown
    url: str
    permission: str | None = None
    icon: str = ""
    order: int = 100
    hint: str = ""  # a short line under the label, where the face shows one (portal home)


@dataclass(frozen=True)
class PermissionSpec:
    name: str
    description: str
    roles: tuple[str, ...]  # roles that hold it, within their scope


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    severity: str = "info"  # info, notice, warning, critical
    visibility: str = "staff"  # public, staff, agency, internal


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator a module computes from its own records. The indicators module lists it in
    its catalogue and stores its values as observations.

    ``compute(session, *, area_code, start, end) -> float | None``: the value over the half-open
    period [start, end) (dates, local time) for the province (``area_code`` None) or one
    commune (its code); None when there is nothing to measure."""

    code: str
    name_vi: str
    name_en: str
    unit: str
    compute: Callable[..., Any] | None = None
    # Optional catalogue metadata (the indicators module's defaults when left out): see
    # ``ioc.indicators.bands`` for what direction, band_mode, good_at and warn_at mean.
    direction: str = "higher"  # higher | lower | range
    frequency: str = "monthly"  # monthly | quarterly | yearly | daily
    target: float | None = None
    band_mode: str = "target"  # target (% of target) | absolute | none
    good_at: float | None = None
    warn_at: float | None = None
    rollup: str = "recompute"  # communes → province: recompute | sum | weighted_mean | mean
    formula: str = ""  # how it is computed, in Vietnamese, shown in the catalogue
    decimals: int = 1
    theme: str = ""  # code of the theme it belongs to in the catalogue
    headline: bool = False  # among the overview's tiles


@dataclass(frozen=True)
class MapLayer:
    code: str
    label: str
    url: str  # GeoJSON endpoint
    style: dict[str, Any] = field(default_factory=dict)
    permission: str | None = None


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[Session], Any]
    interval: timedelta
    description: str = ""


@dataclass(frozen=True)
class Module:
    name: str
    routers: tuple[APIRouter, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    permissions: tuple[PermissionSpec, ...] = ()
    event_types: tuple[EventType, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()
    map_layers: tuple[MapLayer, ...] = ()
    jobs: tuple[JobSpec, ...] = ()
    seed: Callable[..., Any] | None = None  # seed(session, *, progress) -> None; idempotent
    demo: Callable[..., Any] | None = None  # demo data, only for `ioc demo`; idempotent
    seed_after: tuple[str, ...] = ()
    # Plain Starlette routes matched before every other route and served down the hot lane
    # (ioc.web.hotlane), without FastAPI's middleware chain and dependency solving: for the few
    # endpoints where the framework's share of a request is what limits throughput (bulk
    # Open311 intake). No app-wide dependency (CSRF) applies to them, so each does its own
    # checks; the request context (ids, security headers, metrics, access log) and the app's
    # error answers still do.
    hot_routes: tuple[BaseRoute, ...] = ()
