"""Event titles in the reader's language.

Services store a short title with each event, often in English ("Report PA-2026-000123 filed");
the timeline and the live feed never show it as it is. They build the title at display time from
the event's type, subject and payload, through a presenter per event type. Modules may add their
own with :func:`register`; an event type without one falls back to its module's description of
the type (Module.event_types), then to the stored title.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

Translate = Callable[..., str]


class EventLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def subject_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


# (event, _, alert titles by alert id) -> title
Presenter = Callable[[EventLike, Translate, Mapping[str, str]], str]

_PRESENTERS: dict[str, Presenter] = {}
_DESCRIPTIONS: dict[str, str] = {}

BANDS = {"good": "On target", "warning": "Needs attention", "bad": "Off target"}
ALERT_RULES = {
    "indicator_band": "an indicator got worse",
    "report_overdue": "an overdue report",
    "report_spike": "many reports in one place",
}


def register(event_type: str, presenter: Presenter) -> None:
    _PRESENTERS[event_type] = presenter


def register_descriptions(event_types: Iterable[Any]) -> None:
    """The modules' EventType descriptions (English message ids), the fallback title."""
    for spec in event_types:
        _DESCRIPTIONS.setdefault(spec.name, spec.description)


def _p(event: EventLike, key: str) -> str:
    value = (event.payload or {}).get(key)
    return "" if value is None else str(value)


def _report(message: str) -> Presenter:
    return lambda e, _, __: _(message, code=e.subject_id)


def _agency(e: EventLike, names: Mapping[str, str], key: str = "agency") -> str:
    code = _p(e, key)
    return names.get(f"agency:{code}", code) if code else ""


def _routed(e: EventLike, _: Translate, names: Mapping[str, str]) -> str:
    agency = _agency(e, names)
    if agency:
        return _("Report {code} routed to {agency}", code=e.subject_id, agency=agency)
    return _("Report {code} routed to an agency", code=e.subject_id)


def _transferred(e: EventLike, _: Translate, names: Mapping[str, str]) -> str:
    agency = _agency(e, names) or _agency(e, names, "to")
    if agency:
        return _("Report {code} transferred to {agency}", code=e.subject_id, agency=agency)
    return _("Report {code} transferred to another agency", code=e.subject_id)


def _rated(e: EventLike, _: Translate, __: Mapping[str, str]) -> str:
    rating = _p(e, "rating")
    if rating:
        return _("Report {code} rated {rating}/5", code=e.subject_id, rating=rating)
    return _("The citizen rated the answer to report {code}", code=e.subject_id)


def _overdue(e: EventLike, _: Translate, __: Mapping[str, str]) -> str:
    return _("Report {code} is overdue", code=e.subject_id)


def _band(e: EventLike, _: Translate, __: Mapping[str, str]) -> str:
    name = _p(e, "name") or e.subject_id
    new = _p(e, "new_band")
    old = _p(e, "old_band")
    if new in BANDS and old in BANDS:
        return _(
            "{name}: from {old} to {new}",
            name=name,
            old=_(BANDS[old]).lower(),
            new=_(BANDS[new]).lower(),
        )
    return _("Indicator {name} changed band", name=name)


def _alert(message: str) -> Presenter:
    def present(e: EventLike, _: Translate, alerts: Mapping[str, str]) -> str:
        alert_id = _p(e, "alert_id") or e.subject_id
        what = alerts.get(alert_id)
        if what is None:
            rule = _p(e, "rule")
            what = _(ALERT_RULES[rule]) if rule in ALERT_RULES else f"#{alert_id}"
        return _(message, what=what)

    return present


def _kept_title(message: str) -> Presenter:
    """Types whose stored title is a name people typed (a notice, a briefing): kept, with a
    translated lead."""
    return lambda e, _, __: _(message, title=e.title) if e.title else _(e.type)


