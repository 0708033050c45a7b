"""The rules of the indicators module: storing observations (one path for manual entry, imports,
computed values and roll-ups), roll-ups from communes to the province, and the band-changed
event. Services never commit."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.areas import units
from ioc.areas.models import Area
from ioc.db import utcnow
from ioc.errors import NotFound, ValidationFailed
from ioc.indicators import bands
from ioc.indicators.models import OBSERVATION_STATUSES, Indicator, Observation
from ioc.kit import audit, events
from ioc.kit.permissions import Actor, require

BAND_CHANGED = "indicator.band_changed"
NOTE_MAX = 1000


@dataclass(frozen=True)
class ObservationInput:
    indicator: Indicator
    area_code: str
    period_start: date
    value: float
    status: str = "provisional"
    note: str = ""


@dataclass
class StoreResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rolled_up: int = 0  # province values written by the roll-up
    band_changes: list[dict[str, object]] = field(default_factory=list)


def get_indicator(session: Session, code: str) -> Indicator:
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound("No such indicator.", field="indicator")
    return indicator


def list_indicators(session: Session, *, active_only: bool = False) -> list[Indicator]:
    stmt = select(Indicator).order_by(Indicator.sort_order, Indicator.code)
    if active_only:
        stmt = stmt.where(Indicator.is_active.is_(True))
    return list(session.scalars(stmt))


def province_code(session: Session | None = None) -> str:
    """The province's area code (the unit data names one province)."""
    return units.province_code()


def check_value(indicator: Indicator, value: float, field_name: str = "value") -> None:
    if not math.isfinite(value):
        raise ValidationFailed("Enter a number.", field=field_name)
    low, high = indicator.min_value, indicator.max_value
    if low is not None and value < low:
        raise ValidationFailed(
            "The value must be at least {min}.", field=field_name, min=_plain(low)
        )
    if high is not None and value > high:
        raise ValidationFailed(
            "The value must be at most {max}.", field=field_name, max=_plain(high)
        )


def _plain(value: float) -> str:
    return f"{value:g}"


def check_area(session: Session, indicator: Indicator, area_code: str) -> None:
    province = province_code(session)
    if area_code == province:
        return
    if indicator.area_level == "province":
        raise ValidationFailed(
            "This indicator is measured for the whole province only.", field="area"
        )
    area = session.get(Area, area_code)
    if area is None or area.parent_code is None:
        raise ValidationFailed("No such commune or ward.", field="area")


def record_observation(
    session: Session,
    actor: Actor,
    indicator: Indicator,
    *,
    area_code: str,
    period_start: date,
    value: float,
    status: str = "provisional",
    note: str = "",
    ip: str | None = None,
) -> Observation:
    """Manual entry of one value (audited); replaces the value of that area and period."""
    require(actor, "indicators.enter", indicator)
    if indicator.kind != "indicator":
        raise ValidationFailed("A theme has no values of its own.", field="indicator")
    if indicator.source == "computed":
        raise ValidationFailed(
            "This indicator is computed from the records; its values cannot be typed in.",
            field="indicator",
        )
    check_area(session, indicator, area_code)
    check_value(indicator, value)
    if status not in OBSERVATION_STATUSES:
        raise ValidationFailed("Choose provisional or final.", field="status")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed("At most {n} characters.", field="note", n=NOTE_MAX)
    start = bands.period_start(indicator.frequency, period_start)
    before = session.scalar(
        select(Observation.value).where(
            Observation.indicator_id == indicator.id,
            Observation.area_code == area_code,
            Observation.period_start == start,
        )
    )
    store(
        session,
        [ObservationInput(indicator, area_code, start, value, status, note)],
        source="manual",
        actor=actor,
    )
    audit.log(
        session,
        "indicator.value_saved",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="indicator",
        subject_id=f"{indicator.code}/{area_code}/{start.isoformat()}",
        ip=ip,
        detail={"value": value, "previous": before, "status": status},
    )
    obs = session.scalar(
        select(Observation).where(
            Observation.indicator_id == indicator.id,
            Observation.area_code == area_code,
            Observation.period_start == start,
        )
    )
    assert obs is not None
    return obs


