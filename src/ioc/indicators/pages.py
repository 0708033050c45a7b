"""Console pages (scorecards, the catalogue, an indicator's history, entry and import) and the
administrators' catalogue editor. Thin routes: parse, check, call the service, render."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from ioc.areas import service as areas
from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.errors import FieldError, NotFound, ValidationFailed
from ioc.indicators import bands, catalogue, imports, scorecards, service
from ioc.indicators.models import Indicator
from ioc.indicators.overview import drill_down, overview_tiles
from ioc.kit.i18n import format_number, translator
from ioc.kit.permissions import can, require
from ioc.kit.workdays import VIETNAM_TZ
from ioc.web.deps import CurrentActor, DbSession, client_ip, request_locale
from ioc.web.templating import flash, redirect, render

router = APIRouter(prefix="/console", include_in_schema=False)

RANK_MIN_VOLUME = 5
BAND_TONES = {"good": "ok", "warning": "warn", "bad": "bad", "none": "neutral"}
FREQUENCY_LABELS = {
    "monthly": "Every month",
    "quarterly": "Every quarter",
    "yearly": "Every year",
    "daily": "Every day",
}
DIRECTION_LABELS = {
    "higher": "Higher is better",
    "lower": "Lower is better",
    "range": "Within a target range",
}
SOURCE_LABELS = {
    "manual": "Entered by hand",
    "imported": "Imported",
    "computed": "Computed from the records",
    "import": "Imported",
    "rollup": "Rolled up from communes",
    "demo": "Demo",
}
STATUS_LABELS = {"provisional": "Provisional", "final": "Final"}
ROLLUP_LABELS = {
    "sum": "Sum of communes",
    "weighted_mean": "Population-weighted mean",
    "mean": "Mean of communes",
    "recompute": "Recomputed for the province",
    "none": "None",
}
BAND_MODE_LABELS = {
    "target": "% of target",
    "absolute": "Absolute thresholds",
    "none": "No bands",
}


def _today() -> date:
    return utcnow().astimezone(VIETNAM_TZ).date()


def _fmt(value: float | None, ind: Indicator, locale: str) -> str:
    return "—" if value is None else format_number(value, locale, ind.decimals)


def labels(_: Any) -> dict[str, dict[str, str]]:
    return {
        "frequency": {k: _(v) for k, v in FREQUENCY_LABELS.items()},
        "direction": {k: _(v) for k, v in DIRECTION_LABELS.items()},
        "source": {k: _(v) for k, v in SOURCE_LABELS.items()},
        "status": {k: _(v) for k, v in STATUS_LABELS.items()},
        "rollup": {k: _(v) for k, v in ROLLUP_LABELS.items()},
        "band_mode": {k: _(v) for k, v in BAND_MODE_LABELS.items()},
    }


def _area_choices(session: DbSession) -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in areas.communes(session)]


def _area_or_province(session: DbSession, code: str) -> Area:
    code = code[:10] or service.province_code(session)
    area = session.get(Area, code)
    if area is None:
        raise NotFound("No such commune or ward.", field="area")
    return area


def _chart(card: scorecards.Card, locale: str) -> dict[str, Any]:
    ind = card.indicator
    return {
        "labels": [bands.period_label(ind.frequency, p, locale) for p, _v in card.series],
        "values": [round(v, ind.decimals + 1) for _p, v in card.series],
        "target": ind.target if ind.band_mode == "target" else None,
        "unit": ind.unit,
    }


def _trend_text(card: scorecards.Card, locale: str) -> tuple[str, str] | None:
    if card.trend == "none" or card.previous is None or card.value is None:
        return None
    diff = card.value - card.previous
    sign = "+" if diff > 0 else "−" if diff < 0 else ""
    return (card.trend, sign + format_number(abs(diff), locale, card.indicator.decimals))


# --- scorecards -------------------------------------------------------------------------------


@router.get("/scorecards")
def area_scorecard(
    request: Request, session: DbSession, actor: CurrentActor, area: str = ""
) -> Response:
    require(actor, "indicators.view")
    locale = request_locale(request)
    chosen = _area_or_province(session, area)
    is_province = chosen.parent_code is None
    groups = scorecards.area_scorecard(session, chosen.code)
    charts = {
        c.indicator.code: _chart(c, locale)
        for g in groups
        for c in g.cards
        if c.indicator.headline and len(c.series) > 1
    }
    return render(
        request,
        "indicators/scorecard.html",
        {
            "area": chosen,
            "is_province": is_province,
            "groups": groups,
            "counts": scorecards.band_counts(groups),
            "communes": _area_choices(session),
            "fmt": lambda v, ind: _fmt(v, ind, locale),
            "trend_text": lambda c: _trend_text(c, locale),
            "period_label": lambda ind, p: (
                bands.period_label(ind.frequency, p, locale) if p else ""
            ),
            "href": lambda ind: drill_down(ind, chosen.code, is_province),
            "charts": charts,
            "band_tones": BAND_TONES,
        },
        face="console",
    )


@router.get("/scorecards/agencies")
def agency_scorecard(
    request: Request, session: DbSession, actor: CurrentActor, agency: str = ""
) -> Response:
    require(actor, "indicators.view")
    require(actor, "reports.evaluate")
    locale = request_locale(request)
    own = sorted(actor.agency_codes())
    code = agency[:40] or (own[0] if own else "")
    chosen = areas.get_agency(session, code) if code else None
    tiles = (
        overview_tiles(session, area_code=None, agency_id=chosen.id, locale=locale)
        if chosen
        else []
    )
    ranking = _agency_ranking(session, locale)
    return render(
        request,
        "indicators/agency_scorecard.html",
        {
            "agency": chosen,
            "tiles": tiles,
            "agencies": [
                (a.code, a.name) for a in areas.list_agencies(session, include_inactive=False)
            ],
            "ranking": ranking,
            "band_tones": BAND_TONES,
        },
        face="console",
    )


@dataclass
class AgencyRow:
    code: str
    name: str
    received: int
    within: int
    on_time: float | None
    satisfied: float | None
    overdue: int
    rank: int | None = None

    def key(self) -> tuple[float, float]:
        return (self.satisfied or 0.0, self.on_time or 0.0)


def _agency_ranking(session: DbSession, locale: str) -> list[AgencyRow]:
    """The agencies over the last 30 days, ranked as the evaluation ranks them (Decision 766:
    satisfaction, then on time; at least 5 reports within competence to be ranked)."""
    from datetime import datetime, time, timedelta

    from ioc.reports import indicators as ri

    end = datetime.combine(bands.next_period("daily", _today()), time(0), tzinfo=VIETNAM_TZ)
    table = ri.agency_table(session, start=end - timedelta(days=30), end=end)
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(list(table))))}
    rows = []
    for agency_id, f in table.items():
        within = f["within"]
        agency = agencies.get(agency_id)
        rows.append(
            AgencyRow(
                code=agency.code if agency else "",
                name=agency.name if agency else "",
                received=f["received"],
                within=within,
                on_time=f["on_time"] / within if within else None,
                satisfied=(within - f["late_or_unsatisfied"]) / within if within else None,
                overdue=f["overdue_open"],
            )
        )
    ranked = sorted(
        (r for r in rows if r.within >= RANK_MIN_VOLUME),
        key=lambda r: (-r.key()[0], -r.key()[1], r.code),
    )
    for i, r in enumerate(ranked):
        # Competition ranking (1, 2, 2, 4): equal figures share a place.
        same = i > 0 and ranked[i - 1].key() == r.key()
        r.rank = ranked[i - 1].rank if same else i + 1
    rest = sorted(
        (r for r in rows if r.within < RANK_MIN_VOLUME), key=lambda r: (-r.received, r.code)
    )
    return (ranked + rest)[:40]


@router.get("/scorecards/rankings")
def rankings(
    request: Request, session: DbSession, actor: CurrentActor, indicator: str = ""
) -> Response:
    require(actor, "indicators.view")
    locale = request_locale(request)
    commune_level = [
        i
        for i in service.list_indicators(session, active_only=True)
        if i.kind == "indicator" and i.area_level == "commune"
    ]
    chosen = next((i for i in commune_level if i.code == indicator[:60]), None)
    if chosen is None and commune_level:
        chosen = next((i for i in commune_level if i.headline), commune_level[0])
    period, rows = scorecards.ranking(session, chosen) if chosen else (None, [])
    chart = {
        "labels": [r.area_name for r in rows],
        "values": [r.value for r in rows],
        "bands": [r.band for r in rows],
        "unit": chosen.unit if chosen else "",
    }
    return render(
        request,
        "indicators/rankings.html",
        {
            "indicator": chosen,
            "choices": [(i.code, i.name(locale)) for i in commune_level],
            "period": bands.period_label(chosen.frequency, period, locale)
            if chosen and period
            else "",
            "rows": rows,
            "chart": chart,
            "fmt": lambda v: _fmt(v, chosen, locale) if chosen else "",
            "band_tones": BAND_TONES,
        },
        face="console",
    )


# --- the catalogue and an indicator's history -------------------------------------------------


@router.get("/indicators")
def catalogue_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "indicators.view")
    _ = translator(request_locale(request))
    rows = service.list_indicators(session)
    themes = {i.id: i for i in rows if i.kind == "theme"}
    grouped: list[tuple[Indicator | None, list[Indicator]]] = []
    for theme in sorted(themes.values(), key=lambda t: t.sort_order):
        grouped.append((theme, [i for i in rows if i.parent_id == theme.id]))
    loose = [i for i in rows if i.kind == "indicator" and i.parent_id not in themes]
    if loose:
        grouped.append((None, loose))
    return render(
        request,
        "indicators/catalogue.html",
        {
            "grouped": grouped,
            "labels": labels(_),
            "can_enter": can(actor, "indicators.enter"),
            "can_configure": can(actor, "indicators.configure"),
            "band_rule": catalogue.band_rule_text,
        },
        face="console",
    )


@router.get("/indicators/import")
def import_form(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "indicators.enter")
    return render(
        request, "indicators/import.html", {"preview": None, "errors": []}, face="console"
    )


@router.get("/indicators/import/template.csv")
def import_template(session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "indicators.enter")
    return Response(
        "\ufeff" + imports.template_csv(session),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-chi-tieu.csv"'},
    )


@router.post("/indicators/import")
async def import_upload(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require(actor, "indicators.enter")
    form = await request.form()
    confirm = str(form.get("confirm", "")) == "1"
    upload = form.get("file")
    if confirm:
        filename = str(form.get("filename", ""))[:200]
        try:
            data = base64.b64decode(str(form.get("content", "")), validate=True)
        except (binascii.Error, ValueError):
            data = b""
    elif upload is not None and hasattr(upload, "read"):
        filename = str(getattr(upload, "filename", "") or "")[:200]
        data = await upload.read(imports.MAX_BYTES + 1)
    else:
        filename, data = "", b""
    try:
        preview = imports.preview(session, actor, filename, data)
    except ValidationFailed as error:
        session.rollback()
        return render(
            request,
            "indicators/import.html",
            {
                "preview": None,
                "errors": error.errors or [FieldError("file", error.message, error.params)],
            },
            face="console",
            status_code=422,
        )
    if confirm and preview.ok:
        stored = imports.commit(session, actor, preview, ip=client_ip(request))
        session.commit()
        response = redirect(request, "/console/indicators")
        flash(
            request,
            response,
            "Imported {rows} values: {created} new, {updated} changed, {unchanged} unchanged.",
            rows=len(preview.rows),
            created=stored.created,
            updated=stored.updated,
            unchanged=stored.unchanged,
        )
        return response
    locale = request_locale(request)
    return render(
        request,
        "indicators/import.html",
        {
            "preview": preview,
            "errors": [],
            "content": base64.b64encode(data).decode() if preview.ok else "",
            "period_label": lambda ind, p: bands.period_label(ind.frequency, p, locale),
            "fmt": lambda v, ind: _fmt(v, ind, locale),
        },
        face="console",
        status_code=200 if preview.ok else 422,
    )


@router.get("/indicators/{code}")
def indicator_page(
    request: Request, session: DbSession, actor: CurrentActor, code: str, area: str = ""
) -> Response:
    require(actor, "indicators.view")
    locale = request_locale(request)
    _ = translator(locale)
    indicator = service.get_indicator(session, code[:60])
    if indicator.kind != "indicator":
        raise NotFound("No such indicator.", field="indicator")
    chosen = _area_or_province(session, area)
    rows = scorecards.history(session, indicator, chosen.code)
    series = list(reversed(rows))[-36:]
    period, ranking = (
        scorecards.ranking(session, indicator) if indicator.area_level == "commune" else (None, [])
    )
    return render(
        request,
        "indicators/indicator.html",
        {
            "indicator": indicator,
            "area": chosen,
            "rows": rows,
            "chart": {
                "labels": [
                    bands.period_label(indicator.frequency, r.period_start, locale) for r in series
                ],
                "values": [r.value for r in series],
                "target": indicator.target if indicator.band_mode == "target" else None,
                "unit": indicator.unit,
            },
            "ranking": ranking[:10],
            "ranking_bottom": ranking[-5:] if len(ranking) > 15 else [],
            "ranking_period": bands.period_label(indicator.frequency, period, locale)
            if period
            else "",
            "labels": labels(_),
            "communes": _area_choices(session) if indicator.area_level == "commune" else [],
            "can_enter": can(actor, "indicators.enter", indicator)
            and indicator.source != "computed",
            "period_label": lambda p: bands.period_label(indicator.frequency, p, locale),
            "period_key": bands.period_key(
                indicator.frequency, bands.period_start(indicator.frequency, _today())
            ),
            "fmt": lambda v: _fmt(v, indicator, locale),
            "band_rule": catalogue.band_rule_text(indicator, _),
            "band_tones": BAND_TONES,
            "form": {},
            "errors": {},
        },
        face="console",
    )


@router.post("/indicators/{code}/values")
async def save_value(
    request: Request, session: DbSession, actor: CurrentActor, code: str
) -> Response:
    form = await request.form()
    indicator = service.get_indicator(session, code[:60])
    area = str(form.get("area", ""))[:10] or service.province_code(session)
    period_text = str(form.get("period", ""))[:20]
    try:
        period = bands.parse_period(indicator.frequency, period_text)
        if period is None:
            raise ValidationFailed(
                "The period {period} is not understood: write it like {example}.",
                field="period",
                period=period_text,
                example=bands.period_key(indicator.frequency, date(2026, 3, 1)),
            )
        value = imports.parse_number(str(form.get("value", ""))[:40])
        if value is None:
            raise ValidationFailed("Enter a number.", field="value")
        service.record_observation(
            session,
            actor,
            indicator,
            area_code=area,
            period_start=period,
            value=value,
            status=str(form.get("status", "provisional"))[:12],
            note=str(form.get("note", ""))[:2000],
            ip=client_ip(request),
        )
    except ValidationFailed as error:
        session.rollback()
        response = redirect(request, f"/console/indicators/{indicator.code}?area={area}")
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
    response = redirect(request, f"/console/indicators/{indicator.code}?area={area}")
    flash(request, response, "The value was saved.")
    return response
