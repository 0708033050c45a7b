"""How the figures of a leader's report are written for people: numbers, changes, bands, in the
report's language. Shared by the page, the PDF and the workbook."""

from __future__ import annotations

from collections.abc import Callable

from ioc.briefings.figures import Figure
from ioc.kit.i18n import format_number

BAND_LABELS = {
    "good": "On target",
    "warning": "Needs attention",
    "bad": "Off target",
    "none": "No target",
}
# The colour-blind-safe palette of the console (ioc.css, --cb-*), always with a word beside it.
BAND_COLOURS = {
    "good": (0, 158, 115),
    "warning": (230, 159, 0),
    "bad": (213, 94, 0),
    "none": (154, 164, 177),
}


def value_text(value: float | None, kind: str, locale: str) -> str:
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{format_number(value * 100, locale, 1)} %"
    if kind == "rating":
        return f"{format_number(value, locale, 2)}/5"
    return format_number(value, locale)


def change_text(figure: Figure, locale: str, _: Callable[..., str]) -> str:
    """ "+12 so với kỳ trước", "−3,5 điểm %", or "" when there is nothing to compare."""
    change = figure.change
    if change is None:
        return ""
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    size = abs(change)
    if figure.kind == "ratio":
        amount = _("{value} pp", value=format_number(size * 100, locale, 1))
    elif figure.kind == "rating":
        amount = format_number(size, locale, 2)
    else:
        amount = format_number(size, locale)
    return _("{change} vs previous period", change=f"{sign}{amount}")


def direction(figure: Figure) -> str:
    change = figure.change
    if change is None:
        return "none"
    return "up" if change > 0 else ("down" if change < 0 else "flat")


def improvement(figure: Figure) -> bool | None:
    """Whether the change is for the better, given which way is good."""
    d = direction(figure)
    if d in ("none", "flat") or figure.higher_is_better is None:
        return None
    return (d == "up") == figure.higher_is_better


def percent(value: float | None, locale: str) -> str:
    return "—" if value is None else f"{format_number(value * 100, locale, 1)} %"


def decimal(value: float | None, locale: str, digits: int = 2) -> str:
    return "—" if value is None else format_number(value, locale, digits)


def short_agency(name: str) -> str:
    return name.replace("Ủy ban nhân dân", "UBND")
