"""Administration pages for agencies and areas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ioc.areas import service, units
from ioc.areas.agencies_data import AGENCY_KINDS
from ioc.areas.models import Agency
from ioc.errors import ValidationFailed
from ioc.kit.i18n import translator
from ioc.kit.permissions import require
from ioc.web.deps import CurrentActor, DbSession, request_locale
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/agencies")
def agencies_page(
    request: Request, session: DbSession, actor: CurrentActor, q: str = "", kind: str = ""
) -> Response:
    require(actor, "agencies.manage")
    _ = translator(request_locale(request))
    rows = service.list_agencies(session, query=q[:100], kind=kind if kind in AGENCY_KINDS else "")
    return render(
        request,
        "areas/agencies.html",
        {
            "agencies": rows,
            "q": q,
            "kind": kind,
            "kinds": [("", _("All kinds"))] + [(k, _(v)) for k, v in AGENCY_KINDS.items()],
            "kind_labels": {k: _(v) for k, v in AGENCY_KINDS.items()},
        },
        face="admin",
    )


def _form_context(
    request: Request,
    session: DbSession,
    agency: Agency | None,
    values: dict[str, object],
    errors: dict[str, str],
) -> dict[str, object]:
    _ = translator(request_locale(request))
    return {
        "agency": agency,
        "values": values,
        "errors": errors,
        "kinds": [(k, _(v)) for k, v in AGENCY_KINDS.items()],
        "areas": service.communes(session),
        "province_code": units.province_code(),
    }


@router.get("/agencies/new")
def new_agency(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "agencies.manage")
    values: dict[str, object] = {"kind": "department", "is_active": True, "area_codes": []}
    return render(
        request,
        "areas/agency_form.html",
        _form_context(request, session, None, values, {}),
        face="admin",
    )


@router.get("/agencies/{code}")
def edit_agency(request: Request, code: str, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "agencies.manage")
    agency = service.get_agency(session, code)
    values: dict[str, object] = {
        "code": agency.code,
        "name": agency.name,
        "name_en": agency.name_en,
        "short_name": agency.short_name,
        "kind": agency.kind,
        "hotline": agency.hotline,
        "email": agency.email,
        "address": agency.address,
        "is_active": agency.is_active,
        "area_codes": service.agency_area_codes(session, agency),
    }
    return render(
        request,
        "areas/agency_form.html",
        _form_context(request, session, agency, values, {}),
        face="admin",
    )


# "new" is registered first so that it is not taken for an agency code.
@router.post("/agencies/{agency_code}")
@router.post("/agencies/new")
def save_agency(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    code: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    name_en: Annotated[str, Form(max_length=400)] = "",
    short_name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    hotline: Annotated[str, Form(max_length=80)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    address: Annotated[str, Form(max_length=600)] = "",
    area_codes: Annotated[list[str] | None, Form()] = None,
    is_active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    require(actor, "agencies.manage")
    _ = translator(request_locale(request))
    path_code = request.path_params.get("agency_code")
    existing = service.get_agency(session, path_code) if path_code else None
    try:
        agency = service.save_agency(
            session,
            actor,
            code=code or (existing.code if existing else ""),
            name=name,
            kind=kind,
            name_en=name_en,
            short_name=short_name,
            hotline=hotline,
            email=email,
            address=address,
            area_codes=area_codes or [],
            is_active=bool(is_active),
            existing=existing,
        )
    except ValidationFailed as error:
        session.rollback()
        values: dict[str, object] = {
            "code": code,
            "name": name,
            "name_en": name_en,
            "short_name": short_name,
            "kind": kind,
            "hotline": hotline,
            "email": email,
            "address": address,
            "is_active": bool(is_active),
            "area_codes": area_codes or [],
        }
        errors = {e.field: _(e.message, **e.params) for e in error.errors}
        return render(
            request,
            "areas/agency_form.html",
            _form_context(request, session, existing, values, errors),
            face="admin",
            status_code=422,
        )
    response = redirect(request, "/admin/agencies")
    flash(request, response, "Agency {name} saved.", name=agency.name)
    return response


@router.get("/areas")
def areas_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "agencies.manage")
    return render(request, "areas/areas.html", {"areas": service.communes(session)}, face="admin")
