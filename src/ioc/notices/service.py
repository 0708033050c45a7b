"""The rules of notices, news and emergency alerts. Services never commit; every state change
is audited and recorded as an event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.errors import FieldError, NotFound, ValidationFailed
from ioc.kit import audit, events
from ioc.kit.permissions import Actor, Scope, can, require
from ioc.kit.storage import FileStore, store_photo
from ioc.kit.text import clean_text
from ioc.notices.models import (
    ALERT_SEVERITIES,
    NOTICE_KINDS,
    EmergencyAlert,
    EmergencyAlertArea,
    Notice,
    NoticeArea,
)
from ioc.notices.sanitize import sanitize_html, text_of

BODY_MAX = 20_000  # characters of plain text
BODY_HTML_MAX = 100_000
ALERT_MAX_DAYS = 14
# Event severities of the timeline for each alert severity.
ALERT_EVENT_SEVERITY = {
    "information": "info",
    "warning": "notice",
    "danger": "warning",
    "extreme": "critical",
}


@dataclass(frozen=True)
class AgencyTarget:
    """What a notice's permission is checked against: the agency it is published for."""

    agency_code: str | None

    def permission_scope(self) -> Scope:
        return Scope(agency_codes=frozenset({self.agency_code} if self.agency_code else ()))


@dataclass
class NoticeInput:
    kind: str = "notice"
    title: str = ""
    summary: str = ""
    body: str = ""
    agency_code: str = ""
    area_codes: Sequence[str] = ()
    publish_at: datetime | None = None  # None: now, when published
    expires_at: datetime | None = None
    image_alt: str = ""
    image: bytes | None = None


@dataclass
class AlertInput:
    title: str = ""
    message: str = ""
    severity: str = "warning"
    area_codes: Sequence[str] = ()
    starts_at: datetime | None = None  # None: now
    ends_at: datetime | None = None
    agency_code: str = ""


@dataclass
class _Errors:
    items: list[FieldError] = field(default_factory=list)

    def add(self, error: ValidationFailed) -> None:
        self.items.extend(error.errors or [FieldError("_form", error.message, error.params)])

    def check(self) -> None:
        if self.items:
            raise ValidationFailed("Please check the fields marked.", errors=self.items)


def _actor_label(actor: Actor) -> str:
    return actor.display_name or actor.email or "?"


def _areas(session: Session, codes: Sequence[str], errors: _Errors) -> list[str]:
    wanted = sorted({c.strip() for c in codes if c and c.strip()})
    if not wanted:
        return []
    known = set(
        session.scalars(
            select(Area.code).where(Area.code.in_(wanted), Area.kind != "province")
        ).all()
    )
    if set(wanted) - known:
        errors.add(ValidationFailed("Choose communes from the list.", field="areas"))
    return [c for c in wanted if c in known]


def _agency(session: Session, actor: Actor, code: str, errors: _Errors) -> Agency | None:
    """The author's agency: agency heads publish for their own agency only."""
    code = (code or "").strip()
    own = sorted(actor.agency_codes())
    if not code and own:
        code = own[0]
    if not code:
        return None
    agency = session.scalars(select(Agency).where(Agency.code == code[:40])).first()
    if agency is None:
        errors.add(ValidationFailed("Choose an agency from the list.", field="agency"))
    return agency


def agency_code_of(session: Session, notice: Notice) -> str | None:
    if notice.agency_id is None:
        return None
    agency = session.get(Agency, notice.agency_id)
    return agency.code if agency else None


def can_manage(session: Session, actor: Actor, notice: Notice) -> bool:
    return can(actor, "notices.publish", AgencyTarget(agency_code_of(session, notice)))


def _require_manage(session: Session, actor: Actor, notice: Notice) -> None:
    require(actor, "notices.publish", AgencyTarget(agency_code_of(session, notice)))


# --- notices --------------------------------------------------------------------------------


