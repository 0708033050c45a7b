"""Raising alerts (once per cause), handling them, and their procedures.

Every handling act (acknowledge, assign, note, tick a step, resolve) is checked against the
actor's permissions, written to the alert's log, recorded as an event for the live feed, and
audited. Procedure step deadlines are **clock time** after the alert was raised: the centre
works around the clock and an alert is an operational matter, unlike a report's deadline,
which the law counts in working time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc.alerts.models import (
    OPEN_STATUSES,
    SEVERITIES,
    STATUSES,
    Alert,
    AlertCause,
    AlertNote,
    AlertRule,
    AlertStep,
    Procedure,
    ProcedureStep,
)
from ioc.areas.models import Agency
from ioc.db import utcnow
from ioc.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from ioc.kit import audit, events
from ioc.kit.auth import User
from ioc.kit.permissions import ROLES, Actor, can, registry, require

NOTE_MAX = 2000
STEP_TITLE_MAX = 300
MAX_STEP_MINUTES = 60 * 24 * 30
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
# Event severities of the kit for each alert severity.
EVENT_SEVERITY = {"info": "notice", "warning": "warning", "critical": "critical"}


class _Errors:
    """Field errors gathered over a whole form, raised together."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str, **params: Any) -> None:
        self.items.append(FieldError(field, message, params))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items[0].message, errors=self.items, **self.items[0].params)


# --- Rules' settings --------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    label: str  # English message id
    kind: type  # int or float
    default: float
    minimum: float
    maximum: float
    hint: str = ""


@dataclass(frozen=True)
class RuleSpec:
    code: str
    label: str
    description: str
    severity: str
    params: tuple[Param, ...] = ()


RULES: dict[str, RuleSpec] = {
    spec.code: spec
    for spec in (
        RuleSpec(
            "indicator_band",
            "Indicator out of band",
            "An indicator moves into a worse band for an area: into the warning band it "
            "raises a warning, into the bad band a critical alert.",
            "critical",
        ),
        RuleSpec(
            "report_overdue",
            "Report overdue",
            "A report passes its deadline to be accepted or resolved (one alert per breach).",
            "warning",
        ),
        RuleSpec(
            "report_spike",
            "Spike of reports",
            "Unusually many reports of one category in one H3 cell within an hour, compared "
            "with the same cell's own history.",
            "warning",
            (
                Param("min_count", "Minimum reports in the hour", int, 3, 2, 1000),
                Param(
                    "sd_factor",
                    "Standard deviations above the mean",
                    float,
                    3.0,
                    1.0,
                    10.0,
                ),
                Param(
                    "p_max",
                    "Largest Poisson tail probability",
                    float,
                    0.001,
                    0.0000001,
                    0.1,
                    "The chance of so many reports in an hour at the cell's usual rate.",
                ),
                Param("history_weeks", "Weeks of history", int, 8, 1, 52),
            ),
        ),
    )
}


