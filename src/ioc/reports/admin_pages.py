"""Administration of report categories: names, group, urgency, anonymity, routing, deadlines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.areas import service as areas
from ioc.errors import ValidationFailed
from ioc.kit.i18n import translator
from ioc.kit.permissions import require
from ioc.reports import configuration as config
from ioc.reports.models import CATEGORY_GROUPS, URGENCIES
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
) -> Response:
    _ = translator(request_locale(request))
    category = config.get_category(session, code)
    agencies = [(config.COMMUNE_TARGET, _("The commune's People's Committee"))] + [
        (a.code, a.name)
        for a in areas.list_agencies(session, include_inactive=False)
        if a.kind != "commune_committee"
    ]
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
        },
        face="admin",
        status_code=status_code,
    )


@router.get("/{code}")
def category_page(request: Request, code: str, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "reports.configure")
    category = config.get_category(session, code[:60])
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
    return _form(request, session, category.code, values, {})


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