def save_notice(
    session: Session,
    actor: Actor,
    data: NoticeInput,
    *,
    notice: Notice | None = None,
    store: FileStore | None = None,
    max_photo_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    ip: str | None = None,
) -> Notice:
    """Create a draft, or change a notice (a published one stays published, changed)."""
    require(actor, "notices.publish")
    if notice is not None:
        _require_manage(session, actor, notice)
        if notice.status == "withdrawn":
            raise ValidationFailed("A withdrawn notice cannot be changed.", field="_form")
    errors = _Errors()
    values: dict[str, str] = {}
    for name, max_length, required, newlines in (
        ("title", 200, True, False),
        ("summary", 500, False, True),
        ("image_alt", 200, False, False),
    ):
        try:
            values[name] = clean_text(
                getattr(data, name),
                field=name,
                max_length=max_length,
                allow_newlines=newlines,
                required=required,
            )
        except ValidationFailed as error:
            errors.add(error)
    if data.kind not in NOTICE_KINDS:
        errors.add(ValidationFailed("Choose notice or news.", field="kind"))
    body = sanitize_html((data.body or "")[:BODY_HTML_MAX])
    plain = text_of(body)
    if not plain:
        errors.add(ValidationFailed("This field is required.", field="body"))
    elif len(plain) > BODY_MAX:
        errors.add(ValidationFailed("At most {max} characters.", field="body", max=BODY_MAX))
    if data.publish_at and data.expires_at and data.expires_at <= data.publish_at:
        errors.add(
            ValidationFailed("The expiry time must be after the publish time.", field="expires_at")
        )
    if data.expires_at and data.expires_at <= utcnow():
        errors.add(ValidationFailed("The expiry time must be in the future.", field="expires_at"))
    area_codes = _areas(session, data.area_codes, errors)
    agency = _agency(session, actor, data.agency_code, errors)
    if agency is not None and not can(actor, "notices.publish", AgencyTarget(agency.code)):
        errors.add(ValidationFailed("You can publish only for your own agency.", field="agency"))
    photo = None
    if data.image and not errors.items:
        if store is None:
            raise ValueError("a file store is needed to keep an image")
        try:
            photo = store_photo(
                store,
                data.image,
                max_bytes=max_photo_bytes,
                max_pixels=max_pixels,
                max_side=1600,
                thumb_side=480,
                field="image",
            )
        except ValidationFailed as error:
            errors.add(error)
    errors.check()

    created = notice is None
    if notice is None:
        notice = Notice(created_by=actor.user_id, status="draft")
        session.add(notice)
    notice.kind = data.kind
    notice.title = values["title"]
    notice.summary = values["summary"]
    notice.body_html = body
    notice.image_alt = values["image_alt"]
    notice.agency_id = agency.id if agency else None
    notice.publish_at = data.publish_at
    notice.expires_at = data.expires_at
    notice.province_wide = not area_codes
    notice.updated_at = utcnow()
    if photo is not None:
        notice.image_key = photo.key
        notice.image_thumb_key = photo.thumb_key
        notice.image_width = photo.width
        notice.image_height = photo.height
    session.flush()
    session.execute(delete(NoticeArea).where(NoticeArea.notice_id == notice.id))
    for code in area_codes:
        session.add(NoticeArea(notice_id=notice.id, area_code=code))
    session.flush()
    audit.log(
        session,
        "notice.created" if created else "notice.changed",
        actor_id=actor.user_id,
        actor_label=_actor_label(actor),
        subject_type="notice",
        subject_id=notice.id,
        ip=ip,
        detail={"status": notice.status, "areas": area_codes},
    )
    return notice


def notice_areas(session: Session, notice: Notice) -> list[str]:
    return list(
        session.scalars(
            select(NoticeArea.area_code)
            .where(NoticeArea.notice_id == notice.id)
            .order_by(NoticeArea.area_code)
        ).all()
    )


