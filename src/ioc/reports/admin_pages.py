"""Administration of report categories: names, group, urgency, anonymity, routing, deadlines."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ioc.areas import service as areas
from ioc.errors import NotFound, ValidationFailed
from ioc.kit.i18n import translator
from ioc.kit.permissions import require
from ioc.reports import configuration as config
from ioc.reports.models import CATEGORY_GROUPS, URGENCIES, Category
from ioc.reports.presenters import GROUP_LABELS, URGENCY_LABELS
from ioc.web.deps import CurrentActor, DbSession, request_locale
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/admin/categories", include_in_schema=False)


@router.get("")
def categories_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "reports.configure")
    _ = translator(request_locale(request))
    rows = []
    for c in config.list_categories(session):
        rules = config.rules_of(session, c)
        default = next((r.target for r in rules if r.area_code is None), "")
        rows.append(
            {"category": c, "target": default, "local_rules": sum(1 for r in rules if r.area_code)}
        )
    return render(
        request,
        "reports/admin_categories.html",
        {
            "rows": rows,
            "group_labels": {k: _(v) for k, v in GROUP_LABELS.items()},
            "urgency_labels": {k: _(v) for k, v in URGENCY_LABELS.items()},
        },
        face="admin",
    )


def _form(
    request: Request,
    session: DbSession,
    code: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    *,
    rule_values: dict[str, str] | None = None,
    route: config.EffectiveRoute | None = None,
    route_area: str = "",
) -> Response:
    _ = translator(request_locale(request))
    category = config.get_category(session, code)
    agencies = [(config.COMMUNE_TARGET, _("The commune's People's Committee"))] + [
        (a.code, a.name)
        for a in areas.list_agencies(session, include_inactive=False)
        if a.kind != "commune_committee"
    ]
    target_names = dict(agencies)
    return render(
        request,
        "reports/admin_category.html",
        {
            "category": category,
            "values": values,
            "errors": errors,
            "groups": [(g, _(GROUP_LABELS[g])) for g in CATEGORY_GROUPS],
            "urgencies": [(u, _(URGENCY_LABELS[u])) for u in URGENCIES],
            "targets": agencies,
            "units": [("hours", _("working hours")), ("days", _("working days"))],
            "area_rules": [
                {
                    "area_code": r.area_code,
                    "area_name": r.area_name,
                    "target": target_names.get(r.target) or _agency_name(session, r.target),
                }
                for r in config.area_rules(session, category)
            ],
            "communes": [(a.code, a.name) for a in areas.communes(session)],
            "rule_values": rule_values or {},
            "route": route,
            "route_area": route_area,
        },
        face="admin",
        status_code=status_code,
    )


def _agency_name(session: DbSession, code: str) -> str:
    """A rule's target that the select does not offer (a commune's committee, an inactive
    agency): its name if it exists, else its code as stored."""
    try:
        return areas.get_agency(session, code).name
    except NotFound:
        return code


def _category_values(session: DbSession, category: Category) -> dict[str, Any]:
    policies = config.policies_of(session, category)
    rules = config.rules_of(session, category)
    values: dict[str, Any] = {
        "name_vi": category.name_vi,
        "name_en": category.name_en,
        "group": category.group,
        "description_vi": category.description_vi,
        "description_en": category.description_en,
        "keywords": category.keywords,
        "default_urgency": category.default_urgency,
        "allow_anonymous": category.allow_anonymous,
        "location_required": category.location_required,
        "is_active": category.is_active,
        "default_target": next((r.target for r in rules if r.area_code is None), ""),
    }
    for u in URGENCIES:
        p = policies.get(u)
        if p is not None:
            values[f"{u}_accept_amount"], values[f"{u}_accept_unit"] = (
                f"{p.accept_amount:g}",
                p.accept_unit,
            )
            values[f"{u}_resolve_amount"], values[f"{u}_resolve_unit"] = (
                f"{p.resolve_amount:g}",
                p.resolve_unit,
            )
    return values


@router.get("/{code}")
def category_page(
    request: Request, code: str, session: DbSession, actor: CurrentActor, route_area: str = ""
) -> Response:
    require(actor, "reports.configure")
    _ = translator(request_locale(request))
    category = config.get_category(session, code[:60])
    route, errors = None, {}
    route_area = route_area[:20]
    if route_area:
        try:
            route = config.effective_route(session, category, route_area)
        except ValidationFailed as error:
            errors = {e.field: _(e.message, **e.params) for e in error.errors}
    return _form(
        request,
        session,
        category.code,
        _category_values(session, category),
        errors,
        422 if errors else 200,
        route=route,
        route_area=route_area,
    )


@router.post("/{code}/routes")
def save_area_rule(
    request: Request,
    code: str,
    session: DbSession,
    actor: CurrentActor,
    area_code: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    remove: Annotated[str, Form()] = "",
) -> Response:
    """Add or replace a commune's own rule, or remove it (``remove=1``)."""
    require(actor, "reports.configure")
    _ = translator(request_locale(request))
    category = config.get_category(session, code[:60])
    area_code, target = area_code.strip()[:20], target.strip()[:40]
    try:
        if remove:
            config.remove_area_rule(session, actor, category, area_code=area_code)
        else:
            config.set_area_rule(session, actor, category, area_code=area_code, target=target)
    except ValidationFailed as error:
        session.rollback()
        return _form(
            request,
            session,
            category.code,
            _category_values(session, category),
            {e.field: _(e.message, **e.params) for e in error.errors},
            422,
            rule_values={"area_code": area_code, "target": target},
        )
    name = areas.get_area(session, area_code).name
    response = redirect(request, f"/admin/categories/{category.code}#routes")
    if remove:
        flash(request, response, "The rule of {area} was removed.", area=name)
    else:
        flash(request, response, "Reports of {area} now follow its own rule.", area=name)
    return response


