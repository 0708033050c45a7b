"""Editing the catalogue (administrators): one form for a new or an existing indicator, every
field checked with a message naming it, every change audited with its old and new values."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.errors import FieldError, ValidationFailed
from ioc.indicators import bands
from ioc.indicators.models import (
    AREA_LEVELS,
    BAND_MODES,
    DIRECTIONS,
    FREQUENCIES,
    KINDS,
    ROLLUPS,
    SOURCES,
    Indicator,
)
from ioc.kit import audit
from ioc.kit.permissions import Actor, require
from ioc.kit.text import nfc

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
CHOICES = {
    "kind": KINDS,
    "direction": DIRECTIONS,
    "frequency": FREQUENCIES,
    "area_level": AREA_LEVELS,
    "source": SOURCES,
    "band_mode": BAND_MODES,
    "rollup": ROLLUPS,
}
TEXTS = {"name_vi": 200, "name_en": 200, "unit": 30, "formula": 2000, "reference": 200}
NUMBERS = ("target", "target_max", "good_at", "warn_at", "min_value", "max_value")
AUDITED = (
    "code",
    "kind",
    "parent",
    *TEXTS,
    *CHOICES,
    *NUMBERS,
    "decimals",
    "agency_code",
    "headline",
    "is_active",
)


def band_rule_text(indicator: Indicator, _: Callable[..., str]) -> str:
    """The band rule of one indicator, in words (the page shows it beside the values)."""

    def n(v: float | None) -> str:
        return "—" if v is None else f"{v:g}"

    if indicator.direction == "range":
        return _(
            "On target between {low} and {high}; needs attention up to {margin} outside; "
            "off target further out.",
            low=n(indicator.target),
            high=n(indicator.target_max),
            margin=n(indicator.warn_at or 0),
        )
    if indicator.band_mode == "target" and indicator.target is not None:
        good = indicator.good_at if indicator.good_at is not None else bands.DEFAULT_GOOD_PCT
        warn = indicator.warn_at if indicator.warn_at is not None else bands.DEFAULT_WARN_PCT
        return _(
            "Target {target}. On target from {good} % of the target achieved, needs attention "
            "from {warn} %, off target below (U4SSC).",
            target=n(indicator.target),
            good=n(good),
            warn=n(warn),
        )
    if indicator.band_mode == "absolute" and indicator.good_at is not None:
        key = (
            "On target at or below {good}, needs attention up to {warn}, off target above."
            if indicator.direction == "lower"
            else "On target at or above {good}, needs attention from {warn}, off target below."
        )
        return _(key, good=n(indicator.good_at), warn=n(indicator.warn_at))
    return _("No bands: shown for information.")


def form_values(session: Session, indicator: Indicator | None) -> dict[str, Any]:
    if indicator is None:
        return {
            "kind": "indicator",
            "direction": "higher",
            "frequency": "monthly",
            "area_level": "commune",
            "source": "manual",
            "band_mode": "target",
            "rollup": "weighted_mean",
            "decimals": "1",
            "is_active": "1",
        }
    parent = session.get(Indicator, indicator.parent_id) if indicator.parent_id else None
    values: dict[str, Any] = {
        "code": indicator.code,
        "parent": parent.code if parent else "",
        "decimals": str(indicator.decimals),
        "agency_code": indicator.agency_code or "",
        "headline": "1" if indicator.headline else "",
        "is_active": "1" if indicator.is_active else "",
    }
    for name in (*TEXTS, *CHOICES):
        values[name] = getattr(indicator, name)
    for name in NUMBERS:
        v = getattr(indicator, name)
        values[name] = "" if v is None else f"{v:g}"
    return values


def _number(raw: str, name: str, errors: list[FieldError]) -> float | None:
    text = raw.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(FieldError(name, "Enter a number."))
        return None
    if not math.isfinite(value):
        errors.append(FieldError(name, "Enter a number."))
        return None
    return value


def save_indicator(
    session: Session,
    actor: Actor,
    indicator: Indicator | None,
    form: dict[str, str],
    *,
    ip: str | None = None,
) -> Indicator:
    """Create (``indicator`` None) or change an indicator; audited with what changed."""
    require(actor, "indicators.configure")
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    if indicator is None:
        code = form.get("code", "").strip().lower()
        if not CODE_RE.match(code) or len(code) > 60:
            errors.append(
                FieldError(
                    "code", "Use lower-case letters, digits, dots and underscores, e.g. env.noise."
                )
            )
        elif session.scalar(select(Indicator.id).where(Indicator.code == code)):
            errors.append(FieldError("code", "Another indicator already has this code."))
        clean["code"] = code
    for name, limit in TEXTS.items():
        value = nfc(form.get(name, "")).strip()
        if name in ("name_vi", "name_en") and not value:
            errors.append(FieldError(name, "This field is required."))
        elif len(value) > limit:
            errors.append(FieldError(name, "At most {n} characters.", {"n": limit}))
        clean[name] = value
    for name, allowed in CHOICES.items():
        value = form.get(name, "")
        if value not in allowed:
            errors.append(FieldError(name, "Choose one of the options."))
        clean[name] = value
    for name in NUMBERS:
        clean[name] = _number(form.get(name, ""), name, errors)
    try:
        decimals = int(form.get("decimals", "1") or "1")
        if not 0 <= decimals <= 4:
            raise ValueError
    except ValueError:
        errors.append(FieldError("decimals", "Enter a whole number from 0 to 4."))
        decimals = 1
    clean["decimals"] = decimals
    parent_code = form.get("parent", "").strip()
    parent = None
    if parent_code:
        parent = session.scalar(
            select(Indicator).where(Indicator.code == parent_code, Indicator.kind == "theme")
        )
        if parent is None or (indicator is not None and parent.id == indicator.id):
            errors.append(FieldError("parent", "Choose one of the themes."))
    clean["parent_id"] = parent.id if parent else None
    agency = form.get("agency_code", "").strip() or None
    if agency and not session.scalar(select(Agency.id).where(Agency.code == agency)):
        errors.append(FieldError("agency_code", "Choose one of the agencies."))
    clean["agency_code"] = agency
    clean["headline"] = form.get("headline") == "1"
    clean["is_active"] = form.get("is_active") == "1"
    _check_rule(clean, errors)
    if errors:
        raise ValidationFailed("Check the highlighted fields.", errors=errors)
    before = {} if indicator is None else {k: _audit_value(indicator, k) for k in clean}
    if indicator is None:
        indicator = Indicator(code=clean["code"])
        session.add(indicator)
    for key, value in clean.items():
        if key != "code":
            setattr(indicator, key, value)
    indicator.updated_at = utcnow()
    session.flush()
    after = {k: _audit_value(indicator, k) for k in clean}
    changes = {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
    audit.log(
        session,
        "indicator.created" if not before else "indicator.updated",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="indicator",
        subject_id=indicator.code,
        ip=ip,
        detail={"changes": changes},
    )
    return indicator


def _audit_value(indicator: Indicator, key: str) -> Any:
    return getattr(indicator, key, None)


def _check_rule(clean: dict[str, Any], errors: list[FieldError]) -> None:
    """The band fields make sense together."""
    if clean.get("kind") == "theme":
        return
    direction, mode = clean.get("direction"), clean.get("band_mode")
    good, warn = clean.get("good_at"), clean.get("warn_at")
    if direction == "range":
        if clean.get("target") is None and clean.get("target_max") is None:
            errors.append(FieldError("target", "Give the lower or upper end of the target range."))
        elif (
            clean.get("target") is not None
            and clean.get("target_max") is not None
            and clean["target"] > clean["target_max"]
        ):
            errors.append(
                FieldError("target_max", "The upper end must not be below the lower end.")
            )
        return
    if mode == "target" and clean.get("target") is None:
        errors.append(FieldError("target", "Bands as % of target need a target."))
    if mode == "absolute":
        if good is None:
            errors.append(FieldError("good_at", "Absolute bands need the on-target threshold."))
        elif warn is not None:
            wrong = warn < good if direction == "lower" else warn > good
            if wrong:
                errors.append(
                    FieldError(
                        "warn_at", "The attention threshold must lie beyond the on-target one."
                    )
                )
    if mode == "target" and good is not None and warn is not None and warn > good:
        errors.append(
            FieldError("warn_at", "The attention threshold must lie beyond the on-target one.")
        )
    low, high = clean.get("min_value"), clean.get("max_value")
    if low is not None and high is not None and low > high:
        errors.append(FieldError("max_value", "The largest value must not be below the smallest."))