def rule_settings(session: Session, code: str) -> AlertRule:
    """The stored settings, created with the defaults on first use."""
    spec = RULES[code]
    row = session.get(AlertRule, code)
    if row is None:
        row = AlertRule(
            code=code,
            enabled=True,
            severity=spec.severity,
            params={p.name: p.default for p in spec.params},
            updated_at=utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = session.get(AlertRule, code)
            assert row is not None
    return row


def param(row: AlertRule, name: str) -> float:
    spec = next(p for p in RULES[row.code].params if p.name == name)
    value = (row.params or {}).get(name, spec.default)
    return spec.kind(value)  # type: ignore[no-any-return]


def update_rule(
    session: Session,
    actor: Actor,
    code: str,
    *,
    enabled: bool,
    severity: str,
    values: dict[str, str],
) -> AlertRule:
    require(actor, "alerts.configure")
    if code not in RULES:
        raise NotFound("No such rule.")
    spec = RULES[code]
    error = _Errors()
    if severity not in SEVERITIES:
        error.add(f"{code}.severity", "Choose a severity.")
    params: dict[str, float] = {}
    for p in spec.params:
        raw = values.get(p.name, "").strip().replace(",", ".")
        try:
            number = p.kind(raw) if p.kind is float else int(raw)
        except ValueError:
            error.add(f"{code}.{p.name}", "{label}: enter a number.", label=p.label)
            continue
        if not p.minimum <= number <= p.maximum:
            error.add(
                f"{code}.{p.name}",
                "{label}: enter a number from {min} to {max}.",
                label=p.label,
                min=p.minimum,
                max=p.maximum,
            )
            continue
        params[p.name] = number
    error.raise_if_any()
    row = rule_settings(session, code)
    before = {"enabled": row.enabled, "severity": row.severity, "params": dict(row.params or {})}
    row.enabled = enabled
    row.severity = severity
    row.params = params
    row.updated_at = utcnow()
    row.updated_by_id = actor.user_id
    audit.log(
        session,
        "alerts.rule_changed",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="alert_rule",
        subject_id=code,
        detail={
            "before": before,
            "after": {"enabled": enabled, "severity": severity, "params": params},
        },
    )
    session.flush()
    return row


# --- Raising ----------------------------------------------------------------------------------


def raise_alert(
    session: Session,
    *,
    rule: str,
    dedupe_key: str,
    title: str,
    severity: str,
    subject_type: str = "",
    subject_id: str = "",
    cause: dict[str, Any] | None = None,
    area_code: str | None = None,
    h3_cell: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    event_id: int | None = None,
    now: datetime | None = None,
    is_demo: bool = False,
) -> Alert | None:
    """Open an alert unless one exists for this key; returns it, or None when it existed.

    The unique key decides: a concurrent insert of the same key by another worker fails at
    the constraint and is rolled back to a savepoint, leaving the caller's transaction intact."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}")
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)) is not None:
        return None
    now = now or utcnow()
    alert = Alert(
        rule=rule,
        dedupe_key=dedupe_key[:200],
        severity=severity,
        status="open",
        title=title[:300],
        subject_type=subject_type,
        subject_id=subject_id,
        cause=dict(cause or {}),
        area_code=area_code,
        h3_cell=h3_cell,
        lat=lat,
        lon=lon,
        event_id=event_id,
        raised_at=now,
        resolution="",
        is_demo=is_demo,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None
    instantiate_procedure(session, alert)
    events.record(
        session,
        "alert.raised",
        subject_type="alert",
        subject_id=alert.id,
        title=title,
        area_code=area_code,
        lat=lat,
        lon=lon,
        severity=EVENT_SEVERITY[severity],
        payload={"rule": rule, "severity": severity, "alert_id": alert.id},
        occurred_at=now,
    )
    return alert


def raise_grouped(
    session: Session,
    *,
    cause_key: str,
    group: str,
    build: Callable[[], dict[str, Any]],
    add: Callable[[Alert], None],
    now: datetime | None = None,
) -> Alert | None:
    """Take one cause into the open alert of its ``group``, or open one for it.

    ``build()`` gives :func:`raise_alert`'s arguments for a new alert (its dedupe key is the
    group's, numbered); ``add(alert)`` records the cause on an open alert. The cause's own
    key is unique (:class:`AlertCause`), so it is taken once, ever. Returns the new alert,
    or None when the cause joined an open one or was already taken."""
    if session.get(AlertCause, cause_key[:200]) is not None:
        return None
    for _attempt in range(3):
        open_alert = session.scalar(
            select(Alert)
            .where(Alert.dedupe_key.like(f"{group}#%"), Alert.status.in_(OPEN_STATUSES))
            .order_by(Alert.id.desc())
            .limit(1)
            # Two workers adding to one alert take turns (PostgreSQL; SQLite writes serially).
            .with_for_update()
        )
        created = None
        if open_alert is None:
            taken = session.scalar(
                select(func.count()).select_from(Alert).where(Alert.dedupe_key.like(f"{group}#%"))
            )
            created = raise_alert(
                session, dedupe_key=f"{group}#{(taken or 0) + 1}", now=now, **build()
            )
            if created is None:
                continue  # another worker opened it meanwhile: join theirs
            open_alert = created
        try:
            with session.begin_nested():
                session.add(
                    AlertCause(
                        key=cause_key[:200], alert_id=open_alert.id, added_at=now or utcnow()
                    )
                )
                session.flush()
        except IntegrityError:
            return None  # taken by another worker
        if created is None:
            add(open_alert)
            session.flush()
        return created
    return None


def instantiate_procedure(session: Session, alert: Alert) -> list[AlertStep]:
    procedure = session.scalar(select(Procedure).where(Procedure.rule == alert.rule))
    if procedure is None:
        return []
    steps = []
    for step in procedure_steps(session, procedure):
        row = AlertStep(
            alert_id=alert.id,
            position=step.position,
            title=step.title,
            role=step.role,
            due_at=alert.raised_at + timedelta(minutes=step.due_minutes),
            done_by_label="",
            note="",
        )
        session.add(row)
        steps.append(row)
    session.flush()
    return steps


# --- Who sees what ----------------------------------------------------------------------------


def sees_all(actor: Actor) -> bool:
    """Province-wide staff (operators, leaders, administrators) see every alert."""
    roles = registry.roles_for("alerts.view")
    return any(g.role in roles and g.scope_type == "province" for g in actor.grants)


def can_view(actor: Actor, alert: Alert) -> bool:
    if sees_all(actor):
        return True
    if alert.assigned_user_id is not None and alert.assigned_user_id == actor.user_id:
        return actor.is_staff
    return bool(alert.assigned_agency_code) and can(actor, "alerts.view", alert)


def require_view(actor: Actor, alert: Alert) -> None:
    if not can_view(actor, alert):
        require(actor, "alerts.view", alert)  # audits the denial and raises
        if not sees_all(actor):
            raise PermissionDenied("You do not have permission to do this.")


def can_handle(actor: Actor, alert: Alert) -> bool:
    if not can_view(actor, alert):
        return False
    if alert.assigned_user_id is not None and alert.assigned_user_id == actor.user_id:
        return True
    if sees_all(actor):
        return can(actor, "alerts.handle")
    return can(actor, "alerts.handle", alert)


def _require_handle(actor: Actor, alert: Alert) -> None:
    require_view(actor, alert)
    if not can_handle(actor, alert):
        require(actor, "alerts.handle", alert)
        raise PermissionDenied("You do not have permission to do this.")


def visible_filter(actor: Actor) -> Any:
    """A WHERE clause limiting alerts to those the actor may see (None: all)."""
    if sees_all(actor):
        return None
    codes = sorted(actor.agency_codes())
    clauses: list[ColumnElement[bool]] = []
    if codes and can(actor, "alerts.view"):
        clauses.append(Alert.assigned_agency_code.in_(codes))
    if actor.user_id is not None and actor.is_staff:
        clauses.append(Alert.assigned_user_id == actor.user_id)
    if not clauses:
        return Alert.id.is_(None)  # nothing
    return or_(*clauses)


def get_alert(session: Session, actor: Actor, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("No such alert.")
    require_view(actor, alert)
    return alert


# A literal, not a bound parameter: only then can the database match the partial index
# ix_alerts_unresolved (whose condition is the same text).
UNRESOLVED = Alert.status != literal_column("'resolved'")

_SEVERITY_ORDER = case((Alert.severity == "critical", 0), (Alert.severity == "warning", 1), else_=2)


@dataclass(frozen=True)
class Listing:
    items: list[Alert]
    total: int
    page: int
    page_size: int


def list_alerts(
    session: Session,
    actor: Actor,
    *,
    status: str = "",
    severity: str = "",
    rule: str = "",
    area: str = "",
    page: int = 1,
    page_size: int = 50,
) -> Listing:
    if not actor.is_staff:
        require(actor, "alerts.view")
    query = select(Alert)
    where = visible_filter(actor)
    if where is not None:
        query = query.where(where)
    if status == "active":
        query = query.where(UNRESOLVED)
    elif status in STATUSES:
        query = query.where(Alert.status == status)
    if severity in SEVERITIES:
        query = query.where(Alert.severity == severity)
    if rule in RULES:
        query = query.where(Alert.rule == rule)
    if area:
        query = query.where(Alert.area_code == area)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(_SEVERITY_ORDER, Alert.raised_at.desc(), Alert.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return Listing(list(items), total, page, page_size)


def open_alerts(session: Session, actor: Actor, *, limit: int = 8) -> tuple[list[Alert], int]:
    """The actor's unresolved alerts, most severe and newest first, and how many there are.

    One query per severity, each read in order from the partial index of unresolved alerts,
    so the cost does not grow with the number of open alerts (the console polls this)."""
    unresolved = UNRESOLVED
    where = visible_filter(actor)
    base = select(Alert).where(unresolved)
    counted = select(func.count()).select_from(Alert).where(unresolved)
    if where is not None:
        base = base.where(where)
        counted = counted.where(where)
    rows: list[Alert] = []
    for severity in ("critical", "warning", "info"):
        if len(rows) >= limit:
            break
        rows += session.scalars(
            base.where(Alert.severity == severity)
            .order_by(Alert.raised_at.desc(), Alert.id.desc())
            .limit(limit - len(rows))
        ).all()
    return rows, session.scalar(counted) or 0


def steps_of(session: Session, alert: Alert) -> list[AlertStep]:
    return list(
        session.scalars(
            select(AlertStep).where(AlertStep.alert_id == alert.id).order_by(AlertStep.position)
        )
    )


def notes_of(session: Session, alert: Alert) -> list[AlertNote]:
    return list(
        session.scalars(
            select(AlertNote)
            .where(AlertNote.alert_id == alert.id)
            .order_by(AlertNote.at, AlertNote.id)
        )
    )


# --- Handling ---------------------------------------------------------------------------------


def _agency_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    return session.scalar(select(Agency.id).where(Agency.code == code))


def _log(
    session: Session,
    actor: Actor,
    alert: Alert,
    kind: str,
    text: str,
    event_type: str | None,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    session.add(
        AlertNote(
            alert_id=alert.id,
            at=now,
            actor_id=actor.user_id,
            actor_label=actor.display_name[:200],
            kind=kind,
            text=text,
        )
    )
    agency_id = _agency_id(session, alert.assigned_agency_code)
    if event_type:
        events.record(
            session,
            event_type,
            subject_type="alert",
            subject_id=alert.id,
            actor_id=actor.user_id,
            title=alert.title,
            area_code=alert.area_code,
            lat=alert.lat,
            lon=alert.lon,
            severity="info",
            visibility="agency" if agency_id else "staff",
            agency_id=agency_id,
            payload={"alert_id": alert.id, "status": alert.status, **(payload or {})},
            occurred_at=now,
        )
    audit.log(
        session,
        f"alert.{kind}",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="alert",
        subject_id=alert.id,
        detail=payload or None,
    )
    session.flush()


def _clean_note(text: str, *, required: bool, field: str = "note") -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed("Write a note.", field=field)
    if len(text) > NOTE_MAX:
        raise ValidationFailed(
            "The note is too long (at most {max} characters).", field=field, max=NOTE_MAX
        )
    return text


def _require_open(alert: Alert) -> None:
    if not alert.is_open:
        raise ValidationFailed("This alert is already resolved.", field="action")


def acknowledge(
    session: Session, actor: Actor, alert: Alert, *, now: datetime | None = None
) -> None:
    _require_handle(actor, alert)
    _require_open(alert)
    if alert.acknowledged_at is not None:
        raise ValidationFailed("This alert is already acknowledged.", field="action")
    now = now or utcnow()
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.user_id
    if alert.status == "open":
        alert.status = "acknowledged"
    _log(session, actor, alert, "acknowledge", "", "alert.acknowledged", now)


def assign(
    session: Session,
    actor: Actor,
    alert: Alert,
    *,
    agency_code: str = "",
    user_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    require_view(actor, alert)
    if not sees_all(actor):
        require(actor, "alerts.assign", alert)
    require(actor, "alerts.assign")
    _require_open(alert)
    note = _clean_note(note, required=False)
    agency = None
    if agency_code:
        agency = session.scalar(
            select(Agency).where(Agency.code == agency_code, Agency.is_active.is_(True))
        )
        if agency is None:
            raise ValidationFailed("Choose an agency from the list.", field="agency")
    user = None
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise ValidationFailed("Choose a person from the list.", field="user")
    if agency is None and user is None:
        raise ValidationFailed(
            "Choose an agency or a person to assign the alert to.", field="agency"
        )
    now = now or utcnow()
    alert.assigned_agency_code = agency.code if agency else alert.assigned_agency_code
    alert.assigned_user_id = user.id if user else alert.assigned_user_id
    alert.assigned_at = now
    alert.status = "assigned"
    _log(
        session,
        actor,
        alert,
        "assign",
        note,
        "alert.assigned",
        now,
        {"agency": agency.code if agency else None, "user_id": user.id if user else None},
    )


def add_note(
    session: Session, actor: Actor, alert: Alert, text: str, *, now: datetime | None = None
) -> None:
    _require_handle(actor, alert)
    text = _clean_note(text, required=True)
    _log(session, actor, alert, "note", text, "alert.noted", now or utcnow())


def tick_step(
    session: Session,
    actor: Actor,
    alert: Alert,
    step_id: int,
    *,
    note: str = "",
    now: datetime | None = None,
) -> AlertStep:
    _require_handle(actor, alert)
    _require_open(alert)
    step = session.get(AlertStep, step_id)
    if step is None or step.alert_id != alert.id:
        raise NotFound("No such step.")
    if step.done_at is not None:
        raise ValidationFailed("This step is already done.", field="step")
    note = _clean_note(note, required=False)
    now = now or utcnow()
    step.done_at = now
    step.done_by_id = actor.user_id
    step.done_by_label = actor.display_name[:200]
    step.note = note
    _log(
        session,
        actor,
        alert,
        "step",
        f"{step.position}. {step.title}" + (f" — {note}" if note else ""),
        "alert.step_done",
        now,
        {"step": step.position, "late": now > step.due_at},
    )
    return step


def resolve(
    session: Session, actor: Actor, alert: Alert, note: str, *, now: datetime | None = None
) -> None:
    _require_handle(actor, alert)
    _require_open(alert)
    note = _clean_note(note, required=True, field="resolution")
    now = now or utcnow()
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolved_by_id = actor.user_id
    alert.resolution = note
    _log(session, actor, alert, "resolve", note, "alert.resolved", now)


# --- Procedures -------------------------------------------------------------------------------


def procedure_steps(session: Session, procedure: Procedure) -> list[ProcedureStep]:
    return list(
        session.scalars(
            select(ProcedureStep)
            .where(ProcedureStep.procedure_id == procedure.id)
            .order_by(ProcedureStep.position)
        )
    )


@dataclass(frozen=True)
class StepInput:
    title: str
    due_minutes: str
    role: str = ""


def save_procedure(
    session: Session,
    actor: Actor,
    rule: str,
    *,
    name: str,
    description: str,
    steps: list[StepInput],
) -> Procedure:
    """Replace a rule's procedure. Rows with an empty title are dropped; alerts already raised
    keep the steps they were given."""
    require(actor, "alerts.procedures")
    if rule not in RULES:
        raise NotFound("No such rule.")
    error = _Errors()
    name = name.strip()
    if not name:
        error.add("name", "Give the procedure a name.")
    elif len(name) > 200:
        error.add("name", "The name is too long (at most {max} characters).", max=200)
    clean: list[tuple[str, int, str | None]] = []
    for i, step in enumerate(steps, start=1):
        title = step.title.strip()
        if not title:
            continue
        if len(title) > STEP_TITLE_MAX:
            error.add(f"step{i}.title", "Step {n}: the text is too long.", n=i)
            continue
        try:
            minutes = int(step.due_minutes.strip())
        except ValueError:
            error.add(f"step{i}.minutes", "Step {n}: enter the deadline in whole minutes.", n=i)
            continue
        if not 1 <= minutes <= MAX_STEP_MINUTES:
            error.add(
                f"step{i}.minutes",
                "Step {n}: the deadline must be from 1 to {max} minutes.",
                n=i,
                max=MAX_STEP_MINUTES,
            )
            continue
        role = step.role.strip() or None
        if role is not None and role not in ROLES:
            error.add(f"step{i}.role", "Step {n}: choose a role from the list.", n=i)
            continue
        clean.append((title, minutes, role))
    if not clean and not any(e.field.startswith("step") for e in error.items):
        error.add("step1.title", "A procedure needs at least one step.")
    error.raise_if_any()
    procedure = session.scalar(select(Procedure).where(Procedure.rule == rule))
    if procedure is None:
        procedure = Procedure(rule=rule, name=name, description="")
        session.add(procedure)
        session.flush()
    else:
        for old in procedure_steps(session, procedure):
            session.delete(old)
        session.flush()
    procedure.name = name
    procedure.description = description.strip()[:2000]
    procedure.updated_at = utcnow()
    procedure.updated_by_id = actor.user_id
    for position, (title, minutes, role) in enumerate(clean, start=1):
        session.add(
            ProcedureStep(
                procedure_id=procedure.id,
                position=position,
                title=title,
                due_minutes=minutes,
                role=role,
            )
        )
    audit.log(
        session,
        "alerts.procedure_changed",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="alert_procedure",
        subject_id=rule,
        detail={"name": name, "steps": [list(c) for c in clean]},
    )
    session.flush()
    return procedure


def staff_choices(session: Session) -> list[tuple[int, str]]:
    """People an alert can be assigned to: active staff, by name."""
    from ioc.kit.auth import RoleAssignment

    rows = session.execute(
        select(User.id, User.full_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            User.is_active.is_(True),
            RoleAssignment.role.in_(("operator", "agency_head", "officer", "leader")),
        )
        .distinct()
        .order_by(User.full_name, User.id)
        .limit(500)
    ).all()
    return [(int(i), str(n or "")) for i, n in rows]