def publish(
    session: Session,
    actor: Actor,
    notice: Notice,
    *,
    ip: str | None = None,
    now: datetime | None = None,
) -> Notice:
    _require_manage(session, actor, notice)
    if notice.status != "draft":
        raise ValidationFailed("Only a draft can be published.", field="_form")
    now = now or utcnow()
    if notice.expires_at and notice.expires_at <= now:
        raise ValidationFailed("The expiry time must be in the future.", field="expires_at")
    notice.status = "published"
    notice.published_at = now
    if notice.publish_at is None:
        notice.publish_at = now
    notice.updated_at = now
    areas = notice_areas(session, notice)
    events.record(
        session,
        "notice.published",
        subject_type="notice",
        subject_id=notice.id,
        actor_id=actor.user_id,
        title=notice.title,
        area_code=areas[0] if len(areas) == 1 else None,
        severity="info",
        visibility="public",
        agency_id=notice.agency_id,
        payload={
            "kind": notice.kind,
            "areas": areas,
            "publish_at": notice.publish_at.isoformat(),
            "href": f"/notices/{notice.id}",
        },
    )
    audit.log(
        session,
        "notice.published",
        actor_id=actor.user_id,
        actor_label=_actor_label(actor),
        subject_type="notice",
        subject_id=notice.id,
        ip=ip,
    )
    return notice


def withdraw(
    session: Session, actor: Actor, notice: Notice, *, reason: str = "", ip: str | None = None
) -> Notice:
    _require_manage(session, actor, notice)
    if notice.status != "published":
        raise ValidationFailed("Only a published notice can be withdrawn.", field="_form")
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    now = utcnow()
    notice.status = "withdrawn"
    notice.withdrawn_at = now
    notice.withdraw_reason = reason
    notice.updated_at = now
    events.record(
        session,
        "notice.withdrawn",
        subject_type="notice",
        subject_id=notice.id,
        actor_id=actor.user_id,
        title=notice.title,
        severity="info",
        visibility="staff",
        agency_id=notice.agency_id,
        payload={"reason": reason},
    )
    audit.log(
        session,
        "notice.withdrawn",
        actor_id=actor.user_id,
        actor_label=_actor_label(actor),
        subject_type="notice",
        subject_id=notice.id,
        ip=ip,
        detail={"reason": reason},
    )
    return notice


def _targets(commune: str | None) -> ColumnElement[bool]:
    """Province-wide notices, or those targeting the visitor's commune."""
    if not commune:
        return Notice.province_wide.is_(True)
    return or_(
        Notice.province_wide.is_(True),
        exists().where(NoticeArea.notice_id == Notice.id, NoticeArea.area_code == commune),
    )


def _visible(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Notice.status == "published",
        Notice.publish_at <= now,
        or_(Notice.expires_at.is_(None), Notice.expires_at > now),
    )


def public_notices(
    session: Session,
    *,
    commune: str | None,
    kind: str = "",
    now: datetime | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Notice]:
    """Published notices within their window, for the province or the visitor's commune,
    newest first."""
    now = now or utcnow()
    stmt = select(Notice).where(*_visible(now), _targets(commune))
    if kind in NOTICE_KINDS:
        stmt = stmt.where(Notice.kind == kind)
    stmt = stmt.order_by(Notice.publish_at.desc(), Notice.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt).all())


def public_notice(session: Session, notice_id: int, *, now: datetime | None = None) -> Notice:
    """A published notice within its window, whoever it targets (a shared link works)."""
    now = now or utcnow()
    notice = session.scalars(select(Notice).where(Notice.id == notice_id, *_visible(now))).first()
    if notice is None:
        raise NotFound("No such notice.")
    return notice