def store(
    session: Session,
    rows: Sequence[ObservationInput],
    *,
    source: str,
    actor: Actor | None = None,
    roll_up: bool = True,
    record_events: bool = True,
) -> StoreResult:
    """Upsert by indicator × area × period, record band changes, then roll communes up to
    the province. The one path every value takes (manual, import, computed)."""
    result = StoreResult()
    now = utcnow()
    by_indicator: dict[int, list[ObservationInput]] = defaultdict(list)
    indicators: dict[int, Indicator] = {}
    for row in rows:
        by_indicator[row.indicator.id].append(row)
        indicators[row.indicator.id] = row.indicator
    province = province_code(session) if rows else ""
    for indicator_id, items in by_indicator.items():
        indicator = indicators[indicator_id]
        freq = indicator.frequency
        areas = {r.area_code for r in items}
        periods = {r.period_start for r in items}
        periods |= {bands.previous_period(freq, p) for p in periods}
        existing = {
            (o.area_code, o.period_start): o
            for o in session.scalars(
                select(Observation).where(
                    Observation.indicator_id == indicator_id,
                    Observation.area_code.in_(areas),
                    Observation.period_start.in_(periods),
                )
            )
        }
        latest = dict(
            session.execute(
                select(Observation.area_code, func.max(Observation.period_start))
                .where(Observation.indicator_id == indicator_id, Observation.area_code.in_(areas))
                .group_by(Observation.area_code)
            )
            .tuples()
            .all()
        )
        touched_periods: set[date] = set()
        for row in items:
            key = (row.area_code, row.period_start)
            obs = existing.get(key)
            old_value = obs.value if obs is not None else None
            if obs is None:
                obs = Observation(
                    indicator_id=indicator_id,
                    area_code=row.area_code,
                    period_start=row.period_start,
                    value=row.value,
                )
                session.add(obs)
                existing[key] = obs
                result.created += 1
            elif (
                obs.value == row.value
                and obs.status == row.status
                and obs.note == row.note
                and obs.source == source
            ):
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            obs.value = row.value
            obs.status = row.status
            obs.note = row.note
            obs.source = source
            obs.entered_by_id = actor.user_id if actor else None
            obs.entered_by = actor.display_name if actor else "system"
            obs.entered_at = now
            obs.is_demo = False
            if row.area_code != province:
                touched_periods.add(row.period_start)
            change = _band_change(indicator, row, old_value, existing, latest.get(row.area_code))
            if change is not None:
                result.band_changes.append(change)
                if record_events:
                    _record_band_change(session, indicator, row, change, actor)
            if latest.get(row.area_code) is None or row.period_start > latest[row.area_code]:
                latest[row.area_code] = row.period_start
        session.flush()
        if roll_up and indicator.rollup in ("sum", "mean", "weighted_mean"):
            rolled = [
                r
                for p in sorted(touched_periods)
                if (r := _rolled_up(session, indicator, p, province)) is not None
            ]
            if rolled:
                sub = store(
                    session,
                    rolled,
                    source="rollup",
                    actor=actor,
                    roll_up=False,
                    record_events=record_events,
                )
                result.band_changes += sub.band_changes
                result.rolled_up += sub.created + sub.updated
    return result


def _band_change(
    indicator: Indicator,
    row: ObservationInput,
    old_value: float | None,
    existing: dict[tuple[str, date], Observation],
    latest: date | None,
) -> dict[str, object] | None:
    """A change of band against the previous period, for the area's latest period only (an
    imported history does not raise alarms about the past); once per change: re-saving the
    same band says nothing new."""
    if latest is not None and row.period_start < latest:
        return None
    new_band = bands.band(indicator, row.value)
    if old_value is not None and bands.band(indicator, old_value) == new_band:
        return None
    previous = existing.get(
        (row.area_code, bands.previous_period(indicator.frequency, row.period_start))
    )
    if previous is None:
        return None
    old_band = bands.band(indicator, previous.value)
    if bands.NONE in (old_band, new_band) or old_band == new_band:
        return None
    return {
        "indicator": indicator.code,
        "name": indicator.name_vi,
        "area": row.area_code,
        "period": bands.period_key(indicator.frequency, row.period_start),
        "old_band": old_band,
        "new_band": new_band,
        "value": row.value,
    }


def _record_band_change(
    session: Session,
    indicator: Indicator,
    row: ObservationInput,
    change: dict[str, object],
    actor: Actor | None,
) -> None:
    worse = _rank(str(change["new_band"])) < _rank(str(change["old_band"]))
    events.record(
        session,
        BAND_CHANGED,
        subject_type="indicator",
        subject_id=indicator.code,
        actor_id=actor.user_id if actor else None,
        title=f"{indicator.name_vi}: {change['old_band']} → {change['new_band']}",
        area_code=row.area_code,
        severity="warning" if worse else "notice",
        visibility="staff",
        payload=change,
    )


def _rank(band: str) -> int:
    return {bands.BAD: 0, bands.WARNING: 1, bands.GOOD: 2}.get(band, -1)


def _rolled_up(
    session: Session, indicator: Indicator, period: date, province: str
) -> ObservationInput | None:
    """The province's value from its communes' for one period, unless the province has a value
    of its own (entered or imported, which wins over a roll-up).

    Sum: the total. Mean: the plain mean. Weighted mean: weighted by population when every
    commune with a value has one, else the plain mean (the unit data has no population yet)."""
    own = session.scalar(
        select(Observation.source).where(
            Observation.indicator_id == indicator.id,
            Observation.area_code == province,
            Observation.period_start == period,
        )
    )
    if own is not None and own != "rollup":
        return None
    rows = session.execute(
        select(Observation.value, Area.population)
        .join(Area, Area.code == Observation.area_code)
        .where(
            Observation.indicator_id == indicator.id,
            Observation.period_start == period,
            Area.parent_code.is_not(None),
        )
    ).all()
    if not rows:
        return None
    value = roll_up_values(indicator.rollup, [(r.value, r.population) for r in rows])
    if value is None:
        return None
    return ObservationInput(
        indicator, province, period, value, "provisional", "Tổng hợp từ số liệu cấp xã"
    )


def roll_up_values(method: str, values: Iterable[tuple[float, int | None]]) -> float | None:
    pairs = list(values)
    if not pairs:
        return None
    if method == "sum":
        return float(sum(v for v, _ in pairs))
    if method == "weighted_mean" and all(p for _, p in pairs):
        total = sum(p or 0 for _, p in pairs)
        return sum(v * (p or 0) for v, p in pairs) / total
    if method in ("mean", "weighted_mean"):
        return sum(v for v, _ in pairs) / len(pairs)
    return None
