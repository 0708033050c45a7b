"""Console pages: the alert inbox, an alert with its cause, procedure and actions, the panel
fragment the console overview includes, and the rules' settings; administration pages for the
standard operating procedures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import column, select, table
from sqlalchemy.exc import SQLAlchemyError

from ioc.alerts import service
from ioc.alerts.models import OPEN_STATUSES, SEVERITIES, STATUSES, Alert, Procedure
from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.errors import ValidationFailed
from ioc.kit.geo import h3_polygon_geojson
from ioc.kit.i18n import translator
from ioc.kit.permissions import ROLE_LABELS, ROLES, Actor, can, require
from ioc.web.deps import CurrentActor, DbSession, request_locale
from ioc.web.templating import environment, flash, redirect, render

router = APIRouter(prefix="/console/alerts", include_in_schema=False)
admin_router = APIRouter(prefix="/admin/alerts", include_in_schema=False)

STATUS_LABELS = {
    "open": "New",
    "acknowledged": "Acknowledged",
    "assigned": "Assigned",
    "resolved": "Resolved",
}
STATUS_TONES = {"open": "bad", "acknowledged": "warn", "assigned": "info", "resolved": "ok"}
SEVERITY_LABELS = {"info": "Information", "warning": "Warning", "critical": "Critical"}
SEVERITY_TONES = {"info": "info", "warning": "warn", "critical": "bad"}
TABS = {"active": "Not resolved", **STATUS_LABELS, "all": "All"}
NOTE_KIND_LABELS = {
    "note": "Note",
    "acknowledge": "Acknowledged",
    "assign": "Assigned",
    "step": "Step done",
    "resolve": "Resolved",
}
ACTION_LABELS = {
    "acknowledge": "Acknowledge",
    "assign": "Assign",
    "note": "Add note",
    "step": "Mark step done",
    "resolve": "Resolve",
}
STEP_ROWS_EXTRA = 3


def age_label(since: datetime, now: datetime, _: Any) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return str(_("{n} min", n=minutes))
    if minutes < 48 * 60:
        return str(_("{n} h", n=minutes // 60))
    return str(_("{n} d", n=minutes // (60 * 24)))


def _agency_names(session: DbSession) -> dict[str, str]:
    return dict(session.execute(select(Agency.code, Agency.name)).tuples().all())


def _area_names(session: DbSession) -> dict[str, str]:
    return dict(session.execute(select(Area.code, Area.name)).tuples().all())


# The indicators module's catalogue, read by name only (no import of its internals).
_INDICATORS = table("indicators", column("code"), column("name_vi"), column("name_en"))


def indicator_names(session: DbSession, codes: set[str], locale: str) -> dict[str, str]:
    if not codes:
        return {}
    try:
        with session.begin_nested():
            rows = session.execute(
                select(_INDICATORS.c.code, _INDICATORS.c.name_vi, _INDICATORS.c.name_en).where(
                    _INDICATORS.c.code.in_(sorted(codes))
                )
            ).all()
    except SQLAlchemyError:
        return {}
    return {str(c): str((en if locale == "en" and en else vi) or c) for c, vi, en in rows}


def _rows(
    session: DbSession, alerts: list[Alert], _: Any, locale: str = "vi"
) -> list[dict[str, Any]]:
    now = utcnow()
    names = _area_names(session) if alerts else {}
    indicators = indicator_names(
        session, {a.subject_id for a in alerts if a.rule == "indicator_band"}, locale
    )
    agencies = _agency_names(session) if any(a.rule == "report_overdue" for a in alerts) else {}
    return [
        {
            "alert": a,
            "title": alert_title(a, _, indicators, agencies),
            "severity": _(SEVERITY_LABELS[a.severity]),
            "tone": SEVERITY_TONES[a.severity],
            "status": _(STATUS_LABELS[a.status]),
            "status_tone": STATUS_TONES[a.status],
            "rule": _(service.RULES[a.rule].label) if a.rule in service.RULES else a.rule,
            "area": names.get(a.area_code or "", ""),
            "age": age_label(a.raised_at, now, _),
        }
        for a in alerts
    ]


def alert_title(
    alert: Alert,
    _: Any,
    indicators: dict[str, str] | None = None,
    agencies: dict[str, str] | None = None,
) -> str:
    """A title in the reader's language, from the cause (the stored title is English)."""
    cause = alert.cause or {}
    if alert.rule == "report_overdue":
        listed = cause.get("reports") or {}
        if len(listed) > 1:
            return str(
                _(
                    "{count} overdue reports: {agency}",
                    count=len(listed),
                    agency=(agencies or {}).get(str(cause.get("agency")))
                    or cause.get("agency")
                    or _("not routed"),
                )
            )
        code, entry = next(iter(listed.items()), (alert.subject_id, cause))
        stage = _("accept") if entry.get("stage") == "accept" else _("resolve")
        return str(_("Report {code} is overdue ({stage})", code=code, stage=stage))
    if alert.rule == "report_spike" and cause.get("count"):
        return str(_("Spike: {count} reports in one place within an hour", count=cause["count"]))
    if alert.rule == "indicator_band":
        band = {"bad": _("Off target"), "warning": _("Needs attention")}.get(
            str(cause.get("new_band")), str(cause.get("new_band") or "")
        )
        if cause.get("communes"):
            return str(
                _(
                    "Indicator {code}: {band} in {count} communes",
                    code=(indicators or {}).get(alert.subject_id, alert.subject_id),
                    band=band,
                    count=len(cause["communes"]),
                )
            )
        name = (indicators or {}).get(alert.subject_id, alert.subject_id)
        return str(_("Indicator {code}: {band}", code=name, band=band))
    return alert.title


