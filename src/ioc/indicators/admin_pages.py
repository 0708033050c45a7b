"""The administrators' catalogue editor (/admin/indicators): list, create, change; every
change checked field by field and audited (see catalogue.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from ioc.areas.models import Agency
from ioc.errors import FieldError, ValidationFailed
from ioc.indicators import catalogue, service
from ioc.indicators.models import Indicator
from ioc.indicators.pages import labels
from ioc.kit.i18n import translator
from ioc.kit.permissions import require
from ioc.web.deps import CurrentActor, DbSession, client_ip, request_locale
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/admin/indicators", include_in_schema=False)


@router.get("")
def admin_list(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "indicators.configure")
    _ = translator(request_locale(request))
    return render(
        request,
        "indicators/admin_list.html",
        {"rows": service.list_indicators(session), "labels": labels(_)},
        face="admin",
    )


def _editor(
    request: Request,
    session: DbSession,
    indicator: Indicator | None,
    values: dict[str, Any],
    errors: dict[str, FieldError],
    status_code: int = 200,
) -> Response:
    _ = translator(request_locale(request))
    themes = [i for i in service.list_indicators(session) if i.kind == "theme"]
    return render(
        request,
        "indicators/admin_edit.html",
        {
            "indicator": indicator,
            "values": values,
            "errors": {k: _(e.message, **e.params) for k, e in errors.items()},
            "error_list": list(errors.values()),
            "labels": labels(_),
            "themes": [("", _("No theme"))] + [(t.code, t.name_vi) for t in themes],
            "agencies": [("", "—")]
            + [(a.code, a.name) for a in session.scalars(select(Agency).order_by(Agency.name))],
            "choices": catalogue.CHOICES,
        },
        face="admin",
        status_code=status_code,
    )


@router.get("/new")
def admin_new(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "indicators.configure")
    return _editor(request, session, None, catalogue.form_values(session, None), {})


@router.get("/{code}")
def admin_edit(request: Request, session: DbSession, actor: CurrentActor, code: str) -> Response:
    require(actor, "indicators.configure")
    indicator = service.get_indicator(session, code[:60])
    return _editor(request, session, indicator, catalogue.form_values(session, indicator), {})


@router.post("/{code}")
async def admin_save(
    request: Request, session: DbSession, actor: CurrentActor, code: str
) -> Response:
    require(actor, "indicators.configure")
    form = await request.form()
    values = {k: str(v)[:2000] for k, v in form.items() if k != "csrf_token"}
    indicator = None if code == "new" else service.get_indicator(session, code[:60])
    try:
        saved = catalogue.save_indicator(session, actor, indicator, values, ip=client_ip(request))
    except ValidationFailed as error:
        session.rollback()
        errors = {e.field: e for e in error.errors}
        return _editor(request, session, indicator, values, errors, status_code=422)
    session.commit()
    response = redirect(request, "/admin/indicators")
    flash(request, response, "The indicator {code} was saved.", code=saved.code)
    return response