@router.post("/{code}")
async def save_category(
    request: Request, code: str, session: DbSession, actor: CurrentActor
) -> Response:
    require(actor, "reports.configure")
    _ = translator(request_locale(request))
    form = await request.form()
    values: dict[str, Any] = {k: str(v)[:1000] for k, v in form.items()}
    category = config.get_category(session, code[:60])
    policies = []
    errors: dict[str, str] = {}
    for u in URGENCIES:
        accept, resolve = (
            values.get(f"{u}_accept_amount", ""),
            values.get(f"{u}_resolve_amount", ""),
        )
        if not accept and not resolve:
            continue
        try:
            policies.append(
                config.PolicyInput(
                    urgency=u,
                    accept_amount=float(accept.replace(",", ".")),
                    accept_unit=values.get(f"{u}_accept_unit", "hours"),
                    resolve_amount=float(resolve.replace(",", ".")),
                    resolve_unit=values.get(f"{u}_resolve_unit", "days"),
                )
            )
        except ValueError:
            errors[f"policy_{u}_accept"] = _("Enter a number.")
    try:
        if errors:
            raise ValidationFailed("Please check the fields marked.")
        config.update_category(
            session,
            actor,
            category,
            name_vi=values.get("name_vi", ""),
            name_en=values.get("name_en", ""),
            group=values.get("group", ""),
            description_vi=values.get("description_vi", ""),
            description_en=values.get("description_en", ""),
            keywords=values.get("keywords", ""),
            default_urgency=values.get("default_urgency", "normal"),
            allow_anonymous=values.get("allow_anonymous") == "1",
            location_required=values.get("location_required") == "1",
            is_active=values.get("is_active") == "1",
            default_target=values.get("default_target", ""),
            policies=policies,
        )
    except ValidationFailed as error:
        session.rollback()
        errors.update({e.field: _(e.message, **e.params) for e in error.errors})
        values["allow_anonymous"] = values.get("allow_anonymous") == "1"
        values["location_required"] = values.get("location_required") == "1"
        values["is_active"] = values.get("is_active") == "1"
        return _form(request, session, category.code, values, errors, 422)
    response = redirect(request, "/admin/categories")
    flash(request, response, "Category {name} saved.", name=category.name_vi)
    return response