@router.get("")
def inbox(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    status: str = "active",
    severity: str = "",
    rule: str = "",
    area: str = "",
    page: int = 1,
) -> Response:
    require(actor, "alerts.view")
    locale = request_locale(request)
    _ = translator(locale)
    status = status if status in TABS else "active"
    filters = {
        "severity": severity if severity in SEVERITIES else "",
        "rule": rule if rule in service.RULES else "",
        "area": area[:20],
    }
    listing = service.list_alerts(
        session,
        actor,
        status="" if status == "all" else status,
        severity=filters["severity"],
        rule=filters["rule"],
        area=filters["area"],
        page=max(1, min(page, 10_000)),
    )
    areas = sorted(_area_names(session).items(), key=lambda kv: kv[1])
    return render(
        request,
        "alerts/inbox.html",
        {
            "rows": _rows(session, listing.items, _, locale),
            "listing": listing,
            "status": status,
            "filters": filters,
            "tabs": {k: _(v) for k, v in TABS.items()},
            "severity_choices": [("", _("All severities"))]
            + [(s, _(SEVERITY_LABELS[s])) for s in reversed(SEVERITIES)],
            "rule_choices": [("", _("All types"))]
            + [(code, _(spec.label)) for code, spec in service.RULES.items()],
            "area_choices": [("", _("All areas")), *areas],
            "can_configure": can(actor, "alerts.configure"),
        },
        face="console",
    )


