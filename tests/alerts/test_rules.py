"""Each rule fires once per cause: not again when its event is redelivered, when the job runs
again, or when the same cause is reported twice."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ioc.alerts import rules, service
from ioc.alerts.models import Alert, AlertCause
from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.kit import events
from ioc.kit.events import Event
from ioc.reports.jobs import escalate_overdue
from ioc.reports.models import Report
from tests.alerts.conftest import THERE, actor, add_reports, cell_of, make_category

# --- helpers ------------------------------------------------------------------


def _count(session: Session, rule: str) -> int:
    return session.scalar(select(func.count()).select_from(Alert).where(Alert.rule == rule)) or 0


def _band_event(
    session: Session,
    old: str,
    new: str,
    *,
    period: str | None = None,
    ago: int = 0,
    area: str = "19",
) -> Event:
    """A band change for the month ``ago`` months before this one (default: last month)."""
    if period is None:
        today = utcnow().date()
        month = today.year * 12 + today.month - 2 - ago
        period = f"{month // 12}-{month % 12 + 1:02d}"
    row = events.record(
        session,
        "indicator.band_changed",
        subject_type="indicator",
        subject_id="REPORTS_ON_TIME",
        area_code=None,
        payload={
            "indicator": "REPORTS_ON_TIME",
            "area": area,
            "period": period,
            "old_band": old,
            "new_band": new,
            "value": 61.5,
        },
    )
    session.commit()  # the bus hands it to the rules after the commit
    return row


def _redeliver_all(session: Session) -> None:
    """As if the first handling had crashed: mark every event unhandled and redeliver."""
    session.execute(update(Event).values(handled_at=None))
    session.commit()
    events.redeliver(session, older_than=timedelta(0))
    session.commit()


# --- indicators ------------------------------------------------------------------


def test_indicator_into_bad_band_raises_one_critical_alert(alerts_db: Session) -> None:
    _band_event(alerts_db, "warning", "bad")
    alert = alerts_db.scalars(select(Alert).where(Alert.rule == "indicator_band")).one()
    assert (alert.severity, alert.subject_id, alert.status) == (
        "critical",
        "REPORTS_ON_TIME",
        "open",
    )
    assert alert.cause["value"] == 61.5 and alert.area_code == "19"
    # Redelivered, reported again by a recomputation, handled directly: still one alert.
    _redeliver_all(alerts_db)
    _band_event(alerts_db, "warning", "bad")
    raised = alerts_db.scalars(select(Event).where(Event.type == "indicator.band_changed")).first()
    assert raised is not None
    assert rules.indicator_band_changed(alerts_db, events.EventOut.of(raised)) is None
    alerts_db.commit()
    assert _count(alerts_db, "indicator_band") == 1
    # alert.raised is on the timeline once, for the live feed.
    assert (
        alerts_db.scalar(
            select(func.count()).select_from(Event).where(Event.type == "alert.raised")
        )
        == 1
    )


def test_indicator_band_severity_and_direction(alerts_db: Session) -> None:
    _band_event(alerts_db, "good", "warning", ago=-1)  # this month, so far
    assert alerts_db.scalars(select(Alert.severity)).all() == ["warning"]
    _band_event(alerts_db, "bad", "good")  # better: nothing
    _band_event(alerts_db, "bad", "warning")  # better: nothing
    _band_event(alerts_db, "warning", "warning")  # unchanged: nothing
    assert _count(alerts_db, "indicator_band") == 1
    # Another period is another cause.
    _band_event(alerts_db, "good", "bad")
    assert sorted(alerts_db.scalars(select(Alert.severity))) == ["critical", "warning"]


def test_communes_moving_together_make_one_alert(alerts_db: Session) -> None:
    _band_event(alerts_db, "good", "bad", area="01882")
    _band_event(alerts_db, "warning", "bad", area="01906")
    _band_event(alerts_db, "warning", "bad", area="01906")  # recomputed: the same cause
    alert = alerts_db.scalars(select(Alert).where(Alert.rule == "indicator_band")).one()
    alerts_db.refresh(alert)
    assert set(alert.cause["communes"]) == {"01882", "01906"}
    assert alert.cause["communes"]["01906"] == {"old_band": "warning", "value": 61.5}
    assert "2 communes" in alert.title and alert.severity == "critical"
    _redeliver_all(alerts_db)
    assert _count(alerts_db, "indicator_band") == 1
    # Into the warning band is another alert; the province itself is never grouped.
    _band_event(alerts_db, "good", "warning", area="01882")
    _band_event(alerts_db, "good", "bad", area="19")
    assert _count(alerts_db, "indicator_band") == 3


def test_back_filled_history_raises_no_alert(alerts_db: Session) -> None:
    _band_event(alerts_db, "good", "bad", ago=3)
    _band_event(alerts_db, "good", "bad", period=str(utcnow().year - 2))
    _band_event(alerts_db, "good", "bad", period="2019-Q2")
    assert _count(alerts_db, "indicator_band") == 0
    _band_event(alerts_db, "good", "bad", period=str(utcnow().year - 1))  # last year: recent
    _band_event(alerts_db, "good", "warning", period=utcnow().date().isoformat())  # today
    assert _count(alerts_db, "indicator_band") == 2


def test_period_bounds() -> None:
    from datetime import date

    assert rules.period_bounds("2026-03") == (date(2026, 3, 1), date(2026, 4, 1))
    assert rules.period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert rules.period_bounds("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert rules.period_bounds("2026-q2") == (date(2026, 4, 1), date(2026, 7, 1))
    assert rules.period_bounds("2026") == (date(2026, 1, 1), date(2027, 1, 1))
    assert rules.period_bounds("2026-03-15") == (date(2026, 3, 15), date(2026, 3, 16))
    assert rules.period_bounds("tuần 12") is None and rules.period_bounds("2026-13") is None


def test_disabled_rule_raises_nothing(alerts_db: Session) -> None:
    service.rule_settings(alerts_db, "indicator_band").enabled = False
    alerts_db.commit()
    _band_event(alerts_db, "good", "bad")
    assert _count(alerts_db, "indicator_band") == 0


# --- overdue reports -----------------------------------------------------------------------------


def test_report_overdue_from_the_escalation_job_fires_once(alerts_db: Session) -> None:
    category = make_category(alerts_db)
    now = utcnow()
    add_reports(alerts_db, category, [now - timedelta(days=3)])
    report = alerts_db.scalars(select(Report).where(Report.category_id == category.id)).one()
    report.agency_id = alerts_db.scalar(select(Agency.id).limit(1))
    report.accept_due_at = now - timedelta(hours=2)
    alerts_db.commit()
    assert escalate_overdue(alerts_db, now=now) == 1
    alerts_db.commit()
    alert = alerts_db.scalars(select(Alert).where(Alert.rule == "report_overdue")).one()
    assert alert.subject_type == "report" and alert.subject_id == report.code
    assert alert.cause["reports"][report.code]["stage"] == "accept"
    assert alert.severity == "warning"
    assert alert.h3_cell == report.h3_cell
    # The job again (it skips escalated reports), then a redelivery of every event.
    assert escalate_overdue(alerts_db, now=now + timedelta(minutes=5)) == 0
    alerts_db.commit()
    _redeliver_all(alerts_db)
    assert _count(alerts_db, "report_overdue") == 1


def _overdue(session: Session, code: str, stage: str, agency_id: int | None) -> None:
    due = "2026-11-01T08:00:00+00:00" if stage == "accept" else "2026-11-05T08:00:00+00:00"
    events.record(
        session,
        "report.overdue",
        subject_type="report",
        subject_id=code,
        area_code="01882",
        severity="warning",
        agency_id=agency_id,
        payload={"stage": stage, "due": due, "status": "accepted"},
    )
    session.commit()


def test_overdue_reports_group_per_agency_and_count_each_breach_once(
    alerts_db: Session,
) -> None:
    first, second = alerts_db.scalars(select(Agency.id).order_by(Agency.id).limit(2)).all()
    for code in ("PA-2026-000001", "PA-2026-000002", "PA-2026-000001"):  # one twice
        _overdue(alerts_db, code, "accept", first)
    _overdue(alerts_db, "PA-2026-000001", "resolve", first)  # a second breach: a new cause
    _overdue(alerts_db, "PA-2026-000003", "accept", second)
    _redeliver_all(alerts_db)
    grouped = alerts_db.scalars(
        select(Alert).where(Alert.rule == "report_overdue").order_by(Alert.id)
    ).all()
    assert len(grouped) == 2
    alerts_db.refresh(grouped[0])
    assert sorted(grouped[0].cause["reports"]) == ["PA-2026-000001", "PA-2026-000002"]
    assert grouped[0].cause["reports"]["PA-2026-000001"]["stage"] == "resolve"
    assert "2 reports of" in grouped[0].title and grouped[0].subject_type == "agency"
    causes = alerts_db.scalars(
        select(AlertCause.key).where(AlertCause.alert_id == grouped[0].id)
    ).all()
    assert len(causes) == 3
    assert list(grouped[1].cause["reports"]) == ["PA-2026-000003"]
    # Once the agency's alert is resolved, its next breach opens a new one; old causes stay
    # taken.
    service.resolve(alerts_db, actor("operator"), grouped[0], "Đã đôn đốc")
    alerts_db.commit()
    _overdue(alerts_db, "PA-2026-000002", "accept", first)
    _overdue(alerts_db, "PA-2026-000004", "accept", first)
    _redeliver_all(alerts_db)
    newest = alerts_db.scalars(select(Alert).order_by(Alert.id.desc())).first()
    assert newest is not None and newest.id not in (grouped[0].id, grouped[1].id)
    assert list(newest.cause["reports"]) == ["PA-2026-000004"]
    assert _count(alerts_db, "report_overdue") == 3


def test_two_workers_racing_on_one_key_make_one_alert(alerts_db: Session) -> None:
    first = service.raise_alert(
        alerts_db, rule="report_spike", dedupe_key="k:1", title="one", severity="warning"
    )
    second = service.raise_alert(
        alerts_db, rule="report_spike", dedupe_key="k:1", title="two", severity="warning"
    )
    assert first is not None and second is None
    # Past the pre-check (as a second worker would be): the unique key still refuses it, and
    # the caller's transaction goes on.
    alerts_db.add(Alert(rule="report_spike", dedupe_key="k:2", title="x", cause={}, resolution=""))
    alerts_db.flush()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), alerts_db.begin_nested():
        alerts_db.add(
            Alert(rule="report_spike", dedupe_key="k:2", title="y", cause={}, resolution="")
        )
        alerts_db.flush()
    alerts_db.commit()
    assert _count(alerts_db, "report_spike") == 2


# --- spikes ------------------------------------------------------------------


def test_spike_statistics_by_hand() -> None:
    start = utcnow().replace(minute=0, second=0, microsecond=0)
    # Over 4 hours: 2 reports in the hour before start, 2 three hours before: counts 2,0,0,2.
    history = [start - timedelta(minutes=m) for m in (10, 20, 190, 200)]
    test = rules.spike_test(
        5, history, start=start, hours=4, min_count=3, sd_factor=3.0, p_max=0.001
    )
    assert test.mean == 1.0 and test.sd == 1.0  # mean 1, variance (4+0+0+4)/4 - 1 = 1
    assert test.threshold == 4.0  # max(3, 1 + 3·1)
    # P(X ≥ 5 | λ = 1) = 1 − e⁻¹(1 + 1 + 1/2 + 1/6 + 1/24) ≈ 0.00366: not rare enough.
    assert test.p_value == pytest.approx(0.0036598, rel=1e-4)
    assert not test.fires
    assert rules.spike_test(
        7, history, start=start, hours=4, min_count=3, sd_factor=3.0, p_max=0.001
    ).fires  # P(X ≥ 7 | 1) ≈ 0.000083
    assert rules.poisson_tail(0, 2.0) == 1.0 and rules.poisson_tail(1, 0.0) == 0.0


def test_spike_fires_once_on_a_synthetic_burst(alerts_db: Session) -> None:
    category = make_category(alerts_db)
    now = utcnow()
    # A quiet cell: a report every other week over the last two months...
    add_reports(alerts_db, category, [now - timedelta(days=14 * k, hours=3) for k in range(1, 5)])
    # ...then five within the last hour.
    add_reports(alerts_db, category, [now - timedelta(minutes=m) for m in (50, 40, 31, 12, 3)])
    alerts_db.commit()
    assert rules.detect_spikes(alerts_db, now=now) == 1
    alerts_db.commit()
    alert = alerts_db.scalars(select(Alert).where(Alert.rule == "report_spike")).one()
    assert alert.h3_cell == alert.subject_id
    assert alert.cause["count"] == 5 and len(alert.cause["reports"]) == 5
    assert alert.cause["p_value"] < 0.001 and alert.lat is not None
    # The job runs again every few minutes, and a report more arrives: still one alert.
    assert rules.detect_spikes(alerts_db, now=now + timedelta(minutes=5)) == 0
    add_reports(alerts_db, category, [now + timedelta(minutes=7)])
    assert rules.detect_spikes(alerts_db, now=now + timedelta(minutes=10)) == 0
    alerts_db.commit()
    assert _count(alerts_db, "report_spike") == 1


def test_no_spike_on_quiet_data(alerts_db: Session) -> None:
    category = make_category(alerts_db)
    other = make_category(alerts_db)
    now = utcnow()
    # Two in the hour in one cell; three in the hour but in two cells; three spread over
    # three hours; another category in the same cell.
    add_reports(alerts_db, category, [now - timedelta(minutes=m) for m in (5, 25)])
    add_reports(alerts_db, category, [now - timedelta(minutes=m) for m in (10, 20)], THERE)
    add_reports(alerts_db, other, [now - timedelta(minutes=m) for m in (30, 90, 150)])
    alerts_db.commit()
    assert rules.detect_spikes(alerts_db, now=now) == 0
    assert _count(alerts_db, "report_spike") == 0


def test_no_spike_where_the_cell_is_normally_that_busy(alerts_db: Session) -> None:
    rng = random.Random(5)
    category = make_category(alerts_db)
    settings = service.rule_settings(alerts_db, "report_spike")
    settings.params = {**settings.params, "history_weeks": 2}
    now = utcnow()
    start = now - timedelta(hours=1)
    history = []
    for hour in range(1, 14 * 24 + 1):
        # About four an hour (binomial, mean 4), every hour for two weeks: a busy market.
        for _i in range(sum(1 for _k in range(8) if rng.random() < 0.5)):
            history.append(start - timedelta(hours=hour) + timedelta(minutes=rng.randrange(60)))
    add_reports(alerts_db, category, history)
    add_reports(alerts_db, category, [now - timedelta(minutes=5 * k + 1) for k in range(7)])
    alerts_db.commit()
    # Seven in the hour would be a spike in a quiet cell; here it is an ordinary hour.
    assert rules.detect_spikes(alerts_db, now=now) == 0
    # Twenty is not.
    add_reports(alerts_db, category, [now - timedelta(minutes=k + 1) for k in range(13)])
    alerts_db.commit()
    assert rules.detect_spikes(alerts_db, now=now) == 1
    alert = alerts_db.scalars(select(Alert).where(Alert.rule == "report_spike")).one()
    assert 3.5 < alert.cause["mean"] < 4.5 and alert.cause["count"] == 20
    assert alert.h3_cell == cell_of((21.5942, 105.8482))
