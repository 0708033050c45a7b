"""Questions and suggestions with no place (issue 4 §6, "phản ánh thông tin khác"): the
citizen's form at /feedback/new.

They are reports of the categories that need no location (``Category.location_required`` is
off): filed through the same intake, answered through the same lifecycle (deadlines, answers,
rating, reopening), listed in the citizen's "My reports" and the agencies' inboxes, and never
put on the public map (they have no point). The commune is optional and, when given, routes the
question to that commune's People's Committee (seed: ``CategorySpec.commune_route``).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas import service as areas
from ioc.errors import ValidationFailed
from ioc.kit.i18n import translator
from ioc.kit.permissions import Actor
from ioc.reports.intake import submit
from ioc.reports.models import Category, Report
from ioc.reports.presenters import category_name
from ioc.reports.schemas import DESCRIPTION_MAX, ReportInput
from ioc.web.deps import CurrentActor, DbSession, request_locale, run_unit_of_work
from ioc.web.templating import flash, redirect, render

router = APIRouter(include_in_schema=False)

FIELDS = (
    "category_code",
    "area_code",
    "description",
    "reporter_name",
    "reporter_phone",
    "reporter_email",
    "anonymous",
    "idempotency_key",
)


def feedback_categories(session: Session) -> list[Category]:
    """The active categories that need no place, in the catalogue's order."""
    return list(
        session.scalars(
            select(Category)
            .where(Category.is_active.is_(True), Category.location_required.is_(False))
            .order_by(Category.sort_order, Category.code)
        )
    )


def _form(
    request: Request,
    session: Session,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    locale = request_locale(request)
    categories = feedback_categories(session)
    return render(
        request,
        "reports/feedback_new.html",
        {
            "values": values,
            "errors": errors,
            "categories": [(c.code, category_name(c, locale)) for c in categories],
            "hints": {
                c.code: c.description_en if locale == "en" else c.description_vi for c in categories
            },
            "communes": [(c.code, c.name) for c in areas.communes(session)],
            "description_max": DESCRIPTION_MAX,
        },
        face="portal",
        status_code=status_code,
    )


@router.get("/feedback/new")
def new_feedback(
    request: Request, session: DbSession, actor: CurrentActor, category: str = ""
) -> Response:
    return _form(
        request, session, {"category_code": category[:60], "idempotency_key": uuid.uuid4().hex}, {}
    )


@router.post("/feedback/new")
async def create_feedback(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    _ = translator(request_locale(request))
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k) or "")[:4000] for k in FIELDS}
    errors: dict[str, str] = {}
    code = values["category_code"].strip()
    allowed = {c.code for c in feedback_categories(session)}
    if code not in allowed:
        # Only the categories without a place: a report of another category needs the
        # place, and belongs on the report form.
        errors["category_code"] = _("Choose a category.")
    if not values["description"].strip():
        errors["description"] = _("Write your question or suggestion.")
    if errors:
        return _form(request, session, values, errors, 422)
    try:
        data = ReportInput(
            category_code=code,
            description=values["description"][:DESCRIPTION_MAX],
            area_code=values["area_code"][:10] or None,
            reporter_name=values["reporter_name"][:200],
            reporter_phone=values["reporter_phone"][:20],
            reporter_email=values["reporter_email"][:254],
            anonymous=values["anonymous"] == "1",
            idempotency_key=values["idempotency_key"][:100] or None,
        )
    except ValidationError:
        return _form(
            request, session, values, {"description": _("Please check the fields marked.")}, 422
        )

    def _submit(actor: Actor = actor) -> Report:
        return submit(session, actor, data, channel="web")

    try:
        report = await run_unit_of_work(session, _submit)
    except ValidationFailed as error:
        fields = {e.field: _(e.message, **e.params) for e in error.errors}
        return _form(
            request,
            session,
            values,
            fields or {"description": _(error.message, **error.params)},
            422,
        )
    response = redirect(request, f"/reports/{report.code}")
    flash(request, response, "Your question {code} has been sent.", code=report.code)
    return response
