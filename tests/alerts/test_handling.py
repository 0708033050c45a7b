"""Procedures instantiated on alerts with their deadlines; handling acts, their log, events
and audit; and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.alerts import service
from ioc.alerts.models import Alert, AlertNote, AlertStep
from ioc.alerts.seed import PROCEDURES
from ioc.db import utcnow
from ioc.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from ioc.kit.audit import AuditEntry
from ioc.kit.events import Event
from ioc.kit.permissions import ANONYMOUS
from tests.alerts.conftest import actor, agency_codes

OPERATOR = actor("operator", user_id=None)
LEADER = actor("leader")
ADMIN = actor("administrator")


def _raise(session: Session, rule: str = "report_overdue", key: str = "t:1", **kw: object) -> Alert:
    alert = service.raise_alert(
        session,
        rule=rule,
        dedupe_key=key,
        title="Report PA-2026-000001 is overdue (resolve)",
        severity="warning",
        subject_type="report",
        subject_id="PA-2026-000001",
        cause={"stage": "resolve"},
        area_code="19",
        **kw,  # type: ignore[arg-type]
    )
    assert alert is not None
    session.flush()
    return alert


def test_procedure_is_instantiated_with_clock_deadlines(alerts_db: Session) -> None:
    raised = utcnow() - timedelta(minutes=45)
    alert = _raise(alerts_db, now=raised)
    steps = service.steps_of(alerts_db, alert)
    shipped = PROCEDURES["report_overdue"][2]
    assert [s.title for s in steps] == [t for t, _m, _r in shipped]
    assert [s.due_at - raised for s in steps] == [timedelta(minutes=m) for _t, m, _r in shipped]
    assert steps[0].role == "operator"
    now = utcnow()
    # 45 minutes in: the 30-minute step is overdue, the two-hour one is not.
    assert [s.is_overdue(now) for s in steps] == [True, False, False, False]
    step = service.tick_step(alerts_db, OPERATOR, alert, steps[0].id, note="Đã xem")
    assert step.done_at is not None and not step.is_overdue(now + timedelta(days=9))
    assert step.done_by_label == "Test operator" and step.note == "Đã xem"
    with pytest.raises(ValidationFailed):
        service.tick_step(alerts_db, OPERATOR, alert, steps[0].id)
    other = _raise(alerts_db, key="t:2")
    with pytest.raises(NotFound):  # a step of another alert
        service.tick_step(alerts_db, OPERATOR, other, steps[1].id)


def test_editing_a_procedure_validates_and_leaves_raised_alerts_alone(alerts_db: Session) -> None:
    alert = _raise(alerts_db)
    before = [s.title for s in service.steps_of(alerts_db, alert)]
    with pytest.raises(ValidationFailed) as bad:
        service.save_procedure(
            alerts_db,
            ADMIN,
            "report_overdue",
            name="Phản ánh quá hạn",
            description="",
            steps=[
                service.StepInput("Gọi điện", "ba mươi"),
                service.StepInput("Báo cáo", "0", "operator"),
                service.StepInput("Ghi kết quả", "60", "kingmaker"),
            ],
        )
    assert [e.field for e in bad.value.errors] == ["step1.minutes", "step2.minutes", "step3.role"]
    with pytest.raises(ValidationFailed) as empty:
        service.save_procedure(
            alerts_db, ADMIN, "report_overdue", name="", description="", steps=[]
        )
    assert {e.field for e in empty.value.errors} == {"name", "step1.title"}
    with pytest.raises(PermissionDenied):
        service.save_procedure(
            alerts_db,
            OPERATOR,
            "report_overdue",
            name="X",
            description="",
            steps=[service.StepInput("Y", "5")],
        )
    service.save_procedure(
        alerts_db,
        ADMIN,
        "report_overdue",
        name="Quy trình mới",
        description="Hai bước",
        steps=[
            service.StepInput("Gọi điện cho cơ quan", "20", "operator"),
            service.StepInput("", ""),  # an empty row is dropped
            service.StepInput("Ghi kết quả", "90"),
        ],
    )
    alerts_db.flush()
    assert [s.title for s in service.steps_of(alerts_db, alert)] == before
    fresh = _raise(alerts_db, key="t:3")
    steps = service.steps_of(alerts_db, fresh)
    assert [(s.title, s.due_at - fresh.raised_at, s.role) for s in steps] == [
        ("Gọi điện cho cơ quan", timedelta(minutes=20), "operator"),
        ("Ghi kết quả", timedelta(minutes=90), None),
    ]
    assert alerts_db.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == "report_overdue")
    ).all() == ["alerts.procedure_changed"]


def test_handling_acts_are_logged_recorded_and_audited(alerts_db: Session) -> None:
    alert = _raise(alerts_db)
    agency = agency_codes(alerts_db, 1)[0]
    service.acknowledge(alerts_db, OPERATOR, alert)
    assert alert.status == "acknowledged" and alert.acknowledged_at is not None
    with pytest.raises(ValidationFailed):
        service.acknowledge(alerts_db, OPERATOR, alert)
    service.assign(alerts_db, OPERATOR, alert, agency_code=agency, note="Giao xử lý")
    assert (alert.status, alert.assigned_agency_code) == ("assigned", agency)
    with pytest.raises(ValidationFailed) as nobody:
        service.assign(alerts_db, OPERATOR, alert)
    assert nobody.value.errors[0].field == "agency"
    with pytest.raises(ValidationFailed) as unknown:
        service.assign(alerts_db, OPERATOR, alert, agency_code="NO-SUCH")
    assert unknown.value.errors[0].field == "agency"
    with pytest.raises(ValidationFailed) as blank:
        service.add_note(alerts_db, OPERATOR, alert, "   ")
    assert blank.value.errors[0].field == "note"
    service.add_note(alerts_db, OPERATOR, alert, "Đã gọi điện cho cơ quan")
    with pytest.raises(ValidationFailed) as no_note:
        service.resolve(alerts_db, OPERATOR, alert, "")
    assert no_note.value.errors[0].field == "resolution"
    service.resolve(alerts_db, OPERATOR, alert, "Cơ quan đã trả lời phản ánh")
    assert alert.status == "resolved" and alert.resolution == "Cơ quan đã trả lời phản ánh"
    with pytest.raises(ValidationFailed):
        service.resolve(alerts_db, OPERATOR, alert, "again")
    alerts_db.commit()
    kinds = alerts_db.scalars(
        select(AlertNote.kind).where(AlertNote.alert_id == alert.id).order_by(AlertNote.id)
    ).all()
    assert kinds[:4] == ["acknowledge", "assign", "note", "resolve"]
    types = alerts_db.scalars(
        select(Event.type).where(Event.subject_type == "alert", Event.subject_id == str(alert.id))
    ).all()
    for t in (
        "alert.raised",
        "alert.acknowledged",
        "alert.assigned",
        "alert.noted",
        "alert.resolved",
    ):
        assert t in types
    audited = alerts_db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_type == "alert", AuditEntry.subject_id == str(alert.id)
        )
    ).all()
    assert {"alert.acknowledge", "alert.assign", "alert.note", "alert.resolve"} <= set(audited)


def test_agency_staff_see_and_handle_only_their_agencys_alerts(alerts_db: Session) -> None:
    mine, theirs = agency_codes(alerts_db, 2)
    officer = actor("officer", mine)
    other = actor("agency_head", theirs)
    alert = _raise(alerts_db)
    unassigned = _raise(alerts_db, key="t:9")
    assert not service.can_view(officer, alert)
    with pytest.raises(PermissionDenied):
        service.get_alert(alerts_db, officer, alert.id)
    with pytest.raises(PermissionDenied):
        service.acknowledge(alerts_db, officer, alert)
    assert service.list_alerts(alerts_db, officer).items == []
    service.assign(alerts_db, OPERATOR, alert, agency_code=mine)
    assert service.get_alert(alerts_db, officer, alert.id) is alert
    assert [a.id for a in service.list_alerts(alerts_db, officer).items] == [alert.id]
    assert service.open_alerts(alerts_db, officer) == ([alert], 1)
    service.acknowledge(alerts_db, officer, alert)
    steps = service.steps_of(alerts_db, alert)
    service.tick_step(alerts_db, officer, alert, steps[0].id)
    # Agency staff cannot reassign, and the other agency sees nothing.
    with pytest.raises(PermissionDenied):
        service.assign(alerts_db, officer, alert, agency_code=theirs)
    assert not service.can_view(other, alert)
    with pytest.raises(PermissionDenied):
        service.resolve(alerts_db, other, alert, "not mine")
    # Leaders and operators see all of them.
    assert {a.id for a in service.list_alerts(alerts_db, LEADER).items} == {alert.id, unassigned.id}
    service.resolve(alerts_db, LEADER, unassigned, "Lãnh đạo đã chỉ đạo")
    # A citizen and nobody at all get nothing.
    with pytest.raises(PermissionDenied):
        service.list_alerts(alerts_db, actor("citizen"))
    with pytest.raises(NotAuthenticated):
        service.list_alerts(alerts_db, ANONYMOUS)
    # Administrators configure; they do not handle alerts.
    with pytest.raises(PermissionDenied):
        service.acknowledge(alerts_db, ADMIN, alert)


def test_rule_settings_are_validated_per_field(alerts_db: Session) -> None:
    with pytest.raises(ValidationFailed) as bad:
        service.update_rule(
            alerts_db,
            OPERATOR,
            "report_spike",
            enabled=True,
            severity="apocalyptic",
            values={"min_count": "1", "sd_factor": "abc", "p_max": "0.01", "history_weeks": "8"},
        )
    assert [e.field for e in bad.value.errors] == [
        "report_spike.severity",
        "report_spike.min_count",
        "report_spike.sd_factor",
    ]
    row = service.update_rule(
        alerts_db,
        OPERATOR,
        "report_spike",
        enabled=False,
        severity="critical",
        values={"min_count": "4", "sd_factor": "2,5", "p_max": "0.0005", "history_weeks": "6"},
    )
    assert (row.enabled, row.severity) == (False, "critical")
    assert service.param(row, "sd_factor") == 2.5 and service.param(row, "min_count") == 4
    with pytest.raises(PermissionDenied):
        service.update_rule(
            alerts_db, LEADER, "report_overdue", enabled=True, severity="info", values={}
        )


def test_steps_done_late_are_kept_as_late(alerts_db: Session) -> None:
    raised = utcnow() - timedelta(hours=5)
    alert = _raise(alerts_db, now=raised)
    first = service.steps_of(alerts_db, alert)[0]
    service.tick_step(alerts_db, OPERATOR, alert, first.id)
    step = alerts_db.get(AlertStep, first.id)
    assert step is not None and step.done_at is not None and step.done_at > step.due_at


def test_a_person_assigned_sees_and_handles_the_alert(alerts_db: Session) -> None:
    from tests.conftest import make_user

    theirs = agency_codes(alerts_db, 2)[1]
    person = make_user(alerts_db, "officer", agency=theirs)
    officer = actor("officer", theirs, user_id=person.id)  # type: ignore[attr-defined]
    alert = _raise(alerts_db)
    assert not service.can_view(officer, alert)
    with pytest.raises(ValidationFailed) as unknown:
        service.assign(alerts_db, OPERATOR, alert, user_id=987654)
    assert unknown.value.errors[0].field == "user"
    service.assign(alerts_db, OPERATOR, alert, user_id=person.id)  # type: ignore[attr-defined]
    assert alert.assigned_user_id == person.id and alert.assigned_agency_code is None  # type: ignore[attr-defined]
    assert service.can_view(officer, alert) and service.can_handle(officer, alert)
    assert [a.id for a in service.list_alerts(alerts_db, officer).items] == [alert.id]
    service.add_note(alerts_db, officer, alert, "Tôi đang xử lý")
    service.resolve(alerts_db, officer, alert, "Đã xong")
    assert alert.status == "resolved" and alert.resolved_by_id == person.id  # type: ignore[attr-defined]
