"""The rules that raise alerts.

* ``indicator_band`` (event ``indicator.band_changed``): an indicator moves into a worse band
  for an area. Payload read: ``indicator`` (or ``indicator_code``), ``area`` (or
  ``area_code``, else the event's area), ``period``, ``old_band``, ``new_band`` (or ``band``),
  ``value``. Bands rank good/ok < warning/warn/fair < bad/poor/critical; a move up the ranks
  into warning raises a *warning*, into bad the rule's severity (default *critical*).
  Cause: indicator × area × period × new band; communes are grouped, one alert per
  indicator × period × new band listing the communes (added while it is open). Only a
  *recent* period raises an alert: one that has not ended, or ended less than
  max(its length, 31 days) + 14 days before the event (keys 2026-03-15, 2026-03, 2026-Q1,
  2026; an unreadable key counts as recent). Back-filled history (an import of last year's
  months) belongs on the scorecards, not in the alert inbox.
* ``report_overdue`` (event ``report.overdue``, recorded by ``reports.escalate`` once per
  missed deadline). Cause: report × stage × deadline. Grouped per agency: while an agency's
  alert is open, its further breaches join it (the job finds dozens at once after a
  weekend; one alert per agency is what an operator can act on).
* ``report_spike`` (job ``alerts.spikes``, every 5 minutes): for each H3 cell (resolution 9)
  and category with at least ``min_count`` reports in the last 60 minutes, the same cell and
  category's hourly counts over the previous ``history_weeks`` weeks (hours without a report
  count as zero) give a mean μ and standard deviation σ. The rule fires when the last hour's
  count n satisfies **n ≥ max(min_count, μ + k·σ)** (k = ``sd_factor``, default 3) **and**
  the Poisson upper tail **P(X ≥ n | λ = μ) < p_max** (default 0.001). Both tests must pass:
  the first guards against a cell whose counts vary a lot, the second against small counts
  over a near-zero mean. Cause: cell × category × the first report of the burst, so a burst
  raises one alert however many runs see it; and while a spike alert for a cell and
  category is less than an hour old, later runs raise nothing more for them.

Every alert carries a unique dedupe key, and every cause taken into a grouped alert a unique
cause key (``alert_causes``): a second raise of the same key is a no-op, so redelivered
events, reruns and two workers never make a second alert nor count a cause twice.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import h3
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.alerts import service
from ioc.alerts.models import Alert
from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.kit.events import EventOut
from ioc.reports.models import Category, Report

BAND_RANK = {
    "good": 0,
    "ok": 0,
    "on_target": 0,
    "info": 0,
    "warning": 1,
    "warn": 1,
    "fair": 1,
    "attention": 1,
    "bad": 2,
    "poor": 2,
    "critical": 2,
    "off_target": 2,
}
SPIKE_WINDOW = timedelta(hours=1)
EVENT_TYPES = ("indicator.band_changed", "report.overdue")


def on_event(session: Session, event: EventOut) -> None:
    """The local event handler (idempotent: every alert has its dedupe key)."""
    if event.type == "indicator.band_changed":
        indicator_band_changed(session, event)
    elif event.type == "report.overdue":
        report_overdue(session, event)


def _text(value: Any, limit: int = 60) -> str:
    return str(value if value is not None else "")[:limit]


def indicator_band_changed(session: Session, event: EventOut) -> Any:
    settings = service.rule_settings(session, "indicator_band")
    if not settings.enabled:
        return None
    p = event.payload or {}
    code = _text(p.get("indicator") or p.get("indicator_code") or event.subject_id)
    area = _text(p.get("area") or p.get("area_code") or event.area_code or "", 20)
    period = _text(p.get("period"), 30)
    old = _text(p.get("old_band")).lower()
    new = _text(p.get("new_band") or p.get("band")).lower()
    old_rank = BAND_RANK.get(old, 0)
    new_rank = BAND_RANK.get(new)
    if not code or new_rank is None or new_rank < 1 or new_rank <= old_rank:
        return None  # better, unchanged, or nothing to say
    if not period_is_recent(period, event.occurred_at):
        return None
    severity = settings.severity if new_rank >= 2 else "warning"
    if severity == "critical" and new_rank < 2:
        severity = "warning"
    value = p.get("value")
    number = value if isinstance(value, int | float) else None
    name = _text(p.get("name") or p.get("indicator_name"), 200) or None
    kind = session.scalar(select(Area.kind).where(Area.code == area)) if area else None
    if kind is not None and kind != "province":
        return _commune_band_changed(
            session, event, code, area, period, old, new, severity, number, name
        )
    return service.raise_alert(
        session,
        rule="indicator_band",
        dedupe_key=f"indicator_band:{code}:{area or '-'}:{period or '-'}:{new}",
        title=f"Indicator {code} moved into the {new} band"
        + (f" ({area}, {period})" if area or period else ""),
        severity=severity,
        subject_type="indicator",
        subject_id=code,
        cause={
            "indicator": code,
            "area": area or None,
            "period": period or None,
            "old_band": old or None,
            "new_band": new,
            "value": number,
            "name": name,
        },
        area_code=area or None,
        event_id=event.id,
        now=event.occurred_at,
    )


def _commune_band_changed(
    session: Session,
    event: EventOut,
    code: str,
    area: str,
    period: str,
    old: str,
    new: str,
    severity: str,
    value: float | None,
    name: str | None,
) -> Any:
    """Communes are grouped: one open alert per indicator, period and band, listing every
    commune that moved into it."""
    entry = {"old_band": old or None, "value": value}

    def build() -> dict[str, Any]:
        return {
            "rule": "indicator_band",
            "title": f"Indicator {code} moved into the {new} band in 1 commune ({period})",
            "severity": severity,
            "subject_type": "indicator",
            "subject_id": code,
            "cause": {
                "indicator": code,
                "period": period or None,
                "new_band": new,
                "communes": {area: entry},
                "name": name,
            },
            "event_id": event.id,
        }

    def add(alert: Alert) -> None:
        listed = {**((alert.cause or {}).get("communes") or {}), area: entry}
        alert.cause = {**(alert.cause or {}), "communes": listed}
        alert.title = (
            f"Indicator {code} moved into the {new} band in {len(listed)} communes ({period})"
        )[:300]

    return service.raise_grouped(
        session,
        cause_key=f"indicator_band:{code}:{area}:{period or '-'}:{new}",
        group=f"indicator_band:{code}:communes:{period or '-'}:{new}",
        build=build,
        add=add,
        now=event.occurred_at,
    )


def period_bounds(key: str) -> tuple[date, date] | None:
    """[start, end) of a period key: 2026-03-15, 2026-03, 2026-Q1 or 2026."""
    text = key.strip().upper()
    try:
        if len(text) == 10:
            start = date.fromisoformat(text)
            return start, start + timedelta(days=1)
        if "-Q" in text:
            year, quarter = int(text[:4]), int(text.split("-Q")[1])
            if not 1 <= quarter <= 4:
                return None
            start = date(year, 3 * quarter - 2, 1)
            end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
            return start, end
        if len(text) == 7:
            year, month = int(text[:4]), int(text[5:])
            start = date(year, month, 1)
            return start, date(year + month // 12, month % 12 + 1, 1)
        if len(text) == 4:
            return date(int(text), 1, 1), date(int(text) + 1, 1, 1)
    except ValueError:
        return None
    return None


def period_is_recent(key: str, at: datetime) -> bool:
    bounds = period_bounds(key) if key else None
    if bounds is None:
        return True
    start, end = bounds
    allowed = max(end - start, timedelta(days=31)) + timedelta(days=14)
    return at.date() - end <= allowed


def report_overdue(session: Session, event: EventOut) -> Any:
    """One cause per breach (report × stage × deadline), grouped per agency: while an alert
    for an agency's overdue reports is open, later breaches join it; once it is resolved,
    the next breach opens a new one. Unrouted reports group together."""
    settings = service.rule_settings(session, "report_overdue")
    if not settings.enabled:
        return None
    p = event.payload or {}
    code = event.subject_id
    stage = _text(p.get("stage") or "resolve", 20)
    due = _text(p.get("due") or "", 40)
    agency = (
        session.scalar(select(Agency.code).where(Agency.id == event.agency_id))
        if event.agency_id
        else None
    )
    entry = {"stage": stage, "due": due or None, "area": event.area_code}

    def build() -> dict[str, Any]:
        return {
            "rule": "report_overdue",
            "title": f"Report {code} is overdue ({stage})",
            "severity": settings.severity,
            "subject_type": "report",
            "subject_id": code,
            "cause": {"agency": agency, "reports": {code: entry}},
            "area_code": event.area_code,
            "h3_cell": event.h3_cell,
            "lat": event.lat,
            "lon": event.lon,
            "event_id": event.id,
        }

    def add(alert: Alert) -> None:
        listed = {**((alert.cause or {}).get("reports") or {}), code: entry}
        alert.cause = {**(alert.cause or {}), "reports": listed}
        alert.subject_type = "agency" if agency else "reports"
        alert.subject_id = agency or ""
        alert.title = f"{len(listed)} reports of {agency or 'no agency'} are overdue"[:300]
        if alert.area_code != event.area_code:
            alert.area_code = None  # several communes
            alert.h3_cell = alert.lat = alert.lon = None

    return service.raise_grouped(
        session,
        cause_key=f"report_overdue:{code}:{stage}:{due}",
        group=f"report_overdue:agency:{agency or '-'}",
        build=build,
        add=add,
        now=event.occurred_at,
    )


# --- The spike detector -----------------------------------------------------------------------


def poisson_tail(n: int, lam: float) -> float:
    """P(X ≥ n) for X ~ Poisson(lam)."""
    if n <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    below = term
    for i in range(1, n):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class SpikeTest:
    count: int
    mean: float
    sd: float
    threshold: float
    p_value: float

    @property
    def fires(self) -> bool:
        return self.count >= self.threshold and self.p_value < self._p_max

    _p_max: float = 0.001


def spike_test(
    count: int,
    history: list[datetime],
    *,
    start: datetime,
    hours: int,
    min_count: int,
    sd_factor: float,
    p_max: float,
) -> SpikeTest:
    """Compare the last hour's ``count`` with hourly counts of ``history`` (times of reports in
    the ``hours`` hours before ``start``)."""
    buckets = Counter(
        int((start - at).total_seconds() // 3600)
        for at in history
        if start - timedelta(hours=hours) <= at < start
    )
    total = sum(buckets.values())
    mean = total / hours
    variance = max(0.0, sum(c * c for c in buckets.values()) / hours - mean * mean)
    sd = math.sqrt(variance)
    threshold = max(float(min_count), mean + sd_factor * sd)
    return SpikeTest(count, mean, sd, threshold, poisson_tail(count, mean), p_max)


def detect_spikes(session: Session, *, now: datetime | None = None) -> int:
    """The job: raise an alert for every cell and category whose last hour is a spike.
    Returns how many alerts it raised."""
    settings = service.rule_settings(session, "report_spike")
    if not settings.enabled:
        return 0
    now = now or utcnow()
    min_count = int(service.param(settings, "min_count"))
    sd_factor = service.param(settings, "sd_factor")
    p_max = service.param(settings, "p_max")
    weeks = int(service.param(settings, "history_weeks"))
    start = now - SPIKE_WINDOW
    candidates = session.execute(
        select(Report.h3_cell, Report.category_id, func.count(), func.min(Report.submitted_at))
        .where(
            Report.submitted_at >= start,
            Report.submitted_at < now,
            Report.h3_cell.is_not(None),
            Report.duplicate_of_id.is_(None),
        )
        .group_by(Report.h3_cell, Report.category_id)
        .having(func.count() >= min_count)
    ).all()
    raised = 0
    hours = weeks * 7 * 24
    for cell, category_id, count, _first in candidates:
        history = list(
            session.scalars(
                select(Report.submitted_at).where(
                    Report.h3_cell == cell,
                    Report.category_id == category_id,
                    Report.submitted_at >= start - timedelta(hours=hours),
                    Report.submitted_at < start,
                )
            )
        )
        test = spike_test(
            int(count),
            history,
            start=start,
            hours=hours,
            min_count=min_count,
            sd_factor=sd_factor,
            p_max=p_max,
        )
        if not test.fires:
            continue
        recent = session.scalar(
            select(Alert.id).where(
                Alert.rule == "report_spike",
                Alert.h3_cell == cell,
                Alert.dedupe_key.like(f"report_spike:{cell}:{category_id}:%"),
                Alert.raised_at >= now - SPIKE_WINDOW,
            )
        )
        if recent is not None:
            continue  # the same burst, seen by a later run
        burst = session.execute(
            select(Report.code, Report.area_code)
            .where(
                Report.h3_cell == cell,
                Report.category_id == category_id,
                Report.submitted_at >= start,
                Report.submitted_at < now,
                Report.duplicate_of_id.is_(None),
            )
            .order_by(Report.submitted_at, Report.id)
        ).all()
        codes = [str(c) for c, _a in burst]
        areas = Counter(a for _c, a in burst if a)
        area = areas.most_common(1)[0][0] if areas else None
        category = session.get(Category, category_id)
        lat, lon = h3.cell_to_latlng(str(cell))
        alert = service.raise_alert(
            session,
            rule="report_spike",
            dedupe_key=f"report_spike:{cell}:{category_id}:{codes[0]}",
            title=f"{count} reports of {category.code if category else category_id} "
            f"in one place within an hour",
            severity=settings.severity,
            subject_type="h3_cell",
            subject_id=str(cell),
            cause={
                "cell": str(cell),
                "category_id": category_id,
                "category": category.code if category else None,
                "count": int(count),
                "mean": round(test.mean, 4),
                "sd": round(test.sd, 4),
                "threshold": round(test.threshold, 2),
                "p_value": test.p_value,
                "history_weeks": weeks,
                "reports": codes[:50],
                "window_start": start.isoformat(),
            },
            area_code=area,
            h3_cell=str(cell),
            lat=lat,
            lon=lon,
            now=now,
        )
        if alert is not None:
            raised += 1
    session.flush()
    return raised