@router.get("/panel")
def panel(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    """An HTML fragment (no layout) for the console overview: the actor's open alerts."""
    require(actor, "alerts.view")
    locale = request_locale(request)
    _ = translator(locale)
    alerts, total = service.open_alerts(session, actor, limit=8)
    # Rendered without the page layout, nav or page-context providers: it is polled.
    html = (
        environment()
        .get_template("alerts/_panel.html")
        .render({"_": _, "rows": _rows(session, alerts, _, locale), "total": total})
        .strip()
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


# --- Rules --------------------------------------------------------------------------------------


def _rules_page(
    request: Request,
    session: DbSession,
    errors: dict[str, str] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request_locale(request))
    rules = []
    for code, spec in service.RULES.items():
        row = service.rule_settings(session, code)
        given = (values or {}).get(code, {})
        rules.append(
            {
                "code": code,
                "label": _(spec.label),
                "description": _(spec.description),
                "enabled": given.get("enabled", row.enabled),
                "severity": given.get("severity", row.severity),
                "params": [
                    {
                        "name": p.name,
                        "label": _(p.label),
                        "hint": _(p.hint) if p.hint else None,
                        "value": given.get(p.name, service.param(row, p.name)),
                        "range": f"{p.minimum:g}–{p.maximum:g}",
                    }
                    for p in spec.params
                ],
            }
        )
    return render(
        request,
        "alerts/rules.html",
        {
            "rules": rules,
            "errors": errors or {},
            "severity_choices": [(s, _(SEVERITY_LABELS[s])) for s in SEVERITIES],
        },
        face="console",
        status_code=status_code,
    )


@router.get("/rules")
def rules_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "alerts.configure")
    return _rules_page(request, session)


@router.post("/rules")
async def save_rules(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "alerts.configure")
    form = await request.form()
    _ = translator(request_locale(request))
    errors: dict[str, str] = {}
    values: dict[str, dict[str, Any]] = {}
    for code, spec in service.RULES.items():
        given = {p.name: str(form.get(f"{code}.{p.name}", ""))[:30] for p in spec.params}
        enabled = form.get(f"{code}.enabled") == "1"
        severity = str(form.get(f"{code}.severity", ""))[:10]
        values[code] = {**given, "enabled": enabled, "severity": severity}
        try:
            with session.begin_nested():
                service.update_rule(
                    session, actor, code, enabled=enabled, severity=severity, values=given
                )
        except ValidationFailed as error:
            for e in error.errors:
                params = {k: (_(v) if k == "label" else v) for k, v in e.params.items()}
                errors[e.field] = _(e.message, **params)
    if errors:
        session.rollback()
        return _rules_page(request, session, errors, values, status_code=422)
    response = redirect(request, "/console/alerts/rules")
    flash(request, response, "The alert rules were saved.")
    return response


# --- One alert ----------------------------------------------------------------------------------


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _cause_view(session: DbSession, alert: Alert) -> dict[str, Any]:
    cause = dict(alert.cause or {})
    view: dict[str, Any] = {"kind": alert.rule, "data": cause}
    if alert.rule == "report_overdue":
        listed = cause.get("reports") or (
            {alert.subject_id: cause} if alert.subject_type == "report" else {}
        )
        names = _area_names(session)
        view["reports"] = [
            {
                "code": code,
                "url": f"/console/reports/{code}",
                "stage": entry.get("stage"),
                "due_at": _parse_time(entry.get("due")),
                "area": names.get(entry.get("area") or "", ""),
            }
            for code, entry in sorted(listed.items())
        ]
        if cause.get("agency"):
            view["agency"] = _agency_names(session).get(cause["agency"], cause["agency"])
    elif alert.rule == "report_spike":
        view["links"] = [(c, f"/console/reports/{c}") for c in cause.get("reports", [])]
    elif alert.rule == "indicator_band":
        view["links"] = []
        communes = cause.get("communes") or {}
        if communes:
            names = _area_names(session)
            view["communes"] = sorted(
                (
                    (names.get(code, code), data.get("old_band"), data.get("value"))
                    for code, data in communes.items()
                ),
                key=lambda row: row[0],
            )
    if cause.get("category_id"):
        from ioc.reports.models import Category

        category = session.get(Category, cause["category_id"])
        view["category"] = category.name_vi if category else None
    return view


@router.get("/{alert_id:int}")
def alert_page(
    request: Request, alert_id: int, session: DbSession, actor: CurrentActor
) -> Response:
    require(actor, "alerts.view")
    alert = service.get_alert(session, actor, alert_id)
    locale = request_locale(request)
    _ = translator(locale)
    now = utcnow()
    indicators = (
        indicator_names(session, {alert.subject_id}, locale)
        if alert.rule == "indicator_band"
        else {}
    )
    steps = service.steps_of(session, alert)
    names = _area_names(session)
    agency = (
        session.scalar(select(Agency).where(Agency.code == alert.assigned_agency_code))
        if alert.assigned_agency_code
        else None
    )
    from ioc.kit.auth import User

    assignee = session.get(User, alert.assigned_user_id) if alert.assigned_user_id else None
    procedure = session.scalar(select(Procedure).where(Procedure.rule == alert.rule))
    can_handle = service.can_handle(actor, alert) and alert.is_open
    can_assign = can(actor, "alerts.assign") and service.sees_all(actor) and alert.is_open
    return render(
        request,
        "alerts/alert.html",
        {
            "alert": alert,
            "title": alert_title(alert, _, indicators, _agency_names(session)),
            "indicator_name": indicators.get(alert.subject_id),
            "severity": _(SEVERITY_LABELS[alert.severity]),
            "tone": SEVERITY_TONES[alert.severity],
            "status": _(STATUS_LABELS[alert.status]),
            "status_tone": STATUS_TONES[alert.status],
            "rule": _(service.RULES[alert.rule].label) if alert.rule in service.RULES else "",
            "area": names.get(alert.area_code or "", ""),
            "age": age_label(alert.raised_at, now, _),
            "cause": _cause_view(session, alert),
            "steps": [
                {
                    "step": s,
                    "overdue": s.is_overdue(now),
                    "late": s.done_at is not None and s.done_at > s.due_at,
                    "role": _(ROLE_LABELS[s.role]) if s.role in ROLE_LABELS else "",
                }
                for s in steps
            ],
            "steps_done": sum(1 for s in steps if s.done_at),
            "has_place": bool(
                alert.h3_cell or alert.lat is not None or alert.rule == "report_overdue"
            ),
            "procedure": procedure,
            "notes": service.notes_of(session, alert),
            "note_kinds": {k: _(v) for k, v in NOTE_KIND_LABELS.items()},
            "agency": agency,
            "assignee": assignee,
            "can_handle": can_handle,
            "can_assign": can_assign,
            "agency_choices": [("", _("— none —"))]
            + [
                (a.code, a.name)
                for a in session.scalars(
                    select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.name)
                )
            ]
            if can_assign
            else [],
            "user_choices": [("", _("— none —"))]
            + [(str(i), n) for i, n in service.staff_choices(session)]
            if can_assign
            else [],
        },
        face="console",
    )


