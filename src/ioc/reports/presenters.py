"""How reports read on a page: status words and tones, deadlines in working time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ioc.reports.models import Category

STATUS_LABELS = {
    "submitted": "Awaiting acceptance",
    "accepted": "Accepted",
    "in_progress": "In progress",
    "waiting": "Waiting for information",
    "resolved": "Resolved",
    "closed": "Closed",
    "closed_unfixed": "Closed without fix",
    "rejected": "Rejected",
    "duplicate": "Duplicate",
    "reopened": "Reopened: not fixed",
}
# Colour is never alone: the badge carries the word and an icon (DESIGN.md).
STATUS_TONES = {
    "submitted": "info",
    "accepted": "info",
    "in_progress": "info",
    "waiting": "warn",
    "resolved": "ok",
    "closed": "ok",
    "closed_unfixed": "bad",
    "rejected": "neutral",
    "duplicate": "neutral",
    "reopened": "warn",
}
GROUP_LABELS = {
    "roads": "Roads and traffic",
    "lighting": "Street lighting",
    "environment": "Environment and waste",
    "water": "Water",
    "electricity": "Electricity",
    "urban": "Urban order and construction",
    "security": "Security and order",
    "health": "Health",
    "education": "Education",
    "land": "Land",
    "other": "Other",
    "feedback": "Questions and suggestions",
}
CHANNEL_LABELS = {
    "app": "Citizen app",
    "web": "Website",
    "console": "Operations console",
    "hotline": "Hotline call",
    "api": "API",
    "open311": "Open311",
}
URGENCY_LABELS = {"urgent": "Urgent", "normal": "Normal", "complex": "Complex"}
WORKING_DAY = timedelta(hours=8)


def status_label(status: str, _: Callable[..., str]) -> str:
    return _(STATUS_LABELS.get(status, status))


def category_name(category: Category | None, locale: str) -> str:
    if category is None:
        return ""
    return category.name_en if locale == "en" else category.name_vi


def time_left_label(left: timedelta | None, _: Callable[..., str]) -> str:
    """ "còn 2 ngày làm việc" / "quá hạn 3 giờ làm việc": working time, in the unit a person
    would use (days once a full working day is left, else hours)."""
    if left is None:
        return ""
    overdue = left < timedelta(0)
    amount = abs(left)
    # Whole days from two working days up, whole hours below: no decimals to read.
    if amount >= 2 * WORKING_DAY:
        days = round(amount / WORKING_DAY)
        text = _("{n} working days", n=days)
    else:
        hours = max(1, round(amount.total_seconds() / 3600))
        text = _("{n} working hours", n=hours) if hours != 1 else _("1 working hour")
    return _("{time} overdue", time=text) if overdue else _("{time} left", time=text)


ACTOR_ROLE_LABELS = {
    "public": "Citizen",
    "citizen": "Citizen",
    "officer": "Agency officer",
    "agency_head": "Agency head",
    "operator": "IOC operator",
    "leader": "Leader",
    "administrator": "Administrator",
    "system": "System",
}


def attribute_rows(
    category: Category | None, values: dict[str, object], locale: str
) -> list[tuple[str, str]]:
    """A report's extra answers with the category's own labels and value names."""
    if category is None:
        return [(k, str(v)) for k, v in values.items()]
    rows = []
    known = {str(a.get("code")): a for a in category.attributes or []}
    suffix = "en" if locale == "en" else "vi"
    for code, value in values.items():
        spec = known.get(code)
        if spec is None:
            rows.append((code, str(value)))
            continue
        label = str(spec.get(f"description_{suffix}") or spec.get("description") or code)
        names = {
            str(v.get("key")): str(v.get(f"name_{suffix}") or v.get("name") or v.get("key"))
            for v in spec.get("values") or []
        }
        items = value if isinstance(value, list) else [value]
        rows.append((label, ", ".join(names.get(str(i), str(i)) for i in items)))
    return rows