for _type, _message in {
    "report.submitted": "Report {code} filed",
    "report.accepted": "Report {code} accepted",
    "report.started": "Work started on report {code}",
    "report.info_requested": "More information asked for report {code}",
    "report.info_provided": "The citizen added information to report {code}",
    "report.resolved": "Report {code} answered as resolved",
    "report.closed": "Report {code} closed",
    "report.closed_unfixed": "Report {code} closed without a fix",
    "report.rejected": "Report {code} rejected",
    "report.duplicate": "Report {code} merged into another",
    "report.reopened": "Report {code} reopened by the citizen: not fixed",
    "report.reminder": "Report {code} is due soon",
    "report.hidden": "Report {code}: content hidden or shown",
    "reports.category_changed": "Report category {code} changed",
    "indicator.imported": "Indicator values imported from {code}",
    "agency.created": "Agency {code} created",
    "agency.updated": "Agency {code} updated",
}.items():
    register(_type, _report(_message))

register("report.routed", _routed)
register("report.transferred", _transferred)
register("report.rated", _rated)
register("report.overdue", _overdue)
register("indicator.band_changed", _band)
register("alert.raised", _alert("New alert: {what}"))
register("alert.acknowledged", _alert("Alert acknowledged: {what}"))
register("alert.assigned", _alert("Alert assigned: {what}"))
register("alert.step_done", _alert("Alert procedure step done: {what}"))
register("alert.noted", _alert("Note added to alert: {what}"))
register("alert.resolved", _alert("Alert resolved: {what}"))
register("notice.published", _kept_title("Notice published: {title}"))
register("notice.withdrawn", _kept_title("Notice withdrawn: {title}"))
register("alert.emergency_published", _kept_title("Emergency alert: {title}"))
register("alert.emergency_ended", _kept_title("Emergency alert ended: {title}"))
register("briefing.generated", _kept_title("Report ready: {title}"))
register("user.created", lambda e, _, __: _("User account created"))


def event_title(event: EventLike, _: Translate, alerts: Mapping[str, str] | None = None) -> str:
    presenter = _PRESENTERS.get(event.type)
    if presenter is not None:
        try:
            return presenter(event, _, alerts or {})
        except (KeyError, TypeError, ValueError):
            pass  # a payload of another shape: fall back rather than fail the page
    if not _DESCRIPTIONS:
        from ioc.modules import installed_modules

        for module in installed_modules():
            register_descriptions(module.event_types)
    if event.type in _DESCRIPTIONS:
        return _(_DESCRIPTIONS[event.type])
    return event.title or event.type


NAMED_AGENCY = ("report.routed", "report.transferred")


def needs_names(event: EventLike) -> bool:
    """Whether the event's title names something read from the database (an alert, an
    agency)."""
    return event.type in NAMED_AGENCY or (
        event.type.startswith("alert.") and not event.type.startswith("alert.emergency")
    )


def alert_titles(
    session: Any, events: Iterable[EventLike], _: Translate, locale: str = "vi"
) -> dict[str, str]:
    """What these events' titles name, in one query each: the alerts' display titles by alert
    id, and the agencies' names as ``agency:<code>``."""
    from sqlalchemy import select

    from ioc.areas.models import Agency

    events = list(events)
    out: dict[str, str] = {}
    codes = {
        str((e.payload or {}).get(key))
        for e in events
        if e.type in NAMED_AGENCY
        for key in ("agency", "to")
        if (e.payload or {}).get(key)
    }
    if codes:
        for code, name, name_en in session.execute(
            select(Agency.code, Agency.name, Agency.name_en).where(Agency.code.in_(sorted(codes)))
        ).all():
            out[f"agency:{code}"] = (name_en if locale == "en" and name_en else name) or code
    ids = {
        int(str((e.payload or {}).get("alert_id") or e.subject_id))
        for e in events
        if e.type.startswith("alert.")
        and not e.type.startswith("alert.emergency")
        and str((e.payload or {}).get("alert_id") or e.subject_id).isdigit()
    }
    if not ids:
        return out

    from ioc.alerts.models import Alert
    from ioc.alerts.pages import _agency_names, alert_title, indicator_names

    rows = session.scalars(select(Alert).where(Alert.id.in_(sorted(ids)))).all()
    indicators = indicator_names(
        session, {a.subject_id for a in rows if a.rule == "indicator_band"}, locale
    )
    agencies = _agency_names(session) if any(a.rule == "report_overdue" for a in rows) else {}
    out.update({str(a.id): alert_title(a, _, indicators, agencies) for a in rows})
    return out
