"""Notices and alerts: the publish window, targeting, permissions, events and audit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from ioc.kit.audit import AuditEntry
from ioc.kit.events import Event
from ioc.kit.permissions import ANONYMOUS
from ioc.kit.storage import FileStore
from ioc.notices import service
from ioc.notices.models import Notice
from tests.notices.conftest import communes, make_alert, make_notice, person


def _ids(notices: list[Notice]) -> set[int]:
    return {n.id for n in notices}


def test_a_draft_is_not_public(seeded: Session) -> None:
    notice = make_notice(seeded, person(seeded, "operator"), publish=False)
    assert notice.status == "draft"
    assert notice.id not in _ids(service.public_notices(seeded, commune=None))
    with pytest.raises(NotFound):
        service.public_notice(seeded, notice.id)


def test_a_notice_is_public_from_its_publish_time(seeded: Session) -> None:
    start = utcnow() + timedelta(hours=2)
    notice = make_notice(seeded, person(seeded, "operator"), publish_at=start)
    assert notice.status == "published"
    assert notice.id not in _ids(service.public_notices(seeded, commune=None))
    later = start + timedelta(minutes=1)
    assert notice.id in _ids(service.public_notices(seeded, commune=None, now=later))


def test_an_expired_notice_is_no_longer_public(seeded: Session) -> None:
    expiry = utcnow() + timedelta(days=1)
    notice = make_notice(seeded, person(seeded, "operator"), expires_at=expiry)
    assert notice.id in _ids(service.public_notices(seeded, commune=None))
    after = expiry + timedelta(seconds=1)
    assert notice.id not in _ids(service.public_notices(seeded, commune=None, now=after))
    with pytest.raises(NotFound):
        service.public_notice(seeded, notice.id, now=after)


def test_newest_first(seeded: Session) -> None:
    operator = person(seeded, "operator")
    old = make_notice(seeded, operator, title="Cũ", publish_at=utcnow() - timedelta(days=2))
    new = make_notice(seeded, operator, title="Mới", publish_at=utcnow() - timedelta(hours=1))
    listed = [n.id for n in service.public_notices(seeded, commune=None)]
    assert listed.index(new.id) < listed.index(old.id)


def test_a_withdrawn_notice_disappears_and_is_recorded(seeded: Session) -> None:
    operator = person(seeded, "operator")
    notice = make_notice(seeded, operator)
    service.withdraw(seeded, operator, notice, reason="Nhầm thông tin")
    assert notice.id not in _ids(service.public_notices(seeded, commune=None))
    kinds = seeded.scalars(
        select(Event.type).where(Event.subject_type == "notice", Event.subject_id == str(notice.id))
    ).all()
    assert sorted(kinds) == ["notice.published", "notice.withdrawn"]
    actions = set(
        seeded.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_id == str(notice.id))
        ).all()
    )
    assert {"notice.created", "notice.published", "notice.withdrawn"} <= actions


def test_a_commune_notice_is_seen_in_that_commune_only(seeded: Session) -> None:
    a, b = communes(seeded, 2)
    operator = person(seeded, "operator")
    local = make_notice(seeded, operator, areas=(a.code,))
    everyone = make_notice(seeded, operator, title="Toàn tỉnh")
    assert local.province_wide is False
    in_a = _ids(service.public_notices(seeded, commune=a.code))
    in_b = _ids(service.public_notices(seeded, commune=b.code))
    nowhere = _ids(service.public_notices(seeded, commune=None))
    assert local.id in in_a and everyone.id in in_a
    assert local.id not in in_b and everyone.id in in_b
    assert local.id not in nowhere and everyone.id in nowhere


def test_an_unknown_commune_is_refused(seeded: Session) -> None:
    with pytest.raises(ValidationFailed) as error:
        make_notice(seeded, person(seeded, "operator"), areas=("99999",))
    assert [e.field for e in error.value.errors] == ["areas"]


def test_fields_are_checked_and_nothing_is_saved(seeded: Session) -> None:
    operator = person(seeded, "operator")
    before = seeded.scalar(select(Notice.id).order_by(Notice.id.desc()).limit(1))
    start = utcnow() + timedelta(days=2)
    with pytest.raises(ValidationFailed) as error:
        service.save_notice(
            seeded,
            operator,
            service.NoticeInput(
                kind="rumour",
                title="  ",
                body="<script>x()</script>",
                publish_at=start,
                expires_at=start - timedelta(hours=1),
            ),
        )
    fields = {e.field for e in error.value.errors}
    assert fields == {"title", "kind", "body", "expires_at"}
    assert seeded.scalar(select(Notice.id).order_by(Notice.id.desc()).limit(1)) == before


def test_a_citizen_cannot_publish(seeded: Session) -> None:
    citizen = person(seeded, "citizen")
    with pytest.raises(PermissionDenied):
        make_notice(seeded, citizen)
    with pytest.raises(NotAuthenticated):
        make_notice(seeded, ANONYMOUS)
    with pytest.raises(PermissionDenied):
        make_notice(seeded, person(seeded, "officer", "SXD"))


def test_an_agency_head_publishes_for_their_agency_only(seeded: Session) -> None:
    head = person(seeded, "agency_head", "SXD")
    own = make_notice(seeded, head)  # the agency defaults to the head's own
    assert service.agency_code_of(seeded, own) == "SXD"
    with pytest.raises(ValidationFailed) as error:
        make_notice(seeded, head, agency_code="SYT")
    assert [e.field for e in error.value.errors] == ["agency"]
    other = make_notice(seeded, person(seeded, "operator"), agency_code="SYT", publish=False)
    with pytest.raises(PermissionDenied):
        service.publish(seeded, head, other)
    with pytest.raises(PermissionDenied):
        service.withdraw(seeded, head, other)
    assert [n.id for n in service.staff_notices(seeded, head)] == [own.id]


def test_the_image_is_stored_without_its_location(seeded: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    image = Image.new("RGB", (640, 480), (30, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {2: (21.0, 35.0, 40.0), 1: "N"}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    assert b"Exif" in buffer.getvalue()
    store = FileStore(tmp_path)
    notice = service.save_notice(
        seeded,
        person(seeded, "operator"),
        service.NoticeInput(title="Ảnh", body="<p>Ảnh</p>", image=buffer.getvalue()),
        store=store,
    )
    assert notice.image_key and notice.image_thumb_key
    kept = store.read(notice.image_key)
    assert b"Exif" not in kept
    with Image.open(io.BytesIO(kept)) as stored:
        assert not stored.getexif()
    with Image.open(io.BytesIO(store.read(notice.image_thumb_key))) as thumb:
        assert max(thumb.size) <= 480


def test_a_broken_image_is_refused_on_its_field(seeded: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as error:
        service.save_notice(
            seeded,
            person(seeded, "operator"),
            service.NoticeInput(title="Ảnh", body="<p>x</p>", image=b"not an image"),
            store=FileStore(tmp_path),
        )
    assert [e.field for e in error.value.errors] == ["image"]


# --- emergency alerts -----------------------------------------------------------------------


def test_an_alert_reaches_the_targeted_communes_only(seeded: Session) -> None:
    a, b = communes(seeded, 2)
    alert = make_alert(seeded, person(seeded, "operator"), areas=(a.code,))
    active = service.active_alerts(seeded)
    assert [x.id for x in service.alerts_for(active, a.code)] == [alert.id]
    assert service.alerts_for(active, b.code) == []
    assert service.alerts_for(active, None) == []


def test_a_province_alert_reaches_everyone(seeded: Session) -> None:
    a, _b = communes(seeded, 2)
    alert = make_alert(seeded, person(seeded, "leader"), severity="extreme")
    active = service.active_alerts(seeded)
    assert [x.id for x in service.alerts_for(active, a.code)] == [alert.id]
    assert [x.id for x in service.alerts_for(active, None)] == [alert.id]
    assert active[0].dismissible is False


def test_an_alert_is_recorded_for_the_live_feed(seeded: Session) -> None:
    alert = make_alert(seeded, person(seeded, "operator"), severity="danger")
    event = seeded.scalars(select(Event).where(Event.type == "alert.emergency_published")).one()
    assert event.subject_id == str(alert.id)
    assert event.severity == "warning" and event.visibility == "public"


def test_an_ended_or_past_alert_is_not_shown(seeded: Session) -> None:
    operator = person(seeded, "operator")
    alert = make_alert(seeded, operator)
    service.end_alert(seeded, operator, alert.id)
    assert service.alerts_for(service.active_alerts(seeded), None) == []
    later = make_alert(seeded, operator, hours=1)
    after = utcnow() + timedelta(hours=2)
    assert service.alerts_for(service.active_alerts(seeded), None, now=after) == []
    assert [x.id for x in service.alerts_for(service.active_alerts(seeded), None)] == [later.id]


def test_alert_times_are_checked(seeded: Session) -> None:
    with pytest.raises(ValidationFailed) as error:
        make_alert(seeded, person(seeded, "operator"), hours=-1)
    assert [e.field for e in error.value.errors] == ["ends_at"]
    with pytest.raises(ValidationFailed):
        make_alert(seeded, person(seeded, "operator"), hours=24 * 30)


def test_only_province_staff_publish_alerts(seeded: Session) -> None:
    for actor in (person(seeded, "citizen"), person(seeded, "agency_head", "SXD")):
        with pytest.raises(PermissionDenied):
            make_alert(seeded, actor)