def get_notice(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("No such notice.")
    return notice


def staff_notices(session: Session, actor: Actor, *, status: str = "") -> list[Notice]:
    """The console's list: everything for province-wide staff, their agency's for agency heads."""
    require(actor, "notices.publish")
    stmt = select(Notice)
    if status:
        stmt = stmt.where(Notice.status == status)
    if not can(actor, "notices.publish", AgencyTarget(None)):
        codes = sorted(actor.agency_codes())
        stmt = stmt.join(Agency, Agency.id == Notice.agency_id).where(Agency.code.in_(codes))
    stmt = stmt.order_by(Notice.updated_at.desc(), Notice.id.desc()).limit(200)
    return list(session.scalars(stmt).all())


# --- emergency alerts -----------------------------------------------------------------------


def publish_alert(
    session: Session, actor: Actor, data: AlertInput, *, ip: str | None = None
) -> EmergencyAlert:
    require(actor, "notices.alert")
    errors = _Errors()
    values: dict[str, str] = {}
    for name, max_length, newlines in (("title", 200, False), ("message", 1000, True)):
        try:
            values[name] = clean_text(
                getattr(data, name), field=name, max_length=max_length, allow_newlines=newlines
            )
        except ValidationFailed as error:
            errors.add(error)
    if data.severity not in ALERT_SEVERITIES:
        errors.add(ValidationFailed("Choose a severity from the list.", field="severity"))
    now = utcnow()
    starts = data.starts_at or now
    if data.ends_at is None:
        errors.add(ValidationFailed("This field is required.", field="ends_at"))
    elif data.ends_at <= max(starts, now):
        errors.add(
            ValidationFailed(
                "The end time must be after the start and in the future.", field="ends_at"
            )
        )
    elif data.ends_at - starts > timedelta(days=ALERT_MAX_DAYS):
        errors.add(
            ValidationFailed(
                "An alert lasts at most {days} days.", field="ends_at", days=ALERT_MAX_DAYS
            )
        )
    area_codes = _areas(session, data.area_codes, errors)
    agency = _agency(session, actor, data.agency_code, errors)
    errors.check()
    assert data.ends_at is not None
    alert = EmergencyAlert(
        title=values["title"],
        message=values["message"],
        severity=data.severity,
        province_wide=not area_codes,
        starts_at=starts,
        ends_at=data.ends_at,
        status="active",
        agency_id=agency.id if agency else None,
        created_by=actor.user_id,
    )
    session.add(alert)
    session.flush()
    for code in area_codes:
        session.add(EmergencyAlertArea(alert_id=alert.id, area_code=code))
    session.flush()
    events.record(
        session,
        "alert.emergency_published",
        subject_type="emergency_alert",
        subject_id=alert.id,
        actor_id=actor.user_id,
        title=alert.title,
        area_code=area_codes[0] if len(area_codes) == 1 else None,
        severity=ALERT_EVENT_SEVERITY[alert.severity],
        visibility="public",
        agency_id=alert.agency_id,
        payload={
            "severity": alert.severity,
            "areas": area_codes,
            "starts_at": alert.starts_at.isoformat(),
            "ends_at": alert.ends_at.isoformat(),
        },
    )
    audit.log(
        session,
        "alert.emergency_published",
        actor_id=actor.user_id,
        actor_label=_actor_label(actor),
        subject_type="emergency_alert",
        subject_id=alert.id,
        ip=ip,
        detail={"severity": alert.severity, "areas": area_codes},
    )
    clear_alert_cache()
    return alert


def end_alert(
    session: Session, actor: Actor, alert_id: int, *, ip: str | None = None
) -> EmergencyAlert:
    require(actor, "notices.alert")
    alert = session.get(EmergencyAlert, alert_id)
    if alert is None:
        raise NotFound("No such alert.")
    if alert.status != "active":
        raise ValidationFailed("This alert has already ended.", field="_form")
    now = utcnow()
    alert.status = "ended"
    alert.ended_at = now
    if alert.ends_at > now:
        alert.ends_at = now
    events.record(
        session,
        "alert.emergency_ended",
        subject_type="emergency_alert",
        subject_id=alert.id,
        actor_id=actor.user_id,
        title=alert.title,
        severity="info",
        visibility="public",
        agency_id=alert.agency_id,
    )
    audit.log(
        session,
        "alert.emergency_ended",
        actor_id=actor.user_id,
        actor_label=_actor_label(actor),
        subject_type="emergency_alert",
        subject_id=alert.id,
        ip=ip,
    )
    clear_alert_cache()
    return alert


def alert_list(session: Session, actor: Actor) -> list[tuple[EmergencyAlert, list[str]]]:
    require(actor, "notices.alert")
    alerts = list(
        session.scalars(
            select(EmergencyAlert).order_by(EmergencyAlert.created_at.desc()).limit(100)
        ).all()
    )
    return [(a, _alert_areas(session, a.id)) for a in alerts]


def _alert_areas(session: Session, alert_id: int) -> list[str]:
    return list(
        session.scalars(
            select(EmergencyAlertArea.area_code)
            .where(EmergencyAlertArea.alert_id == alert_id)
            .order_by(EmergencyAlertArea.area_code)
        ).all()
    )


@dataclass(frozen=True)
class ActiveAlert:
    """What the banner needs of an alert; a plain value so it can be cached across requests."""

    id: int
    title: str
    message: str
    severity: str
    starts_at: datetime
    ends_at: datetime
    area_codes: frozenset[str]  # empty: the whole province

    def targets(self, commune: str | None) -> bool:
        return not self.area_codes or (commune is not None and commune in self.area_codes)

    @property
    def dismissible(self) -> bool:
        return self.severity != "extreme"


SEVERITY_ORDER = {s: i for i, s in enumerate(reversed(ALERT_SEVERITIES))}


def active_alerts(session: Session, *, now: datetime | None = None) -> list[ActiveAlert]:
    """Alerts running now or later (the caller filters by time), most severe first. Two small
    indexed queries whatever the history."""
    now = now or utcnow()
    alerts = list(
        session.scalars(
            select(EmergencyAlert).where(
                EmergencyAlert.status == "active", EmergencyAlert.ends_at > now
            )
        ).all()
    )
    if not alerts:
        return []
    areas: dict[int, set[str]] = {a.id: set() for a in alerts}
    for alert_id, code in session.execute(
        select(EmergencyAlertArea.alert_id, EmergencyAlertArea.area_code).where(
            EmergencyAlertArea.alert_id.in_(list(areas))
        )
    ):
        areas[alert_id].add(code)
    out = [
        ActiveAlert(
            id=a.id,
            title=a.title,
            message=a.message,
            severity=a.severity,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            area_codes=frozenset(areas[a.id]) if not a.province_wide else frozenset(),
        )
        for a in alerts
    ]
    out.sort(key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), -a.starts_at.timestamp()))
    return out


def alerts_for(
    alerts: Sequence[ActiveAlert], commune: str | None, *, now: datetime | None = None
) -> list[ActiveAlert]:
    now = now or utcnow()
    return [a for a in alerts if a.starts_at <= now < a.ends_at and a.targets(commune)]


# The banner runs on every portal page: the active alerts are read at most once every few
# seconds per process and database. Publishing or ending an alert in this process clears it.
CACHE_SECONDS = 5.0
_alert_cache: dict[int, tuple[float, list[ActiveAlert]]] = {}


def clear_alert_cache() -> None:
    _alert_cache.clear()


def cached_active_alerts(
    key: int, load: Callable[[], list[ActiveAlert]], monotonic_now: float
) -> list[ActiveAlert]:
    hit = _alert_cache.get(key)
    if hit is not None and hit[0] > monotonic_now:
        return hit[1]
    alerts = load()
    _alert_cache[key] = (monotonic_now + CACHE_SECONDS, alerts)
    return alerts
