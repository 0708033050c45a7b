"""Storing values: manual entry (audited, permissions), roll-ups to the province, the
band-changed event, the catalogue seed and the compute job."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from ioc.indicators import service
from ioc.indicators.compute import compute_indicators
from ioc.indicators.models import Indicator, Observation
from ioc.indicators.seed import seed_catalogue
from ioc.indicators.service import ObservationInput, store
from ioc.kit.audit import AuditEntry
from ioc.kit.events import Event
from ioc.kit.permissions import ANONYMOUS
from tests.indicators.conftest import PROVINCE, communes, make_indicator, person

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


def _value(session: Session, ind: Indicator, area: str, period: date) -> float | None:
    return session.scalar(
        select(Observation.value).where(
            Observation.indicator_id == ind.id,
            Observation.area_code == area,
            Observation.period_start == period,
        )
    )


def _band_events(session: Session) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.type == "indicator.band_changed")))


def test_manual_entry_is_stored_and_audited(seeded: Session) -> None:
    ind = make_indicator(seeded)
    operator = person(seeded, "operator")
    area = communes(seeded, 1)[0]
    obs = service.record_observation(
        seeded,
        operator,
        ind,
        area_code=area.code,
        period_start=date(2026, 3, 17),
        value=87.5,
        status="final",
        note="Báo cáo tháng 3",
    )
    assert obs.period_start == MARCH and obs.value == 87.5 and obs.source == "manual"
    assert obs.entered_by == operator.display_name and obs.status == "final"
    entry = seeded.scalar(select(AuditEntry).where(AuditEntry.action == "indicator.value_saved"))
    assert entry is not None and entry.subject_id == f"{ind.code}/{area.code}/2026-03-01"
    assert entry.detail == {"value": 87.5, "previous": None, "status": "final"}


def test_entry_checks_value_area_and_status(seeded: Session) -> None:
    ind = make_indicator(seeded, area_level="province", rollup="none")
    leader = person(seeded, "leader")
    area = communes(seeded, 1)[0]
    with pytest.raises(ValidationFailed) as error:
        service.record_observation(
            seeded, leader, ind, area_code=PROVINCE, period_start=MARCH, value=101
        )
    assert error.value.errors[0].field == "value"
    with pytest.raises(ValidationFailed) as error:
        service.record_observation(
            seeded, leader, ind, area_code=area.code, period_start=MARCH, value=50
        )
    assert error.value.errors[0].field == "area"
    with pytest.raises(ValidationFailed) as error:
        service.record_observation(
            seeded, leader, ind, area_code=PROVINCE, period_start=MARCH, value=50, status="maybe"
        )
    assert error.value.errors[0].field == "status"
    assert seeded.scalar(select(func.count()).select_from(Observation)) == 0


def test_computed_indicators_cannot_be_typed_in(seeded: Session) -> None:
    ind = make_indicator(seeded, source="computed")
    with pytest.raises(ValidationFailed):
        service.record_observation(
            seeded, person(seeded, "operator"), ind, area_code=PROVINCE, period_start=MARCH, value=5
        )


def test_agency_head_enters_only_their_agencys_indicators(seeded: Session) -> None:
    own = make_indicator(seeded, agency_code="SYT")
    other = make_indicator(seeded, agency_code="SXD")
    head = person(seeded, "agency_head", "SYT")
    area = communes(seeded, 1)[0].code
    service.record_observation(seeded, head, own, area_code=area, period_start=MARCH, value=90)
    with pytest.raises(PermissionDenied):
        service.record_observation(
            seeded, head, other, area_code=area, period_start=MARCH, value=90
        )


@pytest.mark.parametrize("role", ["officer", "citizen"])
def test_officers_and_citizens_cannot_enter_values(seeded: Session, role: str) -> None:
    ind = make_indicator(seeded)
    agency = "SXD" if role == "officer" else None
    with pytest.raises(PermissionDenied):
        service.record_observation(
            seeded,
            person(seeded, role, agency),
            ind,
            area_code=PROVINCE,
            period_start=MARCH,
            value=1,
        )
    with pytest.raises(NotAuthenticated):
        service.record_observation(
            seeded, ANONYMOUS, ind, area_code=PROVINCE, period_start=MARCH, value=1
        )


def _set_population(session: Session, pops: dict[str, int]) -> None:
    for code, pop in pops.items():
        area = session.get(Area, code)
        assert area is not None
        area.population = pop
    session.flush()


def test_roll_up_sum_mean_and_population_weighted_mean(seeded: Session) -> None:
    a, b, c = (x.code for x in communes(seeded, 3))
    values = {a: 10.0, b: 20.0, c: 60.0}
    summed = make_indicator(seeded, rollup="sum", unit="vụ", max_value=None)
    mean = make_indicator(seeded, rollup="mean")
    weighted = make_indicator(seeded, rollup="weighted_mean")
    for ind in (summed, mean, weighted):
        store(
            seeded, [ObservationInput(ind, k, MARCH, v) for k, v in values.items()], source="import"
        )
    assert _value(seeded, summed, PROVINCE, MARCH) == 90.0
    assert _value(seeded, mean, PROVINCE, MARCH) == pytest.approx(30.0)
    # Without populations the weighted mean falls back to the plain mean …
    assert _value(seeded, weighted, PROVINCE, MARCH) == pytest.approx(30.0)
    # … with them: (10×1000 + 20×3000 + 60×6000) ÷ 10000 = 43.
    _set_population(seeded, {a: 1000, b: 3000, c: 6000})
    store(seeded, [ObservationInput(weighted, a, MARCH, 10.0, "final")], source="import")
    assert _value(seeded, weighted, PROVINCE, MARCH) == pytest.approx(43.0)


def test_a_province_value_of_its_own_is_not_overwritten_by_the_roll_up(seeded: Session) -> None:
    a, b = (x.code for x in communes(seeded, 2))
    ind = make_indicator(seeded, rollup="mean")
    store(seeded, [ObservationInput(ind, PROVINCE, MARCH, 77.0)], source="import")
    store(
        seeded,
        [ObservationInput(ind, a, MARCH, 10.0), ObservationInput(ind, b, MARCH, 20.0)],
        source="import",
    )
    assert _value(seeded, ind, PROVINCE, MARCH) == 77.0


def test_band_change_is_recorded_once(seeded: Session) -> None:
    ind = make_indicator(seeded, target=90.0, rollup="none")
    area = communes(seeded, 1)[0].code
    store(seeded, [ObservationInput(ind, area, MARCH, 95.0)], source="import")  # good
    store(seeded, [ObservationInput(ind, area, APRIL, 92.0)], source="import")  # still good
    assert _band_events(seeded) == []
    store(seeded, [ObservationInput(ind, area, APRIL, 70.0)], source="import")  # warning
    events = _band_events(seeded)
    assert len(events) == 1
    assert events[0].payload == {
        "indicator": ind.code,
        "name": ind.name_vi,
        "area": area,
        "period": "2026-04",
        "old_band": "good",
        "new_band": "warning",
        "value": 70.0,
    }
    assert events[0].area_code == area and events[0].severity == "warning"
    # The same value again, or another value in the same band: nothing new to say.
    store(seeded, [ObservationInput(ind, area, APRIL, 70.0)], source="import")
    store(seeded, [ObservationInput(ind, area, APRIL, 71.0)], source="manual")
    assert len(_band_events(seeded)) == 1


def test_importing_history_raises_no_band_events_about_the_past(seeded: Session) -> None:
    ind = make_indicator(seeded, target=90.0, rollup="none")
    area = communes(seeded, 1)[0].code
    store(seeded, [ObservationInput(ind, area, MAY, 95.0)], source="import")
    store(
        seeded,
        [ObservationInput(ind, area, MARCH, 95.0), ObservationInput(ind, area, APRIL, 10.0)],
        source="import",
    )
    assert _band_events(seeded) == []


def test_seed_lists_the_catalogue_and_every_modules_indicators(seeded: Session) -> None:
    codes = set(seeded.scalars(select(Indicator.code)))
    assert {"env.pm25", "soc.poverty", "gov.online_applications"} <= codes
    assert {"reports.on_time", "reports.satisfaction_766", "reports.backlog"} <= codes
    computed = seeded.scalar(select(Indicator).where(Indicator.code == "reports.on_time"))
    assert computed is not None and computed.source == "computed" and computed.module == "reports"
    theme = seeded.get(Indicator, computed.parent_id)
    assert theme is not None and theme.code == "theme.governance"
    indicators = seeded.scalar(
        select(func.count()).select_from(Indicator).where(Indicator.kind == "indicator")
    )
    assert indicators >= 25
    assert seed_catalogue(seeded) == 0  # idempotent


def test_compute_job_stores_the_reports_indicators(seeded: Session) -> None:
    from ioc.reports.models import Report
    from tests.reports.test_evaluation import NOW, WARD, Book, at

    b = Book(seeded)
    b.report(
        "SXD", received=at(2, 8), status="closed", resolve_due=at(5, 9), resolved=at(3, 9), rating=5
    )
    b.report(
        "SXD", received=at(3, 8), status="in_progress", accepted=at(3, 9), resolve_due=at(10, 9)
    )
    seeded.flush()
    assert seeded.scalar(select(func.count()).select_from(Report)) == 2
    result = compute_indicators(
        seeded, periods=1, now=NOW, codes=["reports.on_time", "reports.backlog"]
    )
    assert result.created > 0
    on_time = service.get_indicator(seeded, "reports.on_time")
    backlog = service.get_indicator(seeded, "reports.backlog")
    assert _value(seeded, on_time, WARD, MARCH) == pytest.approx(50.0)
    assert _value(seeded, on_time, PROVINCE, MARCH) == pytest.approx(50.0)
    assert _value(seeded, backlog, WARD, MARCH) == 1.0
    # Idempotent: a second run changes nothing.
    again = compute_indicators(
        seeded, periods=1, now=NOW, codes=["reports.on_time", "reports.backlog"]
    )
    assert again.created == 0 and again.updated == 0