@router.get("/{alert_id:int}/cause.geojson")
def cause_geojson(
    request: Request, alert_id: int, session: DbSession, actor: CurrentActor
) -> Response:
    """Where the alert's cause is: the H3 cell of a spike and the reports behind the alert
    (positions and codes only: nothing about who reported)."""
    require(actor, "alerts.view")
    alert = service.get_alert(session, actor, alert_id)
    features: list[dict[str, Any]] = []
    if alert.h3_cell:
        features.append(
            {
                "type": "Feature",
                "geometry": h3_polygon_geojson(alert.h3_cell),
                "properties": {"title": alert.h3_cell},
            }
        )
    codes: list[str] = []
    cause = alert.cause or {}
    if alert.rule == "report_spike":
        codes = [str(c) for c in cause.get("reports", [])][:200]
    elif alert.rule == "report_overdue":
        codes = list(cause.get("reports") or {})[:200] or (
            [alert.subject_id] if alert.subject_type == "report" else []
        )
    if codes:
        from ioc.reports.models import Report

        for code, lat, lon in session.execute(
            select(Report.code, Report.lat, Report.lon).where(
                Report.code.in_(codes), Report.lat.is_not(None)
            )
        ):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"title": code, "href": f"/console/reports/{code}"},
                }
            )
    return JSONResponse(
        {"type": "FeatureCollection", "features": features},
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=60"},
    )


def _text(form: Any, name: str, limit: int = 4000) -> str:
    return str(form.get(name, ""))[:limit]


@router.post("/{alert_id:int}/act")
async def act(request: Request, alert_id: int, session: DbSession, actor: CurrentActor) -> Response:
    form = await request.form()
    action = _text(form, "action", 20)
    require(actor, "alerts.view")
    alert = service.get_alert(session, actor, alert_id)
    _ = translator(request_locale(request))
    back = f"/console/alerts/{alert.id}"
    try:
        _run(session, actor, alert, action, form)
    except ValidationFailed as error:
        session.rollback()
        response = redirect(request, back)
        first = error.errors[0] if error.errors else None
        flash(
            request,
            response,
            first.message if first else error.message,
            level="error",
            **(first.params if first else error.params),
        )
        return response
    session.commit()
    response = redirect(request, back)
    flash(request, response, "Done: {action}.", action=_(ACTION_LABELS[action]))
    return response


def _run(session: DbSession, actor: Actor, alert: Alert, action: str, form: Any) -> None:
    if action == "acknowledge":
        service.acknowledge(session, actor, alert)
    elif action == "assign":
        raw_user = _text(form, "user", 12).strip()
        if raw_user and not raw_user.isdigit():
            raise ValidationFailed("Choose a person from the list.", field="user")
        service.assign(
            session,
            actor,
            alert,
            agency_code=_text(form, "agency", 40).strip(),
            user_id=int(raw_user) if raw_user else None,
            note=_text(form, "note"),
        )
    elif action == "note":
        service.add_note(session, actor, alert, _text(form, "note"))
    elif action == "step":
        raw = _text(form, "step", 12)
        if not raw.isdigit():
            raise ValidationFailed("Choose a step.", field="step")
        service.tick_step(session, actor, alert, int(raw), note=_text(form, "note"))
    elif action == "resolve":
        service.resolve(session, actor, alert, _text(form, "resolution"))
    else:
        raise ValidationFailed("Unknown action.", field="action")


# --- Procedures (administration) ---------------------------------------------------------------


@admin_router.get("/procedures")
def procedures_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "alerts.procedures")
    _ = translator(request_locale(request))
    rows = []
    for code, spec in service.RULES.items():
        procedure = session.scalar(select(Procedure).where(Procedure.rule == code))
        steps = service.procedure_steps(session, procedure) if procedure else []
        rows.append({"code": code, "label": _(spec.label), "procedure": procedure, "steps": steps})
    return render(
        request,
        "alerts/admin_procedures.html",
        {"rows": rows, "role_labels": {r: _(ROLE_LABELS[r]) for r in ROLES}},
        face="admin",
    )


def _procedure_form(
    request: Request,
    session: DbSession,
    rule: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request_locale(request))
    if values is None:
        procedure = session.scalar(select(Procedure).where(Procedure.rule == rule))
        steps = service.procedure_steps(session, procedure) if procedure else []
        values = {
            "name": procedure.name if procedure else "",
            "description": procedure.description if procedure else "",
            "steps": [
                {"title": s.title, "minutes": str(s.due_minutes), "role": s.role or ""}
                for s in steps
            ],
        }
    steps = list(values["steps"]) + [
        {"title": "", "minutes": "", "role": ""} for _i in range(STEP_ROWS_EXTRA)
    ]
    return render(
        request,
        "alerts/admin_procedure.html",
        {
            "rule": rule,
            "rule_label": _(service.RULES[rule].label),
            "values": values,
            "steps": steps,
            "errors": errors or {},
            "role_choices": [("", _("— none —"))]
            + [(r, _(ROLE_LABELS[r])) for r in ROLES if r != "citizen"],
        },
        face="admin",
        status_code=status_code,
    )


@admin_router.get("/procedures/{rule}")
def procedure_page(
    request: Request, rule: str, session: DbSession, actor: CurrentActor
) -> Response:
    require(actor, "alerts.procedures")
    if rule not in service.RULES:
        from ioc.errors import NotFound

        raise NotFound("No such rule.")
    return _procedure_form(request, session, rule)


@admin_router.post("/procedures/{rule}")
async def save_procedure(
    request: Request, rule: str, session: DbSession, actor: CurrentActor
) -> Response:
    require(actor, "alerts.procedures")
    if rule not in service.RULES:
        from ioc.errors import NotFound

        raise NotFound("No such rule.")
    form = await request.form()
    _ = translator(request_locale(request))
    titles = [str(v)[:400] for v in form.getlist("step_title")][:50]
    minutes = [str(v)[:12] for v in form.getlist("step_minutes")][:50]
    roles = [str(v)[:20] for v in form.getlist("step_role")][:50]
    steps = [
        service.StepInput(
            t, minutes[i] if i < len(minutes) else "", roles[i] if i < len(roles) else ""
        )
        for i, t in enumerate(titles)
    ]
    name = _text(form, "name", 400)
    description = _text(form, "description", 2000)
    try:
        service.save_procedure(
            session, actor, rule, name=name, description=description, steps=steps
        )
    except ValidationFailed as error:
        session.rollback()
        values = {
            "name": name,
            "description": description,
            "steps": [
                {"title": s.title, "minutes": s.due_minutes, "role": s.role}
                for s in steps
                if s.title.strip() or s.due_minutes.strip()
            ],
        }
        errors = {e.field: _(e.message, **e.params) for e in error.errors}
        return _procedure_form(
            request, session, rule, values=values, errors=errors, status_code=422
        )
    response = redirect(request, "/admin/alerts/procedures")
    flash(request, response, "The procedure was saved.")
    return response


__all__ = ["OPEN_STATUSES", "STATUSES", "admin_router", "router"]
